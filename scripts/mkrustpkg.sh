#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkrustpkg.sh KBUILD DEBDIR: the package a distribution needs beside its
# kernel headers so that out-of-tree Rust modules build against it:
# linux-librust-<version>-dev (the name Debian's kernel team discussed),
# holding what `make bindeb-pkg`'s linux-headers package leaves out.
# mkrustpkg.sh --stock ...: the same for a distribution's stock kernel
# (scripts/stock-kernel.sh), named linux-lib-rust-<version> as Ubuntu does.
# Contents:
#
#   rust/lib*.rmeta          the metadata of the kernel's crates (core,
#                            compiler_builtins, kernel, bindings, uapi,
#                            ffi, build_error): a module is type-checked
#                            and linked against them
#   rust/lib*.so             the kernel's procedural macros (module!,
#                            vtable, pin_data...), host libraries
#   scripts/target.json      rustc's target, unless the headers ship it
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

# pack KBUILD KVER NAME VERSION ARCH RUSTC_VERSION SHIP_TARGET DEBDIR
# [EXTRA_DEPENDS]: writes the package and prints its path.
pack() {
	local kb=$1 kver=$2 name=$3 version=$4 arch=$5 rustc_ver=$6 ship_target=$7 debdir=$8
	local extra_depends=${9:-}
	local dest=usr/src/linux-headers-$kver stage
	stage=$(mktemp -d)
	chmod 755 "$stage"
	mkdir -p "$stage/DEBIAN" "$stage/$dest/rust/bindings"
	# The crates' metadata and the proc-macro libraries (macros, and on
	# newer kernels pin_init_internal and zerocopy_derive).
	cp "$kb"/rust/lib*.rmeta "$kb"/rust/lib*.so "$stage/$dest/rust/"
	cp "$kb"/rust/bindings/*.rs "$stage/$dest/rust/bindings/"
	echo "$rustc_ver" >"$stage/$dest/rust/rustc-version"
	if ((ship_target)); then
		mkdir -p "$stage/$dest/scripts"
		cp "$kb/scripts/target.json" "$stage/$dest/scripts/"
	fi
	cat >"$stage/DEBIAN/control" <<EOF2
Package: $name
Source: linux-upstream
Version: $version
Architecture: $arch
Maintainer: famfs_rs <famfs_rs@example.invalid>
Section: kernel
Priority: optional
Depends: linux-headers-$kver (= $version)$extra_depends
Description: Rust metadata for building modules against Linux $kver
 The metadata of the kernel's Rust crates (rust/*.rmeta), its procedural
 macros (libmacros.so and friends), its generated bindings and rustc's
 target description, which out-of-tree Rust modules (such as famfs_rs,
 through DKMS) are compiled against. Modules must be built with
 $rustc_ver, the compiler that built this kernel.
EOF2
	# Modules DKMS could not build without this metadata are built once it
	# is here: what the headers package does when it is installed.
	cat >"$stage/DEBIAN/postinst" <<EOF2
#!/bin/sh
set -e
if [ "\$1" = configure ] && [ -d /etc/kernel/header_postinst.d ]; then
	run-parts --report --exit-on-error --arg=$kver /etc/kernel/header_postinst.d
fi
EOF2
	chmod 755 "$stage/DEBIAN/postinst"
	dpkg-deb --root-owner-group -Zgzip --build "$stage" "$debdir/${name}_${version}_$arch.deb" >/dev/null
	rm -rf "$stage"
	echo "$debdir/${name}_${version}_$arch.deb"
}

if [[ ${1:-} == --stock ]]; then
	# --stock SRC SHIP_TARGET KVER VERSION RUSTC DEBDIR [RUSTC_DEB_VERSION]: a distribution's
	# stock kernel, whose rust/ was rebuilt in SRC (scripts/stock-kernel.sh)
	# and whose headers package is installed in HEADERS. Named as Ubuntu
	# names it: linux-lib-rust-KVER.
	shift
	# SHIP_TARGET: 1 unless the headers package itself has
	# scripts/target.json (ask dpkg, not the file system: an earlier
	# version of this package may have put it there).
	src=$1 ship_target=$2 kver=$3 version=$4 rustc_ver=$5 debdir=$6 rustc_deb=${7:-}
	# The metadata is readable only by the rustc that wrote it: depend on
	# exactly that package version.
	pack "$src" "$kver" "linux-lib-rust-$kver" "$version" amd64 "$rustc_ver" "$ship_target" "$debdir" \
		"${rustc_deb:+, rustc (= $rustc_deb)}"
	exit 0
fi

kb=$1
debdir=$2
kver=$(cat "$kb/include/config/kernel.release")
hdr=$(ls "$debdir"/linux-headers-"$kver"_*.deb 2>/dev/null | head -1)
[[ -n $hdr ]] || die "no linux-headers-$kver .deb in $debdir"
version=$(dpkg-deb -f "$hdr" Version)
arch=$(dpkg-deb -f "$hdr" Architecture)
# scripts/target.json (rustc's target for the kernel) is Rust's too: ship
# it here unless the headers package already does (dpkg refuses two
# packages owning one file).
ship_target=1
dpkg-deb -c "$hdr" | grep "/usr/src/linux-headers-$kver/scripts/target.json\$" >/dev/null && ship_target=0
pack "$kb" "$kver" "linux-librust-$kver-dev" "$version" "$arch" "$(rustc --version)" "$ship_target" "$debdir"
