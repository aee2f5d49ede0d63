// SPDX-License-Identifier: GPL-2.0

//! The client end of a daemon connection: what a mount sends over it once
//! INIT has settled the protocol (fs/fuse's `fuse_mount` and its simple
//! requests). Each operation lives where fs/fuse has it: INIT, GETATTR,
//! STATFS and DESTROY in `inode.rs`, LOOKUP and FORGET in `dir.rs`, READDIR
//! in `readdir.rs`, OPEN and RELEASE in `file.rs`. Requests beyond FUSE's
//! (famfs's GET_FMAP, GET_DAXDEV) go through [`Client::call`].

#![forbid(unsafe_code)]

use crate::core_logic::famfs_core::abi::Opcode;
use crate::core_logic::famfs_core::init::InitParams;
use crate::core_logic::famfs_core::wire::{Pending, RequestHeader, WireError};
use crate::fuse::connection::Connection;
use crate::fuse::transport::Reply;
use crate::kapi::cred;
use crate::kapi::debugfs::DebugDir;
use core::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use kernel::c_str;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;

/// What the client counts (the transport counts the rest).
#[derive(Default)]
pub(super) struct Stats {
    /// LOOKUPs sent.
    pub(super) lookups: AtomicU64,
}

/// Counts one.
pub(crate) fn bump(c: &AtomicU64) {
    c.fetch_add(1, Ordering::Relaxed);
}

/// A debugfs counter file: its name and where its value lives in `O`.
pub(crate) type Field<O> = (&'static CStr, fn(&O) -> &AtomicU64);

const TRANSPORT: [Field<Connection>; 3] = [
    (c_str!("upcalls"), |c| c.transport.upcalls_counter()),
    (c_str!("bad_replies"), |c| c.transport.bad_replies_counter()),
    (c_str!("releases_dropped"), |c| {
        c.transport.releases_dropped_counter()
    }),
];

const CLIENT: [Field<Stats>; 1] = [(c_str!("lookups"), |s| &s.lookups)];

/// A request header from the calling task.
pub(super) fn header(opcode: Opcode, nodeid: u64) -> RequestHeader {
    let caller = cred::caller();
    RequestHeader {
        opcode,
        unique: 0,
        nodeid,
        uid: caller.uid,
        gid: caller.gid,
        pid: caller.pid,
    }
}

/// One mount's end of a connection whose INIT went through.
pub(crate) struct Client {
    pub(super) connection: Arc<Connection>,
    /// What INIT settled.
    pub(super) params: InitParams,
    /// The daemon answered an OPEN of a file with ENOSYS: files are opened
    /// and closed without it from then on.
    pub(super) no_open: AtomicBool,
    pub(super) stats: Arc<Stats>,
}

impl Client {
    /// The client of `connection`, with what INIT settled.
    pub(super) fn new(connection: Arc<Connection>, params: InitParams) -> Result<Self> {
        Ok(Self {
            connection,
            params,
            no_open: AtomicBool::new(false),
            stats: Arc::new(Stats::default(), GFP_KERNEL)?,
        })
    }

    /// What INIT settled.
    pub(crate) fn params(&self) -> &InitParams {
        &self.params
    }

    /// Sends request `opcode` for node `nodeid`, encoded by `encode`, and
    /// waits for the reply the core checked against `pending`.
    pub(crate) fn call(
        &self,
        pending: Pending,
        opcode: Opcode,
        nodeid: u64,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
    ) -> Result<Reply> {
        self.connection
            .transport
            .call(pending, header(opcode, nodeid), encode)
    }

    /// Counts a reply that passed the core's checks but that the file
    /// system refused (it contradicts what the mount already knows).
    pub(crate) fn count_bad_reply(&self) {
        self.connection.transport.count_bad_reply();
    }

    /// Ends the connection: calls fail, the daemon's reads get ENODEV.
    pub(crate) fn close(&self) {
        self.connection.transport.close(ENODEV);
    }

    /// Adds the transport's and the client's counters to `dir`.
    pub(crate) fn publish_counters(&self, dir: &mut DebugDir) -> Result {
        for (name, field) in TRANSPORT {
            dir.add_counter(name, &self.connection, field)?;
        }
        for (name, field) in CLIENT {
            dir.add_counter(name, &self.stats, field)?;
        }
        Ok(())
    }
}

impl Drop for Client {
    /// A mount that goes (unmounted, or failed after INIT) releases its
    /// daemon: the daemon's reads end with ENODEV.
    fn drop(&mut self) {
        self.close();
    }
}
