#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-kernel.sh: a Debian build root for one of Debian's own Rust-enabled
# kernels, as a user of that kernel has it, plus the kernel's Rust metadata
# that Debian's headers leave out, rebuilt reproducibly and checked.
#
#   stock-kernel.sh [KVER]              prepare (cached), print the root
#   stock-kernel.sh --print-root [KVER] only print where the root is
#
# KVER is a Debian kernel release: 7.3.4+deb13-amd64 (trixie-backports, the
# default) or 7.2.13+deb14-amd64 (sid). What it does, once per KVER:
#
#  1. debootstrap the kernel's Debian release (trixie with trixie-backports,
#     or sid) into $FAMFS_RS_CACHE/stock/KVER/root, and install there only
#     Debian's packages: linux-headers-KVER, the matching linux-source-X.Y,
#     rustc, rust-src, bindgen, the gcc that built the kernel, dwarves, dkms.
#  2. Check the toolchain is the kernel's: CONFIG_RUSTC_VERSION_TEXT and
#     CONFIG_BINDGEN_VERSION_TEXT of the headers' .config against the
#     root's rustc and bindgen (a module built by another rustc fails with
#     E0514 on the kernel crate's metadata).
#  3. Rebuild the kernel's rust/ from linux-source-X.Y with the headers'
#     .config (CC = the compiler named in CONFIG_CC_VERSION_TEXT, pahole
#     present: without them olddefconfig silently changes the config and
#     with it the kernel's structures). The rebuilt .config must equal the
#     headers' line for line, and every Rust symbol the stock kernel
#     exports (its Module.symvers) must be defined by the rebuilt objects
#     under the same name: otherwise the metadata describes another kernel
#     and the build stops here, saying which.
#  4. Package the metadata as linux-lib-rust-KVER (the shape of Ubuntu's
#     linux-lib-rust-*: rust/*.rmeta, the proc-macro libraries, the
#     generated bindings, scripts/target.json) into
#     $FAMFS_RS_CACHE/stock/KVER/debs and install it in the root with dpkg.
#
# After that, /lib/modules/KVER/build in the root is a tree DKMS (or
# `make module KDIR=...` run in the root) builds famfs_rs.ko against.
# Needs root (debootstrap, chroot). First run: ~10 minutes (downloads and
# the rust/ rebuild on 2 cores); later runs print the root at once.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

print_only=0
if [[ ${1:-} == --print-root ]]; then
	print_only=1
	shift
fi
kver=${1:-$STOCK_KVER_DEFAULT}
base=$FAMFS_RS_CACHE/stock/$kver
root=$base/root
if ((print_only)); then
	echo "$root"
	exit 0
fi
[[ -e $base/.ready ]] && { echo "$root"; exit 0; }

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot)"
mirror=${STOCK_MIRROR:-http://deb.debian.org/debian}
case "$kver" in
*+deb13-*) release=trixie suites="trixie trixie-updates trixie-backports" ;;
*+deb14-*) release=sid suites="sid" ;;
*) die "$kver: not a Debian 13 (+deb13) or sid (+deb14) kernel release" ;;
esac
series=$(echo "$kver" | sed -E 's/^([0-9]+\.[0-9]+).*/\1/')

mkdir -p "$base"
exec 9>"$base/.lock"
flock 9
[[ -e $base/.ready ]] && { echo "$root"; exit 0; }

ensure_packages debootstrap

trap unmount_tracked EXIT
in_root() { in_chroot "$root" "$@"; }
apt_in_root() {
	in_root apt-get install -y -qq --no-install-recommends "$@" >>"$base/apt.log" 2>&1 ||
		{ tail -20 "$base/apt.log" >&2; die "apt-get install $* failed in the root; see $base/apt.log"; }
}

# 1. The root and Debian's packages.
if [[ ! -e $base/.root-done ]]; then
	log "debootstrap $release into $root (first time: a few minutes)"
	rm -rf "$root"
	debootstrap --variant=minbase "$release" "$root" "$mirror" >"$base/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $base/debootstrap.log"
	rm -f "$root/etc/apt/sources.list"
	cat >"$root/etc/apt/sources.list.d/debian.sources" <<-EOF
		Types: deb
		URIs: $mirror
		Suites: $suites
		Components: main
		Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
	EOF
	# sid's Release files are valid for a week; a mirror that serves an
	# older snapshot of sid is refused without this (seen: "is expired").
	# The packages are still checked against the archive's keys.
	echo 'Acquire::Check-Valid-Until "false";' >"$root/etc/apt/apt.conf.d/99famfs_rs-valid-until"
	touch "$base/.root-done"
fi
mount_tracked -t proc proc "$root/proc"
if [[ ! -e $base/.pkgs-done ]]; then
	log "installing the kernel's headers, source and toolchain in the root"
	: >"$base/apt.log"
	in_root apt-get update -qq >>"$base/apt.log" 2>&1 || die "apt-get update failed in the root"
	apt_in_root "linux-headers-$kver" make kmod dkms bc flex bison libelf-dev libssl-dev \
		python3 cpio xz-utils dwarves rustc rust-src bindgen libclang-dev binutils \
		dpkg-dev ca-certificates
	# The source package of exactly the headers' version.
	hver=$(in_root dpkg-query -W -f='${Version}' "linux-headers-$kver")
	apt_in_root "linux-source-$series=$hver"
	cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$root/usr/src/linux-headers-$kver/.config")
	[[ $cc == x86_64-linux-gnu-gcc-* ]] || die "$kver was not built by a Debian gcc ($cc): not supported"
	apt_in_root "gcc-${cc##*-}"
	touch "$base/.pkgs-done"
