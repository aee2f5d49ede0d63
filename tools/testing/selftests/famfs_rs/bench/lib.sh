# SPDX-License-Identifier: GPL-2.0
#
# The benchmark's guest helpers: output lines, counters, fs_dax tracepoint
# counts. Sourced by bench.sh.

OUT=${BENCH_OUT:-/dev/ttyS1}
MNT=/mnt/famfs
FAILURES=0

param() { sed -n "s/.*famfs_rs_test\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "# $*" >"$OUT"; echo "# $*"; }
info() {
	local key=$1
	shift
	echo "INFO $key $*" >"$OUT"
}
bench_fail() {
	FAILURES=$((FAILURES + 1))
	say "FAILED: $*"
}
bench_end() { echo "BENCH-END failures=$FAILURES" >"$OUT"; }

# figure CASE SUBJECT PROGRAM ARGS...: runs a measuring program and prints
# its "key=value" line as the figure of CASE for SUBJECT, with EXTRA
# (key=value words) appended; a program that fails is reported, not fatal.
figure() {
	local case=$1 subject=$2 line
	shift 2
	if line=$("$@" 2>/tmp/figure.err); then
		echo "BENCH $case $subject $line${EXTRA:+ $EXTRA}" >"$OUT"
	else
		bench_fail "$case $subject: $* exited $?: $(tail -n 2 /tmp/figure.err | tr '\n' ' ')"
	fi
}

# The famfs_rs debugfs counters of the mount at $MNT, as key=value words.
famfs_counters() {
	local dev dir c
	dev=$(awk -v m="$MNT" '$5 == m { print $3 }' /proc/self/mountinfo)
	dir=/sys/kernel/debug/famfs_rs/$dev
	for c in upcalls lookups fmaps daxdev_gets faults_pmd faults_pte fault_fallbacks fault_errors; do
		printf '%s=%s ' "$c" "$(cat "$dir/$c" 2>/dev/null)"
	done
}

# delta BEFORE AFTER: the key=value words of AFTER minus those of BEFORE.
delta() {
	awk -v a="$1" -v b="$2" 'BEGIN {
		n = split(a, x, " "); for (i = 1; i <= n; i++) { split(x[i], kv, "="); before[kv[1]] = kv[2] }
		n = split(b, y, " "); for (i = 1; i <= n; i++) { split(y[i], kv, "="); printf "%s=%d ", kv[1], kv[2] - before[kv[1]] }
	}'
}

# with_counters CASE SUBJECT PROGRAM ARGS...: figure, with the famfs_rs
# counters' change over the run appended.
with_counters() {
	local before after
	before=$(famfs_counters)
	EXTRA= figure "$@" >/dev/null
	after=$(famfs_counters)
	echo "BENCH $1.counters $2 $(delta "$before" "$after")" >"$OUT"
}

# traced_faults PROGRAM ARGS...: runs PROGRAM with the fs_dax tracepoints
# on (an independent count of how faults were served, kept out of the
# timed runs: tracing costs) and prints "pmd=N pte=N fallback=N".
TRACE=/sys/kernel/tracing
traced_faults() {
	local e
	[ -d $TRACE/events/fs_dax ] || { echo "pmd=? pte=? fallback=?"; return; }
	echo 0 >$TRACE/tracing_on
	: >$TRACE/trace
	for e in dax_pmd_fault_done dax_pte_fault_done; do
		echo 1 >$TRACE/events/fs_dax/$e/enable
	done
	echo 1 >$TRACE/tracing_on
	"$@" >/dev/null
	echo 0 >$TRACE/tracing_on
	for e in dax_pmd_fault_done dax_pte_fault_done; do
		echo 0 >$TRACE/events/fs_dax/$e/enable
	done
	# A PMD fault that could not map 2 MiB ends FALLBACK and is retried
	# as PTE faults.
	awk '/dax_pmd_fault_done:/ { if (/FALLBACK/) fb++; else pmd++ }
		/dax_pte_fault_done:/ { pte++ }
		END { printf "pmd=%d pte=%d fallback=%d", pmd, pte, fb }' $TRACE/trace
}

# Pages of struct pages, as the kernel counts them (tests/46_pagemap.sh).
memmap_pages() { awk '$1 == "nr_memmap_pages" { print $2 }' /proc/vmstat; }

# Drops the unused dentries and inodes (and clean page cache): the next
# open of a file is cold again, as after a fresh mount. A FORGET for each
# dropped famfs inode goes to the daemon first; the sleep lets it drain.
drop_caches() {
	sync
	echo 3 >/proc/sys/vm/drop_caches
	sleep 1
}

# The daemon's own count of the requests it served (logged at exit), as
# "opcode:count" words, for the mount at $MNT that just ended.
daemon_served() {
	local log
	for log in /var/log/famfs_rs/mnt-famfs.log /run/famfs_rs/mnt-famfs.log; do
		[ -f $log ] && break
	done
	sed -n 's/.*connection closed: served [0-9]* requests (opcode:count \([0-9: ]*\)).*/\1/p' $log | tail -n 1
}

# The dax driver famfs_rs's devices are handed to: famfs_rs's own (6.12),
# or the kernel's fsdev_dax (7.1+), as the selftests' lib.sh decides.
if [ -d /sys/bus/dax/drivers/fsdev_dax ]; then DAXDRV=fsdev_dax; else DAXDRV=famfs_rs; fi
