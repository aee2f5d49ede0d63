// SPDX-License-Identifier: GPL-2.0

//! The inode, dentry, file and address space operation tables of a file
//! system: the C callbacks, turned into calls of its safe methods
//! ([`InodeOperations`], [`DentryOperations`], [`FileOperations`],
//! [`AddressSpaceOperations`](super::AddressSpaceOperations);
//! `evict_inode` of [`SuperOperations`]).
//!
//! famfs has no rename, but a dentry can still move: a daemon that answers
//! one directory under two names makes `d_splice_alias` move the
//! directory's dentry to the newer name. So a positive dentry's name is
//! read from a snapshot, and its parent through a reference; only a dentry
//! being looked up (negative, so no alias of anything) is read in place.

use super::super_block::super_info;
use super::{
    init_inode, DentryOperations, Entry, FileOperations, FileSystem, InodeAttr, InodeCache,
    InodeOperations, Operations, SuperOperations, S_IFMT,
};
use crate::kapi::bindings;
use crate::kapi::time::{jiffies, time_before};
use core::marker::PhantomData;
use core::ptr;
use kernel::ffi::{c_int, c_uint, c_void};
use kernel::prelude::*;
use kernel::types::ForeignOwnable;

// File handles live in `file->private_data`, which must hold 64 bits.
const _: () = assert!(core::mem::size_of::<usize>() == core::mem::size_of::<u64>());

/// A borrowed inode of a super block of `T`, with its state.
///
/// # Invariants
///
/// `ptr` is a live, initialised (not `I_NEW`) inode of a mounted `T`, with a
/// reference held for `'a`; its `i_private` is its `T::InodeData`.
pub(crate) struct Inode<'a, T: FileSystem> {
    ptr: *mut bindings::inode,
    _p: PhantomData<(&'a (), T)>,
}

impl<T: FileSystem> Clone for Inode<'_, T> {
    fn clone(&self) -> Self {
        *self
    }
}
impl<T: FileSystem> Copy for Inode<'_, T> {}

impl<'a, T: FileSystem> Inode<'a, T> {
    /// # Safety
    ///
    /// `ptr` must satisfy the type invariants for `'a`.
    pub(super) unsafe fn from_raw(ptr: *mut bindings::inode) -> Self {
        Self {
            ptr,
            _p: PhantomData,
        }
    }

    /// The inode number (the file system's node id).
    pub(crate) fn ino(&self) -> u64 {
        // SAFETY: live per the invariants; `i_ino` never changes.
        unsafe { (*self.ptr).i_ino as u64 }
    }

    /// File type and permission bits.
    pub(crate) fn mode(&self) -> u32 {
        // SAFETY: live per the invariants; a racing `update` writes whole
        // values (volatile), as the VFS's own lockless readers expect.
        u32::from(unsafe { ptr::read_volatile(&(*self.ptr).i_mode) })
    }

    /// Size in bytes.
    pub(crate) fn size(&self) -> u64 {
        // SAFETY: live per the invariants.
        unsafe { bindings::famfs_rs_i_size_read(self.ptr) as u64 }
    }

    /// Whether it is a directory.
    pub(crate) fn is_dir(&self) -> bool {
        self.mode() & S_IFMT == super::S_IFDIR
    }

    /// The file system's state of the inode.
    pub(crate) fn data(&self) -> &'a T::InodeData {
        // SAFETY: per the invariants `i_private` holds the data, which lives
        // until `evict_inode`, after the last reference is gone.
        unsafe { &*((*self.ptr).i_private as *const T::InodeData) }
    }
}

