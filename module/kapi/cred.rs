// SPDX-License-Identifier: GPL-2.0

//! Who the current task is, as a file system tells its server.

use crate::kapi::bindings;

/// The calling task's file system credentials and process, in the initial
/// namespaces.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Caller {
    /// File system user id.
    pub(crate) uid: u32,
    /// File system group id.
    pub(crate) gid: u32,
    /// Process (thread group) id.
    pub(crate) pid: u32,
}

/// The current task.
pub(crate) fn caller() -> Caller {
    // SAFETY: these read the current task's credentials; no arguments.
    let (uid, gid, pid) = unsafe {
        (
            bindings::famfs_rs_current_fsuid(),
            bindings::famfs_rs_current_fsgid(),
            bindings::famfs_rs_current_tgid(),
        )
    };
    Caller {
        uid,
        gid,
        pid: pid as u32,
    }
}

/// Whether the current task may do raw I/O on devices (`CAP_SYS_RAWIO`).
pub(crate) fn may_raw_io() -> bool {
    // SAFETY: `capable` only reads the current task's credentials.
    unsafe { bindings::capable(bindings::CAP_SYS_RAWIO as kernel::ffi::c_int) }
}
