# SPDX-License-Identifier: GPL-2.0
#
# famfs_rs top-level targets. The two a newcomer needs (README.md):
#   make demo    build everything, boot the CXL guest, show famfs_rs at work
#   make check   every test: lint, the userspace cargo tests, a bench smoke run,
#                the VM selftests on the test kernel and on Debian's stock 7.3.4
#
#   make kernel        build (or reuse) the cached test kernel
#   make module        build famfs_rs.ko against KDIR (default: test kernel)
#   make userspace     build the famfs CLI and daemon (release)
#   make vm-test       the VM selftests only (the test kernel)
#   make vm-test-stock the VM selftests on Debian's stock 7.3.4 kernel
#                      (STOCK_KVER=7.2.13+deb14-amd64: sid's)
#   make bench         the benchmark: famfs_rs against raw devdax, ext4 -o dax
#                      and plain FUSE in one QEMU -icount guest (a table)
#   make bench-smoke   the same with small sizes, one line: that it runs
#   make lint          rustfmt and clippy over module/ and userspace/
#   make setup         install the host toolchain (apt, rustup, bindgen)
#   make soak          the debug-kernel soak (hours: not part of check)
#   make dkms-check    distro-style packages, DKMS in a fresh root, boot
#   make fuzz-long     the long fuzzing runs (FUZZ_SECONDS each, 1 h)
#
# KDIR=<kernel build tree> builds the module against another Rust-enabled
# kernel; KERNEL_FLAVOUR=debug selects the debug test kernel.

KERNEL_FLAVOUR ?= normal
LLVM ?= -19
export KERNEL_FLAVOUR
# rustup's toolchain (cargo, and the rustc that builds the test kernel)
# first; a module built against another kernel (KDIR=, DKMS) keeps the
# caller's PATH, where a distribution's rustc is the kernel's own.
CALLER_PATH := $(PATH)
export PATH := $(HOME)/.cargo/bin:$(PATH)

ifeq ($(origin KDIR),undefined)
# The cached test kernel: build it first if it is missing.
# $(shell) does not see exported variables (make < 4.4): pass the flavour.
KDIR = $(shell KERNEL_FLAVOUR=$(KERNEL_FLAVOUR) scripts/build-kernel.sh --print-dir)
KDIR_DEP := kernel
endif

CARGO ?= cargo
CARGO_FLAGS ?= --locked

.PHONY: all module module-clean kernel userspace setup demo check vm-test bench bench-smoke \
	cargo-test lint clean soak dkms-check fuzz-long vm-test-stock debs

all: module

setup:
	@scripts/setup-toolchain.sh

kernel: setup
	@scripts/build-kernel.sh >/dev/null

# A kernel built by clang (the test kernel) wants LLVM=; one built by gcc
# (Debian's own kernels) must not get it.
kdir_llvm = $(if $(shell grep -qs '^CONFIG_CC_IS_CLANG=y' "$(KDIR)/.config" && echo y),LLVM=$(LLVM))

module_path = $(if $(KDIR_DEP),$(PATH),$(CALLER_PATH))

module: $(KDIR_DEP)
	@PATH="$(module_path)" scripts/check-rustc.sh "$(KDIR)"
	PATH="$(module_path)" $(MAKE) -C "$(KDIR)" M="$(CURDIR)" $(kdir_llvm) modules

userspace: setup
	cd userspace && $(CARGO) build $(CARGO_FLAGS) --release

# Media written by upstream famfs (the interop tests' data) lives beside
# the repository; where it is missing, those tests pass without running:
# say so where it shows.
INTEROP_DIR ?= $(CURDIR)/../shared/interop

cargo-test: setup
	cd userspace && FAMFS_INTEROP_DIR="$(INTEROP_DIR)" $(CARGO) test $(CARGO_FLAGS)
	@[ -e "$(INTEROP_DIR)/upstream-1g.tar.gz" ] || \
		echo "famfs_rs: interop tests NOT RUN: $(INTEROP_DIR) missing (upstream famfs's media)"

lint: setup $(KDIR_DEP)
	@scripts/lint.sh

vm-test: module userspace
	@scripts/vm-test.sh

demo: module userspace
	@scripts/demo.sh

bench: module userspace
	@scripts/bench.sh

# A short run of the benchmark (about two minutes): that it runs and
# prints its table, never what the figures are.
bench-smoke: module userspace
	@BENCH_SMOKE=1 BENCH_BRIEF=1 FAMFS_RS_BENCHDIR=$(CURDIR)/build/bench-smoke scripts/bench.sh

# The VM selftests on one of Debian's stock Rust kernels (STOCK_KVER,
# default 7.3.4+deb13-amd64; 7.2.13+deb14-amd64 is sid's): no kernel build,
# its image is downloaded and famfs_rs.ko built by DKMS in its Debian root.
STOCK_KVER ?=
vm-test-stock: userspace
	@scripts/vm-test-stock.sh $(STOCK_KVER)

# Both kernels: the test kernel, then Debian's stock 7.3.4; the last line
# counts the VM selftests of both.
check: lint cargo-test bench-smoke vm-test
	@VM_TEST_TOTAL_WITH=$(CURDIR)/build/vm scripts/vm-test-stock.sh $(STOCK_KVER)

soak: setup
	@scripts/soak.sh

dkms-check: setup
	@scripts/dkms-check.sh

# The Debian packages famfs-rs and famfs-rs-dkms, in build/debs/.
debs: setup
	@scripts/mkdebs.sh

fuzz-long: setup
	@scripts/fuzz-long.sh

module-clean:
	-[ -d "$(KDIR)" ] && $(MAKE) -C "$(KDIR)" M="$(CURDIR)" $(kdir_llvm) clean
	rm -rf module/generated

clean: module-clean
	rm -rf build
	cd userspace && $(CARGO) clean
