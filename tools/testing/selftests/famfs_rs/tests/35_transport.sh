# SPDX-License-Identifier: GPL-2.0
#
# The control device's transport rules, checked message by message by
# control_probe playing a daemon (no famfs daemon involved): non-blocking
# reads and poll, signals, every class of malformed INIT reply (the write's
# errno and what the waiting mount(2) gets), INTERRUPT, and the daemon
# going away.
#
# needs:

transport_setup() {
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $MNT
}

probe() { run_shown control_probe "$@"; }

test_control_nonblock_poll_and_header_rules() {
	transport_setup && probe nonblock
}

test_control_read_interrupted_by_signal() {
	transport_setup && probe signal
}

test_init_good_then_daemon_gone_enotconn() {
	transport_setup && probe init $MNT good || return 1
	! grep -q " $MNT " /proc/mounts || fail "$MNT still mounted"
}

# Each malformed INIT reply: the daemon's write fails (EINVAL), the mount
# fails with EIO (EPROTO for a version mismatch), the connection is shut.
test_init_malformed_replies() {
	transport_setup || return 1
	rc=0
	for c in badlen errno-range daemon-error version short-body too-long unoffered-flag; do
		diag "case $c"
		probe init $MNT "$c" || rc=1
		if grep -q " $MNT " /proc/mounts; then
			umount $MNT
			fail "case $c: mounted anyway"
			rc=1
		fi
	done
	return $rc
}

# A daemon that reads INIT and never answers: mount(2) gives up with
# ETIMEDOUT (15 s) instead of holding a locked super block (and sync(2))
# forever.
test_init_unanswered_times_out() {
	transport_setup && probe init $MNT silent
}

# A daemon without CAP_SYS_RAWIO (CAP_SYS_ADMIN kept: it may open the
# control device and mount) is not offered the dax mode and cannot take
# it anyway: its file maps would hand out raw device memory.
test_dax_mode_needs_cap_sys_rawio() {
	transport_setup && probe init $MNT norawio || return 1
	! grep -q " $MNT " /proc/mounts || { umount $MNT; fail "$MNT mounted"; }
}

test_init_daemon_gone_mount_enotconn() {
	transport_setup && probe init $MNT daemon-gone
}

# Signals and a waiting caller, as FUSE has them: a killed caller's request
# is interrupted and withdrawn; a caught signal after the daemon read the
# request interrupts it but the caller still gets the daemon's answer (a
# stat() does not fail with EINTR); before the read, the call restarts.
test_interrupt_after_caller_killed() {
	transport_setup && probe init $MNT signal-killed
}

test_interrupt_caught_signal_still_answered() {
	transport_setup && probe init $MNT signal-answered
}

test_signal_before_read_restarts_call() {
	transport_setup && probe init $MNT signal-unread
}

# A signal reaches mount(2) before the daemon has read INIT: the request is
# withdrawn and mount(2) restarts (SA_RESTART), or fails with EINTR; the
# connection is untouched, so the mount then works.
test_signal_during_mount_restarts_it() {
	transport_setup && probe mountsig $MNT restart
}

test_signal_during_mount_eintr_then_mount_again() {
	transport_setup && probe mountsig $MNT eintr
}

# The daemon's malformed replies are logged, but rate-limited: a burst of
# 200 bad writes may add at most a few lines to the kernel log.
test_bad_replies_log_ratelimited() {
	transport_setup || return 1
	before=$(dmesg | grep -c 'famfs_rs: refused a reply')
	i=0
	while [ $i -lt 20 ]; do
		"$BIN/control_probe" nonblock >/dev/null
		i=$((i + 1))
	done
	after=$(dmesg | grep -c 'famfs_rs: refused a reply')
	diag "refused-reply log lines: $((after - before)) for 120 malformed writes"
	[ $((after - before)) -le 20 ] || fail "not rate-limited: $((after - before)) lines"
}
