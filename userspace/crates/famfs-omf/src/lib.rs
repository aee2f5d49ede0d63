// SPDX-License-Identifier: GPL-2.0
//! The famfs on-media format, OMF 2.2, byte for byte.
//!
//! A famfs device starts with a superblock (its region is 2 MiB), then an
//! append-only metadata log, then file data allocated in 2 MiB units. Every
//! structure here is a `#[repr(C)]` type made of little-endian fields with
//! alignment 1, so it can be viewed in place from any byte slice without
//! `unsafe` (zerocopy) and its size and field offsets are asserted at compile
//! time against the format's table.
//!
//! Two levels, as in the `object` crate:
//! - `Omf*` types are the raw layout (what is on the media);
//! - [`LogRecord`], [`Fmap`] and friends are the decoded, checked values the
//!   rest of famfs_rs works with.
//!
//! Decoding never panics, whatever the bytes: every failure is an
//! [`OmfError`].

#![forbid(unsafe_code)]

mod error;
mod fmap;
mod log;
mod superblock;

pub use error::OmfError;
pub use fmap::{
    Extent, Fmap, FmapProblem, Interleave, OmfFmap, OmfInterleavedExtent, OmfSimpleExtent, Segment,
    FMAP_INTERLEAVED, FMAP_SIMPLE,
};
pub use log::{
    log_slots, path_from_bytes, AddDaxdev, FileCreation, LogRecord, MkdirRecord, OmfAddDaxdevBody,
    OmfFileBody, OmfLogEntry, OmfLogHeader, OmfMkdirBody,
};
pub use superblock::{OmfDaxdev, OmfSuperblock, SbRole};

/// Superblock magic (`ts_magic`).
pub const SB_MAGIC: u64 = 0x87b2_82ff;
/// Log header magic.
pub const LOG_MAGIC: u64 = 0x0bad_cafe_f00d;
/// `statfs` magic of the standalone (v1) famfs kernel module (that of a
/// fuse-based famfs, which famfs_rs.ko reports, is the ABI header's
/// `FAMFS_RS_STATFS_MAGIC`).
pub const STATFS_MAGIC_V1: u64 = 0x87b2_82fe;
/// `ts_version` written by this implementation.
pub const FAMFS_VERSION: u64 = 48;
/// On-media format version implemented here.
pub const OMF_VER_MAJOR: u32 = 2;
/// On-media format minor version implemented here.
pub const OMF_VER_MINOR: u32 = 2;

/// The allocation unit, and the alignment the kernel demands of every extent.
pub const ALLOC_UNIT: u64 = 2 << 20;
/// The other allocation unit upstream's superblock check accepts (4 KiB).
/// famfs_rs reads such a file system but never mounts it: the kernel
/// maps files in 2 MiB units.
pub const ALLOC_UNIT_SMALL: u64 = 4 << 10;
/// Size of the superblock's region at the start of the device.
pub const SB_REGION_LEN: u64 = ALLOC_UNIT;
/// Where the log starts (`ts_log_offset`).
pub const LOG_OFFSET: u64 = SB_REGION_LEN;
/// Default (and minimum) log length.
pub const LOG_LEN_DEFAULT: u64 = 8 << 20;
/// Smallest device upstream tooling formats.
pub const MIN_DEVICE_SIZE_UPSTREAM: u64 = 4 << 30;

/// Bytes of a relative path in a log entry, NUL terminator included.
pub const RELPATH_LEN: usize = 80;
/// Bytes of the device name in the superblock's daxdev record.
pub const DAXDEV_NAME_LEN: usize = 64;
/// Simple extents an fmap can hold.
pub const MAX_SIMPLE_EXTENTS: usize = 16;
/// Interleaved extents an fmap can hold.
pub const MAX_INTERLEAVED_EXTENTS: usize = 1;
/// Strips an interleaved extent can hold.
pub const MAX_STRIPS: usize = 16;
/// Most buckets an interleaved allocation may divide a device into.
pub const MAX_BUCKETS: usize = 64;

/// Round `v` up to a multiple of `unit` (a power of two), `None` on overflow.
pub const fn round_up(v: u64, unit: u64) -> Option<u64> {
    match v.checked_add(unit - 1) {
        Some(s) => Some(s & !(unit - 1)),
        None => None,
    }
}

/// CRC-32 (zlib's) of `bytes`, widened to the 64-bit fields that hold it.
pub fn crc(bytes: &[u8]) -> u64 {
    u64::from(crc32fast::hash(bytes))
}
