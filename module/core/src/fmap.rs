// SPDX-License-Identifier: GPL-2.0

//! famfs file maps (GET_FMAP replies): validation, offset resolution and
//! encoding.
//!
//! The module validates a reply once with [`FmapRef::parse`], keeps the
//! bytes in its own allocation on the inode, and resolves every fault from
//! them with [`FmapRef::resolve`]: no allocation, no upcall.
//!
//! Rules (all checked, none trusted):
//! - header: known file type, `fmap_version` 1, known extent type,
//!   1..=32 extents for a non-empty file and none for an empty one (an
//!   empty file has no bytes to map: extents would only hold device
//!   bytes that no file may then map), no unknown `flags` bit, reserved
//!   fields zero, `file_size` <= `i64::MAX`;
//! - the body length is exactly what the counts imply, at most 32 KiB;
//! - every simple extent and every strip: `devindex` < 24, offset and length
//!   2 MiB aligned, length non-zero, `offset + len` does not overflow,
//!   reserved zero;
//! - interleaved extents: 1..=32 strips, `chunk_size` a non-zero multiple of
//!   2 MiB, `nbytes` a non-zero multiple of `nstrips * chunk_size`, every
//!   strip at least `nbytes / nstrips` long (a longer strip's tail is
//!   unused), reserved zero;
//! - the extents (simple: `len`; interleaved: `nbytes`) add up, without
//!   overflow, to at least `file_size`;
//! - no two pieces (simple extents or strips) share a byte of one device:
//!   fs/dax.c keeps one mapping per device page, and a page mapped at two
//!   file offsets corrupts its state.
//!
//! Device bounds can only be checked once the device is known:
//! [`FmapRef::check_device_bounds`]; the superblock and log area once the
//! log's length is: [`super::meta_area::MetaArea::check`].

use core::mem::size_of;

use super::abi::{
    fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext, ExtType, FamfsFileType,
    FMAP_ALIGN, FMAP_FLAGS_KNOWN, FMAP_MAX, FMAP_READONLY, FUSE_FAMFS_FMAP_VERSION,
    FUSE_FAMFS_MAX_EXTENTS, FUSE_FAMFS_MAX_STRIPS, MAX_DAXDEVS,
};
use super::attr::MAX_FILE_SIZE;
use super::codec::Field;
use super::errno;

const HDR: usize = size_of::<fuse_famfs_fmap_header>();
const SEXT: usize = size_of::<fuse_famfs_simple_ext>();
const IEXT: usize = size_of::<fuse_famfs_iext>();

/// Why an fmap was refused, or an offset could not be resolved.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FmapError {
    /// Shorter than the header, or than the counts imply.
    Truncated,
    /// Longer than the counts imply, or than 32 KiB.
    TrailingBytes,
    /// Unknown `file_type`.
    FileType,
    /// `fmap_version` is not 1.
    Version,
    /// Unknown `ext_type`.
    ExtType,
    /// `nextents` is 0 for a non-empty file, or more than 32.
    ExtentCount,
    /// An empty file (`file_size` 0) with extents.
    EmptyWithExtents,
    /// The map's file type is not the file's (a regular file whose map
    /// says superblock or log, or the other way round).
    WrongFileType,
    /// A regular file's map references the superblock and log area.
    InMetaArea,
    /// A `.meta` file's map references bytes outside that area.
    OutsideMetaArea,
    /// A reserved field is not zero, or `flags` has an unknown bit.
    Reserved,
    /// `file_size` exceeds `i64::MAX`.
    FileSize,
    /// A device index is 24 or more.
    DevIndex,
    /// An offset or length is not 2 MiB aligned.
    Misaligned,
    /// An extent or strip has length zero.
    ZeroLength,
    /// An end offset or a sum overflows 64 bits.
    Overflow,
    /// `nstrips` is 0 or more than 32.
    StripCount,
    /// `chunk_size` is zero or not 2 MiB aligned.
    ChunkSize,
    /// `nbytes` is zero or not a multiple of `nstrips * chunk_size`.
    Nbytes,
    /// A strip is shorter than `nbytes / nstrips`.
    StripTooShort,
    /// The extents cover less than `file_size`.
    TooSmallForFile,
    /// Two pieces of the map share device bytes.
    Overlap,
    /// The offset is at or beyond the end of the file.
    BeyondEof,
    /// An extent reaches beyond the end of its device.
    DeviceBounds,
    /// The encoder's buffer is too small.
    NoSpace,
}

