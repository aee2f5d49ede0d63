// SPDX-License-Identifier: GPL-2.0

//! What the raw nodes of both kinds of kernel share: a misc device
//! registered under `/dev/famfs_rs_raw/`, and the copy between a dax
//! device and a read's or write's iterator.
//!
//! Each transfer is checked against the device's size (the core's
//! [`span`]), then copied in pieces of at most [`CHUNK`] bytes through
//! `dax_direct_access()` under the dax read lock, as fs/dax.c copies:
//! reads with machine-check-safe copies after evicting the lines from this
//! CPU's caches (another host may have written the memory), writes with
//! cache-bypassing stores. Under the read lock a device being unbound is
//! either still mapped or already refused (ENXIO): unbinding kills the dax
//! device and waits for the readers before it unmaps the memory.

use crate::core_logic::famfs_core::{
    abi,
    rawio::{chunk, span},
};
use crate::kapi::bindings;
use core::ptr;
use kernel::error::to_result;
use kernel::ffi::{c_int, c_void};
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::prelude::*;
use kernel::str::CString;
use kernel::types::{ForeignOwnable, Opaque};

/// An ABI name as text, evaluated at build time only (in `const` items: a
/// name that is not ASCII fails the build).
pub(super) const fn abi_name(bytes: &'static [u8]) -> &'static str {
    match core::str::from_utf8(abi::abi_str(bytes)) {
        Ok(s) => s,
        Err(_) => panic!("the ABI header's names are ASCII"),
    }
}

/// The directory under /dev of the raw nodes (`/dev/famfs_rs_raw/`).
pub(super) const RAW_DIR: &str = abi_name(abi::FAMFS_RS_RAW_DIR);

/// Largest piece copied under one dax read lock.
const CHUNK: usize = 2 << 20;

/// Which way a transfer goes.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(super) enum Dir {
    Read,
    Write,
}

/// Moves the bytes `iocb` asks for between the dax device `dax_dev` of
/// `size` bytes and `iter`; a write first calls `begin_write`, whose guard
/// is held until the copy is done (it refuses, or keeps a mount away).
/// Returns the bytes moved, or an error if none were.
///
/// # Safety
///
/// `iocb` and `iter` are a valid kiocb and iterator the VFS passed to a
/// read or write; `dax_dev` is a dax device the caller holds a reference
/// on (alive or killed).
pub(super) unsafe fn transfer<G>(
    dax_dev: *mut bindings::dax_device,
    size: u64,
    iocb: *mut bindings::kiocb,
    iter: *mut bindings::iov_iter,
    dir: Dir,
    begin_write: impl FnOnce() -> Result<G>,
) -> isize {
    // SAFETY: per the contract.
    let (pos, count) = unsafe { ((*iocb).ki_pos, bindings::famfs_rs_iov_iter_count(iter)) };
    let len = match span(pos, count, size, dir == Dir::Write) {
        Ok(len) => len,
        Err(e) => return -(e as isize),
    };
    if len == 0 {
        return 0;
    }
    let _writing = match dir {
        Dir::Write => match begin_write() {
            Ok(guard) => Some(guard),
            Err(e) => return e.to_errno() as isize,
        },
        Dir::Read => None,
    };
    // `span` checked: `pos` is not negative and `pos + len <= size`.
    let start = pos as u64;
    let (mut done, mut err) = (0usize, EIO);
    // A device of several physical ranges maps only within one range at a
    // time (fsdev_dax answers EFAULT for a span across two): then page by
    // page.
    let mut by_page = false;
    // Copies in a row that moved nothing although the pages were faulted
    // in: one may be a page reclaimed in between, two are the device.
    let mut stuck = 0;
    while done < len {
        let at = start + done as u64;
        let in_page = (at & (PAGE_SIZE as u64 - 1)) as usize;
        let most = if by_page { PAGE_SIZE - in_page } else { CHUNK };
        let (want, pages) = chunk(in_page, len - done, most, PAGE_SIZE);
        // The user's pages are faulted in now, with no lock held: under the
        // dax read lock the copy runs with page faults disabled, since a
        // fault there (on a FUSE file's page, say) could take any time, and
        // every unbind and claim of any dax device waits for the lock's
        // readers.
        // SAFETY: the caller's iterator (per the contract).
        let missing = unsafe { bindings::famfs_rs_iov_iter_fault_in(iter, want, dir == Dir::Read) };
        if missing == want {
            err = EFAULT;
            break;
        }
        let mut kaddr: *mut c_void = ptr::null_mut();
        // SAFETY: a referenced dax device (per the contract; if killed the
        // access fails with ENXIO); dax_direct_access() wants the dax read
        // lock held, and the copy too, until it is done.
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
            if avail == EFAULT.to_errno() as _ && pages > 1 {
                by_page = true;
                continue;
            }
            // EFAULT here is the device's (a page it cannot map), not a
            // bad user buffer's: EIO.
            if avail < 0 && avail != EFAULT.to_errno() as _ {
                err = Error::from_errno(avail as c_int);
            }
            break;
        }
        let n = want.min((avail as usize * PAGE_SIZE).saturating_sub(in_page));
        // SAFETY: dax_direct_access() mapped `avail` pages from the page of
        // `at` at `kaddr`, and `in_page + n` lies within them; the iterator
        // is the caller's (per the contract). The copy does not sleep.
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
        if copied == 0 {
            // Nothing copied of what was faulted in: a user page reclaimed
            // in between (faulted in again next time), else poison under a
            // read (EIO).
            stuck += 1;
            if stuck < 2 {
                continue;
            }
            err = if missing == 0 { EIO } else { EFAULT };
            break;
        }
        stuck = 0;
        // A short copy goes on from where it stopped: the next pages are
        // faulted in then.
    }
    if done == 0 {
        return err.to_errno() as isize;
    }
    // SAFETY: per the contract; the VFS reads the position back.
    unsafe { (*iocb).ki_pos = pos + done as i64 };
    done as isize
}

