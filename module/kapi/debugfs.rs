// SPDX-License-Identifier: GPL-2.0

//! Directories of read-only counters in debugfs (`/sys/kernel/debug`): the
//! per-mount counters that tests and operators read. The 6.12 kernel crate
//! has no debugfs abstraction.

use crate::kapi::bindings;
use core::sync::atomic::AtomicU64;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// Read-only for root, as debugfs is.
const MODE: u16 = 0o400;

/// Anything a directory keeps alive for its files to read.
trait Kept: Send + Sync {}
impl<T: Send + Sync + ?Sized> Kept for T {}

/// A debugfs directory, removed with everything in it on drop.
///
/// # Invariants
///
/// `dentry` is a directory this value created and nobody else removes;
/// every value a file in it reads lives in an object `owners` keeps alive.
pub(crate) struct DebugDir {
    dentry: *mut bindings::dentry,
    /// Dropped after the directory is removed (see `Drop`).
    owners: KVec<Arc<dyn Kept>>,
}

// SAFETY: debugfs serialises creation and removal on its own locks; the
// pointer is only handed back to it, and `owners` holds `Send + Sync`
// values.
unsafe impl Send for DebugDir {}
// SAFETY: `&DebugDir` only allows making subdirectories, which debugfs
// serialises.
unsafe impl Sync for DebugDir {}

impl DebugDir {
    /// Makes directory `name` under `parent` (the debugfs root if `None`).
    /// `None` when debugfs is off or the name is taken: counters are a
    /// diagnostic, never a reason to fail.
    pub(crate) fn new(name: &CStr, parent: Option<&DebugDir>) -> Option<Self> {
        let parent = parent.map_or(core::ptr::null_mut(), |p| p.dentry);
        // SAFETY: `name` is NUL-terminated; `parent` is NULL or a live
        // directory (type invariant).
        let dentry = unsafe { bindings::debugfs_create_dir(name.as_char_ptr(), parent) };
        if dentry.is_null() || kernel::error::from_err_ptr(dentry).is_err() {
            return None;
        }
        Some(Self {
            dentry,
            owners: KVec::new(),
        })
    }

    /// Publishes the counter `field` of `owner` as read-only file `name`;
    /// the directory keeps `owner` alive until it is removed.
    pub(crate) fn add_counter<O: Send + Sync + 'static>(
        &mut self,
        name: &CStr,
        owner: &Arc<O>,
        field: fn(&O) -> &AtomicU64,
    ) -> Result {
        self.owners.push(owner.clone(), GFP_KERNEL)?;
        let value = field(owner);
        // SAFETY: the directory is live; `value` lives inside `owner`,
        // which `owners` keeps (at the same address: an `Arc` never moves
        // its contents) until after the files are removed in `drop`, and
        // `AtomicU64` has the layout of `u64`, which debugfs reads whole.
        unsafe {
            bindings::debugfs_create_u64(name.as_char_ptr(), MODE, self.dentry, value.as_ptr())
        };
        Ok(())
    }
}

impl Drop for DebugDir {
    fn drop(&mut self) {
        // SAFETY: ours per the invariants; removes the files first, and
        // waits for their readers. `owners` is dropped after this body.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}
