# SPDX-License-Identifier: GPL-2.0
#
# What users see of famfs files besides their data: the bytes past the
# end of a new file, access(2), st_blocks, statx's direct I/O alignment,
# and times (issue 20, items 10-14).
#
# needs: dev famfs

# 3,000,000 bytes take two 2 MiB units (8192 blocks of 512 bytes); the
# page that holds the end of the file shows 2368 bytes past it.
ODD=3000000

# A new file shows zeros past its end through mmap, also where a file of
# an earlier famfs (mkfs --force does not clear memory) had its bytes:
# both ways a file gets its data (cp, and creat with and without a seed).
test_new_file_zero_past_eof() {
	famfs_fresh && famfs_mount || return 1
	head -c 4194304 /dev/zero | tr '\0' '\125' >/tmp/old.bin
	famfs cp /tmp/old.bin $MNT/old || { famfs_umount; fail "famfs cp of the old file failed"; return 1; }
	famfs cp /tmp/old.bin $MNT/old2 || { famfs_umount; fail "famfs cp of the old file failed"; return 1; }
	famfs cp /tmp/old.bin $MNT/old3 || { famfs_umount; fail "famfs cp of the old file failed"; return 1; }
	famfs_umount || return 1
	# The new files land where the old ones were.
	quietly famfs mkfs --force $FAMFS_DEV || return 1
	famfs_mount || return 1
	head -c $ODD /dev/urandom >/tmp/new.bin
	rc=0
	famfs cp /tmp/new.bin $MNT/copied || { fail "famfs cp failed"; rc=1; }
	famfs creat -s $ODD $MNT/made || { fail "famfs creat failed"; rc=1; }
	famfs creat -s $ODD -r -S 7 $MNT/seeded || { fail "famfs creat -r failed"; rc=1; }
	for f in copied made seeded; do
		n=$("$BIN/attr_probe" tail $MNT/$f) || { fail "attr_probe tail $f failed"; rc=1; continue; }
		expect_eq "$f: non-zero bytes past its end in its last page" 0 "$n" || rc=1
	done
	cmp /tmp/new.bin $MNT/copied || { fail "the copy differs"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# access(W_OK) says what open for writing does: EROFS for a file every
# host may only read, even for root; ok for a writable one.
test_access_w_ok_matches_open() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M --read-only /ro && famfs creat -D $FAMFS_DEV -s 2M /rw ||
		{ fail "creat failed"; return 1; }
	famfs_mount || return 1
	rc=0
	expect_eq "open of the read-only file for writing" EROFS "$("$BIN/open_as" 0 0 $MNT/ro rdwr)" || rc=1
	expect_eq "access(W_OK) of the read-only file" EROFS "$("$BIN/attr_probe" access $MNT/ro)" || rc=1
	expect_eq "access(W_OK) of the writable file" ok "$("$BIN/attr_probe" access $MNT/rw)" || rc=1
	expect_eq "open of the writable file for writing" ok "$("$BIN/open_as" 0 0 $MNT/rw rdwr)" || rc=1
	famfs_umount || rc=1
	return $rc
}

# st_blocks counts the file's allocation, in 512-byte units (du, ls -s).
test_st_blocks_is_the_allocation() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s $ODD /odd && famfs creat -D $FAMFS_DEV -s 2M /two ||
		{ fail "creat failed"; return 1; }
	famfs_mount || return 1
	rc=0
	expect_eq "st_blocks of a $ODD-byte file" 8192 "$(stat -c %b $MNT/odd)" || rc=1
	expect_eq "st_blocks of a 2 MiB file" 4096 "$(stat -c %b $MNT/two)" || rc=1
	expect_eq "du -k of the $ODD-byte file" 4096 "$(du -k $MNT/odd | cut -f1)" || rc=1
	famfs_umount || rc=1
	return $rc
}

# statx(STATX_DIOALIGN) is reported for regular files, and an O_DIRECT
# read at exactly the reported alignments works.
test_statx_dioalign() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M -r -S 3 /f || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	rc=0
	got=$("$BIN/attr_probe" dioalign $MNT/f 2>/tmp/dio.err) ||
		{ fail "O_DIRECT at the reported alignments: $(cat /tmp/dio.err)"; rc=1; }
	diag "STATX_DIOALIGN of a famfs file: $got"
	[ "$got" != none ] || { fail "STATX_DIOALIGN not reported"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# Times come from the log: the same after a remount (a new daemon, later)
# and on every host; a node's time is 2000-01-01T00:00:00Z plus the
# sequence number of the log entry that made it, in seconds.
test_times_stable_across_remounts() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /first && famfs mkdir -D $FAMFS_DEV /dir &&
		famfs creat -D $FAMFS_DEV -s 2M /dir/third || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	before=$(stat -c '%n %Y %Z %X' $MNT/first $MNT/dir $MNT/dir/third)
	famfs_umount || return 1
	sleep 2
	famfs_mount || return 1
	after=$(stat -c '%n %Y %Z %X' $MNT/first $MNT/dir $MNT/dir/third)
	rc=0
	expect_eq "times after a remount" "$before" "$after" || rc=1
	expect_eq "mtime of the log's first entry" 946684800 "$(stat -c %Y $MNT/first)" || rc=1
	expect_eq "mtime of the log's third entry" 946684802 "$(stat -c %Y $MNT/dir/third)" || rc=1
	famfs_umount || rc=1
	return $rc
}
