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
# The kernel: the test kernel (built if needed), KDIR's, or with
# FAMFS_RS_KERNEL=stock-KVER Debian's unmodified kernel KVER with its
# modules (scripts/lib.sh); FAMFS_RS_KO then names the famfs_rs.ko built
# for KVER.
#
# Logs: build/vm/<run>/console.log (kernel console) and tap.log (guest TAP);
# build/vm-stock-KVER/<run>/ for a stock kernel.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

stock=$(stock_kver) || exit 1
vmdir=${FAMFS_RS_VMDIR:-$FAMFS_RS_TOP/build/vm${stock:+-stock-$stock}}
export FAMFS_RS_VMDIR=$vmdir
mkdir -p "$vmdir"
# One run at a time per build directory: runs share the CXL backing file.
exec 8>"$vmdir/.vm-test.lock"
flock -n 8 || die "another vm-test is running on $vmdir"
if [[ -n $stock ]]; then
	"$FAMFS_RS_TOP/scripts/fetch-stock-kernel.sh" "$stock" >/dev/null || die "no stock kernel $stock"
else
	export KDIR=${KDIR:-$("$FAMFS_RS_TOP/scripts/build-kernel.sh")} || die "no test kernel"
fi
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

# famfs_rs_test.only=PATTERN in GUEST_APPEND picks test files by a grep
# over their guest paths; a run none of whose files match is not booted,
# which is said in the output.
only=$(sed -n 's/.*famfs_rs_test\.only=\([^ ]*\).*/\1/p' <<<"${GUEST_APPEND:-}")
selftests=$FAMFS_RS_TOP/tools/testing/selftests/famfs_rs
# picked DIR: whether the pattern picks a test file of DIR.
picked() {
	ls "$selftests/$1"/*.sh | sed "s|^$selftests/|/selftests/|" | grep -q -- "${only:-.}"
}

# The two-host selftests (twohost/*.sh): two guests at once on the same CXL
# backing files, fresh and of their own, each guest with its own label
# areas and system UUID. The guests keep in step through a mailbox in the
# shared memory (src/twohost.c), not through sleeps. Smaller devices than
# the single guest's keep each handover short.
run_twohost() {
	local dir=$vmdir/twohost role i start=$SECONDS
	local roles=(master client) pids=() qrc=() uuids=(
		5f0b1c2e-9a7d-4e3b-8c11-0000000000a1
		5f0b1c2e-9a7d-4e3b-8c11-0000000000c1)
	rm -rf "$dir"
	mkdir -p "$dir/cxl"
	truncate -s "${TWOHOST_CXL_SIZE:-512M}" "$dir/cxl/cxl-mem0.raw"
	truncate -s "${TWOHOST_CXL1_SIZE:-256M}" "$dir/cxl/cxl-mem1.raw"
	log "booting two guests on one CXL memory; console logs: $dir/{master,client}/console.log"
	for i in 0 1; do
		role=${roles[i]}
		CXL_DIR=$dir/cxl GUEST_UUID=${uuids[i]} VM_TIMEOUT=${VM_TWOHOST_TIMEOUT:-900} \
			GUEST_APPEND="${GUEST_APPEND:-} famfs_rs_test.role=$role" \
			"$FAMFS_RS_TOP/scripts/run-vm.sh" twohost "$dir/$role" &
		pids[i]=$!
	done
	for i in 0 1; do
		wait "${pids[i]}"
		qrc[i]=$?
	done
	log "two guests ran $((SECONDS - start)) s"
	for i in 0 1; do
		role=${roles[i]}
		"$FAMFS_RS_TOP/scripts/vm-report.py" --qemu-status "${qrc[i]}" --prefix "$role: " \
			"$dir/$role/console.log" "$dir/$role/tap.log" >>"$results"
	done
}

if picked tests; then
	# Remove the CXL backing file from earlier runs: tests start on fresh memory.
	rm -f "$vmdir/cxl-mem0.raw"
	run_guest selftests test
else
	rm -f "$vmdir/selftests/tap.log"
	echo "# single-guest selftests not run: famfs_rs_test.only=$only picks none of their files"
fi

# What the guest formatted must be in the host's backing file: the famfs
# superblock magic at the start of the devdax (2 MiB aligned, after the
# namespace's reserved area). Only meaningful when the guest ran mkfs.
if ! grep -sE -- "^(not )?ok [0-9]+ (- )?test_famfs_mkfs_devdax\b" "$vmdir/selftests/tap.log" | grep -qv "# SKIP"; then
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

# A file written through the mount (tests/99_host_view.sh): its bytes must
# be in the backing file at the device offset its map gives, counted from
# the superblock (device offset 0).
# (The serial port ends TAP lines with CR LF.)
check=$(tr -d '\r' 2>/dev/null <"$vmdir/selftests/tap.log" |
	sed -n 's/^# host-check: offset=\(0x[0-9a-f]*\) seed=\([0-9]*\) len=\([0-9]*\)$/\1 \2 \3/p' | tail -1)
if [[ -z $check ]]; then
	echo "# host file-bytes check not run: the guest did not run test_file_bytes_for_the_host"
elif python3 - "$vmdir/cxl-mem0.raw" $check <<'PY'
import struct, sys
path, off, seed, length = sys.argv[1], int(sys.argv[2], 16), int(sys.argv[3]), int(sys.argv[4])
M = (1 << 64) - 1
def pattern(o):
    x = (((o >> 3) * 0x9E3779B97F4A7C15) & M) ^ ((seed * 0xBF58476D1CE4E5B9) & M)
    x ^= x >> 29
    return (x >> (8 * (o & 7))) & 0xFF
with open(path, "rb") as f:
    base = None
    for b in range(0, 256 << 20, 2 << 20):
        f.seek(b)
        if struct.unpack("<Q", f.read(8))[0] == 0x87B282FF:
            base = b
            break
    if base is None:
        sys.exit(1)
    f.seek(base + off)
    data = f.read(length)
bad = next((i for i in range(0, length, 4093) if data[i] != pattern(i)), None)
sys.exit(0 if bad is None and len(data) == length else 1)
PY
then
	echo "ok - host sees bytes written through the mount at the file's device offset" >>"$results"
else
	echo "not ok - host sees bytes written through the mount at the file's device offset # $check" >>"$results"
fi

if picked twohost; then
	run_twohost
else
	echo "# two-host selftests not run: famfs_rs_test.only=$only picks none of their files"
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
skipped=$(grep -c '^ok - .* # SKIP ' "$results")
[[ $skipped -eq 0 ]] || echo "# $skipped of the passed did not run (SKIP above, with why)"
echo "$passed passed, $failed failed"
[[ $failed -eq 0 && $passed -gt 0 ]]
