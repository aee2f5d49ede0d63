// SPDX-License-Identifier: GPL-2.0

//! Inode, dentry and file operations of a [`FileSystem`]: the C callbacks,
//! turned into calls of its safe methods.
//!
//! famfs has no rename, link or unlink, so a dentry's name and parent never
//! change while it is in use: the callbacks read them without a snapshot.

use super::super_block::super_info;
use super::{init_inode, Entry, FileSystem, InodeAttr, S_IFMT};
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

    /// Takes new attributes. The file type cannot change (EIO), and the
    /// file system may refuse others ([`FileSystem::check_update`]).
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
/// `ctx` is the live context of the current `iterate_shared` call.
pub(crate) struct DirEmitter<'a> {
    ctx: *mut bindings::dir_context,
    _p: PhantomData<&'a mut ()>,
}

impl DirEmitter<'_> {
    /// The position (the file system's cookie) to continue from.
    pub(crate) fn pos(&self) -> u64 {
        // SAFETY: live per the invariants.
        unsafe { (*self.ctx).pos as u64 }
    }

    /// Emits one entry and moves the position to `next`; `false` when the
    /// caller's buffer is full (the entry was not taken).
    pub(crate) fn emit(&mut self, name: &[u8], ino: u64, dtype: u32, next: u64) -> bool {
        let Ok(len) = c_int::try_from(name.len()) else {
            return false;
        };
        // SAFETY: live per the invariants; `name` is valid for `len` bytes
        // and `dir_emit` copies it.
        unsafe {
            if !bindings::famfs_rs_dir_emit(self.ctx, name.as_ptr().cast(), len, ino, dtype) {
                return false;
            }
            (*self.ctx).pos = next as i64;
        }
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

impl<T: FileSystem> Tables<T> {
    pub(super) const DIR_INODE: bindings::inode_operations = bindings::inode_operations {
        lookup: Some(lookup::<T>),
        getattr: Some(getattr::<T>),
        setattr: Some(setattr),
        ..zeroed()
    };

    pub(super) const FILE_INODE: bindings::inode_operations = bindings::inode_operations {
        permission: Some(permission::<T>),
        getattr: Some(getattr::<T>),
        setattr: Some(setattr),
        fiemap: Some(super::fiemap::fiemap::<T>),
        ..zeroed()
    };

    pub(super) const DIR_FILE: bindings::file_operations = bindings::file_operations {
        open: Some(open::<T>),
        release: Some(release::<T>),
        iterate_shared: Some(iterate_shared::<T>),
        read: Some(bindings::generic_read_dir),
        llseek: Some(bindings::generic_file_llseek),
        ..zeroed()
    };

    pub(super) const FILE_FILE: bindings::file_operations = bindings::file_operations {
        open: Some(open::<T>),
        release: Some(release::<T>),
        llseek: Some(bindings::generic_file_llseek),
        read_iter: Some(super::dax::read_iter::<T>),
        write_iter: Some(super::dax::write_iter::<T>),
        mmap: Some(super::dax::mmap::<T>),
        fsync: Some(super::dax::fsync::<T>),
        get_unmapped_area: Some(bindings::thp_get_unmapped_area),
        // sendfile/splice: dax has no page cache to splice from, so the
        // data is copied through a buffer (what ext4 and xfs do for dax).
        splice_read: Some(bindings::copy_splice_read),
        splice_write: Some(bindings::iter_file_splice_write),
        // Faults never need a metadata update (`mmap` checks the devices).
        fop_flags: bindings::famfs_rs_fop_flags_FAMFS_RS_FOP_MMAP_SYNC,
        ..zeroed()
    };

    pub(super) const DAX_AOPS: bindings::address_space_operations =
        bindings::address_space_operations {
            writepages: Some(super::dax::writepages::<T>),
            dirty_folio: Some(bindings::noop_dirty_folio),
            ..zeroed()
        };

    pub(super) const DENTRY: bindings::dentry_operations = bindings::dentry_operations {
        d_revalidate: Some(d_revalidate::<T>),
        ..zeroed()
    };
}

/// The name of `dentry`.
///
/// # Safety
///
/// `dentry` must be live and not renamed for `'a` (famfs has no rename).
unsafe fn dentry_name<'a>(dentry: *const bindings::dentry) -> &'a [u8] {
    let mut len = 0;
    // SAFETY: per the contract; the name is `len` valid bytes.
    unsafe {
        let name = bindings::famfs_rs_dentry_name(dentry, &mut len);
        core::slice::from_raw_parts(name, len as usize)
    }
}

/// Gets the inode `entry` names (new or cached) with a reference.
///
/// # Safety
///
/// `sb` must be a live super block of `T`.
unsafe fn entry_inode<T: FileSystem>(
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
            // SAFETY: new and locked: ours to fill, then to publish.
            Ok(data) => unsafe {
                init_inode::<T>(inode, &entry.attr, data);
                bindings::unlock_new_inode(inode);
            },
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
unsafe extern "C" fn lookup<T: FileSystem>(
    dir: *mut bindings::inode,
    dentry: *mut bindings::dentry,
    _flags: c_uint,
) -> *mut bindings::dentry {
    // SAFETY: the VFS calls with a referenced, locked directory of ours and
    // a new dentry in it.
    let (sb, info, dir, name) = unsafe {
        let sb = (*dir).i_sb;
        (
            sb,
            super_info::<T>(sb),
            Inode::<T>::from_raw(dir),
            dentry_name(dentry),
        )
    };
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

/// The body of `d_revalidate`: whether `name` in `dir` still names the
/// dentry's inode (1), not (0), or an error.
///
/// # Safety
///
/// `dentry` is a dentry of a super block of `T` being revalidated by the
/// VFS (under RCU when `flags` has LOOKUP_RCU); `dir` and `name` are NULL
/// (then they are read from the dentry) or the directory and the name the
/// VFS passed, stable for the call.
unsafe fn revalidate<T: FileSystem>(
    dir: *mut bindings::inode,
    name: Option<&[u8]>,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS passes a live dentry; `d_inode` is read once.
    let (inode, expiry) = unsafe {
        (
            ptr::read_volatile(&(*dentry).d_inode),
            (*dentry).d_time as u64,
        )
    };
    if inode.is_null() {
        return 0;
    }
    if time_before(jiffies(), expiry) {
        return 1;
    }
    if flags & bindings::famfs_rs_consts_FAMFS_RS_LOOKUP_RCU != 0 {
        return ECHILD.to_errno();
    }
    // SAFETY: ref-walk: the dentry is referenced, so are its inode and (the
    // VFS's `dir`, or via `dget_parent`) its parent, until the `dput`
    // below.
    unsafe {
        let sb = (*dentry).d_sb;
        let info = super_info::<T>(sb);
        let parent = if dir.is_null() {
            bindings::dget_parent(dentry)
        } else {
            ptr::null_mut()
        };
        let dir = if dir.is_null() {
            (*parent).d_inode
        } else {
            dir
        };
        let dir = Inode::<T>::from_raw(dir);
        let this = Inode::<T>::from_raw(inode);
        let name = name.unwrap_or_else(|| dentry_name(dentry));
        let result = T::revalidate(info, dir, name, this);
        if !parent.is_null() {
            bindings::dput(parent);
        }
        match result {
            Ok(Some(entry)) => {
                if entry.attr.ino != this.ino() || this.update(&entry.attr).is_err() {
                    T::lookup_failed(info, entry.attr.ino);
                    return 0;
                }
                T::found(this, &entry);
                (*dentry).d_time = entry.expiry as _;
                1
            }
            Ok(None) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `dentry_operations::d_revalidate`, with a
/// dentry of a super block of `T` (under RCU when `flags` has LOOKUP_RCU).
#[cfg(not(famfs_rs_d_revalidate_dir_name))]
unsafe extern "C" fn d_revalidate<T: FileSystem>(
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: per the function's contract.
    unsafe { revalidate::<T>(ptr::null_mut(), None, dentry, flags) }
}

/// # Safety
///
/// Called by the VFS only, as `dentry_operations::d_revalidate`, with the
/// directory, a name stable for the call, and a dentry of a super block of
/// `T` (under RCU when `flags` has LOOKUP_RCU).
#[cfg(famfs_rs_d_revalidate_dir_name)]
unsafe extern "C" fn d_revalidate<T: FileSystem>(
    dir: *mut bindings::inode,
    name: *const bindings::qstr,
    dentry: *mut bindings::dentry,
    flags: c_uint,
) -> c_int {
    // SAFETY: the VFS's `name` points at `len` valid bytes for the call.
    let name = unsafe {
        let len = (*name).__bindgen_anon_1.__bindgen_anon_1.len as usize;
        core::slice::from_raw_parts((*name).name, len)
    };
    // SAFETY: per the function's contract.
    unsafe { revalidate::<T>(dir, Some(name), dentry, flags) }
}

/// # Safety
///
/// Called by the VFS only, as `inode_operations::getattr`, with a path on
/// a mount of `T` and a valid `stat`.
unsafe extern "C" fn getattr<T: FileSystem>(
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
        if let Err(e) = T::refresh(super_info::<T>((*inode_ptr).i_sb), inode) {
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
unsafe extern "C" fn permission<T: FileSystem>(
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
        if let Err(e) = T::check_write(info, this) {
            return e.to_errno();
        }
    }
    // SAFETY: the arguments the VFS gave us.
    unsafe { bindings::generic_permission(idmap, inode, mask) }
}

/// famfs files never change size, owner, mode or times (EPERM): the log
/// is the only truth, and it is append-only.
///
/// # Safety
///
/// Called by the VFS only, as `inode_operations::setattr` (no argument is
/// used).
unsafe extern "C" fn setattr(
    _idmap: *mut bindings::mnt_idmap,
    _dentry: *mut bindings::dentry,
    _attr: *mut bindings::iattr,
) -> c_int {
    EPERM.to_errno()
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::open`, with an inode of `T`
/// and its file being opened.
unsafe extern "C" fn open<T: FileSystem>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the VFS passes a referenced inode of ours and its new file.
    unsafe {
        let info = super_info::<T>((*inode).i_sb);
        let this = Inode::<T>::from_raw(inode);
        match T::open(info, this, (*file).f_flags) {
            Ok(fh) => {
                (*file).private_data = fh as usize as *mut c_void;
                if !this.is_dir() {
                    // Regular files are dax files: O_DIRECT is the same
                    // path (databases open their files so), and no call
                    // of theirs waits for the daemon (RWF_NOWAIT).
                    bindings::famfs_rs_file_set_dax_modes(file);
                }
                0
            }
            Err(e) => e.to_errno(),
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::release`, once per file
/// [`open`] succeeded on.
unsafe extern "C" fn release<T: FileSystem>(
    inode: *mut bindings::inode,
    file: *mut bindings::file,
) -> c_int {
    // SAFETY: the last close of a file `open` set up.
    unsafe {
        let info = super_info::<T>((*inode).i_sb);
        let fh = (*file).private_data as usize as u64;
        T::release(info, Inode::from_raw(inode), fh, (*file).f_flags);
    }
    0
}

/// # Safety
///
/// Called by the VFS only, as `file_operations::iterate_shared`, with an
/// open directory of `T` and a valid `ctx`.
unsafe extern "C" fn iterate_shared<T: FileSystem>(
    file: *mut bindings::file,
    ctx: *mut bindings::dir_context,
) -> c_int {
    // SAFETY: an open directory of ours (`open` stored its handle) and the
    // caller's context, valid for the call.
    unsafe {
        let inode = (*file).f_inode;
        let info = super_info::<T>((*inode).i_sb);
        let fh = (*file).private_data as usize as u64;
        let mut emitter = DirEmitter {
            ctx,
            _p: PhantomData,
        };
        match T::readdir(info, Inode::from_raw(inode), fh, &mut emitter) {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        }
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::evict_inode`, once, for
/// an inode of `T` nobody uses any more.
pub(super) unsafe extern "C" fn evict_inode<T: FileSystem>(inode: *mut bindings::inode) {
    // SAFETY: the VFS evicts an inode of ours nobody uses any more.
    unsafe {
        bindings::famfs_rs_dax_break_layout_final(inode);
        #[cfg(not(famfs_rs_dax_break_layout))]
        let_go_of_pages::<T>(inode);
        bindings::truncate_inode_pages_final(&mut (*inode).i_data);
        bindings::clear_inode(inode);
        let p = (*inode).i_private;
        if p.is_null() {
            // Never initialised (`iget_failed`).
            return;
        }
        (*inode).i_private = ptr::null_mut();
        let sb = (*inode).i_sb;
        let data = KBox::<T::InodeData>::from_foreign(p);
        let unmounting = !bindings::famfs_rs_sb_active(sb);
        T::evict(super_info::<T>(sb), (*inode).i_ino as u64, data, unmounting);
    }
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
unsafe fn let_go_of_pages<T: FileSystem>(inode: *mut bindings::inode) {
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
pub(super) unsafe fn set_dentry_ops<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: per the contract.
    unsafe { bindings::famfs_rs_set_default_d_op(sb, &Tables::<T>::DENTRY) };
}
