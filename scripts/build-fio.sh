#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# build-fio.sh: a static fio for the test guest, built once from the source
# Debian ships (its fio package links 80 MiB of libraries: ceph, gluster,
# rdma, ...; the guest needs only the sync, psync, mmap and libaio engines).
# Cached in $FAMFS_RS_CACHE/fio-<version>; prints the binary's path.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FIO_VERSION=3.33
FIO_SHA256=d2410e13e0f379d061d077cc5ae325835bb7c6186aa7bafc1df954cbc9b014fc
FIO_URL=http://deb.debian.org/debian/pool/main/f/fio/fio_$FIO_VERSION.orig.tar.gz

dir=$FAMFS_RS_CACHE/fio-$FIO_VERSION
bin=$dir/fio
if [[ -x $bin ]]; then
	echo "$bin"
	exit 0
fi
mkdir -p "$FAMFS_RS_CACHE"
exec 9>"$FAMFS_RS_CACHE/.fio-build.lock"
flock 9
[[ -x $bin ]] && { echo "$bin"; exit 0; }

log "building a static fio $FIO_VERSION for the guest (once, about a minute)"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
curl -sSfL -o "$work/fio.tar.gz" "$FIO_URL" ||
	die "downloading $FIO_URL failed; check access to deb.debian.org"
echo "$FIO_SHA256  $work/fio.tar.gz" | sha256sum -c --quiet ||
	die "$FIO_URL does not have the expected sha256"
tar -C "$work" -xzf "$work/fio.tar.gz"
src=$work/fio-$FIO_VERSION
(
	cd "$src"
	./configure --build-static --disable-native --disable-numa --disable-rdma \
		--disable-rados --disable-rbd --disable-http --disable-gfapi --disable-pmem \
		--disable-shm --disable-libnfs --disable-xnvme --disable-libzbc \
		--disable-tcmalloc --disable-dfs
	grep -q '^#define CONFIG_LIBAIO$' config-host.h
	make -j"$(nproc)" fio
	strip fio
) >"$work/build.log" 2>&1 || { tail -n 20 "$work/build.log" >&2; die "building fio failed"; }
mkdir -p "$dir"
install -m 0755 "$src/fio" "$bin"
echo "$bin"
