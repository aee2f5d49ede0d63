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
//! Its xoroshiro128+ is the original (2016) one, rotations 55/14/36; the
//! `rand_xoshiro` crate implements the 2018 revision (24/16/37), whose
//! second word already differs, so the two small generators are here.
//!
//! The stream is sequential (xoroshiro has no cheap seek), so a [`Pattern`]
//! is fed the file's bytes in order, in chunks of any size.

/// The seed upstream's generator really uses for `seed`.
pub fn effective_seed(seed: u64) -> u64 {
    u64::from(seed as u32)
}

/// SplitMix64: seeds the state words.
struct SplitMix64(u64);

impl SplitMix64 {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
}

/// xoroshiro128+ as upstream has it (original constants).
struct Xoroshiro128Plus([u64; 2]);

impl Xoroshiro128Plus {
    fn seeded(seed: u64) -> Self {
        let mut sm = SplitMix64(seed);
        let s0 = sm.next();
        Xoroshiro128Plus([s0, sm.next()])
    }

    fn next(&mut self) -> u64 {
        let [s0, mut s1] = self.0;
        let r = s0.wrapping_add(s1);
        s1 ^= s0;
        self.0 = [s0.rotate_left(55) ^ s1 ^ (s1 << 14), s1.rotate_left(36)];
        r
    }
}

/// The byte stream of one seed, from file offset 0 on.
pub struct Pattern {
    rng: Xoroshiro128Plus,
    /// Bytes of the current 4-byte word not handed out yet.
    word: [u8; 4],
    used: usize,
}

impl Pattern {
    /// The stream of `seed` (see [`effective_seed`]).
    pub fn new(seed: u64) -> Self {
        Pattern {
            rng: Xoroshiro128Plus::seeded(effective_seed(seed)),
            word: [0; 4],
            used: 4,
        }
    }

    /// The next word: the low 32 bits of the next output.
    fn next_word(&mut self) -> [u8; 4] {
        (self.rng.next() as u32).to_le_bytes()
    }

    /// Fill `buf` with the next `buf.len()` bytes of the stream.
    pub fn fill(&mut self, buf: &mut [u8]) {
        let mut i = 0;
        while i < buf.len() {
            if self.used == 4 {
                self.word = self.next_word();
                self.used = 0;
            }
            let n = (4 - self.used).min(buf.len() - i);
            buf[i..i + n].copy_from_slice(&self.word[self.used..self.used + n]);
            self.used += n;
            i += n;
        }
    }

    /// Compare `buf` with the next `buf.len()` bytes of the stream; the
    /// index in `buf` of the first byte that differs, if any.
    pub fn first_mismatch(&mut self, buf: &[u8]) -> Option<usize> {
        let mut want = vec![0u8; buf.len()];
        self.fill(&mut want);
        buf.iter().zip(&want).position(|(a, b)| a != b)
    }
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
}
