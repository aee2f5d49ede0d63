# SPDX-License-Identifier: GPL-2.0
#
# Negative self-test of the harness: each of these tests "passes" in the
# guest, yet the host must report it as failed. vm-test.sh checks that it
# does; a harness that let them through could not catch real bugs.
#
# needs:

# A kernel WARN inside a test must fail that test.
test_canary_warn() {
	echo WARNING >/sys/kernel/debug/provoke-crash/DIRECT
	return 0
}

# A test that hangs must be cut off and reported.
test_canary_hang() {
	sleep 100000
}

# A test that passes stays passed (the harness is not failing everything).
test_canary_pass() {
	return 0
}
