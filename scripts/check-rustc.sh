#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# check-rustc.sh KDIR: a Rust module must be built by exactly the rustc that
# built the kernel (otherwise rustc fails with E0514 on the kernel crate's
# metadata). Say so plainly before the build does it cryptically.
set -euo pipefail
kdir=$1
conf=$kdir/include/config/auto.conf
[[ -r $conf ]] || { echo "famfs_rs: $kdir is not a configured kernel build tree (no include/config/auto.conf); set KDIR to one" >&2; exit 1; }
grep -q '^CONFIG_RUST=y' "$conf" || { echo "famfs_rs: the kernel in $kdir was built without CONFIG_RUST; famfs_rs needs a Rust-enabled kernel" >&2; exit 1; }
[[ -e $kdir/rust/libkernel.rmeta ]] || { echo "famfs_rs: $kdir has no rust/libkernel.rmeta: build the kernel (or install its Rust headers) first" >&2; exit 1; }
want=$(sed -n 's/^CONFIG_RUSTC_VERSION=//p' "$conf")
ver=$(rustc --version | awk '{print $2}')
IFS=. read -r ma mi pa <<<"${ver%%-*}"
have=$((ma * 100000 + mi * 100 + pa))
if [[ $want != "$have" ]]; then
	echo "famfs_rs: the kernel in $kdir was built with rustc $((want / 100000)).$((want / 100 % 1000)).$((want % 100)) but 'rustc' here is $ver." >&2
	echo "A Rust module must be built by the same rustc as its kernel: install that version (rustup toolchain install ...; rustup override set ...) or rebuild the kernel." >&2
	exit 1
fi
