# SPDX-License-Identifier: GPL-2.0
#
# Mount/umount cycles with readers, writers and faulting processes on the
# mount, and no object left behind (slab counts; kmemleak on the debug
# kernel). famfs_rs_test.mount_cycles sets the number (default 3; make
# soak runs 100 on the debug kernel).
#
# needs: dev famfs
# needs test_mount_cycles_under_load: slab_counts

# One cycle: mount; io_stress's reader, writer and faulter on two files
# and a lister for 2 s; every call ends in a clean result; umount.
mount_load_umount() {
	famfs_mount || return 1
	"$BIN/io_stress" 2 $MNT/load1 $MNT/load2 >/tmp/cycle.out 2>&1 & ps=$!
	end=$(($(date +%s) + 2))
	while [ "$(date +%s)" -lt $end ]; do ls -lR $MNT >/dev/null || break; done
	wait $ps || { while read -r l; do diag "$l"; done </tmp/cycle.out; famfs_umount; fail "io_stress saw the unexpected"; return 1; }
	grep -q '^total: [1-9]' /tmp/cycle.out || { famfs_umount; fail "no call succeeded: $(tail -n 1 /tmp/cycle.out)"; return 1; }
	famfs_umount
}

# timeout test_mount_cycles_under_load 1200
test_mount_cycles_under_load() {
	n=$(param mount_cycles)
	n=${n:-3}
	famfs_fresh || return 1
	quietly famfs creat -D $FAMFS_DEV -s 6M -m 0666 /load1 &&
		quietly famfs creat -D $FAMFS_DEV -N 2 -s 8M -m 0666 /load2 || return 1
	t0=$(date +%s)
	# Each cycle starts processes whose kernel stacks are freed lazily
	# (vmap_area): see 50_daemon's cycles.
	SLAB_IGNORE=vmap_area no_slab_growth "$n" mount_load_umount 1 || return 1
	diag "$((n + 1)) mount cycles under load in $(($(date +%s) - t0)) s"
	quietly famfs fsck $FAMFS_DEV
}
