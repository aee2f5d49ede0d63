// SPDX-License-Identifier: GPL-2.0

//! FUSE message framing in both directions, over caller buffers.
//!
//! - Module side: [`encode_request`] and friends build requests;
//!   [`parse_reply_header`] checks a reply's header (the module then finds
//!   the outstanding request by `unique`) and [`validate_reply`] checks its
//!   body against what that request expects.
//! - Daemon side: [`decode_request`] parses a request; [`encode_reply`],
//!   [`encode_error`] and [`finish_reply`] build replies.
//!
//! Errors are [`WireError`] (framing, both sides) and [`ReplyError`]
//! (reply validation); both map to an errno with `errno()`.

use super::abi::{
    fuse_attr_out, fuse_batch_forget_in, fuse_entry_out, fuse_forget_in, fuse_forget_one,
    fuse_getattr_in, fuse_in_header, fuse_init_in, fuse_init_out, fuse_interrupt_in, fuse_kstatfs,
    fuse_open_in, fuse_open_out, fuse_out_header, fuse_read_in, fuse_release_in, fuse_statfs_out,
    Opcode, FOPEN_PASSTHROUGH, IN_HEADER_LEN, LOOKUP_FMAP_MAX, MAX_DAXDEVS, NAME_MAX,
    OUT_HEADER_LEN, ROOT_ID,
};
use super::attr::{check_attr, AttrError, FileKind, Timeout};
use super::codec::Field;
use super::daxdev::{parse_daxdev_reply, DaxdevError, DaxdevRef};
use super::dirent::{check_name, DirentError, Dirents};
use super::errno;
use super::fmap::{FmapError, FmapRef};
use super::init::{check_init_reply, InitError, InitParams};

/// Bytes of a FUSE_INIT request body sent by kernels older than protocol
/// 7.36 (no flags2); accepted by [`decode_request`] and zero-extended.
pub const INIT_IN_MIN_LEN: usize = 16;

/// `open_flags` bits the module accepts in an OPEN/OPENDIR reply: every
/// defined FOPEN_* bit except PASSTHROUGH.
pub const OPEN_FLAGS_ALLOWED: u32 = (FOPEN_PASSTHROUGH << 1) - 1 - FOPEN_PASSTHROUGH;

/// A framing error (building or decoding a message).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum WireError {
    /// The caller's buffer cannot hold the message (ERANGE).
    NoSpace,
    /// The message is shorter than its header or body needs (EIO).
    Truncated,
    /// The header's length differs from the message's (EIO).
    Length,
    /// A name is empty, too long, or contains '/' or NUL (EINVAL).
    Name,
    /// An errno outside 1..=511 (EINVAL).
    Errno,
    /// A device index outside the daxdev table (EINVAL).
    DevIndex,
}

impl WireError {
    /// The errno for this error.
    pub const fn errno(self) -> i32 {
        match self {
            Self::NoSpace => errno::ERANGE,
            Self::Truncated | Self::Length => errno::EIO,
            Self::Name | Self::Errno | Self::DevIndex => errno::EINVAL,
        }
    }
}

/// The module-side fields of a request header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RequestHeader {
    /// The operation.
    pub opcode: Opcode,
    /// Request id, unique among outstanding requests.
    pub unique: u64,
    /// Target inode (GET_DAXDEV: the device index).
    pub nodeid: u64,
    /// Caller's uid.
    pub uid: u32,
    /// Caller's gid.
    pub gid: u32,
    /// Caller's pid.
    pub pid: u32,
}

impl RequestHeader {
    /// Writes the in header of a `len`-byte request at the start of `buf`.
    fn write(&self, buf: &mut [u8], len: usize) -> Result<(), WireError> {
        let hdr = fuse_in_header {
            len: u32::try_from(len).map_err(|_| WireError::NoSpace)?,
            opcode: self.opcode.raw(),
            unique: self.unique,
            nodeid: self.nodeid,
            uid: self.uid,
            gid: self.gid,
            pid: self.pid,
            total_extlen: 0,
            padding: 0,
        };
        hdr.put(buf).ok_or(WireError::NoSpace)
    }
}

