#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vng-guest.sh: inside a virtme-ng guest (scripts/vng-test.sh), on a view
# of the host's root: make the two emulated pmem ranges (memmap=) devdax
# namespaces, load famfs_rs.ko, and run the selftests the kselftest way
# with the devices named in the environment. Its arguments go to make.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
say() { echo "vng-guest: $*"; }

# A stock kernel has the pmem and dax drivers as modules (the test kernel
# has them built in: modprobe then finds nothing to do).
modprobe -a nd_e820 nd_pmem dax_pmem device_dax 2>/dev/null
modprobe fsdev_dax 2>/dev/null
# Each memmap= range is a label-less region whose one namespace is made
# devdax, its page map in RAM (--map=mem, as famfs needs).
for region in $(ndctl list -R | sed -n 's/.*"dev":"\(region[0-9]*\)".*/\1/p' | sort); do
	ns=$(ndctl list -r "$region" -N | sed -n 's/.*"dev":"\(namespace[0-9.]*\)".*/\1/p' | head -1)
	[[ -n $ns ]] || { say "no namespace in $region"; continue; }
	ndctl create-namespace -f -e "$ns" -m devdax --map=mem >/dev/null ||
		{ say "making $ns devdax failed"; continue; }
done
mapfile -t devs < <(ls /dev/dax* 2>/dev/null)
say "kernel $(uname -r), devdax: ${devs[*]:-none}"
export FAMFS_RS_TEST_DEV=${FAMFS_RS_TEST_DEV-${devs[0]:-}}
export FAMFS_RS_TEST_DEV2=${FAMFS_RS_TEST_DEV2-${devs[1]:-}}
export FAMFS_RS_TEST_POISON=${FAMFS_RS_TEST_POISON-1}
if [[ -n ${FAMFS_RS_TEST_MODULE:-} ]]; then
	grep -q '^famfs_rs ' /proc/modules || insmod "$FAMFS_RS_TEST_MODULE" || say "insmod $FAMFS_RS_TEST_MODULE failed"
fi
export PATH=$top/userspace/target/release:$PATH
make -C "$top/tools/testing/selftests/famfs_rs" run_tests "$@"
