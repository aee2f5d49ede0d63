# SPDX-License-Identifier: GPL-2.0
#
# Fencing and durability. A poisoned page fences the files whose maps
# cover it, not its device: their reads, writes, faults and syncs fail
# with EIO (a sync that returned 0 would claim unflushed stores durable),
# each is named in the kernel log and counted, a file covering it that was
# not open yet does not open, and every other file of the device keeps
# serving. A synchronous write, fsync and msync(MS_SYNC) end with a store
# fence; QEMU cannot observe a fence, so the mount counts them
# (debugfs store_fences) and the test checks the count for each kind.
#
# needs: dev famfs
# needs test_fenced_file_syncs_fail: poison
# needs test_poison_fences_only_its_file: poison

# fence_setup FILE SIZE...: a fresh file system with those files (made in
# order: adjacent on the device), mounted.
fence_setup() {
	famfs_fresh || return 1
	while [ $# -ge 2 ]; do
		quietly famfs creat -D $FAMFS_DEV -s "$2" -m 0666 "$1" || return 1
		shift 2
	done
	famfs_mount
}

fence_probe() { run_shown fence_probe "$@"; }

# Item 4: stores through a mapping of a file, then a poisoned page of that
# file: msync(MS_SYNC), fsync and fdatasync on every descriptor fail with
# EIO, and keep failing; so do pread and pwrite.
test_fenced_file_syncs_fail() {
	fence_setup /hot 4M /cold 2M || return 1
	rc=0
	fence_probe poisoned $MNT/hot 1048576 8192 || rc=1
	famfs_umount || rc=1
	return $rc
}

# Item 5: one poisoned page of /hot fences /hot only. /cold (open before,
# the next allocation on the device), /other (first opened after the
# poison) and a file created after it keep serving reads, writes, mmap,
# msync and fsync; the log keeps taking appends. /hot is named in the
# log and counted. A page of /late, whose map is not cached yet, is
# poisoned by physical address (hard_offline_page: no mapping needed):
# no file is fenced then, but /late's first open is refused from the
# remembered poisoned range.
test_poison_fences_only_its_file() {
	famfs_fresh || return 1
	for f in /hot:4M /cold:2M /late:2M /other:2M; do
		quietly famfs creat -D $FAMFS_DEV -s ${f#*:} -m 0666 ${f%:*} || return 1
	done
	late_off=$(famfs getmap -D $FAMFS_DEV /late | sed -n 's/.*extent 0: device 0, offset \(0x[0-9a-f]*\),.*/\1/p')
	base=$(cat /sys/bus/dax/devices/$DEVNAME/resource)
	[ -n "$late_off" ] && [ -n "$base" ] || { fail "no device offset ($late_off) or base ($base) for /late"; return 1; }
	famfs_mount || return 1
	hot=$(stat -c %i $MNT/hot) cold=$(stat -c %i $MNT/cold) late=$(stat -c %i $MNT/late)
	rc=0
	fence_probe serves $MNT/cold 3 || rc=1
	k0=$(dmesg | wc -l)
	run_shown dax_probe poison $MNT/hot 8192 || rc=1
	dmesg | tail -n +$((k0 + 1)) >/tmp/kmsg
	diag "kernel: $(grep -E 'fence|failed bytes' /tmp/kmsg | tr '\n' ' ')"
	expect_eq "poisoned ranges" 1 "$(counter poisoned_ranges)" || rc=1
	expect_eq "files fenced" 1 "$(counter files_fenced)" || rc=1
	grep -q "node $hot: its map covers failed bytes" /tmp/kmsg ||
		{ fail "no kernel log line names /hot (node $hot) as fenced"; rc=1; }
	grep -q "node $cold: " /tmp/kmsg && { fail "the kernel log names /cold (node $cold)"; rc=1; }
	if cat $MNT/hot >/dev/null 2>/tmp/hot.err; then
		fail "reading the fenced file succeeded"; rc=1
	fi
	grep -q "Input/output error" /tmp/hot.err || { fail "read of /hot: $(cat /tmp/hot.err)"; rc=1; }
	fence_probe serves $MNT/cold 4 || rc=1
	fence_probe serves $MNT/other 5 || rc=1
	quietly famfs creat -s 2M -m 0666 $MNT/after || rc=1
	fence_probe serves $MNT/after 6 || rc=1
	# Memory failure at /late's second page. memory_failure() itself may
	# fail the write (no process maps the page: EBUSY); the holder was
	# told first.
	k0=$(dmesg | wc -l)
	echo $((base + late_off + 4096)) >/sys/devices/system/memory/hard_offline_page 2>/tmp/offline.err
	diag "hard_offline_page: $(cat /tmp/offline.err)"
	expect_eq "poisoned ranges" 2 "$(counter poisoned_ranges)" || rc=1
	expect_eq "files fenced" 1 "$(counter files_fenced)" || rc=1
	got=$("$BIN/open_as" 0 0 $MNT/late rdonly)
	expect_eq "first open of /late" EIO "$got" || rc=1
	expect_eq "opens refused for poisoned bytes" 1 "$(counter poisoned_opens)" || rc=1
	dmesg | tail -n +$((k0 + 1)) | grep -q "node $late: .*fenced, open refused" ||
		{ fail "no kernel log line says why /late did not open"; rc=1; }
	fence_probe serves $MNT/cold 7 || rc=1
	famfs_umount || rc=1
	return $rc
}

# Item 6: each synchronous write and each sync issues one store fence;
# a plain write and msync(MS_ASYNC) none.
test_sync_writes_fence_stores() {
	fence_setup /f 2M || return 1
	rc=0
	fence_probe syncs $MNT/f "$(counter_file store_fences)" || rc=1
	famfs_umount || rc=1
	return $rc
}
