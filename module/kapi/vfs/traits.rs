// SPDX-License-Identifier: GPL-2.0

//! What a file system implements: one trait per C operation table, as
//! rust/kernel's `block::mq::Operations` does. Each method of a
//! `#[vtable]` trait fills the slot of its name; an optional one left out
//! leaves its slot NULL (the VFS's own default), told by the `HAS_<METHOD>`
//! constant the macro generates. A required method's slot is one the
//! kernel API layer always fills (it owns state there, or the table would
//! make no sense without it).
//!
//! All traits are implemented by the file system's one type; [`FileSystem`]
//! gives them the type's name, its states and the mount.

use super::dax::{DaxExtent, FaultOutcome};
use super::fiemap::FiemapSink;
use super::ops::{DirEmitter, Inode};
use super::{Entry, InodeAttr, StatFs, SuperRef};
use crate::kapi::fsdax::Claim;
use kernel::prelude::*;
use kernel::str::CStr;

/// What [`FileSystem::fill_super`] makes of a new mount: the per-mount
/// state, the root directory's attributes and the root inode's state.
pub(crate) type NewSuper<I, D> = (I, InodeAttr, KBox<D>);

/// A file system type (`file_system_type`) and its mount API
/// (`fs_context_operations`): `parse_param`, `get_tree`/`fill_super`. The
/// layer fills `kill_sb`.
pub(crate) trait FileSystem: Sized + 'static {
    /// Name, as given to `mount -t`.
    const NAME: &'static CStr;
    /// `f_type` reported by `statfs(2)`.
    const MAGIC: u64;
    /// State of the type while it is registered (given to
    /// [`Registration::register`], seen by every new mount).
    ///
    /// [`Registration::register`]: super::Registration::register
    type TypeData: Send + Sync + 'static;
    /// Mount options, collected before the super block exists.
    type Options: Default + Send + 'static;
    /// Per-mount state, kept with the super block.
    type Info: Send + Sync + 'static;
    /// Per-inode state, the inode's `i_private`.
    type InodeData: Send + Sync + 'static;

    /// `parse_param`: takes one mount option; `value` is `None` for a
    /// flag. Unknown keys return [`unknown_option`].
    ///
    /// [`unknown_option`]: super::unknown_option
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
}

/// The inode cache (`iget_locked`, attribute updates): no C table, the
/// hooks `lookup` and `d_revalidate` share (a FUSE file system counts its
/// lookups here).
pub(crate) trait InodeCache: FileSystem {
    /// State for an inode first seen in `entry`.
    fn new_inode(info: &Self::Info, entry: &Entry) -> Result<KBox<Self::InodeData>>;

