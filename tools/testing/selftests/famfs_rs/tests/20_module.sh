# SPDX-License-Identifier: GPL-2.0
#
# famfs_rs.ko loads, provides a root-only control device, and unloads
# cleanly, again and again.
#
# needs:
# needs test_insmod: module
# needs test_open_control_pins_module: module
# needs test_rmmod: module
# needs test_load_unload_cycles_no_leak: module slab_counts

test_insmod() {
	module_loaded && rmmod famfs_rs
	insmod "$MODULE" || fail "insmod $MODULE failed" || return 1
	module_loaded || fail "famfs_rs not in /proc/modules after insmod"
}

test_control_device_mode() {
	module_loaded || insmod "$MODULE" || return 1
	[ -c /dev/famfs_rs ] || fail "/dev/famfs_rs is not a character device" || return 1
	expect_eq "/dev/famfs_rs mode" "crw-------" "$(stat -c %A /dev/famfs_rs)" || return 1
	expect_eq "/dev/famfs_rs owner" "0:0" "$(stat -c %u:%g /dev/famfs_rs)" || return 1
	grep -q " famfs_rs$" /proc/misc || fail "famfs_rs not in /proc/misc"
}

test_control_device_root_opens() {
	module_loaded || insmod "$MODULE" || return 1
	r=$("$BIN"/open_as 0 0 /dev/famfs_rs)
	expect_eq "root open of /dev/famfs_rs" ok "$r"
}

# Unprivileged users must not talk to the kernel side of a file system.
test_control_device_unprivileged_refused() {
	module_loaded || insmod "$MODULE" || return 1
	r=$("$BIN"/open_as 65534 65534 /dev/famfs_rs)
	rc=$?
	[ $rc -eq 1 ] || fail "open_as exited $rc ($r); want 1 (refused)" || return 1
	case "$r" in
	EACCES|EPERM) ;;
	*) fail "unprivileged open gave '$r', want EACCES or EPERM"; return 1 ;;
	esac
	# Even if the node's mode is loosened, the capability check holds.
	chmod 0666 /dev/famfs_rs
	r=$("$BIN"/open_as 65534 65534 /dev/famfs_rs)
	chmod 0600 /dev/famfs_rs
	expect_eq "unprivileged open with mode 0666" EPERM "$r"
}

# An open control file pins the module.
test_open_control_pins_module() {
	module_loaded || insmod "$MODULE" || return 1
	exec 3<>/dev/famfs_rs || { fail "cannot open /dev/famfs_rs"; return 1; }
	if rmmod famfs_rs 2>/dev/null; then
		exec 3>&-
		fail "rmmod succeeded while /dev/famfs_rs was open"
		return 1
	fi
	exec 3>&-
	rmmod famfs_rs || fail "rmmod failed after close"
}

test_rmmod() {
	module_loaded || insmod "$MODULE" || return 1
	rmmod famfs_rs || fail "rmmod famfs_rs failed" || return 1
	module_loaded && fail "famfs_rs still loaded after rmmod" && return 1
	[ ! -e /dev/famfs_rs ] || fail "/dev/famfs_rs still exists after rmmod"
}

# One load/use/unload cycle, as the leak test repeats it.
load_use_unload() {
	insmod "$MODULE" || { fail "insmod failed"; return 1; }
	exec 3<>/dev/famfs_rs && exec 3>&-
	rmmod famfs_rs || fail "rmmod failed"
}

# 20 load/unload cycles (famfs_rs_test.load_cycles; make soak runs 100)
# leave no object behind in any slab cache.
test_load_unload_cycles_no_leak() {
	n=$(param load_cycles)
	module_loaded && rmmod famfs_rs
	no_slab_growth "${n:-20}" load_use_unload
}