impl FmapError {
    /// The errno the failed operation reports: EIO for a bad map, ENXIO for
    /// an offset outside the file, ERANGE for a too-small encode buffer.
    pub const fn errno(self) -> i32 {
        match self {
            Self::BeyondEof => errno::ENXIO,
            Self::NoSpace => errno::ERANGE,
            _ => errno::EIO,
        }
    }
}

/// A run of bytes on one device: a simple extent or an interleave strip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SimpleExt {
    /// Index in the daxdev table.
    pub devindex: u32,
    /// Byte offset on the device.
    pub offset: u64,
    /// Length in bytes.
    pub len: u64,
}

impl SimpleExt {
    fn read(b: &[u8]) -> Result<Self, FmapError> {
        let e = fuse_famfs_simple_ext::get(b).ok_or(FmapError::Truncated)?;
        if e.reserved != 0 {
            return Err(FmapError::Reserved);
        }
        Ok(Self {
            devindex: e.devindex,
            offset: e.offset,
            len: e.len,
        })
    }

    fn check(&self) -> Result<(), FmapError> {
        if self.devindex >= MAX_DAXDEVS {
            return Err(FmapError::DevIndex);
        }
        if self.len == 0 {
            return Err(FmapError::ZeroLength);
        }
        if self.offset % FMAP_ALIGN != 0 || self.len % FMAP_ALIGN != 0 {
            return Err(FmapError::Misaligned);
        }
        self.offset
            .checked_add(self.len)
            .ok_or(FmapError::Overflow)?;
        Ok(())
    }

    /// One past the last device byte (callers checked it does not
    /// overflow; saturates otherwise).
    pub fn end(&self) -> u64 {
        self.offset.saturating_add(self.len)
    }

    /// Whether the two runs share a byte of one device.
    pub fn overlaps(&self, other: &SimpleExt) -> bool {
        self.devindex == other.devindex && self.offset < other.end() && other.offset < self.end()
    }

    fn write(&self, b: &mut [u8]) -> Result<(), FmapError> {
        let raw = fuse_famfs_simple_ext {
            devindex: self.devindex,
            reserved: 0,
            offset: self.offset,
            len: self.len,
        };
        raw.put(b).ok_or(FmapError::NoSpace)
    }
}

/// An interleaved extent: `nbytes` file bytes striped in `chunk_size`
/// chunks over its strips.
#[derive(Debug, Clone, Copy)]
pub struct Interleave<'a> {
    /// Number of strips (1..=32).
    pub nstrips: u32,
    /// Bytes per chunk.
    pub chunk_size: u64,
    /// File bytes this extent covers.
    pub nbytes: u64,
    strips: &'a [u8],
}

impl<'a> Interleave<'a> {
    /// Strip `i`, if it exists.
    pub fn strip(&self, i: u32) -> Option<SimpleExt> {
        let at = usize::try_from(i).ok()?.checked_mul(SEXT)?;
        SimpleExt::read(self.strips.get(at..)?).ok()
    }

    /// The strips in order.
    pub fn strips(&self) -> impl Iterator<Item = SimpleExt> + 'a {
        self.strips
            .chunks_exact(SEXT)
            .filter_map(|c| SimpleExt::read(c).ok())
    }

    /// Bytes each strip contributes (`nbytes / nstrips`).
    pub fn strip_bytes(&self) -> u64 {
        self.nbytes
            .checked_div(u64::from(self.nstrips))
            .unwrap_or(0)
    }

    /// Resolves `rel`, an offset relative to the start of this extent.
    fn resolve(&self, rel: u64) -> Option<(u32, u64, u64)> {
        let chunk = rel.checked_div(self.chunk_size)?;
        let within = rel.checked_rem(self.chunk_size)?;
        let n = u64::from(self.nstrips);
        let stripe = chunk.checked_div(n)?;
        let strip = u32::try_from(chunk.checked_rem(n)?).ok()?;
        let s = self.strip(strip)?;
        let dev = s
            .offset
            .checked_add(stripe.checked_mul(self.chunk_size)?)?
            .checked_add(within)?;
        Some((s.devindex, dev, self.chunk_size.checked_sub(within)?))
    }
}

/// One extent of a file's map.
#[derive(Debug, Clone, Copy)]
pub enum Extent<'a> {
    /// A simple extent.
    Simple(SimpleExt),
    /// An interleaved extent with its strips.
    Interleave(Interleave<'a>),
}

impl Extent<'_> {
    /// File bytes this extent covers.
    pub fn file_bytes(&self) -> u64 {
        match self {
            Self::Simple(s) => s.len,
            Self::Interleave(i) => i.nbytes,
        }
    }
}

