// SPDX-License-Identifier: GPL-2.0

//! `FS_IOC_FIEMAP` (`filefrag -v`, `xfs_io -c fiemap`): where a file's
//! bytes live, as the file system reports them with [`FiemapSink`].

use super::ops::Inode;
use super::super_block::super_info;
use super::InodeOperations;
use crate::kapi::bindings;
use kernel::error::to_result;
use kernel::ffi::c_int;
use kernel::prelude::*;

/// Where a FIEMAP call's extents go.
///
/// # Invariants
///
/// `info` is the live `fiemap_extent_info` of the current call, prepared
/// by `fiemap_prep`.
pub(crate) struct FiemapSink<'a> {
    info: *mut bindings::fiemap_extent_info,
    _call: core::marker::PhantomData<&'a mut ()>,
}

impl FiemapSink<'_> {
    /// Reports `len` bytes at file offset `logical` living at `physical`
    /// (the file system says on which device); `last` for the file's last
    /// extent. `Ok(false)` when the caller's buffer is full: stop there.
    pub(crate) fn extent(
        &mut self,
        logical: u64,
        physical: u64,
        len: u64,
        last: bool,
    ) -> Result<bool> {
        let flags = if last {
            bindings::FIEMAP_EXTENT_LAST
        } else {
            0
        };
        // SAFETY: `info` is the live, prepared state of this call
        // (invariant); the kernel copies the extent to the user buffer.
        let ret =
            unsafe { bindings::fiemap_fill_next_extent(self.info, logical, physical, len, flags) };
        to_result(ret)?;
        Ok(ret == 0)
    }
}

/// # Safety
///
/// Called by the VFS only, as `inode_operations::fiemap` of a regular file
/// of `T`, with a valid `fieinfo`.
pub(super) unsafe extern "C" fn fiemap<T: InodeOperations>(
    inode: *mut bindings::inode,
    fieinfo: *mut bindings::fiemap_extent_info,
    start: u64,
    len: u64,
) -> c_int {
    let mut len = len;
    // SAFETY: the VFS passes a referenced inode of ours and the call's
    // state; `fiemap_prep` checks the flags (FIEMAP_FLAG_SYNC writes the
    // dirty entries back first) and clamps `len`.
    let ret = unsafe {
        bindings::fiemap_prep(inode, fieinfo, start, &mut len, bindings::FIEMAP_FLAG_SYNC)
    };
    if ret != 0 {
        return ret;
    }
    let mut sink = FiemapSink {
        info: fieinfo,
        _call: core::marker::PhantomData,
    };
    // SAFETY: a live inode of `T`, referenced for the call.
    let (info, inode) = unsafe { (super_info::<T>((*inode).i_sb), Inode::<T>::from_raw(inode)) };
    match T::fiemap(info, inode, start, len, &mut sink) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}
