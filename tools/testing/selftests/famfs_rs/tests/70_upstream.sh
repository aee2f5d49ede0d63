# SPDX-License-Identifier: GPL-2.0
#
# Media written by upstream famfs's own tools (../shared/interop,
# upstream-1g: sized for this guest's /dev/dax0.0), put on the device as
# upstream left it, then checked, mounted, read through read(2) and mmap(2)
# against the image's bytes at each file's map, written to, and checked
# again; the same after upstream's mkfs on media that held 0xa5 bytes (its
# mkfs leaves some superblock bytes as they were). And a plain umount(8)
# followed at once by famfs mkfs, fsck and mount: the device is usable.
#
# scripts/mkinitramfs.sh ships the image's used head (superblock, log and
# the files' data: the rest of upstream's image is zeros) as
# /selftests/data/upstream-1g.head.gz.
#
# needs: dev famfs

# timeout test_upstream_image_mounts_reads_and_writes 600
# timeout test_upstream_odd_size_file_maps 600
# timeout test_upstream_leftover_bytes_accepted 600
# timeout test_plain_umount_leaves_device_usable 600

UPSTREAM=$SELFTEST_DIR/data/upstream-1g.head.gz
IMG=/tmp/upstream.img

# The files upstream wrote, "path seed" (interop README).
UPSTREAM_FILES="data/a 3
b.odd 5
c.4m 13"

# upstream_on_device [a5]: the device as upstream's tools left it; with
# a5, as if it had held 0xa5 bytes before upstream's mkfs, which never
# writes ts_sb_flags, bytes 108..112, dd_uuid, nor the rest of the
# superblock's 2 MiB region.
upstream_on_device() {
	[ -e "$UPSTREAM" ] || { not_run "the host had no ../shared/interop/upstream-1g.tar.gz (upstream famfs's media) when it built the initramfs"; return; }
	leftovers_cleared
	devdax_home || return 1
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $MNT
	zcat "$UPSTREAM" >$IMG || { fail "unpacking $UPSTREAM failed"; return 1; }
	if [ "${1:-}" = a5 ]; then
		head -c 2097152 /dev/zero | tr '\000' '\245' >/tmp/a5
		dd if=/tmp/a5 of=$IMG bs=1 seek=104 count=8 conv=notrunc 2>/dev/null
		dd if=/tmp/a5 of=$IMG bs=1 seek=120 count=16 conv=notrunc 2>/dev/null
		dd if=/tmp/a5 of=$IMG bs=8 seek=25 count=262119 conv=notrunc 2>/dev/null
		expect_eq "flags bytes" "a5a5a5a5a5a5a5a5" "$(dd if=$IMG bs=1 skip=104 count=8 2>/dev/null | od -An -tx1 | tr -d ' \n')" || return 1
	fi
	quietly "$BIN/dax_load" $FAMFS_DEV $IMG
}

# map_offset FILE: the device offset of FILE's (single) extent.
map_offset() {
	famfs getmap "$1" | sed -n 's/.*extent 0: device 0, offset \(0x[0-9a-f]*\),.*/\1/p'
}

# read_back FILE: FILE read through read(2) equals the image's bytes at its
# map offset, and reads the same through mmap(2) (famfs chkread).
read_back() {
	local f=$1 off size
	off=$(map_offset "$f")
	[ -n "$off" ] || { fail "$f: no extent in famfs getmap"; return 1; }
	size=$(stat -c %s "$f")
	dd if=$IMG bs=1048576 skip=$((off / 1048576)) count=$(((size + 1048575) / 1048576)) 2>/dev/null |
		head -c "$size" >/tmp/want
	cmp "$f" /tmp/want || { fail "$f: read(2) differs from the image at $off"; return 1; }
	quietly famfs chkread "$f" || return 1
	diag "$f: $size bytes at $off: read(2) and mmap(2) match upstream's bytes"
}

# As upstream's own tools make this guest the master of the image: the
# host identity is upstream's file (/opt/famfs/system_uuid), which holds
# the master's UUID on the host that made it.
UPSTREAM_MASTER=22353219-52c5-422a-b144-79b90e28dbae
be_upstream_master() {
	mkdir -p /opt/famfs && echo $UPSTREAM_MASTER >/opt/famfs/system_uuid
}
forget_identity() { rm -f /opt/famfs/system_uuid; }

test_upstream_image_mounts_reads_and_writes() {
	upstream_on_device || return
	quietly famfs fsck $FAMFS_DEV || return 1
	# This host is the image's master for the mount: the role is settled
	# when the daemon starts (a client's kernel refuses log writes).
	be_upstream_master
	famfs_mount || { forget_identity; return 1; }
	rc=0
	ls -lR $MNT | while read -r l; do diag "$l"; done
	expect_eq "mode of private/" "drwx------" "$(stat -c %A $MNT/private)" || rc=1
	# Sizes that are whole pages here (b.odd: test_upstream_odd_size_file_maps).
	for f in data/a c.4m; do read_back "$MNT/$f" || rc=1; done
	echo "$UPSTREAM_FILES" | while read -r f seed; do
		quietly famfs verify -S "$seed" -f "$MNT/$f" || exit 1
	done || rc=1
	famfs creat -s 3M -r -S 77 $MNT/data/new >/dev/null || { fail "creat on the upstream famfs failed"; rc=1; }
	forget_identity
	quietly famfs verify -S 77 -f $MNT/data/new || rc=1
	# A plain umount, then at once a check of the raw device.
	umount $MNT || { fail "umount failed"; return 1; }
	quietly famfs fsck $FAMFS_DEV || rc=1
	famfs logplay $FAMFS_DEV | grep -q ' data/new$' || { fail "data/new is not in the log"; rc=1; }
	return $rc
}

# A file of 1,000,001 bytes read through mmap(2) to its last byte (the
# last page is partly past the end of the file).
test_upstream_odd_size_file_maps() {
	upstream_on_device || return
	famfs_mount || return 1
	rc=0
	read_back $MNT/b.odd || rc=1
	famfs_umount || rc=1
	return $rc
}

test_upstream_leftover_bytes_accepted() {
	upstream_on_device a5 || return
	quietly famfs fsck $FAMFS_DEV || return 1
	famfs_mount || return 1
	rc=0
	read_back $MNT/c.4m || rc=1
	quietly famfs verify -S 13 -f $MNT/c.4m || rc=1
	famfs_umount || rc=1
	quietly famfs fsck $FAMFS_DEV || rc=1
	return $rc
}

test_plain_umount_leaves_device_usable() {
	famfs_fresh && famfs_mount || return 1
	umount $MNT || { fail "umount failed"; return 1; }
	quietly famfs mkfs -f $FAMFS_DEV || return 1
	famfs_mount || return 1
	umount $MNT || { fail "umount failed"; return 1; }
	quietly famfs mount $FAMFS_DEV $MNT || return 1
	umount $MNT || { fail "umount failed"; return 1; }
	quietly famfs fsck $FAMFS_DEV || return 1
	devdax_home
}
