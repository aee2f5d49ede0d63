// SPDX-License-Identifier: GPL-2.0
//! Reproducible file contents for `creat --randomize --seed` and `verify`:
//! the very bytes upstream famfs writes and checks for the same seed, so a
//! file made by either tool verifies with the other.
//!
//! Upstream's generator: xoroshiro128+ whose two state words are the first
//! two outputs of SplitMix64 seeded with the seed; the file is a run of
//! 4-byte little-endian words, each the low 32 bits of the next output; a
//! tail shorter than 4 bytes is the low bytes of one more output. Upstream
//! passes the seed through a C `unsigned int`, so only its low 32 bits
//! count; a seed of 0 means "no data" to its creat and is refused by its
//! verify (callers here do the same).
//!
//! Its xoroshiro128+ is the original (2016) one, rotations 55/14/36 (see
//! [`crate::xoroshiro`]).
//!
//! A [`Pattern`] is fed the file's bytes in order, in chunks of any size.
//! A check of a large chunk runs several pieces of the stream side by side
//! (jumping ahead to each piece's start), which is what makes `verify`
//! faster than the generator's one-step-at-a-time speed.

use crate::xoroshiro::{jump_poly, lanes_diff, Xoroshiro128Plus, LANES};

/// The seed upstream's generator really uses for `seed`.
pub fn effective_seed(seed: u64) -> u64 {
    u64::from(seed as u32)
}

/// Words checked between tests for a difference: the compare loop has no
/// branch per word, only one per block.
const BLOCK_WORDS: usize = 256;

/// Words per lane below which a check runs one lane: the jumps (128 steps
/// each) would cost more than the lanes save.
const MIN_LANE_WORDS: usize = 1024;

/// The low 32 bits of `word`'s little-endian bytes.
fn le_word(w: &[u8]) -> u32 {
    u32::from_le_bytes([w[0], w[1], w[2], w[3]])
}

/// The byte stream of one seed, from file offset 0 on.
///
/// Whole words go straight between the generator and the caller's buffer
/// (no per-byte loop, no buffer of its own): filling and checking run at
/// the generator's speed.
pub struct Pattern {
    rng: Xoroshiro128Plus,
    /// Bytes of the current 4-byte word not handed out yet.
    word: [u8; 4],
    used: usize,
    /// The last lane length checked, and the jump polynomial for it.
    jump: (usize, u128),
}

impl Pattern {
    /// The stream of `seed` (see [`effective_seed`]).
    pub fn new(seed: u64) -> Self {
        Pattern {
            rng: Xoroshiro128Plus::seeded(effective_seed(seed)),
            word: [0; 4],
            used: 4,
            jump: (0, 1),
        }
    }

    /// The stream of `seed` from byte `offset` on: a jump, not a walk, so
    /// pieces of one file can be checked at the same time.
    pub fn at(seed: u64, offset: u64) -> Self {
        let mut p = Pattern::new(seed);
        p.rng = p.rng.jumped(jump_poly(offset / 4));
        let inside = (offset % 4) as usize;
        if inside != 0 {
            p.word = p.next_word().to_le_bytes();
            p.used = inside;
        }
        p
    }

    /// The next word: the low 32 bits of the next output.
    fn next_word(&mut self) -> u32 {
        self.rng.next() as u32
    }

    /// How many bytes at the start of a buffer of `len` come from the rest
    /// of the current word.
    fn head(&self, len: usize) -> usize {
        (4 - self.used).min(len)
    }

