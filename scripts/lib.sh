# SPDX-License-Identifier: GPL-2.0
#
# Shared helpers for famfs_rs scripts: where the cache lives and how the
# test kernel's cache key is made. Sourced, not run.

FAMFS_RS_TOP=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
FAMFS_RS_CACHE=${FAMFS_RS_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/famfs_rs}
KERNEL_FLAVOUR=${KERNEL_FLAVOUR:-normal}
LLVM_SUFFIX=-19
# The stock Debian kernel famfs_rs is tested on (scripts/stock-kernel.sh).
STOCK_KVER_DEFAULT=7.3.4+deb13-amd64
export PATH="$HOME/.cargo/bin:$PATH"

die() { echo "${0##*/}: $*" >&2; exit 1; }

# ensure_packages PKG...: installs the Debian packages not installed yet.
ensure_packages() {
	local p missing=()
	for p in "$@"; do
		dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed" || missing+=("$p")
	done
	((${#missing[@]})) || return 0
	log "installing ${missing[*]}"
	DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install ${missing[*]} failed (apt-get update first?)"
}

# Mounts a script makes: mount_tracked ARGS... DIR mounts and remembers DIR;
# unmount_tracked (a script's EXIT trap) undoes them, newest first.
FAMFS_RS_MOUNTED=()
mount_tracked() { mount "$@" && FAMFS_RS_MOUNTED+=("${!#}"); }
unmount_tracked() {
	local i
	for ((i = ${#FAMFS_RS_MOUNTED[@]} - 1; i >= 0; i--)); do
		umount "${FAMFS_RS_MOUNTED[i]}" 2>/dev/null || umount -l "${FAMFS_RS_MOUNTED[i]}" 2>/dev/null || true
	done
	FAMFS_RS_MOUNTED=()
}

# in_chroot ROOT CMD...: CMD in a Debian root, with a clean environment.
in_chroot() {
	local root=$1
	shift
	chroot "$root" env -i HOME=/root PATH=/usr/sbin:/usr/bin:/sbin:/bin LANG=C.UTF-8 \
		DEBIAN_FRONTEND=noninteractive "$@"
}
log() { echo "${0##*/}: $*" >&2; }

# The guest's kernel, FAMFS_RS_KERNEL: unset or "test" for the test kernel
# scripts/build-kernel.sh builds (or KDIR's); "stock-KVER" for Debian's
# unmodified kernel KVER (scripts/fetch-stock-kernel.sh), booted with its
# own modules in the initramfs; "stock" for the default stock kernel.
# stock_kver prints KVER for a stock kernel and nothing for the test kernel.
stock_kver() {
	case ${FAMFS_RS_KERNEL:-test} in
	test) ;;
	stock) echo "${STOCK_KVER_DEFAULT:-7.3.4+deb13-amd64}" ;;
	stock-?*) echo "${FAMFS_RS_KERNEL#stock-}" ;;
	*) die "unknown FAMFS_RS_KERNEL '$FAMFS_RS_KERNEL' (use test, stock or stock-KVER)" ;;
	esac
}

kernel_src_version() {
	dpkg-query -W -f='${Version}' linux-source-6.12 2>/dev/null ||
		die "linux-source-6.12 is not installed: run scripts/setup-toolchain.sh"
}

# The config fragments merged for a flavour, in order.
kernel_fragments() {
	echo "$FAMFS_RS_TOP/scripts/kconfig/famfs_rs.config"
	case "$KERNEL_FLAVOUR" in
	normal) ;;
	debug) echo "$FAMFS_RS_TOP/scripts/kconfig/debug.config" ;;
	vng) echo "$FAMFS_RS_TOP/scripts/kconfig/vng.config" ;;
	*) die "unknown KERNEL_FLAVOUR '$KERNEL_FLAVOUR' (use normal, debug or vng)" ;;
	esac
}

# Everything the built kernel depends on: source version, fragments, the
# build recipe and the exact toolchain (a Rust module must be built by the
# very rustc that built the kernel).
kernel_cache_key() {
	{
		echo "flavour=$KERNEL_FLAVOUR"
		echo "source=$(kernel_src_version)"
		kernel_fragments | xargs cat
		cat "$FAMFS_RS_TOP/scripts/build-kernel.sh"
		rustc --version
		"clang$LLVM_SUFFIX" --version | head -1
		bindgen --version 2>/dev/null
	} | sha256sum | cut -c1-16
}

kernel_build_dir() {
	echo "$FAMFS_RS_CACHE/kernel-$KERNEL_FLAVOUR-$(kernel_cache_key)"
}
