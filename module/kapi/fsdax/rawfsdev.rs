// SPDX-License-Identifier: GPL-2.0

//! The raw node of kernels with `fsdev_dax` (7.x), `/dev/famfs_rs_raw/fsdev`:
//! `pread`/`pwrite` of a device bound to fsdev_dax, for `famfs mkfs`,
//! `fsck`, `logplay` and the daemon while the device stays bound between
//! mounts (`famfs bind`): its `/dev/daxX.Y` opens there but can be neither
//! read nor mapped.
//!
//! famfs_rs.ko is not that device's driver and learns nothing when it is
//! bound, so there is one node, and an open file of it is given its device
//! with `FAMFS_RS_RAW_SET_FD` (an open `/dev/daxX.Y`), as a loop device is
//! given its file. The descriptor, not a number, names the device: only a
//! devdax device bound to a driver has a node that opens, while a number
//! could name any dax device (pmem's too). The file then keeps a reference
//! on the dax device; once the device is unbound every access fails
//! (ENXIO: killed; EOPNOTSUPP: bound to device_dax again), and works again
//! if it comes back to fsdev_dax.
//!
//! The copy is [`raw::transfer`]'s. Writes are refused (EBUSY) while any
//! file system holds the device, and a mount's claim of it is refused
//! while a write is in flight ([`super::upstream::raw_write_begin`]).

use super::raw::{self, Dir, MiscNode};
use super::upstream::{data_size, lookup, raw_write_begin, DaxRef};
use crate::core_logic::famfs_core::abi;
use crate::kapi::file::FileRef;
use crate::kapi::{bindings, once::OnceBox};
use core::ptr;
use kernel::ffi::{c_int, c_long, c_uint, c_ulong};
use kernel::prelude::*;
use kernel::types::{ForeignOwnable, Opaque};
use kernel::uaccess::{UserPtr, UserSlice};

/// The name of the node under the raw nodes' directory.
const NAME: &str = raw::abi_name(abi::FAMFS_RS_RAW_FSDEV_NAME);

/// The device an open file reads and writes, once given.
struct Attached {
    dax: DaxRef,
    /// Data bytes when it was given (a later resize needs an unbind, after
    /// which the dax device refuses any page past its new end itself).
    size: u64,
    /// Whether the `/dev/daxX.Y` it was given was open for writing: if
    /// not, writes fail with EBADF (as a loop device given a read-only
    /// file is read-only), whatever this node was opened for.
    writable: bool,
}

/// An open file of the node.
struct OpenFile {
    attached: OnceBox<Attached>,
}

/// The registered node and its file operations; deregistered on drop.
pub(super) struct FsdevNode {
    // Deregistered before the operations it points to are freed.
    _node: MiscNode<()>,
    _fops: Pin<KBox<Opaque<bindings::file_operations>>>,
}

// SAFETY: the file operations are written before registration only, then
// read by the VFS alone; the node is deregistered by `Drop` (`&mut self`).
unsafe impl Send for FsdevNode {}
// SAFETY: `&FsdevNode` gives no access to either.
unsafe impl Sync for FsdevNode {}

impl FsdevNode {
    /// Registers `/dev/<dir>/fsdev` (0600) for `module`.
    pub(super) fn register(dir: &str, module: *mut bindings::module) -> Result<Self> {
        let fops = KBox::pin(
            Opaque::new(bindings::file_operations::default()),
            GFP_KERNEL,
        )?;
        let f = fops.get();
        raw::fops_common(f, module);
        // SAFETY: ours, not yet in use.
        unsafe {
            (*f).open = Some(open_callback);
            (*f).release = Some(raw::release::<KBox<OpenFile>>);
            (*f).read_iter = Some(read_iter);
            (*f).write_iter = Some(write_iter);
            (*f).unlocked_ioctl = Some(ioctl_callback);
            (*f).compat_ioctl = bindings::compat_ptr_ioctl;
        }
        let node = MiscNode::register(dir, NAME, (), f)?;
        Ok(Self {
            _node: node,
            _fops: fops,
        })
    }
}