/// Iterator over the extents of an [`FmapRef`].
#[derive(Debug, Clone)]
pub struct Extents<'a> {
    rest: &'a [u8],
    ext_type: ExtType,
    left: u32,
}

impl<'a> Extents<'a> {
    /// Reads the next extent, checking its own rules.
    fn next_checked(&mut self) -> Result<Option<Extent<'a>>, FmapError> {
        if self.left == 0 {
            return Ok(None);
        }
        self.left = self.left.saturating_sub(1);
        match self.ext_type {
            ExtType::Simple => {
                let s = SimpleExt::read(self.rest)?;
                s.check()?;
                self.rest = self.rest.get(SEXT..).ok_or(FmapError::Truncated)?;
                Ok(Some(Extent::Simple(s)))
            }
            ExtType::Interleave => {
                let raw = fuse_famfs_iext::get(self.rest).ok_or(FmapError::Truncated)?;
                if raw.reserved != 0 {
                    return Err(FmapError::Reserved);
                }
                if raw.nstrips == 0 || raw.nstrips > FUSE_FAMFS_MAX_STRIPS {
                    return Err(FmapError::StripCount);
                }
                let chunk_size = u64::from(raw.chunk_size);
                if chunk_size == 0 || chunk_size % FMAP_ALIGN != 0 {
                    return Err(FmapError::ChunkSize);
                }
                let stripe_bytes = chunk_size
                    .checked_mul(u64::from(raw.nstrips))
                    .ok_or(FmapError::Overflow)?;
                if raw.nbytes == 0 || raw.nbytes.checked_rem(stripe_bytes) != Some(0) {
                    return Err(FmapError::Nbytes);
                }
                let strips_len = usize::try_from(raw.nstrips)
                    .ok()
                    .and_then(|n| n.checked_mul(SEXT))
                    .ok_or(FmapError::Overflow)?;
                let end = strips_len.checked_add(IEXT).ok_or(FmapError::Overflow)?;
                let strips = self.rest.get(IEXT..end).ok_or(FmapError::Truncated)?;
                let il = Interleave {
                    nstrips: raw.nstrips,
                    chunk_size,
                    nbytes: raw.nbytes,
                    strips,
                };
                let per_strip = il.strip_bytes();
                for c in strips.chunks_exact(SEXT) {
                    let s = SimpleExt::read(c)?;
                    s.check()?;
                    if s.len < per_strip {
                        return Err(FmapError::StripTooShort);
                    }
                }
                self.rest = self.rest.get(end..).ok_or(FmapError::Truncated)?;
                Ok(Some(Extent::Interleave(il)))
            }
        }
    }
}

impl<'a> Iterator for Extents<'a> {
    type Item = Extent<'a>;
    fn next(&mut self) -> Option<Extent<'a>> {
        self.next_checked().ok().flatten()
    }
}

/// Where a file offset lives.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Resolved {
    /// Index in the daxdev table.
    pub devindex: u32,
    /// Byte offset on that device.
    pub dev_offset: u64,
    /// Contiguous bytes available from `dev_offset`: to the end of the
    /// extent (simple) or chunk (interleaved), clamped to the end of the
    /// file's last 2 MiB allocation unit. Never zero, and never ends inside
    /// a page: the page that holds the end of the file is mapped whole, as
    /// every fs-dax file system maps it (fs/dax.c wants whole pages; the
    /// bytes past the end are the file's own allocation).
    pub len: u64,
}

/// A validated GET_FMAP reply body, viewed in place.
#[derive(Debug, Clone, Copy)]
pub struct FmapRef<'a> {
    bytes: &'a [u8],
    file_type: FamfsFileType,
    flags: u8,
    ext_type: ExtType,
    nextents: u32,
    file_size: u64,
}

impl<'a> FmapRef<'a> {
    /// Reads and checks the header only.
    fn header(bytes: &'a [u8]) -> Result<Self, FmapError> {
        if bytes.len() > FMAP_MAX {
            return Err(FmapError::TrailingBytes);
        }
        let h = fuse_famfs_fmap_header::get(bytes).ok_or(FmapError::Truncated)?;
        let file_type = FamfsFileType::from_raw(h.file_type).ok_or(FmapError::FileType)?;
        if u32::from(h.fmap_version) != FUSE_FAMFS_FMAP_VERSION {
            return Err(FmapError::Version);
        }
        let ext_type = ExtType::from_raw(h.ext_type).ok_or(FmapError::ExtType)?;
        if (h.nextents == 0 && h.file_size != 0) || h.nextents > FUSE_FAMFS_MAX_EXTENTS {
            return Err(FmapError::ExtentCount);
        }
        if h.file_size == 0 && h.nextents != 0 {
            return Err(FmapError::EmptyWithExtents);
        }
        if h.flags & !FMAP_FLAGS_KNOWN != 0 || h.reserved0 != 0 || h.reserved1 != 0 {
            return Err(FmapError::Reserved);
        }
        if h.file_size > MAX_FILE_SIZE {
            return Err(FmapError::FileSize);
        }
        Ok(Self {
            bytes,
            file_type,
            flags: h.flags,
            ext_type,
            nextents: h.nextents,
            file_size: h.file_size,
        })
    }

