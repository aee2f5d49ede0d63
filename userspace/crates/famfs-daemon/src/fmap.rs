// SPDX-License-Identifier: GPL-2.0
//! GET_FMAP reply bodies: a file's extents from the log, in the famfs
//! extension format, built with the core encoders (which refuse to emit
//! anything the kernel would refuse), marked read-only where this host
//! may not write the file.

use std::mem::size_of;

use famfs_core::abi::{
    fuse_famfs_fmap_header, fuse_famfs_iext, fuse_famfs_simple_ext, FamfsFileType, FMAP_MAX,
};
use famfs_core::fmap::{
    encode_interleaved, encode_simple, mark_read_only, FmapError, InterleaveSpec, SimpleExt,
};
use famfs_omf::{Extent, Fmap};

use crate::attrs::meta_size;
use crate::nodes::MetaFile;
use crate::snapshot::SbFacts;

fn simple(e: &Extent) -> Result<SimpleExt, FmapError> {
    Ok(SimpleExt {
        devindex: u32::try_from(e.devindex).map_err(|_| FmapError::DevIndex)?,
        offset: e.offset,
        len: e.len,
    })
}

/// The exact size of the body for `fmap`. Replies are built in buffers of
/// this size, not of the 32 KiB a body may reach: zeroing 32 KiB for
/// every GET_FMAP was the largest cost of a cold open in the benchmark
/// (`make bench`), more than all the kernel's work for it. Capped at
/// [`FMAP_MAX`], so that an oversized map still fails in the encoder.
fn body_len(fmap: &Fmap) -> usize {
    let hdr = size_of::<fuse_famfs_fmap_header>();
    let sext = size_of::<fuse_famfs_simple_ext>();
    let iext = size_of::<fuse_famfs_iext>();
    let len = match fmap {
        Fmap::Simple(ext) => hdr + ext.len() * sext,
        Fmap::Interleaved(iext_list) => {
            hdr + iext_list
                .iter()
                .map(|ie| iext + ie.strips.len() * sext)
                .sum::<usize>()
        }
    };
    len.min(FMAP_MAX)
}

/// `buf[..n]`, marked read-only on this host if `read_only`.
fn finish(mut buf: Vec<u8>, n: usize, read_only: bool) -> Result<Vec<u8>, FmapError> {
    finish_at(&mut buf, 0, n, read_only)?;
    Ok(buf)
}

/// The GET_FMAP body of a file of `size` bytes with map `fmap`, read-only
/// on this host if `read_only`.
pub fn encode_file(size: u64, fmap: &Fmap, read_only: bool) -> Result<Vec<u8>, FmapError> {
    let mut buf = Vec::new();
    append_file(&mut buf, size, fmap, read_only)?;
    Ok(buf)
}

/// [`encode_file`]'s body appended to `out` (a LOOKUP reply being built:
/// no buffer of its own to allocate, copy and free on every cold open).
/// On failure `out` is as it was.
pub fn append_file(
    out: &mut Vec<u8>,
    size: u64,
    fmap: &Fmap,
    read_only: bool,
) -> Result<(), FmapError> {
    let start = out.len();
    let r = encode_file_at(out, start, size, fmap, read_only);
    if r.is_err() {
        out.truncate(start);
    }
    r
}

/// Encodes the body into `out` from `start`, leaving it exactly that long.
fn encode_file_at(
    out: &mut Vec<u8>,
    start: usize,
    size: u64,
    fmap: &Fmap,
    read_only: bool,
) -> Result<(), FmapError> {
    if size == 0 {
        // An empty file maps nothing (the kernel refuses extents on it),
        // whatever its log entry allocated.
        out.resize(start + size_of::<fuse_famfs_fmap_header>(), 0);
        let n = encode_simple(&mut out[start..], FamfsFileType::Regular, 0, &[])?;
        return finish_at(out, start, n, read_only);
    }
    out.resize(start + body_len(fmap), 0);
    let buf = &mut out[start..];
    let n = match fmap {
        Fmap::Simple(ext) => {
            let ext: Vec<SimpleExt> = ext.iter().map(simple).collect::<Result<_, _>>()?;
            encode_simple(buf, FamfsFileType::Regular, size, &ext)?
        }
        Fmap::Interleaved(iext) => {
            let strips: Vec<Vec<SimpleExt>> = iext
                .iter()
                .map(|ie| ie.strips.iter().map(simple).collect())
                .collect::<Result<_, _>>()?;
            let specs: Vec<InterleaveSpec<'_>> = iext
                .iter()
                .zip(&strips)
                .map(|(ie, s)| {
                    Ok(InterleaveSpec {
                        chunk_size: u32::try_from(ie.chunk_size)
                            .map_err(|_| FmapError::ChunkSize)?,
                        nbytes: ie.data_bytes(),
                        strips: s,
                    })
                })
                .collect::<Result<_, FmapError>>()?;
            encode_interleaved(buf, FamfsFileType::Regular, size, &specs)?
        }
    };
    finish_at(out, start, n, read_only)
}

