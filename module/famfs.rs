// SPDX-License-Identifier: GPL-2.0

//! Layer 3, famfs: the file system type (`fs`), a mount and what famfs
//! adds to FUSE (`mount`: GET_FMAP, GET_DAXDEV, the map checks), per-inode
//! state and the cached file maps (`inode`), the daxdev table and what a
//! device failure fences (`daxtable`), the device ranges the maps use
//! (`mapped`), the `.meta` files and the area they map (`meta_files`), and
//! the counters (`counters`). Built on FUSE (`crate::fuse`) and the kernel
//! API (`crate::kapi`), with no unsafe code of its own.

#![forbid(unsafe_code)]

mod coalesce;
mod counters;
mod daxtable;
mod fs;
mod inode;
mod mapped;
mod meta_files;
mod mount;

pub(crate) use fs::{Famfs, FamfsType};
