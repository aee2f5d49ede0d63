# SPDX-License-Identifier: GPL-2.0
#
# The famfs_rs file system type: mount options, privilege, statfs, umount.

OPTS=rootmode=40755,user_id=0,group_id=0

mount_setup() {
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $MNT
}

test_fs_type_registered() {
	mount_setup || return 1
	grep -q "nodev	famfs_rs$" /proc/filesystems || fail "famfs_rs not in /proc/filesystems"
}

test_mount_statfs_umount() {
	famfs_fresh && famfs_mount || return 1
	t=$(stat -f -c %t $MNT)
	mode=$(stat -c %A $MNT)
	umount $MNT || { fail "umount failed"; return 1; }
	expect_eq "statfs f_type" 87b282fd "$t" || return 1
	expect_eq "root mode" drwxr-xr-x "$mode" || return 1
	# A plain umount ends the daemon too, which gives the device back.
	devdax_home 30
}

# The mount holds the module; after umount it can go.
test_mount_pins_module() {
	famfs_fresh && famfs_mount || return 1
	if rmmod famfs_rs 2>/dev/null; then fail "rmmod succeeded while mounted"; return 1; fi
	famfs_umount || return 1
	rmmod famfs_rs || fail "rmmod after umount failed"
}

test_mount_rejects_bad_options() {
	mount_setup || return 1
	exec 3<>/dev/famfs_rs
	rc=0
	for o in "$OPTS" "fd=3" "fd=3,$OPTS,bogus=1" "fd=3,rootmode=100644,user_id=0,group_id=0" \
		"fd=x3,$OPTS" "fd=99999999999,$OPTS" "fd=1,$OPTS"; do
		if mount -t famfs_rs -o "$o" famfs $MNT 2>/dev/null; then
			umount $MNT
			fail "mount with '$o' succeeded"
			rc=1
		fi
	done
	exec 3>&-
	return $rc
}

test_unprivileged_mount_refused() {
	mount_setup || return 1
	exec 3<>/dev/famfs_rs
	if setpriv --reuid=65534 --regid=65534 --clear-groups \
		mount -t famfs_rs -o fd=3,$OPTS famfs $MNT 2>/dev/null; then
		umount $MNT
		exec 3>&-
		fail "an unprivileged user mounted famfs_rs"
		return 1
	fi
	exec 3>&-
	! grep -q " $MNT " /proc/mounts || fail "$MNT is mounted"
}
