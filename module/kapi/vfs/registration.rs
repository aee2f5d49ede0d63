// SPDX-License-Identifier: GPL-2.0

//! Registering a file system type, and the mount API (`fs_context`): the
//! options, a new super block (`fill_super`), its root, its end
//! (`kill_sb`), `statfs`.

use super::dax;
use super::ops;
use super::super_block::{self, super_info, SuperData, SuperHeader};
use super::{init_inode, FileSystem, InodeAttr, Operations, SuperOperations, SuperRef};
use crate::kapi::bindings;
use crate::kapi::once::OnceBox;
use core::cell::UnsafeCell;
use core::marker::PhantomData;
use core::mem::MaybeUninit;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::{from_err_ptr, to_result};
use kernel::ffi::{c_char, c_int, c_void};
use kernel::prelude::*;
use kernel::types::ForeignOwnable;
use kernel::workqueue::Queue;
use kernel::ThisModule;

/// Static storage for a `struct file_system_type` of `T` and the type's
/// state: lockdep needs the type's lock class keys in static memory, so it
/// cannot live on the heap.
///
/// # Invariants
///
/// `data` is set, and `queue` a work queue, while the type is registered
/// (from before `register_filesystem` until after `unregister_filesystem`).
#[repr(C)]
pub(crate) struct FsTypeStorage<T: FileSystem> {
    /// First, so that a `file_system_type` of ours leads back to its storage.
    fst: UnsafeCell<MaybeUninit<bindings::file_system_type>>,
    data: OnceBox<T::TypeData>,
    /// Where the type's super blocks' last active references are given
    /// back when a `SuperRef` held them (see `super_block.rs`): a queue of
    /// the module's, so that unregistering can wait for that work.
    queue: AtomicPtr<bindings::workqueue_struct>,
}

// SAFETY: `fst` is written only by `Registration::register` before the type
// is registered (module init, single-threaded) and afterwards only by the
// VFS under its own locks; `data` is a `Sync` `OnceBox` of `Send + Sync`;
// `queue` is atomic, and a work queue may be used from any thread.
unsafe impl<T: FileSystem> Sync for FsTypeStorage<T> {}

impl<T: FileSystem> FsTypeStorage<T> {
    /// Zeroed storage, ready for `Registration::register`.
    pub(crate) const fn new() -> Self {
        Self {
            fst: UnsafeCell::new(MaybeUninit::zeroed()),
            data: OnceBox::new(),
            queue: AtomicPtr::new(ptr::null_mut()),
        }
    }
}

/// The state of the registered type of super block `sb`.
///
/// # Safety
///
/// `sb` must be a live super block of a type registered for `T` (its
/// `s_type` is in a `FsTypeStorage<T>`), and the reference must not
/// outlive the callback it is used in (the type stays registered meanwhile:
/// a super block pins the module).
unsafe fn type_data<'a, T: FileSystem>(
    sb: *mut bindings::super_block,
) -> Option<(&'a T::TypeData, &'static Queue)> {
    // SAFETY: `s_type` is the `fst` of a `FsTypeStorage<T>`, `repr(C)` with
    // `fst` first: it points at the storage, which is static.
    let storage: &'static FsTypeStorage<T> = unsafe { &*((*sb).s_type as *const _) };
    let queue = storage.queue.load(Ordering::Acquire);
    if queue.is_null() {
        return None;
    }
    // SAFETY: a queue while the type is registered (invariant). A super
    // block pins the module, and with it the registration; work queued on
    // it by a `SuperRef` holds an active reference to a super block (so
    // pins it too), and unregistering drains the queue.
    let queue = unsafe { Queue::from_raw(queue) };
    Some((storage.data.get()?, queue))
}

/// A registered file system type; unregistered on drop.
///
/// # Invariants
///
/// `storage` holds a `file_system_type` registered with the VFS whose
/// callbacks are those of `T`, and the type's state.
pub(crate) struct Registration<T: FileSystem> {
    storage: &'static FsTypeStorage<T>,
}