/// Writes in_header + `body` + `tail` into `buf`; returns the length.
pub fn encode_request<B: Field>(
    buf: &mut [u8],
    h: &RequestHeader,
    body: &B,
    tail: &[u8],
) -> Result<usize, WireError> {
    let body_end = IN_HEADER_LEN
        .checked_add(B::SIZE)
        .ok_or(WireError::NoSpace)?;
    let len = body_end.checked_add(tail.len()).ok_or(WireError::NoSpace)?;
    let msg = buf.get_mut(..len).ok_or(WireError::NoSpace)?;
    h.write(msg, len)?;
    body.put(msg.get_mut(IN_HEADER_LEN..).ok_or(WireError::NoSpace)?)
        .ok_or(WireError::NoSpace)?;
    msg.get_mut(body_end..)
        .ok_or(WireError::NoSpace)?
        .copy_from_slice(tail);
    Ok(len)
}

/// Writes a LOOKUP request for `name` (checked: 1..=255 bytes, no '/', no
/// NUL) into `buf`; the name goes on the wire NUL-terminated.
pub fn encode_lookup(buf: &mut [u8], h: &RequestHeader, name: &[u8]) -> Result<usize, WireError> {
    check_name(name).map_err(|_| WireError::Name)?;
    let len = encode_request(buf, h, &(), name)?;
    let end = len.checked_add(1).ok_or(WireError::NoSpace)?;
    *buf.get_mut(len).ok_or(WireError::NoSpace)? = 0;
    let lenf = u32::try_from(end).map_err(|_| WireError::NoSpace)?;
    lenf.put(buf).ok_or(WireError::NoSpace)?;
    Ok(end)
}

/// Writes a BATCH_FORGET request for `items` into `buf`.
pub fn encode_batch_forget(
    buf: &mut [u8],
    h: &RequestHeader,
    items: &[fuse_forget_one],
) -> Result<usize, WireError> {
    let head = fuse_batch_forget_in {
        count: u32::try_from(items.len()).map_err(|_| WireError::NoSpace)?,
        dummy: 0,
    };
    let start = IN_HEADER_LEN
        .checked_add(fuse_batch_forget_in::SIZE)
        .ok_or(WireError::NoSpace)?;
    let tail_len = items
        .len()
        .checked_mul(fuse_forget_one::SIZE)
        .ok_or(WireError::NoSpace)?;
    let end = start.checked_add(tail_len).ok_or(WireError::NoSpace)?;
    let tail = buf.get_mut(start..end).ok_or(WireError::NoSpace)?;
    for (item, slot) in items
        .iter()
        .zip(tail.chunks_exact_mut(fuse_forget_one::SIZE))
    {
        item.put(slot).ok_or(WireError::NoSpace)?;
    }
    // The tail is already in place; write header and body around it.
    h.write(buf, end)?;
    head.put(buf.get_mut(IN_HEADER_LEN..).ok_or(WireError::NoSpace)?)
        .ok_or(WireError::NoSpace)?;
    Ok(end)
}

/// A decoded request (daemon side).
#[derive(Debug, Clone, Copy)]
pub struct Request<'a> {
    /// The header.
    pub header: fuse_in_header,
    /// The operation and its body.
    pub op: Op<'a>,
}

