# SPDX-License-Identifier: GPL-2.0
#
# Where a cold open's time goes (famfs_rs_test.bench_only=opens, set by
# BENCH_ONLY=opens make bench): the open cases alone (a run of minutes, not
# the whole bench's half hour), each pass with the context switches and
# interrupts it took, the idle states entered, and the CPU time of the
# tasks that ran (the scheduler's accounting, /proc/PID/task/TID/sched).
# Under -icount both vCPUs advance one clock, so a task's CPU time also
# counts what the other vCPU ran meanwhile: the pass's elapsed time and the
# counts are exact, the split between tasks is only a hint. Sourced by
# bench.sh.

# task_times: "TID COMM RUNTIME_NS SWITCHES" of every task.
task_times() {
	awk 'FNR == 1 { comm = $1; tid = $2; gsub(/[(,]/, "", tid) }
		$1 == "se.sum_exec_runtime" { split($3, p, "."); rt = p[1] * 1000000 + substr(p[2] "000000", 1, 6) }
		$1 == "nr_switches" { printf "%s %s %d %d\n", tid, comm, rt, $3 }' \
		/proc/[0-9]*/task/[0-9]*/sched 2>/dev/null
}

# sys_counts: context switches, interrupts, idle entries and idle time.
sys_counts() {
	awk '$1 == "ctxt" { c = $2 } $1 == "intr" { i = $2 } END { printf "ctxt=%d intr=%d ", c, i }' /proc/stat
	local u=0 t=0 f
	for f in /sys/devices/system/cpu/cpu*/cpuidle/state*/usage; do
		[ -f "$f" ] || continue
		u=$((u + $(cat $f)))
		t=$((t + $(cat ${f%usage}time)))
	done
	printf 'idle_entries=%d idle_us=%d\n' $u $t
}

# diag_pass NAME SIDE ARGS...: one timed run of opens, with the tasks
# whose CPU time moved (largest first) and the system counts' change; its
# figure ("ns=N files=N") is left in PASS.
diag_pass() {
	local name=$1 side=$2 b a sb sa line
	shift 2
	b=$(task_times)
	sb=$(sys_counts)
	PASS=
	line=$(opens "$@") || { bench_fail "opens $*"; return; }
	sa=$(sys_counts)
	a=$(task_times)
	PASS=$line
	echo "BENCH $name.sys $side $(delta "$sb" "$sa")" >"$OUT"
	{
		echo "$b" | sed 's/^/B /'
		echo "$a" | sed 's/^/A /'
	} | awk '$1 == "B" { rt[$2] = $4; sw[$2] = $5; next }
		{ d = $4 - rt[$2]; if (d > 0) printf "%d %s/%s switches=%d\n", d, $3, $2, $5 - sw[$2] }' |
		sort -rn | head -n 8 | while read -r ns who rest; do
		echo "BENCH $name.task $side task=$who cpu_ns=$ns $rest" >"$OUT"
	done
}

diag_side() {
	local side=$1
	shift
	famfs_mount "$@" >/dev/null 2>&1 || { bench_fail "famfs mount $*"; return 1; }
	local cold
	diag_pass cold_open $side $MNT/many $FILES cold
	cold=$PASS
	diag_pass warm_open $side $MNT/many $FILES warm
	# As the whole bench prints them (scripts/bench-report.py).
	[ -n "$cold" ] && echo "BENCH cold_open $side $cold warm_ns=$(echo "$PASS" | sed -n 's/^ns=\([0-9]*\).*/\1/p')" >"$OUT"
	drop_caches
	diag_pass cold_open_dropped $side $MNT/many $FILES cold
	[ -n "$PASS" ] && echo "BENCH cold_open_dropped $side $PASS" >"$OUT"
	famfs_umount >/dev/null
	echo "BENCH cold_open.served $side $(daemon_served)" >"$OUT"
}

diag_opens() {
	info cpuidle "driver=$(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)" \
		"governor=$(cat /sys/devices/system/cpu/cpuidle/current_governor_ro 2>/dev/null)" \
		"states=$(cat /sys/devices/system/cpu/cpu0/cpuidle/state*/name 2>/dev/null | tr '\n' ,)"
	famfs_prepare
	diag_side fuse --plain-fuse
	diag_side famfs
}
