// SPDX-License-Identifier: GPL-2.0
//! Fault injection for the selftests: with `FAMFS_DAEMON_DIE_AT=<point>`
//! in its environment, the daemon kills itself (SIGKILL, as a crash or an
//! OOM kill would) the first time it reaches that point:
//!
//! - `init`: INIT read, not answered (mount(2) is waiting);
//! - `handover`: the device unbound from device_dax, not yet on famfs_rs;
//! - `get-fmap`: a regular file's GET_FMAP read, not answered;
//! - `readdir-more`: a listing's second READDIR read (the first page was
//!   answered).
//!
//! Unset (always, outside tests), nothing happens.

use std::sync::OnceLock;

/// The environment variable naming the point.
pub const DIE_AT_ENV: &str = "FAMFS_DAEMON_DIE_AT";

/// Dies here if this is the point named by [`DIE_AT_ENV`].
pub fn point(name: &str) {
    static AT: OnceLock<Option<String>> = OnceLock::new();
    let at = AT.get_or_init(|| std::env::var(DIE_AT_ENV).ok());
    if at.as_deref() == Some(name) {
        crate::dlog!("{DIE_AT_ENV}={name}: killing myself");
        // SAFETY: raise(2) on this process.
        unsafe { libc::raise(libc::SIGKILL) };
    }
}
