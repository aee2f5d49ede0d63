# SPDX-License-Identifier: GPL-2.0
#
# fio, the load generator upstream famfs's own stress tests use, on famfs
# files: mmap, psync and libaio (O_DIRECT) engines, sequential and random,
# a plain, an odd-sized and an interleaved file, two jobs at once, every
# block verified (crc32c). Bandwidth lines are printed, never asserted.
#
# needs: dev famfs cmd:fio

# A fresh mount with the fio target files: a, b (16 MiB), odd (3,000,000
# bytes) and il (16 MiB interleaved over 2 strips of 2 MiB chunks).
fio_setup() {
	famfs_fresh || return 1
	D="-D $FAMFS_DEV"
	famfs mkdir $D /fio && famfs creat $D -s 16M -m 0666 /fio/a &&
		famfs creat $D -s 16M -m 0666 /fio/b &&
		famfs creat $D -s 3000000 -m 0666 /fio/odd &&
		famfs creat $D -s 16M -N 2 -C 2M -m 0666 /fio/il ||
		{ fail "creating the fio files failed"; return 1; }
	famfs_mount
}

# run_fio NAME JOBFILE: runs fio; shows its bandwidth lines; fails if fio
# failed, a job reported an error, or a verify failed.
run_fio() {
	local name=$1 job=$2 out=/tmp/fio.$1.out
	fio --output-format=normal "$job" >$out 2>&1
	local status=$?
	grep -E '^ *(READ|WRITE): bw=' $out | while read -r l; do diag "fio $name: $l"; done
	grep -E 'err= *[1-9]|verify: bad|fio: ' $out | head -n 5 | while read -r l; do diag "fio $name: $l"; done
	[ $status -eq 0 ] || { tail -n 20 $out | while read -r l; do diag "$l"; done; fail "fio $name exited $status"; return 1; }
	grep -qE 'err= *[1-9]|verify: bad' $out && { fail "fio $name: a job failed"; return 1; }
	jobs=$(grep -c 'err= *0' $out)
	diag "fio $name: $jobs jobs, no error, every block verified"
	[ "$jobs" -ge 2 ] || fail "fio $name: expected 2 jobs, saw $jobs"
}

# Options every job shares: verify every block; never change a file's
# size (famfs files cannot grow: no layout, no fallocate).
FIO_GLOBAL="[global]
thread=1
bs=4k
verify=crc32c
do_verify=1
verify_fatal=1
fallocate=none
file_append=0"

test_fio_mmap_and_psync_verify() {
	fio_setup || return 1
	cat >/tmp/fio1.job <<EOF
$FIO_GLOBAL
[mmap-seq-a]
ioengine=mmap
rw=write
filename=$MNT/fio/a
size=16M
[psync-rand-il]
ioengine=psync
rw=randwrite
filename=$MNT/fio/il
size=16M
EOF
	cat >/tmp/fio2.job <<EOF
$FIO_GLOBAL
[psync-seq-odd]
ioengine=psync
rw=write
bs=64k
filename=$MNT/fio/odd
size=2949120
[mmap-rand-il]
ioengine=mmap
rw=randwrite
filename=$MNT/fio/il
size=16M
EOF
	rc=0
	run_fio mmap+psync /tmp/fio1.job || rc=1
	run_fio odd+interleaved /tmp/fio2.job || rc=1
	famfs_umount || rc=1
	return $rc
}

# libaio with O_DIRECT: accepted, as on ext4 and xfs with dax.
test_fio_libaio_direct_verify() {
	fio_setup || return 1
	cat >/tmp/fio3.job <<EOF
$FIO_GLOBAL
direct=1
ioengine=libaio
iodepth=8
[aio-rand-b]
rw=randwrite
filename=$MNT/fio/b
size=16M
[aio-seq-il]
rw=write
bs=128k
filename=$MNT/fio/il
size=16M
EOF
	run_fio libaio-direct /tmp/fio3.job
	r=$?
	famfs_umount && return $r
}
