// SPDX-License-Identifier: GPL-2.0
//! The kernel's verdict on a reply, as famfs_rs.ko reaches it with the
//! very checks it runs (`famfs_core::wire`): the model behind the
//! in-process test channel ([`crate::testchan`]) and the oracle of the
//! hostile-daemon fuzzer (famfs-hostile).
//!
//! The module checks a reply's header first (EINVAL, failing the request
//! the header names if it awaits a reply), then looks the unique up among
//! the requests the daemon has read (ENOENT if none), then checks the body
//! against that request (EINVAL, and the request fails with EIO). A
//! well-formed reply is taken: the write succeeds. Checks the file system
//! makes later (a map that leaves its device, a size that moves) fail the
//! caller, never the write.

use std::collections::HashMap;

use famfs_core::abi::MAX_REPLY;
use famfs_core::codec::Field;
use famfs_core::wire::{parse_reply_header, validate_reply, Pending, ReplyError};

/// What a write must return.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Expect {
    /// Taken (a reply, or the daemon's errno for the caller).
    Taken,
    /// EINVAL: malformed.
    Refused,
    /// ENOENT: nobody waits for this unique.
    NoSuchRequest,
}

/// The verdict on one reply before it is written: what the write must
/// return and which outstanding request (if any) it settles.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Verdict {
    /// The expected result.
    pub expect: Expect,
    /// The outstanding request the kernel settles with this write.
    pub settles: Option<u64>,
    /// The reason the core refuses it (for the summary).
    pub why: Option<ReplyError>,
}

/// The raw unique of a message's header, if it has one.
fn raw_unique(msg: &[u8]) -> Option<u64> {
    u64::get(msg.get(8..)?)
}

/// Judges `msg` against the requests read and not yet settled.
pub fn verdict(msg: &[u8], outstanding: &HashMap<u64, Pending>) -> Verdict {
    let named = raw_unique(msg).filter(|u| outstanding.contains_key(u));
    let (h, body) = match parse_reply_header(msg, MAX_REPLY) {
        Ok(hb) => hb,
        Err(e) => {
            return Verdict {
                expect: Expect::Refused,
                settles: named,
                why: Some(e),
            }
        }
    };
    let Some(&pending) = outstanding.get(&h.unique) else {
        return Verdict {
            expect: Expect::NoSuchRequest,
            settles: None,
            why: None,
        };
    };
    let (expect, why) = match validate_reply(pending, &h, body) {
        Ok(_) | Err(ReplyError::Daemon(_)) => (Expect::Taken, None),
        Err(e) => (Expect::Refused, Some(e)),
    };
    Verdict {
        expect,
        settles: Some(h.unique),
        why,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use famfs_core::abi::fuse_out_header;

    fn msg(len: u32, error: i32, unique: u64, body: usize) -> Vec<u8> {
        let mut v = vec![0u8; 16 + body];
        let _ = fuse_out_header { len, error, unique }.put(&mut v);
        v
    }

    #[test]
    fn header_rules_come_first() {
        let out = HashMap::from([(4u64, Pending::Statfs)]);
        let v = verdict(&msg(99, 0, 4, 0), &out);
        assert_eq!((v.expect, v.settles), (Expect::Refused, Some(4)));
        let v = verdict(&msg(16, 0, 6, 0), &out);
        assert_eq!((v.expect, v.settles), (Expect::NoSuchRequest, None));
        let v = verdict(&[0u8; 8], &out);
        assert_eq!((v.expect, v.settles), (Expect::Refused, None));
    }

    #[test]
    fn body_checked_against_its_request() {
        let out = HashMap::from([(4u64, Pending::Release)]);
        assert_eq!(verdict(&msg(16, 0, 4, 0), &out).expect, Expect::Taken);
        assert_eq!(verdict(&msg(24, 0, 4, 8), &out).expect, Expect::Refused);
        assert_eq!(verdict(&msg(16, -5, 4, 0), &out).expect, Expect::Taken);
    }
}
