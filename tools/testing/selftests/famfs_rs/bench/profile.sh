# SPDX-License-Identifier: GPL-2.0
#
# Where the time of a missed target goes: perf in the guest, sampling all
# CPUs, kernel and user, while one case runs long enough; the hottest
# symbols go out as "# profile" lines. Only with
# famfs_rs_test.bench_profile=1, in an initramfs built with perf
# (BENCH_PROFILE=1 make bench). Sourced by bench.sh.
#
# The test kernel has no high-resolution timers, so perf's cpu-clock
# samples once per tick (4 ms of guest time, 4 million instructions under
# -icount shift=0): each case is repeated until it has run some billions
# of instructions, a few hundred samples or more. Idle samples (the other
# vCPU waiting) are left out of the shares.

# profile NAME PROGRAM ARGS...: records PROGRAM, reports the top symbols.
profile() {
	local name=$1
	shift
	perf record -q -a -e cpu-clock -o /tmp/perf.$name -- "$@" >/tmp/perf.$name.out 2>&1 ||
		{ say "profile $name: perf record failed: $(tail -n 2 /tmp/perf.$name.out)"; return; }
	say "profile $name: $(tail -n 1 /tmp/perf.$name.out)"
	perf report -q -i /tmp/perf.$name --stdio --no-children --sort sym \
		--symbol-filter= 2>/dev/null | grep -v -e '^$' -e 'safe_halt' -e 'do_idle' |
		head -n ${PROFILE_LINES:-40} | while read -r l; do say "profile $name: $l"; done
}

# Five cold passes of the open case, caches dropped before each (a
# command line of its own: perf runs programs, not shell functions).
COLD_PASSES=". /bench/lib.sh; for i in 1 2 3 4 5; do drop_caches; opens $MNT/many \$1; done"

profile_cases() {
	command -v perf >/dev/null || { bench_fail "no perf in this initramfs (BENCH_PROFILE=1)"; return 1; }
	echo 0 >/proc/sys/kernel/kptr_restrict
	echo -1 >/proc/sys/kernel/perf_event_paranoid
	famfs_mount >/dev/null 2>&1 || { bench_fail "famfs mount"; return 1; }
	# Warm: the file's map and the device are known before the faults.
	head -c 1 $MNT/bench/fault >/dev/null
	profile fault_famfs faults $MNT/bench/fault $FMAP 20000 1
	profile fault_devdax faults $RAW_DEV $FMAP 20000 1 $SEQ
	profile open_famfs sh -c "$COLD_PASSES" sh $FILES
	famfs_umount >/dev/null
	famfs_mount --plain-fuse >/dev/null 2>&1 || { bench_fail "famfs mount --plain-fuse"; return 1; }
	profile open_fuse sh -c "$COLD_PASSES" sh $FILES
	famfs_umount >/dev/null
}
