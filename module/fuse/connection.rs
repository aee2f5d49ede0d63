// SPDX-License-Identifier: GPL-2.0

//! `/dev/famfs_rs`, the control device: one open file is one connection
//! between a famfs daemon and the mounts it serves.

use crate::kapi::bindings;
use crate::kapi::miscdev::{self, MiscFile, Registration};
use crate::kapi::poll::PollTable;
use crate::fuse::transport::Transport;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::uaccess::{UserSliceReader, UserSliceWriter};
use kernel::ThisModule;

/// Device node name, under /dev.
pub(crate) const NAME: &kernel::str::CStr = kernel::c_str!("famfs_rs");

/// Only root may open the device: it serves file system metadata.
pub(crate) const MODE: u16 = 0o600;

/// One daemon connection: the request queue of the one mount it serves.
#[pin_data]
pub(crate) struct Connection {
    #[pin]
    pub(crate) transport: Transport,
    /// A mount has claimed the connection (one mount per connection).
    claimed: AtomicBool,
}

impl Connection {
    /// Claims the connection for a new mount; fails with EBUSY if another
    /// mount has it, ENOTCONN if the daemon has closed it.
    pub(crate) fn claim(&self) -> Result {
        if !self.transport.is_open() {
            return Err(crate::fuse::transport::enotconn());
        }
        if self.claimed.swap(true, Ordering::AcqRel) {
            return Err(EBUSY);
        }
        Ok(())
    }

    /// Gives a claim back: the mount that took it was interrupted before
    /// the daemon saw anything of it, and `mount(2)` will be restarted.
    pub(crate) fn unclaim(&self) {
        self.claimed.store(false, Ordering::Release);
    }
}

impl MiscFile for Connection {
    fn open() -> Result<Arc<Self>> {
        Arc::pin_init(
            try_pin_init!(Connection {
                transport <- Transport::new(),
                claimed: AtomicBool::new(false),
            }? Error),
            GFP_KERNEL,
        )
    }

    fn read(&self, out: UserSliceWriter, nonblock: bool) -> Result<usize> {
        self.transport.read(out, nonblock)
    }

    fn write(&self, input: UserSliceReader, _nonblock: bool) -> Result<usize> {
        self.transport.write(input)
    }

    fn poll(&self, table: &PollTable) -> u32 {
        self.transport.poll(table)
    }

    /// The daemon is gone: the mount's calls fail with ENOTCONN from now on.
    fn release(&self) {
        self.transport.close(crate::fuse::transport::enotconn());
    }
}

/// The registered control device, for `connection_from_fd`; NULL when the
/// device is not registered.
static CURRENT: AtomicPtr<Registration<Connection>> = AtomicPtr::new(ptr::null_mut());

/// The control device, registered while this lives.
pub(crate) struct ControlDevice {
    // Held for its Drop: deregisters the device.
    _registration: KBox<Registration<Connection>>,
}

impl ControlDevice {
    /// Registers `/dev/famfs_rs`.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        let registration = KBox::new(Registration::register(NAME, MODE, module)?, GFP_KERNEL)?;
        CURRENT.store(ptr::from_ref(&*registration).cast_mut(), Ordering::Release);
        Ok(Self {
            _registration: registration,
        })
    }
}

impl Drop for ControlDevice {
    fn drop(&mut self) {
        // Before the registration itself is dropped (fields drop after this).
        CURRENT.store(ptr::null_mut(), Ordering::Release);
    }
}

/// The connection behind file descriptor `fd` of the current task, which
/// must be an open `/dev/famfs_rs` (`mount -o fd=N`).
pub(crate) fn connection_from_fd(fd: u32) -> Result<Arc<Connection>> {
    let registration = CURRENT.load(Ordering::Acquire);
    if registration.is_null() {
        return Err(ENODEV);
    }
    // SAFETY: `fget` takes a reference on the file, or returns NULL.
    let file = unsafe { bindings::fget(fd) };
    if file.is_null() {
        return Err(EBADF);
    }
    // SAFETY: the registration lives while the module does, and a mount in
    // progress holds a reference on the module; `file` is referenced.
    let connection = unsafe { miscdev::file_state(&*registration, file) };
    // SAFETY: drops the reference `fget` took.
    unsafe { bindings::fput(file) };
    connection.ok_or(EINVAL)
}
