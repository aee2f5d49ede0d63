// SPDX-License-Identifier: GPL-2.0

//! The VFS for one file system type: registration, the mount API
//! (`fs_context`), super blocks, inodes, dentries, files, and the fs-dax
//! data path.
//!
//! A file system implements [`FileSystem`] and one trait per C operation
//! table (`vfs/traits.rs`) in safe Rust; the trampolines here turn the C
//! callbacks into calls of them, dispatched per type (the iomap callback
//! too: see `vfs/dax.rs`). The 6.12 kernel crate has no VFS abstractions.

use crate::kapi::bindings;
use core::cell::Cell;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

mod dax;
mod fiemap;
mod ops;
mod registration;
mod super_block;
mod traits;

pub(crate) use dax::{DaxExtent, FaultOutcome};
pub(crate) use fiemap::FiemapSink;
pub(crate) use ops::{DirEmitter, Inode};
pub(crate) use registration::{FsTypeStorage, Registration};
pub(crate) use super_block::SuperRef;
pub(crate) use traits::{
    AddressSpaceOperations, DentryOperations, FileOperations, FileSystem, InodeCache,
    InodeOperations, IomapOperations, NewSuper, Operations, SuperOperations,
};

/// `S_IFDIR`: the file type bits of a directory.
pub(crate) const S_IFDIR: u32 = bindings::S_IFDIR;
/// `S_IFREG`: the file type bits of a regular file.
#[allow(dead_code)]
pub(crate) const S_IFREG: u32 = bindings::S_IFREG;
/// `S_IFMT`: the mask of the file type bits.
pub(crate) const S_IFMT: u32 = bindings::S_IFMT;

/// Open flags a file system sees in [`FileOperations::open`].
pub(crate) mod open_flags {
    use crate::kapi::bindings;
    /// The access mode bits.
    pub(crate) const O_ACCMODE: u32 = bindings::O_ACCMODE;
    /// Access mode: read only.
    pub(crate) const O_RDONLY: u32 = bindings::O_RDONLY;
    /// Create if missing (a VFS matter).
    pub(crate) const O_CREAT: u32 = bindings::O_CREAT;
    /// With `O_CREAT`: fail if it exists (a VFS matter).
    pub(crate) const O_EXCL: u32 = bindings::O_EXCL;
    /// Do not become the controlling terminal (a VFS matter).
    pub(crate) const O_NOCTTY: u32 = bindings::O_NOCTTY;
}

/// The error a `parse` returns for an option it does not know, so that the
/// VFS can handle it (`source`) or report it.
pub(crate) fn unknown_option() -> Error {
    crate::kapi::errno::errno(bindings::ENOPARAM)
}

/// Attributes of an inode, in the file system's own terms.
#[derive(Clone, Copy, Default)]
pub(crate) struct InodeAttr {
    /// Inode number (the file system's node id).
    pub(crate) ino: u64,
    /// Mode: file type and permission bits.
    pub(crate) mode: u32,
    /// Owner, in the initial user namespace.
    pub(crate) uid: u32,
    /// Group, in the initial user namespace.
    pub(crate) gid: u32,
    /// Size in bytes.
    pub(crate) size: u64,
    /// Link count.
    pub(crate) nlink: u32,
    /// Bytes allocated, in 512-byte units (`st_blocks`).
    pub(crate) blocks: u64,
    /// Modification time, seconds and nanoseconds since the epoch.
    pub(crate) mtime: (i64, u32),
}

/// File system statistics reported by `statfs(2)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct StatFs {
    /// Block size of the counts below.
    pub(crate) bsize: u32,
    /// Total blocks.
    pub(crate) blocks: u64,
    /// Free blocks.
    pub(crate) bfree: u64,
    /// Total inodes.
    pub(crate) files: u64,
    /// Free inodes.
    pub(crate) ffree: u64,
    /// Longest name.
    pub(crate) namelen: u32,
}

/// A successful lookup, in the file system's terms.
pub(crate) struct Entry {
    /// The inode's attributes.
    pub(crate) attr: InodeAttr,
    /// Until when (jiffies) the name may be used without asking again.
    pub(crate) expiry: u64,
    /// Until when (jiffies) the attributes may be used without asking.
    pub(crate) attr_expiry: u64,
    /// Bytes the file system's `lookup` hands to its `found` for the
    /// inode (opaque here; famfs: the file's map from the LOOKUP reply).
    pub(crate) payload: Cell<Option<KVec<u8>>>,
}

/// Fills a new inode (still `I_NEW`, so nobody else sees it) from `attr`,
/// with the operations for its type, and hands it `data`.
///
/// # Safety
///
/// `inode` must be a new, locked inode of a super block of `T`.
unsafe fn init_inode<T: Operations>(
    inode: *mut bindings::inode,
    attr: &InodeAttr,
    data: KBox<T::InodeData>,
) {
    let dir = attr.mode & S_IFMT == S_IFDIR;
    let (iop, fop) = if dir {
        (&ops::Tables::<T>::DIR_INODE, &ops::Tables::<T>::DIR_FILE)
    } else {
        (&ops::Tables::<T>::FILE_INODE, &ops::Tables::<T>::FILE_FILE)
    };
    // SAFETY: the inode is new and locked per the contract: these plain
    // stores race with nothing. `evict_inode` takes the data back.
    unsafe {
        (*inode).i_private = data.into_foreign() as *mut c_void;
        (*inode).i_mode = attr.mode as u16;
        (*inode).i_uid = bindings::famfs_rs_make_kuid(attr.uid);
        (*inode).i_gid = bindings::famfs_rs_make_kgid(attr.gid);
        bindings::set_nlink(inode, attr.nlink);
        bindings::famfs_rs_i_size_write(inode, attr.size as i64);
        (*inode).i_blocks = attr.blocks;
        (*inode).i_blkbits = bindings::PAGE_SHIFT as u8;
        (*inode).i_mtime_sec = attr.mtime.0;
        (*inode).i_mtime_nsec = attr.mtime.1;
        (*inode).i_ctime_sec = attr.mtime.0;
        (*inode).i_ctime_nsec = attr.mtime.1;
        (*inode).i_atime_sec = attr.mtime.0;
        (*inode).i_atime_nsec = attr.mtime.1;
        (*inode).i_op = iop;
        (*inode).__bindgen_anon_3.i_fop = fop;
        if !dir {
            // Regular files are fs-dax files: their data is the memory.
            (*inode).i_flags |= bindings::S_DAX;
            (*inode).i_data.a_ops = &ops::Tables::<T>::DAX_AOPS;
        }
    }
}
