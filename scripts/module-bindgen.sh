#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# module-bindgen.sh KERNEL_BINDINGS.rs OUT.rs BINDGEN [BINDGEN ARGS...] -- [CLANG ARGS...]
#
# The module's own bindgen pass (Kbuild), minus what the kernel crate
# already binds: newer kernel crates cover more of the kernel (misc
# devices, debugfs, ...), and an item generated twice would be ambiguous.
# Generates once; if any item is also in the kernel crate's bindings,
# generates again with those items blocklisted, so the kernel crate's
# definitions are the ones used (scripts/check-binding-overlap.sh then
# checks that nothing is left twice).
set -euo pipefail
kernel=$1 out=$2
shift 2
tool=()
clang=()
seen=0
for a in "$@"; do
	if ((seen)); then clang+=("$a"); elif [[ $a == -- ]]; then seen=1; else tool+=("$a"); fi
done
gen() {
	# gen OUTPUT [EXTRA BINDGEN ARGS...]
	local o=$1
	shift
	"${tool[@]}" "$@" -o "$o" -- "${clang[@]}" >/dev/null 2>"$out.err" ||
		{ cat "$out.err" >&2; rm -f "$out.err"; exit 1; }
	rm -f "$out.err"
}
gen "$out.tmp"
mapfile -t dups < <("$(dirname "$0")/check-binding-overlap.sh" --names "$kernel" "$out.tmp")
if ((${#dups[@]})); then
	block=()
	for d in "${dups[@]}"; do block+=(--blocklist-item "^$d\$"); done
	gen "$out.tmp" "${block[@]}"
fi
mv "$out.tmp" "$out"
