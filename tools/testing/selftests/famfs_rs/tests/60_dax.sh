# SPDX-License-Identifier: GPL-2.0
#
# The dax data path: famfs files whose bytes are the CXL memory, read and
# written with read()/write() and mmap, faults served from the cached file
# map (no upcall), PMD faults where the extents allow, a poisoned page
# fencing its file, hostile file maps, and operations famfs refuses.
#
# needs: dev famfs
# needs test_poison_fences_its_file: dev2 module poison
# needs test_file_spans_two_devices: dev2

# A fresh file system with FILES ("path size" pairs) made on the device,
# then mounted.
dax_setup() {
	famfs_fresh || return 1
	while [ $# -ge 2 ]; do
		famfs creat -D $FAMFS_DEV -s "$2" -m 0666 "$1" || { fail "creat $1 failed"; return 1; }
		shift 2
	done
	famfs_mount
}

probe() { run_shown dax_probe "$@"; }

test_write_mmap_read_back() {
	dax_setup /f 8M || return 1
	probe rw $MNT/f 42
	r=$?
	famfs_umount && return $r
}

test_data_survives_remount() {
	dax_setup /keep 6M || return 1
	probe fill $MNT/keep 7 || { famfs_umount; return 1; }
	famfs_umount && famfs_mount || return 1
	probe check $MNT/keep 7
	r=$?
	famfs_umount && return $r
}

# An 8 MiB file on 2 MiB-aligned extents, mapped at a 2 MiB-aligned
# address: exactly 4 PMD faults, no PTE fault, no fault error. A PMD
# attempt may fall back and be retried (seen once on a loaded host: the
# retry came back as a PMD fault, not as PTE faults); the mapping still
# ends up made of PMDs only, which the exact counts prove.
test_pmd_faults_only() {
	dax_setup /big 8M || return 1
	cat $MNT/big >/dev/null
	pmd0=$(counter faults_pmd) pte0=$(counter faults_pte)
	fb0=$(counter fault_fallbacks) err0=$(counter fault_errors)
	probe touch $MNT/big 1 || { famfs_umount; return 1; }
	pmd=$(($(counter faults_pmd) - pmd0)) pte=$(($(counter faults_pte) - pte0))
	fb=$(($(counter fault_fallbacks) - fb0)) err=$(($(counter fault_errors) - err0))
	famfs_umount || return 1
	diag "8 MiB map: $pmd PMD faults, $pte PTE faults, $fb fallbacks, $err errors"
	expect_eq "PMD faults" 4 $pmd && expect_eq "PTE faults" 0 $pte && expect_eq "fault errors" 0 $err
}

# A fault storm: 50 rounds of faulting every page of a 16 MiB mapping in
# again (MADV_DONTNEED in between) costs the daemon nothing: the upcall
# counter (the single queueing point) does not move between the first
# fault and the last.
test_fault_storm_zero_upcalls() {
	dax_setup /storm 16M || return 1
	f0=$(($(counter faults_pmd) + $(counter faults_pte)))
	"$BIN/dax_probe" touch $MNT/storm 50 "$(counter_file upcalls)" >/tmp/storm.out 2>&1 ||
		{ cat /tmp/storm.out; famfs_umount; fail "storm failed"; return 1; }
	f=$(($(counter faults_pmd) + $(counter faults_pte) - f0))
	pmd=$(counter faults_pmd) pte=$(counter faults_pte) up=$(counter upcalls)
	famfs_umount || return 1
	during=$(sed -n 's/^counter delta while faulting: //p' /tmp/storm.out)
	diag "fault storm: $f faults (mount totals: $pmd PMD, $pte PTE, $up upcalls); upcalls while faulting: $during"
	[ $f -ge 400 ] || fail "only $f faults counted" || return 1
	expect_eq "upcalls while faulting" 0 "$during"
}

# refused ERRTEXT CMD...: CMD must fail, saying ERRTEXT (the strerror of
# the errno the kernel must give), not merely fail.
refused() {
	local want=$1 out
	shift
	if out=$("$@" 2>&1); then
		fail "'$*' succeeded"
		return 1
	fi
	case $out in
	*"$want"*) ;;
	*) fail "'$*' failed otherwise than with '$want': $out"; return 1 ;;
	esac
}

