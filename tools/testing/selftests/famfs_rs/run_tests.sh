#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run_tests.sh [TEST_FILE...]: run guest selftests, TAP on $TAP_OUT.
# Each file defines test_* functions, run in the order they appear, each in a
# subshell under a timeout so one hang cannot stall the rest.
. /selftests/lib.sh

TEST_TIMEOUT=${TEST_TIMEOUT:-300}
scale=$(param timeout_scale)
n=0
files=${*:-$(ls "$SELFTEST_DIR"/tests/*.sh)}
tap "TAP version 13"
for f in $files; do
	for t in $(sed -n 's/^\(test_[a-z0-9_]*\)() *{.*/\1/p' "$f"); do
		n=$((n + 1))
		kmsg "begin $t"
		# A test may ask for more time: a "# timeout TEST SECONDS" line.
		limit=$(sed -n "s/^# timeout $t \([0-9]*\)\$/\1/p" "$f")
		# A slower kernel (the debug flavour: make soak) scales them all.
		limit=$((${limit:-$TEST_TIMEOUT} * ${scale:-1}))
		timeout "$limit" sh -c ". $SELFTEST_DIR/lib.sh; . $f; $t"
		rc=$?
		kmsg "end $t"
		if [ $rc -eq 0 ]; then
			tap "ok $n - $t"
		elif [ $rc -eq "$NOT_RUN" ]; then
			tap "ok $n - $t # SKIP not run"
		elif [ $rc -eq 143 ] || [ $rc -eq 124 ]; then
			tap "not ok $n - $t # timed out after ${limit}s"
		else
			tap "not ok $n - $t"
		fi
	done
done
tap "1..$n"
tap "# famfs_rs-selftests: done"
