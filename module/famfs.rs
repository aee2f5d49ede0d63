// SPDX-License-Identifier: GPL-2.0

//! famfs_rs: famfs (the fabric-attached memory file system) for stock
//! kernels.
//!
//! The layout mirrors the architecture (Documentation/famfs_rs.rst):
//! `control` is the daemon's control device, `fs` the file system type;
//! `miscdev`, `poll`, `vfs` and `bindings` are the thin unsafe layer over the
//! kernel's C interfaces.

use kernel::prelude::*;

mod bindings;
mod control;
mod core_logic;
mod fs;
mod miscdev;
mod poll;
mod vfs;

module! {
    type: FamfsRs,
    name: "famfs_rs",
    author: "famfs_rs developers",
    description: "famfs: fabric-attached memory file system on devdax",
    license: "GPL",
}

/// Lockdep wants the file system type in static memory.
static FS_TYPE: vfs::FsTypeStorage = vfs::FsTypeStorage::new();

struct FamfsRs {
    // Dropped in this order: no new mounts, then no new connections.
    _fs: vfs::Registration<fs::Famfs>,
    _control: control::ControlDevice,
}

impl kernel::Module for FamfsRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let control = control::ControlDevice::register(module)?;
        let fs = vfs::Registration::register(&FS_TYPE, module)?;
        pr_info!("loaded, control device /dev/{}\n", control::NAME);
        Ok(FamfsRs {
            _fs: fs,
            _control: control,
        })
    }
}

impl Drop for FamfsRs {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
