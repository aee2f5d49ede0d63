# SPDX-License-Identifier: GPL-2.0
#
# The famfs userspace on the real devdax (mmap of /dev/dax0.0, not an image
# file): format, build a namespace, check it. The host then finds the
# superblock in the CXL backing file (vm-test.sh), which proves the bytes
# went to the CXL memory.
#
# needs: dev famfs

export FAMFS_DEVICE=$FAMFS_DEV

test_famfs_mkfs_devdax() {
	command -v famfs >/dev/null || fail "famfs is not in the initramfs" || return 1
	famfs mkfs --force $FAMFS_DEV || fail "famfs mkfs $FAMFS_DEV failed"
}

test_famfs_namespace_devdax() {
	famfs mkdir -p /a/b || fail "mkdir -p failed" || return 1
	famfs creat -s 3M --randomize --seed 7 /a/b/f1 || fail "creat failed" || return 1
	head -c 5000000 /dev/urandom >/tmp/src.bin
	famfs cp /tmp/src.bin /a/copy.bin || fail "cp failed" || return 1
	famfs verify --seed 7 /a/b/f1 || fail "verify failed" || return 1
	out=$(famfs logplay $FAMFS_DEV) || fail "logplay failed" || return 1
	for p in a/b/f1 a/copy.bin; do
		echo "$out" | grep -q "$p" || fail "logplay does not list $p" || return 1
	done
	famfs fsck $FAMFS_DEV || fail "fsck of the devdax is not clean"
}

# A file's map, as the daemon will hand it to the kernel.
test_famfs_getmap_devdax() {
	famfs creat -s 2M /host-check || fail "creat failed" || return 1
	famfs getmap /host-check || fail "getmap failed"
}
