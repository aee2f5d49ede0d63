# SPDX-License-Identifier: GPL-2.0
#
# A file's map with its LOOKUP reply (FAMFS_RS_INIT_LOOKUP_FMAP, famfs_rs
# protocol 4): a cold open is one round trip, LOOKUP, and sends no
# GET_FMAP; an older daemon (protocol 3) gets GET_FMAP as before; a bad
# map in a LOOKUP reply, or one the daemon did not agree to send, fails
# the lookup cleanly (EIO, a bad reply counted).
#
# needs: dev famfs

daemon_log() { ls /var/log/famfs_rs/mnt-famfs.log /run/famfs_rs/mnt-famfs.log 2>/dev/null | head -1; }

# The daemon's own count of opcode OP at its last connection's end.
daemon_count() {
	sed -n 's/.*connection closed: served [0-9]* requests (opcode:count \([0-9: ]*\)).*/\1/p' "$(daemon_log)" |
		tail -n 1 | tr ' ' '\n' | awk -F: -v op="$1" '$1 == op { n = $2 } END { print n + 0 }'
}

NFILES=8

# A fresh file system with $NFILES files of 2 MiB, mounted with "$@".
lookup_fmap_setup() {
	famfs_fresh || return 1
	for i in $(seq 1 $NFILES); do
		famfs creat -D $FAMFS_DEV -s 2M /f$i || { fail "creat /f$i failed"; return 1; }
	done
	famfs_mount "$@"
}

# Opens (and closes) every file once.
open_all() {
	for i in $(seq 1 $NFILES); do
		: <$MNT/f$i || return 1
	done
}

# Cold opens right after mount and after drop_caches (inodes and dentries
# gone): every map comes with LOOKUP, no GET_FMAP is sent, by the module's
# counters and by the daemon's own count.
test_cold_open_sends_no_get_fmap() {
	lookup_fmap_setup || return 1
	rc=0
	f0=$(counter fmaps) l0=$(counter lookup_fmaps)
	open_all || { fail "opening the files failed"; rc=1; }
	diag "cold after mount: GET_FMAP $(($(counter fmaps) - f0)), maps from LOOKUP $(($(counter lookup_fmaps) - l0))"
	expect_eq "GET_FMAP for $NFILES cold opens" 0 $(($(counter fmaps) - f0)) || rc=1
	expect_eq "maps from LOOKUP replies" $NFILES $(($(counter lookup_fmaps) - l0)) || rc=1
	echo 3 >/proc/sys/vm/drop_caches
	f0=$(counter fmaps) l0=$(counter lookup_fmaps)
	open_all || { fail "opening the files after drop_caches failed"; rc=1; }
	diag "cold after drop_caches: GET_FMAP $(($(counter fmaps) - f0)), maps from LOOKUP $(($(counter lookup_fmaps) - l0))"
	expect_eq "GET_FMAP after drop_caches" 0 $(($(counter fmaps) - f0)) || rc=1
	expect_eq "maps from LOOKUP after drop_caches" $NFILES $(($(counter lookup_fmaps) - l0)) || rc=1
	ftotal=$(counter fmaps) bad=$(counter bad_replies)
	expect_eq "bad replies" 0 "$bad" || rc=1
	famfs_umount || rc=1
	expect_eq "daemon's GET_FMAP count" "$ftotal" "$(daemon_count 54)" || rc=1
	return $rc
}

# A daemon speaking protocol 3 (as an older famfs): no maps with LOOKUP,
# one GET_FMAP per cold open, as before.
test_old_daemon_gets_get_fmap() {
	lookup_fmap_setup --famfs-rs-proto 3 || return 1
	rc=0
	f0=$(counter fmaps) l0=$(counter lookup_fmaps)
	open_all || { fail "opening the files failed"; rc=1; }
	diag "protocol 3: GET_FMAP $(($(counter fmaps) - f0)), maps from LOOKUP $(($(counter lookup_fmaps) - l0))"
	expect_eq "GET_FMAP for $NFILES cold opens" $NFILES $(($(counter fmaps) - f0)) || rc=1
	expect_eq "maps from LOOKUP replies" 0 $(($(counter lookup_fmaps) - l0)) || rc=1
	famfs_umount || rc=1
	return $rc
}

# The two misbehave cases: each fails its stat and open with EIO and a bad
# reply counted; the mount goes on working.
test_bad_lookup_maps_fail_cleanly() {
	rc=0
	for c in lookup-fmap-bad lookup-fmap-unasked; do
		lookup_fmap_setup --misbehave $c || return 1
		b0=$(counter bad_replies)
		out=$(timeout 10 stat $MNT/bad-$c 2>&1)
		r=$?
		diag "$c: stat exited $r: $out"
		[ $r -ne 0 ] && echo "$out" | grep -q "Input/output error" ||
			{ fail "$c: stat did not fail with EIO"; rc=1; }
		timeout 10 cat $MNT/bad-$c >/dev/null 2>&1 && { fail "$c: open succeeded"; rc=1; }
		bad=$(($(counter bad_replies) - b0))
		diag "$c: bad replies counted: $bad"
		[ "$bad" -ge 1 ] || { fail "$c: no bad reply counted"; rc=1; }
		open_all || { fail "$c: the other files no longer open"; rc=1; }
		famfs_umount || rc=1
	done
	return $rc
}
