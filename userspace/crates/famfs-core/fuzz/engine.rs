// SPDX-License-Identifier: GPL-2.0

//! Stable-Rust fuzzing engine for the core's parsers, shared by the bounded
//! run in `cargo test` (tests/fuzz.rs) and the long-run example
//! (examples/fuzz_replies.rs). Valid replies are generated, mutated, and
//! fed to the validators; every accepted input must also satisfy the
//! invariants the module relies on. A violated invariant panics.

use famfs_core::abi::{FamfsFileType, OUT_HEADER_LEN};
use famfs_core::attr::FileKind;
use famfs_core::daxdev::encode_daxdev_reply;
use famfs_core::dirent::DirentWriter;
use famfs_core::fmap::{encode_interleaved, encode_simple, FmapRef, InterleaveSpec, SimpleExt};
use famfs_core::init::{build_init_out, InitParams};
use famfs_core::wire::{
    check_reply, decode_request, finish_reply, reply_body_mut, Pending, ReplyBody,
};

const MB2: u64 = 2 << 20;

/// xorshift64*: small, deterministic, good enough to drive mutations.
pub struct Rng(u64);

impl Rng {
    /// A generator from a seed (0 is replaced).
    pub fn new(seed: u64) -> Self {
        Rng(seed.max(1))
    }
    /// Next 64 random bits.
    pub fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    /// Uniform-ish value in 0..n (n > 0).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

fn reply(body_len: usize, build: impl FnOnce(&mut [u8]) -> usize) -> Vec<u8> {
    let mut buf = vec![0u8; OUT_HEADER_LEN + body_len];
    let n = build(reply_body_mut(&mut buf).unwrap());
    let len = finish_reply(&mut buf, 7, n).unwrap();
    buf.truncate(len);
    buf
}

/// Places pieces of a valid map on random devices without overlap: each
/// piece starts a random gap after the previous one (the module refuses a
/// map whose pieces share device bytes).
#[derive(Default)]
struct Disjoint {
    next_offset: u64,
}

impl Disjoint {
    fn next(&mut self, r: &mut Rng, len: u64) -> SimpleExt {
        let offset = self.next_offset + r.below(1 << 10) * MB2;
        self.next_offset = offset + len;
        SimpleExt {
            devindex: r.below(24) as u32,
            offset,
            len,
        }
    }
}

fn random_fmap(r: &mut Rng) -> Vec<u8> {
    let ft = [
        FamfsFileType::Regular,
        FamfsFileType::Superblock,
        FamfsFileType::Log,
    ][r.below(3) as usize];
    if r.below(2) == 0 {
        let n = 1 + r.below(32) as usize;
        let mut at = Disjoint::default();
        let exts: Vec<SimpleExt> = (0..n)
            .map(|_| {
                let len = (1 + r.below(8)) * MB2;
                at.next(r, len)
            })
            .collect();
        let total: u64 = exts.iter().map(|e| e.len).sum();
        let size = total - r.below(MB2);
        reply(32768, |b| encode_simple(b, ft, size, &exts).unwrap())
    } else {
        let n = 1 + r.below(4) as usize;
        let mut at = Disjoint::default();
        let strips: Vec<Vec<SimpleExt>> = (0..n)
            .map(|_| {
                let ns = 1 + r.below(8);
                let per = (1 + r.below(4)) * MB2;
                (0..ns)
                    .map(|_| {
                        let len = per + r.below(2) * MB2;
                        at.next(r, len)
                    })
                    .collect()
            })
            .collect();
        let specs: Vec<InterleaveSpec> = strips
            .iter()
            .map(|s| {
                let per = s.iter().map(|e| e.len).min().unwrap();
                InterleaveSpec {
                    chunk_size: MB2 as u32,
                    nbytes: per * s.len() as u64,
                    strips: s,
                }
            })
            .collect();
        let total: u64 = specs.iter().map(|s| s.nbytes).sum();
        reply(32768, |b| {
            encode_interleaved(b, ft, total - r.below(MB2), &specs).unwrap()
        })
    }
}

/// A valid reply for a random kind of outstanding request.
pub fn valid_reply(r: &mut Rng) -> (Pending, Vec<u8>) {
    match r.below(5) {
        0 | 1 => (Pending::GetFmap, random_fmap(r)),
        2 => {
            let idx = r.below(24) as u16;
            let with_dev = r.below(2) == 0;
            let dev = with_dev.then(|| (r.below(512) as u32, r.below(1 << 20) as u32));
            (
                Pending::GetDaxdev {
                    index: u64::from(idx),
                    with_dev,
                },
                reply(280, |b| {
                    encode_daxdev_reply(b, idx, b"/dev/dax0.0", dev).unwrap()
                }),
            )
        }
        3 => (
            Pending::ReadDir {
                size: 4096,
                offset: 0,
            },
            reply(4096, |b| {
                let mut w = DirentWriter::new(b);
                for i in 1..=r.below(20) {
                    let name = format!("f{}", r.below(1 << 40));
                    let kind = if i % 2 == 0 {
                        FileKind::Regular
                    } else {
                        FileKind::Directory
                    };
                    w.push(i + 1, i, kind, name.as_bytes()).unwrap();
                }
                w.len()
            }),
        ),
        _ => {
            let p = InitParams {
                flags: famfs_core::abi::FUSE_DAX_FMAP,
                ..Default::default()
            };
            let o = build_init_out(&p);
            let mut buf = vec![0u8; 80];
            let n = famfs_core::wire::encode_reply(&mut buf, 7, &o).unwrap();
            buf.truncate(n);
            (Pending::Init { offered: u64::MAX }, buf)
        }
    }
}

/// Mutates a message in place (sometimes fixing the header length up so the
/// body validators are reached).
pub fn mutate(r: &mut Rng, m: &mut Vec<u8>) {
    for _ in 0..=r.below(4) {
        if m.is_empty() {
            m.push(0);
        }
        let at = r.below(m.len() as u64) as usize;
        match r.below(7) {
            0 => m[at] ^= 1 << r.below(8),
            1 => m[at] = [0, 1, 0x7f, 0x80, 0xff][r.below(5) as usize],
            2 => {
                let v: u64 = [
                    0,
                    1,
                    u64::MAX,
                    u64::MAX / 2,
                    MB2,
                    MB2 - 1,
                    1 << 63,
                    24,
                    32,
                    33,
                ][r.below(10) as usize];
                let at = at & !7;
                let end = (at + 8).min(m.len());
                m[at..end].copy_from_slice(&v.to_ne_bytes()[..end - at]);
            }
            3 => m.truncate(at),
            4 => m.extend((0..=r.below(64)).map(|_| r.next() as u8)),
            5 => {
                let v = r.next() as u32;
                let at = at & !3;
                let end = (at + 4).min(m.len());
                m[at..end].copy_from_slice(&v.to_ne_bytes()[..end - at]);
            }
            _ => {
                let end = (at + 1 + r.below(48) as usize).min(m.len());
                let chunk = m[at..end].to_vec();
                m.extend_from_slice(&chunk);
            }
        }
    }
    if r.below(4) != 0 && m.len() >= 4 {
        let len = m.len() as u32;
        m[..4].copy_from_slice(&len.to_ne_bytes());
    }
}

/// Checks what the module relies on for an accepted fmap: every resolved
/// range lies inside the file and inside an extent or strip.
pub fn check_fmap_invariants(r: &mut Rng, f: &FmapRef<'_>) {
    let size = f.file_size();
    let pieces: Vec<SimpleExt> = f.pieces().collect();
    for (i, a) in pieces.iter().enumerate() {
        for b in &pieces[i + 1..] {
            assert!(
                a.devindex != b.devindex
                    || a.offset + a.len <= b.offset
                    || b.offset + b.len <= a.offset,
                "accepted a map whose pieces overlap: {a:?} {b:?}"
            );
        }
    }
    for _ in 0..16 {
        if size == 0 {
            assert!(f.resolve(0).is_err());
            return;
        }
        let off = r.below(size);
        let res = f
            .resolve(off)
            .expect("accepted fmap must resolve every offset below the size");
        // Whole pages up to the end of the file's last 2 MiB unit: the page
        // holding EOF is mapped whole (fs/dax.c refuses partial pages).
        assert!(res.len > 0, "empty range");
        assert!(off + res.len <= f.alloc_end(), "range beyond the last unit");
        assert!((off + res.len) % MB2 == 0, "range ends inside a 2 MiB unit");
        assert!(
            pieces.iter().any(|p| p.devindex == res.devindex
                && res.dev_offset >= p.offset
                && res.dev_offset + res.len <= p.offset + p.len),
            "range outside every extent/strip"
        );
        assert!(f.device_mask() & (1 << res.devindex) != 0);
    }
    assert!(f.resolve(size).is_err());
}

/// Runs one input through every parser; panics on a broken invariant.
pub fn run_one(r: &mut Rng, pending: Pending, msg: &[u8]) {
    let _ = decode_request(msg);
    if let Ok(ReplyBody::Fmap(f)) = check_reply(pending, msg, famfs_core::abi::MAX_REPLY) {
        check_fmap_invariants(r, &f);
    }
    if let Ok(ReplyBody::Dirents(d)) = check_reply(pending, msg, famfs_core::abi::MAX_REPLY) {
        for e in d.iter() {
            assert!(!e.name.is_empty() && !e.name.contains(&b'/'));
        }
    }
    // The fault-path view must stay panic-free on any bytes.
    if let Some(body) = msg.get(OUT_HEADER_LEN..) {
        if let Ok(f) = FmapRef::reopen(body) {
            for _ in 0..4 {
                let _ = f.resolve(r.next() % f.file_size().max(1));
            }
            let _ = f.check_device_bounds(0, r.next());
            let _ = f.devices().count();
        }
    }
    // Every pending kind against any bytes.
    for p in [
        Pending::Lookup,
        Pending::GetAttr,
        Pending::Open,
        Pending::Statfs,
        Pending::Read { size: 64 },
        Pending::GetDaxdev {
            index: 0,
            with_dev: false,
        },
        Pending::GetDaxdev {
            index: 0,
            with_dev: true,
        },
    ] {
        let _ = check_reply(p, msg, famfs_core::abi::MAX_REPLY);
    }
}

/// Runs `iterations` mutated inputs from `seed`; returns how many were
/// accepted by the validator they were generated for.
pub fn run(seed: u64, iterations: u64) -> u64 {
    let mut r = Rng::new(seed);
    let mut accepted = 0;
    for _ in 0..iterations {
        let (pending, mut msg) = valid_reply(&mut r);
        if r.below(8) != 0 {
            mutate(&mut r, &mut msg);
        }
        if check_reply(pending, &msg, famfs_core::abi::MAX_REPLY).is_ok() {
            accepted += 1;
        }
        run_one(&mut r, pending, &msg);
        let random: Vec<u8> = (0..r.below(128)).map(|_| r.next() as u8).collect();
        run_one(&mut r, pending, &random);
    }
    accepted
}
