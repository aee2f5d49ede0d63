// SPDX-License-Identifier: GPL-2.0

//! Wait queues for `poll(2)`: the 6.12 kernel crate's `CondVar` keeps its
//! wait queue private, so files that support poll keep one of these beside
//! their condition variables and wake both.

use crate::kapi::bindings;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::types::Opaque;

/// Readable without blocking (`EPOLLIN | EPOLLRDNORM`).
pub(crate) const POLL_READABLE: u32 = 0x0001 | 0x0040;
/// Writable without blocking (`EPOLLOUT | EPOLLWRNORM`).
pub(crate) const POLL_WRITABLE: u32 = 0x0004 | 0x0100;
/// Error condition (`EPOLLERR`).
pub(crate) const POLL_ERROR: u32 = 0x0008;

/// A wait queue that pollers register on.
///
/// # Invariants
///
/// `wq` is an initialised wait queue head for as long as `self` lives.
#[pin_data]
pub(crate) struct PollQueue {
    #[pin]
    wq: Opaque<bindings::wait_queue_head>,
}

// SAFETY: a wait queue head is designed for use from any thread; its own
// spinlock protects it.
unsafe impl Send for PollQueue {}
// SAFETY: as above.
unsafe impl Sync for PollQueue {}

impl PollQueue {
    /// Initialises a poll queue in place.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: the helper initialises the head in place (with a
            // static lock class key, as lockdep requires).
            wq <- Opaque::ffi_init(|slot| unsafe {
                bindings::famfs_rs_init_waitqueue_head(slot)
            }),
        })
    }

    /// Wakes every poller.
    pub(crate) fn wake(&self) {
        // SAFETY: by the type invariant the head is initialised.
        unsafe {
            bindings::__wake_up(
                self.wq.get(),
                bindings::TASK_NORMAL,
                0,
                core::ptr::null_mut::<c_void>(),
            )
        };
    }
}

/// The poll table of one `poll(2)` call on one file.
pub(crate) struct PollTable {
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
}

impl PollTable {
    /// # Safety
    ///
    /// `file` must be valid and `table` valid or NULL, for the lifetime of
    /// the returned value (one poll callback).
    pub(crate) unsafe fn from_raw(
        file: *mut bindings::file,
        table: *mut bindings::poll_table_struct,
    ) -> Self {
        Self { file, table }
    }

    /// Registers the caller on `queue`, to be woken by [`PollQueue::wake`].
    /// The queue must outlive the file (it does: the file holds a reference
    /// to the object that contains it).
    pub(crate) fn register(&self, queue: &PollQueue) {
        // SAFETY: `file` and `table` are valid for this poll call (type
        // contract) and the queue head is initialised (its invariant).
        unsafe { crate::kapi::bindings::famfs_rs_poll_wait(self.file, queue.wq.get(), self.table) };
    }
}