    /// Fill `buf` with the next `buf.len()` bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let head = self.head(buf.len());
        buf[..head].copy_from_slice(&self.word[self.used..self.used + head]);
        self.used += head;
        let mut words = buf[head..].chunks_exact_mut(4);
        for w in &mut words {
            w.copy_from_slice(&self.next_word().to_le_bytes());
        }
        let tail = words.into_remainder();
        if !tail.is_empty() {
            self.word = self.next_word().to_le_bytes();
            self.used = tail.len();
            tail.copy_from_slice(&self.word[..tail.len()]);
        }
    }

    /// Compare `buf` with the next `buf.len()` bytes of the stream; the
    /// index in `buf` of the first byte that differs, if any. After a
    /// difference the stream's position is unspecified.
    pub fn first_mismatch(&mut self, buf: &[u8]) -> Option<usize> {
        let head = self.head(buf.len());
        if let Some(i) = first_diff(&buf[..head], &self.word[self.used..self.used + head]) {
            return Some(i);
        }
        self.used += head;
        let body = &buf[head..];
        let whole = body.len() & !3;
        if let Some(i) = self.mismatch_in_words(&body[..whole]) {
            return Some(head + i);
        }
        let tail = &body[whole..];
        if !tail.is_empty() {
            self.word = self.next_word().to_le_bytes();
            self.used = tail.len();
            if let Some(i) = first_diff(tail, &self.word[..tail.len()]) {
                return Some(head + whole + i);
            }
        }
        None
    }

    /// [`Self::first_mismatch`] for whole words (`data.len() % 4 == 0`) at a
    /// word boundary of the stream. A large buffer is cut into [`LANES`]
    /// pieces checked side by side, each from its own jump ahead; where
    /// they find a difference, the one-lane check says where it is.
    fn mismatch_in_words(&mut self, data: &[u8]) -> Option<usize> {
        let seg = data.len() / 4 / LANES;
        if seg < MIN_LANE_WORDS {
            return self.mismatch_one_lane(data);
        }
        if self.jump.0 != seg {
            self.jump = (seg, jump_poly(seg as u64));
        }
        let start = self.rng;
        let mut states = [start; LANES];
        for l in 1..LANES {
            states[l] = states[l - 1].jumped(self.jump.1);
        }
        let split = 4 * LANES * seg;
        let (ends, differ) = lanes_diff(states, &data[..split], seg);
        if differ {
            self.rng = start;
            return self.mismatch_one_lane(data);
        }
        self.rng = ends[LANES - 1];
        self.mismatch_one_lane(&data[split..]).map(|i| split + i)
    }

    /// The same, one word after another: differences are OR-ed over a
    /// block and looked for only in a block that has one.
    fn mismatch_one_lane(&mut self, data: &[u8]) -> Option<usize> {
        for (b, block) in data.chunks(4 * BLOCK_WORDS).enumerate() {
            let start = self.rng.0;
            let mut diff = 0u32;
            for w in block.chunks_exact(4) {
                diff |= le_word(w) ^ self.next_word();
            }
            if diff != 0 {
                // Rare: go over the block again, word by word, to say where.
                self.rng.0 = start;
                for (i, w) in block.chunks_exact(4).enumerate() {
                    let want = self.next_word().to_le_bytes();
                    if let Some(byte) = first_diff(w, &want) {
                        return Some(b * 4 * BLOCK_WORDS + 4 * i + byte);
                    }
                }
            }
        }
        None
    }
}

/// The first index where `a` and `b` (of equal length) differ.
fn first_diff(a: &[u8], b: &[u8]) -> Option<usize> {
    a.iter().zip(b).position(|(x, y)| x != y)
}

