#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# mkinitramfs.sh OUT.cpio.gz: the test guest's whole root file system.
# busybox, the CXL/NVDIMM tools with their shared libraries, mkfs.ext4,
# famfs_rs.ko, the famfs userspace binaries, the guest selftests and their
# C helpers, the benchmark and its programs.
#
# For a stock kernel (FAMFS_RS_KERNEL=stock-KVER, scripts/lib.sh): also the
# modules of KVER the guest needs, which the test kernel has built in; and
# famfs_rs.ko only if FAMFS_RS_KO names one built for KVER (the default
# ./famfs_rs.ko is the test kernel's).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

out=$1
top=$FAMFS_RS_TOP
stock=$(stock_kver) || exit 1
if [[ -n $stock ]]; then
	ko=${FAMFS_RS_KO:-}
	[[ -n $ko ]] || log "FAMFS_RS_KO unset: no famfs_rs.ko for $stock in the initramfs (tests that load it will fail)"
	[[ -z $ko || $(modinfo -F vermagic "$ko" 2>/dev/null) == "$stock "* ]] ||
		die "$ko is not built for $stock (vermagic: $(modinfo -F vermagic "$ko" 2>/dev/null))"
else
	ko=${FAMFS_RS_KO:-$top/famfs_rs.ko}
fi
usbin=${FAMFS_RS_USERSPACE_BIN:-$top/userspace/target/release}
selftests=$top/tools/testing/selftests/famfs_rs
bench=$selftests/bench
stage=$(dirname "$out")/initramfs-root

[[ -z $ko || -e $ko ]] || die "$ko not found: run 'make module' first"
rm -rf "$stage"
mkdir -p "$stage"/{bin,sbin,etc,proc,sys,dev,tmp,run,mnt,root,lib/modules,selftests/bin,bench/bin,usr/bin,usr/sbin}

# Copies an executable and every shared library it loads, at their paths.
copy_with_libs() {
	local exe=$1 dest=$2 lib
	install -D -m 0755 "$exe" "$stage/$dest"
	ldd "$exe" 2>/dev/null | grep -o '/[^ ]*' | while read -r lib; do
		[[ -e $stage$lib ]] || install -D -m 0755 "$lib" "$stage$lib"
	done
}

install -m 0755 /bin/busybox "$stage/bin/busybox"
for applet in $(/bin/busybox --list); do
	[[ -e $stage/bin/$applet ]] || ln -s busybox "$stage/bin/$applet"
done
for tool in cxl ndctl daxctl; do
	copy_with_libs "$(command -v "$tool")" "usr/bin/$tool"
done
# filefrag (e2fsprogs): a FIEMAP client nobody here wrote.
copy_with_libs "$(PATH=$PATH:/usr/sbin:/sbin command -v filefrag)" usr/sbin/filefrag

# mkfs.ext4, for the benchmark's ext4 -o dax peer (e2fsprogs is part of
# every Debian system).
mke2fs=$(command -v mke2fs || echo /sbin/mke2fs)
[[ -x $mke2fs ]] || die "no mke2fs on the host: install e2fsprogs"
copy_with_libs "$mke2fs" usr/sbin/mke2fs
ln -s mke2fs "$stage/usr/sbin/mkfs.ext4"
[[ -e /etc/mke2fs.conf ]] && install -m 0644 /etc/mke2fs.conf "$stage/etc/mke2fs.conf"

# fio, a load generator nobody here wrote (static: see build-fio.sh).
install -m 0755 "$("$top/scripts/build-fio.sh")" "$stage/usr/bin/fio" || die "no fio for the guest"

[[ -z $ko ]] || install -m 0644 "$ko" "$stage/lib/modules/famfs_rs.ko"

