// SPDX-License-Identifier: GPL-2.0

//! `/dev/famfs_rs`, the control device: one open file is one connection
//! between a daemon and the mount it serves.

#![forbid(unsafe_code)]

use crate::core_logic::famfs_core::abi::FAMFS_RS_CTL_NAME;
use crate::fuse::transport::Transport;
use crate::kapi::errno::enotconn;
use crate::kapi::miscdev::{MiscFile, Registration};
use crate::kapi::poll::PollTable;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;
use kernel::uaccess::{UserSliceReader, UserSliceWriter};
use kernel::ThisModule;

/// Device node name, under /dev (include/famfs_rs_abi.h).
pub(crate) const NAME: &CStr = crate::kapi::c_str(FAMFS_RS_CTL_NAME);

/// Only root may open the device: it serves file system metadata.
const MODE: u16 = 0o600;

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
            return Err(enotconn());
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
        self.transport.close(enotconn());
    }
}

/// The registered control device; deregistered on drop.
pub(crate) struct ControlDevice {
    registration: Registration<Connection>,
}

impl ControlDevice {
    /// Registers `/dev/famfs_rs`.
    pub(crate) fn register(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            registration: Registration::register(NAME, MODE, module)?,
        })
    }

    /// The connection behind file descriptor `fd` of the current task,
    /// which must be an open control device (`mount -o fd=N`).
    pub(crate) fn connection(&self, fd: u32) -> Result<Arc<Connection>> {
        self.registration.state_of_fd(fd)
    }
}
