// SPDX-License-Identifier: GPL-2.0
//! File maps: where a file's bytes live on which device.
//!
//! On the media an fmap is 416 bytes holding either up to 16 simple extents
//! or one interleaved extent (up to 16 strips). [`Fmap`] is the decoded form,
//! with the offset arithmetic the kernel uses (famfs-facts §3).

use core::mem::{offset_of, size_of};

use serde::Serialize;
use zerocopy::little_endian::{U32, U64};
use zerocopy::{transmute_ref, FromBytes, Immutable, IntoBytes, KnownLayout, Unaligned};

use crate::{ALLOC_UNIT, MAX_INTERLEAVED_EXTENTS, MAX_SIMPLE_EXTENTS, MAX_STRIPS};

/// `ext_type` of an fmap made of simple extents.
pub const FMAP_SIMPLE: u32 = 0;
/// `ext_type` of an fmap made of interleaved extents.
pub const FMAP_INTERLEAVED: u32 = 1;

/// One contiguous range on one device (24 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, Default, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfSimpleExtent {
    pub devindex: U64,
    pub offset: U64,
    pub len: U64,
}

/// Interleaved extent: `nstrips` strips, striped in `chunk_size` chunks.
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfInterleavedExtent {
    pub nstrips: U64,
    pub chunk_size: U64,
    pub strips: [OmfSimpleExtent; MAX_STRIPS],
}

/// The simple-extent view of an fmap's extent area (same size as one
/// interleaved extent; the tail is unused).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
struct OmfSimpleArea {
    extents: [OmfSimpleExtent; MAX_SIMPLE_EXTENTS],
    _tail: [u8; 16],
}

/// An fmap as laid out on the media (416 bytes).
#[repr(C)]
#[derive(Clone, Copy, Debug, FromBytes, IntoBytes, KnownLayout, Immutable, Unaligned)]
pub struct OmfFmap {
    pub ext_type: U32,
    pub _pad0: [u8; 4],
    /// `nextents` for simple fmaps, `niext` for interleaved ones.
    pub count: U32,
    pub _pad1: [u8; 4],
    /// The union: [`OmfSimpleArea`] or [`OmfInterleavedExtent`].
    area: [u8; 400],
}

const _: () = {
    assert!(size_of::<OmfSimpleExtent>() == 24);
    assert!(offset_of!(OmfSimpleExtent, offset) == 8);
    assert!(offset_of!(OmfSimpleExtent, len) == 16);
    assert!(size_of::<OmfInterleavedExtent>() == 400);
    assert!(offset_of!(OmfInterleavedExtent, chunk_size) == 8);
    assert!(offset_of!(OmfInterleavedExtent, strips) == 16);
    assert!(size_of::<OmfSimpleArea>() == 400);
    assert!(size_of::<OmfFmap>() == 416);
    assert!(offset_of!(OmfFmap, count) == 8);
    assert!(offset_of!(OmfFmap, area) == 16);
};

/// A decoded simple extent (or strip).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Extent {
    pub devindex: u64,
    pub offset: u64,
    pub len: u64,
}

/// A decoded interleaved extent.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Interleave {
    pub chunk_size: u64,
    pub strips: Vec<Extent>,
}

/// A decoded fmap.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", content = "extents", rename_all = "lowercase")]
pub enum Fmap {
    Simple(Vec<Extent>),
    Interleaved(Vec<Interleave>),
}

/// A piece of a file that is contiguous on one device.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Segment {
    pub file_offset: u64,
    pub devindex: u64,
    pub dev_offset: u64,
    pub len: u64,
}

/// An allocation unit, shown as people say it ("2 MiB", "4 KiB").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Unit(pub u64);

impl core::fmt::Display for Unit {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        match self.0 {
            u if u >= 1 << 20 && u % (1 << 20) == 0 => write!(f, "{} MiB", u >> 20),
            u if u >= 1 << 10 && u % (1 << 10) == 0 => write!(f, "{} KiB", u >> 10),
            u => write!(f, "{u:#x}-byte"),
        }
    }
}

/// Why an fmap is unusable.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum FmapProblem {
    #[error("unknown extent type {0}")]
    UnknownType(u32),
    #[error("{count} extents (at most {max})")]
    TooManyExtents { count: u64, max: usize },
    #[error("no extents")]
    Empty,
    #[error("interleaved extent has {0} strips (1..=16 allowed)")]
    BadStripCount(u64),
    #[error("interleave chunk size {size:#x} is not a non-zero multiple of {unit}")]
    BadChunkSize { size: u64, unit: Unit },
    #[error("extent {index} (offset {offset:#x}, length {len:#x}) is not {unit} aligned")]
    Misaligned {
        index: usize,
        offset: u64,
        len: u64,
        unit: Unit,
    },
    #[error("extent {index} has length 0")]
    ZeroLength { index: usize },
    #[error("extent {index} wraps past the end of the address space")]
    Overflow { index: usize },
    #[error("strips of an interleaved extent differ in length")]
    UnequalStrips,
    #[error("extents hold {mapped:#x} bytes, less than the file size {size:#x}")]
    TooSmall { mapped: u64, size: u64 },
}