impl<T: InodeCache> Inode<'_, T> {
    /// Takes new attributes. The file type cannot change (EIO), and the
    /// file system may refuse others ([`InodeCache::check_update`]).
    pub(crate) fn update(&self, attr: &InodeAttr) -> Result {
        if attr.mode & S_IFMT != self.mode() & S_IFMT {
            return Err(EIO);
        }
        // SAFETY: live per the invariants, so is its super block.
        T::check_update(unsafe { super_info::<T>((*self.ptr).i_sb) }, *self, attr)?;
        // SAFETY: live per the invariants. Each field is written whole
        // (volatile) so that lockless readers (permission checks, stat)
        // see an old or a new value, never a torn one; `i_size_write`
        // serialises itself on 64-bit.
        unsafe {
            let i = self.ptr;
            ptr::write_volatile(&mut (*i).i_mode, attr.mode as u16);
            ptr::write_volatile(&mut (*i).i_uid, bindings::famfs_rs_make_kuid(attr.uid));
            ptr::write_volatile(&mut (*i).i_gid, bindings::famfs_rs_make_kgid(attr.gid));
            bindings::set_nlink(i, attr.nlink);
            bindings::famfs_rs_i_size_write(i, attr.size as i64);
            ptr::write_volatile(&mut (*i).i_blocks, attr.blocks);
            ptr::write_volatile(&mut (*i).i_mtime_sec, attr.mtime.0);
            ptr::write_volatile(&mut (*i).i_mtime_nsec, attr.mtime.1);
            ptr::write_volatile(&mut (*i).i_ctime_sec, attr.mtime.0);
            ptr::write_volatile(&mut (*i).i_ctime_nsec, attr.mtime.1);
        }
        Ok(())
    }
}

/// Fills a `getdents` buffer (a `dir_context`).
///
/// # Invariants
///
/// `ctx` is the live context of the current `iterate_shared` call, on
/// the open directory `file`.
pub(crate) struct DirEmitter<'a> {
    ctx: *mut bindings::dir_context,
    file: *mut bindings::file,
    _p: PhantomData<&'a mut ()>,
}

impl DirEmitter<'_> {
    /// The position (the file system's cookie) to continue from.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: live per the invariants.
        unsafe { (*self.ctx).pos as u64 }
    }

    /// Emits one entry and moves the position to `next`; `false` when the
    /// caller's buffer is full (the entry was not taken). "." and ".." are
    /// the VFS's: they name this directory and its parent, as directories,
    /// whatever inode number and type the file system gave.
    pub(crate) fn emit(&mut self, name: &[u8], ino: u64, dtype: u32, next: u64) -> bool {
        let Ok(len) = c_int::try_from(name.len()) else {
            return false;
        };
        let (ino, dtype) = match name {
            // SAFETY: live per the invariants: the open file's inode.
            b"." => (
                unsafe { (*(*self.file).f_inode).i_ino } as u64,
                bindings::DT_DIR,
            ),
            // SAFETY: live per the invariants: the open file's dentry,
            // whose parent `d_parent_ino` reads safely against a move.
            b".." => (
                unsafe { bindings::famfs_rs_file_parent_ino(self.file) } as u64,
                bindings::DT_DIR,
            ),
            _ => (ino, dtype),
        };
        // SAFETY: live per the invariants; `name` is valid for `len` bytes
        // and `dir_emit` copies it.
        if !unsafe { bindings::famfs_rs_dir_emit(self.ctx, name.as_ptr().cast(), len, ino, dtype) }
        {
            return false;
        }
        // SAFETY: live per the invariants; the position is ours to move.
        unsafe { (*self.ctx).pos = next as i64 };
        true
    }
}

/// The operation tables of `T`, built at compile time.
pub(super) struct Tables<T>(PhantomData<T>);

/// All-zero operation tables: no callbacks.
const fn zeroed<X>() -> X {
    // SAFETY: only used for the C operation tables, in which every field is
    // an `Option` of a function pointer or a plain integer: all-zero is valid.
    unsafe { core::mem::MaybeUninit::zeroed().assume_init() }
}

/// A table slot: `f` if the file system implements the method (`has`,
/// its `#[vtable]` `HAS_` constant), else NULL (the VFS's default).
pub(super) const fn slot<F: Copy>(has: bool, f: F) -> Option<F> {
    if has {
        Some(f)
    } else {
        None
    }
}