/// A request's operation with its decoded body.
#[derive(Debug, Clone, Copy)]
pub enum Op<'a> {
    /// INIT (bodies from kernels before 7.36 are zero-extended).
    Init(fuse_init_in),
    /// LOOKUP of `name` (without NUL) in `header.nodeid`.
    Lookup(&'a [u8]),
    /// FORGET (no reply).
    Forget(fuse_forget_in),
    /// GETATTR.
    GetAttr(fuse_getattr_in),
    /// OPEN.
    Open(fuse_open_in),
    /// READ.
    Read(fuse_read_in),
    /// STATFS.
    Statfs,
    /// RELEASE.
    Release(fuse_release_in),
    /// OPENDIR.
    OpenDir(fuse_open_in),
    /// READDIR.
    ReadDir(fuse_read_in),
    /// RELEASEDIR.
    ReleaseDir(fuse_release_in),
    /// INTERRUPT.
    Interrupt(fuse_interrupt_in),
    /// DESTROY.
    Destroy,
    /// BATCH_FORGET (no reply).
    BatchForget(ForgetList<'a>),
    /// GET_FMAP for `header.nodeid`.
    GetFmap,
    /// GET_DAXDEV for the device index in `header.nodeid`.
    GetDaxdev(u64),
    /// An opcode famfs_rs does not know (answer ENOSYS), with its body.
    Other(u32, &'a [u8]),
}

/// The entries of a BATCH_FORGET request.
#[derive(Debug, Clone, Copy)]
pub struct ForgetList<'a> {
    bytes: &'a [u8],
}

impl<'a> ForgetList<'a> {
    /// Number of entries.
    pub fn len(&self) -> usize {
        self.bytes
            .len()
            .checked_div(fuse_forget_one::SIZE)
            .unwrap_or(0)
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }

    /// The entries.
    pub fn iter(&self) -> impl Iterator<Item = fuse_forget_one> + 'a {
        self.bytes
            .chunks_exact(fuse_forget_one::SIZE)
            .filter_map(fuse_forget_one::get)
    }
}

fn body<B: Field>(b: &[u8]) -> Result<B, WireError> {
    B::get(b).ok_or(WireError::Truncated)
}

/// Parses a request read from the control device (daemon side): checks
/// the header length against the bytes read, strips request extensions,
/// and decodes the body of known opcodes (a body longer than the struct is
/// accepted, as newer kernels may extend it).
pub fn decode_request(msg: &[u8]) -> Result<Request<'_>, WireError> {
    let header = fuse_in_header::get(msg).ok_or(WireError::Truncated)?;
    if usize::try_from(header.len).ok() != Some(msg.len()) {
        return Err(WireError::Length);
    }
    let all = msg.get(IN_HEADER_LEN..).ok_or(WireError::Truncated)?;
    let ext = usize::from(header.total_extlen)
        .checked_mul(8)
        .ok_or(WireError::Truncated)?;
    let b = all
        .get(..all.len().checked_sub(ext).ok_or(WireError::Truncated)?)
        .ok_or(WireError::Truncated)?;
    let op = match Opcode::from_raw(header.opcode) {
        Some(Opcode::Init) => {
            if b.len() < INIT_IN_MIN_LEN {
                return Err(WireError::Truncated);
            }
            let mut full = [0u8; fuse_init_in::SIZE];
            let n = b.len().min(fuse_init_in::SIZE);
            full.get_mut(..n)
                .ok_or(WireError::Truncated)?
                .copy_from_slice(b.get(..n).ok_or(WireError::Truncated)?);
            Op::Init(body(&full)?)
        }
        Some(Opcode::Lookup) => {
            let nul = b.iter().position(|&c| c == 0).ok_or(WireError::Name)?;
            let name = b.get(..nul).ok_or(WireError::Name)?;
            check_name(name).map_err(|_| WireError::Name)?;
            Op::Lookup(name)
        }
        Some(Opcode::Forget) => Op::Forget(body(b)?),
        Some(Opcode::GetAttr) => Op::GetAttr(body(b)?),
        Some(Opcode::Open) => Op::Open(body(b)?),
        Some(Opcode::Read) => Op::Read(body(b)?),
        Some(Opcode::Statfs) => Op::Statfs,
        Some(Opcode::Release) => Op::Release(body(b)?),
        Some(Opcode::OpenDir) => Op::OpenDir(body(b)?),
        Some(Opcode::ReadDir) => Op::ReadDir(body(b)?),
        Some(Opcode::ReleaseDir) => Op::ReleaseDir(body(b)?),
        Some(Opcode::Interrupt) => Op::Interrupt(body(b)?),
        Some(Opcode::Destroy) => Op::Destroy,
        Some(Opcode::BatchForget) => {
            let head: fuse_batch_forget_in = body(b)?;
            let n = usize::try_from(head.count).map_err(|_| WireError::Truncated)?;
            let len = n
                .checked_mul(fuse_forget_one::SIZE)
                .ok_or(WireError::Truncated)?;
            let end = fuse_batch_forget_in::SIZE
                .checked_add(len)
                .ok_or(WireError::Truncated)?;
            let bytes = b
                .get(fuse_batch_forget_in::SIZE..end)
                .ok_or(WireError::Truncated)?;
            Op::BatchForget(ForgetList { bytes })
        }
        Some(Opcode::GetFmap) => Op::GetFmap,
        Some(Opcode::GetDaxdev) => Op::GetDaxdev(header.nodeid),
        None => Op::Other(header.opcode, b),
    };
    Ok(Request { header, op })
}

