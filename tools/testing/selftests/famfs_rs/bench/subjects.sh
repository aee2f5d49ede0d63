# SPDX-License-Identifier: GPL-2.0
#
# The subjects: how each is set up, and which cases it runs. Sourced by
# bench.sh, after handover.sh has left the whole first device as dax0.0.

FAMFS_DEV=/dev/dax0.0
RAW_DEV=/dev/dax1.0

# mib SIZE: a size given as <n>M, in MiB.
mib() { echo "${1%M}"; }

famfs_mount() { timeit famfs mount "$@" $FAMFS_DEV $MNT; }
famfs_umount() { timeit famfs umount --timeout 300 $MNT; }

# The famfs on the first device: the files of the data cases, a first
# mount and unmount with only those, then $FILES files of 2 MiB in /many
# (made unmounted, one famfs creat per thousand files).
famfs_prepare() {
	local d="-D $FAMFS_DEV" i
	famfs mkfs --force $FAMFS_DEV >/tmp/mkfs.log 2>&1 || { bench_fail "famfs mkfs: $(tail -n 2 /tmp/mkfs.log)"; return 1; }
	famfs mkdir $d /bench && famfs mkdir $d /many &&
		famfs creat $d -s $SEQ -m 0666 /bench/seq >/dev/null &&
		famfs creat $d -s $(($(mib $FMAP) * 2))M -m 0666 /bench/fault >/dev/null ||
		{ bench_fail "famfs: making the data files failed"; return 1; }
	mkdir -p $MNT
	figure mount few_files famfs_mount
	figure umount few_files famfs_umount
	# The same remount with the device kept bound (famfs bind): no
	# handover at mount, no give-back at umount. If famfs bind fails (a
	# famfs_rs.ko without the raw node it needs) there is no such remount
	# to measure, and the table says why.
	line=$(timeit famfs bind $FAMFS_DEV 2>/tmp/bind.err)
	if [ "${line##*status=}" = 0 ]; then
		echo "BENCH bind whole $line" >"$OUT"
		figure mount few_files_bound famfs_mount
		figure umount few_files_bound famfs_umount
		figure unbind whole timeit famfs unbind $FAMFS_DEV
	else
		info bind_refused "$(tail -n 1 /tmp/bind.err)"
	fi
	i=0
	awk -v n="$FILES" 'BEGIN { for (i = 0; i < n; i++) printf "-M/many/f%05d,2M\n", i }' |
		xargs -n 1000 timeit famfs creat $d >/tmp/creat.times 2>/tmp/creat.log ||
		bench_fail "famfs creat of $FILES files: $(tail -n 2 /tmp/creat.log)"
	info creat_many "$FILES files: $(awk '{ split($1, a, "="); t += a[2] } END { printf "ns=%d", t }' /tmp/creat.times)"
}

# The same famfs and daemon over the kernel's FUSE: a mount of its own for
# the cold opens, right after mount and after drop_caches (the daemon's
# count of requests covers them alone, FORGETs included), then the reads.
fuse_cases() {
	figure mount fuse_many famfs_mount --plain-fuse
	figure cold_open fuse opens $MNT/many $FILES
	drop_caches
	figure cold_open_dropped fuse opens $MNT/many $FILES
	figure umount fuse_many famfs_umount
	echo "BENCH cold_open.served fuse $(daemon_served)" >"$OUT"
	famfs_mount --plain-fuse >/dev/null 2>&1 || { bench_fail "famfs mount --plain-fuse"; return 1; }
	figure seq_read_cold fuse seqio read $MNT/bench/seq $SEQ
	figure seq_read fuse seqio read $MNT/bench/seq $SEQ
	figure rand_pread fuse randio pread $MNT/bench/seq $OPS $SEQ
	fio_set fuse $MNT/bench/seq $SEQ ro
	famfs_umount >/dev/null
}

# famfs_rs: a mount of its own for the cold opens (as plain FUSE's), then
# the data cases with the module's counters around each.
famfs_cases() {
	figure mount famfs_many famfs_mount
	with_counters cold_open famfs opens $MNT/many $FILES
	# Cold again without a remount: names and inodes dropped.
	drop_caches
	with_counters cold_open_dropped famfs opens $MNT/many $FILES
	figure umount famfs_many famfs_umount
	echo "BENCH cold_open.served famfs $(daemon_served)" >"$OUT"
	famfs_mount >/dev/null 2>&1 || { bench_fail "famfs mount"; return 1; }
	data_cases famfs with_counters $MNT/bench/seq $MNT/bench/fault
	fio_set famfs $MNT/bench/seq $SEQ
	famfs_umount >/dev/null
}

devdax_cases() {
	raw_cases $RAW_DEV
	fio_job mmap_randread devdax $RAW_DEV $SEQ mmap randread 4k
	fio_job mmap_randwrite devdax $RAW_DEV $SEQ mmap randwrite 4k
}

# ext4 -o dax on the fsdax namespace, its block groups striped in 2 MiB
# so that files get 2 MiB-aligned extents (PMD faults); the files are
# written whole first, so no fault or write meets an unwritten extent.
ext4_cases() {
	local pm m=/mnt/ext4
	pm=$(cat /run/fsdax-dev 2>/dev/null)
	[ -b "/dev/$pm" ] || { bench_fail "no fsdax block device"; return 1; }
	mkfs.ext4 -q -F -b 4096 -E stride=512,stripe_width=512 /dev/$pm >/tmp/mkfs.log 2>&1 ||
		{ bench_fail "mkfs.ext4: $(tail -n 2 /tmp/mkfs.log)"; return 1; }
	mkdir -p $m
	mount -o dax /dev/$pm $m || { bench_fail "mount -o dax /dev/$pm"; return 1; }
	info ext4_mount "$(grep " $m " /proc/mounts)"
	dd if=/dev/zero of=$m/seq bs=1M count="$(mib $SEQ)" 2>/dev/null &&
		dd if=/dev/zero of=$m/fault bs=1M count=$(($(mib $FMAP) * 2)) 2>/dev/null && sync ||
		{ bench_fail "writing the ext4 files"; return 1; }
	data_cases ext4 figure $m/seq $m/fault
	fio_set ext4 $m/seq $SEQ
	umount $m
}
