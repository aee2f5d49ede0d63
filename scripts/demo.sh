#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh: boot the CXL guest and run the famfs_rs demo in it, showing the
# guest's output as it happens. (make demo builds everything first.)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

vmdir=${FAMFS_RS_VMDIR:-$FAMFS_RS_TOP/build/vm}
export FAMFS_RS_VMDIR=$vmdir
mkdir -p "$vmdir"
export KDIR=${KDIR:-$("$FAMFS_RS_TOP/scripts/build-kernel.sh")}
export INITRD=$vmdir/initramfs.cpio.gz
"$FAMFS_RS_TOP/scripts/mkinitramfs.sh" "$INITRD"
out=$vmdir/demo
mkdir -p "$out"
: >"$out/tap.log"
log "booting the CXL guest under QEMU (software emulation: about a minute)"
log "kernel console: $out/console.log"
tail -n +1 -f "$out/tap.log" &
tailpid=$!
trap 'kill $tailpid 2>/dev/null' EXIT
rc=0
VM_TIMEOUT=${VM_TIMEOUT:-600} "$FAMFS_RS_TOP/scripts/run-vm.sh" demo "$out" || rc=$?
sleep 1
grep -q "^# demo: done" "$out/tap.log" || die "the demo did not finish (QEMU status $rc); see $out/console.log"
