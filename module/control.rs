// SPDX-License-Identifier: GPL-2.0

//! `/dev/famfs_rs`, the control device: one open file is one connection
//! between a famfs daemon and the mounts it serves.

use crate::bindings;
use crate::miscdev::{self, MiscFile, Registration};
use crate::poll::{PollQueue, PollTable};
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::ThisModule;

/// Device node name, under /dev.
pub(crate) const NAME: &kernel::str::CStr = kernel::c_str!("famfs_rs");

/// Only root may open the device: it serves file system metadata.
pub(crate) const MODE: u16 = 0o600;

/// One daemon connection. The request queue and the mounts it serves hang
/// off it (the FUSE transport).
#[pin_data]
pub(crate) struct Connection {
    #[pin]
    pollers: PollQueue,
}

impl MiscFile for Connection {
    fn open() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Connection {
                pollers <- PollQueue::new(),
            }),
            GFP_KERNEL,
        )
    }

    fn poll(&self, table: &PollTable) -> u32 {
        table.register(&self.pollers);
        0
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
