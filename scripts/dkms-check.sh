#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# dkms-check.sh: famfs_rs installed the way a distribution would do it,
# then booted.
#
#  1. Distribution-style packages of the test kernel (made once, cached):
#     the kernel's own `make bindeb-pkg` (linux-image, linux-headers) run
#     on a copy of the cached build tree, plus linux-librust-<version>-dev, the kernel's
#     Rust metadata (rust/*.rmeta, libmacros.so, the kernel crate's
#     bindings) that headers packages leave out, built by the very rustc
#     that built the kernel (scripts/mkrustpkg.sh).
#  2. A fresh Debian root (debootstrap, bookworm) with Debian's dkms,
#     make and the LLVM 19 toolchain; the pinned rustc and bindgen come
#     from the host's rustup and cargo directories, mounted read-only,
#     as a distribution's pinned toolchain package would provide them.
#  3. The packages installed with dpkg there: /lib/modules/<version>/build
#     is what a user gets. Then `dkms add`, `dkms build`, `dkms install`
#     of this tree with its dkms.conf.
#  4. The guest booted with the packaged kernel (its /boot/vmlinuz) and
#     the module dkms built: it loads, mounts and copies files (20_module, 30_mount,
#     65_cp).
#
# Work files: build/dkms/ (DKMS_CHECK_DIR); the prepared root is cached
# in the cache directory. Needs root (chroot, mounts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

