# SPDX-License-Identifier: GPL-2.0
#
# The cases, run the same way on every subject that has them. Sourced by
# bench.sh. Each figure is one run of a C program of bench/src.

# data_cases SUBJECT RUN SEQFILE FAULTFILE: the data path of a file system
# (famfs, ext4): sequential mmap and read()/write(), random 4 KiB accesses,
# PMD faults with one and two threads. RUN is "figure" or "with_counters".
data_cases() {
	local s=$1 run=$2 seq=$3 flt=$4
	# The first mapping of a file after mount also has fs/dax.c tie each
	# of its pages to the file (512 struct pages per PMD); a second
	# mapping finds that done.
	$run seq_mmap_read $s seqio mmap-read $seq $SEQ
	$run seq_mmap_read_again $s seqio mmap-read $seq $SEQ
	$run seq_mmap_write $s seqio mmap-write $seq $SEQ
	$run seq_read $s seqio read $seq $SEQ
	$run seq_write $s seqio write $seq $SEQ
	$run rand_pread $s randio pread $seq $OPS $SEQ
	$run rand_pwrite $s randio pwrite $seq $OPS $SEQ
	$run rand_mmap_read $s randio mmap-read $seq $OPS $SEQ
	$run rand_mmap_write $s randio mmap-write $seq $OPS $SEQ
	$run pmd_fault $s faults $flt $FMAP $ROUNDS 1
	$run fault_rate_2t $s faults $flt $FMAP $ROUNDS 2
	# How the faults were served, counted by fs/dax.c's tracepoints in a
	# run of its own (tracing costs instructions).
	echo "BENCH fault_trace $s $(traced_faults faults $flt $FMAP 1 1)" >"$OUT"
	echo "BENCH seq_trace $s $(traced_faults seqio mmap-read $seq $SEQ)" >"$OUT"
}

# raw_cases DEVICE: the same on the raw devdax, whose mapping is the limit:
# read() and write() become copies from and to the mapping with the
# kernel's own copy routines. The sequential and random cases use its
# first $SEQ bytes, the fault cases the next 2 x $FMAP.
raw_cases() {
	local d=$1
	figure seq_mmap_read devdax seqio mmap-read $d $SEQ
	figure seq_mmap_read_again devdax seqio mmap-read $d $SEQ
	figure seq_mmap_write devdax seqio mmap-write $d $SEQ
	figure seq_read devdax seqio copy-read $d $SEQ
	figure seq_write devdax seqio copy-write $d $SEQ
	figure rand_pread devdax randio copy-read $d $OPS $SEQ
	figure rand_pwrite devdax randio copy-write $d $OPS $SEQ
	figure rand_mmap_read devdax randio mmap-read $d $OPS $SEQ
	figure rand_mmap_write devdax randio mmap-write $d $OPS $SEQ
	figure pmd_fault devdax faults $d $FMAP $ROUNDS 1 $SEQ
	figure fault_rate_2t devdax faults $d $FMAP $ROUNDS 2 $SEQ
}

# fio_job NAME SUBJECT FILE SIZE ENGINE RW BS: one fio job, its figures
# as "BENCH fio_NAME SUBJECT ns=N kib=N lat_ns=N" (the run's time, the
# KiB moved, the mean latency of one I/O as fio clocks it). fio is the
# load generator upstream famfs's tests use; its own per-I/O work is in
# its run time, so those ratios are flatter than the C programs'. Random
# jobs do $OPS I/Os, sequential ones one pass over SIZE.
fio_job() {
	local name=$1 s=$2 file=$3 size=$4 engine=$5 rw=$6 bs=$7 out=/tmp/fio.$1.$2 ios=
	case $rw in rand*) ios=--number_ios=$OPS ;; esac
	fio --name="$name" --filename="$file" --size="$size" --ioengine="$engine" \
		--rw="$rw" --bs="$bs" --thread=1 --fallocate=none --file_append=0 \
		--randseed=4242 --norandommap=1 $ios \
		--output-format=terse --terse-version=3 >$out 2>&1 ||
		{ bench_fail "fio $name on $s: $(tail -n 2 $out | tr '\n' ' ')"; return; }
	# terse v3, fields from 1: read KiB 6, run time (ms) 9, mean total
	# latency (us) 40; the write side the same 41 fields further on.
	awk -F';' -v n="$name" -v s="$s" '$1 == "3" {
		if ($6 > 0) printf "BENCH fio_%s %s ns=%d kib=%d lat_ns=%d\n", n, s, $9 * 1000000, $6, $40 * 1000
		if ($47 > 0) printf "BENCH fio_%s %s ns=%d kib=%d lat_ns=%d\n", n, s, $50 * 1000000, $47, $81 * 1000
	}' $out >"$OUT"
}

# fio_set SUBJECT FILE SIZE [ro]: the fio jobs, on one file (mmap and
# psync engines, as upstream famfs's own fio tests use).
fio_set() {
	local s=$1 f=$2 size=$3
	fio_job psync_randread $s $f $size psync randread 4k
	fio_job mmap_randread $s $f $size mmap randread 4k
	fio_job psync_seqread $s $f $size psync read 1m
	[ "${4:-}" = ro ] && return
	fio_job psync_randwrite $s $f $size psync randwrite 4k
	fio_job mmap_randwrite $s $f $size mmap randwrite 4k
}
