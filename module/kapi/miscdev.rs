// SPDX-License-Identifier: GPL-2.0

//! A misc character device whose open files carry a reference-counted Rust
//! object.
//!
//! The 6.12 kernel crate has no misc device abstraction; this is the small
//! unsafe layer the control device is built on.

use super::file::FileRef;
use super::poll::PollTable;
use crate::kapi::bindings;
use core::marker::PhantomData;
use kernel::error::to_result;
use kernel::ffi::{c_char, c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;
use kernel::uaccess::{UserPtr, UserSlice, UserSliceReader, UserSliceWriter};
use kernel::ThisModule;

/// `UserPtr::from_addr` where the kernel crate has no such function: up to
/// 6.12 `UserPtr` is `usize` itself (this impl), later a type with its own
/// `from_addr`, which Rust picks over a trait's method.
#[allow(dead_code)]
trait FromAddr {
    fn from_addr(addr: usize) -> Self;
}

impl FromAddr for usize {
    fn from_addr(addr: usize) -> usize {
        addr
    }
}

/// What an open file of a [`Registration`] is. Every method runs in process
/// context on behalf of the task doing the system call.
pub(crate) trait MiscFile: Sized + Send + Sync + 'static {
    /// Makes the state of a new open file. Called after the caller was
    /// checked for `CAP_SYS_ADMIN`.
    fn open() -> Result<Arc<Self>>;

    /// `read(2)`: fills `out`, returns the bytes written.
    fn read(&self, _out: UserSliceWriter, _nonblock: bool) -> Result<usize> {
        Err(EINVAL)
    }

    /// `write(2)`: consumes `input`, returns the bytes taken.
    fn write(&self, _input: UserSliceReader, _nonblock: bool) -> Result<usize> {
        Err(EINVAL)
    }

    /// `poll(2)`: registers with `table` and returns the ready events.
    fn poll(&self, _table: &PollTable) -> u32 {
        0
    }

    /// The last close of the file. Others (mounts) may still hold the `Arc`.
    fn release(&self) {}
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
        raw.fops.read = Some(read_callback::<T>);
        raw.fops.write = Some(write_callback::<T>);
        raw.fops.poll = Some(poll_callback::<T>);
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

impl<T: MiscFile> Registration<T> {
    /// The state behind file descriptor `fd` of the current task, with a
    /// new reference (so that it outlives the file): `EBADF` if `fd` is
    /// not open, `EINVAL` if it is not an open file of this device.
    ///
    /// What `mount -o fd=N` uses to find the connection it is given.
    pub(crate) fn state_of_fd(&self, fd: u32) -> Result<Arc<T>> {
        let held = FileRef::get(fd)?;
        let file = held.as_ptr();
        // SAFETY: `file` is referenced while `held` lives; `f_op` is set
        // for the file's lifetime.
        let ours = core::ptr::eq(unsafe { (*file).f_op }, &self.raw.fops);
        let state = ours.then(|| {
            // SAFETY: a file opened through this registration had its
            // `private_data` set by `open_callback` to an `Arc<T>` from
            // `into_foreign`, which lives until `release_callback`; our file
            // reference keeps the file (and so that `Arc`) alive while we
            // take a reference of our own.
            let borrowed = unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data) };
            Arc::<T>::from(borrowed)
        });
        drop(held);
        state.ok_or(EINVAL)
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

/// Borrows the state of an open file.
///
/// # Safety
///
/// `file` must be an open file of a registration for `T`, between its
/// `open_callback` and `release_callback`.
unsafe fn state<'a, T: MiscFile>(file: *mut bindings::file) -> &'a T {
    // SAFETY: per the contract, `private_data` holds the `Arc<T>` stored by
    // `open_callback`, alive until `release_callback`, which the VFS never
    // runs concurrently with other file operations on the same file.
    let arc = unsafe { <Arc<T> as ForeignOwnable>::borrow((*file).private_data) };
    // SAFETY: the borrowed `Arc` lives at least as long as the file.
    unsafe { &*(&*arc as *const T) }
}

/// Whether the file was opened (or fcntl'd) with `O_NONBLOCK`.
///
/// # Safety
///
/// `file` must be valid.
unsafe fn nonblocking(file: *mut bindings::file) -> bool {
    // SAFETY: `file` is valid per the contract; `f_flags` is a plain word.
    unsafe { (*file).f_flags & bindings::O_NONBLOCK != 0 }
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
    // The node is mode 0600 root, but a node can be re-created with other
    // modes: check the capability as well.
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
    unsafe { (*file).private_data = state.into_foreign() as *mut c_void };
    0
}

/// `release` of an open file: tells the state, then drops the file's
/// reference to it.
///
/// # Safety
///
/// Called by the VFS once per file that `open_callback` opened successfully.
unsafe extern "C" fn release_callback<T: MiscFile>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the file is still open (release is its last operation).
    unsafe { state::<T>(file) }.release();
    // SAFETY: `private_data` holds the `Arc<T>` that `open_callback` stored
    // for this file; release runs exactly once, after every other operation.
    drop(unsafe { <Arc<T> as ForeignOwnable>::from_foreign((*file).private_data) });
    0
}

/// # Safety
///
/// Called by the VFS on an open file of ours with a user buffer of `len`.
unsafe extern "C" fn read_callback<T: MiscFile>(
    file: *mut bindings::file,
    buf: *mut c_char,
    len: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `file` is an open file of ours per the contract.
    let (state, nonblock) = unsafe { (state::<T>(file), nonblocking(file)) };
    let out = UserSlice::new(UserPtr::from_addr(buf as usize), len).writer();
    match state.read(out, nonblock) {
        // A read never exceeds `len`, which the VFS bounds by MAX_RW_COUNT.
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by the VFS on an open file of ours with a user buffer of `len`.
unsafe extern "C" fn write_callback<T: MiscFile>(
    file: *mut bindings::file,
    buf: *const c_char,
    len: usize,
    _pos: *mut bindings::loff_t,
) -> isize {
    // SAFETY: `file` is an open file of ours per the contract.
    let (state, nonblock) = unsafe { (state::<T>(file), nonblocking(file)) };
    let input = UserSlice::new(UserPtr::from_addr(buf as usize), len).reader();
    match state.write(input, nonblock) {
        Ok(n) => n as isize,
        Err(e) => e.to_errno() as isize,
    }
}

/// # Safety
///
/// Called by the VFS on an open file of ours with its poll table.
unsafe extern "C" fn poll_callback<T: MiscFile>(
    file: *mut bindings::file,
    table: *mut bindings::poll_table_struct,
) -> c_uint {
    // SAFETY: `file` is an open file of ours; `table` is the caller's poll
    // table (or NULL), valid for this call.
    let (state, table) = unsafe { (state::<T>(file), PollTable::from_raw(file, table)) };
    state.poll(&table)
}
