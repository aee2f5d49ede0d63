// SPDX-License-Identifier: GPL-2.0

//! Raw bindings: the kernel crate's, plus the module's own bindgen pass over
//! the headers the 6.12 kernel crate does not cover (dax, iomap, memremap,
//! miscdevice; see `bindings/bindgen_parameters`).
//!
//! The calls go through the thin wrappers (`miscdev`, `completion`, `poll`,
//! `debugfs`, `vfs`, `fsdax`); the file system logic takes constants,
//! errnos and a few credential helpers from here.

#[allow(
    clippy::all,
    clippy::undocumented_unsafe_blocks,
    dead_code,
    missing_docs,
    non_camel_case_types,
    non_upper_case_globals,
    non_snake_case,
    improper_ctypes,
    unreachable_pub,
    unsafe_op_in_unsafe_fn
)]
mod generated {
    // Types the generated items mention but do not define (the generation is
    // not recursive) resolve to the kernel crate's, so pointers passed between
    // the two are of one type. Kbuild checks that nothing is defined twice.
    use kernel::bindings::*;
    use kernel::ffi;
    include!(env!("FAMFS_RS_BINDINGS_RS"));
}

pub(crate) use generated::*;
pub(crate) use kernel::bindings::*;

/// Whether a message the daemon can provoke may be logged now (10 per
/// 5 s; the 6.12 kernel crate has no `pr_*_ratelimited`).
pub(crate) fn log_ratelimit_ok() -> bool {
    // SAFETY: takes no arguments; the C side serialises on its own lock.
    unsafe { famfs_rs_log_ratelimit() }
}

/// An errno the kernel crate has no constant for (`ENOTCONN`,
/// `EOPNOTSUPP`, ...), from its positive value in these bindings.
pub(crate) fn errno(code: u32) -> kernel::error::Error {
    kernel::error::Error::from_errno(-(code as i32))
}
