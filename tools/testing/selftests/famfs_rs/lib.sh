# SPDX-License-Identifier: GPL-2.0
#
# Selftest library (POSIX sh; busybox's in the QEMU guest). Each test is a
# shell function run by run_tests.sh in a subshell; it fails by returning
# non-zero, after saying why with `fail`. Begin/end markers go to the
# kernel log so that a kernel WARN/BUG/Oops is tied to the test that was
# running.
#
# Settings come from the environment (run_tests.sh's header lists them);
# the QEMU guest's init sets them from its kernel command line. Tests touch
# only the devices named there: FAMFS_RS_TEST_DEV and FAMFS_RS_TEST_DEV2.

SELFTEST_DIR=${SELFTEST_DIR:-/selftests}
# The C helpers: bin/ in the QEMU guest, beside this file where make
# built or installed them.
BIN=$SELFTEST_DIR/bin
[ -d "$BIN" ] || BIN=$SELFTEST_DIR

# famfs_rs.ko, for the tests that unload and load it again: the guest's,
# or the one modprobe would load.
MODULE=${FAMFS_RS_TEST_MODULE:-/lib/modules/famfs_rs.ko}
[ -e "$MODULE" ] || MODULE=$(modinfo -n famfs_rs 2>/dev/null || echo "$MODULE")

# KTAP goes to descriptor 7, which run_tests.sh opens (stdout, or TAP_OUT:
# the guest's second serial port); a test's own output goes elsewhere.
{ true >&7; } 2>/dev/null || if [ -n "${TAP_OUT:-}" ]; then exec 7>>"$TAP_OUT"; else exec 7>&1; fi

kmsg() { echo "famfs_rs-selftest: $*" >/dev/kmsg; }
tap() { echo "$*" >&7; }
# A diagnostic: a KTAP comment; in the guest also on the console, beside
# the commands' output.
diag() {
	echo "# $*" >&7
	[ -z "${TAP_OUT:-}" ] || echo "# $*"
}
fail() { diag "FAIL: $*"; return 1; }
# not_run WHY: the test cannot run here (missing test data, say): reported
# as a KTAP SKIP with WHY (run_tests.sh reads it from SKIP_NOTE), counted
# apart on the host; never silent.
NOT_RUN=4
not_run() {
	diag "NOT RUN: $*"
	[ -z "${SKIP_NOTE:-}" ] || echo "$*" >"$SKIP_NOTE"
	return $NOT_RUN
}

# param NAME: the setting FAMFS_RS_TEST_<NAME> (expected sizes, rounds...;
# the guest's famfs_rs_test.<name>=<value>).
param() { eval "echo \"\${FAMFS_RS_TEST_$(echo "$1" | tr a-z A-Z):-}\""; }

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

module_loaded() { grep -qs '^famfs_rs ' /proc/modules; }

# The dax driver a mounted famfs's devices are bound to: famfs_rs's own on
# kernels without fs-dax for devdax (6.12), the kernel's fsdev_dax where it
# exists (7.1+; famfs_rs.ko then registers no driver).
if [ -d /sys/bus/dax/drivers/fsdev_dax ]; then DAXDRV=fsdev_dax; else DAXDRV=famfs_rs; fi
# Tests of famfs_rs's own dax driver say why they do not run on 7.1+.
needs_own_daxdrv() {
	[ $DAXDRV = famfs_rs ] ||
		not_run "this kernel has fsdev_dax: famfs_rs.ko registers no dax driver of its own here"
}

# wait_in_shell SECONDS: waits without starting a process (read is a
# shell builtin; the FIFO never has a writer), so that no process exits
# meanwhile.
wait_in_shell() {
	[ -p /tmp/.wait_in_shell ] || mkfifo /tmp/.wait_in_shell
	read -t "$1" _unused <>/tmp/.wait_in_shell
	return 0
}

# Active objects per slab cache, "name count" lines, sorted. Frees deferred
# by RCU and the lazy vmap purge land late, and every process that exits
# has some (its VMAs after a grace period, its kernel stack): drop caches,
# then give them time with no process exiting (a `sleep` here was itself
# such a process: under a loaded host its 10 VMAs were still counted when
# awk read the counts, and the same again at every retry). The guest boots
# with slub_debug (scripts/run-vm.sh) so that no per-CPU slab hides frees
# or allocations from these counts.
slab_snapshot() {
	echo 3 >/proc/sys/vm/drop_caches
	wait_in_shell 2
	awk 'NR > 2 { print $1, $2 }' /proc/slabinfo | sort
}

# process_vmas: how many VMAs all processes hold (lines of their maps).
process_vmas() {
	cat /proc/[0-9]*/maps 2>/dev/null | wc -l
}