impl<T: Operations> Tables<T> {
    pub(super) const DIR_INODE: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(lookup::<T>),
        getattr: slot(T::HAS_GETATTR, getattr::<T>),
        setattr: slot(T::HAS_SETATTR, setattr::<T>),
        ..zeroed()
    };

    pub(super) const FILE_INODE: bindings::inode_operations = bindings::inode_operations {
        permission: slot(T::HAS_PERMISSION, permission::<T>),
        getattr: slot(T::HAS_GETATTR, getattr::<T>),
        setattr: slot(T::HAS_SETATTR, setattr::<T>),
        fiemap: slot(T::HAS_FIEMAP, super::fiemap::fiemap::<T>),
        ..zeroed()
    };

    pub(super) const DIR_FILE: bindings::file_operations = bindings::file_operations {
        open: Some(open::<T>),
        release: slot(T::HAS_RELEASE, release::<T>),
        iterate_shared: slot(T::HAS_ITERATE_SHARED, iterate_shared::<T>),
        read: Some(bindings::generic_read_dir),
        llseek: Some(bindings::generic_file_llseek),
        ..zeroed()
    };

    pub(super) const FILE_FILE: bindings::file_operations = bindings::file_operations {
        open: Some(open::<T>),
        release: slot(T::HAS_RELEASE, release::<T>),
        llseek: Some(bindings::generic_file_llseek),
        read_iter: slot(T::HAS_READ_ITER, super::dax::read_iter::<T>),
        write_iter: slot(T::HAS_WRITE_ITER, super::dax::write_iter::<T>),
        mmap: slot(T::HAS_MMAP, super::dax::mmap::<T>),
        fsync: slot(T::HAS_FSYNC, super::dax::fsync::<T>),
        get_unmapped_area: Some(bindings::thp_get_unmapped_area),
        // sendfile/splice: dax has no page cache to splice from, so the
        // data is copied through a buffer (what ext4 and xfs do for dax).
        splice_read: slot(T::HAS_READ_ITER, bindings::copy_splice_read),
        splice_write: slot(T::HAS_WRITE_ITER, bindings::iter_file_splice_write),
        // Faults never need a metadata update (`mmap` checks the devices).
        fop_flags: bindings::famfs_rs_fop_flags_FAMFS_RS_FOP_MMAP_SYNC,
        ..zeroed()
    };

    pub(super) const DAX_AOPS: bindings::address_space_operations =
        bindings::address_space_operations {
            writepages: slot(T::HAS_WRITEPAGES, super::dax::writepages::<T>),
            dirty_folio: Some(bindings::noop_dirty_folio),
            ..zeroed()
        };

    pub(super) const DENTRY: bindings::dentry_operations = bindings::dentry_operations {
        d_revalidate: slot(T::HAS_D_REVALIDATE, d_revalidate::<T>),
        ..zeroed()
    };
}

/// The name of `dentry`, read in place.
///
/// # Safety
///
/// `dentry` must be live and not moved for `'a`: a dentry being looked up
/// (in the lookup, its directory locked). It is negative, so no inode's
/// alias, and only aliases are moved (`d_splice_alias`, `d_move`).
unsafe fn lookup_name<'a>(dentry: *const bindings::dentry) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: per the contract.
    let name = unsafe { bindings::famfs_rs_dentry_name(dentry, &mut len) };
    // SAFETY: the name is `len` valid bytes, stable per the contract.
    unsafe { core::slice::from_raw_parts(name, len as usize) }
}

