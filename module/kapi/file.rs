// SPDX-License-Identifier: GPL-2.0

//! A file the calling task has open, looked up by its descriptor (as
//! `mount -o fd=N` names a connection, or `FAMFS_RS_RAW_SET_FD` a device).

use crate::kapi::bindings;
use kernel::prelude::*;

/// A file of the calling task, referenced until dropped.
pub(crate) struct FileRef(*mut bindings::file);

impl FileRef {
    /// The file open as descriptor `fd`: EBADF if there is none (O_PATH
    /// ones included: `fget` skips them).
    pub(crate) fn get(fd: u32) -> Result<Self> {
        // SAFETY: looks the descriptor up in the current task's table; a
        // file comes with a reference, put on drop.
        let file = unsafe { bindings::fget(fd) };
        if file.is_null() {
            return Err(EBADF);
        }
        Ok(Self(file))
    }

    /// The file.
    pub(crate) fn as_ptr(&self) -> *mut bindings::file {
        self.0
    }

    /// The device number, if it is a character device's file.
    #[cfg_attr(not(famfs_rs_fsdev_dax), allow(dead_code))]
    pub(crate) fn char_device(&self) -> Option<(u32, u32)> {
        // SAFETY: a referenced open file has an inode, whose type and
        // device number are fixed for its life.
        let (mode, rdev) = unsafe {
            let inode = (*self.0).f_inode;
            (u32::from((*inode).i_mode), (*inode).i_rdev)
        };
        (mode & bindings::S_IFMT == bindings::S_IFCHR).then_some((
            rdev >> bindings::MINORBITS,
            rdev & ((1 << bindings::MINORBITS) - 1),
        ))
    }

    /// Whether it was opened for writing.
    #[cfg_attr(not(famfs_rs_fsdev_dax), allow(dead_code))]
    pub(crate) fn writable(&self) -> bool {
        // SAFETY: a referenced open file; its mode is set at open.
        let mode = unsafe { (*self.0).f_mode };
        mode & bindings::famfs_rs_consts_FAMFS_RS_FMODE_WRITE != 0
    }
}

impl Drop for FileRef {
    fn drop(&mut self) {
        // SAFETY: the reference `get` took.
        unsafe { bindings::fput(self.0) };
    }
}
