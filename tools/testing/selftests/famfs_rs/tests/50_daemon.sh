# SPDX-License-Identifier: GPL-2.0
#
# famfs mounts served by the famfs daemon over /dev/famfs_rs: the namespace
# the log holds, files added later, permissions, the daemon dying, mount
# cycles, and a daemon that sends malformed replies on purpose.
#
# needs: dev famfs
# needs test_daemon_killed_enotconn: module
# needs test_mount_umount_cycles_no_leak: slab_counts

# Builds a namespace through the raw device and prints what a correct mount
# must show, one "path mode uid gid size type" line per entry (no size for
# directories), sorted.
make_namespace() {
	D="-D $FAMFS_DEV"
	famfs mkdir $D -m 0755 /d1 &&
		famfs mkdir $D -m 0700 -u 1000 -g 1000 /d1/private &&
		famfs mkdir $D -m 0751 -p /d2/deeper/deepest &&
		famfs creat $D -s 3M -m 0640 -u 1000 -g 100 /d1/f1 &&
		famfs creat $D -s 2M -m 0600 /top-secret &&
		famfs creat $D -s 4097 -m 0644 /pub &&
		famfs creat $D -s 6M -m 0444 -u 7 -g 8 /d2/deeper/deepest/leaf ||
		{ fail "building the namespace failed"; return 1; }
	cat <<EOF | sort
$MNT 755 0 0 directory
$MNT/d1 755 0 0 directory
$MNT/d1/f1 640 1000 100 3145728 regular file
$MNT/d1/private 700 1000 1000 directory
$MNT/d2 751 0 0 directory
$MNT/d2/deeper 751 0 0 directory
$MNT/d2/deeper/deepest 751 0 0 directory
$MNT/d2/deeper/deepest/leaf 444 7 8 6291456 regular file
$MNT/pub 644 0 0 4097 regular file
$MNT/top-secret 600 0 0 2097152 regular file
EOF
}

# What the mount shows, in make_namespace's format (.meta left out).
shown_namespace() {
	find $MNT | grep -v "^$MNT/\.meta" | sort | while read -r p; do
		stat -c '%n %a %u %g %s %F' "$p"
	done | awk '$NF == "directory" { $5 = "" } { $1 = $1; print }' | sed 's/  */ /g'
}

test_mount_shows_the_log_namespace() {
	famfs_fresh || return 1
	make_namespace >/tmp/ns.expected || return 1
	famfs_mount || return 1
	shown_namespace >/tmp/ns.shown
	ls -lR $MNT >/tmp/ls.out 2>&1 || { cat /tmp/ls.out; fail "ls -lR failed"; }
	famfs_umount
	if ! cmp -s /tmp/ns.expected /tmp/ns.shown; then
		diag "expected:"; while read -r l; do diag "  $l"; done </tmp/ns.expected
		diag "shown:"; while read -r l; do diag "  $l"; done </tmp/ns.shown
		fail "the mount does not show the namespace of the log"
		return 1
	fi
	diag "$(wc -l </tmp/ns.shown) entries as the log says; ls -lR: $(wc -l </tmp/ls.out) lines"
	grep -q "top-secret" /tmp/ls.out || fail "ls -lR does not list top-secret"
}

test_meta_directory() {
	famfs_fresh && famfs_mount || return 1
	mode=$(stat -c %a $MNT/.meta)
	ls -a $MNT/.meta >/tmp/meta.ls
	famfs_umount
	expect_eq ".meta mode" 700 "$mode" || return 1
	grep -q '^\.superblock$' /tmp/meta.ls && grep -q '^\.log$' /tmp/meta.ls ||
		fail ".meta lists: $(cat /tmp/meta.ls)"
}