/// Writes the out header for a reply whose `body_len` bytes are already in
/// place after it (`buf[16..16 + body_len]`); returns the reply length.
/// Lets the daemon build variable bodies (fmaps, dirents) without copying.
pub fn finish_reply(buf: &mut [u8], unique: u64, body_len: usize) -> Result<usize, WireError> {
    let len = OUT_HEADER_LEN
        .checked_add(body_len)
        .ok_or(WireError::NoSpace)?;
    if buf.len() < len {
        return Err(WireError::NoSpace);
    }
    let h = fuse_out_header {
        len: u32::try_from(len).map_err(|_| WireError::NoSpace)?,
        error: 0,
        unique,
    };
    h.put(buf).ok_or(WireError::NoSpace)?;
    Ok(len)
}

/// The body area of a reply buffer, for [`finish_reply`].
pub fn reply_body_mut(buf: &mut [u8]) -> Option<&mut [u8]> {
    buf.get_mut(OUT_HEADER_LEN..)
}

/// Writes a successful reply with a fixed body (`&()` for none).
pub fn encode_reply<B: Field>(buf: &mut [u8], unique: u64, body: &B) -> Result<usize, WireError> {
    body.put(reply_body_mut(buf).ok_or(WireError::NoSpace)?)
        .ok_or(WireError::NoSpace)?;
    finish_reply(buf, unique, B::SIZE)
}

/// Writes an error reply; `errno` is positive (1..=511).
pub fn encode_error(buf: &mut [u8], unique: u64, errno: i32) -> Result<usize, WireError> {
    if !(1..=errno::MAX_DAEMON_ERRNO).contains(&errno) {
        return Err(WireError::Errno);
    }
    let h = fuse_out_header {
        len: OUT_HEADER_LEN as u32,
        error: errno.checked_neg().ok_or(WireError::Errno)?,
        unique,
    };
    h.put(buf).ok_or(WireError::NoSpace)?;
    Ok(OUT_HEADER_LEN)
}

/// Writes a GET_DAXDEV request for device `index` (carried in nodeid).
pub fn encode_get_daxdev(buf: &mut [u8], unique: u64, index: u32) -> Result<usize, WireError> {
    if index >= MAX_DAXDEVS {
        return Err(WireError::DevIndex);
    }
    let h = RequestHeader {
        opcode: Opcode::GetDaxdev,
        unique,
        nodeid: u64::from(index),
        uid: 0,
        gid: 0,
        pid: 0,
    };
    encode_request(buf, &h, &(), &[])
}

/// Why a reply was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReplyError {
    /// Fewer than 16 bytes written (EINVAL, the daemon's write fails).
    ShortHeader,
    /// `len` differs from the bytes written (EINVAL).
    Length,
    /// Longer than the module accepts (EINVAL).
    TooLong,
    /// `error` outside -511..=0 (EINVAL).
    Errno(i32),
    /// An error reply with a body (EINVAL).
    ErrorWithBody,
    /// The daemon answered this errno (positive); not a malformed reply.
    Daemon(i32),
    /// The body size does not fit the request (EIO).
    BodySize {
        /// The request's opcode.
        opcode: Opcode,
        /// Body bytes received.
        got: usize,
    },
    /// LOOKUP answered nodeid 0 (negative entries are sent as ENOENT) (EIO).
    ZeroNodeId,
    /// LOOKUP answered the root's nodeid (EIO).
    RootNodeId,
    /// Bad attributes (EIO).
    Attr(AttrError),
    /// Bad INIT reply (EPROTO or EIO).
    Init(InitError),
    /// OPEN/OPENDIR reply with unsupported flags or a backing id (EIO).
    OpenFlags,
    /// Inconsistent statfs figures (EIO).
    Statfs,
    /// Bad READDIR body (EIO).
    Dirent(DirentError),
    /// Bad GET_FMAP body, or a bad map in a LOOKUP reply (EIO).
    Fmap(FmapError),
    /// A LOOKUP reply carries a map where none may be: not negotiated, not
    /// a regular file, longer than `LOOKUP_FMAP_MAX`, or of another size
    /// than the file's (EIO).
    LookupFmap,
    /// Bad GET_DAXDEV body (EIO).
    Daxdev(DaxdevError),
    /// A reply to a request that has none (FORGET, BATCH_FORGET) (EINVAL).
    Unexpected,
}

