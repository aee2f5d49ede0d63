// SPDX-License-Identifier: GPL-2.0

//! Property tests: encode -> validate -> resolve round trips, resolution
//! against a naive reference model, and panic-freedom on arbitrary bytes.

use famfs_core::abi::{FamfsFileType, MAX_REPLY};
use famfs_core::attr::FileKind;
use famfs_core::dirent::{DirentWriter, Dirents};
use famfs_core::fmap::{
    encode_interleaved, encode_simple, FmapError, FmapRef, InterleaveSpec, SimpleExt,
};
use famfs_core::wire::{check_reply, decode_request, Pending};
use proptest::prelude::*;

const MB2: u64 = 2 << 20;

fn simple_ext() -> impl Strategy<Value = SimpleExt> {
    (0u32..24, 0u64..(1 << 30), 1u64..16).prop_map(|(d, o, l)| SimpleExt {
        devindex: d,
        offset: o * MB2,
        len: l * MB2,
    })
}

/// Interleaved extents: (chunk units, stripes, strips with extra units).
fn interleave() -> impl Strategy<Value = (u32, u64, Vec<(SimpleExt, u64)>)> {
    (
        1u32..4,
        1u64..4,
        prop::collection::vec((simple_ext(), 0u64..2), 1..8),
    )
}

/// Whether no two runs share a byte of one device (what the module
/// requires of a map).
fn disjoint(pieces: &[SimpleExt]) -> bool {
    pieces.iter().enumerate().all(|(i, a)| {
        pieces[i + 1..].iter().all(|b| {
            a.devindex != b.devindex || a.offset + a.len <= b.offset || b.offset + b.len <= a.offset
        })
    })
}

/// Reference model for simple extents: walk byte ranges in file order.
fn naive_simple(exts: &[SimpleExt], off: u64) -> (u32, u64, u64) {
    let mut pos = 0;
    for e in exts {
        if off < pos + e.len {
            return (e.devindex, e.offset + (off - pos), e.len - (off - pos));
        }
        pos += e.len;
    }
    unreachable!()
}