/// The state of an open file.
///
/// # Safety
///
/// `file` is a file `open_callback` opened, not yet released.
unsafe fn open_file<'a>(file: *mut bindings::file) -> &'a OpenFile {
    // SAFETY: `private_data` holds the box `open_callback` stored, alive
    // until `release_callback`, which runs after every other operation.
    let state = unsafe { <KBox<OpenFile> as ForeignOwnable>::borrow((*file).private_data) };
    // SAFETY: as above, the state outlives this borrow of the file.
    unsafe { &*ptr::from_ref::<OpenFile>(state) }
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
    if let Err(e) = unsafe { raw::node::<()>(file) } {
        return e.to_errno();
    }
    let state = match KBox::new(
        OpenFile {
            attached: OnceBox::new(),
        },
        GFP_KERNEL,
    ) {
        Ok(state) => state,
        Err(_) => return ENOMEM.to_errno(),
    };
    // SAFETY: per this function's contract, after `raw::node`.
    unsafe { raw::adopt(file, state) };
    0
}

/// `FAMFS_RS_RAW_SET_FD`: gives `state` the device open as the descriptor
/// `arg` points to. EBUSY if it has one; ENODEV if that is not a devdax
/// device bound to fsdev_dax.
fn set_fd(state: &OpenFile, arg: c_ulong) -> Result {
    let mut reader = UserSlice::new(UserPtr::from_addr(arg as usize), 4).reader();
    let mut fd = [0u8; 4];
    reader.read_slice(&mut fd)?;
    if state.attached.is_set() {
        return Err(EBUSY);
    }
    // The file stays referenced until the device is found: an open
    // /dev/daxX.Y keeps its device (and so its number) from going away.
    let fd = u32::try_from(i32::from_ne_bytes(fd)).map_err(|_| EBADF)?;
    let file = FileRef::get(fd)?;
    let dax = lookup(file.char_device().ok_or(ENODEV)?)?;
    let writable = file.writable();
    drop(file);
    // Only fsdev_dax gives its dax devices operations that map their data
    // (device_dax leaves them NULL: EOPNOTSUPP).
    let size = data_size(dax.as_ptr()).map_err(|_| ENODEV)?;
    state
        .attached
        .set(KBox::new(
            Attached {
                dax,
                size,
                writable,
            },
            GFP_KERNEL,
        )?)
        .map_err(|_| EBUSY)
}

/// # Safety
///
/// Called by the VFS as `unlocked_ioctl` of an open file of the node.
unsafe extern "C" fn ioctl_callback(
    file: *mut bindings::file,
    cmd: c_uint,
    arg: c_ulong,
) -> c_long {
    if cmd != abi::RAW_SET_FD {
        return ENOTTY.to_errno() as c_long;
    }
    // Checked at open too, but an open file can be passed on.
    // SAFETY: only reads the current task's credentials.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return EPERM.to_errno() as c_long;
    }
    // SAFETY: per this function's contract.
    let state = unsafe { open_file(file) };
    match set_fd(state, arg) {
        Ok(()) => 0,
        Err(e) => e.to_errno() as c_long,
    }
}

/// # Safety
///
/// `iocb` and `iter` are a valid kiocb and iterator the VFS passed to a
/// read or write of an open file of the node.
unsafe fn transfer(iocb: *mut bindings::kiocb, iter: *mut bindings::iov_iter, dir: Dir) -> isize {
    // SAFETY: the VFS passes a valid kiocb on an open file of the node.
    let state = unsafe { open_file((*iocb).ki_filp) };
    let Some(at) = state.attached.get() else {
        return ENXIO.to_errno() as isize;
    };
    if dir == Dir::Write && !at.writable {
        return EBADF.to_errno() as isize;
    }
    let dax_dev = at.dax.as_ptr();
    // SAFETY: per the contract; `at` holds a reference on the dax device.
    unsafe {
        raw::transfer(dax_dev, at.size, iocb, iter, dir, || {
            raw_write_begin(dax_dev)
        })
    }
}

/// # Safety
///
/// Called by the VFS as `read_iter` of an open file of the node.
unsafe extern "C" fn read_iter(iocb: *mut bindings::kiocb, to: *mut bindings::iov_iter) -> isize {
    // SAFETY: per this function's contract.
    unsafe { transfer(iocb, to, Dir::Read) }
}

/// # Safety
///
/// Called by the VFS as `write_iter` of an open file of the node.
unsafe extern "C" fn write_iter(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: per this function's contract.
    unsafe { transfer(iocb, from, Dir::Write) }
}
