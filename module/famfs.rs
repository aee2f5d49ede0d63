// SPDX-License-Identifier: GPL-2.0

//! famfs_rs: famfs (the fabric-attached memory file system) for stock
//! kernels.
//!
//! The layout mirrors the architecture (Documentation/famfs_rs.rst):
//! `control` is the daemon's control device; `miscdev` and `bindings` are
//! the thin unsafe layer over the kernel's C interfaces.

use kernel::prelude::*;

mod bindings;
mod control;
mod miscdev;

module! {
    type: FamfsRs,
    name: "famfs_rs",
    author: "famfs_rs developers",
    description: "famfs: fabric-attached memory file system on devdax",
    license: "GPL",
}

struct FamfsRs {
    _control: miscdev::Registration<control::Connection>,
}

impl kernel::Module for FamfsRs {
    fn init(module: &'static ThisModule) -> Result<Self> {
        let control = miscdev::Registration::register(control::NAME, control::MODE, module)?;
        pr_info!("loaded, control device /dev/{}\n", control::NAME);
        Ok(FamfsRs { _control: control })
    }
}

impl Drop for FamfsRs {
    fn drop(&mut self) {
        pr_info!("unloading\n");
    }
}
