// SPDX-License-Identifier: GPL-2.0

//! A super block's state: what `s_fs_info` holds, and [`SuperRef`], the
//! handle a file system keeps to act on its inodes later, outside the
//! VFS's callbacks (taking a device's mappings away). Such work holds an
//! active reference to the super block, as a mount does, so that it never
//! meets an unmount half-way.

use super::{FileSystem, SuperOperations};
use crate::kapi::bindings;
use kernel::ffi::{c_int, c_uint};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};
use kernel::types::ForeignOwnable;
use kernel::workqueue::{impl_has_work, new_work, Queue, Work, WorkItem};

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

/// The super block of a mount, as long as it may be reached.
///
/// # Invariants
///
/// `sb` is NULL or points at a super block whose `kill_sb` has not
/// started: `kill_sb` clears it (under the lock) first, and the super
/// block is freed only after `kill_sb`.
struct SuperCell {
    sb: *mut bindings::super_block,
}

// SAFETY: the pointer is only used under the mutex around it, and only
// while the super block is alive (invariant).
unsafe impl Send for SuperCell {}

/// What the clones of a [`SuperRef`] share.
#[pin_data]
struct SuperShared {
    #[pin]
    cell: Mutex<SuperCell>,
    /// Drops an active reference the VFS's way (`deactivate_super`), when
    /// the last one was a [`SuperRef`]'s (see [`ActiveSuper`]'s drop).
    #[pin]
    put: Work<SuperShared>,
    /// Where `put` runs: the type's own queue, drained before the module
    /// goes (see `Registration`).
    queue: &'static Queue,
}

impl_has_work! {
    impl HasWork<Self> for SuperShared { self.put }
}

impl WorkItem for SuperShared {
    type Pointer = Arc<SuperShared>;

    /// Queued by the holder of an active reference that found it the last
    /// one: drops it, which ends the super block.
    fn run(this: Arc<SuperShared>) {
        let sb = this.cell.lock().sb;
        if sb.is_null() {
            // Not reachable: the reference this work holds keeps `kill_sb`
            // from starting, and with it the clearing.
            return;
        }
        pr_info!("a device went while its mount was unmounted: ending the mount\n");
        // SAFETY: this work owns an active reference (handed over by
        // `ActiveSuper::drop`), which it gives back here; with the last one
        // the VFS ends the super block (`kill_sb`), which takes no lock we
        // hold (none).
        unsafe { bindings::deactivate_super(sb) };
    }
}

/// A handle on a mount's super block, for work the file system does
/// outside the VFS's callbacks. Cloned freely; once the super block is
/// going (its `kill_sb` started), every use does nothing.
#[derive(Clone)]
pub(crate) struct SuperRef(Arc<SuperShared>);

impl SuperRef {
    /// A handle on `sb`, a super block being filled; a final active
    /// reference a handle drops is dropped on `queue`.
    pub(super) fn new(sb: *mut bindings::super_block, queue: &'static Queue) -> Result<Self> {
        Ok(Self(Arc::pin_init(
            pin_init!(SuperShared {
                cell <- new_mutex!(SuperCell { sb }),
                put <- new_work!("SuperRef::put"),
                queue,
            }),
            GFP_KERNEL,
        )?))
    }

    /// The super block is going (`kill_sb`): from now on the handle does
    /// nothing. Waits for an [`SuperRef::active`] in progress.
    pub(super) fn clear(&self) {
        self.0.cell.lock().sb = core::ptr::null_mut();
    }

    /// An active reference to the super block (what a mount holds), so
    /// that it is not shut down while the caller works on it; `None` once
    /// the last one is gone (unmounted: its inodes go with it anyway).
    fn active(&self) -> Option<ActiveSuper> {
        let cell = self.0.cell.lock();
        if cell.sb.is_null() {
            return None;
        }
        // SAFETY: the super block is alive while `cell` is locked and not
        // NULL (invariant): `kill_sb`, which comes before its end, clears
        // the cell under the lock first. Taking an active reference only
        // if one is left is the VFS's own way (`grab_super`).
        let got = unsafe { bindings::famfs_rs_sb_get_active(cell.sb) };
        // INVARIANT: an active reference was taken.
        got.then(|| ActiveSuper {
            sb: cell.sb,
            shared: self.0.clone(),
        })
    }

