// SPDX-License-Identifier: GPL-2.0

//! fs-dax on devdax: the dax driver a mount claims its devices from.
//!
//! On stock kernels (6.12) famfs_rs brings its own dax bus driver
//! (`fsdax/driver.rs`): a devdax device handed to it through sysfs is mapped
//! with MEMORY_DEVICE_FS_DAX pages and gets a dax device whose operations
//! (`fsdax/ops.rs`) serve fs/dax.c, and whose page map reports memory
//! failures to the holder. Kernels with the 7.1 `fsdev_dax` driver and
//! `fs_dax_get()` use those instead (`fsdax/upstream.rs`, chosen by a
//! Kbuild probe), behind the same `Driver`, `claim` and `Claim`.
//!
//! A device has at most one holder (a mount) at a time, told about memory
//! failures through [`FailureHolder`].

#[cfg(not(famfs_rs_fsdev_dax))]
use crate::kapi::bindings;
#[cfg(not(famfs_rs_fsdev_dax))]
use kernel::prelude::*;
#[cfg(not(famfs_rs_fsdev_dax))]
use kernel::sync::Arc;

mod holder;
mod raw;

#[cfg(famfs_rs_fsdev_dax)]
mod rawfsdev;
#[cfg(famfs_rs_fsdev_dax)]
mod upstream;
#[cfg(famfs_rs_fsdev_dax)]
pub(crate) use upstream::{claim, Claim, Driver};

#[cfg(not(famfs_rs_fsdev_dax))]
mod device;
#[cfg(not(famfs_rs_fsdev_dax))]
mod driver;
#[cfg(not(famfs_rs_fsdev_dax))]
mod ops;
#[cfg(not(famfs_rs_fsdev_dax))]
mod rawnode;
#[cfg(not(famfs_rs_fsdev_dax))]
pub(crate) use driver::Driver;

/// What happened to a claimed device.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Failure {
    /// `len` bytes at `offset` failed (bytes from the start of the device's
    /// data: the offsets userspace sees in /dev/daxX.Y and famfs maps use).
    Poison {
        /// First failed byte.
        offset: u64,
        /// Failed bytes.
        len: u64,
    },
    /// The device is being unbound: its pages are unmapped from the kernel
    /// right after the holder returns, so by then the holder must have
    /// dropped every mapping of them (unmapped them from processes and
    /// removed its files' dax entries).
    Removal,
}

/// What memory_failure() does after the holder was told of a poisoned
/// range.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Recovery {
    /// The holder has dealt with everything.
    Done,
    /// memory_failure()'s generic fs-dax handling goes on: it unmaps the
    /// pages from every process mapping them (found through the pages'
    /// mapping and index, which fs/dax.c sets) and sends them SIGBUS.
    KillMappers,
}

/// Told what happens to a claimed device. Runs in process context (may
/// sleep). Never drop the [`Claim`] from in here.
pub(crate) trait FailureHolder: Send + Sync + 'static {
    /// `failure` happened; the answer matters for [`Failure::Poison`] only.
    fn notify_failure(&self, failure: Failure) -> Recovery;
}

/// A claimed device. Dropping it lets the device go (the holder is no
/// longer told anything); the device's state, and its dax device, live at
/// least as long as the claim, also past an unbind.
#[cfg(not(famfs_rs_fsdev_dax))]
pub(crate) struct Claim {
    dev: Arc<device::DaxDev>,
}

#[cfg(not(famfs_rs_fsdev_dax))]
impl Claim {
    /// The dax device, for `iomap->dax_dev`. Once the device is unbound,
    /// every access through it fails (ENXIO).
    pub(in crate::kapi) fn raw_dax_device(&self) -> *mut bindings::dax_device {
        self.dev.dax_device()
    }

    /// Usable data bytes (the size of /dev/daxX.Y).
    pub(crate) fn size(&self) -> u64 {
        self.dev.size
    }

    /// Whether a CPU store to the device is durable once written back
    /// (what `MAP_SYNC` needs of it).
    pub(crate) fn is_synchronous(&self) -> bool {
        // SAFETY: the dax device lives as long as the claim's state.
        unsafe { bindings::dax_synchronous(self.dev.dax_device()) }
    }

    /// Whether the device was unbound (killed).
    pub(crate) fn is_dead(&self) -> bool {
        self.dev.is_dead()
    }

    /// Waits, killably, until nobody holds a page of the `len` bytes from
    /// `offset` but their file's dax entries, which are about to be
    /// dropped: fs/dax.c warns (and the page would outlive its mapping)
    /// otherwise. Logs every few seconds, naming file `node`. EINTR when
    /// the waiter is killed. Nothing to wait for once the device is gone:
    /// the driver's remove waited.
    pub(crate) fn wait_pages_let_go(&self, offset: u64, len: u64, node: u64) -> Result {
        if self.dev.is_dead() {
            return Ok(());
        }
        let held = |at: u64| {
            if crate::kapi::log::ratelimit_ok() {
                pr_warn!(
                    "{}: file node {} waits for its page at device offset {:#x}, still held \
                     (a pipe that took it with vmsplice, or a pinned buffer)\n",
                    self.dev.name_str(),
                    node,
                    at
                );
            }
        };
        self.dev.wait_let_go(offset, len, true, &held)
    }
}

#[cfg(not(famfs_rs_fsdev_dax))]
impl Drop for Claim {
    fn drop(&mut self) {
        self.dev.detach();
    }
}

/// Claims, for `holder`, the device bound to this driver whose node has
/// `number` (major, minor), found without any path lookup, or without a
/// number the one named `name` ("dax0.0" or "/dev/dax0.0"). ENODEV: no
/// such device bound here (logged, with the sysfs steps that bind a named
/// one); EIO: the number's device is not the one `name` says; EBUSY:
/// already claimed (by another mount, or by another index of this one).
#[cfg(not(famfs_rs_fsdev_dax))]
pub(crate) fn claim<H: FailureHolder>(
    name: &[u8],
    number: Option<(u32, u32)>,
    holder: Arc<H>,
) -> Result<Claim> {
    driver::claim(name, number, holder)
}