/// The first `len` bytes of the stream of `seed` (tests, small files).
pub fn bytes(seed: u64, len: usize) -> Vec<u8> {
    let mut v = vec![0u8; len];
    Pattern::new(seed).fill(&mut v);
    v
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The first bytes upstream's `creat --randomize --seed 3` wrote (file
    /// data/a of the shared upstream-1g image, at device offset 0xa00000):
    /// pins the seeding, the rotations and the word order without the image.
    #[test]
    fn matches_bytes_upstream_wrote() {
        let upstream = [
            0x76, 0x39, 0x83, 0x56, 0x8d, 0x5d, 0x4c, 0xc0, 0xfd, 0xf2, 0x7f, 0x7b, 0x63, 0xca,
            0xc8, 0xbe,
        ];
        assert_eq!(bytes(3, 16), upstream);
    }

    #[test]
    fn chunking_does_not_change_the_stream() {
        let whole = bytes(9, 1000);
        let mut p = Pattern::new(9);
        let mut got = Vec::new();
        for n in [1, 2, 3, 5, 7, 11, 971] {
            let mut b = vec![0u8; n];
            p.fill(&mut b);
            got.extend_from_slice(&b);
        }
        assert_eq!(got, whole);
    }

    #[test]
    fn only_the_low_32_bits_of_a_seed_count() {
        assert_eq!(bytes(5, 64), bytes(5 + (1 << 32), 64));
        assert_ne!(bytes(5, 64), bytes(6, 64));
    }

    #[test]
    fn mismatch_is_found_where_it_is() {
        let mut data = bytes(3, 100);
        assert_eq!(Pattern::new(3).first_mismatch(&data), None);
        data[77] ^= 1;
        assert_eq!(Pattern::new(3).first_mismatch(&data), Some(77));
    }
    /// The stream as the format defines it, one byte at a time: the fast
    /// paths must give exactly these bytes.
    fn reference(seed: u64, len: usize) -> Vec<u8> {
        let mut rng = Xoroshiro128Plus::seeded(effective_seed(seed));
        let mut out = Vec::with_capacity(len + 4);
        while out.len() < len {
            out.extend_from_slice(&(rng.next() as u32).to_le_bytes());
        }
        out.truncate(len);
        out
    }

    #[test]
    fn whole_words_match_the_byte_at_a_time_stream() {
        let len = 3 * 4 * BLOCK_WORDS + 7;
        assert_eq!(bytes(11, len), reference(11, len));
        // Pieces that start and end inside words and blocks.
        let mut p = Pattern::new(11);
        let mut got = Vec::new();
        for n in [
            3,
            1,
            4 * BLOCK_WORDS + 2,
            6,
            4 * BLOCK_WORDS - 1,
            0,
            9,
            1 << 12,
        ] {
            let mut b = vec![0u8; n];
            p.fill(&mut b);
            got.extend_from_slice(&b);
        }
        assert_eq!(got, reference(11, got.len()));
    }

    #[test]
    fn mismatch_is_found_at_every_kind_of_position() {
        // Large enough for the lanes (with words left over after them).
        let lane = 4 * MIN_LANE_WORDS + 12;
        let len = LANES * lane + 4 * BLOCK_WORDS + 5;
        let good = reference(4, len);
        let positions = [
            0,
            1,
            3,
            4,
            1021,
            4 * BLOCK_WORDS - 1,
            4 * BLOCK_WORDS,
            lane - 1,
            lane,
            3 * lane + 6,
            LANES * lane - 1,
            LANES * lane + 2,
            len - 1,
        ];
        for at in positions {
            let mut data = good.clone();
            data[at] ^= 0x80;
            // Whole, and in pieces that begin mid-word.
            assert_eq!(Pattern::new(4).first_mismatch(&data), Some(at), "at {at}");
            let mut p = Pattern::new(4);
            let mut off = 0;
            let mut found = None;
            for n in [2, 4 * BLOCK_WORDS + 3, len / 2 + 1, len] {
                let end = (off + n).min(len);
                if let Some(i) = p.first_mismatch(&data[off..end]) {
                    found = Some(off + i);
                    break;
                }
                off = end;
            }
            assert_eq!(found, Some(at), "in pieces, at {at}");
        }
        assert_eq!(Pattern::new(4).first_mismatch(&good), None);
        // Lanes leave the stream where one lane would: a check after them
        // still matches.
        let mut p = Pattern::new(4);
        assert_eq!(p.first_mismatch(&good[..len - 7]), None);
        assert_eq!(p.first_mismatch(&good[len - 7..]), None);
    }

    #[test]
    fn a_pattern_can_start_anywhere() {
        let whole = reference(21, 40_000);
        for off in [0, 1, 2, 3, 4, 5, 1023, 4096, 39_999] {
            let mut b = vec![0u8; whole.len() - off];
            Pattern::at(21, off as u64).fill(&mut b);
            assert_eq!(b, whole[off..], "from {off}");
            assert_eq!(
                Pattern::at(21, off as u64).first_mismatch(&whole[off..]),
                None
            );
        }
    }
}
