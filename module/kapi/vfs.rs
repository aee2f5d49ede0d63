// SPDX-License-Identifier: GPL-2.0

//! The VFS for one file system type: registration, the mount API
//! (`fs_context`), super blocks, inodes, dentries, files, and the fs-dax
//! data path.
//!
//! A file system implements [`FileSystem`] in safe Rust; the trampolines
//! here turn the C callbacks into calls of it, dispatched per type (the
//! iomap callback too: see `vfs/dax.rs`). The 6.12 kernel crate has no VFS
//! abstractions.

use crate::kapi::bindings;
use crate::kapi::fsdax::Claim;
use core::cell::Cell;
use kernel::ffi::c_void;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::ForeignOwnable;

mod dax;
mod fiemap;
mod ops;
mod registration;
mod super_block;

pub(crate) use dax::{DaxExtent, FaultOutcome};
pub(crate) use fiemap::FiemapSink;
pub(crate) use ops::{DirEmitter, Inode};
pub(crate) use registration::{FsTypeStorage, Registration};
pub(crate) use super_block::SuperRef;

/// `S_IFDIR`: the file type bits of a directory.
pub(crate) const S_IFDIR: u32 = bindings::S_IFDIR;
/// `S_IFREG`: the file type bits of a regular file.
#[allow(dead_code)]
pub(crate) const S_IFREG: u32 = bindings::S_IFREG;
/// `S_IFMT`: the mask of the file type bits.
pub(crate) const S_IFMT: u32 = bindings::S_IFMT;

/// Open flags a file system sees in [`FileSystem::open`].
pub(crate) mod open_flags {
    use crate::kapi::bindings;
    /// The access mode bits.
    pub(crate) const O_ACCMODE: u32 = bindings::O_ACCMODE;
    /// Access mode: read only.
    pub(crate) const O_RDONLY: u32 = bindings::O_RDONLY;
    /// Create if missing (a VFS matter).
    pub(crate) const O_CREAT: u32 = bindings::O_CREAT;
    /// With `O_CREAT`: fail if it exists (a VFS matter).
    pub(crate) const O_EXCL: u32 = bindings::O_EXCL;
    /// Do not become the controlling terminal (a VFS matter).
    pub(crate) const O_NOCTTY: u32 = bindings::O_NOCTTY;
}

/// The error a `parse` returns for an option it does not know, so that the
/// VFS can handle it (`source`) or report it.
pub(crate) fn unknown_option() -> Error {
    crate::kapi::errno::errno(bindings::ENOPARAM)
}

/// Attributes of an inode, in the file system's own terms.
#[derive(Clone, Copy, Default)]
pub(crate) struct InodeAttr {
    /// Inode number (the file system's node id).
    pub(crate) ino: u64,
    /// Mode: file type and permission bits.
    pub(crate) mode: u32,
    /// Owner, in the initial user namespace.
    pub(crate) uid: u32,
    /// Group, in the initial user namespace.
    pub(crate) gid: u32,
    /// Size in bytes.
    pub(crate) size: u64,
    /// Link count.
    pub(crate) nlink: u32,
    /// Bytes allocated, in 512-byte units (`st_blocks`).
    pub(crate) blocks: u64,
    /// Modification time, seconds and nanoseconds since the epoch.
    pub(crate) mtime: (i64, u32),
}

/// File system statistics reported by `statfs(2)`.
#[derive(Clone, Copy, Default)]
pub(crate) struct StatFs {
    /// Block size of the counts below.
    pub(crate) bsize: u32,
    /// Total blocks.
    pub(crate) blocks: u64,
    /// Free blocks.
    pub(crate) bfree: u64,
    /// Total inodes.
    pub(crate) files: u64,
    /// Free inodes.
    pub(crate) ffree: u64,
    /// Longest name.
    pub(crate) namelen: u32,
}

/// A successful lookup, in the file system's terms.
pub(crate) struct Entry {
    /// The inode's attributes.
    pub(crate) attr: InodeAttr,
    /// Until when (jiffies) the name may be used without asking again.
    pub(crate) expiry: u64,
    /// Until when (jiffies) the attributes may be used without asking.
    pub(crate) attr_expiry: u64,
    /// Bytes the file system's `lookup` hands to its `found` for the
    /// inode (opaque here; famfs: the file's map from the LOOKUP reply).
    pub(crate) payload: Cell<Option<KVec<u8>>>,
}

