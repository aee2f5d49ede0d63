// SPDX-License-Identifier: GPL-2.0

//! The raw node of a device bound to famfs_rs's dax driver,
//! `/dev/famfs_rs_raw/daxX.Y`: `pread`/`pwrite` of its bytes, for `famfs
//! mkfs`, `fsck`, `logplay` and the daemon while the device stays bound
//! between mounts (its `/dev/daxX.Y` fails with ENXIO then).
//!
//! Each transfer is checked against the device's size (the core's
//! [`span`]), then copied in pieces of at most [`CHUNK`] bytes through
//! `dax_direct_access()` under the dax read lock, as fs/dax.c copies:
//! reads with machine-check-safe copies after evicting the lines from this
//! CPU's caches (another host may have written the memory), writes with
//! cache-bypassing stores. Reads are always allowed; writes are refused
//! (EBUSY) while a mount holds the device, whose daemon writes the log
//! through the mount's `.meta/.log`, and a mount is refused while a write
//! is in flight (see [`DaxDev::raw_write_begin`]).

use super::device::DaxDev;
use crate::core_logic::famfs_core::rawio::{chunk, span};
use crate::kapi::bindings;
use core::ptr;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_void};
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::sync::Arc;
use kernel::types::{ForeignOwnable, Opaque};

/// Largest piece copied under one dax read lock.
const CHUNK: usize = 2 << 20;

/// A registered raw node: the misc device, its names, and the device it
/// reads and writes.
///
/// # Invariants
///
/// `misc` is registered with the misc core, with `name` and `nodename` as
/// its names and the driver's raw-node file operations; it is the first
/// field, so the misc core's pointer to it is a pointer to this object.
#[repr(C)]
struct Node {
    misc: Opaque<bindings::miscdevice>,
    dev: Arc<DaxDev>,
    _name: CString,
    _nodename: CString,
}

/// A device's raw node; deregistered on drop (open files keep the device's
/// state, and read ENXIO once it is unbound).
pub(super) struct RawNode {
    node: Pin<KBox<Node>>,
}

// SAFETY: the misc structure is only read by the misc core under its own
// lock after registration, and deregistered by `Drop` (`&mut self`).
unsafe impl Send for RawNode {}
// SAFETY: `&RawNode` gives no access to the misc structure.
unsafe impl Sync for RawNode {}

/// Fills in the file operations every raw node shares, kept by the driver
/// (so that a file opened before its node was deregistered still finds
/// them: open files pin the module through `owner`, the driver lives as
/// long as the module).
pub(super) fn fops(fops: *mut bindings::file_operations, module: *mut bindings::module) {
    // SAFETY: the caller's own, zeroed and not yet in use.
    unsafe {
        (*fops).owner = module;
        (*fops).open = Some(open_callback);
        (*fops).release = Some(release_callback);
        (*fops).read_iter = Some(read_iter);
        (*fops).write_iter = Some(write_iter);
        (*fops).llseek = Some(bindings::default_llseek);
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
        let name = CString::try_from_fmt(core::format_args!("{}_{}", dir, dev.name_str()))?;
        let nodename = CString::try_from_fmt(core::format_args!("{}/{}", dir, dev.name_str()))?;
        let node = KBox::pin(
            Node {
                misc: Opaque::new(bindings::miscdevice::default()),
                dev: dev.clone(),
                _name: name,
                _nodename: nodename,
            },
            GFP_KERNEL,
        )?;
        let misc = node.misc.get();
        // SAFETY: `misc` is ours and not registered; the names live in
        // `node` as long as the registration; `fops` lives as long as the
        // module. The box never moves, so the misc core may keep `misc`.
        unsafe {
            (*misc).minor = bindings::MISC_DYNAMIC_MINOR as c_int;
            (*misc).name = node._name.as_char_ptr();
            (*misc).nodename = node._nodename.as_char_ptr();
            (*misc).mode = 0o600;
            (*misc).fops = fops;
        }
        // SAFETY: fully initialised as above.
        to_result(unsafe { bindings::misc_register(misc) })?;
        Ok(Self { node })
    }
}

