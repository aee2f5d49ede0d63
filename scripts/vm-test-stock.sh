#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm-test-stock.sh [KVER]: the VM selftests on one of Debian's stock Rust
# kernels (default 7.3.4+deb13-amd64), as its users get famfs_rs: the
# unmodified image and modules (scripts/fetch-stock-kernel.sh), famfs_rs.ko
# built by DKMS against Debian's headers in the kernel's Debian root
# (scripts/stock-module.sh, after scripts/stock-kernel.sh). Single guest
# and two hosts.
#
# The harness's self-test (a deliberate WARN through LKDTM, a deliberate
# hang) runs on the test kernel only: Debian does not build LKDTM, so the
# WARN canary cannot fire here; this is said in the output.
#
# With VM_TEST_TOTAL_WITH=DIR (make check: the test kernel's run dir), the
# last line counts both kernels' results.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:-$STOCK_KVER_DEFAULT}
ko=$("$FAMFS_RS_TOP/scripts/stock-module.sh" "$kver") || die "famfs_rs.ko for $kver could not be built"
echo "# stock kernel $kver: famfs_rs.ko built by DKMS against Debian's headers ($(modinfo -F vermagic "$ko"))"
echo "# harness self-test not run on $kver: Debian's kernel has no LKDTM for its WARN canary (it runs on the test kernel)"
rc=0
VM_TEST_SKIP_HARNESS=1 FAMFS_RS_KERNEL=stock-$kver FAMFS_RS_KO=$ko \
	"$FAMFS_RS_TOP/scripts/vm-test.sh" | sed -e "s/^\(ok [0-9]* - \)/\1$kver: /" \
	-e "s/^\(not ok [0-9]* - \)/\1$kver: /" -e "s/^\([0-9]* passed, [0-9]* failed\)$/$kver: \1/" || rc=1
if [[ -n ${VM_TEST_TOTAL_WITH:-} ]]; then
	tally() { cat "$@" 2>/dev/null | grep -c "$pattern" || true; }
	files=("$VM_TEST_TOTAL_WITH/results.tap" "$FAMFS_RS_TOP/build/vm-stock-$kver/results.tap")
	pattern='^ok - '; passed=$(tally "${files[@]}")
	pattern='^not ok - '; failed=$(tally "${files[@]}")
	echo "# both kernels (test kernel and $kver):"
	echo "$passed passed, $failed failed"
	((failed == 0)) || rc=1
fi
exit $rc