/// A misc device `/dev/<dir>/<name>` (mode 0600) and what its open
/// callback finds through it.
///
/// # Invariants
///
/// While a [`MiscNode`] owns it, `misc` is registered with the misc core,
/// with `name` and `nodename` as its names; it is the first field, so the
/// misc core's pointer to it (a file's `private_data` during open) is a
/// pointer to this object.
#[repr(C)]
pub(super) struct Node<T> {
    misc: Opaque<bindings::miscdevice>,
    data: T,
    _name: CString,
    _nodename: CString,
}

/// A registered [`Node`]; deregistered on drop (files already open keep
/// what their open took from it).
pub(super) struct MiscNode<T> {
    node: Pin<KBox<Node<T>>>,
}

// SAFETY: the misc structure is only read by the misc core under its own
// lock after registration, and deregistered by `Drop` (`&mut self`); `T`
// is sent along.
unsafe impl<T: Send> Send for MiscNode<T> {}
// SAFETY: `&MiscNode` gives no access to the misc structure, only `&T`.
unsafe impl<T: Sync> Sync for MiscNode<T> {}

impl<T> MiscNode<T> {
    /// Registers `/dev/<dir>/<name>` whose files use `fops` (alive as
    /// long as the module is) and whose open finds `data` (see [`node`]).
    pub(super) fn register(
        dir: &str,
        name: &str,
        data: T,
        fops: *const bindings::file_operations,
    ) -> Result<Self> {
        let node = KBox::pin(
            Node {
                misc: Opaque::new(bindings::miscdevice::default()),
                data,
                _name: CString::try_from_fmt(core::format_args!("{}_{}", dir, name))?,
                _nodename: CString::try_from_fmt(core::format_args!("{}/{}", dir, name))?,
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

impl<T> Drop for MiscNode<T> {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant). An open already past the
        // misc core's lookup runs under the misc lock, which deregistering
        // takes too: it has taken what it needs from the node by then.
        unsafe { bindings::misc_deregister(self.node.misc.get()) };
    }
}

/// The data of the node being opened, and whether the caller may use a
/// raw node at all (CAP_SYS_ADMIN: the node is 0600 root, but a copy of it
/// can be made with any mode): EPERM if not.
///
/// # Safety
///
/// Called from the open callback of a `MiscNode<T>`'s file operations,
/// before anything replaced the file's `private_data` (the misc core's
/// pointer to the node's misc structure), under the misc lock.
pub(super) unsafe fn node<'a, T>(file: *mut bindings::file) -> Result<&'a T> {
    // SAFETY: only reads the current task's credentials.
    if !unsafe { bindings::capable(bindings::CAP_SYS_ADMIN as c_int) } {
        return Err(EPERM);
    }
    // SAFETY: the misc core set `private_data` to our registered misc
    // structure (registered while its lock is held), the first field of a
    // `Node<T>` (type invariant).
    Ok(unsafe { &(*((*file).private_data as *const Node<T>)).data })
}

/// Makes `state` the open file's: its `private_data` from here until
/// [`release`].
///
/// # Safety
///
/// Called from a raw node's open callback, after [`node`], as the last
/// thing it does (the file is opened with it).
pub(super) unsafe fn adopt<P: ForeignOwnable>(file: *mut bindings::file, state: P) {
    // SAFETY: the file is being opened; `private_data` is ours from here.
    unsafe { (*file).private_data = state.into_foreign() as *mut c_void };
}

/// The `release` of every raw node whose open [`adopt`]ed a `P`: drops it.
///
/// # Safety
///
/// Called by the VFS once per file such an open callback opened.
pub(super) unsafe extern "C" fn release<P: ForeignOwnable>(
    _inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the `P` stored at open; release is the file's last call.
    drop(unsafe { P::from_foreign((*file).private_data) });
    0
}

/// The fields every raw node's file operations share (the caller's zeroed
/// structure, not yet in use): the owner, so that an open file pins the
/// module and with it the operations, and the default llseek.
pub(super) fn fops_common(fops: *mut bindings::file_operations, module: *mut bindings::module) {
    // SAFETY: the caller's own, not yet in use.
    unsafe {
        (*fops).owner = module;
        (*fops).llseek = Some(bindings::default_llseek);
    }
}
