# SPDX-License-Identifier: GPL-2.0
#
# famfs bind: a device kept on the dax driver mounts use (famfs_rs's on
# 6.12, the kernel's fsdev_dax on 7.x) across umount and mount, so that
# neither moves it (no handover), and reached meanwhile by mkfs, fsck,
# logplay, -D verbs and the daemon through famfs_rs's raw node
# (/dev/famfs_rs_raw/daxX.Y on 6.12; /dev/famfs_rs_raw/fsdev given the
# device with FAMFS_RS_RAW_SET_FD on 7.x); hostile offsets, lengths and
# ioctl arguments get clean errnos, writes through it are refused while
# mounted, and a reader of the node sees the device go when it is given
# back. famfs unbind gives the device back to device_dax.
#
# needs: dev famfs
# needs test_bound_claim_refused_during_raw_write: dev dev2 famfs

DAX=$DEVNAME
if [ $DAXDRV = fsdev_dax ]; then
	NODE=/dev/famfs_rs_raw/fsdev
	# raw_probe's name for the fsdev node given this device.
	RAW=fsdev:$FAMFS_DEV
else
	NODE=/dev/famfs_rs_raw/$DAX
	RAW=$NODE
fi

bound_driver() {
	l=$(readlink /sys/bus/dax/devices/$DAX/driver 2>/dev/null) || { echo none; return; }
	basename "$l"
}

# The sysfs inode of the device's driver link: a bind makes a new link,
# with a new number (kernfs numbers its nodes cyclically), on either
# kernel; "none" while unbound.
driver_link() { stat -c %i /sys/bus/dax/devices/$DAX/driver 2>/dev/null || echo none; }

# wait_for_line FILE PATTERN: waits (up to 10 s) until FILE has a line
# matching PATTERN.
wait_for_line() {
	for _ in $(seq 100); do
		grep -q "$2" "$1" && return 0
		sleep 0.1
	done
	return 1
}
wait_watcher() { wait_for_line /tmp/raw_watch.out "$1"; }

test_bound_bind() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M --randomize --seed 48 /b1 || fail "creat failed" || return 1
	quietly famfs bind $FAMFS_DEV || return 1
	expect_eq "driver of $DAX after famfs bind" $DAXDRV "$(bound_driver)" || return 1
	[ -c $NODE ] || fail "$NODE missing while $DAX is bound" || return 1
	famfs bind | grep -q "^$DAX" || fail "famfs bind does not list $DAX" || return 1
	# 6.12: the node does not open; 7.x: it opens (which is how the fsdev
	# node is given the device), and maps nothing.
	want=ENXIO
	[ $DAXDRV = fsdev_dax ] && want=ok
	r=$("$BIN"/open_as 0 0 /dev/$DAX rdonly)
	expect_eq "open /dev/$DAX while bound" $want "$r"
}

# Mount and umount leave it bound: no bind, no give-back.
test_bound_umount_keeps_it() {
	before=$(driver_link)
	famfs_mount || return 1
	famfs verify --seed 48 $MNT/b1 || fail "verify through the mount failed" || return 1
	famfs_umount || return 1
	daemon_gone 30 || fail "daemon still runs" || return 1
	expect_eq "driver of $DAX after umount" $DAXDRV "$(bound_driver)" || return 1
	expect_eq "driver link of $DAX after mount and umount (a new one is a rebind)" \
		"$before" "$(driver_link)"
}

# The whole-file-system tools and -D verbs, given /dev/daxX.Y, go through
# the raw node (before the raw node they waited 30 s for a give-back).
test_bound_tools_on_raw_node() {
	export FAMFS_GIVE_BACK_WAIT=2
	famfs verify -D $FAMFS_DEV --seed 48 /b1 || fail "verify -D on the bound device failed" || return 1
	quietly famfs fsck $FAMFS_DEV || return 1
	quietly famfs logplay -n $FAMFS_DEV || return 1
	quietly famfs mkfs --force $FAMFS_DEV || return 1
	famfs creat -D $FAMFS_DEV -s 4M --randomize --seed 49 /b2 || fail "creat -D failed" || return 1
	famfs verify -D $FAMFS_DEV --seed 49 /b2 || fail "verify -D failed" || return 1
	unset FAMFS_GIVE_BACK_WAIT
	expect_eq "driver of $DAX after the tools" $DAXDRV "$(bound_driver)"
}

