// SPDX-License-Identifier: GPL-2.0
//! The generator behind [`crate::pattern`]: xoroshiro128+ in its original
//! (2016) form, rotations 55/14/36, seeded by SplitMix64, as upstream famfs
//! has it. The `rand_xoshiro` crate implements the 2018 revision
//! (24/16/37), whose second word already differs, hence this copy.
//!
//! Jumping: one step is a linear map `T` of the 128-bit state over GF(2),
//! so `T^k = c(T)` where `c(x) = x^k mod p(x)` and `p` is the map's
//! characteristic polynomial (degree 128). A jump costs 128 steps and
//! lets a check run several pieces of one stream side by side.

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

/// The characteristic polynomial of one step, without its `x^128` term
/// (found by Berlekamp-Massey on the generator's output; a test checks it
/// against stepping and against the generator's published 2^64 jump).
const CHARPOLY_LOW: u128 = 0x0065_3ced_7f29_f88a_5fd6_6762_f0e1_c001;

/// One step of the state; returns the output.
#[inline(always)]
fn step(s0: &mut u64, s1: &mut u64) -> u64 {
    let (a, b) = (*s0, *s1 ^ *s0);
    let r = a.wrapping_add(*s1);
    *s0 = a.rotate_left(55) ^ b ^ (b << 14);
    *s1 = b.rotate_left(36);
    r
}

/// xoroshiro128+ as upstream has it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Xoroshiro128Plus(pub(crate) [u64; 2]);

impl Xoroshiro128Plus {
    pub(crate) fn seeded(seed: u64) -> Self {
        let mut sm = SplitMix64(seed);
        let s0 = sm.next();
        Xoroshiro128Plus([s0, sm.next()])
    }

    #[inline(always)]
    pub(crate) fn next(&mut self) -> u64 {
        let [mut s0, mut s1] = self.0;
        let r = step(&mut s0, &mut s1);
        self.0 = [s0, s1];
        r
    }

    /// The state `k` steps on, for `poly = jump_poly(k)`.
    pub(crate) fn jumped(self, poly: u128) -> Self {
        let [mut s0, mut s1] = self.0;
        let mut t = [0u64; 2];
        for i in 0..128 {
            if (poly >> i) & 1 == 1 {
                t[0] ^= s0;
                t[1] ^= s1;
            }
            step(&mut s0, &mut s1);
        }
        Xoroshiro128Plus(t)
    }
}

/// `a * b mod p(x)` for polynomials over GF(2) of degree below 128.
fn mulmod(mut a: u128, b: u128) -> u128 {
    let mut r = 0;
    for i in 0..128 {
        if (b >> i) & 1 == 1 {
            r ^= a;
        }
        let carry = a >> 127;
        a <<= 1;
        if carry == 1 {
            a ^= CHARPOLY_LOW;
        }
    }
    r
}

/// `x^k mod p(x)`: what [`Xoroshiro128Plus::jumped`] needs to go `k` steps.
pub(crate) fn jump_poly(mut k: u64) -> u128 {
    let (mut r, mut base) = (1u128, 2u128);
    while k != 0 {
        if k & 1 == 1 {
            r = mulmod(r, base);
        }
        base = mulmod(base, base);
        k >>= 1;
    }
    r
}

/// Streams run side by side by [`lanes_diff`].
pub(crate) const LANES: usize = 4;

/// Runs `LANES` generators from `states`, lane `l` over the words
/// `words[l * seg .. (l + 1) * seg]` (little-endian `u32`s; `words` holds
/// `LANES * seg` of them), and returns the lanes' end states and whether
/// any word differed from the low half of its output. The lanes are
/// independent, so their steps overlap instead of waiting on each other
/// (one generator step depends on the last: about three cycles each);
/// with AVX2 all four go in one vector.
pub(crate) fn lanes_diff(
    states: [Xoroshiro128Plus; LANES],
    words: &[u8],
    seg: usize,
) -> ([Xoroshiro128Plus; LANES], bool) {
    #[cfg(target_arch = "x86_64")]
    if std::is_x86_feature_detected!("avx2") {
        // SAFETY: avx2::lanes_diff requires only that the CPU have AVX2,
        // detected just above.
        return unsafe { avx2::lanes_diff(states, words, seg) };
    }
    lanes_diff_scalar(states, words, seg)
}

/// The lanes of [`lanes_diff`] the CPU's integer units run side by side.
fn lanes_diff_scalar(
    states: [Xoroshiro128Plus; LANES],
    words: &[u8],
    seg: usize,
) -> ([Xoroshiro128Plus; LANES], bool) {
    let [[mut a0, mut a1], [mut b0, mut b1], [mut c0, mut c1], [mut d0, mut d1]] =
        states.map(|s| s.0);
    let Some([a, b, c, d]) = lane_words(words, seg) else {
        return (states, false);
    };
    let mut diff = 0u32;
    for (((wa, wb), wc), wd) in a.zip(b).zip(c).zip(d) {
        diff |= (word(wa) ^ step(&mut a0, &mut a1) as u32)
            | (word(wb) ^ step(&mut b0, &mut b1) as u32)
            | (word(wc) ^ step(&mut c0, &mut c1) as u32)
            | (word(wd) ^ step(&mut d0, &mut d1) as u32);
    }
    let ends = [[a0, a1], [b0, b1], [c0, c1], [d0, d1]].map(Xoroshiro128Plus);
    (ends, diff != 0)
}

