#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [TEST_FILE...]: the famfs_rs selftests, as KTAP on stdout
# (kselftest's TEST_PROGS; `make run_tests`), or on TAP_OUT in the QEMU
# guest. Each file of tests/ (or each file given) defines test_* functions,
# run in the order they appear, each in a subshell under a timeout so that
# one hang cannot stall the rest. Runs as root.
#
# Settings, from the environment (the QEMU guest's init sets them from its
# kernel command line, famfs_rs_test.<name>=<value>):
#   FAMFS_RS_TEST_DEV      the devdax the tests may overwrite (/dev/daxX.Y)
#   FAMFS_RS_TEST_DEV2     a second one, for the multi-device tests
#   FAMFS_RS_TEST_MODULE   famfs_rs.ko, for the tests that unload and load it
#                          (default: /lib/modules/famfs_rs.ko, or modinfo's)
#   FAMFS_RS_TEST_POISON=1 allow the memory-failure tests, which poison
#                          pages of the devices until reboot
#   FAMFS_RS_TEST_ONLY     a grep pattern over the test files' paths
#   FAMFS_RS_TEST_TIMEOUT_SCALE  multiplies every test's timeout
#   FAMFS_RS_TEST_<NAME>   what a test reads with `param <name>` (rounds,
#                          expected sizes...)
# A test that needs what is not there is reported SKIP, with why. What a
# test needs is said in its file: a "# needs: WHAT..." line for all its
# tests, "# needs TEST: WHAT..." lines for one; WHAT is dev, dev2, famfs
# (the CLI), module (a famfs_rs.ko to load again), poison, slab_counts
# (exact ones: slub_debug), cmd:NAME (a program in PATH) or param:NAME. A file without a "# needs:" line needs
# dev dev2 famfs module: it may touch both devices.
SELFTEST_DIR=${SELFTEST_DIR:-$(cd "$(dirname "$0")" && pwd)}
export SELFTEST_DIR
if [ -n "${TAP_OUT:-}" ]; then exec 7>>"$TAP_OUT"; else exec 7>&1; fi
. "$SELFTEST_DIR/lib.sh"
export PATH="$PATH:/sbin:/usr/sbin"

# The tests' shell: bash where there is one (read -t, local), else sh
# (busybox's in the QEMU guest).
TEST_SHELL=${FAMFS_RS_TEST_SHELL:-$(command -v bash || echo sh)}
TEST_TIMEOUT=${TEST_TIMEOUT:-300}
scale=$(param timeout_scale)
work=$(mktemp -d /tmp/famfs_rs-selftest.XXXXXX) || exit 1
trap 'rm -rf "$work"' EXIT

