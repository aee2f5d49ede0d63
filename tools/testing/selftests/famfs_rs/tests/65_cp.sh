# SPDX-License-Identifier: GPL-2.0
#
# Files whose size is not a multiple of the page or of 2 MiB, read to
# their end (the iomap iterator asks for the rest of the last read past
# the end of the file: a hole, not an error), made before the mount and
# copied in through it.
#
# needs: dev famfs

test_odd_size_made_before_mount_reads_back() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 3000000 -m 0666 /odd || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	rc=0
	dd if=$MNT/odd of=/dev/null bs=4k 2>/tmp/dd.err || { diag "$(cat /tmp/dd.err)"; fail "dd bs=4k of a creat'd odd file failed"; rc=1; }
	dd if=$MNT/odd of=/dev/null bs=4k count=1 2>/tmp/dd.err || { diag "$(cat /tmp/dd.err)"; fail "dd of the first page failed"; rc=1; }
	dd if=$MNT/odd of=/dev/null bs=4k skip=732 2>/tmp/dd.err || { diag "$(cat /tmp/dd.err)"; fail "dd of the last page failed"; rc=1; }
	n=$(dd if=$MNT/odd bs=4k 2>/dev/null | wc -c)
	expect_eq "bytes read up to the end of the file" 3000000 "$n" || rc=1
	famfs_umount || rc=1
	return $rc
}

test_cp_through_mount_reads_back() {
	famfs_fresh && famfs_mount || return 1
	head -c 3000000 /dev/urandom >/tmp/src.bin
	famfs cp /tmp/src.bin $MNT/copied.bin || { famfs_umount; fail "famfs cp failed"; return 1; }
	rc=0
	size=$(stat -c %s $MNT/copied.bin)
	expect_eq "size" 3000000 "$size" || rc=1
	dd if=$MNT/copied.bin of=/tmp/back4k bs=4k 2>/tmp/dd.err || { diag "$(cat /tmp/dd.err)"; fail "dd bs=4k failed"; rc=1; }
	cmp /tmp/src.bin /tmp/back4k || { fail "bs=4k copy differs"; rc=1; }
	dd if=$MNT/copied.bin of=/tmp/back2m bs=2M 2>/tmp/dd.err || { diag "$(cat /tmp/dd.err)"; fail "dd bs=2M failed"; rc=1; }
	cmp /tmp/src.bin /tmp/back2m || { fail "bs=2M copy differs"; rc=1; }
	cmp /tmp/src.bin $MNT/copied.bin || { fail "cmp against the mount failed"; rc=1; }
	famfs getmap $MNT/copied.bin | while read -r l; do diag "$l"; done
	famfs_umount || rc=1
	return $rc
}
