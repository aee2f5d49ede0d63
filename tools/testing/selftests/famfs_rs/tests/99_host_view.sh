# SPDX-License-Identifier: GPL-2.0
#
# Runs last: leaves a file whose bytes the host then looks for in the CXL
# backing file (scripts/vm-test.sh), at the device offset the file's map
# gives. Bytes written through the mount reaching the memory itself prove
# there is no page cache between famfs files and the CXL memory.
#
# needs: dev famfs

test_file_bytes_for_the_host() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M -m 0666 /for-the-host || { fail "creat failed"; return 1; }
	off=$(famfs getmap -D $FAMFS_DEV /for-the-host | sed -n 's/.*device 0, offset \(0x[0-9a-f]*\),.*/\1/p' | head -1)
	[ -n "$off" ] || { fail "no device offset in getmap"; return 1; }
	famfs_mount || return 1
	"$BIN/dax_probe" fill $MNT/for-the-host 2024 >/dev/null || { famfs_umount; fail "fill failed"; return 1; }
	# Still mounted: the host must see the bytes written through the mount
	# (they went straight to the memory); the umount comes after.
	sync
	famfs_umount || return 1
	diag "host-check: offset=$off seed=2024 len=4194304"
}