# Rogue operations fail with the errno a file system without them gives,
# and leave the mount working.
test_rogue_operations_refused() {
	dax_setup /victim 4M || return 1
	probe fill $MNT/victim 3 || { famfs_umount; return 1; }
	rc=0
	EPERM="Operation not permitted"
	refused "$EPERM" truncate -s 0 $MNT/victim || rc=1
	refused "$EPERM" truncate -s 8M $MNT/victim || rc=1
	refused "File too large" dd if=/dev/zero of=$MNT/victim bs=1M seek=4 count=1 conv=notrunc || rc=1
	refused "$EPERM" touch $MNT/victim || rc=1
	refused "Permission denied" touch $MNT/newfile || rc=1
	refused "$EPERM" cp /etc/passwd $MNT/victim || rc=1
	refused "$EPERM" chmod 600 $MNT/victim || rc=1
	refused "$EPERM" mkdir $MNT/d || rc=1
	refused "$EPERM" rm $MNT/victim || rc=1
	size=$(stat -c %s $MNT/victim)
	expect_eq "size after the rogue operations" 4194304 "$size" || rc=1
	probe check $MNT/victim 3 || rc=1
	famfs_umount || rc=1
	return $rc
}

# A hostile daemon's file maps (every rule of the core): the open fails,
# the kernel logs nothing worse than a rate-limited line, the mount lives.
test_malformed_fmaps_fail_open() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 2M /ok || { fail "creat /ok failed"; return 1; }
	famfs_mount --misbehave all || return 1
	# The log's and /ok's maps cached (fmap-overlaps-file collides with
	# /ok's).
	exec 5<$MNT/.meta/.log || { famfs_umount; fail "opening .meta/.log failed"; return 1; }
	exec 6<$MNT/ok || { famfs_umount; fail "opening /ok failed"; return 1; }
	rc=0 n=0
	for c in $(famfs daemon --list-misbehave-cases | grep -E '^(fmap|daxdev)-'); do
		n=$((n + 1))
		got=$(timeout 10 "$BIN/open_as" 0 0 $MNT/bad-$c rdonly)
		[ "$got" = ok ] && { fail "case $c: open succeeded"; rc=1; }
		diag "case $c: open -> $got"
		[ "$(timeout 10 "$BIN/open_as" 0 0 $MNT/ok rdonly)" = ok ] ||
			{ fail "case $c: the mount stopped working"; rc=1; }
	done
	exec 5<&- 6<&-
	famfs_umount || rc=1
	diag "$n malformed fmap/daxdev cases"
	[ $n -ge 8 ] || fail "only $n cases listed"
	return $rc
}

# A map that shares device bytes with another file's (here /first's,
# while it is open; or the log's, while .meta/.log is open) or with
# itself: the open fails with EIO, the reply is counted as bad and the
# kernel log names both nodes, and the files it collides with keep
# working. (fs/dax.c keeps one mapping per device page: a page of two
# files WARNs, then corrupts page state.)
test_overlapping_maps_refused() {
	famfs_fresh || return 1
	# The first file of a new file system: right after the log.
	famfs creat -D $FAMFS_DEV -s 2M /first || { fail "creat failed"; return 1; }
	famfs_mount --misbehave fmap-overlaps-file,fmap-overlaps-log,fmap-self-overlap || return 1
	exec 5<$MNT/.meta/.log || { famfs_umount; fail "opening .meta/.log failed"; return 1; }
	exec 6<$MNT/first || { famfs_umount; fail "opening /first failed"; return 1; }
	# The kernel's lines about bad replies share one budget of 10 per 5 s,
	# which the previous test's cases may have spent.
	wait_in_shell 6
	before=$(counter bad_replies)
	rc=0
	for c in fmap-overlaps-file fmap-overlaps-log fmap-self-overlap; do
		got=$(timeout 10 "$BIN/open_as" 0 0 $MNT/bad-$c rdonly)
		expect_eq "open of bad-$c" EIO "$got" || rc=1
	done
	after=$(counter bad_replies)
	expect_eq "bad replies counted" 3 $((after - before)) || rc=1
	cat $MNT/first >/dev/null || { fail "/first cannot be read after the refusal"; rc=1; }
	dmesg | grep -q "its map overlaps node" || { fail "no kernel log line names the overlap"; rc=1; }
	famfs logplay $MNT >/dev/null 2>&1 || { fail "the log cannot be read after the refusal"; rc=1; }
	famfs creat -s 2M $MNT/after || { fail "appending to the log failed after the refusal"; rc=1; }
	exec 5<&- 6<&-
	famfs_umount || rc=1
	return $rc
}

