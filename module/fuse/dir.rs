// SPDX-License-Identifier: GPL-2.0

//! LOOKUP, and FORGET of what lookups counted (fs/fuse/dir.c).

#![forbid(unsafe_code)]

use super::client::{bump, Client};
use super::inode::{attr_of, expiry};
use crate::core_logic::famfs_core::abi::{Opcode, NAME_MAX};
use crate::core_logic::famfs_core::wire::{encode_lookup, Pending, ReplyBody};
use crate::kapi::errno::enametoolong;
use crate::kapi::vec;
use crate::kapi::vfs::Entry;
use core::cell::Cell;
use kernel::prelude::*;

impl Client {
    /// LOOKUP of `name` in directory `parent`; `None` if the daemon says
    /// ENOENT (never cached: a later lookup asks again). When INIT agreed
    /// that a LOOKUP reply may carry the file's map, the map (validated by
    /// the core) is the entry's payload, for the file system to check and
    /// keep.
    pub(crate) fn lookup(&self, parent: u64, name: &[u8]) -> Result<Option<Entry>> {
        if name.len() > NAME_MAX {
            return Err(enametoolong());
        }
        bump(&self.stats.lookups);
        let pending = if self.params.lookup_fmap() {
            Pending::LookupFmap
        } else {
            Pending::Lookup
        };
        let reply = match self.call(pending, Opcode::Lookup, parent, |b, h| {
            encode_lookup(b, h, name)
        }) {
            Ok(r) => r,
            Err(e) if e == ENOENT => return Ok(None),
            Err(e) => return Err(e),
        };
        let (e, payload) = match reply.body()? {
            ReplyBody::Entry(e) => (e, None),
            ReplyBody::EntryFmap(e, fmap) => (e, Some(vec::copied(fmap.as_bytes())?)),
            _ => return Err(EIO),
        };
        Ok(Some(Entry {
            attr: attr_of(e.raw.nodeid, &e.raw.attr),
            expiry: expiry(e.entry_timeout),
            attr_expiry: expiry(e.attr_timeout),
            payload: Cell::new(payload),
        }))
    }

    /// Gives back `n` lookups of node `ino` (FORGET, no reply).
    pub(crate) fn forget(&self, ino: u64, n: u64) {
        self.connection.transport.forget(ino, n);
    }
}
