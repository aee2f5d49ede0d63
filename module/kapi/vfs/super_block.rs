// SPDX-License-Identifier: GPL-2.0

//! A super block's state: what `s_fs_info` holds, and [`SuperRef`], the
//! handle a file system keeps to act on its inodes later, outside the
//! VFS's callbacks (taking a device's mappings away).

use super::FileSystem;
use crate::kapi::bindings;
use kernel::ffi::{c_int, c_uint};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// `iomap_begin` of one file system type (see `vfs/dax.rs`).
pub(super) type IomapBegin = unsafe fn(
    *mut bindings::inode,
    bindings::loff_t,
    bindings::loff_t,
    c_uint,
    *mut bindings::iomap,
) -> c_int;

/// What every super block of ours holds first in `s_fs_info`, whatever its
/// type: the C iomap table is one symbol for all types, and finds the
/// type's own `iomap_begin` here.
#[repr(C)]
pub(super) struct SuperHeader {
    pub(super) iomap_begin: IomapBegin,
}

/// `s_fs_info` of a super block of `T`.
#[repr(C)]
pub(super) struct SuperData<T: FileSystem> {
    /// First, so that a pointer to the whole is a pointer to it.
    pub(super) header: SuperHeader,
    pub(super) sb: SuperRef,
    pub(super) info: T::Info,
}

/// Per-mount state of a super block of `T`.
///
/// # Safety
///
/// `sb` must be a live super block of `T` whose `fill_super` succeeded, and
/// the returned reference must not outlive it.
pub(super) unsafe fn super_info<'a, T: FileSystem>(sb: *mut bindings::super_block) -> &'a T::Info {
    // SAFETY: `fill_super` stored a `KBox<SuperData<T>>` in `s_fs_info`; it
    // lives until `kill_sb`, after the last use of the super block.
    unsafe { &(*((*sb).s_fs_info as *const SuperData<T>)).info }
}

/// The header of a super block of ours, whatever its type.
///
/// # Safety
///
/// As [`super_info`], for a super block of any type registered here.
pub(super) unsafe fn super_header<'a>(sb: *mut bindings::super_block) -> &'a SuperHeader {
    // SAFETY: per the contract `s_fs_info` is a `SuperData<T>` of some `T`,
    // `repr(C)` with the header first.
    unsafe { &*((*sb).s_fs_info as *const SuperHeader) }
}

/// The super block of a mount, as long as it is up.
///
/// # Invariants
///
/// `sb` is NULL or a super block that is alive: the VFS layer clears it
/// (under the lock) when the super block is put, before it goes.
struct SuperCell {
    sb: *mut bindings::super_block,
}

// SAFETY: the pointer is only used under the mutex around it, and only
// while the super block is alive (invariant).
unsafe impl Send for SuperCell {}

/// A handle on a mount's super block, for work the file system does
/// outside the VFS's callbacks. Cloned freely; once the super block is put,
/// every use does nothing.
#[derive(Clone)]
pub(crate) struct SuperRef(Arc<Mutex<SuperCell>>);

impl SuperRef {
    /// A handle on `sb`, a super block being filled.
    pub(super) fn new(sb: *mut bindings::super_block) -> Result<Self> {
        Ok(Self(Arc::pin_init(
            new_mutex!(SuperCell { sb }),
            GFP_KERNEL,
        )?))
    }

    /// The super block is going: from now on the handle does nothing.
    /// Waits for a use in progress.
    pub(super) fn clear(&self) {
        self.0.lock().sb = core::ptr::null_mut();
    }

    /// Takes every mapping of inode `ino` away: unmaps it from every
    /// process (their next access faults, and the fault fails) and drops
    /// its dax entries, so that no page of it stays referenced. Nothing if
    /// the inode is not in memory, or the super block is gone.
    pub(crate) fn revoke_mappings(&self, ino: u64) {
        let cell = self.0.lock();
        if cell.sb.is_null() {
            return;
        }
        // SAFETY: the super block is alive while `cell` is locked and not
        // NULL (invariant); `ilookup` returns a referenced inode or NULL,
        // and the reference is dropped below after its mapping was worked
        // on. The invalidate lock, held exclusively, keeps faults (which
        // hold it shared) from mapping a page back in between the unmap
        // and the truncation.
        unsafe {
            let inode = bindings::ilookup(cell.sb, ino as _);
            if inode.is_null() {
                return;
            }
            let mapping = (*inode).i_mapping;
            bindings::famfs_rs_invalidate_lock(mapping);
            bindings::unmap_mapping_range(mapping, 0, 0, 1);
            // Nothing may refer to the pages once they are gone: the
            // entries go, dirty ones too (the device cannot be written
            // back any more). A page still held (a pipe took it with
            // vmsplice) is not waited for here, under the locks of this
            // mount and of the device's holder: before 6.15 its entry is
            // dropped without truncation's warning and the driver's remove
            // waits for the page; later kernels want the entries removed
            // first and account held pages themselves.
            bindings::famfs_rs_dax_forget_entries(mapping);
            bindings::famfs_rs_dax_delete_entries(mapping);
            bindings::truncate_inode_pages_range(mapping, 0, -1i64 as _);
            bindings::famfs_rs_invalidate_unlock(mapping);
            bindings::iput(inode);
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::put_super`, once, for a
/// super block of `T` whose `fill_super` succeeded.
pub(super) unsafe extern "C" fn put_super<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: the super block's state is the `SuperData<T>` `fill_super`
    // stored. At `put_super` every inode and file is gone and the VFS runs
    // no other callback of this super block: the reference is the only one.
    let data = unsafe { &mut *((*sb).s_fs_info as *mut SuperData<T>) };
    T::put_super(&mut data.info);
    data.sb.clear();
}
