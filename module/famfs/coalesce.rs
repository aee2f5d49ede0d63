// SPDX-License-Identifier: GPL-2.0

//! One daemon request per key in flight: concurrent cold opens of a file
//! send one GET_FMAP (of a device, one GET_DAXDEV); the other openers wait,
//! killably, for its answer, then use what it cached or get its error.

#![forbid(unsafe_code)]

use crate::kapi::completion::{Completion, Waited};
use crate::kapi::vec::swap_remove;
use core::sync::atomic::{AtomicI32, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// One request in flight and how it ended.
#[pin_data]
struct Call {
    key: u64,
    /// 0, or the negative errno it failed with; set before `done`.
    result: AtomicI32,
    #[pin]
    done: Completion,
}

/// The requests in flight, by key.
pub(crate) struct Coalescer {
    calls: Pin<KBox<Mutex<KVec<Arc<Call>>>>>,
}

/// Whether the leader's error is its own interruption, not an answer: a
/// waiter then asks itself (`ERESTARTSYS` must never reach a task with no
/// signal pending).
fn interrupted(e: Error) -> bool {
    e == ERESTARTSYS || e == EINTR
}

impl Coalescer {
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            calls: KBox::pin_init(new_mutex!(KVec::new()), GFP_KERNEL)?,
        })
    }

    /// Runs `work` (which asks the daemon and caches its answer) for `key`
    /// unless `cached()` says the answer is there, or waits for the call
    /// already in flight for `key` and returns its result. `cached` is
    /// checked under the lock that the leader leaves under, so an answer
    /// cached just before is seen and asked for no second time.
    pub(crate) fn run(
        &self,
        key: u64,
        cached: impl Fn() -> bool,
        work: impl FnOnce() -> Result,
    ) -> Result {
        loop {
            let mut calls = self.calls.lock();
            if cached() {
                return Ok(());
            }
            if let Some(call) = calls.iter().find(|c| c.key == key).cloned() {
                drop(calls);
                if call.done.wait_killable(None) == Waited::Signal {
                    return Err(EINTR);
                }
                match call.result.load(Ordering::Acquire) {
                    0 => return Ok(()),
                    errno => {
                        let e = Error::from_errno(errno);
                        if interrupted(e) {
                            continue;
                        }
                        return Err(e);
                    }
                }
            }
            let call = Arc::pin_init(
                pin_init!(Call {
                    key,
                    result: AtomicI32::new(0),
                    done <- Completion::new(),
                }),
                GFP_KERNEL,
            )?;
            calls.push(call.clone(), GFP_KERNEL)?;
            drop(calls);
            return self.lead(&call, work);
        }
    }

    /// Runs `work` as the one call for its key, then lets the waiters go.
    fn lead(&self, call: &Arc<Call>, work: impl FnOnce() -> Result) -> Result {
        let result = work();
        call.result
            .store(result.err().map_or(0, Error::to_errno), Ordering::Release);
        let mut calls = self.calls.lock();
        let mine = calls
            .iter()
            .position(|c| Arc::ptr_eq(c, call))
            .and_then(|i| swap_remove(&mut calls, i));
        drop(calls);
        drop(mine);
        call.done.complete_all();
        result
    }
}
