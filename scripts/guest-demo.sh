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
run famfs mount /dev/dax0.0 /mnt/famfs
run grep famfs_rs /proc/mounts
run stat -f -c "statfs type: %t" /mnt/famfs
run ls -lR /mnt/famfs
run find /mnt/famfs
step "A file created after the mount, through the mount, appears at once"
run famfs creat -s 2M /mnt/famfs/data/late.bin
run ls -l /mnt/famfs/data
step "Per-mount counters (debugfs)"
dev=$(awk '$5 == "/mnt/famfs" { print $3 }' /proc/self/mountinfo)
run grep . /sys/kernel/debug/famfs_rs/$dev/upcalls /sys/kernel/debug/famfs_rs/$dev/bad_replies
step "Unmount: the daemon sees DESTROY and exits"
run famfs umount /mnt/famfs
run famfs fsck /dev/dax0.0
step "Unload"
run rmmod famfs_rs
echo "# demo: done"