/// Reference model for one interleaved extent: lay the chunks out one by
/// one, stripe after stripe, strip after strip.
fn naive_interleave(strips: &[SimpleExt], chunk: u64, nbytes: u64, rel: u64) -> (u32, u64, u64) {
    let mut pos = 0;
    let mut stripe = 0;
    while pos < nbytes {
        for s in strips {
            if rel < pos + chunk {
                return (
                    s.devindex,
                    s.offset + stripe * chunk + (rel - pos),
                    pos + chunk - rel,
                );
            }
            pos += chunk;
        }
        stripe += 1;
    }
    unreachable!()
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]

    #[test]
    fn simple_round_trip(exts in prop::collection::vec(simple_ext(), 1..=32), cut in 0u64..MB2, offs in prop::collection::vec(any::<u64>(), 16)) {
        prop_assume!(disjoint(&exts));
        let total: u64 = exts.iter().map(|e| e.len).sum();
        let size = total - cut;
        let alloc_end = size.div_ceil(MB2) * MB2;
        let mut buf = vec![0u8; 32768];
        let n = encode_simple(&mut buf, FamfsFileType::Regular, size, &exts).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        prop_assert_eq!(f.pieces().collect::<Vec<_>>(), exts.clone());
        for o in offs {
            let off = o % size;
            let r = f.resolve(off).unwrap();
            let (d, dev, avail) = naive_simple(&exts, off);
            prop_assert_eq!((r.devindex, r.dev_offset, r.len), (d, dev, avail.min(alloc_end - off)));
            prop_assert!(r.len > 0 && off + r.len <= alloc_end && (off + r.len) % MB2 == 0);
        }
        prop_assert!(f.resolve(size).is_err());
        let mask = exts.iter().fold(0u32, |m, e| m | 1 << e.devindex);
        prop_assert_eq!(f.device_mask(), mask);
        let max_end = exts.iter().map(|e| e.offset + e.len).max().unwrap();
        let d0 = exts[0].devindex;
        let end0 = exts.iter().filter(|e| e.devindex == d0).map(|e| e.offset + e.len).max().unwrap();
        prop_assert!(f.check_device_bounds(d0, end0).is_ok());
        prop_assert!(f.check_device_bounds(d0, end0 - 1).is_err());
        prop_assert!(f.check_device_bounds(d0, max_end).is_ok());
    }

    #[test]
    fn interleave_matches_reference(ils in prop::collection::vec(interleave(), 1..4), cut in 0u64..MB2, offs in prop::collection::vec(any::<u64>(), 16)) {
        let strips: Vec<Vec<SimpleExt>> = ils.iter().map(|(c, stripes, ss)| {
            let per = u64::from(*c) * MB2 * stripes;
            ss.iter().map(|(s, extra)| SimpleExt { len: per + extra * MB2, ..*s }).collect()
        }).collect();
        let specs: Vec<InterleaveSpec> = ils.iter().zip(&strips).map(|((c, stripes, _), ss)| InterleaveSpec {
            chunk_size: c * MB2 as u32,
            nbytes: u64::from(*c) * MB2 * stripes * ss.len() as u64,
            strips: ss,
        }).collect();
        prop_assume!(disjoint(&strips.concat()));
        let total: u64 = specs.iter().map(|s| s.nbytes).sum();
        let size = total - cut;
        let alloc_end = size.div_ceil(MB2) * MB2;
        let mut buf = vec![0u8; 32768];
        let n = encode_interleaved(&mut buf, FamfsFileType::Log, size, &specs).unwrap();
        let f = FmapRef::parse(&buf[..n]).unwrap();
        for o in offs {
            let off = o % size;
            let r = f.resolve(off).unwrap();
            let mut start = 0;
            let spec = specs.iter().find(|s| { let hit = off < start + s.nbytes; if !hit { start += s.nbytes; } hit }).unwrap();
            let (d, dev, avail) = naive_interleave(spec.strips, u64::from(spec.chunk_size), spec.nbytes, off - start);
            prop_assert_eq!((r.devindex, r.dev_offset, r.len), (d, dev, avail.min(alloc_end - off)));
            // Inside one strip, inside the file's last 2 MiB unit.
            prop_assert!(spec.strips.iter().any(|s| s.devindex == r.devindex && r.dev_offset >= s.offset && r.dev_offset + r.len <= s.offset + s.len));
            prop_assert!(r.len > 0 && off + r.len <= alloc_end && (off + r.len) % MB2 == 0);
        }
    }

    /// A map whose pieces share device bytes is refused, whichever piece
    /// overlaps which and by how much.
    #[test]
    fn overlapping_pieces_refused(exts in prop::collection::vec(simple_ext(), 1..=31), pick in any::<prop::sample::Index>(), shift in 0u64..16, before in any::<bool>()) {
        prop_assume!(disjoint(&exts));
        let victim = exts[pick.index(exts.len())];
        // A piece that starts inside the victim, or ends inside it.
        let shift = (shift % (victim.len / MB2)) * MB2;
        let rogue = if before && victim.offset >= MB2 {
            SimpleExt { offset: victim.offset - MB2, len: MB2 + shift + MB2, ..victim }
        } else {
            SimpleExt { offset: victim.offset + shift, len: MB2, ..victim }
        };
        let mut all = exts.clone();
        all.insert(pick.index(exts.len() + 1), rogue);
        let total: u64 = all.iter().map(|e| e.len).sum();
        let mut buf = vec![0u8; 32768];
        prop_assert_eq!(encode_simple(&mut buf, FamfsFileType::Regular, total, &all), Err(FmapError::Overlap));
    }

    #[test]
    fn dirents_round_trip(names in prop::collection::vec("[a-zA-Z0-9._-]{1,40}", 0..30)) {
        let mut buf = vec![0u8; 4096];
        let mut w = DirentWriter::new(&mut buf);
        let mut written = 0;
        for (i, name) in names.iter().enumerate() {
            let kind = if i % 3 == 0 { FileKind::Directory } else { FileKind::Regular };
            if !w.push(i as u64 + 2, i as u64 + 1, kind, name.as_bytes()).unwrap() { break; }
            written += 1;
        }
        let n = w.len();
        let d = Dirents::parse(&buf[..n], 0).unwrap();
        let got: Vec<&[u8]> = d.iter().map(|e| e.name).collect();
        let want: Vec<&[u8]> = names.iter().take(written).map(|s| s.as_bytes()).collect();
        prop_assert_eq!(got, want);
    }

    #[test]
    fn arbitrary_bytes_never_panic(bytes in prop::collection::vec(any::<u8>(), 0..600), size in any::<u32>(), offset in any::<u64>(), index in any::<u64>()) {
        let _ = decode_request(&bytes);
        let _ = FmapRef::parse(&bytes);
        if let Ok(f) = FmapRef::reopen(&bytes) {
            let _ = f.resolve(offset);
            let _ = f.check_device_bounds(0, offset);
            let _ = f.devices().count();
        }
        let _ = Dirents::parse(&bytes, offset);
        for p in [
            Pending::Init { offered: offset },
            Pending::Lookup,
            Pending::GetAttr,
            Pending::Open,
            Pending::OpenDir,
            Pending::Read { size },
            Pending::Statfs,
            Pending::Release,
            Pending::ReleaseDir,
            Pending::ReadDir { size, offset },
            Pending::Interrupt,
            Pending::Destroy,
            Pending::GetFmap,
            Pending::GetDaxdev { index, with_dev: index % 2 == 0 },
        ] {
            let _ = check_reply(p, &bytes, MAX_REPLY);
            // With a consistent length field, so the body validators run.
            let mut fixed = bytes.clone();
            if fixed.len() >= 16 {
                let len = fixed.len() as u32;
                fixed[..4].copy_from_slice(&len.to_ne_bytes());
                fixed[4..8].copy_from_slice(&0u32.to_ne_bytes());
                let _ = check_reply(p, &fixed, MAX_REPLY);
            }
        }
    }
}
