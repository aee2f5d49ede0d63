# SPDX-License-Identifier: GPL-2.0
#
# A daemon that names one directory twice, or answers "." and ".." its own
# way: the VFS moves a directory's dentry to its newest name (so a dentry's
# name is only read from a snapshot), refuses a directory inside itself,
# and the directory listing's "." and ".." are the kernel's. And a device
# removed while its mount is lazily unmounted: the removal's reference to
# the super block may be its last one. Each ends with a clean errno and no
# kernel report (the harness fails a test on any WARN/BUG/KASAN).
#
# needs: dev famfs

ALIAS_CASES=alias-dir,alias-dot,alias-dotdot,readdir-dots

# ino PATH: the inode number stat reports.
ino() { stat -c %i "$1"; }

# bad-alias-dir is answered with .meta's entry: the same directory, moved
# back and forth between its two names by alternating lookups; both names
# keep working (the inode is the same) and nothing else breaks.
test_directory_under_two_names() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /ok || { fail "creat /ok failed"; return 1; }
	famfs_mount --misbehave $ALIAS_CASES || return 1
	rc=0
	meta=$(ino $MNT/.meta) || { fail "stat .meta failed"; rc=1; }
	alias=$(timeout 10 stat -c %i $MNT/bad-alias-dir) || { fail "stat bad-alias-dir failed"; rc=1; }
	expect_eq "inode of bad-alias-dir" "$meta" "$alias" || rc=1
	i=0
	while [ $i -lt 50 ]; do
		timeout 10 stat $MNT/.meta/.log >/dev/null || { fail "round $i: .meta/.log failed"; rc=1; break; }
		timeout 10 stat $MNT/bad-alias-dir/.log >/dev/null || { fail "round $i: bad-alias-dir/.log failed"; rc=1; break; }
		i=$((i + 1))
	done
	[ "$(timeout 10 cat $MNT/ok | wc -c)" = 2097152 ] || { fail "the mount stopped working"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# Two lookups of the same directory under its two names race revalidations
# of both (the trigger's entries never stay valid: every access asks), for
# 20 s: with the name read in place, a revalidation could read a name torn
# by the move.
test_alias_moves_race_revalidation() {
	famfs_fresh || return 1
	famfs_mount --misbehave $ALIAS_CASES || return 1
	end=$(($(date +%s) + 20))
	for p in .meta bad-alias-dir .meta/.log bad-alias-dir/.superblock; do
		(while [ "$(date +%s)" -lt $end ]; do stat $MNT/$p >/dev/null 2>&1; done) &
	done
	wait
	rc=0
	timeout 10 stat $MNT/.meta/.log >/dev/null || { fail ".meta/.log failed after the race"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# A LOOKUP in a directory answered with the directory itself ("."): ELOOP.
# With its parent ("..", the root): EIO (a root nodeid is never a child).
test_dot_and_dotdot_lookups_refused() {
	famfs_fresh || return 1
	famfs_mount --misbehave $ALIAS_CASES || return 1
	rc=0
	for c in alias-dot alias-dotdot; do
		if out=$(timeout 10 stat $MNT/bad-$c/x 2>&1); then
			fail "$c: stat succeeded"; rc=1
		else
			diag "$c: ${out##*: }"
		fi
	done
	timeout 10 stat $MNT/bad-alias-dot/x 2>&1 | grep -q "Too many levels of symbolic links" ||
		{ fail "alias-dot: not ELOOP"; rc=1; }
	timeout 10 stat $MNT/bad-alias-dotdot/x 2>&1 | grep -q "Input/output error" ||
		{ fail "alias-dotdot: not EIO"; rc=1; }
	# The directories themselves still work.
	timeout 10 stat $MNT/bad-alias-dot >/dev/null || { fail "bad-alias-dot itself failed"; rc=1; }
	timeout 10 stat $MNT/.meta/.log >/dev/null || { fail "the mount stopped working"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# READDIR answers "." and ".." with made-up inode numbers (4242, 4343) and
# types (DT_REG), "." twice: getdents shows the directory's own inode for
# ".", its parent's (the root's) for "..", both DT_DIR (4), whatever the
# daemon said.
test_readdir_dots_are_the_kernels() {
	famfs_fresh || return 1
	famfs_mount --misbehave $ALIAS_CASES || return 1
	rc=0
	dir=$MNT/bad-readdir-dots
	self=$(ino $dir) root=$(ino $MNT)
	timeout 10 "$BIN/dirents" $dir >/tmp/dots.out 2>&1 || { fail "getdents failed: $(cat /tmp/dots.out)"; rc=1; }
	while read -r l; do diag "$l"; done </tmp/dots.out
	awk -v s="$self" -v r="$root" '
		$3 == "." { dot++; if ($1 != s || $2 != 4) bad = 1 }
		$3 == ".." { dotdot++; if ($1 != r || $2 != 4) bad = 1 }
		END { exit bad || !dot || !dotdot }' /tmp/dots.out ||
		{ fail "\".\" is not ($self, DT_DIR) or \"..\" not ($root, DT_DIR)"; rc=1; }
	famfs_umount || rc=1
	return $rc
}

# The mount is lazily unmounted while a process maps a file and holds one
# of its pages in a pipe, then the device is unbound: the removal takes
# the mapping away; the holder lets the page go and exits, which gives
# back the mount's last reference. If the removal still holds one of its
# own then, that one ends the mount (from a work queue: not from inside
# the device's notification, which the mount's end waits for). The
# revoke no longer waits for held pages (the driver's remove does, after
# it), so that window is narrow: the test reports how often it was hit. ROUNDS times (famfs_rs_test.alias_rounds, default 3).
# The daemon exits, the device comes home. (The holder does not touch
# the mapping: a fault waits for the removal's invalidate lock, held for as
# long as the page is. And it closes the pipe before its mapping goes.)
test_lazy_umount_races_device_removal() {
	rounds=$(param alias_rounds)
	rounds=${rounds:-3}
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M -m 0666 /mapped || { fail "creat failed"; return 1; }
	before=$(dmesg | grep -c 'a device went while its mount was unmounted')
	round=0
	while [ $round -lt "$rounds" ]; do
		famfs_mount || return 1
		"$BIN/pin_hold" $MNT/mapped >/tmp/hold.out 2>&1 &
		holder=$!
		sleep 2
		grep -q "^ok pinned" /tmp/hold.out || { diag "$(cat /tmp/hold.out)"; fail "round $round: no page pinned"; return 1; }
		umount -l $MNT || { fail "round $round: umount -l failed"; return 1; }
		echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/unbind &
		unbind=$!
		sleep 1
		kill $holder
		wait $holder
		wait $unbind || { fail "round $round: unbind failed"; return 1; }
		daemon_gone 60 || { fail "round $round: the daemon did not exit"; return 1; }
		devdax_home 30 || return 1
		round=$((round + 1))
	done
	n=$(($(dmesg | grep -c 'a device went while its mount was unmounted') - before))
	diag "$n of $rounds rounds ended the mount from the removal"
}
