# SPDX-License-Identifier: GPL-2.0
#
# Two hosts on one memory. scripts/vm-test.sh boots two guests at once on
# the same CXL backing files, each with its own label areas and system UUID;
# both run this file. The master (famfs_rs_test.role=master) makes the file
# system; the client mounts it. Every test does its role's part, in step
# with the other guest through the mailbox of bin/twohost: "step N" returns
# once both guests have reached step N (test K uses steps K00 to K99, so a
# test that fails half-way on one guest lets the other go on to the next).
# Both guests' kernel logs must stay free of WARNs (scripts/vm-report.py).

ROLE=$(param role)
is_master() { [ "$ROLE" = master ]; }

# step N [SECONDS]: both guests are at step N (120 s at most by default).
step() {
	local out
	out=$("$BIN/twohost" "$ROLE" barrier "$@")
	local status=$?
	[ -z "$out" ] || diag "$out"
	[ $status -eq 0 ] || fail "$ROLE stopped at step $1"
}

# What both guests must show after the master made it: "path mode uid gid
# size type", sorted (no size for directories).
expected_namespace() {
	cat <<EOF | sort
$MNT 755 0 0 directory
$MNT/docs 755 0 0 directory
$MNT/docs/a.bin 640 1000 100 3145728 regular file
$MNT/docs/private 700 1000 1000 directory
$MNT/frozen 666 0 0 2097152 regular file
$MNT/il 666 0 0 8388608 regular file
$MNT/odd 644 0 0 4097 regular file
$MNT/shared1 666 0 0 4194304 regular file
$MNT/shared2 666 0 0 4194304 regular file
EOF
}

# The files the master fills, and with which pattern: "path seed".
FILLED="docs/a.bin 11
odd 12
il 13
shared1 21
shared2 22"

# The mount as "path mode uid gid size type" lines, sorted; .meta and the
# files later tests add are left out.
listing() {
	find $MNT -path "$MNT/.meta" -prune -o -print | grep -v -e '/late' -e '/after-' |
		while read -r p; do stat -c '%n %a %u %g %s %F' "$p"; done |
		awk '$NF == "directory" { $5 = "" } { $1 = $1; print }' | sed 's/  */ /g' | sort
}

# check_bytes LIST: every "path seed" of LIST reads back through read().
check_bytes() {
	local rc=0
	echo "$1" | while read -r p seed; do
		"$BIN/dax_probe" check "$MNT/$p" "$seed" >/tmp/check.out 2>&1 ||
			{ fail "$p: $(cat /tmp/check.out)"; echo bad; }
	done | grep -q bad && rc=1
	return $rc
}

# Both guests: booted with their own identity (each famfs host's system
# UUID is its /opt/famfs/system_uuid; here the one QEMU gave the machine),
# the shared memory reached as a devdax whose page map is in the guest's
# RAM (the namespace was made with --map=mem: no page state in the shared
# bytes), and in step.
test_two_hosts_up() {
	local want uuid nd mode
	want=$(param uuid)
	uuid=$(cat /sys/class/dmi/id/product_uuid 2>/dev/null)
	expect_eq "system UUID (DMI)" "$want" "$uuid" || return 1
	mkdir -p /opt/famfs
	echo "$uuid" >/opt/famfs/system_uuid
	diag "$ROLE: system UUID $uuid"
	nd=$(dirname "$(readlink -f /sys/bus/dax/devices/$DEVNAME)")
	mode=$(cat "$nd/mode" 2>/dev/null)
	expect_eq "page map of $DEVNAME's namespace ($nd/mode: ram = --map=mem)" ram "$mode" || return 1
	# The other guest may take a while to boot.
	step 100 300
}

test_master_makes_fs_client_mounts() {
	local D="-D $FAMFS_DEV"
	if is_master; then
		famfs_fresh || return 1
		famfs mkdir $D -m 0755 /docs &&
			famfs mkdir $D -m 0700 -u 1000 -g 1000 /docs/private &&
			famfs creat $D -s 3M -m 0640 -u 1000 -g 100 /docs/a.bin &&
			famfs creat $D -s 4097 -m 0644 /odd &&
			famfs creat $D -s 8M -N 2 -C 2M -m 0666 /il &&
			famfs creat $D -s 4M -m 0666 /shared1 &&
			famfs creat $D -s 4M -m 0666 /shared2 &&
			famfs creat $D -s 2M -m 0666 --read-only --randomize -S 31 /frozen ||
			{ fail "building the namespace failed"; return 1; }
		famfs_mount || return 1
		echo "$FILLED" | while read -r p seed; do
			"$BIN/twohost" fill "$MNT/$p" "$seed" write >/dev/null || echo bad
		done | grep -q bad && { fail "filling the files failed"; return 1; }
		step 200 && step 201
	else
		step 200 || return 1
		leftovers_cleared
		module_loaded || insmod "$MODULE" || { fail "insmod failed"; return 1; }
		mkdir -p $MNT
		famfs_mount
		local rc=$?
		step 201 && return $rc
	fi
}

