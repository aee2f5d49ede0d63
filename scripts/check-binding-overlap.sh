#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# check-binding-overlap.sh [--names] KERNEL_BINDINGS.rs OUR_BINDINGS.rs
#
# Fails if the module's own bindgen output defines an item the kernel crate's
# bindings already define: a local definition would shadow the kernel crate's
# and give an incompatible second type with the same name. With --names,
# only prints those items (scripts/module-bindgen.sh leaves them out).
set -eu
list=0
if [ "$1" = --names ]; then
	list=1
	shift
fi
# Item names, wherever they stand on a line (bindgen's output is one long
# line when rustfmt is not installed).
names() {
	grep -oE 'pub (struct|union|type|const|static|enum|fn) [A-Za-z0-9_]+' "$1" | sed 's/.* //' | sort -u
}
k=$(mktemp); o=$(mktemp)
trap 'rm -f "$k" "$o"' EXIT
names "$1" >"$k"
names "$2" >"$o"
dup=$(comm -12 "$k" "$o")
if [ $list -eq 1 ]; then
	[ -z "$dup" ] || echo "$dup"
	exit 0
fi
if [ -n "$dup" ]; then
	echo "famfs_rs: module bindings redefine items of kernel::bindings:" >&2
	echo "$dup" | sed 's/^/  /' >&2
	echo "Remove them from module/kapi/bindings/bindgen_parameters; they are imported from kernel::bindings." >&2
	exit 1
fi
