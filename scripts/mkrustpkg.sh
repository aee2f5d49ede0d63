#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkrustpkg.sh KBUILD DEBDIR: the package a distribution needs beside its
# kernel headers so that out-of-tree Rust modules build against it:
# linux-librust-<version>-dev (the name Debian's kernel team discussed),
# holding what `make bindeb-pkg`'s linux-headers package leaves out:
#
#   rust/lib*.rmeta          the metadata of the kernel's crates (core,
#                            compiler_builtins, kernel, bindings, uapi,
#                            ffi, build_error): a module is type-checked
#                            and linked against them
#   rust/libmacros.so        the kernel's procedural macros (module!,
#                            vtable, pin_data...), a host library
#   rust/bindings/*.rs       the kernel crate's generated bindings (famfs_rs
#                            checks its own bindgen output against them)
#   rust/rustc-version       the rustc that built all this: a module must
#                            be built by exactly that rustc (E0514)
#
# installed under /usr/src/linux-headers-<version>/, where the headers
# package's /lib/modules/<version>/build points. It depends on that exact
# headers package. DEBDIR must already hold the linux-headers .deb.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kb=$1
debdir=$2
kver=$(cat "$kb/include/config/kernel.release")
hdr=$(ls "$debdir"/linux-headers-"$kver"_*.deb 2>/dev/null | head -1)
[[ -n $hdr ]] || die "no linux-headers-$kver .deb in $debdir"
version=$(dpkg-deb -f "$hdr" Version)
arch=$(dpkg-deb -f "$hdr" Architecture)
name=linux-librust-$kver-dev
dest=usr/src/linux-headers-$kver
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

mkdir -p "$stage/DEBIAN" "$stage/$dest/rust/bindings"
cp "$kb"/rust/lib*.rmeta "$kb"/rust/libmacros.so "$stage/$dest/rust/"
cp "$kb"/rust/bindings/*.rs "$stage/$dest/rust/bindings/"
rustc --version >"$stage/$dest/rust/rustc-version"
# scripts/target.json (rustc's target for the kernel) is Rust's too: ship
# it here unless the headers package already does (dpkg refuses two
# packages owning one file).
if ! dpkg-deb -c "$hdr" | grep "/$dest/scripts/target.json\$" >/dev/null; then
	mkdir -p "$stage/$dest/scripts"
	cp "$kb/scripts/target.json" "$stage/$dest/scripts/"
fi
rustc_ver=$(rustc --version | awk '{ print $2 }')
cat >"$stage/DEBIAN/control" <<EOF
Package: $name
Source: linux-upstream
Version: $version
Architecture: $arch
Maintainer: famfs_rs <famfs_rs@example.invalid>
Section: kernel
Priority: optional
Depends: linux-headers-$kver (= $version)
Description: Rust metadata for building modules against Linux $kver
 The metadata of the kernel's Rust crates (rust/*.rmeta), its procedural
 macros (libmacros.so) and generated bindings, which out-of-tree Rust
 modules (such as famfs_rs, through DKMS) are compiled against. Modules
 must be built with rustc $rustc_ver, the compiler that built this kernel.
EOF
dpkg-deb --root-owner-group -Zgzip --build "$stage" "$debdir/${name}_${version}_$arch.deb" >/dev/null
echo "$debdir/${name}_${version}_$arch.deb"
