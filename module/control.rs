// SPDX-License-Identifier: GPL-2.0

//! `/dev/famfs_rs`, the control device: one open file is one connection
//! between a famfs daemon and the mounts it serves.

use crate::miscdev::MiscFile;
use kernel::prelude::*;

/// Device node name, under /dev.
pub(crate) const NAME: &kernel::str::CStr = kernel::c_str!("famfs_rs");

/// Only root may open the device: it serves file system metadata.
pub(crate) const MODE: u16 = 0o600;

/// One daemon connection. The request queue and the mounts it serves hang
/// off it (the FUSE transport).
pub(crate) struct Connection {}

impl MiscFile for Connection {
    fn open() -> Result<KBox<Self>> {
        Ok(KBox::new(Connection {}, GFP_KERNEL)?)
    }
}
