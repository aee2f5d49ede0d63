#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh (make bench): famfs_rs against the physical limit and its peers,
# in one guest run. Boots the test kernel under QEMU with -icount and three
# emulated CXL devices (famfs_rs's, the raw devdax's, ext4 -o dax's), runs
# tools/testing/selftests/famfs_rs/bench/bench.sh in the guest and prints
# the table (scripts/bench-report.py), raw figures and ratios.
#
#   BENCH_SMOKE=1        a short run with small sizes: that it all works
#   BENCH_FILES=N        files of the cold-open case (default 10000)
#   BENCH_CXL_SIZE=SIZE  the famfs device (default: what BENCH_FILES need)
#   BENCH_ICOUNT=SHIFT   -icount shift (default 0, see below)
#   BENCH_BRIEF=1        print one line instead of the table (make check's
#                        smoke run: that the bench runs, not its figures)
#   BENCH_PROFILE=1      instead of the figures, perf profiles of the cases
#                        that miss their targets (perf from the host's
#                        linux-perf, copied into the guest)
#   BENCH_ONLY=opens     the open cases alone, with the CPU time of every
#                        task around each pass (bench/diag.sh)
#
# Output: the table on stdout, also kept with the raw lines in
# build/bench/ (table.txt, run/tap.log, run/console.log).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

dir=${FAMFS_RS_BENCHDIR:-$FAMFS_RS_TOP/build/bench}
mkdir -p "$dir"
exec 8>"$dir/.bench.lock"
flock -n 8 || die "another bench is running in $dir"

# -icount shift=0: every guest instruction advances the guest's clock by
# 1 ns (a 1 GHz, one-instruction-per-cycle machine), so a figure in ns is
# an instruction count, the same from run to run and blind to how busy the
# host is. A larger shift would only scale every figure by 2^shift (and
# make timer ticks more frequent per instruction). sleep=off: when every
# vCPU is idle the clock jumps to the next timer instead of following the
# host's, so waiting costs no host time and adds no host noise.
shift=${BENCH_ICOUNT:-0}
if [[ ${BENCH_SMOKE:-0} == 1 ]]; then
	files=${BENCH_FILES:-200}
	params="famfs_rs_test.bench_seq=16M famfs_rs_test.bench_ops=500 famfs_rs_test.bench_rounds=2 famfs_rs_test.bench_sizes=512M"
else
	files=${BENCH_FILES:-10000}
	params=""
fi
# Every famfs file takes at least one 2 MiB unit: the files, the data
# cases' 256 MiB + 128 MiB, the log, and room for the handover sizes.
need_mib=$((files * 2 + 1024))
cxl_size=${BENCH_CXL_SIZE:-$(((need_mib + 1023) / 1024))G}

export KDIR=${KDIR:-$("$FAMFS_RS_TOP/scripts/build-kernel.sh")} || die "no test kernel"
export INITRD=$dir/initramfs.cpio.gz
if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
	export FAMFS_RS_WITH_PERF=1
	params+=" famfs_rs_test.bench_profile=1"
fi
[[ -n ${BENCH_ONLY:-} ]] && params+=" famfs_rs_test.bench_only=$BENCH_ONLY"

"$FAMFS_RS_TOP/scripts/mkinitramfs.sh" "$INITRD" || die "building the initramfs failed"

# Fresh, sparse memory each run.
rm -f "$dir"/cxl-mem*.raw
qemu_extra="-icount shift=$shift,sleep=off"
log "booting the bench guest: famfs device $cxl_size, $files files, $qemu_extra"
start=$SECONDS
set +e
# No slub_debug: the selftests' exact slab counts need it, but it sends
# every allocation down the slow path, which no real system does.
CXL_DIR=$dir CXL_SIZE=$cxl_size CXL1_SIZE=512M CXL2_SIZE=1G GUEST_MEM=3G GUEST_SLUB_DEBUG= \
	QEMU_EXTRA="$qemu_extra" VM_TIMEOUT=${BENCH_TIMEOUT:-5400} \
	GUEST_APPEND="famfs_rs_test.bench_files=$files $params" \
	"$FAMFS_RS_TOP/scripts/run-vm.sh" bench "$dir/run"
qrc=$?
set -e
log "the bench guest ran $((SECONDS - start)) s (QEMU exit $qrc)"
report=0
"$FAMFS_RS_TOP/scripts/bench-report.py" --qemu-status "$qrc" --icount "$shift" \
	--seconds $((SECONDS - start)) "$dir/run/tap.log" "$dir/run/console.log" >"$dir/table.txt" || report=$?
if [[ ${BENCH_BRIEF:-0} == 1 ]]; then
	figures=$(grep -c '^BENCH ' "$dir/run/tap.log" || true)
	echo "bench: $figures figures in $((SECONDS - start)) s, $([[ $report == 0 ]] && echo "every program ran" || echo FAILED); table: $dir/table.txt"
	grep -E '^# FAILED|^bench:' "$dir/run/tap.log" "$dir/table.txt" | head -n 5 || true
else
	cat "$dir/table.txt"
fi
if [[ ${BENCH_PROFILE:-0} == 1 ]]; then
	grep '^# profile' "$dir/run/tap.log" | tr -d '\r' | tee "$dir/profile.txt"
fi
exit "$report"
