#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# soak.sh: the debug-kernel soak (make soak). The debug flavour of the
# test kernel (KASAN, lockdep, kmemleak, UBSAN, DEBUG_VM, Rust overflow
# checks; scripts/kconfig/debug.config) runs the whole VM suite with its
# cycles raised: 100 insmod/rmmod cycles (20_module), 100 mount/umount
# cycles under readers, writers and faulting processes (77_cycles), 20
# unbind-under-I/O rounds, 10 random daemon kills, the hostile-daemon
# fuzzer with more replies (75_fuzz); then kmemleak scans the whole run
# (98_kmemleak). Any WARN/BUG/KASAN/UBSAN/lockdep report fails the test
# it happened in.
#
# About 40 minutes under TCG with the debug kernel built: see
# Documentation/famfs_rs.rst, "The debug-kernel
# soak". Knobs: SOAK_TIMEOUT_SCALE (per-test time limits are multiplied
# by it, default 8), SOAK_CYCLES (default 100), SOAK_FUZZ_REPLIES
# (default 30000), GUEST_APPEND (more kernel parameters, e.g. a
# famfs_rs_test.only=PATTERN subset).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

export KERNEL_FLAVOUR=debug
start=$SECONDS
make -s -C "$FAMFS_RS_TOP" module userspace KERNEL_FLAVOUR=debug >/dev/null
log "debug kernel and module ready after $((SECONDS - start)) s"
cycles=${SOAK_CYCLES:-100}
# no5lvl: QEMU's -cpu max offers 5-level paging, and with it the debug
# kernel reports KASAN wild-memory-access in an interrupt during early
# boot (identify_cpu, handle_edge_irq: not famfs_rs), taints itself and
# turns lock debugging off for the whole run. 4-level paging boots clean.
params="no5lvl famfs_rs_test.timeout_scale=${SOAK_TIMEOUT_SCALE:-8}"
params+=" famfs_rs_test.load_cycles=$cycles famfs_rs_test.mount_cycles=$cycles"
params+=" famfs_rs_test.unbind_rounds=20 famfs_rs_test.fault_rounds=10"
params+=" famfs_rs_test.fuzz_replies=${SOAK_FUZZ_REPLIES:-30000}"
export GUEST_APPEND="$params ${GUEST_APPEND:-}"
export VM_TIMEOUT=${VM_TIMEOUT:-86400}
export FAMFS_RS_VMDIR=${FAMFS_RS_VMDIR:-$FAMFS_RS_TOP/build/vm-soak}
set +e
"$FAMFS_RS_TOP/scripts/vm-test.sh"
rc=$?
set -e
log "soak took $((SECONDS - start)) s (kernel console: $FAMFS_RS_VMDIR/selftests/console.log)"
exit $rc
