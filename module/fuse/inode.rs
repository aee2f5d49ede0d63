// SPDX-License-Identifier: GPL-2.0

//! The INIT handshake and DESTROY, GETATTR and STATFS, the attributes and
//! timeouts of a reply as the VFS takes them, and what FUSE keeps per
//! inode (fs/fuse/inode.c).

#![forbid(unsafe_code)]

use super::client::{header, Client};
use crate::core_logic::famfs_core::abi::{
    fuse_attr, fuse_getattr_in, Opcode, FUSE_NO_OPEN_SUPPORT, ROOT_ID,
};
use crate::core_logic::famfs_core::attr::Timeout;
use crate::core_logic::famfs_core::init::build_init_in;
use crate::core_logic::famfs_core::wire::{encode_request, Pending, ReplyBody};
use crate::fuse::connection::Connection;
use crate::kapi::errno::{enotconn, etimedout};
use crate::kapi::time::{hz, jiffies, time_before};
use crate::kapi::vfs::{InodeAttr, StatFs};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// How long `mount(2)` waits for the daemon's INIT reply. The new super
/// block is locked meanwhile, and `sync(2)` waits for it: a daemon that
/// never answers must not hang the system, only fail its mount.
const INIT_TIMEOUT_SECS: u64 = 15;

/// The longest a daemon's timeout is honoured, in seconds: expiry times
/// are compared modulo the jiffies counter, which must not wrap in between.
const MAX_TIMEOUT_SECS: u64 = 24 * 3600;

/// The jiffies at which a timeout from now runs out.
pub(super) fn expiry(timeout: Timeout) -> u64 {
    let hz = hz();
    let max = MAX_TIMEOUT_SECS.saturating_mul(u64::from(hz));
    jiffies().wrapping_add(timeout.as_jiffies(hz).min(max))
}

/// Attributes of node `ino` from a reply the core has checked.
pub(super) fn attr_of(ino: u64, a: &fuse_attr) -> InodeAttr {
    InodeAttr {
        ino,
        mode: a.mode,
        uid: a.uid,
        gid: a.gid,
        size: a.size,
        nlink: a.nlink,
        blocks: a.blocks,
        mtime: (i64::try_from(a.mtime).unwrap_or(i64::MAX), a.mtimensec),
    }
}

/// What FUSE keeps per inode (a file system's inode state holds one).
pub(crate) struct Node {
    /// LOOKUP replies for this node, to be given back with FORGET.
    lookups: AtomicU64,
    /// Jiffies until which the attributes need not be asked for again.
    attr_expiry: AtomicU64,
}

impl Node {
    /// A node whose attributes must be asked for before use.
    pub(crate) fn new_expired() -> Self {
        Self {
            lookups: AtomicU64::new(0),
            attr_expiry: AtomicU64::new(jiffies()),
        }
    }

    /// One more LOOKUP reply named this node; its attributes hold until
    /// `attr_expiry`.
    pub(crate) fn looked_up(&self, attr_expiry: u64) {
        self.lookups.fetch_add(1, Ordering::Relaxed);
        self.refreshed(attr_expiry);
    }

    /// Fresh attributes were taken, valid until `attr_expiry`.
    pub(crate) fn refreshed(&self, attr_expiry: u64) {
        self.attr_expiry.store(attr_expiry, Ordering::Relaxed);
    }

    /// Whether the cached attributes may still be used.
    pub(crate) fn attr_fresh(&self) -> bool {
        time_before(jiffies(), self.attr_expiry.load(Ordering::Relaxed))
    }

    /// LOOKUP replies counted so far.
    pub(crate) fn lookups(&self) -> u64 {
        self.lookups.load(Ordering::Relaxed)
    }
}

/// How long INIT and DESTROY may take, in jiffies.
fn handshake_timeout() -> u64 {
    INIT_TIMEOUT_SECS * u64::from(hz())
}

impl Client {
    /// Claims `connection` and does the INIT handshake, offering
    /// `extensions` and, to every daemon, FUSE's no-open protocol (a daemon
    /// that keeps no state per open file needs no OPEN or RELEASE of one;
    /// see `file.rs`). On failure the connection is shut down, so the
    /// daemon's reads end with ENODEV.
    pub(crate) fn init(connection: Arc<Connection>, extensions: u64) -> Result<Self> {
        connection.claim()?;
        let transport = &connection.transport;
        let offered = extensions | u64::from(FUSE_NO_OPEN_SUPPORT);
        let init = build_init_in(offered, 0);
        let result = transport
            .call_within(
                Pending::Init { offered },
                header(Opcode::Init, 0),
                |buf, h| encode_request(buf, h, &init, &[]),
                Some(handshake_timeout()),
            )
            .and_then(|reply| match reply.body()? {
                ReplyBody::Init(params) => Ok(params),
                _ => Err(EIO),
            });
        let params = match result {
            Ok(p) => p,
            // A signal before the daemon read INIT: nothing happened on the
            // connection, so it stays as it was and `mount(2)` restarts
            // (SA_RESTART) or fails with EINTR; either way the daemon can
            // be mounted again.
            Err(e) if e == ERESTARTSYS => {
                connection.unclaim();
                return Err(e);
            }
            Err(e) if e == etimedout() => {
                pr_err!(
                    "the daemon did not answer INIT within {} s\n",
                    INIT_TIMEOUT_SECS
                );
                transport.close(ENODEV);
                return Err(e);
            }
            Err(e) => {
                pr_err!("INIT handshake with the daemon failed: {:?}\n", e);
                transport.close(ENODEV);
                return Err(e);
            }
        };
        Self::new(connection.clone(), params).inspect_err(|_| transport.close(ENODEV))
    }

    /// DESTROY at unmount (every inode is gone), bounded as INIT: the
    /// super block is locked, and the last unmount may run in a kworker
    /// that no signal reaches. The connection stays open for the caller
    /// to close.
    pub(crate) fn destroy(&self) {
        let result = self.connection.transport.call_within(
            Pending::Destroy,
            header(Opcode::Destroy, 0),
            |b, h| encode_request(b, h, &(), &[]),
            Some(handshake_timeout()),
        );
        if let Err(e) = result {
            if e != enotconn() {
                pr_info!("DESTROY: {:?}\n", e);
            }
        }
    }

    /// GETATTR of node `ino`: its attributes and until when they hold.
    pub(crate) fn getattr(&self, ino: u64) -> Result<(InodeAttr, u64)> {
        let body = fuse_getattr_in {
            getattr_flags: 0,
            dummy: 0,
            fh: 0,
        };
        let reply = self.call(Pending::GetAttr, Opcode::GetAttr, ino, |b, h| {
            encode_request(b, h, &body, &[])
        })?;
        match reply.body()? {
            ReplyBody::Attr(a) => Ok((attr_of(ino, &a.raw.attr), expiry(a.attr_timeout))),
            _ => Err(EIO),
        }
    }

    /// STATFS (of the root: FUSE asks the daemon about the whole mount).
    pub(crate) fn statfs(&self) -> Result<StatFs> {
        let reply = self.call(Pending::Statfs, Opcode::Statfs, ROOT_ID, |b, h| {
            encode_request(b, h, &(), &[])
        })?;
        match reply.body()? {
            ReplyBody::Statfs(st) => Ok(StatFs {
                bsize: st.bsize,
                blocks: st.blocks,
                bfree: st.bfree,
                files: st.files,
                ffree: st.ffree,
                namelen: st.namelen,
            }),
            _ => Err(EIO),
        }
    }
}
