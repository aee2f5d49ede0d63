// SPDX-License-Identifier: GPL-2.0
//! A stable-Rust fuzzer for famfs superblock + log parsing, replay, fsck
//! and the allocator on top (cargo-fuzz needs nightly; this does not).
//!
//! It is a mutation fuzzer: it starts from real images (built with the
//! library, encoded with [`famfs_meta::fuzz::input_from_media`]), mutates
//! them with a seeded generator (bit flips, interesting values, copies,
//! truncation, flag changes, entry splices) and runs
//! [`famfs_meta::fuzz::fuzz_one`] on each, catching panics. The same
//! seed gives the same inputs, so a failure in CI is reproducible.

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::Arc;

use famfs_meta::fuzz::{
    fuzz_one, input_from_media, Depth, CLAMP_NEXT, FIX_ENTRY_CRCS, FIX_HEADER_CRC, FIX_SB_CRC,
    FUZZ_DEVICE_SIZE, TRY_WRITES,
};
use famfs_meta::{
    mkfs, Attrs, Famfs, InterleaveParams, Layout, Media, MetaStore, MkfsOptions, SparseMedia,
};
use uuid::Uuid;

/// xorshift64*: small, fast, seeded; good enough to drive mutations.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    /// Uniform-ish in `0..n` (`n > 0`).
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % n.max(1) as u64) as usize
    }
}

const ALL_FIXES: u8 = FIX_SB_CRC | FIX_HEADER_CRC | FIX_ENTRY_CRCS | CLAMP_NEXT;

/// Seed inputs: real file systems with every entry type and fmap kind.
pub fn seed_corpus() -> Vec<Vec<u8>> {
    let host = Uuid::from_u128(1);
    let m: Arc<dyn Media> = Arc::new(SparseMedia::new(FUZZ_DEVICE_SIZE, "seed"));
    let mut out = Vec::new();
    if mkfs(m.as_ref(), &MkfsOptions::new(host, "seed")).is_err() {
        return out;
    }
    out.push(input_from_media(m.as_ref(), 0, ALL_FIXES | TRY_WRITES));
    let Ok(store) = MetaStore::on_media(m.clone()) else {
        return out;
    };
    let Ok(mut fs) = Famfs::open(store, m.clone(), host) else {
        return out;
    };
    let a = Attrs {
        mode: 0o644,
        uid: 1,
        gid: 2,
    };
    let _ = fs.mkdir("dir/sub", a, true);
    let _ = fs.creat("dir/simple", 5 << 20, a, Layout::default());
    let params = InterleaveParams {
        nstrips: 3,
        chunk_size: 2 << 20,
        nbuckets: 4,
    };
    let _ = fs.creat(
        "dir/sub/striped",
        13 << 20,
        a,
        Layout::Interleaved {
            devices: vec![0],
            params,
        },
    );
    let sec: Arc<dyn Media> = Arc::new(SparseMedia::new(64 << 20, "second"));
    if let Ok(mut tx) = fs.begin() {
        let _ = tx.add_daxdev(sec, "second");
    }
    let _ = fs.creat("on-second", 4 << 20, a, Layout::Simple { devindex: 1 });
    let n = fs.replay().next_index;
    for flags in [
        ALL_FIXES | TRY_WRITES,
        ALL_FIXES,
        0,
        TRY_WRITES | CLAMP_NEXT,
    ] {
        out.push(input_from_media(m.as_ref(), n, flags));
    }
    out
}

/// Mutate `input` in place, a few times.
pub fn mutate(rng: &mut Rng, input: &mut Vec<u8>, corpus: &[Vec<u8>]) {
    const INTERESTING: [u64; 10] = [
        0,
        1,
        2,
        0x7f,
        0xff,
        0x20_0000,
        0x80_0000,
        u32::MAX as u64,
        i64::MAX as u64,
        u64::MAX,
    ];
    for _ in 0..1 + rng.below(4) {
        if input.is_empty() {
            input.push(0);
        }
        let len = input.len();
        match rng.below(9) {
            0 => input[rng.below(len)] ^= 1 << rng.below(8),
            1 => input[rng.below(len)] = rng.next_u64() as u8,
            2 => {
                // An interesting little-endian value at an 8-aligned field.
                let at = rng.below(len) & !7;
                let v = INTERESTING[rng.below(INTERESTING.len())].to_le_bytes();
                let n = (len - at).min(8);
                input[at..at + n].copy_from_slice(&v[..n]);
            }
            3 => {
                let at = rng.below(len) & !3;
                let v = (rng.below(6) as u32).to_le_bytes();
                let n = (len - at).min(4);
                input[at..at + n].copy_from_slice(&v[..n]);
            }
            4 => {
                let (from, to) = (rng.below(len), rng.below(len));
                let n = rng.below(64).min(len - from).min(len - to);
                input.copy_within(from..from + n, to);
            }
            5 => input.truncate(rng.below(len + 1)),
            6 => input[0] = rng.next_u64() as u8 | if rng.below(2) == 0 { ALL_FIXES } else { 0 },
            7 => {
                // Splice a whole log slot from another corpus input.
                if let Some(other) = corpus.get(rng.below(corpus.len())) {
                    let base = 1 + 200 + 48;
                    let slots = |v: &Vec<u8>| v.len().saturating_sub(base) / 544;
                    let (so, si) = (slots(other), slots(input));
                    if so > 0 && si > 0 {
                        let (f, t) = (base + rng.below(so) * 544, base + rng.below(si) * 544);
                        input[t..t + 544].copy_from_slice(&other[f..f + 544]);
                    }
                }
            }
            _ => {
                let n = rng.below(600);
                input.extend((0..n).map(|_| rng.next_u64() as u8));
            }
        }
    }
}

/// Outcome of a bounded run.
#[derive(Debug, Default)]
pub struct RunStats {
    pub executions: u64,
    /// Inputs whose superblock and log header were accepted.
    pub parsed: u64,
    /// Inputs that were opened (replayed, allocator built).
    pub replayed: u64,
    /// Inputs on which a mkdir or creat succeeded.
    pub wrote: u64,
}

impl RunStats {
    fn count(&mut self, d: Depth) {
        self.executions += 1;
        self.parsed += u64::from(d >= Depth::Parsed);
        self.replayed += u64::from(d >= Depth::Replayed);
        self.wrote += u64::from(d >= Depth::Wrote);
    }
}

/// Run `iterations` mutated inputs from `seed`. Returns the first input
/// that panicked, if any.
pub fn run(iterations: u64, seed: u64, extra: Vec<Vec<u8>>) -> Result<RunStats, Vec<u8>> {
    let mut corpus = seed_corpus();
    corpus.extend(extra);
    for c in &corpus {
        check(c)?;
    }
    let mut rng = Rng::new(seed);
    let mut stats = RunStats::default();
    for i in 0..iterations {
        let mut input = corpus[rng.below(corpus.len())].clone();
        mutate(&mut rng, &mut input, &corpus);
        stats.count(check(&input)?);
        // Keep some mutants as new starting points (cheap diversity).
        if i % 64 == 0 && corpus.len() < 256 {
            corpus.push(input);
        }
    }
    Ok(stats)
}

/// Run one input; `Err(input)` if it panicked.
pub fn check(input: &[u8]) -> Result<Depth, Vec<u8>> {
    catch_unwind(AssertUnwindSafe(|| fuzz_one(input))).map_err(|_| input.to_vec())
}