# Files appended to the log after the mount show up without a remount.
# The CLI appends through MNT/.meta/.log and the daemon finds the entries
# by itself (on a lookup miss, a listing, or its 1 s refresh), exactly as
# for entries another host appends to the shared log. The raw device is
# with famfs_rs meanwhile: appending through it is refused.
test_files_added_after_mount_appear() {
	famfs_fresh && famfs_mount || return 1
	ls $MNT >/dev/null
	famfs creat -s 2M $MNT/late-mounted || { famfs_umount; fail "creat through the mount failed"; return 1; }
	stat $MNT/late-mounted >/dev/null 2>&1 || { famfs_umount; fail "late-mounted not visible"; return 1; }
	if famfs creat -D $FAMFS_DEV -s 2M /raw-while-mounted 2>/tmp/raw.err; then
		famfs_umount; fail "the raw device took an append while mounted"; return 1
	fi
	# The CLI refuses by name (the device is mounted); were it to try, the
	# device node itself would refuse (ENXIO: famfs_rs holds the device).
	grep -q "mounted on $MNT\|No such device or address" /tmp/raw.err ||
		{ famfs_umount; fail "the raw append failed otherwise than by the mount or ENXIO: $(tail -1 /tmp/raw.err)"; return 1; }
	famfs creat -s 4M -m 0640 $MNT/late-raw && famfs mkdir $MNT/late-dir ||
		{ famfs_umount; fail "creat/mkdir through the mount failed"; return 1; }
	seen=
	for _ in 1 2 3 4 5 6 7 8 9 10; do
		ls $MNT | grep -q '^late-raw$' && ls $MNT | grep -q '^late-dir$' && { seen=1; break; }
		sleep 0.5
	done
	size=$(stat -c %s $MNT/late-raw 2>/dev/null)
	famfs_umount || return 1
	[ -n "$seen" ] || fail "files appended after the mount did not appear in 5 s" || return 1
	expect_eq "late-raw size" 4194304 "$size"
}

# Modes and owners are enforced as on any file system.
test_permissions_enforced() {
	famfs_fresh || return 1
	make_namespace >/dev/null || return 1
	famfs_mount || return 1
	rc=0
	# uid gid path flags expected
	while read -r u g p f want; do
		got=$("$BIN/open_as" "$u" "$g" "$MNT/$p" "$f")
		[ "$got" = "$want" ] || { fail "open_as $u:$g $p $f: expected $want, got $got"; rc=1; }
	done <<EOF
65534 65534 top-secret rdonly EACCES
65534 65534 pub rdonly ok
65534 65534 pub rdwr EACCES
1000 1000 d1/f1 rdwr ok
1001 100 d1/f1 rdonly ok
1001 100 d1/f1 rdwr EACCES
1001 1001 d1/f1 rdonly EACCES
65534 65534 d1/private/x rdonly EACCES
1000 1000 d1/private/x rdonly ENOENT
0 0 top-secret rdwr ok
EOF
	famfs_umount || return 1
	return $rc
}

# SIGKILL of the daemon: calls fail with ENOTCONN at once (well within the
# 1 s the issue asks; the bound here is generous, to catch a hang), and
# the mount can be unmounted and the module removed.
test_daemon_killed_enotconn() {
	famfs_fresh && famfs_mount || return 1
	stat $MNT >/dev/null
	kill -9 "$(daemon_pid)" || { fail "no daemon pid"; return 1; }
	sleep 0.2
	t0=$(date +%s)
	got=$(timeout 5 "$BIN/open_as" 0 0 "$MNT/never-looked-up" rdonly)
	err=$(timeout 5 stat -f $MNT 2>&1)
	t1=$(date +%s)
	expect_eq "open after the daemon died" ENOTCONN "$got" || { umount $MNT; return 1; }
	echo "$err" | grep -q "not connected" || fail "statfs: $err"
	[ $((t1 - t0)) -le 2 ] || fail "ENOTCONN took $((t1 - t0)) s"
	# famfs umount also gives back the devices the dead daemon had taken.
	famfs umount --timeout 60 $MNT || { fail "umount after the daemon died failed"; return 1; }
	devdax_home 30 || return 1
	rmmod famfs_rs || fail "rmmod after the daemon died failed"
}

mount_list_umount() {
	famfs_mount && ls -lR $MNT >/dev/null && famfs_umount
}

# 50 mount/umount cycles (after 50 of warm-up) leave no slab growth; the
# harness fails the test on any WARN in between.
# vmap_area is left out: each cycle starts processes (famfs, the daemon and
# its threads) whose vmalloc'ed kernel stacks are freed lazily, purged only
# past lazy_max_pages; famfs_rs itself allocates nothing with vmalloc.
# Each cycle hands the device to famfs_rs and back (two page-map setups
# of 1 GiB): about 5 s under TCG, hence 10 warm-up cycles and more time.
# timeout test_mount_umount_cycles_no_leak 900
test_mount_umount_cycles_no_leak() {
	famfs_fresh || return 1
	make_namespace >/dev/null || return 1
	SLAB_IGNORE=vmap_area no_slab_growth 50 mount_list_umount 10
}