# Every file, directory, mode, owner, size and byte the master made.
test_client_sees_every_file() {
	local rc=0
	listing >/tmp/ns.shown
	expected_namespace >/tmp/ns.expected
	if ! cmp -s /tmp/ns.expected /tmp/ns.shown; then
		diag "expected:"; while read -r l; do diag "  $l"; done </tmp/ns.expected
		diag "shown:"; while read -r l; do diag "  $l"; done </tmp/ns.shown
		fail "$ROLE does not show the namespace the master made"
		rc=1
	fi
	check_bytes "$FILLED" || rc=1
	quietly famfs verify -S 31 $MNT/frozen || rc=1
	step 300 || rc=1
	return $rc
}

# A file, a directory and an interleaved file the master makes after the
# client mounted appear on the client by themselves. The client starts
# looking (listing the directory, as ls does) as soon as the master's
# command has returned; the delay is printed, the bound is generous.
test_late_files_appear_on_client() {
	if is_master; then
		step 400 || return 1
		famfs creat -s 2M -m 0600 -u 1000 $MNT/late.bin || fail "creat late.bin"
		step 401 || return 1
		famfs mkdir -m 0750 $MNT/late-dir || fail "mkdir late-dir"
		step 402 || return 1
		famfs creat -s 8M -N 2 -C 2M -m 0644 $MNT/late-il || fail "creat late-il"
		step 403 || return 1
		"$BIN/twohost" fill $MNT/late.bin 41 write >/dev/null &&
			"$BIN/twohost" fill $MNT/late-il 42 mmap >/dev/null || fail "filling the late files"
		step 404
	else
		local rc=0 n=401 f
		step 400 || return 1
		for f in late.bin late-dir late-il; do
			step $n || return 1
			run_shown twohost await $MNT $f 30 || rc=1
			n=$((n + 1))
		done
		step 404 || return 1
		expect_eq "late.bin" "600 1000 2097152 regular file" "$(stat -c '%a %u %s %F' $MNT/late.bin)" &&
			expect_eq "late-dir" "750 0 directory" "$(stat -c '%a %u %F' $MNT/late-dir)" &&
			expect_eq "late-il" "644 0 8388608 regular file" "$(stat -c '%a %u %s %F' $MNT/late-il)" ||
			rc=1
		check_bytes "late.bin 41
late-il 42" || rc=1
		return $rc
	fi
}

# Only the master writes the log. On the client the CLI refuses, and so
# does the kernel: the log and the superblock do not open for writing,
# even for root. A file whose log entry says all hosts read-only does not
# open for writing anywhere, the master included; a read-only open cannot
# be mapped shared and writable.
test_client_refuses_writes() {
	local rc=0 got f
	got=$("$BIN/open_as" 0 0 $MNT/frozen rdwr)
	expect_eq "$ROLE: open the all-hosts-read-only file read-write as root" EROFS "$got" || rc=1
	got=$("$BIN/open_as" 0 0 $MNT/frozen rdonly)
	expect_eq "$ROLE: open the all-hosts-read-only file read-only" ok "$got" || rc=1
	if "$BIN/twohost" fill $MNT/frozen 1 mmap >/tmp/frozen.out 2>&1; then
		fail "$ROLE: the all-hosts-read-only file took a store through a mapping"; rc=1
	fi
	if is_master; then
		got=$("$BIN/open_as" 0 0 $MNT/.meta/.log rdwr)
		expect_eq "master: open .meta/.log read-write" ok "$got" || rc=1
		step 500 || rc=1
		return $rc
	fi
	for cmd in "creat -s 2M $MNT/refused" "mkdir $MNT/refused-dir" "cp /etc/passwd $MNT/refused-cp"; do
		if famfs $cmd >/tmp/refused.out 2>&1; then
			fail "famfs $cmd succeeded on the client"; rc=1
		elif ! grep -qi "client" /tmp/refused.out || ! grep -q "$(param uuid)" /tmp/refused.out; then
			fail "famfs $cmd: the refusal does not say this host ($(param uuid)) is a client: $(tail -1 /tmp/refused.out)"; rc=1
		fi
	done
	diag "CLI refusal: $(tail -1 /tmp/refused.out)"
	ls $MNT | grep -q '^refused' && { fail "a refused entry exists: $(ls $MNT)"; rc=1; }
	for f in .meta/.log .meta/.superblock; do
		got=$("$BIN/open_as" 0 0 "$MNT/$f" rdwr)
		expect_eq "client: open $f read-write as root" EROFS "$got" || rc=1
		got=$("$BIN/open_as" 0 0 "$MNT/$f" rdonly)
		expect_eq "client: open $f read-only" ok "$got" || rc=1
	done
	step 500 || rc=1
	return $rc
}

