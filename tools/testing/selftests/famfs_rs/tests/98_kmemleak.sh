# SPDX-License-Identifier: GPL-2.0
#
# After every other test: kmemleak finds no unreferenced object left by
# the whole run (the debug kernel; make soak). A kernel without kmemleak
# (the normal test kernel) cannot tell: the test says so (SKIP).
#
# needs: module

test_kmemleak_whole_run() {
	leftovers_cleared
	module_loaded && rmmod famfs_rs
	[ -w /sys/kernel/debug/kmemleak ] ||
		{ not_run "this kernel has no kmemleak (the debug flavour has: make soak)"; return; }
	kmemleak_clean "the whole run"
}