# A daemon that answers with malformed replies (famfs mount --misbehave):
# every case fails only the call it answers, never the mount; the kernel
# counts the refusals and logs nothing worse than rate-limited lines (the
# harness fails the test on any WARN/BUG).
test_malformed_replies_fail_calls_not_the_mount() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /ok || { fail "creat /ok failed"; return 1; }
	famfs_mount --misbehave all || return 1
	famfs daemon --list-misbehave-cases --verbose >/tmp/cases
	before=$(counter bad_replies)
	n=0 ok=0 deferred=0 failing=0 rc=0
	while IFS='	' read -r c action outcome _; do
		case $c in
		fmap-* | daxdev-*)
			# GET_FMAP/GET_DAXDEV cases: test_malformed_fmaps_fail_open.
			deferred=$((deferred + 1))
			continue ;;
		init-* | release-*) continue ;; # mount-wide: 36_background's
		esac
		n=$((n + 1))
		[ "$outcome" = fails ] && failing=$((failing + 1))
		case $action in
		stat) timeout 10 stat $MNT/bad-$c >/dev/null 2>&1 ;;
		statin) timeout 10 stat $MNT/bad-$c/x >/dev/null 2>&1 ;;
		ls) timeout 10 "$BIN/list_dir" $MNT/bad-$c >/dev/null 2>&1 ;;
		statfs) timeout 10 stat -f $MNT/bad-$c >/dev/null 2>&1 ;;
		open) timeout 10 cat $MNT/bad-$c >/dev/null 2>&1 ;;
		openstat)
			# The file held open (its map cached), then stat'ed.
			exec 4<$MNT/bad-$c || { fail "case $c: the open itself failed"; rc=1; continue; }
			timeout 10 stat $MNT/bad-$c >/dev/null 2>&1
			r=$?
			exec 4<&-
			(exit $r) ;;
		*) fail "case $c: unknown action $action"; rc=1; continue ;;
		esac
		r=$?
		[ $r -eq 124 ] && { fail "case $c: $action hung"; rc=1; continue; }
		if [ "$outcome" = fails ] && [ $r -eq 0 ]; then
			fail "case $c: $action succeeded"; rc=1
		elif [ "$outcome" = succeeds ] && [ $r -ne 0 ]; then
			fail "case $c: $action failed"; rc=1
		else
			ok=$((ok + 1))
		fi
		# The mount still works (the root lists bad-* entries, which ls
		# would stat: check a good file and a good directory instead).
		healthy=$(timeout 10 "$BIN/open_as" 0 0 $MNT/ok rdonly; timeout 10 "$BIN/list_dir" $MNT/.meta)
		[ "$healthy" = "ok
ok 4" ] || { fail "case $c: the mount stopped working: $healthy"; rc=1; }
	done </tmp/cases
	after=$(counter bad_replies)
	famfs_umount || rc=1
	# Every failing case is a reply the core refuses, except
	# getattr-type-change, which is well-formed and caught by the inode
	# (the type of a node never changes), and alias-dot, well-formed and
	# refused by the VFS (a directory inside itself).
	refused=$((after - before))
	diag "malformed-reply cases: $n exercised, $ok as expected ($failing fail, $((n - failing)) succeed); $deferred GET_FMAP/GET_DAXDEV cases are 60_dax's; the kernel refused $refused replies"
	expect_eq "replies refused" $((failing - 2)) $refused || rc=1
	log=$(ls /var/log/famfs_rs/mnt-famfs.log /run/famfs_rs/mnt-famfs.log 2>/dev/null | head -1)
	# header-short is the one case whose request the kernel cannot name (no
	# unique in 8 bytes): the daemon's follow-up error ends it, as it must.
	if grep "KEPT" "$log" | grep -qv "misbehave header-short:"; then
		grep "KEPT" "$log" | while read -r l; do diag "$l"; done
		fail "the kernel kept a request it should have failed"
		rc=1
	fi
	return $rc
}

# A daemon whose INIT reply is wrong: the mount fails, nothing is left.
test_malformed_init_fails_the_mount() {
	famfs_fresh || return 1
	rc=0
	for c in $(famfs daemon --list-misbehave-cases --verbose | awk -F'\t' '$3 == "fails" && $2 == "mount" { print $1 }'); do
		if famfs mount --misbehave "$c" $FAMFS_DEV $MNT >/tmp/mount.out 2>&1; then
			famfs umount --timeout 60 $MNT
			fail "case $c: mount succeeded"; rc=1
		else
			diag "case $c: $(tail -1 /tmp/mount.out)"
		fi
		grep -q " $MNT " /proc/mounts && { fail "case $c: left mounted"; umount $MNT; rc=1; }
	done
	return $rc
}
