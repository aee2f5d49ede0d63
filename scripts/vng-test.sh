#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vng-test.sh KERNEL [MAKE_ARGS...]: the selftests under virtme-ng (vng),
# as kernel developers run kselftests: KERNEL boots on a copy-on-write view
# of this host's root, with two pmem ranges of guest RAM (memmap=, 1 GiB and
# 512 MiB) that scripts/vng-guest.sh makes devdax before it runs `make -C
# tools/testing/selftests/famfs_rs run_tests MAKE_ARGS`.
#
# KERNEL: the test kernel's build directory in its vng flavour
# (KERNEL_FLAVOUR=vng scripts/build-kernel.sh), or a vmlinuz, such as
# Debian's 7.x (scripts/fetch-stock-kernel.sh KVER prints its directory).
# FAMFS_RS_TEST_MODULE names the famfs_rs.ko built for it; every
# FAMFS_RS_TEST_* variable is passed on (FAMFS_RS_TEST_ONLY=60_...). QEMU
# emulates (TCG), as scripts/run-vm.sh does; VNG_KVM=1 lets vng use KVM
# where it works (here /dev/kvm exists, but QEMU fails to set up its vCPU);
# VNG_ARGS adds vng options (--verbose shows the kernel console, where a
# stock kernel's guest writes the output: vng loads no virtio_console
# module for its script ports).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kernel=${1:?usage: vng-test.sh KERNEL [MAKE_ARGS...]}
shift
command -v vng >/dev/null || die "no vng: apt-get install virtme-ng (Debian 13), or pip install virtme-ng"
opts=(--memory 6G --cpus 2 --append 'memmap=1G!4G memmap=512M!5632M slub_debug=F'
	--overlay-rwdir /mnt --overlay-rwdir /var)
[[ ${VNG_KVM:-0} == 1 ]] || opts+=(--disable-kvm)
# Without udevd on the host root, virtme-ng-init finds no script ports and
# writes the script's output to the kernel console, and vng's exit status
# is not the script's: then show the console, and judge by the KTAP totals.
no_ports=0
if ! command -v udevd >/dev/null && [[ ! -x /lib/systemd/systemd-udevd && ! -x /usr/lib/systemd/systemd-udevd ]]; then
	no_ports=1
	opts+=(--verbose)
fi
make -s -C "$FAMFS_RS_TOP/tools/testing/selftests/famfs_rs" all
env=$(env | grep '^FAMFS_RS_TEST_' | sed "s/'/'\\\\''/g; s/=\(.*\)/='\1'/" | tr '\n' ' ')
cmd=(vng --run "$kernel" "${opts[@]}")
# shellcheck disable=SC2206 # VNG_ARGS: options, split on purpose
cmd+=(${VNG_ARGS:-} --exec "env $env $FAMFS_RS_TOP/scripts/vng-guest.sh $*")
((no_ports)) || exec "${cmd[@]}"
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"${cmd[@]}" 2>&1 | tee "$out" || true
totals=$(grep -o 'Totals: pass:[0-9]* fail:[0-9]*' "$out" | tail -n 1)
[[ -n $totals ]] || die "no KTAP totals in the guest's output (it did not finish?)"
[[ $totals == *" fail:0" ]]
