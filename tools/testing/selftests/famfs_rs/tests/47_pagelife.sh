# SPDX-License-Identifier: GPL-2.0
#
# Page lifetime: a page of a famfs file that a pipe took with vmsplice()
# outlives every mapping of the file. Before 6.15 the kernel neither sees
# it (dax_layout_busy_page() looks only while the file is mapped) nor
# waits for it before the device's struct pages go. famfs_rs waits: the
# umount for the page (killably), the device's removal (unbind) for it
# before its page map goes; nothing warns, and an interrupted umount
# leaves the wait to the removal.
#
# needs: dev famfs

# hold_page FILE: a page_hold process holding FILE's first page in a pipe;
# its pid in $holder.
hold_page() {
	local i=0
	rm -f /tmp/page_hold.out
	"$BIN/page_hold" "$1" >/tmp/page_hold.out 2>&1 &
	holder=$!
	until grep -q '^held$' /tmp/page_hold.out; do
		i=$((i + 1))
		if [ $i -gt 100 ] || ! kill -0 $holder 2>/dev/null; then
			diag "$(cat /tmp/page_hold.out)"
			fail "page_hold $1 did not take the page"
			return 1
		fi
		sleep 0.1
	done
}

# let_go: ends the page_hold process, and with it the pipe.
let_go() {
	kill $holder 2>/dev/null
	wait $holder 2>/dev/null
	return 0
}

# still_running PID WHAT: PID has not finished.
still_running() {
	kill -0 "$1" 2>/dev/null || fail "$2 finished while the page was still held"
}

# logged PATTERN: the kernel log says PATTERN (within 10 s).
logged() {
	local i=0
	until dmesg | grep -q "$1"; do
		i=$((i + 1))
		[ $i -gt 100 ] && { fail "no kernel log line matching '$1'"; return 1; }
		sleep 0.1
	done
}

held_setup() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 3M -m 0666 /f || { fail "creat /f failed"; return 1; }
	famfs_mount || return 1
	hold_page $MNT/f || { famfs_umount; return 1; }
	dmesg -c >/dev/null
}

# A routine umount while a pipe holds a page of a file: the umount waits
# for the page, saying so, and finishes once the pipe lets it go; the
# device goes back to device_dax; no warning (before: fs/dax.c warned as
# the file's entry was truncated, and the device's page map went while the
# pipe held a page of it).
# timeout test_umount_waits_for_held_page 300
test_umount_waits_for_held_page() {
	local rc=0 um
	held_setup || return 1
	umount $MNT &
	um=$!
	sleep 8
	if [ $DAXDRV = famfs_rs ]; then
		still_running $um "umount" || rc=1
		logged "file node .* waits for its page at device offset" || rc=1
	fi
	let_go
	wait $um || { fail "umount exited $?"; rc=1; }
	grep -q " $MNT " /proc/mounts && { fail "$MNT still mounted"; rc=1; }
	devdax_home 120 || rc=1
	return $rc
}

# The umount's wait is killable: SIGKILL ends it and the unmount goes on;
# the daemon's give-back (the device's unbind) then waits for the page,
# saying so, until the pipe lets it go.
# timeout test_umount_wait_killable 300
test_umount_wait_killable() {
	local rc=0 um
	needs_own_daxdrv || return $?
	held_setup || return 1
	umount $MNT &
	um=$!
	logged "file node .* waits for its page" || rc=1
	kill -9 $um
	wait $um 2>/dev/null
	grep -q " $MNT " /proc/mounts && { fail "$MNT still mounted after the umount was killed"; rc=1; }
	logged "umount interrupted while a page of it is held" || rc=1
	logged "unbinding waits for the page at offset" || rc=1
	daemon_gone 3 && { fail "the daemon gave the device back while the page was held"; rc=1; }
	let_go
	devdax_home 120 || rc=1
	return $rc
}

# The device is unbound while mounted and a pipe holds a page: the mount's
# files fail from then on, the unbind waits for the page, and finishes
# once the pipe lets it go; no warning.
# timeout test_unbind_waits_for_held_page 300
test_unbind_waits_for_held_page() {
	local rc=0 ub
	needs_own_daxdrv || return $?
	held_setup || return 1
	echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/unbind &
	ub=$!
	logged "unbinding waits for the page at offset" || rc=1
	still_running $ub "the unbind" || rc=1
	cat $MNT/f >/dev/null 2>&1 && { fail "a file read after its device went"; rc=1; }
	let_go
	wait $ub || { fail "unbind exited $?"; rc=1; }
	famfs_umount || rc=1
	devdax_home 120 || rc=1
	return $rc
}

# Reads copy the device's memory with machine-check-safe copies
# (DAXDEV_NOMC), read back from the dax device: 1 in debugfs.
test_reads_machine_check_safe() {
	local rc=0 f=/sys/kernel/debug/famfs_rs_dax/$DEVNAME/mc_safe
	needs_own_daxdrv || return $?
	famfs_fresh || return 1
	famfs_mount || return 1
	expect_eq "$f" 1 "$(cat $f 2>&1)" || rc=1
	famfs_umount || rc=1
	devdax_home || rc=1
	return $rc
}
