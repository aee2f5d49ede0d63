// SPDX-License-Identifier: GPL-2.0

//! File data through the kernel's fs-dax code: `read`/`write` with
//! `dax_iomap_rw`, page faults with `dax_iomap_fault`, `fsync` with
//! `dax_writeback_mapping_range` and a store fence. The file system says
//! whether each may go ahead ([`FileOperations`]), and
//! [`IomapOperations::iomap_begin`] turns a file offset into a device and
//! an offset on it, from state cached on the inode: no request to the
//! daemon can happen on these paths.
//!
//! `struct iomap_ops` is opaque in the 6.12 kernel crate, so its table is
//! defined in C (module/kapi/helpers.c) and points at
//! [`famfs_rs_iomap_begin`], which dispatches to the file system type of
//! the inode through its super block's header.

use super::ops::Inode;
use super::super_block::{super_header, super_info};
use super::{AddressSpaceOperations, FileOperations, FileSystem, IomapOperations, Operations};
use crate::kapi::bindings;
use crate::kapi::fsdax::Claim;
use core::ptr;
use kernel::ffi::{c_int, c_uint, c_ulong};
use kernel::prelude::*;

/// A contiguous run of a file on a device, from
/// [`IomapOperations::iomap_begin`].
pub(crate) struct DaxExtent<'a> {
    /// Byte offset on the device.
    pub(crate) addr: u64,
    /// Bytes from `addr` that continue the file (never zero).
    pub(crate) len: u64,
    /// The device.
    pub(crate) device: &'a Claim,
}

/// How a fault went, for the counters.
#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) enum FaultOutcome {
    /// Mapped at the asked size.
    Mapped,
    /// A huge fault that fell back to smaller pages.
    Fallback,
    /// SIGBUS, out of memory, or another error.
    Error,
}

/// `iomap_begin` of every famfs_rs file system type, called by fs/dax.c
/// through the one C table: the type's own [`iomap_begin`] is in its super
/// block's header.
///
/// # Safety
///
/// Called by the iomap code with a live inode of one of our types and an
/// iomap to fill.
#[no_mangle]
pub(super) unsafe extern "C" fn famfs_rs_iomap_begin(
    inode: *mut bindings::inode,
    pos: bindings::loff_t,
    length: bindings::loff_t,
    flags: c_uint,
    iomap: *mut bindings::iomap,
    _srcmap: *mut bindings::iomap,
) -> c_int {
    // SAFETY: the inode is live and ours (only our files use the table),
    // so its super block is one of ours, with a header.
    unsafe { (super_header((*inode).i_sb).iomap_begin)(inode, pos, length, flags, iomap) }
}

