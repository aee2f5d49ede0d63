// SPDX-License-Identifier: GPL-2.0

//! A one-shot completion: the waits `CondVar` lacks in the 6.12 kernel
//! crate. A caller waiting for the daemon must be able to wait so that only
//! a fatal signal ends the wait (TASK_KILLABLE), as FUSE does once the
//! daemon has been told of a signal.

use crate::kapi::bindings;
use kernel::ffi::{c_long, c_ulong};
use kernel::prelude::*;
use kernel::task::MAX_SCHEDULE_TIMEOUT;
use kernel::types::Opaque;

/// How a bounded wait ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Waited {
    /// Completed.
    Done,
    /// The bound ran out first.
    Timeout,
    /// A signal the wait was open to (any, or only fatal ones) came first.
    Signal,
}

/// A completion that is completed once and stays completed.
///
/// # Invariants
///
/// `inner` is an initialised `struct completion` for as long as `self`
/// lives.
#[pin_data]
pub(crate) struct Completion {
    #[pin]
    inner: Opaque<bindings::completion>,
}

// SAFETY: a completion is designed for use from any thread: its wait
// queue has its own lock.
unsafe impl Send for Completion {}
// SAFETY: as above.
unsafe impl Sync for Completion {}

/// The kernel's answer of a `wait_for_completion_*_timeout` as a [`Waited`]:
/// negative is a signal (-ERESTARTSYS), 0 the end of the bound.
fn waited(ret: c_long) -> Waited {
    match ret {
        r if r < 0 => Waited::Signal,
        0 => Waited::Timeout,
        _ => Waited::Done,
    }
}

/// `jiffies` as the kernel's timeout argument (`None`: no bound).
fn bound(jiffies: Option<u64>) -> c_ulong {
    const UNBOUNDED: c_ulong = MAX_SCHEDULE_TIMEOUT as c_ulong;
    match jiffies {
        // At least one jiffy (0 would only poll), and less than "forever".
        Some(j) => c_ulong::try_from(j).map_or(UNBOUNDED - 1, |j| j.clamp(1, UNBOUNDED - 1)),
        None => UNBOUNDED,
    }
}

impl Completion {
    /// A completion not yet completed.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            // SAFETY: the helper initialises the completion in place (its
            // wait queue with a static lock class key, as lockdep requires).
            inner <- Opaque::ffi_init(|slot| unsafe { bindings::famfs_rs_init_completion(slot) }),
        })
    }

    /// Completes it for every waiter, present and future.
    pub(crate) fn complete_all(&self) {
        // SAFETY: by the type invariant the completion is initialised.
        unsafe { bindings::complete_all(self.inner.get()) }
    }

    /// Waits until completed; no signal ends the wait. Only for waits the
    /// completer is known to end soon.
    pub(crate) fn wait(&self) {
        // SAFETY: as in `complete_all`.
        unsafe { bindings::wait_for_completion(self.inner.get()) }
    }

    /// Waits until completed, for at most `jiffies` if given; any signal
    /// ends the wait.
    pub(crate) fn wait_interruptible(&self, jiffies: Option<u64>) -> Waited {
        // SAFETY: as in `complete_all`.
        waited(unsafe {
            bindings::wait_for_completion_interruptible_timeout(self.inner.get(), bound(jiffies))
        })
    }

    /// Waits until completed, for at most `jiffies` if given; only a fatal
    /// signal ends the wait (one already pending ends it at once).
    pub(crate) fn wait_killable(&self, jiffies: Option<u64>) -> Waited {
        // SAFETY: as in `complete_all`.
        waited(unsafe {
            bindings::wait_for_completion_killable_timeout(self.inner.get(), bound(jiffies))
        })
    }
}
