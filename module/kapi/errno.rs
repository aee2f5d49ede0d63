// SPDX-License-Identifier: GPL-2.0

//! Errnos the 6.12 kernel crate has no constant for.

use crate::kapi::bindings;
use kernel::error::Error;

/// The error of positive errno `code` from the bindings.
pub(super) fn errno(code: u32) -> Error {
    Error::from_errno(-(code as i32))
}

/// `ENOTCONN`: the other end (the daemon) is gone.
pub(crate) fn enotconn() -> Error {
    errno(bindings::ENOTCONN)
}

/// `ETIMEDOUT`: no answer in time.
pub(crate) fn etimedout() -> Error {
    errno(bindings::ETIMEDOUT)
}

/// `EOPNOTSUPP`: not supported here.
pub(crate) fn eopnotsupp() -> Error {
    errno(bindings::EOPNOTSUPP)
}

/// `ENAMETOOLONG`: a name longer than `NAME_MAX`.
pub(crate) fn enametoolong() -> Error {
    errno(bindings::ENAMETOOLONG)
}

/// `EHWPOISON`: the memory at that place has failed.
#[cfg(not(famfs_rs_fsdev_dax))]
pub(crate) fn ehwpoison() -> Error {
    errno(bindings::EHWPOISON)
}

/// `ENOSYS`: the other end does not implement the operation.
pub(crate) fn enosys() -> Error {
    errno(bindings::ENOSYS)
}
