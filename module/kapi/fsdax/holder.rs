// SPDX-License-Identifier: GPL-2.0

//! The holder of a claimed device with its type erased, so that it fits
//! the one pointer the C side keeps for it (the 6.12 driver's state, or the
//! kernel's `dax_device::holder_data` on 7.1+).

use super::{Failure, FailureHolder, Recovery};
use kernel::ffi::c_void;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// An `Arc<H>` for some [`FailureHolder`] `H`, released on drop.
///
/// # Invariants
///
/// `data` is an `Arc<H>` in foreign form owned by this slot, and `notify`
/// and `release` are `H`'s trampolines.
pub(super) struct HolderSlot {
    data: *mut c_void,
    notify: unsafe fn(*mut c_void, Failure) -> Recovery,
    release: unsafe fn(*mut c_void),
}

// SAFETY: `data` is an `Arc<H>` with `H: Send + Sync`; moving the slot
// moves that `Arc`.
unsafe impl Send for HolderSlot {}
// SAFETY: `&HolderSlot` only borrows the `Arc<H>` to call `H`'s
// `notify_failure(&self)`, which `H: Sync` allows from any thread.
unsafe impl Sync for HolderSlot {}

/// # Safety
///
/// `data` must be an `Arc<H>` in foreign form that is still owned.
unsafe fn notify_trampoline<H: FailureHolder>(data: *mut c_void, failure: Failure) -> Recovery {
    // SAFETY: `data` is an owned `Arc<H>` per the contract; the borrow does
    // not outlive this call. (`as _`: the kernel crate's pointer type for
    // foreign forms changed from `*const` to `*mut` after 6.12.)
    let holder = unsafe { <Arc<H> as ForeignOwnable>::borrow(data as _) };
    holder.notify_failure(failure)
}

/// # Safety
///
/// `data` must be an `Arc<H>` in foreign form, given up by the caller.
unsafe fn release_trampoline<H: FailureHolder>(data: *mut c_void) {
    // SAFETY: the caller gives up its only use of `data` per the contract.
    drop(unsafe { <Arc<H> as ForeignOwnable>::from_foreign(data as _) });
}

impl HolderSlot {
    pub(super) fn new<H: FailureHolder>(holder: Arc<H>) -> Self {
        Self {
            data: holder.into_foreign() as *mut c_void,
            notify: notify_trampoline::<H>,
            release: release_trampoline::<H>,
        }
    }

    /// Tells the holder what happened.
    pub(super) fn notify(&self, failure: Failure) -> Recovery {
        // SAFETY: `data` is owned by `self` with these trampolines (type
        // invariant) and outlives the call.
        unsafe { (self.notify)(self.data, failure) }
    }
}

impl Drop for HolderSlot {
    fn drop(&mut self) {
        // SAFETY: `data` is the `Arc<H>` this slot owns (type invariant);
        // nothing uses it after this.
        unsafe { (self.release)(self.data) };
    }
}