    /// Validates a GET_FMAP reply body (everything after the out header)
    /// against every rule in the module documentation.
    pub fn parse(bytes: &'a [u8]) -> Result<Self, FmapError> {
        let f = Self::header(bytes)?;
        let mut it = f.extents();
        let mut total: u64 = 0;
        while let Some(e) = it.next_checked()? {
            total = total
                .checked_add(e.file_bytes())
                .ok_or(FmapError::Overflow)?;
        }
        if !it.rest.is_empty() {
            return Err(FmapError::TrailingBytes);
        }
        if total < f.file_size {
            return Err(FmapError::TooSmallForFile);
        }
        f.check_no_self_overlap()?;
        Ok(f)
    }

    /// Refuses a map two of whose pieces share device bytes. Quadratic
    /// without allocating: at most 32 extents of 32 strips each, checked
    /// once per file, when its map arrives.
    fn check_no_self_overlap(&self) -> Result<(), FmapError> {
        for (i, a) in self.pieces().enumerate() {
            if self
                .pieces()
                .skip(i.saturating_add(1))
                .any(|b| a.overlaps(&b))
            {
                return Err(FmapError::Overlap);
            }
        }
        Ok(())
    }

    /// Views bytes that [`FmapRef::parse`] accepted before (e.g. the copy
    /// the module keeps on the inode) checking only the header: O(1), for
    /// the fault path. Memory safety does not depend on the bytes; on bytes
    /// that were never validated, answers may be wrong or errors, never
    /// panics or out-of-bounds reads.
    pub fn reopen(bytes: &'a [u8]) -> Result<Self, FmapError> {
        Self::header(bytes)
    }

