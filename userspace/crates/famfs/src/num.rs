// SPDX-License-Identifier: GPL-2.0
//! Numbers on the command line, read as upstream famfs reads them (C's
//! `strtoul` with base 0): `0x` or `0X` starts hex, a leading `0` octal,
//! anything else decimal. Unlike strtoul, the whole argument must be the
//! number: `08` or `12abc` are refused rather than read as `0` and `12`.

/// A number in C's base-0 notation, or None.
pub fn c_u64(s: &str) -> Option<u64> {
    let t = s.trim();
    let t = t.strip_prefix('+').unwrap_or(t);
    let (digits, radix) = if let Some(h) = t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        (h, 16)
    } else if t.len() > 1 && t.starts_with('0') {
        (&t[1..], 8)
    } else {
        (t, 10)
    };
    // from_str_radix takes a sign of its own; the sign was handled above.
    if digits.is_empty() || !digits.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u64::from_str_radix(digits, radix).ok()
}

/// What a base-0 number looks like, for messages.
const FORMS: &str = "decimal, 0x hex or 0-prefixed octal, as upstream reads it";

/// A seed (`-S`, `--multi ...,SEED`).
pub fn parse_seed(s: &str) -> Result<u64, String> {
    c_u64(s).ok_or_else(|| format!("{s:?} is not a seed (a number: {FORMS})"))
}

/// A uid or gid.
pub fn parse_id(s: &str) -> Result<u32, String> {
    c_u64(s)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{s:?} is not a uid/gid (a number below 2^32: {FORMS})"))
}

/// A count (`-N`, `-B`).
pub fn parse_count(s: &str) -> Result<u32, String> {
    c_u64(s)
        .and_then(|n| u32::try_from(n).ok())
        .ok_or_else(|| format!("{s:?} is not a count (a number: {FORMS})"))
}

/// Permission bits: octal with or without a leading 0 (`644`, `0644`,
/// `0o644`, as chmod and upstream take them), or `0x` hex.
pub fn parse_mode(s: &str) -> Result<u32, String> {
    let t = s.trim();
    let m = match t.strip_prefix("0x").or_else(|| t.strip_prefix("0X")) {
        Some(_) => c_u64(t),
        None => u64::from_str_radix(t.strip_prefix("0o").unwrap_or(t), 8).ok(),
    }
    .ok_or_else(|| format!("{s:?} is not a mode (octal, e.g. 0644; or 0x hex)"))?;
    if m > 0o7777 {
        return Err(format!("{s:?}: mode bits beyond 07777"));
    }
    Ok(m as u32)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_as_strtoul_base_0() {
        assert_eq!(c_u64("033"), Some(27));
        assert_eq!(c_u64("010"), Some(8));
        assert_eq!(c_u64("0x10"), Some(16));
        assert_eq!(c_u64("0X1f"), Some(31));
        assert_eq!(c_u64("0"), Some(0));
        assert_eq!(c_u64("42"), Some(42));
        assert_eq!(c_u64(" +7 "), Some(7));
        assert_eq!(c_u64("08"), None);
        assert_eq!(c_u64("0x"), None);
        assert_eq!(c_u64("-1"), None);
        assert_eq!(c_u64("12abc"), None);
        assert_eq!(parse_id("0x10"), Ok(16));
        assert!(parse_id("0x100000000").is_err());
        assert_eq!(parse_mode("0x1ff"), Ok(0o777));
        assert_eq!(parse_mode("644"), Ok(0o644));
        assert_eq!(parse_mode("0o600"), Ok(0o600));
        assert!(parse_mode("0x2000").is_err());
        assert!(parse_mode("9").is_err());
    }
}