impl<T: Operations> Registration<T> {
    /// Registers `T` in `storage`, which must not be used for anything
    /// else, with `data` as the type's state for every mount.
    pub(crate) fn register(
        storage: &'static FsTypeStorage<T>,
        module: &'static ThisModule,
        data: T::TypeData,
    ) -> Result<Self> {
        storage
            .data
            .set(KBox::new(data, GFP_KERNEL)?)
            .map_err(|_| EBUSY)?;
        // SAFETY: the name is a static string; the queue is destroyed on
        // failure below or when the type is unregistered.
        let queue = unsafe { bindings::famfs_rs_alloc_workqueue(T::NAME.as_char_ptr()) };
        if queue.is_null() {
            // SAFETY: not registered: nothing can have borrowed the data.
            drop(unsafe { storage.data.take_shared() });
            return Err(ENOMEM);
        }
        storage.queue.store(queue, Ordering::Release);
        let fst = storage.fst.get().cast::<bindings::file_system_type>();
        // SAFETY: module init runs once, before anything else can reach the
        // storage; zeroed memory is a valid `file_system_type`.
        unsafe {
            (*fst).name = T::NAME.as_char_ptr();
            (*fst).owner = module.as_ptr();
            (*fst).init_fs_context = Some(init_fs_context::<T>);
            (*fst).kill_sb = Some(kill_sb::<T>);
        }
        // SAFETY: a filled `file_system_type` in static storage, whose
        // callbacks find the type's state (set above).
        let ret = unsafe { bindings::register_filesystem(fst) };
        if let Err(e) = to_result(ret) {
            // SAFETY: not registered: nothing can have borrowed the data.
            drop(unsafe { storage.data.take_shared() });
            storage.destroy_queue();
            return Err(e);
        }
        Ok(Self { storage })
    }
}

impl<T: FileSystem> FsTypeStorage<T> {
    /// Destroys the work queue of a type that is not registered (any
    /// more), after the work on it ran.
    fn destroy_queue(&self) {
        let queue = self.queue.swap(ptr::null_mut(), Ordering::AcqRel);
        if !queue.is_null() {
            // SAFETY: the queue `register` made; no super block of the
            // type is left to queue work, and destroying waits for the
            // queued work (which may be the module's last user) to finish.
            unsafe { bindings::destroy_workqueue(queue) };
        }
    }
}

impl<T: FileSystem> Drop for Registration<T> {
    fn drop(&mut self) {
        // SAFETY: registered, by the type invariant. A mounted file system
        // holds a module reference, so none is left when we get here.
        unsafe { bindings::unregister_filesystem(self.storage.fst.get().cast()) };
        // SAFETY: unregistered, with no super block left: no callback can
        // be borrowing the type's state, nor borrow it again.
        drop(unsafe { self.storage.data.take_shared() });
        self.storage.destroy_queue();
    }
}

/// The operation tables of `T`, built at compile time.
struct Tables<T>(PhantomData<T>);

impl<T: Operations> Tables<T> {
    const CONTEXT: bindings::fs_context_operations = bindings::fs_context_operations {
        free: Some(free_fs_context::<T>),
        dup: None,
        parse_param: Some(parse_param::<T>),
        parse_monolithic: None,
        get_tree: Some(get_tree::<T>),
        reconfigure: None,
    };

    const SUPER: bindings::super_operations = bindings::super_operations {
        statfs: ops::slot(T::HAS_STATFS, statfs::<T>),
        // Always: it gives back the inode's data.
        evict_inode: Some(ops::evict_inode::<T>),
        put_super: ops::slot(T::HAS_PUT_SUPER, super_block::put_super::<T>),
        // SAFETY: all-zero is a valid `super_operations` (no callbacks).
        ..unsafe { MaybeUninit::zeroed().assume_init() }
    };
}