# MADV_HWPOISON on a mapped page: SIGBUS at that address, the file that
# maps it is fenced (its reads fail with EIO), a file on the same device
# and one on the other device keep working, and umount and rmmod work
# (tests/78_fence.sh covers the fence itself).
test_poison_fences_its_file() {
	famfs_fresh || return 1
	[ -e $FAMFS_DEV2 ] || { fail "no second devdax ($FAMFS_DEV2)"; return 1; }
	famfs adddev -D $FAMFS_DEV $FAMFS_DEV2 >/dev/null || { fail "adddev failed"; return 1; }
	D="-D $FAMFS_DEV --daxdev $FAMFS_DEV2"
	famfs creat $D -s 4M -m 0666 /hot && famfs creat $D -s 2M -m 0666 /cold &&
		famfs creat $D -s 2M -m 0666 --devices 1 /elsewhere || { fail "creat failed"; return 1; }
	famfs_mount --daxdev $FAMFS_DEV2 || return 1
	probe fill $MNT/cold 5 && probe fill $MNT/elsewhere 6 || { famfs_umount; return 1; }
	probe poison $MNT/hot 8192 || { famfs_umount; return 1; }
	rc=0
	if cat $MNT/hot >/dev/null 2>/tmp/hot.err; then
		fail "reading the poisoned file succeeded"; rc=1
	fi
	grep -q "Input/output error" /tmp/hot.err || { fail "read error: $(cat /tmp/hot.err)"; rc=1; }
	probe check $MNT/cold 5 || { fail "the other file on the device stopped working"; rc=1; }
	probe check $MNT/elsewhere 6 || { fail "the file on the other device stopped working"; rc=1; }
	famfs_umount || rc=1
	rmmod famfs_rs || { fail "rmmod after the poison failed"; rc=1; }
	return $rc
}

# mkfs -> mount -> use -> umount -> fsck -> mount, three times: the
# device goes back and forth between device_dax and famfs_rs with no
# stale page state (fs/dax.c's dax_insert_entry WARN; the harness fails
# the test on any WARN).
test_mount_use_fsck_cycles() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 4M /cycle || { fail "creat failed"; return 1; }
	i=0
	while [ $i -lt 3 ]; do
		famfs_mount || return 1
		probe rw $MNT/cycle $i || { famfs_umount; return 1; }
		famfs_umount || return 1
		famfs fsck $FAMFS_DEV >/dev/null || { fail "fsck after cycle $i failed"; return 1; }
		i=$((i + 1))
	done
}

# An interleaved file (2 strips, 2 MiB chunks): chunk k of the file lands on
# strip k % 2 at offset (k / 2) * 2 MiB, as the map says. Checked on the
# raw device after umount gives it back to device_dax.
test_interleaved_chunks_land_on_their_strips() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 8M -N 2 -C 2M -m 0666 /il || { fail "creat -N 2 failed"; return 1; }
	famfs getmap -D $FAMFS_DEV /il >/tmp/il.map || { fail "getmap failed"; return 1; }
	s0=$(sed -n 's/.*strip 0: device 0, offset \(0x[0-9a-f]*\),.*/\1/p' /tmp/il.map)
	s1=$(sed -n 's/.*strip 1: device 0, offset \(0x[0-9a-f]*\),.*/\1/p' /tmp/il.map)
	[ -n "$s0" ] && [ -n "$s1" ] || { fail "no strips in: $(cat /tmp/il.map)"; return 1; }
	famfs_mount || return 1
	probe fill $MNT/il 11 || { famfs_umount; return 1; }
	famfs_umount || return 1
	rc=0
	for k in 0 1 2 3; do
		strip=$((k % 2)) row=$((k / 2))
		base=$s0; [ $strip -eq 1 ] && base=$s1
		probe rawcheck $FAMFS_DEV $((base + row * 2097152)) $((k * 2097152)) 2097152 11 || rc=1
	done
	return $rc
}