# A stock kernel's modules for what the test kernel builds in
# (scripts/kconfig/famfs_rs.config): CXL (cxl_core and cxl_port are built
# in), NVDIMM, DAX (fsdev_dax: the fs-dax devdax driver of 7.x), ext4 for the
# benchmark's ext4 -o dax peer, hwpoison_inject. Their dependencies come
# from the kernel's modules.dep; decompressed here, so that busybox's
# modprobe loads them whatever their compression. guest-init.sh loads the
# ones listed in /etc/famfs_rs-modules.
if [[ -n $stock ]]; then
	image=$("$top/scripts/fetch-stock-kernel.sh" "$stock") || die "no stock kernel $stock"
	mods=(cxl_acpi cxl_pci cxl_mem cxl_pmem libnvdimm nd_pmem nd_e820 dax_pmem
		device_dax kmem dax_hmem dax_cxl fsdev_dax ext4 hwpoison_inject)
	mdir=lib/modules/$stock
	mkdir -p "$stage/$mdir"
	cp "$image/$mdir"/modules.{order,builtin,builtin.modinfo} "$stage/$mdir/"
	# -C /dev/null: the host's modprobe.d (ndctl's install rule for
	# libnvdimm, blacklists) is not the guest's.
	files=$(PATH=$PATH:/sbin:/usr/sbin modprobe -C /dev/null -d "$image" -S "$stock" --show-depends -a "${mods[@]}" |
		awk '$1 == "insmod" { print $2 }' | sort -u) || die "resolving the modules of $stock failed"
	for f in $files; do
		rel=${f#"$image/$mdir/"}
		mkdir -p "$stage/$mdir/$(dirname "$rel")"
		case $f in
		*.ko) cp "$f" "$stage/$mdir/$rel" ;;
		*.ko.xz) xz -dc "$f" >"$stage/$mdir/${rel%.xz}" ;;
		*.ko.zst) zstd -q -dc "$f" >"$stage/$mdir/${rel%.zst}" ;;
		*.ko.gz) gzip -dc "$f" >"$stage/$mdir/${rel%.gz}" ;;
		*) die "$f: unknown module compression" ;;
		esac
	done
	PATH=$PATH:/sbin:/usr/sbin depmod -C /dev/null -b "$stage" "$stock" || die "depmod in the initramfs failed"
	printf '%s\n' "${mods[@]}" >"$stage/etc/famfs_rs-modules"
fi
for b in famfs famfs-hostile; do
	[[ -x $usbin/$b ]] && copy_with_libs "$usbin/$b" "usr/bin/$b"
done
[[ -e $stage/usr/bin/famfs ]] && ln -s famfs "$stage/usr/sbin/mkfs.famfs"

# Guest selftests and their helpers (static, so they need no libraries).
cp -r "$selftests"/lib.sh "$selftests"/run_tests.sh "$selftests"/tests \
	"$selftests"/harness "$selftests"/twohost "$stage/selftests/"
