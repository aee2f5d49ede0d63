# SPDX-License-Identifier: GPL-2.0
#
# Requests nobody waits for, and requests many wait for: RELEASE and
# RELEASEDIR go on a background queue that never blocks a close (even
# when the daemon never answers them), and concurrent cold opens of one
# file (one device) send one GET_FMAP (one GET_DAXDEV), the others waiting
# for its answer.

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