/// The parent directory of `dentry` and a snapshot of its name, both
/// held until [`release_parent_and_name`]: the dentry may move meanwhile
/// (see the module's documentation). If it moved between the two, they may
/// not belong together: a lookup of that name in that directory is safe
/// and only fails the revalidation.
///
/// # Safety
///
/// `dentry` is a referenced, positive dentry that is not a root (ref-walk
/// `d_revalidate`): its parent is a directory of `T`. `snap` must not move
/// until it is released (its name may point into itself), and the returned
/// name is valid only until then.
#[cfg(not(famfs_rs_d_revalidate_dir_name))]
unsafe fn take_parent_and_name<'a, T: FileSystem>(
    dentry: *mut bindings::dentry,
    snap: &'a mut core::mem::MaybeUninit<bindings::name_snapshot>,
) -> (*mut bindings::dentry, Inode<'a, T>, &'a [u8]) {
    // SAFETY: a referenced dentry (contract); the snapshot is filled in
    // place.
    unsafe { bindings::take_dentry_name_snapshot(snap.as_mut_ptr(), dentry) };
    // SAFETY: the snapshot was taken: its name is `len` bytes it holds
    // until released.
    let name = unsafe {
        let q = &(*snap.as_ptr()).name;
        core::slice::from_raw_parts(q.name, q.__bindgen_anon_1.__bindgen_anon_1.len as usize)
    };
    // SAFETY: a referenced dentry: its parent, with a reference.
    let parent = unsafe { bindings::dget_parent(dentry) };
    // SAFETY: a referenced parent of a positive, non-root dentry of ours: a
    // directory of `T`, whose inode lives as long as the reference.
    let dir = unsafe { Inode::<T>::from_raw((*parent).d_inode) };
    (parent, dir, name)
}

/// Releases what [`take_parent_and_name`] took.
///
/// # Safety
///
/// `parent` and `snap` come from one [`take_parent_and_name`], whose name
/// and directory are no longer used.
#[cfg(not(famfs_rs_d_revalidate_dir_name))]
unsafe fn release_parent_and_name(
    parent: *mut bindings::dentry,
    snap: &mut core::mem::MaybeUninit<bindings::name_snapshot>,
) {
    // SAFETY: the reference `dget_parent` took.
    unsafe { bindings::dput(parent) };
    // SAFETY: a snapshot taken and not released yet.
    unsafe { bindings::release_dentry_name_snapshot(snap.as_mut_ptr()) };
}

/// Gets the inode `entry` names (new or cached) with a reference.
///
/// # Safety
///
/// `sb` must be a live super block of `T`.
unsafe fn entry_inode<T: Operations>(
    sb: *mut bindings::super_block,
    info: &T::Info,
    entry: &Entry,
) -> Result<*mut bindings::inode> {
    let ino = entry.attr.ino;
    // SAFETY: per the contract.
    let inode = unsafe { bindings::iget_locked(sb, ino as _) };
    if inode.is_null() {
        T::lookup_failed(info, ino);
        return Err(ENOMEM);
    }
    // SAFETY: `iget_locked` returned a referenced inode; `I_NEW` is stable
    // while we hold it locked (only we can clear it).
    if unsafe { bindings::famfs_rs_inode_is_new(inode) } {
        match T::new_inode(info, entry) {
            Ok(data) => {
                // SAFETY: new and locked: ours to fill.
                unsafe { init_inode::<T>(inode, &entry.attr, data) };
                // SAFETY: filled: ours to publish.
                unsafe { bindings::unlock_new_inode(inode) };
            }
            Err(e) => {
                // SAFETY: a new inode we cannot fill is failed and dropped.
                unsafe { bindings::iget_failed(inode) };
                T::lookup_failed(info, ino);
                return Err(e);
            }
        }
    } else {
        // SAFETY: an initialised inode of `T` with our reference.
        let existing = unsafe { Inode::<T>::from_raw(inode) };
        if let Err(e) = existing.update(&entry.attr) {
            // SAFETY: drops the reference `iget_locked` took.
            unsafe { bindings::iput(inode) };
            T::lookup_failed(info, ino);
            return Err(e);
        }
    }
    // SAFETY: initialised with our reference.
    T::found(unsafe { Inode::from_raw(inode) }, entry);
    Ok(inode)
}

