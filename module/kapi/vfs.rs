// SPDX-License-Identifier: GPL-2.0

//! The thin unsafe layer over the VFS for one file system type: registration,
//! the mount API (`fs_context`), super blocks and inodes.
//!
//! A file system implements [`FileSystem`] in safe Rust; the trampolines here
//! turn the C callbacks into calls of it. The 6.12 kernel crate has no VFS
//! abstractions.

use crate::kapi::bindings;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use kernel::error::{from_err_ptr, to_result};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::types::ForeignOwnable;
use kernel::ThisModule;

mod dax;
mod ops;

pub(crate) use dax::{DaxExtent, FaultOutcome};
pub(crate) use ops::{hz, jiffies, time_before, DirEmitter, Inode, SuperHandle};

/// `S_IFDIR`: the file type bits of a directory.
pub(crate) const S_IFDIR: u32 = bindings::S_IFDIR;
/// `S_IFREG`: the file type bits of a regular file.
#[allow(dead_code)]
pub(crate) const S_IFREG: u32 = bindings::S_IFREG;
/// `S_IFMT`: the mask of the file type bits.
pub(crate) const S_IFMT: u32 = bindings::S_IFMT;

/// The error a `parse` returns for an option it does not know, so that the
/// VFS can handle it (`source`) or report it.
pub(crate) fn unknown_option() -> Error {
    bindings::errno(bindings::ENOPARAM)
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
}

/// What [`FileSystem::fill_super`] makes of a new mount: the per-mount
/// state, the root directory's attributes and the root inode's state.
pub(crate) type NewSuper<I, D> = (KBox<I>, InodeAttr, KBox<D>);

/// A file system type.
pub(crate) trait FileSystem: Sized + 'static {
    /// Name, as given to `mount -t`.
    const NAME: &'static CStr;
    /// `f_type` reported by `statfs(2)`.
    const MAGIC: u64;
    /// Mount options, collected before the super block exists.
    type Options: Default + Send + 'static;
    /// Per-mount state, the super block's `s_fs_info`.
    type Info: Send + Sync + 'static;
    /// Per-inode state, the inode's `i_private`.
    type InodeData: Send + Sync + 'static;

    /// Takes one mount option; `value` is `None` for a flag. Unknown keys
    /// return [`unknown_option`].
    fn parse(options: &mut Self::Options, key: &CStr, value: Option<&CStr>) -> Result;

    /// Sets up a new mount from its options: the per-mount state, the
    /// attributes of the root directory and its inode state.
    fn fill_super(options: Self::Options) -> Result<NewSuper<Self::Info, Self::InodeData>>;

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

    /// Opens `inode` (`O_*` flags); returns the file handle.
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

    /// An inode is gone from memory; `unmounting` when the whole mount is.
    fn evict(info: &Self::Info, ino: u64, data: KBox<Self::InodeData>, unmounting: bool);

    /// Where file offset `pos` of regular file `inode` lives (for
    /// `iomap_begin`): from state cached on the inode, never asking the
    /// daemon. `None` at or past the end of the file.
    fn resolve(
        info: &Self::Info,
        inode: Inode<'_, Self>,
        pos: u64,
        write: bool,
    ) -> Result<Option<DaxExtent>>;

    /// Whether `read`, `write` and `mmap` of `inode` may go ahead (its map
    /// is known and none of its devices is fenced).
    fn check_io(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// A page fault of `order` on a file of this mount ended so.
    fn fault_done(info: &Self::Info, order: u32, outcome: FaultOutcome);

    /// The dax device whose cache flush writes back `inode`'s dirty
    /// entries (NULL: nothing to do).
    fn writeback_device(info: &Self::Info, inode: Inode<'_, Self>) -> *mut bindings::dax_device;

    /// The new mount is complete; `dev` is its anonymous device number.
    fn mounted(info: &Self::Info, dev: (u32, u32));

    /// The mount is going away, after its inodes (only if `fill_super`
    /// succeeded).
    fn put_super(info: &Self::Info);
}

/// Static storage for a `struct file_system_type`: lockdep needs its lock
/// class keys in static memory, so it cannot live on the heap.
pub(crate) struct FsTypeStorage(UnsafeCell<MaybeUninit<bindings::file_system_type>>);

// SAFETY: the storage is written only by `Registration::register` before the
// type is registered (module init, single-threaded) and afterwards only by
// the VFS under its own locks.
unsafe impl Sync for FsTypeStorage {}

impl FsTypeStorage {
    /// Zeroed storage, ready for `Registration::register`.
    pub(crate) const fn new() -> Self {
        Self(UnsafeCell::new(MaybeUninit::zeroed()))
    }
}

/// A registered file system type; unregistered on drop.
///
/// # Invariants
///
/// `storage` holds a `file_system_type` registered with the VFS whose
/// callbacks are those of `T`.
pub(crate) struct Registration<T: FileSystem> {
    storage: &'static FsTypeStorage,
    _fs: PhantomData<T>,
}

// SAFETY: the registration only hands the static storage back to the VFS.
unsafe impl<T: FileSystem> Send for Registration<T> {}
// SAFETY: `&Registration` gives no access to anything.
unsafe impl<T: FileSystem> Sync for Registration<T> {}

impl<T: FileSystem> Registration<T> {
    /// Registers `T` in `storage`, which must not be used for anything else.
    pub(crate) fn register(
        storage: &'static FsTypeStorage,
        module: &'static ThisModule,
    ) -> Result<Self> {
        let fst = storage.0.get().cast::<bindings::file_system_type>();
        // SAFETY: module init runs once, before anything else can reach the
        // storage; zeroed memory is a valid `file_system_type`.
        unsafe {
            (*fst).name = T::NAME.as_char_ptr();
            (*fst).owner = module.as_ptr();
            (*fst).init_fs_context = Some(init_fs_context::<T>);
            (*fst).kill_sb = Some(kill_sb::<T>);
            to_result(bindings::register_filesystem(fst))?;
        }
        Ok(Self {
            storage,
            _fs: PhantomData,
        })
    }
}

impl<T: FileSystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered, by the type invariant. A mounted file system
        // holds a module reference, so none is left when we get here.
        unsafe { bindings::unregister_filesystem(self.storage.0.get().cast()) };
    }
}