    /// `entry` (from [`InodeOperations::lookup`] or
    /// [`DentryOperations::d_revalidate`]) now refers to `inode`, new or
    /// not.
    fn found(inode: Inode<'_, Self>, entry: &Entry);

    /// A lookup's result could not be used (e.g. the node changed type):
    /// undo what it counted.
    fn lookup_failed(info: &Self::Info, ino: u64);

    /// Whether `inode` may take the attributes `attr` from a reply (its
    /// type already matches): an error refuses the reply, and the inode
    /// keeps what it had.
    fn check_update(info: &Self::Info, inode: Inode<'_, Self>, attr: &InodeAttr) -> Result;
}

/// `struct super_operations`.
#[vtable]
pub(crate) trait SuperOperations: FileSystem {
    /// `statfs(2)` (left out: ENOSYS).
    fn statfs(_info: &Self::Info) -> Result<StatFs> {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `evict_inode`: an inode is gone from memory; `unmounting` when the
    /// whole mount is. Required: the slot gives back the inode's data.
    fn evict_inode(info: &Self::Info, ino: u64, data: KBox<Self::InodeData>, unmounting: bool);

    /// Part of `evict_inode` before 6.15 (later kernels wait at eviction
    /// themselves): waits, killably, until no page of regular file `inode`
    /// is held by anyone but its mapping (see
    /// [`Claim::wait_pages_let_go`]): its dax entries are dropped next, as
    /// the mount goes. EINTR when killed.
    ///
    /// [`Claim::wait_pages_let_go`]: crate::kapi::fsdax::Claim::wait_pages_let_go
    // Called only where eviction does not break the layout itself.
    #[cfg_attr(famfs_rs_dax_break_layout, allow(dead_code))]
    fn wait_pages_let_go(info: &Self::Info, inode: Inode<'_, Self>) -> Result;

    /// `put_super`: the mount is going away, after its inodes (only if
    /// `fill_super` succeeded): nothing else uses its state any more. Left
    /// out, `kill_sb` drops the state after the VFS is done with it.
    fn put_super(_info: &mut Self::Info) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// `struct inode_operations`, of directories and regular files.
#[vtable]
pub(crate) trait InodeOperations: InodeCache {
    /// `lookup` (directories): `name` in `dir`; `None` if it does not
    /// exist. Required: a directory without it cannot be walked.
    fn lookup(info: &Self::Info, dir: Inode<'_, Self>, name: &[u8]) -> Result<Option<Entry>>;

    /// `getattr`: brings the attributes of `inode` up to date if they have
    /// expired; the layer then fills `stat` from the inode (left out: the
    /// VFS fills it from the inode as it is).
    fn getattr(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `permission` (regular files), for `MAY_WRITE` (every open for
    /// writing and `access(W_OK)`), before the mode bits, which the layer
    /// checks next: EROFS for a file the file system holds read-only. May
    /// block (never called in RCU walk). Left out: the mode bits only.
    fn permission(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `setattr`: whether `inode`'s size, owner, mode or times may change;
    /// if so, the VFS changes them in memory (`simple_setattr`), as it does
    /// when this is left out.
    fn setattr(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `fiemap` (regular files, `FS_IOC_FIEMAP`): reports the extents of
    /// `inode` that overlap `start..start + len` to `sink`, in file order
    /// (left out: EOPNOTSUPP).
    fn fiemap(
        _info: &Self::Info,
        _inode: Inode<'_, Self>,
        _start: u64,
        _len: u64,
        _sink: &mut FiemapSink<'_>,
    ) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// `struct dentry_operations`.
#[vtable]
pub(crate) trait DentryOperations: InodeCache {
    /// `d_revalidate`, once a dentry's time is up: checks that `name` in
    /// `dir` still names `inode`; the new entry if so. Left out: dentries
    /// stay valid.
    fn d_revalidate(
        _info: &Self::Info,
        _dir: Inode<'_, Self>,
        _name: &[u8],
        _inode: Inode<'_, Self>,
    ) -> Result<Option<Entry>> {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// `struct file_operations`, of directories and regular files. Regular
/// files are fs-dax files: the layer moves their data through fs/dax.c
/// (with [`IomapOperations`]), and the file system's `read_iter`,
/// `write_iter`, `mmap` and `fsync` only say whether it may.
#[vtable]
pub(crate) trait FileOperations: FileSystem {
    /// `open` of `inode` (`O_*` flags, see [`open_flags`]); returns the
    /// file handle. Required: the slot also sets a dax file's modes.
    ///
    /// [`open_flags`]: super::open_flags
    fn open(info: &Self::Info, inode: Inode<'_, Self>, flags: u32) -> Result<u64>;

    /// `release`: the last close of a file opened with handle `fh`.
    fn release(_info: &Self::Info, _inode: Inode<'_, Self>, _fh: u64, _flags: u32) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `iterate_shared` (directories): emits the entries of `dir` (opened
    /// as `fh`) from `emitter.pos()` on, until the emitter is full or the
    /// end (left out: ENOTDIR).
    fn iterate_shared(
        _info: &Self::Info,
        _dir: Inode<'_, Self>,
        _fh: u64,
        _emitter: &mut DirEmitter<'_>,
    ) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `read_iter` (regular files): whether a read of `inode` may go ahead.
    fn read_iter(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `write_iter` (regular files): whether a write of `inode` may go
    /// ahead. The layer never extends a file.
    fn write_iter(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `mmap` (regular files): whether `inode` may be mapped; `sync` for
    /// `MAP_SYNC`, allowed only if every device its data lives on makes a
    /// written-back CPU store durable and the file system never needs a
    /// metadata update to make a fault durable.
    fn mmap(_info: &Self::Info, _inode: Inode<'_, Self>, _sync: bool) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }

    /// `fsync` (regular files), also `msync(MS_SYNC)` and synchronous
    /// writes: called after the layer wrote `inode`'s dirty entries back
    /// and fenced the stores; an error if its stores still cannot be made
    /// durable.
    fn fsync(_info: &Self::Info, _inode: Inode<'_, Self>) -> Result {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// `struct address_space_operations` of regular (fs-dax) files; the layer
/// fills `dirty_folio` (`noop_dirty_folio`, as every dax mapping).
#[vtable]
pub(crate) trait AddressSpaceOperations: FileSystem {
    /// `writepages`: the dax device whose cache flush writes back `inode`'s
    /// dirty entries (`None`: nothing to do); an error when its stores
    /// cannot be made durable (writeback fails with it, kept on the
    /// mapping). Left out: nothing is written back.
    fn writepages<'a>(_info: &'a Self::Info, _inode: Inode<'_, Self>) -> Result<Option<&'a Claim>> {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// `struct iomap_ops` of regular files, and the page faults that use it
/// (`struct vm_operations_struct`, filled by the layer).
#[vtable]
pub(crate) trait IomapOperations: FileSystem {
    /// `iomap_begin`: where file offset `pos` of regular file `inode`
    /// lives, from state cached on the inode, never asking a server.
    /// `None` at or past the end of the file (reads).
    fn iomap_begin<'a>(
        info: &'a Self::Info,
        inode: Inode<'_, Self>,
        pos: u64,
        write: bool,
    ) -> Result<Option<DaxExtent<'a>>>;

    /// A page fault of `order` (`huge_fault`) on a file of this mount
    /// ended so, for the counters.
    fn fault_done(_info: &Self::Info, _order: u32, _outcome: FaultOutcome) {
        kernel::build_error!(kernel::error::VTABLE_DEFAULT_ERROR)
    }
}

/// Every table of a file system: what registering it, and making its
/// inodes, takes.
pub(crate) trait Operations:
    SuperOperations
    + InodeOperations
    + DentryOperations
    + FileOperations
    + AddressSpaceOperations
    + IomapOperations
{
}

impl<T> Operations for T where
    T: SuperOperations
        + InodeOperations
        + DentryOperations
        + FileOperations
        + AddressSpaceOperations
        + IomapOperations
{
}
