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
step "Format the CXL memory as famfs and build a namespace (through a devdax mmap)"
export FAMFS_DEVICE=/dev/dax0.0
run famfs mkfs --force /dev/dax0.0
run famfs mkdir -p /data/results
run famfs creat -s 8M --randomize --seed 42 /data/results/matrix.bin
head -c 3000000 /dev/urandom >/tmp/input.bin
run famfs cp /tmp/input.bin /data/input.bin
run famfs logplay /dev/dax0.0
run famfs getmap /data/results/matrix.bin
run famfs verify --seed 42 /data/results/matrix.bin
run famfs fsck /dev/dax0.0
step "Mount it: famfs mount starts the daemon, which serves the log's namespace over /dev/famfs_rs"
mkdir -p /mnt/famfs
unset FAMFS_DEVICE  # from here on, paths inside the mount name the file system
run famfs mount /dev/dax0.0 /mnt/famfs
run grep famfs_rs /proc/mounts
run stat -f -c "statfs type: %t" /mnt/famfs
run ls -lR /mnt/famfs
run find /mnt/famfs
step "The device now belongs to famfs_rs's dax driver: the raw node is closed"
run ls /sys/bus/dax/drivers/famfs_rs/
run sh -c 'cat /dev/dax0.0 2>&1 | head -1'
step "Copy a file in through the mount (log entry via .meta/.log, data via dax)"
run famfs cp /tmp/input.bin /mnt/famfs/data/copied.bin
run cmp /tmp/input.bin /mnt/famfs/data/copied.bin
run famfs verify --seed 42 /mnt/famfs/data/results/matrix.bin
step "Read a file through mmap: faults served from the cached file map"
dev=$(awk '$5 == "/mnt/famfs" { print $3 }' /proc/self/mountinfo)
c=/sys/kernel/debug/famfs_rs/$dev
run /selftests/bin/dax_probe touch /mnt/famfs/data/results/matrix.bin 10 $c/upcalls
step "Per-mount counters: PMD faults, and no upcall on the fault path"
run grep . $c/upcalls $c/lookups $c/fmaps $c/daxdev_gets $c/faults_pmd $c/faults_pte $c/fault_fallbacks $c/bad_replies
step "Unmount: the daemon sees DESTROY, gives the device back to device_dax, exits"
run famfs umount /mnt/famfs
run ls -l /dev/dax0.0
run famfs fsck /dev/dax0.0
step "Unload"
run rmmod famfs_rs
echo "# demo: done"