/// What [`FileSystem::fill_super`] makes of a new mount: the per-mount
/// state, the root directory's attributes and the root inode's state.
pub(crate) type NewSuper<I, D> = (I, InodeAttr, KBox<D>);

/// A file system type.
pub(crate) trait FileSystem: Sized + 'static {
    /// Name, as given to `mount -t`.
    const NAME: &'static CStr;
    /// `f_type` reported by `statfs(2)`.
    const MAGIC: u64;
    /// State of the type while it is registered (given to
    /// [`Registration::register`], seen by every new mount).
    type TypeData: Send + Sync + 'static;
    /// Mount options, collected before the super block exists.
    type Options: Default + Send + 'static;
    /// Per-mount state, kept with the super block.
    type Info: Send + Sync + 'static;
    /// Per-inode state, the inode's `i_private`.
    type InodeData: Send + Sync + 'static;

    /// Takes one mount option; `value` is `None` for a flag. Unknown keys
    /// return [`unknown_option`].
    fn parse(options: &mut Self::Options, key: &[u8], value: Option<&[u8]>) -> Result;

    /// Sets up a new mount from its options: the per-mount state, the
    /// attributes of the root directory and its inode state. `sb` is the
    /// new super block, for work done later outside the VFS's callbacks;
    /// `dev` its anonymous device number (major, minor).
    fn fill_super(
        ty: &Self::TypeData,
        options: Self::Options,
        sb: SuperRef,
        dev: (u32, u32),
    ) -> Result<NewSuper<Self::Info, Self::InodeData>>;

    /// `statfs(2)`.
    fn statfs(info: &Self::Info) -> Result<StatFs>;

    /// Looks `name` up in `dir`; `None` if it does not exist.
    fn lookup(info: &Self::Info, dir: Inode<'_, Self>, name: &[u8]) -> Result<Option<Entry>>;

    /// State for an inode first seen in `entry`.
    fn new_inode(info: &Self::Info, entry: &Entry) -> Result<KBox<Self::InodeData>>;

    /// `entry` (from [`FileSystem::lookup`] or [`FileSystem::revalidate`])
    /// now refers to `inode`, new or not.
    fn found(inode: Inode<'_, Self>, entry: &Entry);

    /// A lookup's result could not be used (e.g. the node changed type):
    /// undo what it counted.
    fn lookup_failed(info: &Self::Info, ino: u64);

    /// Checks that `name` in `dir` still names `inode`; the new entry if so.
    fn revalidate(
        info: &Self::Info,
        dir: Inode<'_, Self>,
        name: &[u8],
        inode: Inode<'_, Self>,
    ) -> Result<Option<Entry>>;

    /// Whether `inode` may take the attributes `attr` from a reply (its
    /// type already matches): an error refuses the reply, and the inode
    /// keeps what it had.
    fn check_update(info: &Self::Info, inode: Inode<'_, Self>, attr: &InodeAttr) -> Result;

    /// Brings the attributes of `inode` up to date if they have expired.
    fn refresh(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// Whether regular file `inode` may be written at all (the
    /// `permission` check of every open for writing and of
    /// `access(W_OK)`, before the mode bits): EROFS for a file the file
    /// system holds read-only. May block (never called in RCU walk).
    fn check_write(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// Opens `inode` (`O_*` flags, see [`open_flags`]); returns the file
    /// handle.
    fn open(info: &Self::Info, inode: Inode<'_, Self>, flags: u32) -> Result<u64>;

    /// The last close of a file opened with handle `fh`.
    fn release(info: &Self::Info, inode: Inode<'_, Self>, fh: u64, flags: u32);

    /// Emits the entries of directory `dir` (opened as `fh`) from
    /// `emitter.pos()` on, until the emitter is full or the end.
    fn readdir(
        info: &Self::Info,
        dir: Inode<'_, Self>,
        fh: u64,
        emitter: &mut DirEmitter<'_>,
    ) -> Result;

    /// Waits, killably, until no page of regular file `inode` is held by
    /// anyone but its mapping (see [`Claim::wait_pages_let_go`]): its dax
    /// entries are dropped next, as the mount goes. EINTR when killed.
    /// Kernels before 6.15 only (later ones wait at eviction themselves).
    ///
    /// [`Claim::wait_pages_let_go`]: crate::kapi::fsdax::Claim::wait_pages_let_go
    // Called only where eviction does not break the layout itself.
    #[cfg_attr(famfs_rs_dax_break_layout, allow(dead_code))]
    fn wait_pages_let_go(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// An inode is gone from memory; `unmounting` when the whole mount is.
    fn evict(info: &Self::Info, ino: u64, data: KBox<Self::InodeData>, unmounting: bool);

    /// Where file offset `pos` of regular file `inode` lives (for
    /// `iomap_begin`): from state cached on the inode, never asking a
    /// server. `None` at or past the end of the file (reads).
    fn resolve<'a>(
        info: &'a Self::Info,
        inode: Inode<'_, Self>,
        pos: u64,
        write: bool,
    ) -> Result<Option<DaxExtent<'a>>>;

    /// Whether `read`, `write` and `mmap` of `inode` may go ahead.
    fn check_io(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// Whether `inode` may be mapped `MAP_SYNC`: every device its data
    /// lives on makes a written-back CPU store durable, and the file
    /// system never needs a metadata update to make a fault durable.
    fn sync_faults_supported(info: &Self::Info, inode: Inode<'_, Self>) -> bool;

    /// `FS_IOC_FIEMAP`: reports the extents of regular file `inode` that
    /// overlap `start..start + len` to `sink`, in file order.
    fn fiemap(
        info: &Self::Info,
        inode: Inode<'_, Self>,
        start: u64,
        len: u64,
        sink: &mut FiemapSink<'_>,
    ) -> Result;

    /// A page fault of `order` on a file of this mount ended so.
    fn fault_done(info: &Self::Info, order: u32, outcome: FaultOutcome);

    /// The dax device whose cache flush writes back `inode`'s dirty
    /// entries (`None`: nothing to do); an error when its stores cannot be
    /// made durable (writeback fails with it, kept on the mapping).
    fn writeback_device<'a>(
        info: &'a Self::Info,
        inode: Inode<'_, Self>,
    ) -> Result<Option<&'a Claim>>;

    /// A store fence was issued for a file of this mount (`fsync`,
    /// `msync`, a synchronous write), for the counters.
    fn store_fenced(info: &Self::Info);

    /// The mount is going away, after its inodes (only if `fill_super`
    /// succeeded): nothing else uses its state any more.
    fn put_super(info: &mut Self::Info);
}

/// Fills a new inode (still `I_NEW`, so nobody else sees it) from `attr`,
/// with the operations for its type, and hands it `data`.
///
/// # Safety
///
/// `inode` must be a new, locked inode of a super block of `T`.
unsafe fn init_inode<T: FileSystem>(
    inode: *mut bindings::inode,
    attr: &InodeAttr,
    data: KBox<T::InodeData>,
) {
    let dir = attr.mode & S_IFMT == S_IFDIR;
    let (iop, fop) = if dir {
        (&ops::Tables::<T>::DIR_INODE, &ops::Tables::<T>::DIR_FILE)
    } else {
        (&ops::Tables::<T>::FILE_INODE, &ops::Tables::<T>::FILE_FILE)
    };
    // SAFETY: the inode is new and locked per the contract: these plain
    // stores race with nothing. `evict_inode` takes the data back.
    unsafe {
        (*inode).i_private = data.into_foreign() as *mut c_void;
        (*inode).i_mode = attr.mode as u16;
        (*inode).i_uid = bindings::famfs_rs_make_kuid(attr.uid);
        (*inode).i_gid = bindings::famfs_rs_make_kgid(attr.gid);
        bindings::set_nlink(inode, attr.nlink);
        bindings::famfs_rs_i_size_write(inode, attr.size as i64);
        (*inode).i_blocks = attr.blocks;
        (*inode).i_blkbits = bindings::PAGE_SHIFT as u8;
        (*inode).i_mtime_sec = attr.mtime.0;
        (*inode).i_mtime_nsec = attr.mtime.1;
        (*inode).i_ctime_sec = attr.mtime.0;
        (*inode).i_ctime_nsec = attr.mtime.1;
        (*inode).i_atime_sec = attr.mtime.0;
        (*inode).i_atime_nsec = attr.mtime.1;
        (*inode).i_op = iop;
        (*inode).__bindgen_anon_3.i_fop = fop;
        if !dir {
            // Regular files are fs-dax files: their data is the memory.
            (*inode).i_flags |= bindings::S_DAX;
            (*inode).i_data.a_ops = &ops::Tables::<T>::DAX_AOPS;
        }
    }
}