if [ $# -gt 0 ]; then
	files=$*
else
	files=$(ls "$SELFTEST_DIR"/tests/*.sh | grep -- "$(param only)")
fi
tests_of() { sed -n 's/^\(test_[a-z0-9_]*\)() *{.*/\1/p' "$1"; }

# needs_of FILE TEST: what TEST needs.
needs_of() {
	if grep -q '^# needs:' "$1"; then
		sed -n 's/^# needs: *//p' "$1"
	else
		echo dev dev2 famfs module
	fi
	sed -n "s/^# needs $2: *//p" "$1"
}

# devdax_given VAR PATH: why PATH (from VAR) is not a devdax to use, if not.
devdax_given() {
	if [ -z "$2" ]; then
		echo "$1 is not set: it names a devdax (/dev/daxX.Y) these tests may overwrite"
	elif ! [ -c "$2" ] || ! [ -d "/sys/bus/dax/devices/${2##*/}" ]; then
		echo "$1=$2 is not a devdax on the dax bus"
	fi
}

# lacking FILE TEST: why TEST cannot run here, or nothing.
lacking() {
	local what
	for what in $(needs_of "$1" "$2"); do
		case $what in
		dev) devdax_given FAMFS_RS_TEST_DEV "$FAMFS_DEV" ;;
		dev2) devdax_given FAMFS_RS_TEST_DEV2 "$FAMFS_DEV2"
			[ "$FAMFS_DEV2" != "$FAMFS_DEV" ] ||
				echo "FAMFS_RS_TEST_DEV2 is FAMFS_RS_TEST_DEV: the multi-device tests need two devices" ;;
		famfs) command -v famfs >/dev/null ||
				echo "no famfs CLI in PATH (make userspace: userspace/target/release)" ;;
		module) [ -e "$MODULE" ] ||
				echo "unloads famfs_rs and needs a famfs_rs.ko to load again: set FAMFS_RS_TEST_MODULE" ;;
		poison) [ "${FAMFS_RS_TEST_POISON:-0}" = 1 ] ||
				echo "poisons pages of the devices until reboot: set FAMFS_RS_TEST_POISON=1 to allow"
			[ -e /proc/sys/vm/memory_failure_recovery ] ||
				echo "this kernel has no CONFIG_MEMORY_FAILURE" ;;
		slab_counts) grep -q 'slub_debug' /proc/cmdline || [ -w /sys/kernel/debug/kmemleak ] ||
				echo "counts slab objects, exactly only with slub_debug=F on the kernel command line (or kmemleak)" ;;
		cmd:*) command -v "${what#cmd:}" >/dev/null || echo "no ${what#cmd:} in PATH" ;;
		param:*) [ -n "$(param "${what#param:}")" ] ||
				echo "FAMFS_RS_TEST_$(echo "${what#param:}" | tr a-z A-Z) is not set (the QEMU guest sets it)" ;;
		*) echo "unknown need '$what' in $1" ;;
		esac
	done | head -n 1
}

# klog_reports TEST: the kernel's WARN/BUG/Oops... reports since TEST began
# (its last begin marker), the first three. scripts/vm-report.py looks for
# the same on the QEMU guest's console.
KLOG_BAD='Kernel panic|BUG:|WARNING:|Oops|KASAN|UBSAN|circular locking dependency|recursive locking|inconsistent lock state|suspicious RCU usage|INFO: task .* blocked|general protection fault|kernel BUG at|Unable to handle kernel'
klog_reports() {
	dmesg 2>/dev/null | awk -v m="famfs_rs-selftest: begin $1" '
		substr($0, length($0) - length(m) + 1) == m { n = 0; next }
		{ line[n++] = $0 }
		END { for (i = 0; i < n; i++) print line[i] }' | grep -E "$KLOG_BAD" | head -n 3
}

# The KTAP header, plan, results and totals, as kselftest's
# tools/testing/selftests/kselftest/ktap_helpers.sh writes them.
pass=0 fail=0 skip=0
n=0
tap "TAP version 13"
# skip_all WHY: nothing can run here.
skip_all() {
	tap "1..0 # SKIP $*"
	exit 4
}
[ "$(id -u)" = 0 ] || skip_all "the famfs_rs selftests run as root"
module_loaded || [ -e "$MODULE" ] ||
	skip_all "famfs_rs is not loaded and there is no $MODULE: load it, or set FAMFS_RS_TEST_MODULE"
total=0
for f in $files; do total=$((total + $(tests_of "$f" | wc -l))); done
tap "1..$total"
for f in $files; do
	for t in $(tests_of "$f"); do
		n=$((n + 1))
		why=$(lacking "$f" "$t")
		if [ -n "$why" ]; then
			tap "ok $n $t # SKIP $why"
			skip=$((skip + 1))
			continue
		fi
		kmsg "begin $t"
		# A test may ask for more time: a "# timeout TEST SECONDS" line.
		limit=$(sed -n "s/^# timeout $t \([0-9]*\)\$/\1/p" "$f")
		# A slower kernel (the debug flavour: make soak) scales them all.
		limit=$((${limit:-$TEST_TIMEOUT} * ${scale:-1}))
		export SKIP_NOTE=$work/skip
		rm -f "$SKIP_NOTE"
		cmd=". $SELFTEST_DIR/lib.sh; . $f; $t"
		if [ -n "${TAP_OUT:-}" ]; then
			# The guest: the test's output goes to the console, where
			# the host keeps it beside the kernel's messages.
			timeout "$limit" "$TEST_SHELL" -c "$cmd"
			rc=$?
		else
			# KTAP: the test's output, once it ended, as diagnostic
			# lines (a file, not a pipe: a daemon it started may keep
			# its output open).
			timeout "$limit" "$TEST_SHELL" -c "$cmd" >"$work/out" 2>&1 </dev/null
			rc=$?
			sed "s/^/# /" "$work/out" >&7
		fi
		kmsg "end $t"
		reports=$(klog_reports "$t")
		if [ -n "$reports" ]; then
			# KTAP only: on the guest's console, after the end
			# marker, the report would count as outside the tests.
			echo "$reports" | while IFS= read -r l; do tap "# kernel: $l"; done
			tap "not ok $n $t # kernel: $(echo "$reports" | head -n 1 | cut -c1-120)"
			fail=$((fail + 1))
		elif [ "$rc" -eq 0 ]; then
			tap "ok $n $t"
			pass=$((pass + 1))
		elif [ "$rc" -eq "$NOT_RUN" ]; then
			tap "ok $n $t # SKIP $(cat "$SKIP_NOTE" 2>/dev/null || echo "not run")"
			skip=$((skip + 1))
		elif [ "$rc" -eq 143 ] || [ "$rc" -eq 124 ]; then
			tap "not ok $n $t # timed out after ${limit}s"
			fail=$((fail + 1))
		else
			tap "not ok $n $t"
			fail=$((fail + 1))
		fi
	done
done
tap "# Totals: pass:$pass fail:$fail xfail:0 xpass:0 skip:$skip error:0"
tap "# famfs_rs-selftests: done"
# kselftest's exit codes: 0 passed, 1 failed, 4 (KSFT_SKIP) nothing ran.
[ $fail -eq 0 ] || exit 1
[ $pass -gt 0 ] || [ $skip -eq 0 ] || exit 4
exit 0