/// `out` cut to the `n` bytes of the body at `start`, marked read-only on
/// this host if `read_only`.
fn finish_at(out: &mut Vec<u8>, start: usize, n: usize, read_only: bool) -> Result<(), FmapError> {
    out.truncate(start + n);
    if read_only {
        mark_read_only(&mut out[start..])?;
    }
    Ok(())
}

/// The GET_FMAP body of a `.meta` file: the superblock region (device 0,
/// offset 0, 2 MiB) or the log region; read-only on a client.
pub fn encode_meta(f: MetaFile, sb: &SbFacts, read_only: bool) -> Result<Vec<u8>, FmapError> {
    let (ty, offset) = match f {
        MetaFile::Superblock => (FamfsFileType::Superblock, 0),
        MetaFile::Log => (FamfsFileType::Log, sb.log_offset),
    };
    let len = meta_size(f, sb);
    let mut buf =
        vec![0u8; size_of::<fuse_famfs_fmap_header>() + size_of::<fuse_famfs_simple_ext>()];
    let n = encode_simple(
        &mut buf,
        ty,
        len,
        &[SimpleExt {
            devindex: 0,
            offset,
            len,
        }],
    )?;
    finish(buf, n, read_only)
}

#[cfg(test)]
mod tests {
    use super::*;
    use famfs_omf::Interleave;

    const MB2: u64 = 2 << 20;

    fn ext(offset: u64, len: u64) -> Extent {
        Extent {
            devindex: 0,
            offset,
            len,
        }
    }

    /// The reply buffer is sized exactly: what the encoder writes fills it.
    #[test]
    fn buffers_are_exactly_the_body() {
        let simple = Fmap::Simple(vec![ext(10 * MB2, MB2), ext(20 * MB2, MB2)]);
        let body = encode_file(2 * MB2, &simple, false).unwrap();
        assert_eq!(body.len(), body_len(&simple));
        assert_eq!(body.len(), 32 + 2 * 24);
        let il = Fmap::Interleaved(vec![Interleave {
            chunk_size: MB2,
            strips: vec![ext(10 * MB2, 4 * MB2), ext(20 * MB2, 4 * MB2)],
        }]);
        let body = encode_file(8 * MB2, &il, true).unwrap();
        assert_eq!(body.len(), body_len(&il));
        assert_eq!(body.len(), 32 + 24 + 2 * 24);
    }

    /// A LOOKUP reply's map is appended after what the reply holds, the
    /// same bytes as a GET_FMAP body; one that cannot be encoded leaves
    /// the reply as it was.
    #[test]
    fn append_is_the_body_after_the_prefix() {
        let simple = Fmap::Simple(vec![ext(10 * MB2, MB2), ext(20 * MB2, MB2)]);
        for ro in [false, true] {
            let mut out = vec![7u8; 40];
            append_file(&mut out, 2 * MB2, &simple, ro).unwrap();
            assert_eq!(&out[..40], &[7u8; 40][..]);
            assert_eq!(&out[40..], &encode_file(2 * MB2, &simple, ro).unwrap()[..]);
        }
        let mut out = vec![7u8; 40];
        append_file(&mut out, 0, &simple, false).unwrap();
        assert_eq!(&out[40..], &encode_file(0, &simple, false).unwrap()[..]);
        let bad = Fmap::Simple(vec![Extent {
            devindex: 99,
            offset: 0,
            len: MB2,
        }]);
        let mut out = vec![7u8; 40];
        assert!(append_file(&mut out, MB2, &bad, false).is_err());
        assert_eq!(out, vec![7u8; 40]);
    }
}
