// SPDX-License-Identifier: GPL-2.0

//! The kernel's tick counter, for timeouts.

use crate::kapi::bindings;

/// The current jiffies.
pub(crate) fn jiffies() -> u64 {
    // SAFETY: reads a counter; no arguments.
    unsafe { bindings::famfs_rs_jiffies() as u64 }
}

/// The tick rate, for timeouts in jiffies.
pub(crate) fn hz() -> u32 {
    // SAFETY: returns a constant.
    unsafe { bindings::famfs_rs_hz() }
}

/// Whether jiffies value `a` is before `b` (wrap-safe, as `time_before`).
pub(crate) fn time_before(a: u64, b: u64) -> bool {
    (a.wrapping_sub(b) as i64) < 0
}
