#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# /init of the famfs_rs test guest. Brings up the emulated CXL memory as
# /dev/dax0.0 and /dev/dax1.0, then runs what the kernel command line asks
# for:
#   famfs_rs_test.mode=test     the selftests (TAP on /dev/ttyS1)
#   famfs_rs_test.mode=twohost  one side (famfs_rs_test.role=master or
#                               client) of the two-guest selftests
#   famfs_rs_test.mode=harness  the harness canaries
#   famfs_rs_test.mode=kselftest, run_kselftest  the selftests through
#                               kselftest's make run_tests, run_kselftest.sh
#   famfs_rs_test.mode=demo     the demo script
#   famfs_rs_test.mode=bench    the benchmark (raw figures on /dev/ttyS1)
#   famfs_rs_test.mode=stall    never finish (the host timeout must fire)
#   famfs_rs_test.mode=boot     nothing more (checks of the bring-up itself)
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
# devtmpfs has no /dev/fd or /dev/std*, which scripts open (kselftest's
# runner appends to /dev/stdout: without the link it made a file there).
ln -sf /proc/self/fd /dev/fd
ln -sf /proc/self/fd/0 /dev/stdin
ln -sf /proc/self/fd/1 /dev/stdout
ln -sf /proc/self/fd/2 /dev/stderr
hostname famfs-guest

param() { sed -n "s/.*famfs_rs_test\.$1=\([^ ]*\).*/\1/p" /proc/cmdline; }
say() { echo "famfs-guest: $*"; }

