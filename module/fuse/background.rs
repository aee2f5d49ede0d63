// SPDX-License-Identifier: GPL-2.0

//! Requests nobody waits for (RELEASE, RELEASEDIR): built before the
//! transport's lock is taken, queued without sleeping and without a call
//! slot, read by the daemon in order with the calls, and forgotten when
//! answered (fs/fuse's background requests are the model).
//!
//! The queue is a fixed table allocated with the connection, so queueing
//! allocates nothing under the lock. When it is full:
//! - an entry the daemon has already read makes room: the daemon has the
//!   request, only its reply is no longer expected (a late one gets ENOENT);
//! - if the daemon has read none of them, the new request is dropped and
//!   counted. The daemon is not reading, so waiting for room would wedge the
//!   closer (possibly a kernel worker) on it; and a daemon forgets every
//!   handle when the mount ends, so a dropped RELEASE costs it one handle's
//!   state until then, and the kernel nothing.

#![forbid(unsafe_code)]

use crate::core_logic::famfs_core::wire::Pending;
use kernel::prelude::*;

/// RELEASEs and RELEASEDIRs unread or awaiting a reply, per connection.
pub(crate) const MAX_BACKGROUND: usize = 1024;

/// One request nobody waits for.
pub(crate) struct Background {
    pub(crate) unique: u64,
    pub(crate) pending: Pending,
    /// The whole message until the daemon reads it; `None` while its reply
    /// may still come.
    message: Option<KVec<u8>>,
}

/// Why a request was not queued.
pub(crate) struct Full;

/// The table.
pub(crate) struct BackgroundQueue {
    entries: KVVec<Option<Background>>,
    /// Entries whose message the daemon has not read yet. Every read of
    /// the control device asks for the oldest of them; with none (the
    /// usual case) that answer must not cost a walk over the whole table:
    /// two walks per request were about 10,000 instructions of each cold
    /// open in `make bench`, more than all of the daemon's LOOKUP.
    unread: usize,
}

impl BackgroundQueue {
    /// An empty table of [`MAX_BACKGROUND`] entries.
    pub(crate) fn new() -> Result<Self> {
        let mut entries = KVVec::with_capacity(MAX_BACKGROUND, GFP_KERNEL)?;
        for _ in 0..MAX_BACKGROUND {
            entries.push(None, GFP_KERNEL)?;
        }
        Ok(Self { entries, unread: 0 })
    }

    /// Queues `message` (request `unique`, answered as `pending` says).
    /// Allocates nothing and never waits: see the module comment for what
    /// happens when the table is full.
    pub(crate) fn push(
        &mut self,
        unique: u64,
        pending: Pending,
        message: KVec<u8>,
    ) -> core::result::Result<(), Full> {
        let index = self
            .entries
            .iter()
            .position(Option::is_none)
            .or_else(|| self.oldest(false).map(|(i, _)| i))
            .ok_or(Full)?;
        let entry = self.entries.get_mut(index).ok_or(Full)?;
        // A free entry, or a read one (whose reply is no longer expected):
        // never an unread one, so the new message adds one.
        *entry = Some(Background {
            unique,
            pending,
            message: Some(message),
        });
        self.unread += 1;
        Ok(())
    }

    /// The index and unique of the oldest entry the daemon has (`read`) or
    /// has not yet read. Uniques grow, so it has the smallest unique.
    fn oldest(&self, unread: bool) -> Option<(usize, u64)> {
        let mut best: Option<(usize, u64)> = None;
        for (i, entry) in self.entries.iter().enumerate() {
            if let Some(b) = entry {
                if b.message.is_some() == unread && best.map_or(true, |(_, u)| b.unique < u) {
                    best = Some((i, b.unique));
                }
            }
        }
        best
    }

    /// The unique of the oldest request the daemon has not read.
    pub(crate) fn oldest_unread(&self) -> Option<u64> {
        if self.unread == 0 {
            return None;
        }
        self.oldest(true).map(|(_, u)| u)
    }

    /// Hands the daemon the message of unread request `unique`; the entry
    /// stays, awaiting the reply.
    pub(crate) fn take_message(&mut self, unique: u64) -> Option<KVec<u8>> {
        let message = self
            .entries
            .iter_mut()
            .flatten()
            .find(|b| b.unique == unique)?
            .message
            .take()?;
        self.unread = self.unread.saturating_sub(1);
        Some(message)
    }

    /// Takes out request `unique` if the daemon has read it (its reply came,
    /// or it could not be read).
    pub(crate) fn take_read(&mut self, unique: u64) -> Option<Background> {
        let entry = self
            .entries
            .iter_mut()
            .find(|e| e.as_ref().is_some_and(|b| b.unique == unique))?;
        if entry.as_ref()?.message.is_some() {
            return None;
        }
        entry.take()
    }

    /// Forgets everything (the connection is gone).
    pub(crate) fn clear(&mut self) {
        for entry in self.entries.iter_mut() {
            *entry = None;
        }
        self.unread = 0;
    }
}
