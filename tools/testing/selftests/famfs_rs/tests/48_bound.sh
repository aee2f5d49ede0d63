# SPDX-License-Identifier: GPL-2.0
#
# famfs bind: a device kept on famfs_rs's dax driver across umount and
# mount, so that neither moves it (no handover), and reached meanwhile by
# mkfs, fsck, logplay, -D verbs and the daemon through its raw node
# /dev/famfs_rs_raw/daxX.Y; hostile offsets and lengths on that node get
# clean errnos, and writes through it are refused while mounted. famfs
# unbind gives the device back to device_dax.

DAX=dax0.0
RAW=/dev/famfs_rs_raw/$DAX

bound_driver() {
	l=$(readlink /sys/bus/dax/devices/$DAX/driver 2>/dev/null) || { echo none; return; }
	basename "$l"
}

# Binds of dax0.0 to famfs_rs's driver so far (one dmesg line each).
binds() { dmesg | grep -c "famfs_rs: $DAX: bound"; }

test_bound_bind() {
	needs_own_daxdrv || return
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M --randomize --seed 48 /b1 || fail "creat failed" || return 1
	quietly famfs bind $FAMFS_DEV || return 1
	expect_eq "driver of $DAX after famfs bind" famfs_rs "$(bound_driver)" || return 1
	[ -c $RAW ] || fail "$RAW missing while $DAX is bound" || return 1
	famfs bind | grep -q "^$DAX" || fail "famfs bind does not list $DAX" || return 1
	r=$("$BIN"/open_as 0 0 /dev/$DAX rdonly)
	expect_eq "open /dev/$DAX while bound" ENXIO "$r"
}

# Mount and umount leave it bound: no bind, no give-back.
test_bound_umount_keeps_it() {
	needs_own_daxdrv || return
	before=$(binds)
	famfs_mount || return 1
	famfs verify --seed 48 $MNT/b1 || fail "verify through the mount failed" || return 1
	famfs_umount || return 1
	daemon_gone 30 || fail "daemon still runs" || return 1
	expect_eq "driver of $DAX after umount" famfs_rs "$(bound_driver)" || return 1
	expect_eq "binds during mount and umount" "$before" "$(binds)"
}

# The whole-file-system tools and -D verbs, given /dev/daxX.Y, go through
# the raw node (before the raw node they waited 30 s for a give-back).
test_bound_tools_on_raw_node() {
	needs_own_daxdrv || return
	export FAMFS_GIVE_BACK_WAIT=2
	famfs verify -D $FAMFS_DEV --seed 48 /b1 || fail "verify -D on the bound device failed" || return 1
	quietly famfs fsck $FAMFS_DEV || return 1
	quietly famfs logplay -n $FAMFS_DEV || return 1
	quietly famfs mkfs --force $FAMFS_DEV || return 1
	famfs creat -D $FAMFS_DEV -s 4M --randomize --seed 49 /b2 || fail "creat -D failed" || return 1
	famfs verify -D $FAMFS_DEV --seed 49 /b2 || fail "verify -D failed" || return 1
	unset FAMFS_GIVE_BACK_WAIT
	expect_eq "driver of $DAX after the tools" famfs_rs "$(bound_driver)"
}

# A remount: the daemon reads the log through the raw node, no handover.
test_bound_remount_no_handover() {
	needs_own_daxdrv || return
	before=$(binds)
	famfs_mount || return 1
	rc=0
	famfs verify --seed 49 $MNT/b2 || fail "verify after remount failed" || rc=1
	expect_eq "binds during the remount" "$before" "$(binds)" || rc=1
	# Writers while mounted go through the mount (.meta/.log).
	r=$("$BIN"/raw_probe pwrite $RAW 0)
	expect_eq "pwrite on $RAW while mounted" EBUSY "$r" || rc=1
	famfs_umount || return 1
	[ $rc = 0 ] || return 1
	daemon_gone 30 || fail "daemon still runs" || return 1
	expect_eq "driver of $DAX after the second umount" famfs_rs "$(bound_driver)"
}

test_bound_hostile_raw_node() {
	needs_own_daxdrv || return
	run_shown raw_probe hostile $RAW "$(cat /sys/bus/dax/devices/$DAX/size)" || return 1
	# The node is root's; a copy with another mode still checks.
	r=$("$BIN"/open_as 1000 1000 $RAW rdonly)
	expect_eq "open $RAW as uid 1000" EACCES "$r" || return 1
	quietly famfs fsck $FAMFS_DEV
}

test_bound_unbind() {
	needs_own_daxdrv || return
	quietly famfs unbind $FAMFS_DEV || return 1
	expect_eq "driver of $DAX after famfs unbind" device_dax "$(bound_driver)" || return 1
	[ ! -e $RAW ] || fail "$RAW still there after unbind" || return 1
	r=$("$BIN"/open_as 0 0 /dev/$DAX rdonly)
	expect_eq "open /dev/$DAX after unbind" ok "$r" || return 1
	famfs bind | grep -q "^$DAX" && { fail "famfs bind still lists $DAX"; return 1; }
	famfs verify -D $FAMFS_DEV --seed 49 /b2 || fail "verify after unbind failed" || return 1
	# And a mount of a device not bound moves it as before, and back.
	before=$(binds)
	famfs_mount || return 1
	expect_eq "binds for a mount of an unbound device" $((before + 1)) "$(binds)" || return 1
	famfs_umount || return 1
	devdax_home 60
}

# On 7.x the kernel's fsdev_dax holds the devices and famfs_rs.ko has no raw
# node for them: famfs bind refuses, saying why, and moves nothing.
test_bound_refused_on_fsdev_dax() {
	[ $DAXDRV = fsdev_dax ] ||
		{ not_run "this kernel has no fsdev_dax: famfs bind works here (the tests above)"; return; }
	famfs_fresh || return 1
	drv=$(bound_driver)
	out=$(famfs bind $FAMFS_DEV 2>&1) && { fail "famfs bind succeeded on fsdev_dax: $out"; return 1; }
	echo "$out" | grep -q "fsdev_dax driver, for whose devices it has no raw node" ||
		{ fail "famfs bind's refusal does not say why: $out"; return 1; }
	expect_eq "driver of $DAX after the refused bind" "$drv" "$(bound_driver)" || return 1
	famfs bind | grep -q "^$DAX" && { fail "famfs bind lists $DAX after refusing it"; return 1; }
	return 0
}
