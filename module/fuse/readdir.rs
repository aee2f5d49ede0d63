// SPDX-License-Identifier: GPL-2.0

//! READDIR (fs/fuse/readdir.c, without its cache: each `getdents` asks).

#![forbid(unsafe_code)]

use super::client::Client;
use crate::core_logic::famfs_core::abi::{fuse_read_in, Opcode};
use crate::core_logic::famfs_core::wire::{encode_request, Pending, ReplyBody};
use crate::kapi::vfs::DirEmitter;
use kernel::prelude::*;

/// Bytes asked for per READDIR.
const READDIR_SIZE: u32 = 4096;

impl Client {
    /// READDIRs directory `ino` (handle `fh`) from the emitter's position
    /// until the caller's buffer is full or the daemon sends nothing more.
    pub(crate) fn readdir(&self, ino: u64, fh: u64, emitter: &mut DirEmitter<'_>) -> Result {
        loop {
            let offset = emitter.pos();
            let body = fuse_read_in {
                fh,
                offset,
                size: READDIR_SIZE,
                read_flags: 0,
                lock_owner: 0,
                flags: 0,
                padding: 0,
            };
            let pending = Pending::ReadDir {
                size: READDIR_SIZE,
                offset,
            };
            let reply = self.call(pending, Opcode::ReadDir, ino, |b, h| {
                encode_request(b, h, &body, &[])
            })?;
            let ReplyBody::Dirents(dirents) = reply.body()? else {
                return Err(EIO);
            };
            if dirents.is_empty() {
                return Ok(());
            }
            for d in dirents.iter() {
                // The core checked that cookies only grow, so this loop
                // ends when the daemon runs out or the buffer fills.
                if !emitter.emit(d.name, d.ino, d.kind.dtype(), d.off) {
                    return Ok(());
                }
            }
        }
    }
}
