// SPDX-License-Identifier: GPL-2.0
//! The metadata log: a 48-byte header, then 544-byte entries.

use core::mem::{offset_of, size_of};

use serde::Serialize;
use uuid::Uuid;
use zerocopy::little_endian::{U32, U64};
use zerocopy::{transmute_ref, FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::fmap::{Fmap, OmfFmap};
use crate::superblock::check_log_len;
use crate::{crc, OmfError, LOG_MAGIC, RELPATH_LEN};

/// Log header, at the start of the log.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfLogHeader {
    pub magic: U64,
    /// Length of the whole log in bytes.
    pub len: U64,
    /// Last usable slot, inclusive.
    pub last_index: U64,
    /// CRC of `magic`, `len`, `last_index`.
    pub crc: U64,
    pub next_seqnum: U64,
    /// Next free slot.
    pub next_index: U64,
}

/// One log entry (a slot).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfLogEntry {
    pub seqnum: U64,
    pub entry_type: U32,
    pub _pad: [u8; 4],
    /// The union: [`OmfFileBody`], [`OmfMkdirBody`], [`OmfAddDaxdevBody`].
    pub body: [u8; 520],
    /// CRC of every byte before it, padding included.
    pub crc: U64,
}

/// FILE entry body.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfFileBody {
    pub fm_size: U64,
    pub fm_flags: U32,
    pub uid: U32,
    pub gid: U32,
    pub mode: U32,
    pub relpath: [u8; RELPATH_LEN],
    pub fmap: OmfFmap,
}

/// MKDIR entry body (padded to the union's size).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfMkdirBody {
    pub uid: U32,
    pub gid: U32,
    pub mode: U32,
    pub relpath: [u8; RELPATH_LEN],
    pub _rest: [u8; 428],
}

/// ADD_DAXDEV entry body (padded to the union's size).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfAddDaxdevBody {
    pub size: U64,
    pub uuid: [u8; 16],
    pub index: U32,
    pub _rest: [u8; 492],
}

const _: () = {
    assert!(size_of::<OmfLogHeader>() == 48);
    assert!(offset_of!(OmfLogHeader, len) == 8);
    assert!(offset_of!(OmfLogHeader, last_index) == 16);
    assert!(offset_of!(OmfLogHeader, crc) == 24);
    assert!(offset_of!(OmfLogHeader, next_seqnum) == 32);
    assert!(offset_of!(OmfLogHeader, next_index) == 40);
    assert!(size_of::<OmfLogEntry>() == 544);
    assert!(offset_of!(OmfLogEntry, entry_type) == 8);
    assert!(offset_of!(OmfLogEntry, body) == 16);
    assert!(offset_of!(OmfLogEntry, crc) == 536);
    assert!(size_of::<OmfFileBody>() == 520);
    assert!(offset_of!(OmfFileBody, fm_flags) == 8);
    assert!(offset_of!(OmfFileBody, uid) == 12);
    assert!(offset_of!(OmfFileBody, gid) == 16);
    assert!(offset_of!(OmfFileBody, mode) == 20);
    assert!(offset_of!(OmfFileBody, relpath) == 24);
    assert!(offset_of!(OmfFileBody, fmap) == 104);
    assert!(size_of::<OmfMkdirBody>() == 520);
    assert!(offset_of!(OmfMkdirBody, gid) == 4);
    assert!(offset_of!(OmfMkdirBody, mode) == 8);
    assert!(offset_of!(OmfMkdirBody, relpath) == 12);
    assert!(size_of::<OmfAddDaxdevBody>() == 520);
    assert!(offset_of!(OmfAddDaxdevBody, uuid) == 8);
    assert!(offset_of!(OmfAddDaxdevBody, index) == 24);
};

const HEADER_CRC_SPAN: usize = offset_of!(OmfLogHeader, crc);
const ENTRY_CRC_SPAN: usize = offset_of!(OmfLogEntry, crc);

/// Entry types.
const TYPE_FILE: u32 = 0;
const TYPE_MKDIR: u32 = 1;
const TYPE_DELETE: u32 = 2;
const TYPE_ADD_DAXDEV: u32 = 3;

/// Number of entry slots a log of `len` bytes holds.
pub const fn log_slots(len: u64) -> u64 {
    let hdr = size_of::<OmfLogHeader>() as u64;
    if len < hdr {
        return 0;
    }
    (len - hdr) / size_of::<OmfLogEntry>() as u64
}

