#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# fetch-stock-kernel.sh [KVER]: Debian's unmodified kernel KVER (default
# 7.3.4+deb13-amd64, trixie-backports; sid's 7.2.13+deb14-amd64 works the
# same), for booting the test guest with a stock kernel
# (FAMFS_RS_KERNEL=stock-KVER, see scripts/lib.sh). Prints the directory
# that holds it, $FAMFS_RS_CACHE/stock/KVER/image (the rest of
# $FAMFS_RS_CACHE/stock/KVER belongs to scripts/stock-kernel.sh's build
# root and is never touched here):
#   vmlinuz                 the kernel image (linux-binary-KVER)
#   config, System.map      from linux-base-KVER
#   lib/modules/KVER/       its modules, as shipped (.ko.xz, signed;
#                           linux-modules-KVER)
#
# Downloaded once with the host's apt, but with a private sources list and
# private state under $FAMFS_RS_CACHE/stock/apt-lists: the host's apt
# configuration and package lists are left alone. apt checks the suites'
# signatures with the host's Debian archive keyring and the packages'
# hashes. Quiet when the kernel is already cached.
#
# STOCK_KERNEL_MIRROR: the Debian mirror (default: Debian's CDN).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:-${STOCK_KVER_DEFAULT:-7.3.4+deb13-amd64}}
[[ $kver =~ ^[0-9][A-Za-z0-9.+~-]*$ ]] || die "not a kernel release: '$kver'"
dir=$FAMFS_RS_CACHE/stock/$kver/image
if [[ -e $dir/.done ]]; then
	echo "$dir"
	exit 0
fi

mirror=${STOCK_KERNEL_MIRROR:-http://deb.debian.org/debian}
aptdir=$FAMFS_RS_CACHE/stock/apt-lists
mkdir -p "$aptdir/lists/partial"
# trixie and trixie-backports carry the backported kernels, sid the newest.
{
	echo "deb $mirror trixie main"
	echo "deb $mirror trixie-backports main"
	echo "deb $mirror sid main"
} >"$aptdir/sources.list"
apt_opts=(
	-o "Dir::Etc::sourcelist=$aptdir/sources.list"
	-o Dir::Etc::sourceparts=/dev/null
	-o "Dir::State::Lists=$aptdir/lists"
	-o Dir::Cache::pkgcache= -o Dir::Cache::srcpkgcache=
	# Only the package indexes (not appstream metadata or Contents).
	-o Acquire::IndexTargets::deb::DEP-11::DefaultEnabled=false
	-o Acquire::IndexTargets::deb::DEP-11-icons::DefaultEnabled=false
	-o Acquire::IndexTargets::deb::DEP-11-icons-hidpi::DefaultEnabled=false
	-o Acquire::IndexTargets::deb::Contents-deb::DefaultEnabled=false
	# Run as root, apt downloads as the _apt user, who usually cannot
	# enter the cache under root's home; apt would then fall back to root
	# with a warning. Say so up front (ignored when not run as root).
	-o APT::Sandbox::User=root
)
log "fetching Debian's kernel $kver (about 120 MB, once)"
apt-get "${apt_opts[@]}" -qq update >"$aptdir/update.log" 2>&1 ||
	{ cat "$aptdir/update.log" >&2; die "apt-get update (private lists in $aptdir) failed"; }

work=$dir.tmp
rm -rf "$work"
mkdir -p "$work/debs" "$work/root"
pkgs=("linux-binary-$kver" "linux-modules-$kver" "linux-base-$kver")
(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download "${pkgs[@]}") ||
	die "apt-get download ${pkgs[*]} failed: is $kver in trixie, trixie-backports or sid?"
for deb in "$work"/debs/*.deb; do
	dpkg-deb -x "$deb" "$work/root"
done

# Debian 13 and later install under /usr (merged /usr), the image, its
# config and System.map beside the modules; older ones under /boot.
r=$work/root
[[ -d $r/usr/lib/modules/$kver ]] && moddir=$r/usr/lib/modules/$kver || moddir=$r/lib/modules/$kver
[[ -d $moddir/kernel ]] || die "no modules for $kver in linux-modules-$kver"
for f in vmlinuz config System.map; do
	[[ -e $moddir/$f || ! -e $r/boot/$f-$kver ]] || mv "$r/boot/$f-$kver" "$moddir/$f"
done
[[ -e $moddir/vmlinuz ]] || die "no vmlinuz in linux-binary-$kver"
rm -rf "$dir"
mkdir -p "$dir/lib/modules" "$dir/usr/lib"
mv "$moddir" "$dir/lib/modules/$kver"
# modules.dep and the other indexes, as the package's postinst would make
# them (kmod looks under lib/modules or, newer ones, usr/lib/modules).
ln -s ../../lib/modules "$dir/usr/lib/modules"
PATH=$PATH:/sbin:/usr/sbin depmod -b "$dir" "$kver" || die "depmod for $kver failed"
for f in vmlinuz config System.map; do
	[[ ! -e $dir/lib/modules/$kver/$f ]] || ln -s "lib/modules/$kver/$f" "$dir/$f"
done
(cd "$work/debs" && ls) >"$dir/packages"
rm -rf "$work"
touch "$dir/.done"
echo "$dir"