# A remount: the daemon reads the log through the raw node, no handover.
test_bound_remount_no_handover() {
	before=$(driver_link)
	famfs_mount || return 1
	rc=0
	famfs verify --seed 49 $MNT/b2 || fail "verify after remount failed" || rc=1
	expect_eq "driver link of $DAX during the remount" "$before" "$(driver_link)" || rc=1
	# Writers while mounted go through the mount (.meta/.log).
	r=$("$BIN"/raw_probe pwrite $RAW 0)
	expect_eq "pwrite on $RAW while mounted" EBUSY "$r" || rc=1
	famfs_umount || return 1
	[ $rc = 0 ] || return 1
	daemon_gone 30 || fail "daemon still runs" || return 1
	expect_eq "driver of $DAX after the second umount" $DAXDRV "$(bound_driver)"
}

# A mount's claim of the device (at the first use of a file's data) is
# refused while a write through the raw node is in flight, and works once
# it is done: the write's source is a page of a plain-FUSE file whose daemon
# is stopped, so the copy stalls inside the node's write until the daemon
# goes on.
test_bound_claim_refused_during_raw_write() {
	quietly famfs mkfs --force $FAMFS_DEV2 || return 1
	famfs creat -D $FAMFS_DEV2 -s 4M --randomize --seed 50 /src >/dev/null || fail "creat on $FAMFS_DEV2 failed" || return 1
	mkdir -p /mnt/f2
	quietly famfs mount --plain-fuse $FAMFS_DEV2 /mnt/f2 || return 1
	pid=$(cat /run/famfs_rs/mnt-f2.pid)
	rm -f /tmp/stall.go
	"$BIN"/raw_probe stallwrite $RAW "$(cat /sys/bus/dax/devices/$DAX/size)" /mnt/f2/src /tmp/stall.go >/tmp/stall.out 2>&1 &
	writer=$!
	rc=0
	mounted=0
	if ! wait_for_line /tmp/stall.out "^mapped"; then
		fail "raw_probe stallwrite did not start: $(cat /tmp/stall.out)"
		rc=1
	else
		kill -STOP $pid
		touch /tmp/stall.go
		sleep 2
		if ! kill -0 $writer 2>/dev/null; then
			fail "the write did not stall: $(cat /tmp/stall.out)"
			rc=1
		elif ! famfs_mount; then
			rc=1
		else
			mounted=1
			if out=$(dd if=$MNT/b2 of=/dev/null bs=1M count=1 2>&1); then
				fail "a read on the mount claimed the device while a raw write was in flight"
				rc=1
			else
				diag "a read on the mount during the raw write: $(echo "$out" | head -n 1)"
			fi
		fi
		kill -CONT $pid
	fi
	wait $writer
	expect_eq "the stalled raw write, once its source could be read" ok "$(tail -n 1 /tmp/stall.out)" || rc=1
	if [ $mounted = 1 ]; then
		famfs verify --seed 49 $MNT/b2 || fail "verify after the raw write failed" || rc=1
		famfs_umount || rc=1
	fi
	quietly famfs umount --timeout 60 /mnt/f2 || rc=1
	return $rc
}

test_bound_hostile_raw_node() {
	run_shown raw_probe hostile $RAW "$(cat /sys/bus/dax/devices/$DAX/size)" || return 1
	# The node is root's; a copy with another mode still checks.
	r=$("$BIN"/open_as 1000 1000 $NODE rdonly)
	expect_eq "open $NODE as uid 1000" EACCES "$r" || return 1
	quietly famfs fsck $FAMFS_DEV
}