impl OmfLogHeader {
    /// Size of the header; entries follow it.
    pub const SIZE: usize = size_of::<Self>();

    /// An empty log of `len` bytes.
    pub fn new(len: u64) -> Self {
        let mut h = OmfLogHeader {
            magic: LOG_MAGIC.into(),
            len: len.into(),
            last_index: log_slots(len).saturating_sub(1).into(),
            crc: 0.into(),
            next_seqnum: 0.into(),
            next_index: 0.into(),
        };
        h.crc = h.computed_crc().into();
        h
    }

    /// The CRC the header should carry.
    pub fn computed_crc(&self) -> u64 {
        crc(&self.as_bytes()[..HEADER_CRC_SPAN])
    }

    /// View the header at the start of `bytes`, checking magic, CRC and
    /// that `last_index` agrees with `len`. `next_index` is checked by the
    /// caller, who knows how far it may trust the header.
    pub fn parse(bytes: &[u8]) -> Result<&Self, OmfError> {
        let (h, _) = Self::ref_from_prefix(bytes).map_err(|_| OmfError::Truncated {
            what: "log header",
            need: Self::SIZE,
            have: bytes.len(),
        })?;
        if h.magic.get() != LOG_MAGIC {
            return Err(OmfError::BadMagic {
                what: "log header",
                found: h.magic.get(),
                expected: LOG_MAGIC,
            });
        }
        let (stored, computed) = (h.crc.get(), h.computed_crc());
        if stored != computed {
            return Err(OmfError::BadCrc {
                what: "log header",
                stored,
                computed,
            });
        }
        let bad = |msg: String| OmfError::BadGeometry {
            what: "log header",
            msg,
        };
        check_log_len(h.len.get()).map_err(bad)?;
        let expect = log_slots(h.len.get()).saturating_sub(1);
        if h.last_index.get() != expect {
            return Err(bad(format!(
                "last index {} does not match log length {:#x} (expected {expect})",
                h.last_index.get(),
                h.len.get()
            )));
        }
        Ok(h)
    }

    /// Slots in this log.
    pub fn slots(&self) -> u64 {
        self.last_index.get().saturating_add(1)
    }
}

/// What a FILE entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FileCreation {
    pub path: String,
    pub size: u64,
    pub flags: u32,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub fmap: Fmap,
}

/// What a MKDIR entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct MkdirRecord {
    pub path: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
}

/// What an ADD_DAXDEV entry records.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct AddDaxdev {
    pub size: u64,
    pub uuid: Uuid,
    pub index: u32,
}

/// A decoded log entry.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum LogRecord {
    File(FileCreation),
    Mkdir(MkdirRecord),
    /// Defined by the format, never written by famfs (files are not
    /// deleted); kept so replay can report it.
    Delete,
    AddDaxdev(AddDaxdev),
}

/// Decode a NUL-terminated relative path field: UTF-8, non-empty, no `.`,
/// `..` or empty components. A leading `/` is tolerated and dropped.
pub fn path_from_bytes(field: &[u8]) -> Result<String, OmfError> {
    let end = field
        .iter()
        .position(|&b| b == 0)
        .ok_or_else(|| OmfError::BadPath("not NUL-terminated".into()))?;
    let s =
        core::str::from_utf8(&field[..end]).map_err(|_| OmfError::BadPath("not UTF-8".into()))?;
    let s = s.trim_start_matches('/');
    if s.is_empty() {
        return Err(OmfError::BadPath("empty".into()));
    }
    if s.split('/').any(|c| c.is_empty() || c == "." || c == "..") {
        return Err(OmfError::BadPath(format!(
            "{s:?} has an empty, '.' or '..' component"
        )));
    }
    Ok(s.to_owned())
}

fn path_to_field(path: &str) -> Result<[u8; RELPATH_LEN], OmfError> {
    let mut field = [0u8; RELPATH_LEN];
    let bytes = path.as_bytes();
    if bytes.len() >= RELPATH_LEN {
        return Err(OmfError::BadPath(format!(
            "{path:?} is {} bytes; famfs paths hold at most {}",
            bytes.len(),
            RELPATH_LEN - 1
        )));
    }
    field[..bytes.len()].copy_from_slice(bytes);
    // Round-trip through the decoder so nothing unreadable is ever written.
    path_from_bytes(&field)?;
    Ok(field)
}

