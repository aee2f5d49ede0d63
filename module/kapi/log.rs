// SPDX-License-Identifier: GPL-2.0

//! Rate-limited logging: the 6.12 kernel crate has no `pr_*_ratelimited`.

use crate::kapi::bindings;

/// Whether a message someone else can provoke (a daemon's bad reply) may
/// be logged now: 10 per 5 s, one budget for the whole module.
pub(crate) fn ratelimit_ok() -> bool {
    // SAFETY: takes no arguments; the C side serialises on its own lock.
    unsafe { bindings::famfs_rs_log_ratelimit() }
}