# 7.x: FAMFS_RS_RAW_SET_FD given what it must refuse. With a second
# device (on device_dax), also a devdax device fsdev_dax does not hold.
test_bound_fsdev_set_fd() {
	[ $DAXDRV = fsdev_dax ] ||
		{ not_run "famfs_rs's own dax driver gives each bound device its own raw node here: no SET_FD"; return; }
	other=
	[ -n "$FAMFS_DEV2" ] && [ "$(readlink /sys/bus/dax/devices/$DEVNAME2/driver 2>/dev/null | sed 's,.*/,,')" = device_dax ] &&
		other=$FAMFS_DEV2
	[ -n "$other" ] || diag "no second device on device_dax: its SET_FD is not tried"
	run_shown raw_probe setfd $FAMFS_DEV $other
}

# 7.x: the fsdev node's file outlives a give-back and works again when the
# device comes back to fsdev_dax (it holds the dax device, which stays).
test_bound_fsdev_file_outlives_unbind() {
	[ $DAXDRV = fsdev_dax ] ||
		{ not_run "6.12's raw nodes go with their device; test_bound_unbind checks its file's ENXIO"; return; }
	"$BIN"/raw_probe watch $RAW back >/tmp/raw_watch.out 2>&1 &
	watcher=$!
	wait_watcher "^watching" || { kill $watcher; fail "raw_probe watch did not start: $(cat /tmp/raw_watch.out)"; return 1; }
	quietly famfs unbind $FAMFS_DEV || { kill $watcher; return 1; }
	wait_watcher "^E" || { kill $watcher; fail "no read failed after famfs unbind: $(cat /tmp/raw_watch.out)"; return 1; }
	diag "the node's reads after famfs unbind: $(sed -n 2p /tmp/raw_watch.out)"
	quietly famfs bind $FAMFS_DEV || { kill $watcher; return 1; }
	wait $watcher || { fail "the node's reads after famfs bind: $(tail -n 1 /tmp/raw_watch.out)"; return 1; }
	expect_eq "the node's reads after famfs bind" back "$(tail -n 1 /tmp/raw_watch.out)"
}

test_bound_unbind() {
	# A reader of the raw node while the device is given back: its reads
	# fail from then on (ENXIO: killed; EOPNOTSUPP: on device_dax again).
	"$BIN"/raw_probe watch $RAW >/tmp/raw_watch.out 2>&1 &
	watcher=$!
	wait_watcher "^watching" ||
		{ kill $watcher; fail "raw_probe watch did not start: $(cat /tmp/raw_watch.out)"; return 1; }
	quietly famfs unbind $FAMFS_DEV || { kill $watcher; return 1; }
	wait $watcher
	rc=$?
	r=$(tail -n 1 /tmp/raw_watch.out)
	diag "the reader of $RAW after famfs unbind: $r"
	[ $rc = 0 ] || { fail "the reader of $RAW saw no error after unbind: $r"; return 1; }
	case "$r" in
	ENXIO | EOPNOTSUPP) ;;
	*) fail "the reader of $RAW after unbind: expected ENXIO or EOPNOTSUPP, got $r"; return 1 ;;
	esac
	expect_eq "driver of $DAX after famfs unbind" device_dax "$(bound_driver)" || return 1
	if [ $DAXDRV = fsdev_dax ]; then
		r=$("$BIN"/raw_probe pwrite $RAW 0)
		expect_eq "the fsdev node given $DAX on device_dax" ENODEV "$r" || return 1
	else
		[ ! -e $RAW ] || fail "$RAW still there after unbind" || return 1
	fi
	r=$("$BIN"/open_as 0 0 /dev/$DAX rdonly)
	expect_eq "open /dev/$DAX after unbind" ok "$r" || return 1
	famfs bind | grep -q "^$DAX" && { fail "famfs bind still lists $DAX"; return 1; }
	famfs verify -D $FAMFS_DEV --seed 49 /b2 || fail "verify after unbind failed" || return 1
	# And a mount of a device not bound moves it as before, and back.
	before=$(driver_link)
	famfs_mount || return 1
	mounted=$(driver_link)
	famfs_umount || return 1
	devdax_home 60
	[ "$mounted" != "$before" ] || fail "a mount of an unbound device did not move it (driver link $before)"
}