/// The operation tables of `T`, built at compile time.
struct Tables<T>(PhantomData<T>);

impl<T: FileSystem> Tables<T> {
    const CONTEXT: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(free_fs_context::<T>),
        dup: None,
        parse_param: Some(parse_param::<T>),
        parse_monolithic: None,
        get_tree: Some(get_tree::<T>),
        reconfigure: None,
    };

    const SUPER: bindings::super_operations = bindings::super_operations {
        statfs: Some(statfs::<T>),
        evict_inode: Some(ops::evict_inode::<T>),
        put_super: Some(ops::put_super::<T>),
        // SAFETY: all-zero is a valid `super_operations` (no callbacks).
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };
}

/// Per-mount state of a super block of `T`.
///
/// # Safety
///
/// `sb` must be a live super block of `T` whose `fill_super` succeeded, and
/// the returned reference must not outlive it.
pub(crate) unsafe fn super_info<'a, T: FileSystem>(sb: *mut bindings::super_block) -> &'a T::Info {
    // SAFETY: `fill_super` stored a `KBox<T::Info>` in `s_fs_info`; it lives
    // until `kill_sb`, after the last use of the super block.
    unsafe { &*((*sb).s_fs_info as *const T::Info) }
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

/// # Safety
///
/// Called by the VFS only, as `file_system_type::init_fs_context` of a
/// famfs_rs type registered for `T`, with a new, valid `fc`.
unsafe extern "C" fn init_fs_context<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    let options = match KBox::new(T::Options::default(), GFP_KERNEL) {
        Ok(o) => o,
        Err(e) => return Error::from(e).to_errno(),
    };
    // SAFETY: `fc` is the new context; the options are ours until
    // `free_fs_context` or `fill_super` takes them back.
    unsafe {
        bindings::famfs_rs_fc_init(
            fc,
            &Tables::<T>::CONTEXT,
            options.into_foreign() as *mut c_void,
        )
    };
    0
}

/// # Safety
///
/// Called by the VFS only, as `fs_context_operations::free`, once, for an
/// `fc` set up by [`init_fs_context`].
unsafe extern "C" fn free_fs_context<T: FileSystem>(fc: *mut bindings::fs_context) {
    // SAFETY: `fc` is valid; its private data is ours (or already taken).
    let p = unsafe { bindings::famfs_rs_fc_take_private(fc) };
    if !p.is_null() {
        // SAFETY: a non-NULL private pointer is the options box from
        // `init_fs_context`.
        drop(unsafe { KBox::<T::Options>::from_foreign(p) });
    }
}

/// Borrows a C string the VFS hands us for the duration of a callback.
///
/// # Safety
///
/// `p` must be NULL or a NUL-terminated string valid for `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a CStr> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract.
    Some(unsafe { CStr::from_char_ptr(p) })
}