impl ReplyError {
    /// The errno: header problems (the daemon's write fails) EINVAL; the
    /// daemon's own error as sent; version mismatch EPROTO; any other body
    /// problem EIO (the waiting request fails).
    pub const fn errno(self) -> i32 {
        match self {
            Self::ShortHeader
            | Self::Length
            | Self::TooLong
            | Self::Errno(_)
            | Self::ErrorWithBody
            | Self::Unexpected => errno::EINVAL,
            Self::Daemon(e) => e,
            Self::Attr(e) => e.errno(),
            Self::Init(e) => e.errno(),
            Self::Dirent(_) => errno::EIO,
            Self::Fmap(_) => errno::EIO,
            Self::Daxdev(e) => e.errno(),
            Self::BodySize { .. }
            | Self::ZeroNodeId
            | Self::RootNodeId
            | Self::OpenFlags
            | Self::LookupFmap
            | Self::Statfs => errno::EIO,
        }
    }

    /// Whether the daemon sent something malformed (worth a log line), as
    /// opposed to answering with an errno.
    pub const fn is_malformed(self) -> bool {
        !matches!(self, Self::Daemon(_))
    }
}

/// A checked reply header.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReplyHeader {
    /// The request this answers.
    pub unique: u64,
    /// 0, or the daemon's errno (positive).
    pub errno: i32,
    /// Body length.
    pub body_len: usize,
}

/// Checks the header of a reply written to the control device: at least
/// 16 bytes, `len` equal to the bytes written and at most `max`, `error`
/// 0 or -511..=-1 (512 and up are kernel-internal codes), no body with an
/// error. Returns the header and the body.
pub fn parse_reply_header(msg: &[u8], max: usize) -> Result<(ReplyHeader, &[u8]), ReplyError> {
    let h = fuse_out_header::get(msg).ok_or(ReplyError::ShortHeader)?;
    if usize::try_from(h.len).ok() != Some(msg.len()) {
        return Err(ReplyError::Length);
    }
    if msg.len() > max {
        return Err(ReplyError::TooLong);
    }
    let body = msg.get(OUT_HEADER_LEN..).ok_or(ReplyError::ShortHeader)?;
    if h.error > 0 || h.error < -errno::MAX_DAEMON_ERRNO {
        return Err(ReplyError::Errno(h.error));
    }
    if h.error != 0 && !body.is_empty() {
        return Err(ReplyError::ErrorWithBody);
    }
    Ok((
        ReplyHeader {
            unique: h.unique,
            errno: h.error.saturating_neg(),
            body_len: body.len(),
        },
        body,
    ))
}

/// What the module's outstanding request expects back (kept in its
/// request table with the unique).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Pending {
    /// INIT that offered these flags.
    Init {
        /// 64-bit flags offered.
        offered: u64,
    },
    /// LOOKUP.
    Lookup,
    /// LOOKUP whose reply may carry the file's map
    /// (FAMFS_RS_INIT_LOOKUP_FMAP).
    LookupFmap,
    /// GETATTR.
    GetAttr,
    /// OPEN.
    Open,
    /// OPENDIR.
    OpenDir,
    /// READ of at most `size` bytes.
    Read {
        /// Requested size.
        size: u32,
    },
    /// STATFS.
    Statfs,
    /// RELEASE.
    Release,
    /// RELEASEDIR.
    ReleaseDir,
    /// READDIR of at most `size` bytes after cookie `offset`.
    ReadDir {
        /// Requested size.
        size: u32,
        /// Requested cookie.
        offset: u64,
    },
    /// INTERRUPT.
    Interrupt,
    /// DESTROY.
    Destroy,
    /// GET_FMAP.
    GetFmap,
    /// GET_DAXDEV for device `index`.
    GetDaxdev {
        /// Requested device index.
        index: u64,
        /// The reply may name the device by number (protocol 3).
        with_dev: bool,
    },
}