# repeat N FUNC: runs FUNC N times; stops at the first failure.
repeat() {
	local i=0
	while [ $i -lt "$1" ]; do $2 || return 1; i=$((i + 1)); done
}

# no_slab_growth N CYCLE [WARMUP]: runs the function CYCLE WARMUP times (N
# by default) as a warm-up, then N times more, and fails if any slab cache
# grew by N or more objects: a leak of one object per cycle shows as a
# growth of N. The warm-up runs the very same cycles, so caches and xarrays
# that grow once on first use (seen: radix_tree_node +14 then flat) do not
# count.
no_slab_growth() {
	if [ -w /sys/kernel/debug/kmemleak ]; then
		no_kmemleak "$@"
		return
	fi
	cycles=$1
	# Caches of kernel subsystems that work in the background whatever
	# famfs_rs does: DAMON's regions (Debian's kernels run DAMON_STAT).
	local ignore="${SLAB_IGNORE:-} damon_region"
	repeat "${3:-$cycles}" "$2" || return 1
	slab_snapshot >/tmp/slab.before
	vmas_before=$(process_vmas)
	repeat "$cycles" "$2" || return 1
	# A real leak stays; deferred frees (RCU, lazy vmap purge) drain away, so
	# look again a few times before calling growth a leak.
	for wait in 1 2 4 8; do
		slab_snapshot >/tmp/slab.after
		grew=$(awk -v n="$cycles" -v ignore=" $ignore " 'NR == FNR { before[$1] = $2; next }
			$2 - before[$1] >= n && index(ignore, " " $1 " ") == 0 { printf "%s +%d ", $1, $2 - before[$1] }' \
			/tmp/slab.before /tmp/slab.after)
		if [ -z "$grew" ]; then
			diag "not counted ($ignore): $(awk -v ignore=" $ignore " 'NR == FNR { b[$1] = $2; next } index(ignore, " " $1 " ") { printf "%s %+d ", $1, $2 - b[$1] }' /tmp/slab.before /tmp/slab.after)"
			return 0
		fi
		wait_in_shell $wait
	done
	# User-space objects (VMAs) growing point at a process, not at us:
	# compare with the VMAs the processes hold.
	diag "processes then: $(ps -o pid,comm 2>/dev/null | tail -n +2 | tr -s ' \n' ' ')"
	diag "VMAs of all processes: $vmas_before before the cycles, $(process_vmas) after"
	fail "slab caches grew over $cycles cycles: $grew"
}

# quietly CMD ARGS...: runs CMD with its output kept aside; when it fails,
# fails the test naming the command, its exit status and its last lines,
# so that the reason reaches the TAP line (and CI), not only the console.
quietly() {
	local out status
	out=$("$@" 2>&1)
	status=$?
	[ $status -eq 0 ] && return 0
	fail "$* exited $status: $(echo "$out" | tail -n 3 | tr '\n' ' ')"
}

# no_kmemleak N CYCLE [WARMUP]: no_slab_growth on a kernel with kmemleak
# (the debug flavour), where KASAN's quarantine makes slab counts
# meaningless: after the warm-up, kmemleak's record is cleared, the cycles
# run, and kmemleak must find no unreferenced object.
no_kmemleak() {
	repeat "${3:-$1}" "$2" || return 1
	echo clear >/sys/kernel/debug/kmemleak
	repeat "$1" "$2" || return 1
	kmemleak_clean "$1 cycles"
}

# kmemleak_clean WHEN: two kmemleak scans (objects younger than 5 s are
# never reported) find no unreferenced object; else they are shown.
kmemleak_clean() {
	local leaks
	sleep 6
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	leaks=$(grep -c '^unreferenced object' /sys/kernel/debug/kmemleak)
	diag "kmemleak after $1: $leaks unreferenced objects"
	[ "$leaks" -eq 0 ] && return 0
	head -n 60 /sys/kernel/debug/kmemleak | while read -r l; do diag "$l"; done
	fail "kmemleak found $leaks unreferenced objects"
}

# The devdax the tests may overwrite, and the second one of the
# multi-device tests (run_tests.sh skips a test that needs one not given);
# their names on the dax bus.
FAMFS_DEV=${FAMFS_RS_TEST_DEV:-}
FAMFS_DEV2=${FAMFS_RS_TEST_DEV2:-}
DEVNAME=${FAMFS_DEV##*/}
DEVNAME2=${FAMFS_DEV2##*/}
# A famfs on $FAMFS_DEV, mounted with `famfs mount` (daemon and all).
MNT=/mnt/famfs

# The pid of the daemon serving (or last serving) $MNT.
daemon_pid() { cat /run/famfs_rs/mnt-famfs.pid 2>/dev/null; }

# daemon_gone SECONDS: waits until the daemon of the last mount at $MNT has
# exited (its exit includes giving its devices back); false if it has not
# after SECONDS.
daemon_gone() {
	local pid i=0
	pid=$(daemon_pid)
	while [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; do
		i=$((i + 1))
		[ $i -gt $(($1 * 10)) ] && return 1
		sleep 0.1
	done
}

# devdax_home [SECONDS]: waits until the given devdax are with device_dax again.
# A daemon gives its devices back when its mount ends (after a plain
# umount, asynchronously): it is waited for first, so that a bind by hand
# never races its give-back. rmmod leaves a device it had with no driver,
# which this binds back.
devdax_home() {
	local d i
	daemon_gone "${1:-30}" || { fail "the daemon of $MNT still runs after ${1:-30} s"; return 1; }
	for d in $DEVNAME $DEVNAME2; do
		[ -e /sys/bus/dax/devices/$d ] || continue
		i=0
		while [ "$(basename "$(readlink /sys/bus/dax/devices/$d/driver 2>/dev/null)")" != device_dax ]; do
			[ -e /sys/bus/dax/devices/$d/driver ] ||
				echo $d >/sys/bus/dax/drivers/device_dax/bind 2>/dev/null
			i=$((i + 1))
			[ $i -gt $((${1:-30} * 10)) ] && { fail "$d is not back with device_dax"; return 1; }
			sleep 0.1
		done
	done
}

# Clears what an earlier, failed test may have left (a mount, a device
# still with famfs_rs), saying so, so that one failure does not cascade.
leftovers_cleared() {
	local d
	if grep -q " $MNT " /proc/mounts; then
		diag "an earlier test left $MNT mounted: unmounting"
		famfs umount --timeout 60 $MNT >/dev/null 2>&1 || umount -l $MNT
	fi
	# A daemon still exiting gives its devices back itself: let it.
	daemon_gone 60 || diag "the daemon of $MNT still runs after 60 s: going on"
	for d in $DEVNAME $DEVNAME2; do
		[ -e /sys/bus/dax/drivers/$DAXDRV/$d ] || continue
		grep -q " famfs_rs " /proc/mounts && continue
		diag "$d was left with $DAXDRV: giving it back"
		echo $d >/sys/bus/dax/drivers/$DAXDRV/unbind
		echo $d >/sys/bus/dax/drivers/$DAXDRV/remove_id
		echo $d >/sys/bus/dax/drivers/device_dax/bind
	done
	return 0
}

famfs_fresh() {
	leftovers_cleared
	devdax_home || return 1
	module_loaded || insmod "$MODULE" || return 1
	mkdir -p $MNT
	quietly famfs mkfs --force $FAMFS_DEV
}

famfs_mount() {
	quietly famfs mount "$@" $FAMFS_DEV $MNT
}

# The daemon's exit includes giving the devices back (a 1 GiB page-map
# setup): seconds under TCG, more on a loaded host.
famfs_umount() {
	quietly famfs umount --timeout 60 $MNT
}

# The debugfs file of counter NAME of the mount at $MNT, and its value.
counter_file() {
	local dev
	dev=$(awk -v m="$MNT" '$5 == m { print $3 }' /proc/self/mountinfo)
	echo "/sys/kernel/debug/famfs_rs/$dev/$1"
}
counter() { cat "$(counter_file "$1")"; }

# run_shown TOOL ARGS...: runs the static helper $BIN/TOOL, shows its output
# lines as TAP diagnostics, and fails if it exited non-zero. Its variables
# are local: callers keep their own rc across calls.
run_shown() {
	local tool=$1 out status
	shift
	out=$("$BIN/$tool" "$@" 2>&1)
	status=$?
	echo "$out" | while read -r l; do diag "$l"; done
	[ $status -eq 0 ] || fail "$tool $* exited $status"
}

# stress_start SECONDS FILE...: io_stress in the background (pid in $ps,
# output in /tmp/stress.out), back once every worker has opened its file:
# a loaded guest may take longer than any fixed sleep to get there.
stress_start() {
	rm -f /tmp/stress.ready
	IO_STRESS_READY=/tmp/stress.ready "$BIN/io_stress" "$@" >/tmp/stress.out 2>&1 &
	ps=$!
	_waited=0
	while [ ! -e /tmp/stress.ready ]; do
		kill -0 $ps 2>/dev/null || { fail "io_stress ended before its workers started: $(cat /tmp/stress.out)"; return 1; }
		_waited=$((_waited + 1))
		[ $_waited -lt 600 ] || { fail "io_stress's workers had not opened their files after 60 s"; return 1; }
		sleep 0.1
	done
}
