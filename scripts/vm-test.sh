#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-test.sh: the VM selftests. Builds the initramfs, boots the test kernel
# with emulated CXL, runs tools/testing/selftests/famfs_rs in the guest and
# prints one TAP line per test and "N passed, N failed". Then checks the
# harness itself: a WARN, a hung test and a guest that never finishes must
# each be reported as failures (skip with VM_TEST_SKIP_HARNESS=1, which is
# said in the output).
#
# Logs: build/vm/<run>/console.log (kernel console) and tap.log (guest TAP).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

vmdir=${FAMFS_RS_VMDIR:-$FAMFS_RS_TOP/build/vm}
export FAMFS_RS_VMDIR=$vmdir
mkdir -p "$vmdir"
# One run at a time per build directory: runs share the CXL backing file.
exec 8>"$vmdir/.vm-test.lock"
flock -n 8 || die "another vm-test is running on $vmdir"
export KDIR=${KDIR:-$("$FAMFS_RS_TOP/scripts/build-kernel.sh")} || die "no test kernel"
export INITRD=$vmdir/initramfs.cpio.gz
"$FAMFS_RS_TOP/scripts/mkinitramfs.sh" "$INITRD" || die "building the initramfs failed"

results=$vmdir/results.tap
: >"$results"

# run_guest NAME MODE [vm-report args...]
run_guest() {
	local name=$1 mode=$2
	shift 2
	local out=$vmdir/$name
	log "booting the guest ($mode); console log: $out/console.log"
	local start=$SECONDS
	"$FAMFS_RS_TOP/scripts/run-vm.sh" "$mode" "$out"
	local qrc=$?
	log "guest ($mode) ran $((SECONDS - start)) s"
	"$FAMFS_RS_TOP/scripts/vm-report.py" --qemu-status "$qrc" "$@" \
		"$out/console.log" "$out/tap.log" >>"$results"
}

# Remove the CXL backing file from earlier runs: tests start on fresh memory.
rm -f "$vmdir/cxl-mem0.raw"
run_guest selftests test

# What the guest formatted must be in the host's backing file: the famfs
# superblock magic at the start of the devdax (2 MiB aligned, after the
# namespace's reserved area). Only meaningful when the guest ran mkfs.
if ! grep -q -- "- test_famfs_mkfs_devdax" "$vmdir/selftests/tap.log"; then
	echo "# host backing-file check not run: the guest did not run test_famfs_mkfs_devdax"
else
	if python3 - "$vmdir/cxl-mem0.raw" <<'PY'
import struct, sys
with open(sys.argv[1], "rb") as f:
    for off in range(0, 256 << 20, 2 << 20):
        f.seek(off)
        if struct.unpack("<Q", f.read(8))[0] == 0x87B282FF:
            sys.exit(0)
sys.exit(1)
PY
	then
		echo "ok - host sees the famfs superblock in the CXL backing file" >>"$results"
	else
		echo "not ok - host sees the famfs superblock in the CXL backing file # magic 0x87b282ff not found" >>"$results"
	fi
fi

if [[ ${VM_TEST_SKIP_HARNESS:-0} == 1 ]]; then
	echo "# harness self-test skipped (VM_TEST_SKIP_HARNESS=1)"
else
	run_guest harness harness --prefix "harness: " \
		--expect-fail test_canary_warn,test_canary_hang
	VM_TIMEOUT=${VM_STALL_TIMEOUT:-60} run_guest stall stall --prefix "harness: " \
		--expect-fail guest_finished
fi

n=0
while IFS= read -r line; do
	n=$((n + 1))
	case "$line" in
	"ok - "*) echo "ok $n - ${line#ok - }" ;;
	"not ok - "*) echo "not ok $n - ${line#not ok - }" ;;
	*) n=$((n - 1)); echo "$line" ;;
	esac
done <"$results"
echo "1..$n"
passed=$(grep -c '^ok - ' "$results")
failed=$(grep -c '^not ok - ' "$results")
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