    /// The reply bytes.
    pub fn as_bytes(&self) -> &'a [u8] {
        self.bytes
    }

    /// What kind of famfs file this is.
    pub fn file_type(&self) -> FamfsFileType {
        self.file_type
    }

    /// Whether the file is read-only on this host
    /// ([`FMAP_READONLY`]): the module refuses to open it for writing.
    pub fn read_only(&self) -> bool {
        self.flags & FMAP_READONLY != 0
    }

    /// Simple or interleaved.
    pub fn ext_type(&self) -> ExtType {
        self.ext_type
    }

    /// File size in bytes.
    pub fn file_size(&self) -> u64 {
        self.file_size
    }

    /// The end of the file's last 2 MiB allocation unit: `file_size`
    /// rounded up to 2 MiB. Every extent and chunk is 2 MiB aligned and the
    /// extents cover `file_size`, so the map covers this much too.
    pub fn alloc_end(&self) -> u64 {
        // `file_size` <= i64::MAX (checked in `header`): no overflow.
        self.file_size
            .div_ceil(FMAP_ALIGN)
            .saturating_mul(FMAP_ALIGN)
    }

    /// Number of extents.
    pub fn nextents(&self) -> u32 {
        self.nextents
    }

    /// The extents, in file order.
    pub fn extents(&self) -> Extents<'a> {
        Extents {
            rest: self.bytes.get(HDR..).unwrap_or(&[]),
            ext_type: self.ext_type,
            left: self.nextents,
        }
    }

    /// Every run of device bytes the map references: the simple extents, or
    /// the strips of the interleaved extents.
    pub fn pieces(&self) -> impl Iterator<Item = SimpleExt> + 'a {
        self.extents().flat_map(|e| {
            let (one, strips) = match e {
                Extent::Simple(s) => (Some(s), None),
                Extent::Interleave(i) => (None, Some(i.strips())),
            };
            one.into_iter().chain(strips.into_iter().flatten())
        })
    }

    /// Bit `i` set when the map references device index `i`.
    pub fn device_mask(&self) -> u32 {
        self.pieces()
            .fold(0, |m, p| m | 1u32.checked_shl(p.devindex).unwrap_or(0))
    }

    /// The device indexes the map references, ascending, each once: the
    /// module sends GET_DAXDEV for those not yet in its table.
    pub fn devices(&self) -> Devices {
        Devices {
            mask: self.device_mask(),
        }
    }

    /// Checks that every extent and strip on device `index` ends within
    /// `dev_size` bytes.
    pub fn check_device_bounds(&self, index: u32, dev_size: u64) -> Result<(), FmapError> {
        for p in self.pieces().filter(|p| p.devindex == index) {
            let end = p.offset.checked_add(p.len).ok_or(FmapError::Overflow)?;
            if end > dev_size {
                return Err(FmapError::DeviceBounds);
            }
        }
        Ok(())
    }

    /// The file's runs on its devices, in file order, each as long as it
    /// is contiguous on one device: for a simple map one per extent (fewer
    /// when extents continue each other), for an interleaved one one per
    /// chunk. They cover the file up to the end of its last 2 MiB unit.
    pub fn mappings(&self) -> Mappings<'a> {
        Mappings {
            fmap: *self,
            pos: 0,
        }
    }

    /// Resolves a file offset to a device, an offset on it and the
    /// contiguous length from there (see [`Resolved`]).
    pub fn resolve(&self, file_offset: u64) -> Result<Resolved, FmapError> {
        if file_offset >= self.file_size {
            return Err(FmapError::BeyondEof);
        }
        let to_alloc_end = self
            .alloc_end()
            .checked_sub(file_offset)
            .ok_or(FmapError::BeyondEof)?;
        let mut start: u64 = 0;
        let mut it = self.extents();
        while let Some(e) = it.next_checked()? {
            let len = e.file_bytes();
            let end = start.checked_add(len).ok_or(FmapError::Overflow)?;
            if file_offset < end {
                let rel = file_offset.checked_sub(start).ok_or(FmapError::Overflow)?;
                let (devindex, dev_offset, avail) = match e {
                    Extent::Simple(s) => (
                        s.devindex,
                        s.offset.checked_add(rel).ok_or(FmapError::Overflow)?,
                        len.checked_sub(rel).ok_or(FmapError::Overflow)?,
                    ),
                    Extent::Interleave(i) => i.resolve(rel).ok_or(FmapError::Overflow)?,
                };
                return Ok(Resolved {
                    devindex,
                    dev_offset,
                    len: avail.min(to_alloc_end),
                });
            }
            start = end;
        }
        Err(FmapError::TooSmallForFile)
    }
}

/// A run of a file on one device, in file order (what FIEMAP reports).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Mapping {
    /// File offset of the run's first byte.
    pub logical: u64,
    /// Index in the daxdev table.
    pub devindex: u32,
    /// Byte offset of the run on that device.
    pub dev_offset: u64,
    /// Bytes in the run (up to the end of the file's last 2 MiB unit).
    pub len: u64,
}

/// Iterator over the runs of a map (see [`FmapRef::mappings`]).
#[derive(Debug, Clone)]
pub struct Mappings<'a> {
    fmap: FmapRef<'a>,
    pos: u64,
}

impl Iterator for Mappings<'_> {
    type Item = Mapping;

    /// The next run: the resolved piece at `pos`, merged with the pieces
    /// after it that continue it on the same device (a map cut into
    /// extents or chunks that happen to be contiguous).
    fn next(&mut self) -> Option<Mapping> {
        let first = self.fmap.resolve(self.pos).ok()?;
        let mut run = Mapping {
            logical: self.pos,
            devindex: first.devindex,
            dev_offset: first.dev_offset,
            len: first.len,
        };
        self.pos = self.pos.checked_add(first.len)?;
        while let Ok(next) = self.fmap.resolve(self.pos) {
            let contiguous = next.devindex == run.devindex
                && run.dev_offset.checked_add(run.len) == Some(next.dev_offset);
            if !contiguous {
                break;
            }
            run.len = run.len.checked_add(next.len)?;
            self.pos = self.pos.checked_add(next.len)?;
        }
        Some(run)
    }
}

/// Iterator over the device indexes of a map (see [`FmapRef::devices`]).
#[derive(Debug, Clone, Copy)]
pub struct Devices {
    mask: u32,
}

impl Iterator for Devices {
    type Item = u32;
    fn next(&mut self) -> Option<u32> {
        if self.mask == 0 {
            return None;
        }
        let i = self.mask.trailing_zeros();
        self.mask &= self.mask.saturating_sub(1);
        Some(i)
    }
}