impl From<&OmfSimpleExtent> for Extent {
    fn from(e: &OmfSimpleExtent) -> Self {
        Extent {
            devindex: e.devindex.get(),
            offset: e.offset.get(),
            len: e.len.get(),
        }
    }
}

impl From<&Extent> for OmfSimpleExtent {
    fn from(e: &Extent) -> Self {
        OmfSimpleExtent {
            devindex: e.devindex.into(),
            offset: e.offset.into(),
            len: e.len.into(),
        }
    }
}

impl Extent {
    /// One past the last byte, `None` if that overflows.
    pub fn end(&self) -> Option<u64> {
        self.offset.checked_add(self.len)
    }
}

impl Interleave {
    /// Bytes of file data this extent holds: whole stripes of whole chunks,
    /// limited by the shortest strip.
    pub fn data_bytes(&self) -> u64 {
        let shortest = self.strips.iter().map(|s| s.len).min().unwrap_or(0);
        let chunks_per_strip = shortest.checked_div(self.chunk_size).unwrap_or(0);
        chunks_per_strip
            .saturating_mul(self.chunk_size)
            .saturating_mul(self.strips.len() as u64)
    }
}

impl OmfFmap {
    fn simple_area(&self) -> &OmfSimpleArea {
        transmute_ref!(&self.area)
    }

    fn interleaved_area(&self) -> &OmfInterleavedExtent {
        transmute_ref!(&self.area)
    }

    /// Decode, checking only structure (type, counts); see [`Fmap::check`]
    /// for alignment and coverage.
    pub fn decode(&self) -> Result<Fmap, FmapProblem> {
        let count = u64::from(self.count.get());
        match self.ext_type.get() {
            FMAP_SIMPLE => {
                if count > MAX_SIMPLE_EXTENTS as u64 {
                    return Err(FmapProblem::TooManyExtents {
                        count,
                        max: MAX_SIMPLE_EXTENTS,
                    });
                }
                let ext = &self.simple_area().extents[..count as usize];
                Ok(Fmap::Simple(ext.iter().map(Extent::from).collect()))
            }
            FMAP_INTERLEAVED => {
                if count > MAX_INTERLEAVED_EXTENTS as u64 {
                    return Err(FmapProblem::TooManyExtents {
                        count,
                        max: MAX_INTERLEAVED_EXTENTS,
                    });
                }
                let mut out = Vec::new();
                if count == 1 {
                    let ie = self.interleaved_area();
                    let nstrips = ie.nstrips.get();
                    if nstrips == 0 || nstrips > MAX_STRIPS as u64 {
                        return Err(FmapProblem::BadStripCount(nstrips));
                    }
                    out.push(Interleave {
                        chunk_size: ie.chunk_size.get(),
                        strips: ie.strips[..nstrips as usize]
                            .iter()
                            .map(Extent::from)
                            .collect(),
                    });
                }
                Ok(Fmap::Interleaved(out))
            }
            other => Err(FmapProblem::UnknownType(other)),
        }
    }

    /// Encode; fails if the fmap exceeds the on-media limits.
    pub fn encode(fmap: &Fmap) -> Result<Self, FmapProblem> {
        let mut area = [0u8; 400];
        let (ext_type, count) = match fmap {
            Fmap::Simple(ext) => {
                if ext.len() > MAX_SIMPLE_EXTENTS {
                    return Err(FmapProblem::TooManyExtents {
                        count: ext.len() as u64,
                        max: MAX_SIMPLE_EXTENTS,
                    });
                }
                for (slot, e) in area.chunks_exact_mut(size_of::<OmfSimpleExtent>()).zip(ext) {
                    slot.copy_from_slice(OmfSimpleExtent::from(e).as_bytes());
                }
                (FMAP_SIMPLE, ext.len())
            }
            Fmap::Interleaved(iext) => {
                if iext.len() > MAX_INTERLEAVED_EXTENTS {
                    return Err(FmapProblem::TooManyExtents {
                        count: iext.len() as u64,
                        max: MAX_INTERLEAVED_EXTENTS,
                    });
                }
                if let Some(ie) = iext.first() {
                    if ie.strips.is_empty() || ie.strips.len() > MAX_STRIPS {
                        return Err(FmapProblem::BadStripCount(ie.strips.len() as u64));
                    }
                    let mut strips = [OmfSimpleExtent::default(); MAX_STRIPS];
                    for (slot, s) in strips.iter_mut().zip(&ie.strips) {
                        *slot = s.into();
                    }
                    let omf = OmfInterleavedExtent {
                        nstrips: (ie.strips.len() as u64).into(),
                        chunk_size: ie.chunk_size.into(),
                        strips,
                    };
                    area.copy_from_slice(omf.as_bytes());
                }
                (FMAP_INTERLEAVED, iext.len())
            }
        };
        Ok(OmfFmap {
            ext_type: ext_type.into(),
            _pad0: [0; 4],
            count: (count as u32).into(),
            _pad1: [0; 4],
            area,
        })
    }
}

