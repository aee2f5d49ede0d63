# SPDX-License-Identifier: GPL-2.0
#
# The hostile-daemon fuzzer (userspace/crates/famfs-hostile) against the
# live module: a famfs on /dev/dax1.0 is mounted again and again, served
# by the real daemon whose replies are mutated, held back, repeated and
# sent for other requests, while worker processes stat, read, mmap-fault
# and list the mount. Every write's result must be the one the core's
# checks give, every failed call a clean errno, every stop bounded; the
# harness fails the test on any kernel report. Then umount and rmmod.
#
# The seed and the number of replies come from the kernel command line
# (famfs_rs_test.fuzz_seed, famfs_rs_test.fuzz_replies; make soak raises
# the replies), else 1 and 10,000; famfs_rs_test.fuzz_seconds runs for
# that long instead (make fuzz-long).
#
# needs: famfs
# needs test_hostile_daemon_fuzz: dev2 cmd:famfs-hostile module
# needs test_hostile_fuzzer_catches_a_wrong_oracle: dev2 cmd:famfs-hostile
# needs test_unheld_daxdev_replies_log_ratelimited: dev

FUZZ_DEV=$FAMFS_DEV2
FUZZ_MNT=/mnt/hostile

# A famfs on the second device: files of several sizes, interleaved and
# not, in nested directories.
fuzz_fs() {
	leftovers_cleared
	devdax_home || return 1
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $FUZZ_MNT
	D="-D $FUZZ_DEV"
	quietly famfs mkfs --force $FUZZ_DEV &&
		quietly famfs mkdir $D -p /a/b/c &&
		quietly famfs mkdir $D /d &&
		quietly famfs creat $D -s 4097 /small &&
		quietly famfs creat $D -s 6M /a/six &&
		quietly famfs creat $D -s 2M /a/b/two &&
		quietly famfs creat $D -N 2 -s 8M /a/b/c/striped &&
		quietly famfs creat $D -N 3 -C 4M -s 20M /d/wide &&
		quietly famfs creat $D -s 16M /d/big &&
		quietly famfs creat $D -M /f1,2M -M /f2,4M -M /f3,3M -M /f4,1M -M /f5,8M
}

kernel_reports() {
	dmesg | grep -cE 'WARNING:|BUG:|Oops|KASAN|UBSAN|circular locking|inconsistent lock|general protection|INFO: task .* blocked'
}

hostile() {
	famfs-hostile run --device $FUZZ_DEV --mountpoint $FUZZ_MNT "$@" >/tmp/hostile.out 2>&1
	r=$?
	while read -r l; do diag "$l"; done </tmp/hostile.out
	return $r
}

# timeout test_hostile_daemon_fuzz 1800
test_hostile_daemon_fuzz() {
	fuzz_fs || return 1
	seed=$(param fuzz_seed)
	replies=$(param fuzz_replies)
	seconds=$(param fuzz_seconds)
	before=$(kernel_reports)
	t0=$(date +%s)
	if [ -n "$seconds" ]; then
		hostile --seed "${seed:-1}" --seconds "$seconds"
	else
		hostile --seed "${seed:-1}" --replies "${replies:-10000}"
	fi
	r=$?
	t1=$(date +%s)
	reports=$(($(kernel_reports) - before))
	diag "hostile daemon: $((t1 - t0)) s, kernel reports: $reports"
	[ $r -eq 0 ] || { fail "famfs-hostile failed (exit $r)"; return 1; }
	[ "$reports" -eq 0 ] || { fail "$reports kernel reports"; return 1; }
	grep -q "^famfs-hostile: PASSED" /tmp/hostile.out || { fail "no PASSED line"; return 1; }
	! grep -q " $FUZZ_MNT " /proc/mounts || { fail "$FUZZ_MNT still mounted"; return 1; }
	# Nothing was written through the mount: the file system is intact.
	quietly famfs fsck $FUZZ_DEV || return 1
	devdax_home 60 || return 1
	rmmod famfs_rs || { fail "rmmod after the fuzzing failed"; return 1; }
}

# The fuzzer's own checks can fail: with a deliberately wrong oracle
# (replies the core refuses are said to be taken), the run must report
# mismatches and exit 1.
test_hostile_fuzzer_catches_a_wrong_oracle() {
	fuzz_fs || return 1
	if hostile --seed 7 --replies 300 --per-mount 300 --init-every 0 --abort-every 0 --sabotage; then
		fail "famfs-hostile --sabotage passed"
		return 1
	fi
	grep -q "FAILED: [0-9]* replies judged otherwise" /tmp/hostile.out ||
		{ fail "no mismatch reported"; return 1; }
	devdax_home 60
}

# A daemon that answers GET_DAXDEV, again and again, with a device that
# famfs_rs does not hold (famfs mount --misbehave daxdev-not-bound): every
# open fails, and the kernel log takes at most a few lines, rate-limited
# as for every reply the transport refuses, not one line per reply (a
# daemon must not be able to flood the kernel log).
test_unheld_daxdev_replies_log_ratelimited() {
	famfs_fresh || return 1
	famfs_mount --misbehave daxdev-not-bound || return 1
	# The module's log budget (10 lines per 5 s) refills after earlier
	# tests' refusals, so that the first claims do log.
	sleep 6
	before=$(dmesg | grep -cE 'is not bound to the famfs_rs dax driver|is not a dax device bound to|is not bound to fsdev_dax|finds dax devices by number only')
	i=0 opened=0
	while [ $i -lt 100 ]; do
		[ "$(timeout 10 "$BIN/open_as" 0 0 $MNT/bad-daxdev-not-bound rdonly)" = ok ] && opened=$((opened + 1))
		i=$((i + 1))
	done
	lines=$(($(dmesg | grep -cE 'is not bound to the famfs_rs dax driver|is not a dax device bound to|is not bound to fsdev_dax|finds dax devices by number only') - before))
	famfs_umount || return 1
	diag "100 opens answered with an unheld device: $opened opened, $lines kernel log lines"
	[ $opened -eq 0 ] || { fail "$opened opens succeeded"; return 1; }
	[ $lines -ge 1 ] || { fail "no log line at all: the device was never claimed"; return 1; }
	[ $lines -le 20 ] || fail "not rate-limited: $lines lines for 100 replies"
}