/// One interleaved extent to encode.
#[derive(Debug, Clone, Copy)]
pub struct InterleaveSpec<'s> {
    /// Bytes per chunk (a multiple of 2 MiB).
    pub chunk_size: u32,
    /// File bytes covered (a multiple of `strips.len() * chunk_size`).
    pub nbytes: u64,
    /// The strips.
    pub strips: &'s [SimpleExt],
}

fn encode_header(
    buf: &mut [u8],
    file_type: FamfsFileType,
    ext_type: ExtType,
    nextents: usize,
    file_size: u64,
) -> Result<(), FmapError> {
    let h = fuse_famfs_fmap_header {
        file_type: file_type.raw(),
        flags: 0,
        // FUSE_FAMFS_FMAP_VERSION is 1: fits u16.
        fmap_version: FUSE_FAMFS_FMAP_VERSION as u16,
        ext_type: ext_type.raw(),
        nextents: u32::try_from(nextents).map_err(|_| FmapError::ExtentCount)?,
        reserved0: 0,
        file_size,
        reserved1: 0,
    };
    h.put(buf).ok_or(FmapError::NoSpace)
}

/// Checks a freshly encoded map; the encoders never emit what the module
/// would refuse.
fn finish(buf: &[u8], len: usize) -> Result<usize, FmapError> {
    FmapRef::parse(buf.get(..len).ok_or(FmapError::NoSpace)?)?;
    Ok(len)
}

/// Marks an encoded GET_FMAP reply body read-only on this host
/// ([`FMAP_READONLY`]).
pub fn mark_read_only(body: &mut [u8]) -> Result<(), FmapError> {
    let mut h = fuse_famfs_fmap_header::get(body).ok_or(FmapError::Truncated)?;
    h.flags |= FMAP_READONLY;
    h.put(body).ok_or(FmapError::NoSpace)?;
    Ok(())
}

/// Encodes a GET_FMAP reply body with simple extents into `buf`; returns
/// its length. Fails if the result would not pass [`FmapRef::parse`].
pub fn encode_simple(
    buf: &mut [u8],
    file_type: FamfsFileType,
    file_size: u64,
    extents: &[SimpleExt],
) -> Result<usize, FmapError> {
    encode_header(buf, file_type, ExtType::Simple, extents.len(), file_size)?;
    let mut at = HDR;
    for e in extents {
        e.write(buf.get_mut(at..).ok_or(FmapError::NoSpace)?)?;
        at = at.checked_add(SEXT).ok_or(FmapError::NoSpace)?;
    }
    finish(buf, at)
}

