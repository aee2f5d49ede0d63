// SPDX-License-Identifier: GPL-2.0
//! Sizes on the command line: `4096`, `0x200000`, `010` (octal, as
//! upstream's strtoull reads it), `100M`, `4G`, `2m`.

use crate::num::c_u64;

/// Parse a size: a number as [`c_u64`] reads it, then optionally K/M/G/T
/// (either case, optional trailing `B`/`iB`), powers of 1024. (Upstream
/// takes one suffix letter only: its `-s 2MB` is 2 bytes, ours 2 MiB.)
pub fn parse_size(s: &str) -> Result<u64, String> {
    let t = s.trim();
    // A bare number first: a hex one may end in the digit B.
    if let Some(n) = c_u64(t) {
        return Ok(n);
    }
    let t = t
        .strip_suffix("iB")
        .or_else(|| t.strip_suffix('B'))
        .unwrap_or(t);
    let (num, shift) = match t.chars().last() {
        Some('k' | 'K') => (&t[..t.len() - 1], 10),
        Some('m' | 'M') => (&t[..t.len() - 1], 20),
        Some('g' | 'G') => (&t[..t.len() - 1], 30),
        Some('t' | 'T') => (&t[..t.len() - 1], 40),
        _ => (t, 0),
    };
    let n = c_u64(num).ok_or_else(|| {
        format!("{s:?} is not a size (examples: 4096, 0x200000, 010 (octal: 8), 100M, 4G)")
    })?;
    n.checked_mul(1u64 << shift)
        .ok_or_else(|| format!("{s:?} is too large"))
}

/// Human form: "100 MiB", "1.5 GiB", "512 B".
pub fn human(n: u64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut v = n as f64;
    let mut u = 0;
    while v >= 1024.0 && u < UNITS.len() - 1 {
        v /= 1024.0;
        u += 1;
    }
    if u == 0 || v.fract() == 0.0 {
        format!("{v:.0} {}", UNITS[u])
    } else {
        format!("{v:.1} {}", UNITS[u])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes() {
        assert_eq!(parse_size("4096"), Ok(4096));
        assert_eq!(parse_size("0x200000"), Ok(2 << 20));
        assert_eq!(parse_size("100M"), Ok(100 << 20));
        assert_eq!(parse_size("2m"), Ok(2 << 20));
        assert_eq!(parse_size("4G"), Ok(4 << 30));
        assert_eq!(parse_size("1GiB"), Ok(1 << 30));
        assert_eq!(parse_size("010"), Ok(8));
        assert_eq!(parse_size("0x1B"), Ok(0x1b));
        assert_eq!(parse_size("010M"), Ok(8 << 20));
        assert!(parse_size("x").is_err());
        assert!(parse_size("99999999999T").is_err());
        assert_eq!(human(100 << 20), "100 MiB");
        assert_eq!(human(3 << 29), "1.5 GiB");
    }
}
