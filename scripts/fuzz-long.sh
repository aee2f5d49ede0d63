#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fuzz-long.sh: the long fuzzing run (make fuzz-long). Three fuzzers, each
# for FUZZ_SECONDS (default 3600) with seed FUZZ_SEED (default: the time):
#
#  1. famfs-fuzz: the on-media parsers (superblock, log, replay, fsck, the
#     allocator on top) in userspace, at least FUZZ_MIN_EXECS (1,000,000)
#     inputs whatever the time;
#  2. famfs-core's fuzz_replies: the shared core's reply and fmap
#     validators (the very code the module runs), at least 1,000,000;
#  3. famfs-hostile in the guest: the live module, served by the hostile
#     daemon for FUZZ_SECONDS.
#
# Each prints its summary; crashes are kept in build/fuzz/. Exit 1 if any
# fuzzer failed.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

secs=${FUZZ_SECONDS:-3600}
seed=${FUZZ_SEED:-$(date +%s)}
min=${FUZZ_MIN_EXECS:-1000000}
out=$FAMFS_RS_TOP/build/fuzz
mkdir -p "$out"
rc=0
cd "$FAMFS_RS_TOP/userspace" || die "no userspace/"
cargo build --locked --release -q -p famfs-fuzz || die "building famfs-fuzz failed"

log "famfs-fuzz (on-media parsers): $secs s and at least $min inputs, seed $seed"
target/release/famfs-fuzz --seconds "$secs" --seed "$seed" --crash-dir "$out" | tee "$out/famfs-fuzz.out" || rc=1
done_n=$(sed -n 's/^famfs-fuzz: \([0-9]*\) inputs.*/\1/p' "$out/famfs-fuzz.out")
if ((${done_n:-0} < min)); then
	target/release/famfs-fuzz --iterations "$((min - ${done_n:-0}))" --seed "$((seed + 1))" --crash-dir "$out" || rc=1
fi

log "fuzz_replies (the shared core's validators): $secs s, seed $seed"
cargo run --locked --release -q -p famfs-core --example fuzz_replies -- "$secs" "$seed" 2>"$out/fuzz_replies.log" || {
	tail -5 "$out/fuzz_replies.log" >&2
	rc=1
}

log "famfs-hostile (the live module in the guest): $secs s, seed $seed"
cd "$FAMFS_RS_TOP" || exit 1
make -s module userspace >/dev/null || die "building the module and userspace failed"
GUEST_APPEND="famfs_rs_test.only=75_ famfs_rs_test.fuzz_seconds=$secs famfs_rs_test.fuzz_seed=$seed famfs_rs_test.timeout_scale=$((secs / 1200 + 2)) ${GUEST_APPEND:-}" \
	VM_TIMEOUT=$((secs * 2 + 1800)) VM_TEST_SKIP_HARNESS=1 FAMFS_RS_VMDIR="$out/vm" \
	scripts/vm-test.sh | grep -v '^# host ' || rc=1
grep -h 'famfs-hostile: \(seed\|worker calls \|mounts\|PASSED\|FAILED\)' "$out/vm/selftests/tap.log" | tr -d '\r'
exit $rc
