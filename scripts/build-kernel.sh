#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Build (or reuse) the famfs_rs test kernel: Debian's linux-source-6.12,
# tinyconfig plus scripts/kconfig/*.config, with Rust. The build tree is
# cached outside the checkout under a key of everything it depends on (see
# kernel_cache_key); a miss rebuilds (about 7 minutes on 2 cores).
#
#   build-kernel.sh              build on a miss, print the build dir
#   build-kernel.sh --print-dir  only print where the build dir is/would be
#   KERNEL_FLAVOUR=debug ...     the debug flavour (KASAN, lockdep, ...)
set -euo pipefail
. "$(dirname "$0")/lib.sh"

builddir=$(kernel_build_dir)
if [[ ${1:-} == --print-dir ]]; then
	echo "$builddir"
	exit 0
fi

stamp=$builddir/.famfs_rs-built
if [[ -e $stamp ]]; then
	echo "$builddir"
	exit 0
fi

mkdir -p "$FAMFS_RS_CACHE"
exec 9>"$FAMFS_RS_CACHE/.kernel-build.lock"
flock 9
[[ -e $stamp ]] && { echo "$builddir"; exit 0; }

ver=$(kernel_src_version)
srcdir=$FAMFS_RS_CACHE/src/$ver/linux-source-6.12
if [[ ! -e $srcdir/.famfs_rs-unpacked ]]; then
	log "unpacking linux-source-6.12 $ver"
	rm -rf "$FAMFS_RS_CACHE/src/$ver"
	mkdir -p "$FAMFS_RS_CACHE/src/$ver"
	tar -C "$FAMFS_RS_CACHE/src/$ver" -xf /usr/src/linux-source-6.12.tar.xz
	touch "$srcdir/.famfs_rs-unpacked"
fi

kmake() { make -C "$srcdir" O="$builddir" LLVM="$LLVM_SUFFIX" "$@"; }

log "building the $KERNEL_FLAVOUR test kernel in $builddir (first time: ~7 min)"
rm -rf "$builddir"
mkdir -p "$builddir"
{
	kmake tinyconfig
	mapfile -t frags < <(kernel_fragments)
	"$srcdir/scripts/kconfig/merge_config.sh" -m -O "$builddir" "$builddir/.config" "${frags[@]}"
	kmake olddefconfig
} >"$builddir/config.log" 2>&1 || die "configuring failed; see $builddir/config.log"

# Every option a fragment asks for must have survived olddefconfig: a silently
# dropped dependency would otherwise show up as a puzzling test failure.
missing=0
while read -r line; do
	case "$line" in
	CONFIG_*=*)
		grep -qx "$line" "$builddir/.config" || { log "fragment option lost: $line"; missing=1; } ;;
	"# CONFIG_"*" is not set")
		opt=${line#\# }; opt=${opt%% *}
		grep -q "^$opt=" "$builddir/.config" && { log "fragment option still set: $opt"; missing=1; } ;;
	esac
done < <(kernel_fragments | xargs cat)
((missing == 0)) || die "the kernel config lacks options the fragments need (see above and $builddir/config.log)"

kmake rustavailable >"$builddir/rustavailable.log" 2>&1 ||
	die "the kernel cannot use this Rust toolchain; see $builddir/rustavailable.log"

if ! kmake -j"$(nproc)" bzImage modules >"$builddir/build.log" 2>&1; then
	tail -30 "$builddir/build.log" >&2
	die "kernel build failed; full log in $builddir/build.log"
fi
# modules_prepare leaves what out-of-tree module builds need (module.lds).
kmake modules_prepare >>"$builddir/build.log" 2>&1 || die "modules_prepare failed; see $builddir/build.log"
touch "$stamp"
log "kernel ready: $builddir/arch/x86/boot/bzImage"
echo "$builddir"
