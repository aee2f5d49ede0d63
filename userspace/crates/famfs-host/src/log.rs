// SPDX-License-Identifier: GPL-2.0
//! The daemon's diagnostic log: one line per event on stderr, which
//! `famfs mount` points at the daemon's log file. Lines carry the seconds
//! since the epoch, so they can be matched with the kernel log.

use std::io::Write;
use std::time::{SystemTime, UNIX_EPOCH};

/// Writes one log line (use [`crate::dlog!`]).
pub fn line(args: std::fmt::Arguments<'_>) {
    let t = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or_default();
    let mut err = std::io::stderr().lock();
    // A log line that cannot be written is dropped: there is nowhere
    // else to say so.
    let _ = writeln!(
        err,
        "[{}.{:06}] famfs-daemon[{}]: {args}",
        t.as_secs(),
        t.subsec_micros(),
        std::process::id()
    );
}

/// `dlog!("fmt", args...)`: one line in the daemon log.
#[macro_export]
macro_rules! dlog {
    ($($arg:tt)*) => {
        $crate::log::line(format_args!($($arg)*))
    };
}