impl Drop for RawNode {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant). An open already past the
        // misc core's lookup took its reference on the state under the
        // misc lock, which deregistering takes too.
        unsafe { bindings::misc_deregister(self.node.misc.get()) };
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
    // The node is 0600 root, but a copy of it can be made with any mode.
    // SAFETY: only reads the current task's credentials.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return EPERM.to_errno();
    }
    // SAFETY: the misc core set `private_data` to our registered misc
    // structure (still registered: its lock is held), the first field of a
    // `Node` (type invariant).
    let node = unsafe { &*((*file).private_data as *const Node) };
    let dev = node.dev.clone();
    // SAFETY: the file is being opened; `private_data` is ours from here.
    unsafe { (*file).private_data = dev.into_foreign() as *mut c_void };
    0
}

/// # Safety
///
/// Called by the VFS once per file `open_callback` opened.
unsafe extern "C" fn release_callback(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the `Arc` stored at open; release is the file's last call.
    drop(unsafe { <Arc<DaxDev> as ForeignOwnable>::from_foreign((*file).private_data) });
    0
}

/// Which way a transfer goes.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Dir {
    Read,
    Write,
}

/// Moves the bytes `iocb` asks for between `dev` and `iter`; see the module
/// documentation. Returns the bytes moved, or an error if none were.
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
    // SAFETY: per the contract.
    let (pos, count) = unsafe { ((*iocb).ki_pos, bindings::famfs_rs_iov_iter_count(iter)) };
    let len = match span(pos, count, dev.size, dir == Dir::Write) {
        Ok(len) => len,
        Err(e) => return -(e as isize),
    };
    if len == 0 {
        return 0;
    }
    let _writing = match dir {
        Dir::Write => match dev.raw_write_begin() {
            Ok(guard) => Some(guard),
            Err(e) => return e.to_errno() as isize,
        },
        Dir::Read => None,
    };
    // `span` checked: `pos` is not negative and `pos + len <= size`.
    let start = pos as u64;
    let dax_dev = dev.dax_device();
    let (mut done, mut err) = (0usize, EIO);
    while done < len {
        let at = start + done as u64;
        let in_page = (at & (PAGE_SIZE as u64 - 1)) as usize;
        let (want, pages) = chunk(in_page, len - done, CHUNK, PAGE_SIZE);
        let mut kaddr: *mut c_void = ptr::null_mut();
        // SAFETY: the state owns the dax device (alive, if maybe killed:
        // then the access fails with ENXIO); dax_direct_access() wants the
        // dax read lock held, and the copy too, until it is done.
        let id = unsafe { bindings::dax_read_lock() };
        // SAFETY: as above; `kaddr` is writable.
        let avail = unsafe {
            bindings::dax_direct_access(
                dax_dev,
                (at >> PAGE_SHIFT) as _,
                pages as _,
                bindings::dax_access_mode_DAX_ACCESS,
                &mut kaddr,
                ptr::null_mut(),
            )
        };
        if avail <= 0 || kaddr.is_null() {
            // SAFETY: taken above.
            unsafe { bindings::dax_read_unlock(id) };
            if avail < 0 {
                err = Error::from_errno(avail as c_int);
            }
            break;
        }
        let n = want.min((avail as usize * PAGE_SIZE).saturating_sub(in_page));
        // SAFETY: dax_direct_access() mapped `avail` pages from the page of
        // `at` at `kaddr`, and `in_page + n` lies within them; the iterator
        // is the caller's (per the contract).
        let copied = unsafe {
            let addr = kaddr.cast::<u8>().add(in_page).cast::<c_void>();
            match dir {
                Dir::Read => bindings::famfs_rs_raw_copy_to_iter(addr, n, iter),
                Dir::Write => bindings::famfs_rs_raw_copy_from_iter(addr, n, iter),
            }
        };
        // SAFETY: taken above.
        unsafe { bindings::dax_read_unlock(id) };
        done += copied;
        if copied < n {
            // A user buffer that faults, or poison under a read.
            err = EFAULT;
            break;
        }
    }
    if done == 0 {
        return err.to_errno() as isize;
    }
    // SAFETY: per the contract; the VFS reads the position back.
    unsafe { (*iocb).ki_pos = pos + done as i64 };
    done as isize
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