/// # Safety
///
/// Called by the VFS only, as `file_system_type::init_fs_context` of a
/// famfs_rs type registered for `T`, with a new, valid `fc`.
unsafe extern "C" fn init_fs_context<T: Operations>(fc: *mut bindings::fs_context) -> c_int {
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

/// Borrows the bytes (without the NUL) of a C string the VFS hands us for
/// the duration of a callback.
///
/// # Safety
///
/// `p` must be NULL or a NUL-terminated string valid for `'a`.
unsafe fn c_str<'a>(p: *const c_char) -> Option<&'a [u8]> {
    if p.is_null() {
        return None;
    }
    // SAFETY: per the contract.
    Some(unsafe { core::ffi::CStr::from_ptr(p.cast()) }.to_bytes())
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
unsafe extern "C" fn get_tree<T: Operations>(fc: *mut bindings::fs_context) -> c_int {
    // SAFETY: `fc` is valid; `get_tree_nodev` makes a new anonymous super
    // block and calls `fill_super` on it.
    unsafe { bindings::get_tree_nodev(fc, Some(fill_super::<T>)) }
}

/// # Safety
///
/// Called by `get_tree_nodev` only (from [`get_tree`]), with a new super
/// block nobody else uses yet and the `fc` of that mount.
unsafe extern "C" fn fill_super<T: Operations>(
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
    // SAFETY: `sb` is a new super block of a type registered for `T`;
    // `s_dev` was set by `get_tree_nodev` before `fill_super`.
    let (ty, dev) = unsafe { (type_data::<T>(sb), (*sb).s_dev) };
    let Some((ty, queue)) = ty else {
        return EINVAL.to_errno();
    };
    let sb_ref = match SuperRef::new(sb, queue) {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    let dev = (dev >> 20, dev & 0xf_ffff);
    let filled = T::fill_super(ty, KBox::into_inner(options), sb_ref.clone(), dev);
    let (info, root, root_data) = match filled {
        Ok(r) => r,
        Err(e) => return e.to_errno(),
    };
    let data = SuperData::<T> {
        header: SuperHeader {
            iomap_begin: dax::iomap_begin::<T>,
        },
        sb: sb_ref,
        info,
    };
    let data = match KBox::new(data, GFP_KERNEL) {
        Ok(d) => d,
        Err(e) => return Error::from(e).to_errno(),
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
        (*sb).s_fs_info = data.into_foreign() as *mut c_void;
    }
    // A backing device of its own, so that fsync/msync write back the
    // dirty dax entries (an anonymous super block's default one never
    // writes back).
    // SAFETY: the new super block, being filled.
    let ret = unsafe { bindings::super_setup_bdi(sb) };
    if ret != 0 {
        return ret;
    }
    if let Err(e) = make_root::<T>(sb, &root, root_data) {
        return e.to_errno();
    }
    0
}

/// Makes the root inode and dentry of a new super block.
fn make_root<T: Operations>(
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
    if !p.is_null() {
        // SAFETY: the box `fill_super` stored, alive until `put_super` or
        // below; only this reads it now (no active reference is left).
        let data = unsafe { &*p.cast::<SuperData<T>>() };
        // First: no `SuperRef` reaches the super block from here on, so
        // nothing but the VFS sees it while it is shut down.
        data.sb.clear();
    }
    // SAFETY: `get_tree_nodev` made it an anonymous super block. Its
    // `put_super` takes the state (if `fill_super` made a root and the
    // file system has one).
    unsafe { bindings::kill_anon_super(sb) };
    // SAFETY: as above; NULL if `put_super` took it.
    let p = unsafe { (*sb).s_fs_info };
    if !p.is_null() {
        // SAFETY: the box `fill_super` stored (it failed late, or there is
        // no `put_super`); no inode or file is left.
        drop(unsafe { KBox::<SuperData<T>>::from_foreign(p) });
    }
}

/// # Safety
///
/// Called by the VFS only, as `super_operations::statfs`, with a dentry
/// of a mounted super block of `T` and a valid `buf`.
unsafe extern "C" fn statfs<T: SuperOperations>(
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