/// # Safety
///
/// Called by the VFS only, as `fs_context_operations::parse_param`, with
/// an `fc` set up by [`init_fs_context`] and a valid `param`.
unsafe extern "C" fn parse_param<T: FileSystem>(
    fc: *mut bindings::fs_context,
    param: *mut bindings::fs_parameter,
) -> c_int {
    // SAFETY: the VFS passes a valid parameter whose strings live for the
    // call.
    let (key, value) = unsafe {
        (
            c_str(bindings::famfs_rs_param_key(param)),
            c_str(bindings::famfs_rs_param_string(param)),
        )
    };
    let Some(key) = key else {
        return EINVAL.to_errno();
    };
    // SAFETY: `fc` is valid; its private data is the options box from
    // `init_fs_context` (`fill_super` takes it only after all parsing).
    let p = unsafe { bindings::famfs_rs_fc_private(fc) };
    if p.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: `p` points at the boxed options, and the VFS serialises
    // option parsing on a context (`uapi_mutex`), so this is the only
    // reference for the call.
    let options = unsafe { &mut *p.cast::<T::Options>() };
    match T::parse(options, key, value) {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// Called by the VFS only, as `fs_context_operations::get_tree`, with an
/// `fc` set up by [`init_fs_context`].
unsafe extern "C" fn get_tree<T: FileSystem>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc` is valid; `get_tree_nodev` makes a new anonymous super
    // block and calls `fill_super` on it.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super::<T>)) }
}

/// # Safety
///
/// Called by `get_tree_nodev` only (from [`get_tree`]), with a new super
/// block nobody else uses yet and the `fc` of that mount.
unsafe extern "C" fn fill_super<T: FileSystem>(
    sb: *mut bindings::super_block,
    fc: *mut bindings::fs_context,
) -> c_int {
    // SAFETY: `fc` is valid; from here on the options are ours.
    let p = unsafe { bindings::famfs_rs_fc_take_private(fc) };
    if p.is_null() {
        return EINVAL.to_errno();
    }
    // SAFETY: `p` is the options box from `init_fs_context`.
    let options = unsafe { KBox::<T::Options>::from_foreign(p) };
    let (info, root, root_data) = match T::fill_super(KBox::into_inner(options)) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    // SAFETY: `sb` is the new super block, not yet visible to anyone else.
    unsafe {
        (*sb).s_magic = T::MAGIC as _;
        (*sb).s_op = &Tables::<T>::SUPER;
        ops::set_dentry_ops::<T>(sb);
        (*sb).s_blocksize = 1 << bindings::PAGE_SHIFT;
        (*sb).s_blocksize_bits = bindings::PAGE_SHIFT as u8;
        (*sb).s_maxbytes = i64::MAX;
        (*sb).s_time_gran = 1;
        // From here `kill_sb` owns the state, whatever happens below.
        (*sb).s_fs_info = info.into_foreign() as *mut c_void;
        // A backing device of its own, so that fsync/msync write back the
        // dirty dax entries (an anonymous super block's default one never
        // writes back).
        let ret = bindings::super_setup_bdi(sb);
        if ret != 0 {
            return ret;
        }
    }
    if let Err(e) = make_root::<T>(sb, &root, root_data) {
        return e.to_errno();
    }
    // SAFETY: `s_dev` was set by `get_tree_nodev` before `fill_super`, and
    // the state was stored above.
    let (dev, info) = unsafe { ((*sb).s_dev, super_info::<T>(sb)) };
    T::mounted(info, (dev >> 20, dev & 0xf_ffff));
    0
}

/// Makes the root inode and dentry of a new super block.
fn make_root<T: FileSystem>(
    sb: *mut bindings::super_block,
    attr: &InodeAttr,
    data: KBox<T::InodeData>,
) -> Result {
    // SAFETY: `sb` is a live super block being set up.
    let inode = from_err_ptr(unsafe { bindings::iget_locked(sb, attr.ino as _) })?;
    if inode.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: `iget_locked` on a fresh super block returns a new, locked
    // inode.
    unsafe {
        init_inode::<T>(inode, attr, data);
        bindings::unlock_new_inode(inode);
    }
    // SAFETY: `d_make_root` consumes the inode reference (also on failure).
    let root = unsafe { bindings::d_make_root(inode) };
    if root.is_null() {
        return Err(ENOMEM);
    }
    // SAFETY: the super block is ours until `fill_super` returns.
    unsafe { (*sb).s_root = root };
    Ok(())
}

/// # Safety
///
/// Called by the VFS only, as `file_system_type::kill_sb`, once, for a
/// super block of this type that no file or inode uses any more.
unsafe extern "C" fn kill_sb<T: FileSystem>(sb: *mut bindings::super_block) {
    // SAFETY: `sb` is the super block being torn down; `s_fs_info` is NULL
    // if `fill_super` failed before storing the state.
    let p = unsafe { (*sb).s_fs_info };
    // SAFETY: `get_tree_nodev` made it an anonymous super block.
    unsafe { bindings::kill_anon_super(sb) };
    if !p.is_null() {
        // SAFETY: the box `fill_super` stored; no inode or file is left.
        drop(unsafe { KBox::<T::Info>::from_foreign(p) });
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::statfs`, with a dentry
/// of a mounted super block of `T` and a valid `buf`.
unsafe extern "C" fn statfs<T: FileSystem>(
    dentry: *mut bindings::dentry,
    buf: *mut bindings::kstatfs,
) -> c_int {
    // SAFETY: a dentry of a mounted super block of ours.
    let info = unsafe { super_info::<T>((*dentry).d_sb) };
    match T::statfs(info) {
        Ok(st) => {
            // SAFETY: `buf` is the caller's statfs buffer.
            unsafe {
                bindings::famfs_rs_statfs_fill(
                    buf,
                    T::MAGIC as _,
                    st.bsize as _,
                    st.blocks,
                    st.bfree,
                    st.files,
                    st.ffree,
                    st.namelen as _,
                )
            };
            0
        }
        Err(e) => e.to_errno(),
    }
}
