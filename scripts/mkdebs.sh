#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkdebs.sh: famfs_rs's Debian packages, built by dpkg-buildpackage from
# debian/ into build/debs/ (`make debs`):
#
#   famfs-rs_<v>_<arch>.deb     the famfs command and daemon, manual pages
#   famfs-rs-dkms_<v>_all.deb   famfs_rs.ko's sources, registered with DKMS
#
# Install both with `apt install ./build/debs/*.deb`.
#
# The build runs on a copy of the work tree in build/debs/src/: the files
# git tracks, as they are now, and untracked ones git does not ignore (as
# dkms-check.sh takes them), so the work tree gets none of
# dpkg-buildpackage's files and no build output gets into the packages.
# cargo's target directory, build/debs/cargo-target, is kept between runs.
#
# The userspace is built by rustup's cargo (the one `make userspace` uses),
# not a Debian package, so dpkg-buildpackage runs with -d: this script
# checks the rest of debian/control's Build-Depends itself.
#
# DEB_BUILD_OPTIONS (default "nocheck noautodbgsym parallel=1"): the cargo
# tests are `make cargo-test`'s; no -dbgsym package, so that ./*.deb is the
# two packages; one job, since the two cores are shared. Lintian, when it is
# installed, checks the packages (its tags are printed, not fatal).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=${MKDEBS_DIR:-$FAMFS_RS_TOP/build/debs}
export DEB_BUILD_OPTIONS=${DEB_BUILD_OPTIONS:-nocheck noautodbgsym parallel=1}
start=$SECONDS

# What debian/control's Build-Depends names, less cargo and rustc.
ensure_packages debhelper dh-dkms dpkg-dev
command -v cargo >/dev/null || die "no cargo on PATH: run scripts/setup-toolchain.sh (make setup)"
# rustup's proxies find their toolchain through these; debhelper may set
# HOME to a directory of its own for the build.
export CARGO_HOME=${CARGO_HOME:-$HOME/.cargo}
[[ -d $HOME/.rustup ]] && export RUSTUP_HOME=${RUSTUP_HOME:-$HOME/.rustup}

version=$(dpkg-parsechangelog -l "$FAMFS_RS_TOP/debian/changelog" -S Version)
src=$out/src/famfs-rs-$version
rm -rf "$out/src" "$out"/*.deb "$out"/*.buildinfo "$out"/*.changes "$out/build.log"
mkdir -p "$src"
# Tracked files deleted in the work tree are left out, as git would.
git -C "$FAMFS_RS_TOP" ls-files -z --cached --others --exclude-standard |
	(cd "$FAMFS_RS_TOP" && while IFS= read -r -d '' f; do [[ -e $f || -L $f ]] && printf '%s\0' "$f"; done) |
	(cd "$FAMFS_RS_TOP" && tar --null -T - -cf -) | tar -C "$src" -xf -

log "building famfs-rs $version (dpkg-buildpackage; log: $out/build.log)"
if ! (cd "$src" && CARGO_TARGET_DIR=$out/cargo-target dpkg-buildpackage -b -us -uc -d) >"$out/build.log" 2>&1; then
	tail -30 "$out/build.log" >&2
	die "dpkg-buildpackage failed; see $out/build.log"
fi
mv "$out"/src/*.deb "$out"/src/*.buildinfo "$out"/src/*.changes "$out/"
rm -rf "$out/src"

for deb in "$out"/*.deb; do
	echo "# $(basename "$deb"): $(dpkg-deb -f "$deb" Installed-Size) KiB installed, $(dpkg-deb -c "$deb" | grep -vc '/$') files"
done
if command -v lintian >/dev/null; then
	# Tags, one a line, or nothing; lintian's exit status says whether
	# an error-level tag was found, which is reported, not fatal.
	lintian --display-info --tag-display-limit 0 "$out"/*.changes 2>&1 |
		grep -v 'running with root privileges' | sed 's/^/# lintian: /' || true
else
	log "lintian is not installed: packages not checked (apt-get install lintian)"
fi
log "packages in $out ($((SECONDS - start)) s)"
