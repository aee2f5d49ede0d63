#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# The famfs_rs benchmark, inside the guest (famfs_rs_test.mode=bench; the
# host's scripts/bench.sh boots it under QEMU -icount and builds the table).
#
# Subjects, all on the same emulated CXL memory, in one boot:
#   famfs    famfs_rs on dax0.0 (a large device: the many-file case)
#   devdax   the raw device dax1.0, kept with device_dax (the limit)
#   ext4     ext4 -o dax on pmem2, an fsdax namespace of a third CXL device
#   fuse     the same famfs and the same daemon over the kernel's own FUSE
#            (famfs mount --plain-fuse: reads only, through the page cache)
#
# Every measuring loop is a C program of bench/src; this script only sets
# the subjects up and prints, on /dev/ttyS1, one line per figure:
#   BENCH CASE SUBJECT key=value...   (ns= first: elapsed guest time)
#   INFO KEY VALUE...
#   # free text
# and "BENCH-END failures=N" last.
#
# Parameters (kernel command line, famfs_rs_test.*): bench_files (files of
# the cold-open case), bench_seq (bytes of the sequential cases),
# bench_ops (random accesses), bench_rounds (fault rounds), bench_sizes
# (device sizes whose handover is measured), bench_profile=1 (profile the
# cases that miss their targets instead, see profile.sh), bench_only=opens
# (the open cases alone, with where their time goes, see diag.sh).
export PATH=/bench/bin:/bin:/sbin:/usr/bin:/usr/sbin
. /bench/lib.sh

FILES=$(param bench_files)
FILES=${FILES:-10000}
SEQ=$(param bench_seq)
SEQ=${SEQ:-256M}
OPS=$(param bench_ops)
OPS=${OPS:-10000}
ROUNDS=$(param bench_rounds)
ROUNDS=${ROUNDS:-20}
SIZES=$(param bench_sizes | tr , ' ')
SIZES=${SIZES:-512M 1G 2G}
# The fault cases map 64 MiB per thread: 32 PMD faults a round.
FMAP=64M

BENCH_ONLY_PARAM=
[ -n "$(param bench_only)" ] && BENCH_ONLY_PARAM=" bench_only=$(param bench_only)"
info kernel "$(uname -r)"
info clocksource "$(cat /sys/devices/system/clocksource/clocksource0/current_clocksource)"
info params "files=$FILES seq=$SEQ ops=$OPS rounds=$ROUNDS sizes=$SIZES${BENCH_ONLY_PARAM}"
info empty_timeit "$(timeit true)"
insmod /lib/modules/famfs_rs.ko || bench_fail "insmod famfs_rs.ko"

. /bench/handover.sh
. /bench/subjects.sh
. /bench/cases.sh
. /bench/profile.sh
. /bench/diag.sh

if [ "$(param bench_only)" = opens ]; then
	diag_opens
elif [ "$(param bench_profile)" = 1 ]; then
	# Profiling instead of the figures (perf's sampling costs time).
	famfs_prepare
	profile_cases
else
	handover_costs
	famfs_prepare
	fuse_cases
	famfs_cases
	devdax_cases
	ext4_cases
fi

bench_end
