// SPDX-License-Identifier: GPL-2.0

//! The raw node of a device bound to famfs_rs's dax driver,
//! `/dev/famfs_rs_raw/daxX.Y`: `pread`/`pwrite` of its bytes, for `famfs
//! mkfs`, `fsck`, `logplay` and the daemon while the device stays bound
//! between mounts (its `/dev/daxX.Y` fails with ENXIO then).
//!
//! The copy is [`raw::transfer`]'s. Reads are always allowed; writes are
//! refused (EBUSY) while a mount holds the device, whose daemon writes the
//! log through the mount's `.meta/.log`, and a mount's claim is refused
//! while a write is in flight (see [`DaxDev::raw_write_begin`]).

use super::device::DaxDev;
use super::raw::{self, Dir, MiscNode};
use crate::kapi::bindings;
use core::ptr;
use kernel::ffi::c_int;
use kernel::prelude::*;
use kernel::sync::Arc;
use kernel::types::ForeignOwnable;

/// A device's raw node; deregistered on drop (open files keep the device's
/// state, and read ENXIO once it is unbound).
pub(super) struct RawNode {
    _node: MiscNode<Arc<DaxDev>>,
}

/// Fills in the file operations every raw node shares, kept by the driver
/// (so that a file opened before its node was deregistered still finds
/// them: open files pin the module through `owner`, the driver lives as
/// long as the module).
pub(super) fn fops(fops: *mut bindings::file_operations, module: *mut bindings::module) {
    raw::fops_common(fops, module);
    // SAFETY: the caller's own, zeroed and not yet in use.
    unsafe {
        (*fops).open = Some(open_callback);
        (*fops).release = Some(raw::release::<Arc<DaxDev>>);
        (*fops).read_iter = Some(read_iter);
        (*fops).write_iter = Some(write_iter);
    }
}

impl RawNode {
    /// Registers `/dev/<dir>/<name>` (mode 0600) for `dev`, whose files use
    /// `fops` (set up by [`fops`], alive as long as the module is).
    pub(super) fn register(
        dev: &Arc<DaxDev>,
        dir: &str,
        fops: *const bindings::file_operations,
    ) -> Result<Self> {
        Ok(Self {
            _node: MiscNode::register(dir, dev.name_str(), dev.clone(), fops)?,
        })
    }
}

/// The device of an open raw node.
///
/// # Safety
///
/// `file` is a file `open_callback` opened, not yet released.
unsafe fn device<'a>(file: *mut bindings::file) -> &'a DaxDev {
    // SAFETY: `private_data` holds the `Arc` `open_callback` stored, alive
    // until `release_callback`, which runs after every other operation.
    let arc = unsafe { <Arc<DaxDev> as ForeignOwnable>::borrow((*file).private_data) };
    // SAFETY: as above, the state outlives this borrow of the file.
    unsafe { &*ptr::from_ref::<DaxDev>(&*arc) }
}

/// # Safety
///
/// Called by the misc core's open, under its lock, with `private_data` set
/// to the node's misc structure.
unsafe extern "C" fn open_callback(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: per this function's contract.
    let dev = match unsafe { raw::node::<Arc<DaxDev>>(file) } {
        Ok(dev) => dev.clone(),
        Err(e) => return e.to_errno(),
    };
    // SAFETY: per this function's contract, after `raw::node`.
    unsafe { raw::adopt(file, dev) };
    0
}

/// Moves the bytes `iocb` asks for between `dev` and `iter`; writes are
/// refused while a mount holds the device ([`DaxDev::raw_write_begin`]).
///
/// # Safety
///
/// `iocb` and `iter` are a valid kiocb and iterator the VFS passed to a
/// read or write of an open raw node of `dev`.
unsafe fn transfer(
    dev: &DaxDev,
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
    dir: Dir,
) -> isize {
    // SAFETY: per the contract; the state owns its dax device.
    unsafe {
        raw::transfer(dev.dax_device(), dev.size, iocb, iter, dir, || {
            dev.raw_write_begin()
        })
    }
}

/// # Safety
///
/// Called by the VFS as `read_iter` of an open raw node.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: the VFS passes a valid kiocb on an open raw node.
    let dev = unsafe { device((*iocb).ki_filp) };
    // SAFETY: per this function's contract.
    unsafe { transfer(dev, iocb, to, Dir::Read) }
}

/// # Safety
///
/// Called by the VFS as `write_iter` of an open raw node.
unsafe extern "C" fn write_iter(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: the VFS passes a valid kiocb on an open raw node.
    let dev = unsafe { device((*iocb).ki_filp) };
    // SAFETY: per this function's contract.
    unsafe { transfer(dev, iocb, from, Dir::Write) }
}
