# SPDX-License-Identifier: GPL-2.0
#
# Requests nobody waits for, and requests many wait for: RELEASE and
# RELEASEDIR go on a background queue that never blocks a close (even
# when the daemon never answers them), and concurrent cold opens of one
# file (one device) send one GET_FMAP (one GET_DAXDEV), the others waiting
# for its answer.
#
# needs: dev famfs
# needs test_concurrent_cold_opens_coalesce: dev2

daemon_log() { ls /var/log/famfs_rs/mnt-famfs.log /run/famfs_rs/mnt-famfs.log 2>/dev/null | head -1; }

# The daemon's own count of opcode OP at its last connection's end.
daemon_count() {
	sed -n 's/.*connection closed: served [0-9]* requests (opcode:count \([0-9: ]*\)).*/\1/p' "$(daemon_log)" |
		tail -n 1 | tr ' ' '\n' | awk -F: -v op="$1" '$1 == op { n = $2 } END { print n + 0 }'
}

# A daemon that reads RELEASE and RELEASEDIR and never answers them: 400
# opens and closes each of two directories and a file (1200 releases:
# more than the 64 calls that may wait for a reply at once, and than the
# 1024 background requests kept awaiting a reply) finish, and the mount
# then works as before. Before the background queue, the 65th open
# blocked for good.
test_unanswered_releases_never_block() {
	famfs_fresh || return 1
	famfs mkdir -D $FAMFS_DEV /d && famfs creat -D $FAMFS_DEV -s 2M /f ||
		{ fail "building the namespace failed"; return 1; }
	famfs_mount --misbehave release-unanswered || return 1
	rc=0
	up0=$(counter upcalls)
	timeout 120 "$BIN/open_storm" 1 400 $MNT/d $MNT/f $MNT/.meta >/tmp/storm.out 2>&1
	r=$?
	if [ $r -eq 0 ]; then
		diag "$(cat /tmp/storm.out) in $(($(counter upcalls) - up0)) upcalls"
	elif [ $r -eq 124 ] || [ $r -eq 143 ]; then
		fail "1200 opens and closes hung (after $(($(counter upcalls) - up0)) upcalls)"; rc=1
	else
		fail "open_storm: $(cat /tmp/storm.out)"; rc=1
	fi
	# Ordinary use still works, well within a generous bound.
	out=$(timeout 10 "$BIN/list_dir" $MNT/d; timeout 10 "$BIN/open_as" 0 0 $MNT/f rdonly; timeout 10 stat -c %s $MNT/f)
	[ "$out" = "ok 2
ok
2097152" ] || { fail "the mount stopped working after the unanswered releases: $out"; rc=1; }
	diag "releases dropped: $(counter releases_dropped 2>/dev/null || echo n/a)"
	timeout 60 famfs umount --timeout 30 $MNT >/dev/null 2>&1 || { fail "umount failed or hung"; umount -l $MNT; rc=1; }
	return $rc
}

# A daemon that reads nothing at all (control_probe playing one): the
# mount's root directory, opened 1100 times, is closed 1100 times without
# a close blocking; the module keeps 1024 RELEASEDIRs for the daemon and
# drops (counts, logs) the rest, and the daemon then reads exactly those.
test_unread_releases_bounded_never_block() {
	leftovers_cleared
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $MNT
	# The module's log budget is one for all its rate-limited messages (10
	# per 5 s): 35_transport's bad replies, just before, may have spent it.
	sleep 6
	before=$(dmesg | grep -c 'the daemon reads no requests')
	run_shown control_probe init $MNT releases-unread || return 1
	after=$(dmesg | grep -c 'the daemon reads no requests')
	diag "drop log lines: $((after - before)) for 76 drops"
	[ $((after - before)) -ge 1 ] && [ $((after - before)) -le 20 ] ||
		fail "expected between 1 and 20 rate-limited drop lines, got $((after - before))"
}

# Eight processes open the same five files (on two devices) cold, at once:
# one GET_FMAP per file and one GET_DAXDEV per device reach the daemon, as
# the module's counters and the daemon's own count agree.
test_concurrent_cold_opens_coalesce() {
	famfs_fresh || return 1
	[ -e $FAMFS_DEV2 ] || { fail "no second devdax ($FAMFS_DEV2)"; return 1; }
	famfs adddev -D $FAMFS_DEV $FAMFS_DEV2 >/dev/null || { fail "adddev failed"; return 1; }
	D="-D $FAMFS_DEV --daxdev $FAMFS_DEV2"
	files=""
	for i in 1 2 3 4 5; do
		famfs creat $D -s 4M -N 2 -C 2M --devices 0,1 /c$i || { fail "creat /c$i failed"; return 1; }
		files="$files $MNT/c$i"
	done
	famfs_mount --daxdev $FAMFS_DEV2 || return 1
	rc=0
	# The daemon opens the .meta files itself, sometime: their maps (on
	# device 0) are loaded first, so that only the five files' count.
	: <$MNT/.meta/.log && : <$MNT/.meta/.superblock || { fail "opening the .meta files failed"; rc=1; }
	# A map comes with the LOOKUP reply (37_lookup_fmap) or by GET_FMAP:
	# either way one per file is taken.
	f0=$(($(counter fmaps) + $(counter lookup_fmaps))) d0=$(counter daxdev_gets)
	# shellcheck disable=SC2086
	run_shown open_storm 8 1 $files || rc=1
	fmaps=$(($(counter fmaps) + $(counter lookup_fmaps) - f0)) gets=$(counter daxdev_gets)
	ftotal=$(counter fmaps)
	diag "8 cold openers of 5 files: $fmaps maps taken, GET_DAXDEV $d0 before (device 0) and $gets after (2 devices)"
	expect_eq "maps taken for 5 files" 5 $fmaps || rc=1
	expect_eq "GET_DAXDEV for 2 devices" 2 $gets || rc=1
	famfs_umount || rc=1
	# The daemon counted the same (the module's counters count requests
	# queued, the daemon's requests read).
	expect_eq "daemon's GET_FMAP count" $ftotal "$(daemon_count 54)" || rc=1
	expect_eq "daemon's GET_DAXDEV count" $gets "$(daemon_count 55)" || rc=1
	return $rc
}
