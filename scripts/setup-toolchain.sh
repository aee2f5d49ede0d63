#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Install everything famfs_rs needs on a Debian 12 host: the kernel source,
# the LLVM toolchain the Rust-enabled kernel is built with, QEMU, the guest
# tools (cxl/ndctl/daxctl, busybox) and bindgen. Idempotent and quiet when
# everything is already there.
set -euo pipefail

PACKAGES=(
	linux-source-6.12 flex bison bc libelf-dev libssl-dev cpio
	clang-19 lld-19 llvm-19 libclang-19-dev
	qemu-system-x86 busybox-static kmod ndctl daxctl dkms
	xz-utils rsync python3
	curl libaio-dev zlib1g-dev e2fsprogs
)
BINDGEN_VERSION=0.73.2

die() { echo "setup-toolchain: $*" >&2; exit 1; }

missing=()
for p in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" ||
		missing+=("$p")
done
if ((${#missing[@]})); then
	echo "setup-toolchain: installing Debian packages: ${missing[*]}"
	SUDO=
	[[ $(id -u) -eq 0 ]] || SUDO=sudo
	$SUDO apt-get update -qq ||
		die "apt-get update failed; check network access to the Debian mirror"
	DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null ||
		die "apt-get install failed for: ${missing[*]}"
fi

command -v rustup >/dev/null ||
	die "rustup not found: install Rust with rustup (https://rustup.rs) first"
# rust-src: the kernel builds core from source; rustfmt and clippy: make lint.
for component in rust-src rustfmt clippy; do
	rustup component list --installed 2>/dev/null | grep -q "^$component" || {
		echo "setup-toolchain: adding the rustup component $component"
		rustup component add "$component" >/dev/null 2>&1 ||
			die "rustup component add $component failed"
	}
done

if ! command -v bindgen >/dev/null || ! bindgen --version 2>/dev/null | grep -q "$BINDGEN_VERSION"; then
	echo "setup-toolchain: installing bindgen-cli $BINDGEN_VERSION (Debian's bindgen is too old for 6.12)"
	cargo install --quiet --locked --version "$BINDGEN_VERSION" bindgen-cli ||
		die "cargo install bindgen-cli failed"
fi
