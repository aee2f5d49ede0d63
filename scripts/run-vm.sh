#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# run-vm.sh MODE OUTDIR: boot the test kernel under QEMU (TCG) with two
# emulated persistent CXL type-3 devices (three with CXL2_SIZE), running the
# guest /init in MODE (test, twohost, harness, demo, bench, stall, boot; see
# scripts/guest-init.sh).
#
# The kernel: KDIR's bzImage (default: the test kernel), or with
# FAMFS_RS_KERNEL=stock-KVER Debian's unmodified vmlinuz of KVER
# (scripts/lib.sh; the initramfs must then carry KVER's modules:
# mkinitramfs.sh run with the same FAMFS_RS_KERNEL).
#
# OUTDIR gets console.log (kernel console, ttyS0), tap.log (the guest's
# test output, ttyS1) and the devices' label areas (one guest's own). The
# CXL memory is backed by host files, cxl-mem0.raw and cxl-mem1.raw in
# CXL_DIR (default build/vm), so tests can inspect what the guest wrote,
# and two guests given the same CXL_DIR share the memory. Exit status:
# QEMU's, or 124 if the guest did not power off within VM_TIMEOUT seconds.
#
# Sizes and extras from the environment: CXL_SIZE, CXL1_SIZE (the two
# devices), CXL2_SIZE (a third device, cxl-mem2.raw; none if unset),
# GUEST_MEM (guest RAM, 2G), QEMU_EXTRA (more QEMU options, such as the
# benchmark's -icount), GUEST_SLUB_DEBUG (the slub_debug flags, F; empty
# for none, as the benchmark boots).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

mode=$1
outdir=$2
vmdir=${FAMFS_RS_VMDIR:-$FAMFS_RS_TOP/build/vm}
stock=$(stock_kver) || exit 1
cpu=max
accel=tcg
if [[ -n $stock ]]; then
	kernel=$("$FAMFS_RS_TOP/scripts/fetch-stock-kernel.sh" "$stock")/vmlinuz || die "no stock kernel $stock"
	# A CXL region commits only after the CPU caches are invalidated,
	# which x86 refuses under a hypervisor (the CPUID hypervisor bit):
	# "Failed to synchronize CPU cache state", a WARN, and no region.
	# The test kernel skips that step (CXL_REGION_INVALIDATION_TEST);
	# Debian's cannot, so the guest is not told it is one (TCG's WBINVD
	# is harmless).
	cpu=max,hypervisor=off
	# 7.x's cxl_pmem refuses a region of a device with no serial number
	# ("invalid or missing serial number"; it makes the interleave-set
	# cookie), and QEMU's type-3 device has none unless given one.
	sn0=,sn=0x1 sn1=,sn=0x2 sn2=,sn=0x3
	# Debian's kernel patches its own code at run time (jump labels,
	# through int3 breakpoints on every CPU); QEMU's multi-threaded TCG
	# lets another vCPU run the half-patched code: "Oops: int3" in early
	# boot, seen once in 25 boots and once in a make check. One host
	# thread for both vCPUs rules that out (the test kernel patches no
	# code that way).
	accel=tcg,thread=single
else
	kdir=${KDIR:-$("$FAMFS_RS_TOP/scripts/build-kernel.sh" --print-dir)}
	kernel=$kdir/arch/x86/boot/bzImage
fi
initrd=${INITRD:-$vmdir/initramfs.cpio.gz}
cxl_size=${CXL_SIZE:-1G}
# A second, smaller CXL device behind its own host bridge and memory window
# (a QEMU 7.2 host bridge decodes one region): files spanning two devices,
# and a device to fence while the other keeps working.
cxl1_size=${CXL1_SIZE:-512M}
cxl2_size=${CXL2_SIZE:-}
guest_mem=${GUEST_MEM:-2G}
timeout_s=${VM_TIMEOUT:-1500}
guest_uuid=${GUEST_UUID:-5f0b1c2e-9a7d-4e3b-8c11-000000000001}

[[ -e $kernel ]] || die "no kernel at $kernel: run 'make kernel'"
[[ -e $initrd ]] || die "no initramfs at $initrd"
cxldir=${CXL_DIR:-$vmdir}
mkdir -p "$vmdir" "$outdir" "$cxldir"
mem=$cxldir/cxl-mem0.raw
[[ -e $mem ]] || truncate -s "$cxl_size" "$mem"
mem1=$cxldir/cxl-mem1.raw
[[ -e $mem1 ]] || truncate -s "$cxl1_size" "$mem1"
# QEMU is given the files themselves: a symbolic link would be sized as
# the link, not as the memory.
mem=$(readlink -f "$mem")
mem1=$(readlink -f "$mem1")
# A fresh label area each boot, the guest's own: the guest creates region
# and namespace anew, with the same layout, so the data in $mem keeps its
# place (and two guests on one memory see it at the same offsets).
lsa=$outdir/cxl-lsa0.raw
lsa1=$outdir/cxl-lsa1.raw
rm -f "$lsa" "$lsa1"
truncate -s 256M "$lsa"
truncate -s 256M "$lsa1"
cxl_bytes=$(stat -L -c %s "$mem")
cxl1_bytes=$(stat -L -c %s "$mem1")

