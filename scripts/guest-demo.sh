#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The famfs_rs demo, inside the guest: what a user of a CXL machine sees.
step() { echo; echo "### $*"; }
run() { echo "\$ $*"; "$@"; }

step "The emulated CXL memory, as the CXL tools see it"
run cxl list -M -R -u
step "It reached the guest as a devdax device"
run ls -l /dev/dax0.0
run daxctl list -u
step "Load famfs_rs.ko"
run insmod /lib/modules/famfs_rs.ko
run grep famfs_rs /proc/modules
run ls -l /dev/famfs_rs
run dmesg | grep famfs_rs | tail -3
if command -v famfs >/dev/null; then
	step "The famfs userspace"
	run famfs --version
fi
step "Unload"
run rmmod famfs_rs
echo "# demo: done"