/// Encodes a GET_FMAP reply body with interleaved extents into `buf`;
/// returns its length. Fails if the result would not pass
/// [`FmapRef::parse`].
pub fn encode_interleaved(
    buf: &mut [u8],
    file_type: FamfsFileType,
    file_size: u64,
    extents: &[InterleaveSpec<'_>],
) -> Result<usize, FmapError> {
    encode_header(
        buf,
        file_type,
        ExtType::Interleave,
        extents.len(),
        file_size,
    )?;
    let mut at = HDR;
    for e in extents {
        let raw = fuse_famfs_iext {
            nstrips: u32::try_from(e.strips.len()).map_err(|_| FmapError::StripCount)?,
            chunk_size: e.chunk_size,
            nbytes: e.nbytes,
            reserved: 0,
        };
        raw.put(buf.get_mut(at..).ok_or(FmapError::NoSpace)?)
            .ok_or(FmapError::NoSpace)?;
        at = at.checked_add(IEXT).ok_or(FmapError::NoSpace)?;
        for s in e.strips {
            s.write(buf.get_mut(at..).ok_or(FmapError::NoSpace)?)?;
            at = at.checked_add(SEXT).ok_or(FmapError::NoSpace)?;
        }
    }
    finish(buf, at)
}

#[cfg(test)]
mod tests {
    use super::*;

    const MB2: u64 = 2 << 20;

    fn ext(devindex: u32, offset: u64, len: u64) -> SimpleExt {
        SimpleExt {
            devindex,
            offset,
            len,
        }
    }

    #[test]
    fn simple_round_trip_and_resolve() {
        let mut buf = [0u8; 1024];
        let exts = [ext(0, 10 * MB2, 2 * MB2), ext(3, 0, MB2)];
        let n = encode_simple(&mut buf, FamfsFileType::Regular, 5 * MB2 / 2, &exts).unwrap();
        assert_eq!(n, 32 + 2 * 24);
        let f = FmapRef::parse(&buf[..n]).unwrap();
        assert_eq!(f.nextents(), 2);
        assert_eq!(
            f.resolve(0).unwrap(),
            Resolved {
                devindex: 0,
                dev_offset: 10 * MB2,
                len: 2 * MB2
            }
        );
        assert_eq!(
            f.resolve(2 * MB2 + 5).unwrap(),
            Resolved {
                devindex: 3,
                dev_offset: 5,
                // To the end of the last 2 MiB unit, past EOF (5 MiB): the
                // page that holds EOF is mapped whole.
                len: MB2 - 5
            }
        );
        assert_eq!(f.resolve(5 * MB2 / 2), Err(FmapError::BeyondEof));
        assert_eq!(f.devices().collect::<std::vec::Vec<_>>(), [0, 3]);
        assert!(f.check_device_bounds(0, 12 * MB2).is_ok());
        assert_eq!(
            f.check_device_bounds(0, 12 * MB2 - 1),
            Err(FmapError::DeviceBounds)
        );
        assert!(f.check_device_bounds(7, 0).is_ok());
        assert!(FmapRef::parse(&buf[..n - 1]).is_err());
        assert!(FmapRef::reopen(&buf[..n]).is_ok());
    }

    #[test]
    fn empty_file_has_no_extents() {
        let mut buf = [0u8; 64];
        let n = encode_simple(&mut buf, FamfsFileType::Regular, 0, &[]).unwrap();
        assert_eq!(n, 32);
        let f = FmapRef::parse(&buf[..n]).unwrap();
        assert_eq!(f.file_size(), 0);
        assert_eq!(f.nextents(), 0);
        assert_eq!(f.devices().count(), 0);
        assert_eq!(f.pieces().count(), 0);
        assert_eq!(f.mappings().count(), 0);
        assert_eq!(f.resolve(0), Err(FmapError::BeyondEof));
    }

    #[test]
    fn read_only_flag() {
        let mut buf = [0u8; 256];
        let n = encode_simple(&mut buf, FamfsFileType::Log, MB2, &[ext(0, MB2, MB2)]).unwrap();
        assert!(!FmapRef::parse(&buf[..n]).unwrap().read_only());
        mark_read_only(&mut buf[..n]).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        assert!(f.read_only());
        assert!(FmapRef::reopen(&buf[..n]).unwrap().read_only());
        assert_eq!(f.resolve(0).unwrap().dev_offset, MB2);
        // Every other bit of the byte is unknown: refused.
        for bit in 1..8 {
            let mut b = buf;
            b[1] |= 1 << bit;
            assert_eq!(FmapRef::parse(&b[..n]).unwrap_err(), FmapError::Reserved);
        }
        assert_eq!(mark_read_only(&mut buf[..31]), Err(FmapError::Truncated));
    }

    #[test]
    fn last_partial_page_mapped_whole() {
        let mut buf = [0u8; 256];
        for size in [1, 4095, 4097, MB2 - 1, MB2 + 1, 3_000_000] {
            let units = size.div_ceil(MB2);
            let n = encode_simple(
                &mut buf,
                FamfsFileType::Regular,
                size,
                &[ext(0, 8 * MB2, units * MB2)],
            )
            .unwrap();
            let f = FmapRef::parse(&buf[..n]).unwrap();
            let last_page = (size - 1) / 4096 * 4096;
            let r = f.resolve(last_page).unwrap();
            assert!(r.len >= 4096, "size {size}: {} bytes mapped", r.len);
            assert_eq!(last_page + r.len, units * MB2);
            assert!(f.resolve(size).is_err());
        }
    }

    #[test]
    fn mappings_in_file_order() {
        let mut buf = [0u8; 1024];
        // Two extents that continue each other on device 0, then device 1.
        let exts = [
            ext(0, 4 * MB2, MB2),
            ext(0, 5 * MB2, MB2),
            ext(1, 0, 2 * MB2),
        ];
        let n = encode_simple(&mut buf, FamfsFileType::Regular, 3 * MB2 + 1, &exts).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        let got: std::vec::Vec<_> = f.mappings().collect();
        assert_eq!(
            got,
            [
                Mapping {
                    logical: 0,
                    devindex: 0,
                    dev_offset: 4 * MB2,
                    len: 2 * MB2
                },
                Mapping {
                    logical: 2 * MB2,
                    devindex: 1,
                    dev_offset: 0,
                    len: 2 * MB2
                },
            ]
        );
        // Interleaved: one run per chunk, round robin over the strips.
        let strips = [ext(0, 0, 2 * MB2), ext(0, 10 * MB2, 2 * MB2)];
        let spec = [InterleaveSpec {
            chunk_size: MB2 as u32,
            nbytes: 4 * MB2,
            strips: &strips,
        }];
        let n = encode_interleaved(&mut buf, FamfsFileType::Regular, 4 * MB2, &spec).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        let offsets: std::vec::Vec<_> = f.mappings().map(|m| (m.logical, m.dev_offset)).collect();
        assert_eq!(
            offsets,
            [(0, 0), (MB2, 10 * MB2), (2 * MB2, MB2), (3 * MB2, 11 * MB2)]
        );
    }

    #[test]
    fn interleave_resolve() {
        let strips = [ext(0, 0, 4 * MB2), ext(1, 100 * MB2, 4 * MB2)];
        let mut buf = [0u8; 1024];
        let spec = [InterleaveSpec {
            chunk_size: MB2 as u32,
            nbytes: 8 * MB2,
            strips: &strips,
        }];
        let n = encode_interleaved(&mut buf, FamfsFileType::Regular, 8 * MB2, &spec).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        // chunk 3 -> strip 1, stripe 1
        let r = f.resolve(3 * MB2 + 7).unwrap();
        assert_eq!(
            r,
            Resolved {
                devindex: 1,
                dev_offset: 100 * MB2 + MB2 + 7,
                len: MB2 - 7
            }
        );
        assert_eq!(f.device_mask(), 0b11);
    }

    #[test]
    fn rejects() {
        let mut buf = [0u8; 1024];
        let bad = |e: SimpleExt| {
            let mut b = [0u8; 256];
            encode_simple(&mut b, FamfsFileType::Regular, 1, &[e]).unwrap_err()
        };
        assert_eq!(bad(ext(24, 0, MB2)), FmapError::DevIndex);
        assert_eq!(bad(ext(0, 1, MB2)), FmapError::Misaligned);
        assert_eq!(bad(ext(0, 0, 0)), FmapError::ZeroLength);
        assert_eq!(bad(ext(0, u64::MAX - MB2 + 1, MB2)), FmapError::Overflow);
        assert_eq!(
            encode_simple(&mut buf, FamfsFileType::Regular, MB2 + 1, &[ext(0, 0, MB2)]),
            Err(FmapError::TooSmallForFile)
        );
        assert_eq!(
            encode_simple(&mut buf, FamfsFileType::Log, MB2, &[]),
            Err(FmapError::ExtentCount)
        );
        assert_eq!(
            encode_simple(&mut buf, FamfsFileType::Regular, 0, &[ext(0, 0, MB2)]),
            Err(FmapError::EmptyWithExtents)
        );
        let strips = [ext(0, 0, MB2), ext(1, 0, 2 * MB2)];
        let il = |chunk_size: u32, nbytes: u64| {
            let spec = [InterleaveSpec {
                chunk_size,
                nbytes,
                strips: &strips,
            }];
            let mut b = [0u8; 256];
            encode_interleaved(&mut b, FamfsFileType::Regular, 1, &spec).unwrap_err()
        };
        assert_eq!(il(MB2 as u32, 4 * MB2), FmapError::StripTooShort);
        assert_eq!(il(MB2 as u32, 3 * MB2), FmapError::Nbytes);
        assert_eq!(il(4096, 4 * MB2), FmapError::ChunkSize);
        assert_eq!(il(0, 4 * MB2), FmapError::ChunkSize);
        assert_eq!(
            encode_simple(
                &mut buf,
                FamfsFileType::Regular,
                1,
                &[ext(0, 4 * MB2, 2 * MB2), ext(0, 5 * MB2, MB2)]
            ),
            Err(FmapError::Overlap)
        );
        let same = [ext(2, 0, 2 * MB2), ext(2, 0, 2 * MB2)];
        let spec = [InterleaveSpec {
            chunk_size: MB2 as u32,
            nbytes: 4 * MB2,
            strips: &same,
        }];
        assert_eq!(
            encode_interleaved(&mut buf, FamfsFileType::Regular, 1, &spec),
            Err(FmapError::Overlap)
        );
        // Adjacent pieces, and the same range on two devices, are fine.
        assert!(encode_simple(
            &mut buf,
            FamfsFileType::Regular,
            1,
            &[ext(0, 0, MB2), ext(0, MB2, MB2), ext(1, 0, MB2)]
        )
        .is_ok());
        let mut small = [0u8; 40];
        assert_eq!(
            encode_simple(&mut small, FamfsFileType::Regular, 1, &[ext(0, 0, MB2)]),
            Err(FmapError::NoSpace)
        );
    }
}