/// # Safety
///
/// Called by the VFS only, as `inode_operations::lookup`, with a directory
/// inode of `T` (locked) and a negative dentry in it.
unsafe extern "C" fn lookup<T: Operations>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> *mut bindings::dentry {
    // SAFETY: the VFS calls with a referenced, locked directory of ours.
    let sb = unsafe { (*dir).i_sb };
    // SAFETY: a mounted super block of `T`, alive while its directory is.
    let info = unsafe { super_info::<T>(sb) };
    // SAFETY: a referenced, initialised directory of ours.
    let dir = unsafe { Inode::<T>::from_raw(dir) };
    // SAFETY: the dentry being looked up, under the directory's lock.
    let name = unsafe { lookup_name(dentry) };
    let inode = match T::lookup(info, dir, name) {
        Ok(None) => ptr::null_mut(),
        // SAFETY: `sb` is live while its directory is.
        Ok(Some(entry)) => match unsafe { entry_inode::<T>(sb, info, &entry) } {
            Ok(inode) => {
                // SAFETY: the dentry is ours until spliced.
                unsafe { (*dentry).d_time = entry.expiry as _ };
                inode
            }
            Err(e) => return e.to_ptr(),
        },
        Err(e) => return e.to_ptr(),
    };
    // SAFETY: consumes the inode reference (NULL: a negative dentry, which
    // `d_revalidate` never trusts, so new files show up at once).
    unsafe { bindings::d_splice_alias(inode, dentry) }
}

