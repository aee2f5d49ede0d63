// SPDX-License-Identifier: GPL-2.0

//! A misc character device whose open files carry a Rust object.
//!
//! The 6.12 kernel crate has no misc device abstraction; this is the small
//! unsafe layer the control device is built on.

use crate::bindings;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::ThisModule;

/// What an open file of a [`Registration`] is.
pub(crate) trait MiscFile: Sized + Send + Sync + 'static {
    /// Makes the per-open state for a new open file. Called in process
    /// context, after the caller was checked for `CAP_SYS_ADMIN`.
    fn open() -> Result<KBox<Self>>;
}

/// The C structures a registration hands to the misc core; they must not
/// move while registered, so they live in their own allocation.
struct Raw {
    misc: bindings::miscdevice,
    fops: bindings::file_operations,
}

/// A registered misc device; deregistered on drop.
///
/// # Invariants
///
/// `raw.misc` is registered with the misc core and `raw.misc.fops` points at
/// `raw.fops`, whose callbacks are those of `T`.
pub(crate) struct Registration<T: MiscFile> {
    raw: KBox<Raw>,
    _file: PhantomData<T>,
}

// SAFETY: after registration the structures are only read by the misc core
// (under its own lock) and by `Drop`, which needs `&mut self`.
unsafe impl<T: MiscFile> Send for Registration<T> {}
// SAFETY: `&Registration` gives no access to the C structures at all.
unsafe impl<T: MiscFile> Sync for Registration<T> {}

impl<T: MiscFile> Registration<T> {
    /// Registers `/dev/<name>` with a dynamic minor and the given mode.
    /// Open files hold a reference on `module`, so it cannot be unloaded
    /// while one is open.
    pub(crate) fn register(
        name: &'static CStr,
        mode: u16,
        module: &'static ThisModule,
    ) -> Result<Self> {
        let mut raw = KBox::new(
            Raw {
                misc: bindings::miscdevice::default(),
                fops: bindings::file_operations::default(),
            },
            GFP_KERNEL,
        )?;
        raw.fops.owner = module.as_ptr();
        raw.fops.open = Some(open_callback::<T>);
        raw.fops.release = Some(release_callback::<T>);
        raw.misc.minor = bindings::MISC_DYNAMIC_MINOR as c_int;
        raw.misc.name = name.as_char_ptr();
        raw.misc.mode = mode;
        raw.misc.fops = &raw.fops;
        // SAFETY: `raw.misc` is fully initialised, and it and `raw.fops`
        // (which it points to) stay at their heap addresses until `Drop`
        // deregisters them: `KBox` contents never move.
        to_result(unsafe { bindings::misc_register(&mut raw.misc) })?;
        Ok(Self {
            raw,
            _file: PhantomData,
        })
    }
}

impl<T: MiscFile> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: by the type invariant `raw.misc` is registered. Open files
        // pin the module, so no callback of ours can still be running once
        // the module is being unloaded.
        unsafe { bindings::misc_deregister(&mut self.raw.misc) };
    }
}

/// `open` of the device node: checks privilege, creates the per-open state.
///
/// # Safety
///
/// Called by the VFS with a valid inode and file being opened.
unsafe extern "C" fn open_callback<T: MiscFile>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // The node is mode 0600 root, but a descriptor can be handed around and
    // a node re-created with other modes: check the capability as well.
    // SAFETY: `capable` only reads the current task's credentials.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return EPERM.to_errno();
    }
    let state = match T::open() {
        Ok(state) => state,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `inode` and `file` are valid per this function's contract;
    // `stream_open` marks the file as not seekable and returns 0.
    unsafe { bindings::stream_open(inode, file) };
    // SAFETY: `file` is valid and being opened: nothing else uses
    // `private_data` (the misc core's value there is only for our use).
    unsafe { (*file).private_data = KBox::into_raw(state).cast::<c_void>() };
    0
}

/// `release` of an open file: drops the per-open state.
///
/// # Safety
///
/// Called by the VFS once per file that `open_callback` opened successfully.
unsafe extern "C" fn release_callback<T: MiscFile>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: `private_data` holds the `KBox<T>` that `open_callback` leaked
    // for this file, and release runs exactly once, after the last user.
    drop(unsafe { KBox::from_raw((*file).private_data.cast::<T>()) });
    0
}
