// SPDX-License-Identifier: GPL-2.0

//! OPEN and OPENDIR, RELEASE and RELEASEDIR (fs/fuse/file.c), with FUSE's
//! no-open protocol: a daemon that answers OPEN of a file with ENOSYS keeps
//! no state per open file, and is sent no OPEN or RELEASE of one again.

#![forbid(unsafe_code)]

use super::client::{header, Client};
use crate::core_logic::famfs_core::abi::{fuse_open_in, fuse_release_in, Opcode};
use crate::core_logic::famfs_core::wire::{encode_request, Pending, ReplyBody};
use crate::kapi::errno::enosys;
use crate::kapi::vfs::open_flags::{O_CREAT, O_EXCL, O_NOCTTY};
use core::sync::atomic::Ordering;
use kernel::prelude::*;

/// Open flags that only mean something to the VFS, not to the daemon.
const OPEN_FLAGS_LOCAL: u32 = O_CREAT | O_EXCL | O_NOCTTY;

impl Client {
    /// OPEN or OPENDIR of node `ino`; the daemon's handle. A daemon that
    /// answers OPEN of a file with ENOSYS keeps no state per open file
    /// (FUSE's no-open protocol, offered at INIT): that open succeeds with
    /// handle 0, and no OPEN or RELEASE of a file is sent again.
    pub(crate) fn open(&self, ino: u64, dir: bool, flags: u32) -> Result<u64> {
        if !dir && self.no_open.load(Ordering::Acquire) {
            return Ok(0);
        }
        let (pending, opcode) = if dir {
            (Pending::OpenDir, Opcode::OpenDir)
        } else {
            (Pending::Open, Opcode::Open)
        };
        let body = fuse_open_in {
            flags: flags & !OPEN_FLAGS_LOCAL,
            open_flags: 0,
        };
        let reply = match self.call(pending, opcode, ino, |b, h| {
            encode_request(b, h, &body, &[])
        }) {
            Err(e) if e == enosys() && !dir => {
                self.no_open.store(true, Ordering::Release);
                return Ok(0);
            }
            r => r?,
        };
        match reply.body()? {
            ReplyBody::Open(o) => Ok(o.fh),
            _ => Err(EIO),
        }
    }

    /// RELEASE or RELEASEDIR of handle `fh`, on the background queue: never
    /// waited for, never blocked on the daemon (the last close may run in a
    /// kernel worker). None for files once the daemon
    /// has said it keeps no open state (only famfs_rs's own daemon serves
    /// a famfs_rs mount, and it says so at its first OPEN of a file, so no
    /// file has a handle of the daemon's by then).
    pub(crate) fn release(&self, ino: u64, dir: bool, fh: u64, flags: u32) {
        if !dir && self.no_open.load(Ordering::Acquire) {
            return;
        }
        let (pending, opcode) = if dir {
            (Pending::ReleaseDir, Opcode::ReleaseDir)
        } else {
            (Pending::Release, Opcode::Release)
        };
        let body = fuse_release_in {
            fh,
            flags: flags & !OPEN_FLAGS_LOCAL,
            release_flags: 0,
            lock_owner: 0,
        };
        // Nothing to do on failure: the daemon is gone or reads nothing (the
        // transport counted and logged the drop); either way the handle
        // dies with the connection.
        let _ = self
            .connection
            .transport
            .send_background(pending, header(opcode, ino), |b, h| {
                encode_request(b, h, &body, &[])
            });
    }
}