/// `iomap_begin` of the files of `T`: turns a file offset into a device
/// and an offset on it with [`IomapOperations::iomap_begin`].
///
/// # Safety
///
/// As [`famfs_rs_iomap_begin`], for an inode of `T`.
pub(super) unsafe fn iomap_begin<T: IomapOperations>(
    inode: *mut bindings::inode,
    pos: bindings::loff_t,
    length: bindings::loff_t,
    flags: c_uint,
    iomap: *mut bindings::iomap,
) -> c_int {
    // SAFETY: the inode is live and of `T`; the iomap code holds a
    // reference for the call.
    let (info, inode_ref) =
        unsafe { (super_info::<T>((*inode).i_sb), Inode::<T>::from_raw(inode)) };
    let write = flags & bindings::IOMAP_WRITE != 0;
    let Ok(pos_u) = u64::try_from(pos) else {
        return EINVAL.to_errno();
    };
    match T::iomap_begin(info, inode_ref, pos_u, write) {
        // Past the end of the file: the iomap iterator asks for the rest
        // of a read that ends there; a hole tells it there is nothing.
        Ok(None) => {
            // SAFETY: as below.
            unsafe {
                *iomap = bindings::iomap {
                    addr: u64::MAX, // IOMAP_NULL_ADDR
                    offset: pos,
                    length: length.max(1) as u64,
                    type_: bindings::IOMAP_HOLE as u16,
                    ..Default::default()
                };
            }
            0
        }
        Ok(Some(e)) => {
            // SAFETY: `iomap` is the caller's to fill; all-zero is a valid
            // iomap (no bdev, no inline data, no folio ops). The dax device
            // lives as long as the claim, which the mount holds until after
            // its last inode.
            unsafe {
                *iomap = bindings::iomap {
                    addr: e.addr,
                    offset: pos,
                    length: e.len,
                    type_: bindings::IOMAP_MAPPED as u16,
                    flags: 0,
                    bdev: ptr::null_mut(),
                    dax_dev: e.device.raw_dax_device(),
                    ..Default::default()
                };
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// The inode of an open file.
///
/// # Safety
///
/// `file` must be an open file of ours.
unsafe fn file_inode(file: *mut bindings::file) -> *mut bindings::inode {
    // SAFETY: per the contract; `f_inode` is set for the file's life.
    unsafe { (*file).f_inode }
}

/// The inode of an open file, if the file system's `check` (its
/// [`FileOperations`] method of the call) lets I/O on it go ahead.
///
/// # Safety
///
/// `file` must be an open file of ours.
unsafe fn io_inode<T: FileSystem>(
    file: *mut bindings::file,
    check: impl FnOnce(&T::Info, Inode<'_, T>) -> Result,
) -> Result<*mut bindings::inode> {
    // SAFETY: per the contract the file, hence its inode and super block,
    // are alive for the call.
    unsafe {
        let inode = file_inode(file);
        check(super_info::<T>((*inode).i_sb), Inode::from_raw(inode))?;
        Ok(inode)
    }
}

/// How an I/O holds the inode lock: shared for reads, exclusive for writes
/// (fs/dax.c wants it held).
#[derive(Clone, Copy)]
enum Lock {
    Shared,
    Exclusive,
}

/// Takes the inode lock for an I/O of `iocb`; `false` (not taken) when it
/// asked not to wait (`RWF_NOWAIT`) and the lock is busy.
///
/// # Safety
///
/// `iocb` must be a live kiocb on an open file whose inode is `inode`.
unsafe fn lock_for_io(iocb: *mut bindings::kiocb, inode: *mut bindings::inode, how: Lock) -> bool {
    // SAFETY: per the contract; the helpers take the inode's rwsem.
    unsafe {
        match (bindings::famfs_rs_iocb_nowait(iocb), how) {
            (true, Lock::Shared) => bindings::famfs_rs_inode_trylock_shared(inode),
            (true, Lock::Exclusive) => bindings::famfs_rs_inode_trylock(inode),
            (false, Lock::Shared) => {
                bindings::famfs_rs_inode_lock_shared(inode);
                true
            }
            (false, Lock::Exclusive) => {
                bindings::famfs_rs_inode_lock(inode);
                true
            }
        }
    }
}

/// Drops what [`lock_for_io`] took.
///
/// # Safety
///
/// The inode lock of `inode` must be held as `how` by the caller.
unsafe fn unlock_after_io(inode: *mut bindings::inode, how: Lock) {
    // SAFETY: per the contract.
    unsafe {
        match how {
            Lock::Shared => bindings::famfs_rs_inode_unlock_shared(inode),
            Lock::Exclusive => bindings::famfs_rs_inode_unlock(inode),
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::read_iter` of a file of
/// `T`, with a valid `iocb` and iterator.
pub(super) unsafe extern "C" fn read_iter<T: FileOperations>(
    iocb: *mut bindings::kiocb,
    to: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: the VFS passes a kiocb on an open file of ours and its
    // iterator. fs/dax.c wants the inode lock held (shared for reads);
    // the iomap table is the C one, valid for the module's life.
    unsafe {
        let inode = match io_inode::<T>((*iocb).ki_filp, T::read_iter) {
            Ok(inode) => inode,
            Err(e) => return e.to_errno() as isize,
        };
        if !lock_for_io(iocb, inode, Lock::Shared) {
            return EAGAIN.to_errno() as isize;
        }
        let ret = bindings::dax_iomap_rw(iocb, to, &bindings::famfs_rs_iomap_ops);
        unlock_after_io(inode, Lock::Shared);
        ret
    }
}

/// A write goes through the kernel's standard checks first
/// (`generic_write_checks`: `O_APPEND`/`RWF_APPEND` move it to the end of
/// the file, `RLIMIT_FSIZE`, `RWF_NOWAIT` rules; `file_remove_privs`), then
/// the famfs rule: writes never extend a file. A write is cut at the end of
/// the file, and one that starts there fails with EFBIG (the log, not a
/// write, decides a file's size). A write that must clear a set-id bit (a
/// writer without `CAP_FSETID`) fails with EPERM: famfs modes come from the
/// log and cannot change.
///
/// A synchronous write (`O_SYNC`, `O_DSYNC`, `RWF_DSYNC`, `RWF_SYNC`) is
/// then made durable as `fsync` of its range does (its bytes were copied
/// with cache-bypassing stores: the store fence is what it needs).
///
/// # Safety
///
/// Called by the VFS only, as `file_operations::write_iter` of a file of
/// `T`, with a valid `iocb` and iterator.
pub(super) unsafe extern "C" fn write_iter<T: FileOperations>(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
) -> isize {
    // SAFETY: as in `read_iter`; writes hold the inode lock exclusively,
    // under which `ki_pos` and the iterator are ours to adjust.
    unsafe {
        let file = (*iocb).ki_filp;
        let inode = match io_inode::<T>(file, T::write_iter) {
            Ok(inode) => inode,
            Err(e) => return e.to_errno() as isize,
        };
        if !lock_for_io(iocb, inode, Lock::Exclusive) {
            return EAGAIN.to_errno() as isize;
        }
        let ret = write_locked(iocb, from, file, inode);
        unlock_after_io(inode, Lock::Exclusive);
        if ret > 0 {
            // Calls `fsync` for IOCB_DSYNC/IOCB_SYNC, outside the inode
            // lock as other file systems do.
            bindings::famfs_rs_generic_write_sync(iocb, ret)
        } else {
            ret
        }
    }
}

/// The body of [`write_iter`], under the inode lock.
///
/// # Safety
///
/// As [`write_iter`], with `file` and `inode` those of `iocb`, and the
/// inode lock held exclusively.
unsafe fn write_locked(
    iocb: *mut bindings::kiocb,
    from: *mut bindings::iov_iter,
    file: *mut bindings::file,
    inode: *mut bindings::inode,
) -> isize {
    // SAFETY: per the contract.
    unsafe {
        let count = bindings::generic_write_checks(iocb, from);
        if count <= 0 {
            return count;
        }
        let ret = bindings::file_remove_privs(file);
        if ret != 0 {
            return ret as isize;
        }
        let size = bindings::famfs_rs_i_size_read(inode);
        let pos = (*iocb).ki_pos;
        if pos < 0 {
            return EINVAL.to_errno() as isize;
        }
        if pos >= size {
            return -(bindings::EFBIG as isize);
        }
        let room = (size - pos) as usize;
        if count as usize > room {
            bindings::famfs_rs_iov_iter_truncate(from, room);
        }
        bindings::dax_iomap_rw(iocb, from, &bindings::famfs_rs_iomap_ops)
    }
}

/// Maps a famfs file: faults go to [`huge_fault`]. `VM_HUGEPAGE` asks for
/// PMD faults where the extents and alignment allow (with
/// `thp_get_unmapped_area` as `get_unmapped_area`, they usually do).
///
/// # Safety
///
/// Called by the VFS only, as `file_operations::mmap` of a file of `T`,
/// with the new VMA, not yet visible to other threads.
pub(super) unsafe extern "C" fn mmap<T: Operations>(
    file: *mut bindings::file,
    vma: *mut bindings::vm_area_struct,
) -> c_int {
    // SAFETY: the VFS passes an open file of ours and the new VMA, which is
    // not yet visible to any other thread.
    unsafe {
        // MAP_SYNC (the VMA is VM_SYNC): the file system decides.
        let sync = (*vma).__bindgen_anon_2.vm_flags & (bindings::VM_SYNC as c_ulong) != 0;
        if let Err(e) = io_inode::<T>(file, |info, inode| T::mmap(info, inode, sync)) {
            return e.to_errno();
        }
        (*vma).vm_ops = &Vm::<T>::OPS;
        bindings::famfs_rs_vm_flags_set(vma, bindings::VM_HUGEPAGE as _);
    }
    0
}

/// A page fault of `order` (0: PTE, 9: PMD on x86_64) on a famfs mapping.
///
/// # Safety
///
/// Called by the fault code only, as `vm_operations_struct::huge_fault`
/// (or through [`fault`]) of a VMA [`mmap`] set up, with a live `vmf`.
unsafe extern "C" fn huge_fault<T: IomapOperations>(
    vmf: *mut bindings::vm_fault,
    order: c_uint,
) -> bindings::vm_fault_t {
    // SAFETY: the fault code passes a live fault on a VMA of ours, whose
    // file holds the inode (and so the super block) for the call.
    unsafe {
        let vma = (*vmf).__bindgen_anon_1.vma;
        let inode = file_inode((*vma).vm_file);
        let mapping = (*inode).i_mapping;
        // A `pfn_t` before 6.17, a plain pfn since: whatever the fault
        // code takes.
        let mut pfn = Default::default();
        // Shared with other faults; a device being taken away holds it
        // exclusively while it unmaps (`SuperHandle::revoke_mappings`).
        bindings::famfs_rs_invalidate_lock_shared(mapping);
        let mut ret = bindings::dax_iomap_fault(
            vmf,
            order,
            &mut pfn,
            ptr::null_mut(),
            &bindings::famfs_rs_iomap_ops,
        );
        // A MAP_SYNC write fault whose mapping needs its metadata made
        // durable first. famfs maps never do (no iomap is ever dirty), so
        // this is for the contract: finish it as fs/dax.c asks.
        if ret & bindings::vm_fault_reason_VM_FAULT_NEEDDSYNC != 0 {
            ret = bindings::dax_finish_sync_fault(vmf, order, pfn);
        }
        bindings::famfs_rs_invalidate_unlock_shared(mapping);
        let outcome = if ret & bindings::vm_fault_reason_VM_FAULT_FALLBACK != 0 {
            FaultOutcome::Fallback
        } else if ret & bindings::famfs_rs_vm_fault_error() != 0 {
            FaultOutcome::Error
        } else {
            FaultOutcome::Mapped
        };
        if T::HAS_FAULT_DONE {
            T::fault_done(super_info::<T>((*inode).i_sb), order, outcome);
        }
        ret
    }
}

/// # Safety
///
/// As [`huge_fault`], for `fault`, `page_mkwrite` and `pfn_mkwrite`.
unsafe extern "C" fn fault<T: IomapOperations>(
    vmf: *mut bindings::vm_fault,
) -> bindings::vm_fault_t {
    // SAFETY: forwarded as received.
    unsafe { huge_fault::<T>(vmf, 0) }
}

struct Vm<T>(core::marker::PhantomData<T>);

impl<T: IomapOperations> Vm<T> {
    const OPS: bindings::vm_operations_struct = bindings::vm_operations_struct {
        fault: Some(fault::<T>),
        huge_fault: Some(huge_fault::<T>),
        page_mkwrite: Some(fault::<T>),
        pfn_mkwrite: Some(fault::<T>),
        // SAFETY: all-zero is a valid table (no callbacks).
        ..unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
    };
}

/// The store fence after which cache-bypassing stores and cache
/// write-backs issued before it are in the persistence domain (what a pmem
/// block device's flush does for ext4-dax). QEMU cannot observe it: the
/// mount counts them (`store_fences`).
fn store_fence() {
    // SAFETY: a CPU barrier; no memory is named.
    unsafe { bindings::famfs_rs_pmem_wmb() };
}

/// `fsync` (and `msync(MS_SYNC)`, and a synchronous write): writes back
/// (flushes the CPU caches of) the dirty dax entries of the range through
/// `writepages`, then fences the stores. EIO when the file's stores
/// cannot be made durable (a memory failure fenced it, or its device
/// went): its writeback failed, and the error stays on the mapping so that
/// every file open at the time sees it. `generic_file_fsync` would flush a
/// block device famfs does not have.
///
/// # Safety
///
/// Called by the VFS only, as `file_operations::fsync` of a file of `T`,
/// with an open file.
pub(super) unsafe extern "C" fn fsync<T: FileOperations>(
    file: *mut bindings::file,
    start: bindings::loff_t,
    end: bindings::loff_t,
    _datasync: c_int,
) -> c_int {
    // SAFETY: an open file of ours.
    let ret = unsafe { bindings::file_write_and_wait_range(file, start, end) };
    store_fence();
    // SAFETY: an open file of ours.
    let raw = unsafe { file_inode(file) };
    // SAFETY: the open file holds its inode, of `T`, and so its super
    // block, one of ours, for the call.
    let info = unsafe { super_info::<T>((*raw).i_sb) };
    // SAFETY: as above.
    let inode = unsafe { Inode::<T>::from_raw(raw) };
    // Also when the writeback failed: the fence was issued. A fenced file
    // whose entries were all written back (or dropped) before is still
    // not durable: the file system says so.
    let durable = T::fsync(info, inode);
    if ret != 0 {
        return ret;
    }
    match durable {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by writeback only, as `address_space_operations::writepages`,
/// with the mapping of an inode of a super block of `T` and a valid `wbc`.
pub(super) unsafe extern "C" fn writepages<T: AddressSpaceOperations>(
    mapping: *mut bindings::address_space,
    wbc: *mut bindings::writeback_control,
) -> c_int {
    // SAFETY: writeback passes a live mapping of one of our inodes.
    let raw = unsafe { (*mapping).host };
    // SAFETY: the inode is live for the call and of `T`, so its super
    // block is one of ours.
    let info = unsafe { super_info::<T>((*raw).i_sb) };
    // SAFETY: as above.
    let inode = unsafe { Inode::<T>::from_raw(raw) };
    match T::writepages(info, inode) {
        // SAFETY: a live mapping and writeback control from the caller;
        // the claim keeps the dax device alive.
        Ok(Some(dev)) => unsafe {
            bindings::dax_writeback_mapping_range(mapping, dev.raw_dax_device(), wbc)
        },
        Ok(None) => 0,
        Err(e) => {
            // Kept on the mapping (errseq): fsync on every file that was
            // open sees it, also after background writeback.
            // SAFETY: a live mapping; an errno.
            unsafe { bindings::famfs_rs_mapping_set_error(mapping, e.to_errno()) };
            e.to_errno()
        }
    }
}
