#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the famfs_rs test guest. Brings up the emulated CXL memory as
# /dev/dax0.0, then runs what the kernel command line asks for:
#   famfs_rs_test.mode=test     the selftests (TAP on /dev/ttyS1)
#   famfs_rs_test.mode=harness  the harness canaries
#   famfs_rs_test.mode=demo     the demo script
#   famfs_rs_test.mode=stall    never finish (the host timeout must fire)
# and powers off.
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t tmpfs tmpfs /tmp
mount -t tmpfs tmpfs /run
mount -t debugfs debugfs /sys/kernel/debug
mount -t tracefs tracefs /sys/kernel/tracing 2>/dev/null
mkdir -p /dev/pts /mnt
hostname famfs-guest

param() { sed -n "s/.*famfs_rs_test\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "famfs-guest: $*"; }

setup_devdax() {
	# The CXL bus enumerates asynchronously; wait for the memdev.
	i=0
	while ! [ -e /sys/bus/cxl/devices/mem0 ] && [ $i -lt 100 ]; do
		sleep 0.2; i=$((i + 1))
	done
	cxl create-region -m -t pmem -d decoder0.0 -w 1 -g 4096 mem0 >/tmp/cxl.log 2>&1 ||
		{ say "cxl create-region failed:"; cat /tmp/cxl.log; return 1; }
	i=0
	while ! [ -e /sys/bus/nd/devices/region0 ] && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	if ! [ -e /dev/dax0.0 ]; then
		ndctl create-namespace -m devdax -r region0 >/tmp/ndctl.log 2>&1 ||
			{ say "ndctl create-namespace failed:"; cat /tmp/ndctl.log; return 1; }
	fi
	i=0
	while ! [ -e /dev/dax0.0 ] && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	[ -e /dev/dax0.0 ] && say "devdax ready: /dev/dax0.0 ($(cat /sys/bus/dax/devices/dax0.0/size) bytes)"
}

mode=$(param mode)
say "mode ${mode:-none}"
setup_devdax || say "no devdax: tests that need it will fail"

case "$mode" in
test)
	# famfs_rs_test.only=PATTERN runs only the test files matching it.
	only=$(param only)
	if [ -n "$only" ]; then
		/selftests/run_tests.sh $(ls /selftests/tests/*.sh | grep -- "$only")
	else
		/selftests/run_tests.sh
	fi ;;
harness) TEST_TIMEOUT=10 /selftests/run_tests.sh /selftests/harness/*.sh ;;
demo) /demo.sh >/dev/ttyS1 2>&1 ;;
stall) sleep 100000 ;;
*) say "unknown mode '$mode'" ;;
esac
sync
say "powering off"
poweroff -f
