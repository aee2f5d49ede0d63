// SPDX-License-Identifier: GPL-2.0
//! What `write(2)` on the control device returned, compared with the
//! kernel's verdict ([`famfs_daemon::verdict`]).

use famfs_daemon::verdict::{Expect, Verdict};

/// What a write returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Got {
    /// Success.
    Ok,
    /// An errno.
    Err(i32),
}

/// How a write's result compares with its verdict.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// As the core says.
    AsExpected,
    /// ENOENT where a request was expected: the kernel withdrew it (its
    /// caller was killed or interrupted). Explained later by an INTERRUPT.
    Withdrawn,
    /// The connection is over (ENODEV/ENOTCONN).
    Closed,
    /// Anything else: a defect, in the kernel or in this oracle.
    Mismatch,
}

/// Compares `got` with `v`.
pub fn compare(v: &Verdict, got: Got) -> Outcome {
    match (v.expect, got) {
        (_, Got::Err(libc::ENODEV | libc::ENOTCONN | libc::ECONNABORTED)) => Outcome::Closed,
        (Expect::Taken, Got::Ok)
        | (Expect::Refused, Got::Err(libc::EINVAL))
        | (Expect::NoSuchRequest, Got::Err(libc::ENOENT)) => Outcome::AsExpected,
        (Expect::Taken | Expect::Refused, Got::Err(libc::ENOENT)) if v.settles.is_some() => {
            Outcome::Withdrawn
        }
        _ => Outcome::Mismatch,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn comparisons() {
        let v = Verdict {
            expect: Expect::Refused,
            settles: Some(4),
            why: None,
        };
        assert_eq!(compare(&v, Got::Ok), Outcome::Mismatch);
        assert_eq!(compare(&v, Got::Err(libc::EINVAL)), Outcome::AsExpected);
        assert_eq!(compare(&v, Got::Err(libc::ENOENT)), Outcome::Withdrawn);
        assert_eq!(compare(&v, Got::Err(libc::ENODEV)), Outcome::Closed);
    }
}