impl OmfLogEntry {
    /// Size of one slot.
    pub const SIZE: usize = size_of::<Self>();

    /// View the entry at the start of `bytes` (no checks beyond size).
    pub fn view(bytes: &[u8]) -> Result<&Self, OmfError> {
        Self::ref_from_prefix(bytes)
            .map(|(e, _)| e)
            .map_err(|_| OmfError::Truncated {
                what: "log entry",
                need: Self::SIZE,
                have: bytes.len(),
            })
    }

    /// The CRC the entry should carry.
    pub fn computed_crc(&self) -> u64 {
        crc(&self.as_bytes()[..ENTRY_CRC_SPAN])
    }

    /// Check the CRC and decode the body.
    pub fn decode(&self) -> Result<LogRecord, OmfError> {
        let (stored, computed) = (self.crc.get(), self.computed_crc());
        if stored != computed {
            return Err(OmfError::BadCrc {
                what: "log entry",
                stored,
                computed,
            });
        }
        match self.entry_type.get() {
            TYPE_FILE => {
                let b: &OmfFileBody = transmute_ref!(&self.body);
                Ok(LogRecord::File(FileCreation {
                    path: path_from_bytes(&b.relpath)?,
                    size: b.fm_size.get(),
                    flags: b.fm_flags.get(),
                    uid: b.uid.get(),
                    gid: b.gid.get(),
                    mode: b.mode.get(),
                    fmap: b.fmap.decode().map_err(OmfError::BadFmap)?,
                }))
            }
            TYPE_MKDIR => {
                let b: &OmfMkdirBody = transmute_ref!(&self.body);
                Ok(LogRecord::Mkdir(MkdirRecord {
                    path: path_from_bytes(&b.relpath)?,
                    uid: b.uid.get(),
                    gid: b.gid.get(),
                    mode: b.mode.get(),
                }))
            }
            TYPE_DELETE => Ok(LogRecord::Delete),
            TYPE_ADD_DAXDEV => {
                let b: &OmfAddDaxdevBody = transmute_ref!(&self.body);
                Ok(LogRecord::AddDaxdev(AddDaxdev {
                    size: b.size.get(),
                    uuid: Uuid::from_bytes(b.uuid),
                    index: b.index.get(),
                }))
            }
            other => Err(OmfError::UnknownEntryType(other)),
        }
    }

    /// Encode `record` as entry number `seqnum`, CRC included. Padding is
    /// zero, so equal records encode to equal bytes.
    pub fn encode(seqnum: u64, record: &LogRecord) -> Result<Self, OmfError> {
        let mut body = [0u8; 520];
        let entry_type = match record {
            LogRecord::File(f) => {
                let b = OmfFileBody {
                    fm_size: f.size.into(),
                    fm_flags: f.flags.into(),
                    uid: f.uid.into(),
                    gid: f.gid.into(),
                    mode: f.mode.into(),
                    relpath: path_to_field(&f.path)?,
                    fmap: OmfFmap::encode(&f.fmap).map_err(OmfError::BadFmap)?,
                };
                body.copy_from_slice(b.as_bytes());
                TYPE_FILE
            }
            LogRecord::Mkdir(d) => {
                let b = OmfMkdirBody {
                    uid: d.uid.into(),
                    gid: d.gid.into(),
                    mode: d.mode.into(),
                    relpath: path_to_field(&d.path)?,
                    _rest: [0; 428],
                };
                body.copy_from_slice(b.as_bytes());
                TYPE_MKDIR
            }
            LogRecord::Delete => TYPE_DELETE,
            LogRecord::AddDaxdev(a) => {
                let b = OmfAddDaxdevBody {
                    size: a.size.into(),
                    uuid: a.uuid.into_bytes(),
                    index: a.index.into(),
                    _rest: [0; 492],
                };
                body.copy_from_slice(b.as_bytes());
                TYPE_ADD_DAXDEV
            }
        };
        let mut e = OmfLogEntry {
            seqnum: seqnum.into(),
            entry_type: entry_type.into(),
            _pad: [0; 4],
            body,
            crc: 0.into(),
        };
        e.crc = e.computed_crc().into();
        Ok(e)
    }
}
