# SPDX-License-Identifier: GPL-2.0
#
# The famfs_rs file system type: mount options, privilege, statfs, umount.
#
# needs: dev famfs
# needs test_mount_pins_module: module

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

# Each bad option set fails at once with EINVAL, before any request: an
# accepted set would fail too, but only after the 15 s INIT timeout
# (ETIMEDOUT), as nobody serves fd 3; both the errno and the time tell.
test_mount_rejects_bad_options() {
	mount_setup || return 1
	exec 3<>/dev/famfs_rs
	rc=0
	for o in "$OPTS" "fd=3" "fd=3,$OPTS,bogus=1" "fd=3,rootmode=100644,user_id=0,group_id=0" \
		"fd=x3,$OPTS" "fd=99999999999,$OPTS" "fd=1,$OPTS" "fd=3,rootmode=40755,user_id=0"; do
		got=$("$BIN/control_probe" mount $MNT "$o")
		grep -q " $MNT " /proc/mounts && umount $MNT
		case $got in
		"EINVAL "[01]) ;;
		*) fail "mount -o '$o': expected EINVAL at once, got $got (errno, seconds)"; rc=1 ;;
		esac
	done
	exec 3>&-
	return $rc
}

# Only CAP_SYS_ADMIN mounts: an unprivileged user gets EPERM, at once.
test_unprivileged_mount_refused() {
	mount_setup || return 1
	exec 3<>/dev/famfs_rs
	got=$("$BIN/control_probe" mount $MNT "fd=3,$OPTS" 65534)
	grep -q " $MNT " /proc/mounts && umount $MNT
	exec 3>&-
	case $got in
	"EPERM "[01]) ;;
	*) fail "unprivileged mount: expected EPERM at once, got $got"; return 1 ;;
	esac
}