    /// Takes every mapping of inode `ino` away: unmaps it from every
    /// process (their next access faults, and the fault fails) and drops
    /// its dax entries, so that no page of it stays referenced. Nothing if
    /// the inode is not in memory, or the mount is gone (then so are its
    /// inodes).
    pub(crate) fn revoke_mappings(&self, ino: u64) {
        if let Some(sb) = self.active() {
            sb.revoke_mappings(ino);
        }
    }
}

/// An active reference to a super block, taken by a [`SuperRef`].
///
/// # Invariants
///
/// The reference owns one active reference to `sb` (`s_active`), so the
/// super block is mounted or being used as if mounted: not shut down, its
/// state (`s_fs_info`) in place.
struct ActiveSuper {
    sb: *mut bindings::super_block,
    shared: Arc<SuperShared>,
}

impl ActiveSuper {
    /// See [`SuperRef::revoke_mappings`].
    fn revoke_mappings(&self, ino: u64) {
        // SAFETY: an active super block (invariant); `ilookup` returns a
        // referenced inode or NULL.
        let inode = unsafe { bindings::ilookup(self.sb, ino as _) };
        if inode.is_null() {
            return;
        }
        // SAFETY: `inode` is referenced until the `iput` below.
        let mapping = unsafe { (*inode).i_mapping };
        // The invalidate lock, held exclusively, keeps faults (which hold
        // it shared) from mapping a page back in between the unmap and
        // the truncation.
        // SAFETY: the mapping of a referenced inode.
        unsafe { bindings::famfs_rs_invalidate_lock(mapping) };
        // SAFETY: as above; the whole file, private COW copies too.
        unsafe { bindings::unmap_mapping_range(mapping, 0, 0, 1) };
        // Nothing may refer to the pages once they are gone: the entries
        // go, dirty ones too (the device cannot be written back any more).
        // A page still held (a pipe took it with vmsplice): before 6.15
        // its entry is dropped without truncation's warning and the
        // driver's remove waits for the page, not here under this mount's
        // and the holder's locks; 6.15 and later want no held page when
        // the entries go (the folio is reset), so this waits for it, with
        // the invalidate lock let go while asleep (the device is fenced:
        // no fault maps a page back in meanwhile).
        // SAFETY: unmapped from every process, with the invalidate lock
        // held exclusively.
        unsafe { bindings::famfs_rs_dax_wait_unheld(mapping) };
        // SAFETY: as above.
        unsafe { bindings::famfs_rs_dax_forget_entries(mapping) };
        // SAFETY: as above.
        unsafe { bindings::famfs_rs_dax_delete_entries(mapping) };
        // SAFETY: as above.
        unsafe { bindings::truncate_inode_pages_range(mapping, 0, -1i64 as _) };
        // SAFETY: taken above.
        unsafe { bindings::famfs_rs_invalidate_unlock(mapping) };
        // The last reference evicts the inode (`evict_inode`, the file
        // system's): the super block is active, its state in place.
        // SAFETY: the reference `ilookup` took.
        unsafe { bindings::iput(inode) };
    }
}

impl Drop for ActiveSuper {
    fn drop(&mut self) {
        // SAFETY: gives back the active reference owned (invariant) unless
        // it is the last one: the super block stays alive either way.
        if unsafe { bindings::famfs_rs_sb_put_active_unless_last(self.sb) } {
            return;
        }
        // The mount went meanwhile; the super block ends with this
        // reference. Not here: the callers are device notifications,
        // which the end of the mount (giving the devices back) waits for.
        // The work takes the reference over; it cannot be queued already,
        // since whoever queued it would own this same last reference.
        if self.shared.queue.enqueue(self.shared.clone()).is_err() {
            pr_err!("a super block's last reference was left: it was queued already\n");
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::put_super`, once, for a
/// super block of `T` whose `fill_super` succeeded.
pub(super) unsafe extern "C" fn put_super<T: SuperOperations>(sb: *mut bindings::super_block) {
    // SAFETY: at `put_super` every inode and file is gone, the VFS runs no
    // other callback of this super block, and no `SuperRef` reaches it
    // (`kill_sb` cleared them before, and no active reference is left):
    // the state is taken out of the super block, and this owns it.
    let p = unsafe { core::ptr::replace(&mut (*sb).s_fs_info, core::ptr::null_mut()) };
    // SAFETY: the box `fill_super` stored; `kill_sb` finds NULL.
    let mut data = unsafe { KBox::<SuperData<T>>::from_foreign(p) };
    T::put_super(&mut data.info);
}