# setup_devdax N SIZE: the CXL memdev of SIZE bytes (memdev numbering does
# not follow QEMU's device order) -> pmem region -> devdax namespace
# /dev/daxN.0 (or, with MODE fsdax, the block device /dev/pmemN). The
# namespace keeps its page map (struct pages) in guest RAM (--map=mem), as
# every host sharing the memory must: with ndctl's default, map=dev, each
# host would keep its page state in the shared bytes
# (Documentation/famfs_rs.rst, "Several hosts").
setup_devdax() {
	n=$1 size=$2 nsmode=${3:-devdax}
	# The CXL bus enumerates asynchronously; wait for the memdevs.
	i=0
	while [ "$(ls -d /sys/bus/cxl/devices/mem* 2>/dev/null | wc -l)" -lt "$memdevs" ] && [ $i -lt 100 ]; do
		sleep 0.2; i=$((i + 1))
	done
	mem=
	for m in /sys/bus/cxl/devices/mem*; do
		[ "$(cat $m/pmem/size 2>/dev/null)" = "$(printf '0x%x' "$size")" ] && mem=${m##*/}
		[ "$(cat $m/pmem/size 2>/dev/null)" = "$size" ] && mem=${m##*/}
	done
	[ -n "$mem" ] || { say "no CXL memdev of $size bytes"; return 1; }
	# Each device sits behind its own host bridge and memory window
	# (root decoder decoder0.N); find the one that takes it.
	made=
	for d in decoder0.0 decoder0.1 decoder0.2; do
		cxl create-region -m -t pmem -d $d -w 1 -g 4096 "$mem" >/tmp/cxl.log 2>&1 &&
			grep -q '"region"' /tmp/cxl.log && { made=1; break; }
	done
	[ -n "$made" ] || { say "cxl create-region for $mem failed:"; cat /tmp/cxl.log; return 1; }
	region=$(sed -n 's/.*"region":"\(region[0-9]*\)".*/\1/p' /tmp/cxl.log | head -1)
	i=0
	while [ -z "$(ls /sys/bus/nd/devices/ | grep '^region' | sort | sed -n "$((n + 1))p")" ] && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	ndreg=$(ls /sys/bus/nd/devices/ | grep '^region' | sort | sed -n "$((n + 1))p")
	if [ "$nsmode" = fsdax ]; then
		ndctl create-namespace -m fsdax --map=mem -r "$ndreg" >/tmp/ndctl.log 2>&1 ||
			{ say "ndctl create-namespace (fsdax) on $ndreg ($mem) failed:"; cat /tmp/ndctl.log; return 1; }
		blk=$(sed -n 's/.*"blockdev":"\(pmem[0-9.]*\)".*/\1/p' /tmp/ndctl.log | head -1)
		[ -b "/dev/$blk" ] && say "fsdax ready: /dev/$blk ($mem)" && echo "$blk" >/run/fsdax-dev
		return
	fi
	if ! [ -e /dev/dax$n.0 ]; then
		ndctl create-namespace -m devdax --map=mem -r "$ndreg" >/tmp/ndctl.log 2>&1 ||
			{ say "ndctl create-namespace on $ndreg ($mem, cxl $region) failed:"; cat /tmp/ndctl.log
			  cxl list -M -R -u; ndctl list -R -u; return 1; }
	fi
	i=0
	while ! [ -e /dev/dax$n.0 ] && [ $i -lt 50 ]; do
		sleep 0.2; i=$((i + 1))
	done
	[ -e /dev/dax$n.0 ] && say "devdax ready: /dev/dax$n.0 ($(cat /sys/bus/dax/devices/dax$n.0/size) bytes, $mem)"
}

mode=$(param mode)
say "mode ${mode:-none}"
# A stock kernel has the CXL, NVDIMM and DAX drivers as modules: the
# initramfs lists those to load (scripts/mkinitramfs.sh). The test kernel
# has them built in and no list.
if [ -s /etc/famfs_rs-modules ]; then
	modprobe -a $(cat /etc/famfs_rs-modules) ||
		say "loading modules of $(uname -r) failed (initramfs made for another kernel?)"
	say "kernel $(uname -r), modules loaded: $(cut -d' ' -f1 /proc/modules | sort | tr '\n' ' ')"
fi
memdevs=2
[ -n "$(param cxl2_size)" ] && memdevs=3
setup_devdax 0 "$(param cxl_size)" || say "no devdax: tests that need it will fail"
setup_devdax 1 "$(param cxl1_size)" || say "no second devdax: tests that need it will fail"
# A third device, when the host gives one (the benchmark's ext4 -o dax
# peer), becomes a pmem block device in fsdax mode.
if [ -n "$(param cxl2_size)" ]; then
	setup_devdax 2 "$(param cxl2_size)" fsdax || say "no fsdax namespace: its peers will fail"
fi

# The selftests' settings (run_tests.sh lists them): the devices made
# above, then every famfs_rs_test.<name>=<value> of the command line as
# FAMFS_RS_TEST_<NAME> (famfs_rs_test.dev2= leaves the tests one device;
# famfs_rs_test.only=PATTERN runs only the test files matching it). Their
# KTAP goes to the second serial port.
export TAP_OUT=/dev/ttyS1 FAMFS_RS_TEST_POISON=1
[ -c /dev/dax0.0 ] && export FAMFS_RS_TEST_DEV=/dev/dax0.0
[ -c /dev/dax1.0 ] && export FAMFS_RS_TEST_DEV2=/dev/dax1.0
for kv in $(cat /proc/cmdline); do
	case $kv in famfs_rs_test.*=*) ;; *) continue ;; esac
	k=${kv%%=*}
	export "FAMFS_RS_TEST_$(echo "${k#famfs_rs_test.}" | tr a-z A-Z)=${kv#*=}"
done
only=$(param only)
case "$mode" in
test) /selftests/run_tests.sh ;;
# The same suite the kselftest way (scripts/mkinitramfs.sh with
# FAMFS_RS_WITH_KSELFTEST=1): `make run_tests` in its source directory, or
# the kernel's run_kselftest.sh over `make install`'s tree; KTAP on stdout.
kselftest)
	(unset TAP_OUT; make -C /src/famfs_rs run_tests KSFT_DIR=/src/ksft) >/dev/ttyS1 2>&1 ;;
run_kselftest)
	(unset TAP_OUT; /kselftest/run_kselftest.sh -c famfs_rs) >/dev/ttyS1 2>&1 ;;
twohost)
	# The same test files on both guests; each test does its role's part,
	# in step with the other guest through a mailbox in the shared memory.
	files=$(ls /selftests/twohost/*.sh | grep -- "${only:-.}")
	[ -n "$files" ] && /selftests/run_tests.sh $files
	# Whatever happened here, the other guest must not wait for us.
	/selftests/bin/twohost "$(param role)" finish ;;
harness) TEST_TIMEOUT=10 /selftests/run_tests.sh /selftests/harness/*.sh ;;
demo) /demo.sh >/dev/ttyS1 2>&1 ;;
bench) /bench/bench.sh ;;
stall) sleep 100000 ;;
boot) ;;
*) say "unknown mode '$mode'" ;;
esac
sync
say "powering off"
poweroff -f