work=${DKMS_CHECK_DIR:-$FAMFS_RS_TOP/build/dkms}
suite=bookworm
mirror=${DKMS_CHECK_MIRROR:-http://deb.debian.org/debian}
# What the fresh root gets from Debian: dkms and what Kbuild needs to
# build a module with LLVM 19 (the kernel was built with LLVM=-19).
root_pkgs="dkms make kmod clang-19 lld-19 llvm-19 libclang-19-dev libelf1 ca-certificates"

[[ $(id -u) -eq 0 ]] || die "needs root (debootstrap, chroot, mounts)"
ensure_packages debootstrap debhelper dpkg-dev

kdir=$("$FAMFS_RS_TOP/scripts/build-kernel.sh") || die "no test kernel"
srcdir=$FAMFS_RS_CACHE/src/$(kernel_src_version)/linux-source-6.12
kver=$(make -s -C "$srcdir" O="$kdir" kernelrelease)
start=$SECONDS
rm -rf "$work"
mkdir -p "$work/debs"

# 1. Packages, made once per test kernel (and packaging scripts): the
# kernel's bindeb-pkg writes into the tree it runs on (debian/, a new
# build version), so it runs on a copy; the cached tree stays untouched.
debs=$FAMFS_RS_CACHE/dkms-debs-$(basename "$kdir")-$(cat "$FAMFS_RS_TOP/scripts/mkrustpkg.sh" | sha256sum | cut -c1-8)
if [[ ! -e $debs/.done ]]; then
	log "packaging kernel $kver: make bindeb-pkg on a copy of $kdir"
	rm -rf "$debs" "$work/kbuild"
	mkdir -p "$debs"
	cp -a "$kdir" "$work/kbuild"
	make -C "$srcdir" O="$work/kbuild" LLVM="$LLVM_SUFFIX" -j"$(nproc)" bindeb-pkg \
		>"$work/bindeb-pkg.log" 2>&1 || { tail -20 "$work/bindeb-pkg.log" >&2; die "bindeb-pkg failed; see $work/bindeb-pkg.log"; }
	mv "$work"/*.deb "$debs/"
	"$FAMFS_RS_TOP/scripts/mkrustpkg.sh" "$work/kbuild" "$debs" >/dev/null ||
		die "building the Rust metadata package failed"
	rm -rf "$work/kbuild"
	touch "$debs/.done"
fi
cp "$debs"/*.deb "$work/debs/"
ls "$work/debs" | sed 's/^/# package: /'

# 2. A fresh root, prepared once per cache key (suite and packages).
key=$(echo "$suite $mirror $root_pkgs" | sha256sum | cut -c1-12)
cached=$FAMFS_RS_CACHE/dkms-root-$suite-$key.tar
if [[ ! -e $cached ]]; then
	log "debootstrap $suite into a fresh root (first time: a few minutes)"
	rm -rf "$work/prep"
	debootstrap --variant=minbase "$suite" "$work/prep" "$mirror" >"$work/debootstrap.log" 2>&1 ||
		die "debootstrap failed; see $work/debootstrap.log"
	mount -t proc proc "$work/prep/proc"
	chroot "$work/prep" sh -c "apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $root_pkgs" \
		>"$work/root-apt.log" 2>&1
	rc=$?
	umount "$work/prep/proc"
	((rc == 0)) || die "installing $root_pkgs in the root failed; see $work/root-apt.log"
	tar -C "$work/prep" -cf "$cached.new" . && mv "$cached.new" "$cached"
	rm -rf "$work/prep"
fi
root=$work/root
mkdir -p "$root"
tar -C "$root" -xf "$cached"

mounted=()
cleanup() {
	local m
	for ((i = ${#mounted[@]} - 1; i >= 0; i--)); do
		m=${mounted[i]}
		umount "$m" 2>/dev/null || umount -l "$m" 2>/dev/null || true
	done
}
trap cleanup EXIT
bind() {
	mkdir -p "$2"
	mount --bind "$1" "$2"
	mounted+=("$2")
	[[ ${3:-} == ro ]] && mount -o remount,bind,ro "$2"
	return 0
}
mount -t proc proc "$root/proc" && mounted+=("$root/proc")
bind /dev "$root/dev"
# The pinned toolchain: rustup's rustc (the kernel's CONFIG_RUSTC_VERSION)
# and bindgen, read-only, at the paths the Makefile looks in.
bind "$HOME/.rustup" "$root/root/.rustup" ro
bind "$HOME/.cargo" "$root/root/.cargo" ro
in_root() {
	chroot "$root" env -i HOME=/root PATH=/root/.cargo/bin:/usr/sbin:/usr/bin:/sbin:/bin \
		LANG=C.UTF-8 "$@"
}

# 3. Install as a user would, then DKMS.
cp "$work"/debs/*.deb "$root/tmp/"
log "installing the packages in the fresh root"
in_root sh -c "dpkg -i /tmp/linux-image-${kver}_*.deb /tmp/linux-headers-${kver}_*.deb /tmp/linux-librust-${kver}-dev_*.deb" \
	>"$work/dpkg.log" 2>&1 || { tail -20 "$work/dpkg.log" >&2; die "dpkg -i failed"; }
echo "# /lib/modules/$kver/build -> $(readlink "$root/lib/modules/$kver/build")"
srcpkg=$root/usr/src/famfs_rs-0.1.0
mkdir -p "$srcpkg"
# The module's sources as the tree has them (the userspace is not the
# module's: left out).
git -C "$FAMFS_RS_TOP" ls-files -z --cached --others --exclude-standard | grep -zv '^userspace/' |
	(cd "$FAMFS_RS_TOP" && tar --null -T - -cf -) | tar -C "$srcpkg" -xf -
log "dkms add/build/install famfs_rs/0.1.0 for $kver"
for step in add build install; do
	if ! in_root dkms "$step" -m famfs_rs -v 0.1.0 -k "$kver" >"$work/dkms-$step.log" 2>&1; then
		cat "$work/dkms-$step.log" >&2
		cat "$root/var/lib/dkms/famfs_rs/0.1.0/build/make.log" >&2 2>/dev/null || true
		die "dkms $step failed"
	fi
	sed 's/^/# dkms '"$step"': /' "$work/dkms-$step.log"
done
in_root dkms status | sed 's/^/# dkms status: /'
ko=$(find "$root/lib/modules/$kver/updates" -name 'famfs_rs.ko*' | head -1)
[[ -n $ko ]] || die "dkms installed no famfs_rs.ko under /lib/modules/$kver/updates"
echo "# module: ${ko#"$root"} ($(modinfo -F vermagic "$ko"))"
cleanup
trap - EXIT

# 4. The packaged kernel (/boot/vmlinuz from linux-image) with the dkms
# module.
[[ $(modinfo -F vermagic "$ko") == "$kver "* ]] || die "the module's vermagic is not $kver"
mkdir -p "$work/kimage/arch/x86/boot"
cp "$root/boot/vmlinuz-$kver" "$work/kimage/arch/x86/boot/bzImage"
FAMFS_RS_KO=$ko KDIR=$work/kimage FAMFS_RS_VMDIR=$work/vm VM_TEST_SKIP_HARNESS=1 \
	GUEST_APPEND="famfs_rs_test.only=20_module\|30_mount\|65_cp ${GUEST_APPEND:-}" \
	"$FAMFS_RS_TOP/scripts/vm-test.sh" | grep -v '^# host '
rc=${PIPESTATUS[0]}
# The module the guest loaded is the one dkms built (the initramfs carries
# only that one): its own line in the guest's kernel log.
grep -m 1 'famfs_rs: loaded' "$work/vm/selftests/console.log" | tr -d '\r' | sed 's/^/# guest: /'
log "dkms-check took $((SECONDS - start)) s"
exit "$rc"