# Data written and synced on one guest reads back on the other, both ways,
# through read() and through a mapping held open across the write.
test_writes_cross_both_ways() {
	local rc=0
	if is_master; then
		run_shown twohost fill $MNT/shared1 101 write || rc=1
		step 600 && step 601 || return 1
		run_shown dax_probe check $MNT/shared2 102 || rc=1
		step 602 || return 1
		run_shown twohost fill $MNT/shared1 103 mmap || rc=1
		step 603 || return 1
		run_shown twohost master hold $MNT/shared2 102 104 604 || rc=1
	else
		step 600 || return 1
		run_shown dax_probe check $MNT/shared1 101 || rc=1
		run_shown twohost fill $MNT/shared2 102 mmap || rc=1
		step 601 || return 1
		run_shown twohost client hold $MNT/shared1 101 103 602 || rc=1
		step 604 || return 1
		run_shown twohost fill $MNT/shared2 104 write || rc=1
		step 605 || return 1
	fi
	return $rc
}

# The master unmounts and mounts again while the client stays mounted and
# keeps reading; what the master adds afterwards reaches the client.
test_master_remounts_client_stays() {
	local rc=0
	if is_master; then
		step 700 || return 1
		famfs_umount && famfs_mount || rc=1
		famfs creat -s 2M -m 0644 $MNT/after-remount &&
			"$BIN/twohost" fill $MNT/after-remount 71 write >/dev/null || { fail "creat after the remount"; rc=1; }
		step 701 || rc=1
		return $rc
	fi
	step 700 || return 1
	rm -f /tmp/reads.stop /tmp/reads.bad
	(
		n=0
		while [ ! -e /tmp/reads.stop ]; do
			"$BIN/dax_probe" check $MNT/shared1 103 >/dev/null || echo "read $n" >>/tmp/reads.bad
			n=$((n + 1))
		done
		echo $n >/tmp/reads.count
	) &
	step 701 || rc=1
	touch /tmp/reads.stop
	wait
	diag "client: $(cat /tmp/reads.count) reads of shared1 while the master remounted"
	[ -e /tmp/reads.bad ] && { fail "client reads failed: $(head -3 /tmp/reads.bad)"; rc=1; }
	run_shown twohost await $MNT after-remount 30 || rc=1
	check_bytes "after-remount 71" || rc=1
	return $rc
}

# SIGKILL of the master's daemon: its own mount fails (ENOTCONN), the
# client's goes on as before: lookups, listings, reads. A new master mount
# then goes on appending, and the client sees that too.
test_master_daemon_killed_client_works() {
	local rc=0 got
	if is_master; then
		step 800 || return 1
		kill -9 "$(daemon_pid)" || { fail "no daemon pid"; rc=1; }
		daemon_gone 30 || { fail "the daemon did not die"; rc=1; }
		got=$("$BIN/open_as" 0 0 $MNT/never-looked-up rdonly)
		expect_eq "master: lookup after the daemon died" ENOTCONN "$got" || rc=1
		step 801 && step 802 || return 1
		famfs_umount && famfs_mount || rc=1
		famfs creat -s 2M $MNT/after-kill || { fail "creat after the new mount"; rc=1; }
		step 803 || rc=1
		return $rc
	fi
	step 800 && step 801 || return 1
	got=$("$BIN/open_as" 0 0 $MNT/never-looked-up rdonly)
	expect_eq "client: lookup of a missing name" ENOENT "$got" || rc=1
	ls -l $MNT >/dev/null || { fail "client: listing failed"; rc=1; }
	check_bytes "docs/a.bin 11
shared1 103
shared2 104" || rc=1
	step 802 && step 803 || return 1
	run_shown twohost await $MNT after-kill 30 || rc=1
	return $rc
}

# fsck and logplay on the client, through its mount (the .meta files).
test_fsck_logplay_on_client() {
	local rc=0
	famfs fsck $MNT >/tmp/fsck.out 2>&1 ||
		{ fail "$ROLE: famfs fsck $MNT: $(tail -3 /tmp/fsck.out | tr '\n' ' ')"; rc=1; }
	famfs logplay $MNT >/tmp/logplay.out 2>&1 ||
		{ fail "$ROLE: famfs logplay $MNT: $(tail -3 /tmp/logplay.out | tr '\n' ' ')"; rc=1; }
	for f in docs/a.bin late-il after-kill; do
		grep -q "$f" /tmp/logplay.out || { fail "$ROLE: logplay does not list $f"; rc=1; }
	done
	diag "$ROLE: fsck: $(grep -i -m1 'files\|entries' /tmp/fsck.out)"
	step 900 || rc=1
	return $rc
}

# Both unmount (the client first); the master then checks the file system
# on the raw device, back with device_dax.
test_both_unmount() {
	local rc=0
	if is_master; then
		step 1000 || rc=1
		famfs_umount && devdax_home || rc=1
		famfs fsck $FAMFS_DEV >/tmp/fsck.out 2>&1 ||
			{ fail "fsck on the raw device: $(tail -3 /tmp/fsck.out | tr '\n' ' ')"; rc=1; }
		step 1001 || rc=1
	else
		famfs_umount && devdax_home || rc=1
		step 1000 && step 1001 || rc=1
	fi
	return $rc
}