# A file spanning two CXL devices (an ADD_DAXDEV secondary): both halves
# read back, and each half is on its device.
test_file_spans_two_devices() {
	famfs_fresh || return 1
	[ -e $FAMFS_DEV2 ] || { fail "no second devdax ($FAMFS_DEV2)"; return 1; }
	famfs adddev -D $FAMFS_DEV $FAMFS_DEV2 >/tmp/adddev.out 2>&1 ||
		{ cat /tmp/adddev.out; fail "famfs adddev failed"; return 1; }
	famfs creat -D $FAMFS_DEV --daxdev $FAMFS_DEV2 -s 8M -N 2 -C 2M --devices 0,1 -m 0666 /both >/tmp/creat.out 2>&1 ||
		{ cat /tmp/creat.out; fail "creat across devices failed"; return 1; }
	famfs getmap -D $FAMFS_DEV --daxdev $FAMFS_DEV2 /both >/tmp/both.map
	grep -q "device 1" /tmp/both.map || { diag "$(cat /tmp/both.map)"; fail "the file does not use device 1"; return 1; }
	famfs_mount --daxdev $FAMFS_DEV2 || return 1
	probe fill $MNT/both 13 && probe check $MNT/both 13
	r=$?
	famfs_umount || return 1
	return $r
}

# The device is unbound while a file on it is mapped (an administrator, or
# famfs umount --lazy): the mount is told first, takes the mappings away
# (the process gets SIGBUS, not stale pages), its files fail with EIO, and
# umount works; the device then goes back to device_dax.
test_unbind_while_mapped() {
	dax_setup /mapped 4M || return 1
	"$BIN/dax_probe" hold $MNT/mapped 4 >/tmp/hold.out 2>&1 &
	holder=$!
	sleep 2
	echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/unbind || { fail "unbind failed"; }
	wait $holder
	r=$?
	while read -r l; do diag "$l"; done </tmp/hold.out
	rc=0
	[ $r -eq 0 ] || { fail "the mapper did not get SIGBUS"; rc=1; }
	if cat $MNT/mapped >/dev/null 2>/tmp/unb.err; then
		fail "reading after the unbind succeeded"; rc=1
	fi
	famfs_umount || rc=1
	devdax_home 30 || rc=1
	return $rc
}

# Readers, writers and mmap faulters on two files while the device is
# unbound under them, ROUNDS times (famfs_rs_test.unbind_rounds, default
# 5; the debug-kernel soak runs 20): callers get EIO, ENXIO or SIGBUS,
# nothing else; no kernel report (a fault racing the revoke, a device
# operation racing kill_dax); umount and the give-back work every time.
# timeout test_unbind_under_io 3600
test_unbind_under_io() {
	rounds=$(param unbind_rounds)
	rounds=${rounds:-5}
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 8M -m 0666 /one && famfs creat -D $FAMFS_DEV -s 6M -m 0666 /two ||
		{ fail "creat failed"; return 1; }
	round=0
	while [ $round -lt "$rounds" ]; do
		famfs_mount || return 1
		stress_start 4 $MNT/one $MNT/two || return 1
		sleep 0.5
		echo $DEVNAME >/sys/bus/dax/drivers/$DAXDRV/unbind || { fail "round $round: unbind failed"; return 1; }
		wait $ps
		r=$?
		total=$(grep '^total:' /tmp/stress.out)
		diag "round $round: $total"
		[ $r -eq 0 ] || { while read -r l; do diag "$l"; done </tmp/stress.out; fail "round $round: unexpected results"; return 1; }
		noticed=$(echo "$total" | awk '{ print $4 + $6 }')
		[ "${noticed:-0}" -gt 0 ] || { fail "round $round: no caller noticed the device going"; return 1; }
		famfs_umount || return 1
		devdax_home 30 || return 1
		round=$((round + 1))
	done
}
