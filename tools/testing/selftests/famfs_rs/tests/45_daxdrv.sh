# SPDX-License-Identifier: GPL-2.0
#
# The famfs_rs dax bus driver: /dev/dax0.0 handed over from device_dax
# through sysfs and given back, with its bytes intact; only the devices
# named to it are taken; unbinds and module unloads leave nothing behind.
#
# needs: dev famfs
# needs test_daxdrv_rmmod_unbinds: module
# needs test_daxdrv_rmmod_after: module
# needs test_daxdrv_cycles_no_leak: slab_counts

export FAMFS_DEVICE=$FAMFS_DEV
DAX=$DEVNAME
BUS=/sys/bus/dax
OURS=$BUS/drivers/famfs_rs
DEVDAX=$BUS/drivers/device_dax

# The driver dax0.0 is bound to, or "none".
bound_to() {
	l=$(readlink $BUS/devices/$DAX/driver 2>/dev/null) || { echo none; return; }
	basename "$l"
}

# The handover `famfs mount` automates.
to_famfs_rs() {
	[ "$(bound_to)" = device_dax ] && { echo $DAX >$DEVDAX/unbind || return 1; }
	echo $DAX >$OURS/new_id || fail "new_id $DAX refused" || return 1
	expect_eq "driver of $DAX after new_id" famfs_rs "$(bound_to)"
}

# And the way back (famfs umount).
to_device_dax() {
	[ "$(bound_to)" = famfs_rs ] && { echo $DAX >$OURS/unbind || return 1; }
	echo $DAX >$OURS/remove_id 2>/dev/null
	echo $DAX >$DEVDAX/bind || fail "bind $DAX to device_dax refused" || return 1
	expect_eq "driver of $DAX after bind" device_dax "$(bound_to)"
}

test_daxdrv_registered() {
	needs_own_daxdrv || return
	module_loaded || insmod "$MODULE" || return 1
	[ -d $OURS ] || fail "$OURS missing" || return 1
	[ -e $OURS/new_id ] || fail "$OURS has no new_id" || return 1
	expect_eq "driver of $DAX at start" device_dax "$(bound_to)"
}

# Raw bytes through the devdax before any handover, checked after each.
test_daxdrv_seed_data() {
	needs_own_daxdrv || return
	quietly famfs mkfs --force $FAMFS_DEVICE || return 1
	famfs creat -s 4M --randomize --seed 45 /daxdrv || fail "creat failed" || return 1
	famfs verify --seed 45 /daxdrv || fail "verify before handover failed"
}

test_daxdrv_bind() {
	needs_own_daxdrv || return
	module_loaded || insmod "$MODULE" || return 1
	to_famfs_rs || return 1
	[ -e $OURS/$DAX ] || fail "$OURS/$DAX missing" || return 1
	dmesg | grep -q "famfs_rs: $DAX: bound" || fail "no 'bound' line in dmesg" || return 1
	# Exclusive: the raw node no longer opens.
	r=$("$BIN"/open_as 0 0 /dev/$DAX)
	expect_eq "open /dev/$DAX while bound to famfs_rs" ENXIO "$r" || return 1
	# The memory is claimed in the resource tree under the device's name.
	grep -q "$DAX" /proc/iomem || fail "$DAX not in /proc/iomem"
}

# Binding holds no module reference: rmmod unbinds, and cleanly.
test_daxdrv_rmmod_unbinds() {
	needs_own_daxdrv || return
	[ "$(bound_to)" = famfs_rs ] || to_famfs_rs || return 1
	rmmod famfs_rs || fail "rmmod while $DAX bound failed" || return 1
	expect_eq "driver of $DAX after rmmod" none "$(bound_to)" || return 1
	[ ! -d $OURS ] || fail "$OURS still there after rmmod" || return 1
	insmod "$MODULE" || fail "insmod after rmmod failed" || return 1
	to_device_dax || return 1
	famfs verify --seed 45 /daxdrv || fail "verify after rmmod round trip failed"
}

test_daxdrv_give_back() {
	needs_own_daxdrv || return
	module_loaded || insmod "$MODULE" || return 1
	to_famfs_rs || return 1
	to_device_dax || return 1
	r=$("$BIN"/open_as 0 0 /dev/$DAX)
	expect_eq "open /dev/$DAX back on device_dax" ok "$r" || return 1
	famfs verify --seed 45 /daxdrv || fail "verify after the round trip failed" || return 1
	quietly famfs fsck $FAMFS_DEVICE
}

# A device nobody named to famfs_rs is never taken: another name in new_id
# (which makes the bus offer every unbound device to the driver) leaves the
# unbound dax0.0 alone, and a direct bind of it is refused.
test_daxdrv_takes_only_named() {
	needs_own_daxdrv || return
	module_loaded || insmod "$MODULE" || return 1
	[ "$(bound_to)" = device_dax ] || to_device_dax || return 1
	echo $DAX >$DEVDAX/unbind || fail "unbind from device_dax failed" || return 1
	echo dax99.0 >$OURS/new_id
	got=$(bound_to)
	echo dax99.0 >$OURS/remove_id
	expect_eq "driver of unbound $DAX after new_id dax99.0" none "$got" || { to_device_dax; return 1; }
	if echo $DAX >$OURS/bind 2>/dev/null; then
		fail "bind of $DAX (not in new_id) accepted"
		to_device_dax
		return 1
	fi
	expect_eq "driver of $DAX after refused bind" none "$(bound_to)" || return 1
	to_device_dax
}

# One handover and back with shell builtins only: forked processes leave
# kernel stacks in vmap_area that are freed lazily, which a leak count
# would take for ours.
daxdrv_cycle() {
	echo $DAX >$DEVDAX/unbind && echo $DAX >$OURS/new_id &&
		[ -e $OURS/$DAX ] || fail "cycle: $DAX not bound to famfs_rs" || return 1
	echo $DAX >$OURS/unbind && echo $DAX >$OURS/remove_id &&
		echo $DAX >$DEVDAX/bind && [ -e $DEVDAX/$DAX ] ||
		fail "cycle: $DAX not back on device_dax"
}

test_daxdrv_cycles_no_leak() {
	needs_own_daxdrv || return
	module_loaded || insmod "$MODULE" || return 1
	before=$(dmesg | grep -c "famfs_rs: $DAX: bound")
	no_slab_growth 10 daxdrv_cycle || return 1
	n=$(($(dmesg | grep -c "famfs_rs: $DAX: bound") - before))
	expect_eq "binds seen in dmesg" 20 "$n" || return 1
	famfs verify --seed 45 /daxdrv || fail "verify after 20 cycles failed" || return 1
	quietly famfs fsck $FAMFS_DEVICE
}

test_daxdrv_rmmod_after() {
	needs_own_daxdrv || return
	[ "$(bound_to)" = device_dax ] || to_device_dax || return 1
	rmmod famfs_rs || fail "rmmod failed"
}