/// The body of `d_revalidate`: whether the dentry's name in its directory
/// still names its inode (1), not (0), or an error. `lookup` asks the file
/// system with the directory and the name: the VFS's (7.x), or taken from
/// the dentry.
///
/// # Safety
///
/// `dentry` is a dentry of a super block of `T` being revalidated by the
/// VFS (under RCU when `flags` has LOOKUP_RCU). `lookup` gets the dentry's
/// inode (initialised, referenced for the call).
unsafe fn revalidate<T: DentryOperations>(
    dentry: *mut bindings::dentry,
    flags: c_uint,
    lookup: impl FnOnce(&T::Info, Inode<'_, T>) -> Result<Option<Entry>>,
) -> c_int {
    // SAFETY: the VFS passes a live dentry; `d_inode` is read once.
    let inode = unsafe { ptr::read_volatile(&(*dentry).d_inode) };
    // SAFETY: as above; `d_time` is the file system's.
    let expiry = unsafe { (*dentry).d_time } as u64;
    if inode.is_null() {
        return 0;
    }
    if time_before(jiffies(), expiry) {
        return 1;
    }
    if flags & bindings::famfs_rs_consts_FAMFS_RS_LOOKUP_RCU != 0 {
        return ECHILD.to_errno();
    }
    // Ref-walk from here: the dentry is referenced, and so its inode.
    // SAFETY: a live dentry of a mounted super block of `T`.
    let info = unsafe { super_info::<T>((*dentry).d_sb) };
    // SAFETY: the dentry's inode, initialised (positive), referenced.
    let this = unsafe { Inode::<T>::from_raw(inode) };
    match lookup(info, this) {
        Ok(Some(entry)) => {
            if entry.attr.ino != this.ino() || this.update(&entry.attr).is_err() {
                T::lookup_failed(info, entry.attr.ino);
                return 0;
            }
            T::found(this, &entry);
            // SAFETY: a referenced dentry; `d_time` is the file system's.
            unsafe { (*dentry).d_time = entry.expiry as _ };
            1
        }
        Ok(None) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS only, as `dentry_operations::d_revalidate`, with a
/// dentry of a super block of `T` (under RCU when `flags` has LOOKUP_RCU).
#[cfg(not(famfs_rs_d_revalidate_dir_name))]
unsafe extern "C" fn d_revalidate<T: DentryOperations>(
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    let lookup = |info: &T::Info, this: Inode<'_, T>| {
        let mut snap = core::mem::MaybeUninit::uninit();
        // SAFETY: called in ref-walk only (`revalidate` returned before
        // otherwise): a referenced, positive dentry; a root is never
        // revalidated. `snap` stays here until released.
        let (parent, dir, name) = unsafe { take_parent_and_name::<T>(dentry, &mut snap) };
        let result = T::d_revalidate(info, dir, name, this);
        // SAFETY: taken above; `dir` and `name` are not used any more.
        unsafe { release_parent_and_name(parent, &mut snap) };
        result
    };
    // SAFETY: per the function's contract.
    unsafe { revalidate::<T>(dentry, flags, lookup) }
}

/// # Safety
///
/// Called by the VFS only, as `dentry_operations::d_revalidate`, with the
/// directory, a name stable for the call, and a dentry of a super block of
/// `T` (under RCU when `flags` has LOOKUP_RCU).
#[cfg(famfs_rs_d_revalidate_dir_name)]
unsafe extern "C" fn d_revalidate<T: DentryOperations>(
    dir: *mut bindings::inode,
    name: *const bindings::qstr,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS's `name` points at `len` valid bytes, stable for
    // the call (a snapshot of its own).
    let name = unsafe {
        let len = (*name).__bindgen_anon_1.__bindgen_anon_1.len as usize;
        core::slice::from_raw_parts((*name).name, len)
    };
    let lookup = |info: &T::Info, this: Inode<'_, T>| {
        // SAFETY: called in ref-walk only: the VFS's `dir` is the dentry's
        // referenced parent, a directory of ours, for the call.
        let dir = unsafe { Inode::<T>::from_raw(dir) };
        T::d_revalidate(info, dir, name, this)
    };
    // SAFETY: per the function's contract.
    unsafe { revalidate::<T>(dentry, flags, lookup) }
}

/// # Safety
///
/// Called by the VFS only, as `inode_operations::getattr`, with a path on
/// a mount of `T` and a valid `stat`.
unsafe extern "C" fn getattr<T: InodeOperations>(
    idmap: *mut bindings::mnt_idmap,
    path: *const bindings::path,
    stat: *mut bindings::kstat,
    request_mask: u32,
    _flags: c_uint,
) -> c_int {
    let inode;
    // SAFETY: the VFS passes a live path of ours and a kstat to fill.
    unsafe {
        let inode_ptr = (*(*path).dentry).d_inode;
        inode = Inode::<T>::from_raw(inode_ptr);
        if let Err(e) = T::getattr(super_info::<T>((*inode_ptr).i_sb), inode) {
            return e.to_errno();
        }
        bindings::generic_fillattr(idmap, request_mask, inode_ptr, stat);
    }
    if request_mask & bindings::STATX_DIOALIGN != 0 && !inode.is_dir() {
        // SAFETY: the caller's kstat, being filled.
        unsafe {
            (*stat).result_mask |= bindings::STATX_DIOALIGN;
            (*stat).dio_mem_align = DIO_ALIGN;
            (*stat).dio_offset_align = DIO_ALIGN;
        }
    }
    0
}

/// The alignment `O_DIRECT` needs on a regular file, of buffers and of
/// offsets and lengths (`statx(STATX_DIOALIGN)`): none. Regular files are
/// fs-dax files, and their direct I/O is fs/dax.c's copy to or from the
/// memory, exact to the byte. (ext4 on dax reports its block device's
/// sector, 512 on pmem, from the block path it shares; the dax copy it
/// does has no such rule either.) Reported so that programs that check it
/// before using `O_DIRECT` do not decide it is unsupported.
const DIO_ALIGN: u32 = 1;

/// `MAY_WRITE` on a regular file: the file system may hold it read-only
/// (EROFS, as for a read-only mount, before the mode bits: `access(W_OK)`
/// then says what an open for writing does); then the mode bits.
///
/// # Safety
///
/// Called by the VFS only, as `inode_operations::permission`, with an
/// inode of `T` (with `MAY_NOT_BLOCK` in RCU walk: no reference held).
unsafe extern "C" fn permission<T: InodeOperations>(
    idmap: *mut bindings::mnt_idmap,
    inode: *mut bindings::inode,
    mask: c_int,
) -> c_int {
    let mask_bits = mask as u32;
    if mask_bits & bindings::MAY_WRITE != 0 {
        if mask_bits & bindings::MAY_NOT_BLOCK != 0 {
            // In RCU walk the inode's state may be going (eviction frees
            // it without a grace period): ask again in ref-walk, where
            // every open and access(2) checks anyway.
            return ECHILD.to_errno();
        }
        // SAFETY: ref-walk: the caller holds a reference on this inode of
        // ours, and so on its super block.
        let (info, this) = unsafe { (super_info::<T>((*inode).i_sb), Inode::<T>::from_raw(inode)) };
        if let Err(e) = T::permission(info, this) {
            return e.to_errno();
        }
    }
    // SAFETY: the arguments the VFS gave us.
    unsafe { bindings::generic_permission(idmap, inode, mask) }
}

/// Asks the file system whether the attributes may change; if so, the
/// VFS's `simple_setattr` changes them (see [`InodeOperations::setattr`]).
///
/// # Safety
///
/// Called by the VFS only, as `inode_operations::setattr`, with a positive
/// dentry of a mounted super block of `T` (its inode referenced) and a
/// valid `attr`.
unsafe extern "C" fn setattr<T: InodeOperations>(
    idmap: *mut bindings::mnt_idmap,
    dentry: *mut bindings::dentry,
    attr: *mut bindings::iattr,
) -> c_int {
    // SAFETY: the VFS passes a live, positive dentry of ours: its inode is
    // initialised and referenced, its super block mounted.
    let (info, inode) = unsafe {
        (
            super_info::<T>((*dentry).d_sb),
            Inode::<T>::from_raw((*dentry).d_inode),
        )
    };
    if let Err(e) = T::setattr(info, inode) {
        return e.to_errno();
    }
    // SAFETY: the arguments the VFS gave us.
    unsafe { bindings::simple_setattr(idmap, dentry, attr) }
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::open`, with an inode of `T`
/// and its file being opened.
unsafe extern "C" fn open<T: FileOperations>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the VFS passes a referenced inode of ours: its super block
    // is a mounted one of `T`.
    let info = unsafe { super_info::<T>((*inode).i_sb) };
    // SAFETY: a referenced, initialised inode of ours.
    let this = unsafe { Inode::<T>::from_raw(inode) };
    // SAFETY: the new file, valid for the call.
    let flags = unsafe { (*file).f_flags };
    match T::open(info, this, flags) {
        Ok(fh) => {
            // SAFETY: the new file is ours to set up.
            unsafe { (*file).private_data = fh as usize as *mut c_void };
            if !this.is_dir() {
                // Regular files are dax files: O_DIRECT is the same path
                // (databases open their files so), and no call of theirs
                // waits for the daemon (RWF_NOWAIT).
                // SAFETY: as above.
                unsafe { bindings::famfs_rs_file_set_dax_modes(file) };
            }
            0
        }
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::release`, once per file
/// [`open`] succeeded on.
unsafe extern "C" fn release<T: FileOperations>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the last close of a file of ours: its super block is a
    // mounted one of `T`.
    let info = unsafe { super_info::<T>((*inode).i_sb) };
    // SAFETY: the file, valid for the call; `open` stored the handle.
    let (fh, flags) = unsafe { ((*file).private_data as usize as u64, (*file).f_flags) };
    // SAFETY: the file's inode, initialised, referenced by the file.
    let this = unsafe { Inode::<T>::from_raw(inode) };
    T::release(info, this, fh, flags);
    0
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::iterate_shared`, with an
/// open directory of `T` and a valid `ctx`.
unsafe extern "C" fn iterate_shared<T: FileOperations>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> c_int {
    // SAFETY: an open directory of ours, valid for the call.
    let inode = unsafe { (*file).f_inode };
    // SAFETY: its super block is a mounted one of `T`.
    let info = unsafe { super_info::<T>((*inode).i_sb) };
    // SAFETY: as above; `open` stored the handle.
    let fh = unsafe { (*file).private_data } as usize as u64;
    // SAFETY: the open file's inode, initialised, referenced by the file.
    let dir = unsafe { Inode::<T>::from_raw(inode) };
    // INVARIANT: the caller's context on `file`, valid for the call.
    let mut emitter = DirEmitter {
        ctx,
        file,
        _p: PhantomData,
    };
    match T::iterate_shared(info, dir, fh, &mut emitter) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::evict_inode`, once, for
/// an inode of `T` nobody uses any more.
pub(super) unsafe extern "C" fn evict_inode<T: SuperOperations>(inode: *mut bindings::inode) {
    // SAFETY: the VFS evicts an inode of ours nobody uses any more.
    unsafe { bindings::famfs_rs_dax_break_layout_final(inode) };
    // SAFETY: as above, its data still in place.
    #[cfg(not(famfs_rs_dax_break_layout))]
    unsafe {
        let_go_of_pages::<T>(inode)
    };
    // SAFETY: as above.
    unsafe { bindings::truncate_inode_pages_final(&mut (*inode).i_data) };
    // SAFETY: as above, its pages gone.
    unsafe { bindings::clear_inode(inode) };
    // SAFETY: as above: the inode's own fields are ours.
    let p = unsafe { core::ptr::replace(&mut (*inode).i_private, ptr::null_mut()) };
    if p.is_null() {
        // Never initialised (`iget_failed`).
        return;
    }
    // SAFETY: `init_inode` stored the data, taken back once (above).
    let data = unsafe { KBox::<T::InodeData>::from_foreign(p) };
    // SAFETY: as above; `i_sb` and `i_ino` never change.
    let (sb, ino) = unsafe { ((*inode).i_sb, (*inode).i_ino as u64) };
    // SAFETY: the inode's super block, whose state is in place until
    // `put_super`, after every inode is gone.
    let (info, unmounting) = unsafe { (super_info::<T>(sb), !bindings::famfs_rs_sb_active(sb)) };
    T::evict_inode(info, ino, data, unmounting);
}

/// Before 6.15, truncation warns about (and drops the entry of) a page
/// someone still holds: a page a pipe took with vmsplice() outlives every
/// mapping, and `dax_layout_busy_page()` no longer sees it. As the mount
/// goes, wait for such pages (killably: the umount can be interrupted);
/// then, or when memory pressure evicts the inode, write the entries back
/// and drop them in a way that leaves a held page to the device's removal,
/// which waits for it before the struct pages go.
///
/// # Safety
///
/// `inode` is an inode of `T` being evicted, its data still in place.
#[cfg(not(famfs_rs_dax_break_layout))]
unsafe fn let_go_of_pages<T: SuperOperations>(inode: *mut bindings::inode) {
    // SAFETY: per the contract; `nrpages` counts dax entries (zero for a
    // file never mapped: nothing to do).
    let (mapping, entries) =
        unsafe { (ptr::addr_of_mut!((*inode).i_data), (*inode).i_data.nrpages) };
    // SAFETY: as above.
    let (sb, regular, has_data) = unsafe {
        let sb = (*inode).i_sb;
        (
            sb,
            u32::from((*inode).i_mode) & S_IFMT == super::S_IFREG,
            !(*inode).i_private.is_null(),
        )
    };
    if entries == 0 || !regular || !has_data {
        return;
    }
    // SAFETY: reads a flag of a live super block.
    if !unsafe { bindings::famfs_rs_sb_active(sb) } {
        // SAFETY: the data lives until `evict_inode` takes it, below.
        let (info, node) = unsafe { (super_info::<T>(sb), Inode::from_raw(inode)) };
        if T::wait_pages_let_go(info, node).is_err() {
            pr_warn!(
                "node {}: umount interrupted while a page of it is held; its device waits for it\n",
                // SAFETY: as above.
                unsafe { (*inode).i_ino }
            );
        }
    }
    // SAFETY: nobody uses the inode, so nothing maps it or faults.
    unsafe {
        bindings::filemap_write_and_wait_range(mapping, 0, i64::MAX);
        bindings::famfs_rs_dax_forget_entries(mapping);
    }
}

/// Sets up the dentry operations of a new super block.
///
/// # Safety
///
/// `sb` must be a super block of `T` being set up.
pub(super) unsafe fn set_dentry_ops<T: Operations>(sb: *mut bindings::super_block) {
    // SAFETY: per the contract.
    unsafe { bindings::famfs_rs_set_default_d_op(sb, &Tables::<T>::DENTRY) };
}
