// SPDX-License-Identifier: GPL-2.0

//! famfs_rs: famfs (the fabric-attached memory file system) for stock
//! kernels.
//!
//! Three layers, each using only those below it (Documentation/famfs_rs.rst,
//! "Source layout"):
//! - `kapi`: the kernel API, safe wrappers over the raw bindings; all of the
//!   module's `unsafe` is there;
//! - `fuse`: the daemon's control device, the FUSE transport, and the FUSE
//!   client a mount sends its requests through;
//! - `famfs`: the file system.
//!
//! `core_logic` is the `no_std` core shared with userspace. This root only
//! wires the layers together.

use kernel::prelude::*;

mod core_logic;
mod famfs;
mod fuse;
mod kapi;

module! {
    type: FamfsRs,
    name: "famfs_rs",
    description: "famfs: fabric-attached memory file system on devdax",
    license: "GPL",
}

/// Lockdep wants the file system type in static memory.
static FS_TYPE: kapi::vfs::FsTypeStorage<famfs::Famfs> = kapi::vfs::FsTypeStorage::new();

struct FamfsRs {
    // Dropped in this order: no new mounts (the type's state, with the
    // control device and the counters' directory, goes with it), then the
    // dax driver, which no mount uses any more.
    _fs: kapi::vfs::Registration<famfs::Famfs>,
    _dax_driver: kapi::fsdax::Driver,
}

impl kernel::Module for FamfsRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let dax_name = kapi::c_str(core_logic::famfs_core::abi::FAMFS_RS_DAX_DRIVER);
        let dax_driver = kapi::fsdax::Driver::register(module, dax_name)?;
        let ty = famfs::FamfsType::new(module)?;
        let fs = kapi::vfs::Registration::register(&FS_TYPE, module, ty)?;
        pr_info!("loaded, control device /dev/{}\n", fuse::connection::NAME);
        Ok(FamfsRs {
            _fs: fs,
            _dax_driver: dax_driver,
        })
    }
}

impl Drop for FamfsRs {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
