# SPDX-License-Identifier: GPL-2.0
#
# Files of every awkward size, used by programs nobody here wrote (cp, cmp,
# dd, cat) and the ways other programs reach files (mmap of the whole file,
# sendfile and splice, O_DIRECT), each compared byte for byte with its
# source; and every way to append refused without changing a byte.
#
# needs: dev famfs

# 1 byte, around a page, around a 2 MiB unit, and odd millions.
SIZES="1 4095 4096 4097 2097151 2097153 3000000"

# A fresh mount holding s<SIZE> for each size, copied in with `famfs cp`
# from /tmp/ref.<SIZE> (random bytes).
clients_setup() {
	famfs_fresh && famfs_mount || return 1
	for s in $SIZES; do
		head -c "$s" /dev/urandom >/tmp/ref.$s
		quietly famfs cp /tmp/ref.$s $MNT/s$s || { famfs_umount; return 1; }
	done
}

# each_size CHECK: runs CHECK SIZE for every size; fails if any did.
each_size() {
	local rc=0 s
	for s in $SIZES; do
		"$1" "$s" || rc=1
	done
	return $rc
}

plain_tools() {
	local s=$1 f=$MNT/s$1 ref=/tmp/ref.$1
	expect_eq "size of s$s" "$s" "$(stat -c %s $f)" || return 1
	cmp $ref $f || { fail "cmp s$s"; return 1; }
	cp $f /tmp/back.$s && cmp $ref /tmp/back.$s || { fail "cp s$s out"; return 1; }
	cat $f | cmp $ref - || { fail "cat s$s"; return 1; }
	dd if=$f bs=4k 2>/dev/null | cmp $ref - || { fail "dd bs=4k s$s"; return 1; }
	dd if=$f bs=2M 2>/dev/null | cmp $ref - || { fail "dd bs=2M s$s"; return 1; }
	tail -c 1 $ref >/tmp/last.$s
	dd if=$f bs=1 skip=$((s - 1)) 2>/dev/null | cmp /tmp/last.$s - ||
		{ fail "dd of the last byte of s$s"; return 1; }
	# Writes through write(): new bytes in, read back, the source back in.
	head -c "$s" /dev/urandom >/tmp/new.$s
	dd if=/tmp/new.$s of=$f conv=notrunc 2>/dev/null && cmp /tmp/new.$s $f ||
		{ fail "dd conv=notrunc into s$s"; return 1; }
	cp $ref $f 2>/tmp/cp.err && { fail "cp over s$s succeeded (it truncates: EPERM)"; return 1; }
	dd if=$ref of=$f conv=notrunc 2>/dev/null && cmp $ref $f || { fail "restoring s$s"; return 1; }
}

test_sizes_through_cp_cmp_dd_cat() {
	clients_setup || return 1
	each_size plain_tools
	r=$?
	famfs_umount && return $r
}

by_probe() { run_shown io_probe "$PROBE" $MNT/s$1 /tmp/ref.$1; }

# through_probe WAY: every size through `io_probe WAY` on a fresh mount.
through_probe() {
	clients_setup || return 1
	PROBE=$1 each_size by_probe
	r=$?
	famfs_umount && return $r
}

# The page holding the end of each file is mapped whole (fs-dax maps whole
# pages; famfs allocates 2 MiB units): no SIGBUS, no kernel WARN.
test_sizes_through_mmap() { through_probe mmap; }

test_sizes_through_sendfile_and_splice() { through_probe sendfile; }

# O_DIRECT is the same dax path (databases open their files so).
test_sizes_through_o_direct() { through_probe direct; }

# RWF_APPEND, O_APPEND through write() and pwritev2(), a write at the end
# and one beyond RLIMIT_FSIZE: EFBIG each, and no byte of the file changes.
test_append_never_grows_or_overwrites() {
	famfs_fresh || return 1
	famfs creat -D $FAMFS_DEV -s 8M -m 0666 --randomize --seed 5 /eight || { fail "creat failed"; return 1; }
	famfs_mount || return 1
	run_shown io_probe append $MNT/eight
	r=$?
	famfs_umount && return $r
}
