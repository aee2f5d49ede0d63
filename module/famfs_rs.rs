// SPDX-License-Identifier: GPL-2.0

//! famfs_rs: famfs (the fabric-attached memory file system) for stock
//! kernels.
//!
//! The layout mirrors the architecture (Documentation/famfs_rs.rst):
//! `control` is the daemon's control device, `fs` the file system type;
//! `miscdev`, `poll`, `vfs` and `bindings` are the thin unsafe layer over the
//! kernel's C interfaces.

use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;

mod core_logic;
mod famfs;
mod fuse;
mod kapi;

module! {
    type: FamfsRs,
    name: "famfs_rs",
    author: "famfs_rs developers",
    description: "famfs: fabric-attached memory file system on devdax",
    license: "GPL",
}

/// Lockdep wants the file system type in static memory.
static FS_TYPE: kapi::vfs::FsTypeStorage = kapi::vfs::FsTypeStorage::new();

/// The module's debugfs directory, `famfs_rs/` (NULL without debugfs).
static DEBUG_ROOT: AtomicPtr<kapi::debugfs::DebugDir> = AtomicPtr::new(ptr::null_mut());

/// The module's debugfs directory, for per-mount counters.
pub(crate) fn debug_root() -> Option<&'static kapi::debugfs::DebugDir> {
    // SAFETY: set while the module struct owns the directory; a mount (the
    // only caller) holds a module reference, so it outlives the caller.
    unsafe { DEBUG_ROOT.load(Ordering::Acquire).as_ref() }
}

struct FamfsRs {
    // Dropped in this order: no new mounts, then no new connections.
    _fs: kapi::vfs::Registration<famfs::fs::Famfs>,
    _control: fuse::connection::ControlDevice,
    _dax_driver: kapi::fsdax::Driver,
    debug_root: Option<KBox<kapi::debugfs::DebugDir>>,
}

impl kernel::Module for FamfsRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let debug_root = kapi::debugfs::DebugDir::new(kernel::c_str!("famfs_rs"), None)
            .and_then(|d| KBox::new(d, GFP_KERNEL).ok());
        if let Some(d) = &debug_root {
            DEBUG_ROOT.store(ptr::from_ref(&**d).cast_mut(), Ordering::Release);
        }
        let dax_driver = kapi::fsdax::Driver::register(module)?;
        let control = fuse::connection::ControlDevice::register(module)?;
        let fs = kapi::vfs::Registration::register(&FS_TYPE, module)?;
        pr_info!("loaded, control device /dev/{}\n", fuse::connection::NAME);
        Ok(FamfsRs {
            _fs: fs,
            _control: control,
            _dax_driver: dax_driver,
            debug_root,
        })
    }
}

impl Drop for FamfsRs {
    fn drop(&mut self) {
        pr_info!("unloading\n");
        DEBUG_ROOT.store(ptr::null_mut(), Ordering::Release);
        drop(self.debug_root.take());
    }
}
