# SPDX-License-Identifier: GPL-2.0
#
# After every other test: kmemleak finds no unreferenced object left by
# the whole run (the debug kernel; make soak). A kernel without kmemleak
# (the normal test kernel) cannot tell: the test says so (SKIP).

test_kmemleak_whole_run() {
	leftovers_cleared
	module_loaded && rmmod famfs_rs
	[ -w /sys/kernel/debug/kmemleak ] ||
		{ not_run "this kernel has no kmemleak (the debug flavour has: make soak)"; return; }
	# Objects younger than 5 s are never reported; two scans settle it.
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	diag "kmemleak after the whole run: $leaks unreferenced objects"
	[ "$leaks" -eq 0 ] && return 0
	head -n 60 /sys/kernel/debug/kmemleak | while read -r l; do diag "$l"; done
	fail "kmemleak found $leaks unreferenced objects"
}
