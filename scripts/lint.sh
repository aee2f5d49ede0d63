#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make lint: formatting and clippy, for the module (as the kernel's
# `make rustfmtcheck` and `CLIPPY=1` would) and for the userspace
# (cargo fmt, cargo clippy -D warnings). Fails naming what to run.
set -uo pipefail
cd "$(dirname "$0")/.."
rc=0

# The kernel's .rustfmt.toml is rustfmt's defaults for edition 2021.
if ! rustfmt --check --edition 2021 module/famfs_rs.rs; then
	echo "lint: module/ is not formatted: run rustfmt --edition 2021 module/famfs_rs.rs"
	rc=1
fi
if ! (cd userspace && cargo fmt --all -- --check); then
	echo "lint: userspace/ is not formatted: run (cd userspace && cargo fmt --all)"
	rc=1
fi

# The module's layers (Documentation/famfs_rs.rst, "Source layout"): the
# kernel API layer (kapi) names no layer above it, the FUSE layer (fuse) not
# the file system (famfs); every file above kapi forbids unsafe code, and
# the crate root, which only wires the layers, has none.
upward=$( {
	grep -rnE 'crate::(famfs|fuse)\b|super::(famfs|fuse)\b' module/kapi.rs module/kapi
	grep -rnE 'crate::famfs\b|super::famfs\b' module/fuse.rs module/fuse
} 2>/dev/null)
if [[ -n $upward ]]; then
	echo "$upward"
	echo "lint: a module layer imports from a layer above it (kapi < fuse < famfs)"
	rc=1
fi
for f in module/core_logic.rs module/fuse.rs module/famfs.rs module/fuse/*.rs module/famfs/*.rs; do
	grep -q '^#!\[forbid(unsafe_code)\]$' "$f" || {
		echo "lint: $f lacks #![forbid(unsafe_code)] (unsafe code belongs in module/kapi/)"
		rc=1
	}
done
if grep -nE '^\s*[^/ ].*\bunsafe\b' module/famfs_rs.rs; then
	echo "lint: the crate root module/famfs_rs.rs wires the layers; unsafe code belongs in module/kapi/"
	rc=1
fi

# The userspace crates' layers (Documentation/famfs_rs.rst, "Userspace"):
# famfs-host, the host plumbing the command and the daemon share, depends
# on neither of them nor on the metadata crates; in the famfs command only
# mount_cmd.rs, which runs the daemon (`famfs daemon`, started by `famfs
# mount`), and the tests of a mounted famfs may name the daemon crate.
hostdeps=$(grep -nE '^famfs(-(daemon|meta|omf|hostile|fuzz|mangen))? *=' userspace/crates/famfs-host/Cargo.toml)
if [[ -n $hostdeps ]]; then
	echo "$hostdeps"
	echo "lint: famfs-host depends on a famfs crate other than famfs-core (keep it the small shared layer)"
	rc=1
fi
daemonuse=$(grep -rlE '\bfamfs_daemon\b' userspace/crates/famfs/src |
	grep -vE '/(mount_cmd|mounted_tests)\.rs$')
if [[ -n $daemonuse ]]; then
	echo "$daemonuse"
	echo "lint: the famfs command names famfs_daemon outside mount_cmd.rs (use famfs_host for mount table, paths, handover)"
	rc=1
fi

# A #[vtable] trait's optional method (a default body that must never run)
# decides its C slot, or whether the layer calls it, by its HAS_ constant:
# one no code of the layer reads would have its default called.
for f in $(grep -rl '^#\[vtable\]' module/kapi); do
	for m in $(awk '/fn [a-z_0-9]+/ { match($0, /fn [a-z_0-9]+/); name = substr($0, RSTART + 3, RLENGTH - 3) }
		/VTABLE_DEFAULT_ERROR/ { print name }' "$f"); do
		has=HAS_${m^^}
		grep -rqw "$has" module/kapi --include='*.rs' || {
			echo "lint: $f: optional method $m: nothing in module/kapi reads $has (fill its slot or guard its call with it)"
			rc=1
		}
	done
done

# Kbuild's CLIPPY=1 reports but does not fail: count the warnings about
# our own sources (the generated bindings are bindgen's). The touch makes
# Kbuild compile the crate again, through clippy, even when it is current.
touch module/famfs_rs.rs
log=$(make --no-print-directory module CLIPPY=1 2>&1)
status=$?
warnings=$(grep -A3 '^warning' <<<"$log" | grep -- '--> .*module/' | grep -vc 'module/generated/')
if [[ $status -ne 0 || $warnings -ne 0 ]]; then
	grep -A8 '^\(warning\|error\)' <<<"$log" | head -60
	echo "lint: clippy on module/: build status $status, $warnings warnings (make module CLIPPY=1)"
	rc=1
fi
if ! (cd userspace && cargo clippy --locked --quiet --all-targets -- -D warnings); then
	echo "lint: clippy on userspace/ failed (cd userspace && cargo clippy --all-targets -- -D warnings)"
	rc=1
fi
[[ $rc -eq 0 ]] && echo "lint: module and userspace formatted and clippy-clean"
exit $rc
