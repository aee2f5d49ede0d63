// SPDX-License-Identifier: GPL-2.0
//! An in-process channel that plays the kernel: tests queue requests with
//! what each expects back, the daemon serves them on its own thread, and
//! every reply is judged exactly as famfs_rs.ko judges it
//! ([`crate::verdict`]). The verdicts are kept for the test to inspect.

use std::collections::{HashMap, VecDeque};
use std::io;
use std::sync::{Condvar, Mutex, MutexGuard};
use std::time::Duration;

use famfs_core::codec::Field;
use famfs_core::wire::{Pending, ReplyError};

use crate::channel::{Channel, Recv, Sent};
use crate::verdict::{verdict, Expect};

/// The kernel model's verdict on one written message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Verdict {
    /// The bytes written.
    pub bytes: Vec<u8>,
    /// The unique the header named (if readable).
    pub unique: Option<u64>,
    /// Ok(()) if accepted (including daemon errnos), else why not.
    pub result: Result<(), Rejection>,
}

/// Why the kernel model refused a message.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rejection {
    /// The unique is not outstanding (ENOENT).
    NoSuchRequest,
    /// The core refused it (EINVAL on the write).
    Malformed(ReplyError),
}

#[derive(Default)]
struct Inner {
    requests: VecDeque<Vec<u8>>,
    pending: HashMap<u64, Pending>,
    verdicts: Vec<Verdict>,
    closed: bool,
}

/// See the module documentation.
#[derive(Default)]
pub struct MemChannel {
    inner: Mutex<Inner>,
    cond: Condvar,
}

impl MemChannel {
    /// An open channel with nothing queued.
    pub fn new() -> Self {
        Self::default()
    }

    fn lock(&self) -> MutexGuard<'_, Inner> {
        self.inner.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Queues a request; `expect` is what it waits for (`None`: no reply,
    /// e.g. FORGET).
    pub fn push(&self, msg: Vec<u8>, unique: u64, expect: Option<Pending>) {
        let mut i = self.lock();
        if let Some(p) = expect {
            i.pending.insert(unique, p);
        }
        i.requests.push_back(msg);
        self.cond.notify_all();
    }

    /// Ends the connection (the daemon's next read sees it closed).
    pub fn close(&self) {
        self.lock().closed = true;
        self.cond.notify_all();
    }

    /// Waits until `n` messages were written in all, at most `limit`.
    pub fn wait_verdicts(&self, n: usize, limit: Duration) -> Vec<Verdict> {
        let mut i = self.lock();
        let deadline = std::time::Instant::now() + limit;
        while i.verdicts.len() < n {
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                break;
            }
            i = self
                .cond
                .wait_timeout(i, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        i.verdicts.clone()
    }

    /// Requests still waiting for a reply.
    pub fn outstanding(&self) -> usize {
        self.lock().pending.len()
    }

    fn judge(i: &mut Inner, msg: &[u8]) -> (Option<u64>, Result<(), Rejection>) {
        let v = verdict(msg, &i.pending);
        if let Some(u) = v.settles {
            i.pending.remove(&u);
        }
        let unique = msg.get(8..16).and_then(u64::get);
        let result = match (v.expect, v.why) {
            (Expect::Taken, _) => Ok(()),
            (Expect::NoSuchRequest, _) => Err(Rejection::NoSuchRequest),
            (Expect::Refused, Some(e)) => Err(Rejection::Malformed(e)),
            (Expect::Refused, None) => Err(Rejection::Malformed(ReplyError::ShortHeader)),
        };
        (unique.filter(|_| msg.len() >= 16), result)
    }
}

impl Channel for MemChannel {
    fn recv(&self, buf: &mut [u8]) -> io::Result<Recv> {
        let mut i = self.lock();
        loop {
            if let Some(m) = i.requests.pop_front() {
                let n = m.len().min(buf.len());
                buf[..n].copy_from_slice(&m[..n]);
                return Ok(Recv::Msg(n));
            }
            if i.closed {
                return Ok(Recv::Closed);
            }
            i = self.cond.wait(i).unwrap_or_else(|p| p.into_inner());
        }
    }

    fn send(&self, msg: &[u8]) -> io::Result<Sent> {
        let mut i = self.lock();
        let (unique, result) = Self::judge(&mut i, msg);
        let sent = match result {
            Ok(()) => Sent::Ok,
            Err(Rejection::NoSuchRequest) => Sent::Gone,
            Err(Rejection::Malformed(_)) => Sent::Refused(libc::EINVAL),
        };
        i.verdicts.push(Verdict {
            bytes: msg.to_vec(),
            unique,
            result,
        });
        self.cond.notify_all();
        Ok(sent)
    }
}