impl Pending {
    /// The opcode of the request.
    pub const fn opcode(self) -> Opcode {
        match self {
            Self::Init { .. } => Opcode::Init,
            Self::Lookup | Self::LookupFmap => Opcode::Lookup,
            Self::GetAttr => Opcode::GetAttr,
            Self::Open => Opcode::Open,
            Self::OpenDir => Opcode::OpenDir,
            Self::Read { .. } => Opcode::Read,
            Self::Statfs => Opcode::Statfs,
            Self::Release => Opcode::Release,
            Self::ReleaseDir => Opcode::ReleaseDir,
            Self::ReadDir { .. } => Opcode::ReadDir,
            Self::Interrupt => Opcode::Interrupt,
            Self::Destroy => Opcode::Destroy,
            Self::GetFmap => Opcode::GetFmap,
            Self::GetDaxdev { .. } => Opcode::GetDaxdev,
        }
    }
}

/// A LOOKUP reply that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EntryReply {
    /// The raw reply.
    pub raw: fuse_entry_out,
    /// The inode's kind.
    pub kind: FileKind,
    /// How long the name may be cached.
    pub entry_timeout: Timeout,
    /// How long the attributes may be cached.
    pub attr_timeout: Timeout,
}

/// A GETATTR reply that passed validation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct AttrReply {
    /// The raw reply.
    pub raw: fuse_attr_out,
    /// The inode's kind (the module checks it did not change).
    pub kind: FileKind,
    /// How long the attributes may be cached.
    pub attr_timeout: Timeout,
}

