// SPDX-License-Identifier: GPL-2.0

//! The seam for kernels with the upstream famfs dax support (7.1+: the
//! `fsdev_dax` bus driver, `fs_dax_get()` with holder operations,
//! `dax_holder_notify_failure()`).
//!
//! Kbuild selects this file when `include/linux/dax.h` declares
//! `fs_dax_get()`. No 7.x kernel source is available where famfs_rs is
//! built and tested, so nothing here can be compiled or run yet; rather
//! than unbuilt code, the build stops with a clear message. What the
//! implementation has to do, behind the same API as the 6.12 driver
//! (`Driver`, `claim`, `Claim`, `FailureHolder`):
//!
//! - `Driver::register`: nothing to register; the kernel's `fsdev_dax`
//!   binds the device (`famfs mount` moves it from `device_dax` to
//!   `fsdev_dax` in sysfs instead of to `famfs_rs`).
//! - `claim`: look the device up by its dev_t (`dax_dev_get()`), then
//!   `fs_dax_get(dax_dev, holder, &HOLDER_OPS)`, where `HOLDER_OPS`'s
//!   `notify_failure` turns `dax_holder(dax_dev)` back into the
//!   `FailureHolder` and forwards the offset, length and flags unchanged
//!   (the kernel already speaks device offsets there).
//! - `Claim::drop`: `fs_put_dax(dax_dev, holder)`; `dax_device()` is that
//!   dax device; `is_dead()` is `!dax_alive()` under the dax read lock.
//! - `module/kapi/dax_private/` is not used (no kernel-private layouts needed).

compile_error!(
    "famfs_rs: this kernel has the upstream fsdev_dax/fs_dax_get() path (7.1+), \
     which famfs_rs does not implement yet (module/kapi/fsdax/upstream.rs describes the seam)"
);
