// SPDX-License-Identifier: GPL-2.0

//! Directories of read-only counters in debugfs (`/sys/kernel/debug`): the
//! per-mount counters that tests and operators read. The 6.12 kernel crate
//! has no debugfs abstraction.

use crate::kapi::bindings;
use core::sync::atomic::AtomicU64;
use kernel::str::CStr;

/// Read-only for root, as debugfs is.
const MODE: u16 = 0o400;

/// A debugfs directory, removed with everything in it on drop.
///
/// # Invariants
///
/// `dentry` is a directory this value created and nobody else removes.
pub(crate) struct DebugDir {
    dentry: *mut bindings::dentry,
}

// SAFETY: debugfs serialises creation and removal on its own locks; the
// pointer is only handed back to it.
unsafe impl Send for DebugDir {}
// SAFETY: `&DebugDir` allows only file creation, which debugfs serialises.
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
        Some(Self { dentry })
    }

    /// Publishes `value` as file `name`.
    ///
    /// # Safety
    ///
    /// `value` must outlive this directory (it is read until the drop).
    pub(crate) unsafe fn add_u64(&self, name: &CStr, value: &AtomicU64) {
        // SAFETY: the directory is live; `value` outlives the file per the
        // contract, and `AtomicU64` has the layout of `u64`, which debugfs
        // reads whole.
        unsafe {
            bindings::debugfs_create_u64(name.as_char_ptr(), MODE, self.dentry, value.as_ptr())
        };
    }
}

impl Drop for DebugDir {
    fn drop(&mut self) {
        // SAFETY: ours per the invariants; removes the files first, and
        // waits for their readers.
        unsafe { bindings::debugfs_remove(self.dentry) };
    }
}