install -m 0755 "$top/scripts/guest-demo.sh" "$stage/demo.sh"
for c in "$selftests"/src/*.c; do
	gcc -static -O2 -Wall -Wextra -Werror -I "$top/include" -o "$stage/selftests/bin/$(basename "$c" .c)" "$c" ||
		die "compiling $c failed"
done

# perf, for profiling in the guest (BENCH_PROFILE=1 make bench), with its
# libraries: only on request, it doubles the initramfs.
if [[ ${FAMFS_RS_WITH_PERF:-0} == 1 ]]; then
	perf=$(command -v perf) || die "no perf on the host: apt-get install linux-perf"
	copy_with_libs "$perf" usr/bin/perf
fi

# The benchmark (tools/testing/selftests/famfs_rs/bench): its guest
# script and its measuring programs, static like the selftests' helpers.
cp "$bench"/*.sh "$stage/bench/"
for c in "$bench"/src/*.c; do
	gcc -static -O2 -Wall -Wextra -Werror -I "$top/include" -o "$stage/bench/bin/$(basename "$c" .c)" "$c" ||
		die "compiling $c failed"
done

# Media written by upstream famfs (tests/70_upstream.sh): the used head of
# upstream-1g.img (superblock, log, the files' data; the rest of the 1 GiB
# image is zeros), which keeps the initramfs small.
interop=${FAMFS_INTEROP_DIR:-$top/../shared/interop}
if [[ -e $interop/upstream-1g.tar.gz && -x $usbin/famfs ]]; then
	unpack=$(dirname "$out")/interop
	rm -rf "$unpack" && mkdir -p "$unpack" "$stage/selftests/data"
	tar -xzf "$interop/upstream-1g.tar.gz" -C "$unpack" upstream-1g.img ||
		die "unpacking $interop/upstream-1g.tar.gz failed"
	end=$(FAMFS_SYSTEM_UUID=00000000-0000-0000-0000-000000000001 \
		"$usbin/famfs" logplay --json "$unpack/upstream-1g.img" | python3 -c '
import json, sys
ns = json.load(sys.stdin)
ends = [10 << 20]
for n in ns["nodes"]:
    fm = n.get("fmap") or {}
    exts = fm.get("extents", [])
    if fm.get("type") == "interleaved":
        exts = [s for ie in exts for s in ie["strips"]]
    ends += [e["offset"] + e["len"] for e in exts]
print(max(ends))') || die "reading the upstream image's maps failed"
	head -c "$end" "$unpack/upstream-1g.img" | gzip -1 >"$stage/selftests/data/upstream-1g.head.gz"
	rm -rf "$unpack"
else
	log "no $interop/upstream-1g.tar.gz: tests/70_upstream.sh will fail"
fi

# The selftests as a kselftest, on request (FAMFS_RS_WITH_KSELFTEST=1; the
# guest's modes kselftest and run_kselftest): GNU make, the kernel's
# kselftest framework, this suite's directory built for the guest (static
# helpers) and its ksft_install tree with run_kselftest.sh.
if [[ ${FAMFS_RS_WITH_KSELFTEST:-0} == 1 ]]; then
	ksft=$(make -s -C "$selftests" --no-print-directory -f - ksft_dir <<<'include Makefile
ksft_dir: ; @echo $(KSFT_DIR)') || die "no kselftest framework: set KSFT_DIR"
	copy_with_libs "$(command -v make)" usr/bin/make
	mkdir -p "$stage/src/ksft" "$stage/src/famfs_rs"
	cp -a "$ksft/lib.mk" "$ksft/run_kselftest.sh" "$ksft/kselftest" "$stage/src/ksft/"
	build=$(dirname "$out")/kselftest-build
	rm -rf "$build" && mkdir -p "$build"
	cp -a "$selftests"/{Makefile,config,settings,lib.sh,run_tests.sh,tests,src} "$build/"
	make -s -C "$build" KSFT_DIR="$ksft" FAMFS_RS_INCLUDE="$top/include" USERLDFLAGS=-static \
		all ksft_install KSFT_INSTALL_PATH="$(realpath "$stage")/kselftest" >/dev/null || die "building the kselftest failed"
	rm -rf "$build/kselftest_install"
	cp -a "$build/." "$stage/src/famfs_rs/"
	if [[ -d $stage/selftests/data ]]; then
		cp -a "$stage/selftests/data" "$stage/src/famfs_rs/"
		cp -a "$stage/selftests/data" "$stage/kselftest/famfs_rs/"
	fi
fi

cat >"$stage/etc/passwd" <<'PASSWD'
root:x:0:0:root:/root:/bin/sh
nobody:x:65534:65534:nobody:/nonexistent:/bin/false
PASSWD
cat >"$stage/etc/group" <<'GROUP'
root:x:0:
nogroup:x:65534:
GROUP
install -m 0755 "$top/scripts/guest-init.sh" "$stage/init"

(cd "$stage" && find . -print0 | cpio --null -o -H newc --quiet) | gzip -1 >"$out"
