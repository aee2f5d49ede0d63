// SPDX-License-Identifier: GPL-2.0
//! Reproducible file contents for `creat --randomize --seed` and `verify`.
//!
//! Each 8-byte word is a pure function of (seed, word index), so any range
//! of a file can be generated or checked without the bytes before it.

/// SplitMix64's finaliser: a fast, well-mixed 64-bit hash.
fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// Fill `buf` with the pattern bytes of file offsets `offset..`.
pub fn fill(seed: u64, offset: u64, buf: &mut [u8]) {
    let key = mix(seed);
    let mut i = 0;
    while i < buf.len() {
        let pos = offset + i as u64;
        let word = mix(key ^ (pos / 8)).to_le_bytes();
        let start = (pos % 8) as usize;
        let n = (8 - start).min(buf.len() - i);
        buf[i..i + n].copy_from_slice(&word[start..start + n]);
        i += n;
    }
}

/// First offset in `buf` (holding file offsets `offset..`) that differs from
/// the pattern, if any.
pub fn first_mismatch(seed: u64, offset: u64, buf: &[u8]) -> Option<u64> {
    let mut want = vec![0u8; buf.len()];
    fill(seed, offset, &mut want);
    buf.iter()
        .zip(&want)
        .position(|(a, b)| a != b)
        .map(|i| offset + i as u64)
}
