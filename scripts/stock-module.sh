#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# stock-module.sh [KVER]: famfs_rs.ko for one of Debian's stock kernels,
# built the way a Debian user gets it: DKMS, in the kernel's own Debian
# root (scripts/stock-kernel.sh: Debian's headers, Debian's rustc, and the
# rebuilt Rust metadata package), from this tree's module sources. Then
# every Rust symbol the module takes from the kernel is checked against the
# stock kernel's Module.symvers, by name: a symbol the stock kernel does not
# export means the metadata the module was compiled against is not that
# kernel's, and the module would not load.
#
# Prints the path of the built module (a copy under build/stock/KVER/).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

kver=${1:-$STOCK_KVER_DEFAULT}
root=$("$FAMFS_RS_TOP/scripts/stock-kernel.sh" "$kver")
out=$FAMFS_RS_TOP/build/stock/$kver
mkdir -p "$out"
pkgver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$FAMFS_RS_TOP/dkms.conf")
src=$root/usr/src/famfs_rs-$pkgver

trap unmount_tracked EXIT
mount_tracked -t proc proc "$root/proc"
in_root() { in_chroot "$root" "$@"; }

# The module's sources as the tree has them (the userspace is not the
# module's: left out), fresh each time.
rm -rf "$src"
mkdir -p "$src"
git -C "$FAMFS_RS_TOP" ls-files -z --cached --others --exclude-standard | grep -zv '^userspace/' |
	(cd "$FAMFS_RS_TOP" && tar --null -T - -cf -) | tar -C "$src" -xf -

in_root dkms remove -m famfs_rs -v "$pkgver" --all >/dev/null 2>&1 || true
for step in add build install; do
	if ! in_root dkms "$step" -m famfs_rs -v "$pkgver" -k "$kver" >"$out/dkms-$step.log" 2>&1; then
		cat "$out/dkms-$step.log" >&2
		make_log=$root/var/lib/dkms/famfs_rs/$pkgver/build/make.log
		[[ -e $make_log ]] && grep -E 'error|warning: unused|^make.*Error' "$make_log" | head -60 >&2
		die "dkms $step failed for $kver (full log: $make_log)"
	fi
done
ko=$(find "$root/lib/modules/$kver/updates" -name 'famfs_rs.ko*' | head -1)
[[ -n $ko ]] || die "dkms installed no famfs_rs.ko under /lib/modules/$kver/updates"
case "$ko" in
*.xz) xz -dc "$ko" >"$out/famfs_rs.ko" ;;
*.zst) zstd -qdc "$ko" >"$out/famfs_rs.ko" ;;
*) cp "$ko" "$out/famfs_rs.ko" ;;
esac

# The Rust symbols the module needs from the kernel, by name.
symvers=$root/usr/src/linux-headers-$kver/Module.symvers
nm -u "$out/famfs_rs.ko" | awk '$2 ~ /^_R/ { print $2 }' | sort -u >"$out/rust-symbols-needed"
awk '$2 ~ /^_R/ { print $2 }' "$symvers" | sort -u >"$out/rust-symbols-exported"
needed=$(wc -l <"$out/rust-symbols-needed")
absent=$(comm -23 "$out/rust-symbols-needed" "$out/rust-symbols-exported")
if [[ -n $absent ]]; then
	echo "$absent" | head -5 >&2
	die "famfs_rs.ko needs $(echo "$absent" | wc -l) Rust symbol(s) the stock $kver does not export (first ones above): the Rust metadata it was built against is not this kernel's; rebuild it (rm -rf $FAMFS_RS_CACHE/stock/$kver; scripts/stock-kernel.sh $kver)"
fi
echo "stock-module: $kver: all $needed Rust symbols famfs_rs.ko needs are exported by the stock kernel; vermagic $(modinfo -F vermagic "$out/famfs_rs.ko")" >&2
echo "$out/famfs_rs.ko"
