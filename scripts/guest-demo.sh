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
step "Mount the famfs_rs file system type (the daemon and files come next)"
exec 3<>/dev/famfs_rs
mkdir -p /mnt/famfs
run mount -t famfs_rs -o fd=3,rootmode=40755,user_id=0,group_id=0 famfs /mnt/famfs
run stat -f -c "mounted: type %t" /mnt/famfs
run umount /mnt/famfs
exec 3>&-
step "Unload"
run rmmod famfs_rs
echo "# demo: done"