# window BYTES: a CXL fixed memory window for a device of BYTES: at least
# 4 GiB (what the tests have always used), else the device rounded up to
# whole GiB.
window() {
	local gib=$((($1 + (1 << 30) - 1) >> 30))
	echo "$((gib < 4 ? 4 : gib))G"
}
# The optional third device: its own host bridge and window, as the others.
third=()
cxl2_bytes=
if [[ -n $cxl2_size ]]; then
	mem2=$cxldir/cxl-mem2.raw
	[[ -e $mem2 ]] || truncate -s "$cxl2_size" "$mem2"
	mem2=$(readlink -f "$mem2")
	lsa2=$outdir/cxl-lsa2.raw
	rm -f "$lsa2"
	truncate -s 256M "$lsa2"
	cxl2_bytes=$(stat -L -c %s "$mem2")
	third=(
		-object "memory-backend-file,id=cxl-mem2,share=on,mem-path=$mem2,size=$cxl2_bytes"
		-object "memory-backend-file,id=cxl-lsa2,share=on,mem-path=$lsa2,size=256M"
		-device pxb-cxl,bus_nr=232,bus=pcie.0,id=cxl.3
		-device cxl-rp,port=0,bus=cxl.3,id=root_port17,chassis=0,slot=4
		-device "cxl-type3,bus=root_port17,memdev=cxl-mem2,lsa=cxl-lsa2,id=cxl-pmem2${sn2:-}"
	)
fi
fmws="cxl-fmw.0.targets.0=cxl.1,cxl-fmw.0.size=$(window "$cxl_bytes")"
fmws+=",cxl-fmw.1.targets.0=cxl.2,cxl-fmw.1.size=$(window "$cxl1_bytes")"
[[ -z $cxl2_bytes ]] || fmws+=",cxl-fmw.2.targets.0=cxl.3,cxl-fmw.2.size=$(window "$cxl2_bytes")"
# pci=nomsi: with MEMORY_FAILURE=y the kernel claims CXL error reporting and
# cxl_pci then sets up event-log interrupts, which QEMU 7.2's type-3 device
# does not provide ("Failed to get interrupt for event Info log", probe
# fails). Without MSI, cxl_pci skips event processing and probes.
# no_timer_check: under TCG on a loaded host the boot-time check that the
# IO-APIC timer ticks can miss its window and panic ("IO-APIC + timer
# doesn't work", seen once in the harness guest); virtual machines skip it.
# slub_debug=F: sanity checks on every slab object, and no per-CPU slabs, so
# /proc/slabinfo counts objects exactly (the leak tests need that: otherwise
# a whole CPU slab counts as active and 20 leaked objects show as +0 or +64).
slub_debug=${GUEST_SLUB_DEBUG-F}
append="console=ttyS0 panic=-1 pci=nomsi${slub_debug:+ slub_debug=$slub_debug} no_timer_check"

: >"$outdir/console.log"
: >"$outdir/tap.log"
set +e
timeout --foreground -k 10 "$timeout_s" qemu-system-x86_64 \
	-accel "$accel" -cpu "$cpu" -smp 2 ${QEMU_EXTRA:-} \
	-M q35,cxl=on -m "$guest_mem,maxmem=8G,slots=4" \
	-uuid "$guest_uuid" \
	-display none -monitor none -no-reboot \
	-serial "file:$outdir/console.log" -serial "file:$outdir/tap.log" \
	-kernel "$kernel" -initrd "$initrd" \
	-append "$append famfs_rs_test.mode=$mode famfs_rs_test.cxl_size=$cxl_bytes famfs_rs_test.cxl1_size=$cxl1_bytes famfs_rs_test.uuid=$guest_uuid${cxl2_bytes:+ famfs_rs_test.cxl2_size=$cxl2_bytes} ${GUEST_APPEND:-}" \
	-object "memory-backend-file,id=cxl-mem0,share=on,mem-path=$mem,size=$cxl_bytes" \
	-object "memory-backend-file,id=cxl-lsa0,share=on,mem-path=$lsa,size=256M" \
	-device pxb-cxl,bus_nr=12,bus=pcie.0,id=cxl.1 \
	-device cxl-rp,port=0,bus=cxl.1,id=root_port13,chassis=0,slot=2 \
	-device "cxl-type3,bus=root_port13,memdev=cxl-mem0,lsa=cxl-lsa0,id=cxl-pmem0${sn0:-}" \
	-object "memory-backend-file,id=cxl-mem1,share=on,mem-path=$mem1,size=$cxl1_bytes" \
	-object "memory-backend-file,id=cxl-lsa1,share=on,mem-path=$lsa1,size=256M" \
	-device pxb-cxl,bus_nr=222,bus=pcie.0,id=cxl.2 \
	-device cxl-rp,port=0,bus=cxl.2,id=root_port15,chassis=0,slot=3 \
	-device "cxl-type3,bus=root_port15,memdev=cxl-mem1,lsa=cxl-lsa1,id=cxl-pmem1${sn1:-}" \
	"${third[@]}" \
	-M "$fmws" \
	</dev/null
rc=$?
set -e
exit $rc