/// A validated reply body.
#[derive(Debug, Clone, Copy)]
pub enum ReplyBody<'a> {
    /// INIT: the negotiated parameters.
    Init(InitParams),
    /// LOOKUP.
    Entry(EntryReply),
    /// LOOKUP of a regular file with its map, checked as a GET_FMAP
    /// reply's.
    EntryFmap(EntryReply, FmapRef<'a>),
    /// GETATTR.
    Attr(AttrReply),
    /// OPEN / OPENDIR.
    Open(fuse_open_out),
    /// STATFS.
    Statfs(fuse_kstatfs),
    /// RELEASE, RELEASEDIR, DESTROY, INTERRUPT.
    Empty,
    /// READ data (at most the requested size).
    Data(&'a [u8]),
    /// READDIR entries.
    Dirents(Dirents<'a>),
    /// GET_FMAP.
    Fmap(FmapRef<'a>),
    /// GET_DAXDEV.
    Daxdev(DaxdevRef<'a>),
}

fn exact<B: Field>(opcode: Opcode, body: &[u8]) -> Result<B, ReplyError> {
    if body.len() != B::SIZE {
        return Err(ReplyError::BodySize {
            opcode,
            got: body.len(),
        });
    }
    B::get(body).ok_or(ReplyError::BodySize {
        opcode,
        got: body.len(),
    })
}

/// A LOOKUP reply's entry (exactly `fuse_entry_out`).
fn check_entry(op: Opcode, body: &[u8]) -> Result<EntryReply, ReplyError> {
    let e: fuse_entry_out = exact(op, body)?;
    if e.nodeid == 0 {
        return Err(ReplyError::ZeroNodeId);
    }
    if e.nodeid == ROOT_ID {
        return Err(ReplyError::RootNodeId);
    }
    let kind = check_attr(&e.attr).map_err(ReplyError::Attr)?;
    Ok(EntryReply {
        raw: e,
        kind,
        entry_timeout: Timeout::new(e.entry_valid, e.entry_valid_nsec),
        attr_timeout: Timeout::new(e.attr_valid, e.attr_valid_nsec),
    })
}

fn check_statfs(s: &fuse_kstatfs) -> Result<(), ReplyError> {
    let pow2_or_zero = |v: u32| v == 0 || v.is_power_of_two();
    let ok = s.bfree <= s.blocks
        && s.bavail <= s.bfree
        && s.ffree <= s.files
        && s.bsize != 0
        && pow2_or_zero(s.bsize)
        && pow2_or_zero(s.frsize)
        && s.namelen != 0
        && usize::try_from(s.namelen).is_ok_and(|n| n <= NAME_MAX);
    if ok {
        Ok(())
    } else {
        Err(ReplyError::Statfs)
    }
}

/// Validates a reply's body against the outstanding request it answers,
/// given the header and body from [`parse_reply_header`]. A daemon error
/// comes back as [`ReplyError::Daemon`].
pub fn validate_reply<'a>(
    pending: Pending,
    header: &ReplyHeader,
    body: &'a [u8],
) -> Result<ReplyBody<'a>, ReplyError> {
    if header.errno != 0 {
        return Err(ReplyError::Daemon(header.errno));
    }
    let op = pending.opcode();
    let size_err = ReplyError::BodySize {
        opcode: op,
        got: body.len(),
    };
    Ok(match pending {
        Pending::Init { offered } => {
            let o: fuse_init_out = exact(op, body)?;
            ReplyBody::Init(check_init_reply(&o, offered).map_err(ReplyError::Init)?)
        }
        Pending::Lookup => ReplyBody::Entry(check_entry(op, body)?),
        Pending::LookupFmap => {
            let (entry, map) = body.split_at(body.len().min(fuse_entry_out::SIZE));
            let e = check_entry(op, entry)?;
            if map.is_empty() {
                return Ok(ReplyBody::Entry(e));
            }
            if e.kind != FileKind::Regular || map.len() > LOOKUP_FMAP_MAX {
                return Err(ReplyError::LookupFmap);
            }
            let fmap = FmapRef::parse(map).map_err(ReplyError::Fmap)?;
            if fmap.file_size() != e.raw.attr.size {
                return Err(ReplyError::LookupFmap);
            }
            ReplyBody::EntryFmap(e, fmap)
        }
        Pending::GetAttr => {
            let a: fuse_attr_out = exact(op, body)?;
            let kind = check_attr(&a.attr).map_err(ReplyError::Attr)?;
            ReplyBody::Attr(AttrReply {
                raw: a,
                kind,
                attr_timeout: Timeout::new(a.attr_valid, a.attr_valid_nsec),
            })
        }
        Pending::Open | Pending::OpenDir => {
            let o: fuse_open_out = exact(op, body)?;
            if o.open_flags & !OPEN_FLAGS_ALLOWED != 0 || o.backing_id != 0 {
                return Err(ReplyError::OpenFlags);
            }
            ReplyBody::Open(o)
        }
        Pending::Statfs => {
            let s: fuse_statfs_out = exact(op, body)?;
            check_statfs(&s.st)?;
            ReplyBody::Statfs(s.st)
        }
        Pending::Release | Pending::ReleaseDir | Pending::Destroy | Pending::Interrupt => {
            if !body.is_empty() {
                return Err(size_err);
            }
            ReplyBody::Empty
        }
        Pending::Read { size } => {
            if usize::try_from(size).map_or(true, |s| body.len() > s) {
                return Err(size_err);
            }
            ReplyBody::Data(body)
        }
        Pending::ReadDir { size, offset } => {
            if usize::try_from(size).map_or(true, |s| body.len() > s) {
                return Err(size_err);
            }
            ReplyBody::Dirents(Dirents::parse(body, offset).map_err(ReplyError::Dirent)?)
        }
        Pending::GetFmap => ReplyBody::Fmap(FmapRef::parse(body).map_err(ReplyError::Fmap)?),
        Pending::GetDaxdev { index, with_dev } => ReplyBody::Daxdev(
            parse_daxdev_reply(body, index, with_dev).map_err(ReplyError::Daxdev)?,
        ),
    })
}

/// Checks a whole reply for `pending`: [`parse_reply_header`] then
/// [`validate_reply`] (for callers that already matched the unique).
pub fn check_reply(pending: Pending, msg: &[u8], max: usize) -> Result<ReplyBody<'_>, ReplyError> {
    let (h, body) = parse_reply_header(msg, max)?;
    validate_reply(pending, &h, body)
}