/// The 4-byte words of each lane.
fn lane_words(words: &[u8], seg: usize) -> Option<[std::slice::ChunksExact<'_, u8>; LANES]> {
    let mut lane = words.chunks_exact(4 * seg).map(|w| w.chunks_exact(4));
    Some([lane.next()?, lane.next()?, lane.next()?, lane.next()?])
}

/// A little-endian word of the file.
#[inline(always)]
fn word(w: &[u8]) -> u32 {
    u32::from_le_bytes([w[0], w[1], w[2], w[3]])
}

#[cfg(target_arch = "x86_64")]
mod avx2 {
    use std::arch::x86_64::{
        __m256i, _mm256_add_epi64, _mm256_or_si256, _mm256_set1_epi64x, _mm256_set_epi64x,
        _mm256_setzero_si256, _mm256_slli_epi64, _mm256_srli_epi64, _mm256_storeu_si256,
        _mm256_testz_si256, _mm256_xor_si256,
    };

    use super::{lane_words, word, Xoroshiro128Plus, LANES};

    /// One 64-bit value per lane.
    fn lanes(v: [u64; LANES]) -> __m256i {
        // SAFETY: _mm256_set_epi64x only moves values into a vector.
        unsafe { _mm256_set_epi64x(v[3] as i64, v[2] as i64, v[1] as i64, v[0] as i64) }
    }

    /// [`super::lanes_diff`], the four lanes in one AVX2 vector: a step
    /// is a dozen vector instructions for four words.
    ///
    /// # Safety
    /// The CPU must have AVX2.
    #[target_feature(enable = "avx2")]
    pub(super) unsafe fn lanes_diff(
        states: [Xoroshiro128Plus; LANES],
        words: &[u8],
        seg: usize,
    ) -> ([Xoroshiro128Plus; LANES], bool) {
        let Some([a, b, c, d]) = lane_words(words, seg) else {
            return (states, false);
        };
        let mut s0 = lanes(states.map(|s| s.0[0]));
        let mut s1 = lanes(states.map(|s| s.0[1]));
        let mut diff = _mm256_setzero_si256();
        for (((wa, wb), wc), wd) in a.zip(b).zip(c).zip(d) {
            let data = lanes([word(wa), word(wb), word(wc), word(wd)].map(u64::from));
            let r = _mm256_add_epi64(s0, s1);
            let x = _mm256_xor_si256(s1, s0);
            let rot55 = _mm256_or_si256(_mm256_slli_epi64::<55>(s0), _mm256_srli_epi64::<9>(s0));
            s0 = _mm256_xor_si256(_mm256_xor_si256(rot55, x), _mm256_slli_epi64::<14>(x));
            s1 = _mm256_or_si256(_mm256_slli_epi64::<36>(x), _mm256_srli_epi64::<28>(x));
            diff = _mm256_or_si256(diff, _mm256_xor_si256(r, data));
        }
        // Only the low 32 bits of an output are the file's.
        let differ = _mm256_testz_si256(diff, _mm256_set1_epi64x(0xffff_ffff)) == 0;
        let (mut e0, mut e1) = ([0u64; LANES], [0u64; LANES]);
        _mm256_storeu_si256(e0.as_mut_ptr().cast(), s0);
        _mm256_storeu_si256(e1.as_mut_ptr().cast(), s1);
        let ends = std::array::from_fn(|l| Xoroshiro128Plus([e0[l], e1[l]]));
        (ends, differ)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_jump_is_that_many_steps() {
        let start = Xoroshiro128Plus::seeded(42);
        for k in [0u64, 1, 2, 3, 127, 128, 1000, 65_537] {
            let mut g = start;
            for _ in 0..k {
                g.next();
            }
            assert_eq!(start.jumped(jump_poly(k)), g, "k = {k}");
        }
    }

    /// The 2^64 jump published with xoroshiro128+ (original version).
    #[test]
    fn the_published_jump_comes_out() {
        let p = jump_poly(1 << 63);
        let p = mulmod(p, p);
        assert_eq!(p as u64, 0xbeac_0467_eba5_facb);
        assert_eq!((p >> 64) as u64, 0xd86b_048b_86aa_9922);
    }

    #[test]
    fn lanes_follow_the_stream() {
        let seg = 37;
        let mut g = Xoroshiro128Plus::seeded(7);
        let starts: [Xoroshiro128Plus; LANES] = std::array::from_fn(|l| {
            Xoroshiro128Plus::seeded(7).jumped(jump_poly((l * seg) as u64))
        });
        let mut words = Vec::new();
        for _ in 0..LANES * seg {
            words.extend_from_slice(&(g.next() as u32).to_le_bytes());
        }
        // Both forms (lanes_diff takes AVX2's where the CPU has it).
        for f in [lanes_diff, lanes_diff_scalar] {
            let mut words = words.clone();
            let (ends, differ) = f(starts, &words, seg);
            assert!(!differ);
            assert_eq!(ends[LANES - 1], g);
            for l in 0..LANES {
                assert_eq!(ends[l], starts[l].jumped(jump_poly(seg as u64)));
            }
            // A difference in the low half of the last lane's last word.
            words[4 * (4 * seg - 1)] ^= 1;
            assert!(f(starts, &words, seg).1);
        }
    }
}
