# SPDX-License-Identifier: GPL-2.0
#
# Guest-side selftest library (busybox sh). Each test is a shell function
# run by run_tests.sh in a subshell; it fails by returning non-zero, after
# saying why with `fail`. Begin/end markers go to the kernel log so the host
# can tie any kernel WARN/BUG/Oops to the test that was running.

TAP_OUT=${TAP_OUT:-/dev/ttyS1}
SELFTEST_DIR=${SELFTEST_DIR:-/selftests}
BIN=$SELFTEST_DIR/bin
MODULE=${MODULE:-/lib/modules/famfs_rs.ko}

kmsg() { echo "famfs_rs-selftest: $*" >/dev/kmsg; }
tap() { echo "$*" >"$TAP_OUT"; }
diag() { echo "# $*" >"$TAP_OUT"; echo "# $*"; }
fail() { diag "FAIL: $*"; return 1; }

# A kernel parameter famfs_rs.<name>=<value> from the host (expected sizes...).
param() { sed -n "s/.*famfs_rs_test\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

module_loaded() { grep -q '^famfs_rs ' /proc/modules; }

# Active objects per slab cache, "name count" lines, sorted. Frees deferred
# by RCU and the lazy vmap purge land late: give them time, then drop caches.
# The guest boots with slub_debug (scripts/run-vm.sh) so that no per-CPU
# slab hides frees or allocations from these counts.
slab_snapshot() {
	sleep 2
	echo 3 >/proc/sys/vm/drop_caches
	awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort
}
