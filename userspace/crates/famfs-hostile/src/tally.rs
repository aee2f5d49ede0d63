// SPDX-License-Identifier: GPL-2.0
//! Counters of one serving session, written as one `key=value` line so
//! the coordinating process can add sessions up (a session runs in a
//! process of its own, which may be killed).

use std::collections::BTreeMap;
use std::fmt::Write as _;

/// At most this many mismatches are described in full.
pub const MISMATCHES_SHOWN: usize = 20;

/// What happened to the replies of a session.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Tally {
    /// Named counters (`replies`, `mutated`, `refused`, ...).
    pub n: BTreeMap<String, u64>,
    /// Descriptions of replies the kernel treated otherwise than the
    /// core's checks say (the first [`MISMATCHES_SHOWN`]).
    pub mismatches: Vec<String>,
}

impl Tally {
    /// Adds `by` to counter `key`.
    pub fn add(&mut self, key: &str, by: u64) {
        *self.n.entry(key.to_owned()).or_default() += by;
    }

    /// Counter `key`.
    pub fn get(&self, key: &str) -> u64 {
        self.n.get(key).copied().unwrap_or(0)
    }

    /// Records a mismatch.
    pub fn mismatch(&mut self, what: String) {
        self.add("mismatches", 1);
        self.describe(what);
    }

    /// Keeps a description of something wrong (the first few).
    pub fn describe(&mut self, what: String) {
        if self.mismatches.len() < MISMATCHES_SHOWN {
            self.mismatches.push(what);
        }
    }

    /// Adds another tally to this one.
    pub fn merge(&mut self, o: &Tally) {
        for (k, v) in &o.n {
            self.add(k, *v);
        }
        for m in &o.mismatches {
            if self.mismatches.len() < MISMATCHES_SHOWN {
                self.mismatches.push(m.clone());
            }
        }
    }

    /// One line: `k=v k=v ...`, then `|` and the mismatches joined by `|`.
    pub fn to_line(&self) -> String {
        let mut s = String::new();
        for (k, v) in &self.n {
            let _ = write!(s, "{k}={v} ");
        }
        for m in &self.mismatches {
            s.push('|');
            s.push_str(&m.replace(['|', '\n'], " "));
        }
        s
    }

    /// Parses [`Tally::to_line`].
    pub fn from_line(line: &str) -> Tally {
        let mut parts = line.split('|');
        let mut t = Tally::default();
        for kv in parts.next().unwrap_or("").split_whitespace() {
            if let Some((k, v)) = kv.split_once('=') {
                t.add(k, v.parse().unwrap_or(0));
            }
        }
        t.mismatches = parts.map(str::to_owned).collect();
        t
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_round_trip() {
        let mut t = Tally::default();
        t.add("replies", 3);
        t.add("op.GetFmap", 2);
        t.mismatch("a|b".into());
        let back = Tally::from_line(&t.to_line());
        assert_eq!(back.get("replies"), 3);
        assert_eq!(back.get("mismatches"), 1);
        assert_eq!(back.mismatches, vec!["a b".to_owned()]);
    }
}