impl Fmap {
    /// Every device range the fmap claims (extents, or strips), in order.
    pub fn ranges(&self) -> Vec<Extent> {
        self.iter_ranges().copied().collect()
    }

    /// [`Self::ranges`] borrowed, with no allocation (replay and fsck walk
    /// every file's).
    pub fn iter_ranges(&self) -> impl Iterator<Item = &Extent> + '_ {
        let (simple, interleaved): (&[Extent], &[Interleave]) = match self {
            Fmap::Simple(ext) => (ext, &[]),
            Fmap::Interleaved(iext) => (&[], iext),
        };
        simple
            .iter()
            .chain(interleaved.iter().flat_map(|ie| ie.strips.iter()))
    }

    /// Bytes of file data the fmap can hold.
    pub fn data_bytes(&self) -> u64 {
        match self {
            Fmap::Simple(ext) => ext.iter().fold(0u64, |a, e| a.saturating_add(e.len)),
            Fmap::Interleaved(iext) => iext
                .iter()
                .fold(0u64, |a, ie| a.saturating_add(ie.data_bytes())),
        }
    }

    /// Check what the kernel checks: extents and strips 2 MiB aligned in
    /// offset and length, chunk size 2 MiB aligned, no wrap-around, and
    /// enough room for `file_size` bytes.
    pub fn check(&self, file_size: u64) -> Result<(), FmapProblem> {
        self.check_in_units(file_size, ALLOC_UNIT)
    }

    /// [`Fmap::check`] for a file system whose allocation unit is `unit`
    /// (a power of two): what makes valid media, which the kernel may
    /// still refuse to map when `unit` is below 2 MiB.
    pub fn check_in_units(&self, file_size: u64, unit: u64) -> Result<(), FmapProblem> {
        // A unit from damaged media must not divide by zero: use 2 MiB.
        let unit = if unit.is_power_of_two() {
            unit
        } else {
            ALLOC_UNIT
        };
        let ranges = self.ranges();
        if ranges.is_empty() {
            return Err(FmapProblem::Empty);
        }
        for (index, r) in ranges.iter().enumerate() {
            if r.len == 0 {
                return Err(FmapProblem::ZeroLength { index });
            }
            if r.offset % unit != 0 || r.len % unit != 0 {
                return Err(FmapProblem::Misaligned {
                    index,
                    offset: r.offset,
                    len: r.len,
                    unit: Unit(unit),
                });
            }
            if r.end().is_none() {
                return Err(FmapProblem::Overflow { index });
            }
        }
        if let Fmap::Interleaved(iext) = self {
            for ie in iext {
                if ie.chunk_size == 0 || ie.chunk_size % unit != 0 {
                    return Err(FmapProblem::BadChunkSize {
                        size: ie.chunk_size,
                        unit: Unit(unit),
                    });
                }
                if ie.strips.windows(2).any(|w| w[0].len != w[1].len) {
                    return Err(FmapProblem::UnequalStrips);
                }
            }
        }
        let mapped = self.data_bytes();
        if mapped < file_size {
            return Err(FmapProblem::TooSmall {
                mapped,
                size: file_size,
            });
        }
        Ok(())
    }

    /// Where file offset `off` lives: `(devindex, device offset, bytes
    /// contiguous from there)`, or `None` past the mapped data.
    pub fn resolve(&self, off: u64) -> Option<(u64, u64, u64)> {
        let mut base = 0u64;
        match self {
            Fmap::Simple(ext) => {
                for e in ext {
                    // A wrapping extent maps nothing (check() rejects it).
                    e.end()?;
                    if off < base.checked_add(e.len)? {
                        let within = off - base;
                        return Some((e.devindex, e.offset.checked_add(within)?, e.len - within));
                    }
                    base = base.checked_add(e.len)?;
                }
                None
            }
            Fmap::Interleaved(iext) => {
                for ie in iext {
                    let bytes = ie.data_bytes();
                    if off < base.checked_add(bytes)? {
                        let rel = off - base;
                        let chunk = rel / ie.chunk_size;
                        let nstrips = ie.strips.len() as u64;
                        let stripe = chunk / nstrips;
                        let strip = &ie.strips[(chunk % nstrips) as usize];
                        strip.end()?;
                        let in_chunk = rel % ie.chunk_size;
                        let dev_off = strip
                            .offset
                            .checked_add(stripe.checked_mul(ie.chunk_size)?)?
                            .checked_add(in_chunk)?;
                        return Some((strip.devindex, dev_off, ie.chunk_size - in_chunk));
                    }
                    base = base.checked_add(bytes)?;
                }
                None
            }
        }
    }

    /// The device pieces holding file bytes `0..file_size`, in file order.
    /// Stops early if the fmap holds less than that.
    pub fn segments(&self, file_size: u64) -> Vec<Segment> {
        let mut out = Vec::new();
        let mut off = 0u64;
        while off < file_size {
            let Some((devindex, dev_offset, len)) = self.resolve(off) else {
                break;
            };
            let len = len.min(file_size - off);
            if len == 0 {
                break;
            }
            out.push(Segment {
                file_offset: off,
                devindex,
                dev_offset,
                len,
            });
            off += len;
        }
        out
    }
}