fi

hdr=/usr/src/linux-headers-$kver
config=$root$hdr/.config
cc=$(sed -n 's/^CONFIG_CC_VERSION_TEXT="\([^ ]*\) .*/\1/p' "$config")

# 2. The kernel's own toolchain.
want_rustc=$(sed -n 's/^CONFIG_RUSTC_VERSION_TEXT="\(.*\)"$/\1/p' "$config")
have_rustc=$(in_root rustc --version)
[[ $want_rustc == "$have_rustc" ]] ||
	die "$kver was built by '$want_rustc' but the root's rustc is '$have_rustc': the kernel's Rust metadata cannot be rebuilt (or used) with another compiler"
want_bindgen=$(sed -n 's/^CONFIG_BINDGEN_VERSION_TEXT="\(.*\)"$/\1/p' "$config")
have_bindgen=$(in_root bindgen --version)
[[ $want_bindgen == "$have_bindgen" ]] ||
	log "note: $kver was configured with '$want_bindgen', the root has '$have_bindgen'"

# 3. rust/ rebuilt from Debian's source with the stock .config.
src=/usr/src/famfs_rs-rustmeta/linux-source-$series
if [[ ! -e $root$src/.famfs_rs-built ]]; then
	log "rebuilding the Rust metadata of $kver from linux-source-$series (first time: several minutes)"
	rm -rf "$root/usr/src/famfs_rs-rustmeta"
	mkdir -p "$root/usr/src/famfs_rs-rustmeta"
	tar -C "$root/usr/src/famfs_rs-rustmeta" -xf "$root/usr/src/linux-source-$series.tar.xz"
	cp "$config" "$root$src/.config"
	kmake() { in_root make -C "$src" CC="$cc" KERNELRELEASE="$kver" "$@"; }
	kmake olddefconfig >"$base/rustmeta.log" 2>&1 || die "olddefconfig failed; see $base/rustmeta.log"
	if ! diff -q <(grep -v '^#' "$config" | sort) <(grep -v '^#' "$root$src/.config" | sort) >/dev/null; then
		diff <(grep -v '^#' "$config" | sort) <(grep -v '^#' "$root$src/.config" | sort) | head -20 >&2
		die "the source's olddefconfig changed the stock .config (above): the rebuilt metadata would describe another kernel"
	fi
	kmake -j"$(nproc)" prepare >>"$base/rustmeta.log" 2>&1 ||
		{ tail -20 "$base/rustmeta.log" >&2; die "make prepare failed; see $base/rustmeta.log"; }
	kmake -j"$(nproc)" rust/ >>"$base/rustmeta.log" 2>&1 ||
		{ tail -20 "$base/rustmeta.log" >&2; die "make rust/ failed; see $base/rustmeta.log"; }
	touch "$root$src/.famfs_rs-built"
fi

# Every Rust symbol the stock kernel exports must be defined, under the
# same (hashed, mangled) name, by the rebuilt objects.
stock_syms=$base/stock-rust-symbols
rebuilt_syms=$base/rebuilt-rust-symbols
awk '$2 ~ /^_R/ { print $2 }' "$root$hdr/Module.symvers" | sort -u >"$stock_syms"
nm --defined-only "$root$src"/rust/*.o 2>/dev/null | awk '$3 ~ /^_R/ { print $3 }' | sort -u >"$rebuilt_syms"
missing=$(comm -23 "$stock_syms" "$rebuilt_syms" | wc -l)
total=$(wc -l <"$stock_syms")
if ((missing)); then
	comm -23 "$stock_syms" "$rebuilt_syms" | head -5 >&2
	die "$missing of the $total Rust symbols $kver exports are not defined by the rebuilt rust/ (first ones above): the rebuild does not match the stock kernel"
fi
echo "stock-kernel: $kver: all $total exported Rust symbols of the stock Module.symvers reproduced by the rebuilt rust/" >&2

# 4. The metadata package, installed in the root.
debs=$base/debs
mkdir -p "$debs"
ship_target=1
in_root dpkg-query -L "linux-headers-$kver" | grep -q "^$hdr/scripts/target.json\$" && ship_target=0
"$FAMFS_RS_TOP/scripts/mkrustpkg.sh" --stock "$root$src" "$ship_target" "$kver" \
	"$(in_root dpkg-query -W -f='${Version}' "linux-headers-$kver")" "$have_rustc" "$debs" \
	"$(in_root dpkg-query -W -f='${Version}' rustc)" >"$base/rustpkg"
pkg=$(cat "$base/rustpkg")
cp "$pkg" "$root/tmp/"
in_root dpkg -i "/tmp/${pkg##*/}" >>"$base/apt.log" 2>&1 || die "dpkg -i ${pkg##*/} failed in the root"
log "installed ${pkg##*/} in the root"

touch "$base/.ready"
echo "$root"
