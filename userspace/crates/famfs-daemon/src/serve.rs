// SPDX-License-Identifier: GPL-2.0
//! The serving loop: read a request, hand it to the [`Server`], write the
//! replies, until the connection ends.

use std::io;

use famfs_host::dlog;

use crate::channel::{Channel, Recv, Sent};
use crate::misbehave::Case;
use crate::server::{OutKind, Server};

/// Read buffer for famfs_rs.ko (its requests are at most a few hundred
/// bytes; the module requires at least 8 KiB).
pub const FAMFS_BUFFER: usize = 64 << 10;
/// Read buffer for `/dev/fuse`: the kernel refuses reads smaller than
/// max_write plus headers.
pub const FUSE_BUFFER: usize = (1 << 20) + (64 << 10);

/// How serving ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum End {
    /// The kernel closed the connection (unmount, abort).
    Closed,
}

fn note_misbehave(case: &Case, sent: Sent, follow_up: bool) {
    match (follow_up, sent) {
        (false, Sent::Refused(e)) => {
            dlog!("misbehave {}: malformed reply refused by the kernel (errno {e})", case.name)
        }
        (false, Sent::Gone) => dlog!(
            "misbehave {}: malformed reply refused by the kernel (ENOENT: no such request)",
            case.name
        ),
        (false, Sent::Ok) => dlog!(
            "misbehave {}: the kernel ACCEPTED the malformed reply's write",
            case.name
        ),
        (true, Sent::Gone) => dlog!(
            "misbehave {}: follow-up ENOENT: the kernel had already failed the request",
            case.name
        ),
        (true, Sent::Ok) => dlog!(
            "misbehave {}: follow-up accepted: the kernel had KEPT the request after the malformed reply",
            case.name
        ),
        (true, Sent::Refused(e)) => {
            dlog!("misbehave {}: follow-up refused (errno {e})", case.name)
        }
        (_, Sent::Closed) => {}
    }
}

/// Serves `chan` until the connection ends. I/O errors other than the
/// end of the connection are returned.
pub fn serve(chan: &dyn Channel, server: &mut Server, bufsize: usize) -> io::Result<End> {
    let mut buf = vec![0u8; bufsize];
    loop {
        let n = match chan.recv(&mut buf)? {
            Recv::Msg(n) => n,
            Recv::Closed => return Ok(End::Closed),
        };
        for out in server.handle(&buf[..n]) {
            let sent = chan.send(&out.bytes)?;
            match (out.kind, sent) {
                (_, Sent::Closed) => return Ok(End::Closed),
                (OutKind::Reply, Sent::Refused(e)) => dlog!(
                    "the kernel refused our reply to unique {} (opcode {}, {} bytes): errno {e}; \
                     this is a daemon bug",
                    out.unique,
                    out.opcode,
                    out.bytes.len()
                ),
                (OutKind::Reply, _) => {}
                (OutKind::Malformed(c), s) => note_misbehave(c, s, false),
                (OutKind::FollowUp(c), s) => note_misbehave(c, s, true),
            }
        }
    }
}
