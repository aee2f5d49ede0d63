// SPDX-License-Identifier: GPL-2.0

//! The famfs file system type: mounts served by a daemon over a control
//! device connection.

#![forbid(unsafe_code)]

use super::inode::InodeState;
use super::mount::{Mount, ROOT_NODEID};
use crate::core_logic::famfs_core::abi::{
    abi_str, FAMFS_RS_FS_TYPE, FAMFS_RS_OPT_FD, FAMFS_RS_OPT_GROUP_ID, FAMFS_RS_OPT_ROOTMODE,
    FAMFS_RS_OPT_USER_ID, FAMFS_RS_STATFS_MAGIC,
};
use crate::fuse::connection::{self, ControlDevice};
use crate::kapi::debugfs::DebugDir;
use crate::kapi::errno::eopnotsupp;
use crate::kapi::fsdax::Claim;
use crate::kapi::vfs::open_flags::{O_ACCMODE, O_RDONLY};
use crate::kapi::vfs::{
    self, AddressSpaceOperations, DaxExtent, DentryOperations, DirEmitter, Entry, FaultOutcome,
    FiemapSink, FileOperations, FileSystem, Inode, InodeAttr, InodeCache, InodeOperations,
    IomapOperations, NewSuper, StatFs, SuperOperations, SuperRef,
};
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::ThisModule;

/// What the famfs type has while it is registered: the control device the
/// daemons open, and the debugfs directory of the mounts' counters
/// (`famfs_rs/`, `None` without debugfs).
pub(crate) struct FamfsType {
    control: ControlDevice,
    debug_root: Option<DebugDir>,
}

impl FamfsType {
    /// Registers the control device and makes the debugfs directory.
    pub(crate) fn new(module: &'static ThisModule) -> Result<Self> {
        Ok(Self {
            control: ControlDevice::register(module)?,
            debug_root: DebugDir::new(Famfs::NAME, None),
        })
    }
}

/// Mount options, all required as for FUSE: `fd`, `rootmode`, `user_id`,
/// `group_id`.
#[derive(Default)]
pub(crate) struct MountOptions {
    fd: Option<u32>,
    rootmode: Option<u32>,
    user_id: Option<u32>,
    group_id: Option<u32>,
}

/// Parses an unsigned number in `radix`, as mount(8) passes it.
fn parse_u32(value: Option<&[u8]>, radix: u32) -> Result<u32> {
    let bytes = value.ok_or(EINVAL)?;
    if bytes.is_empty() {
        return Err(EINVAL);
    }
    let mut n: u32 = 0;
    for &b in bytes {
        let digit = (b as char).to_digit(radix).ok_or(EINVAL)?;
        n = n
            .checked_mul(radix)
            .and_then(|n| n.checked_add(digit))
            .ok_or(EINVAL)?;
    }
    Ok(n)
}

/// The famfs file system type.
pub(crate) struct Famfs;

impl FileSystem for Famfs {
    const NAME: &'static CStr = crate::kapi::c_str(FAMFS_RS_FS_TYPE);
    /// As upstream's fuse-based famfs, so that upstream's tools see famfs.
    const MAGIC: u64 = FAMFS_RS_STATFS_MAGIC as u64;
    type TypeData = FamfsType;
    type Options = MountOptions;
    type Info = Mount;
    type InodeData = InodeState;

    fn parse(options: &mut MountOptions, key: &[u8], value: Option<&[u8]>) -> Result {
        let slot = if key == abi_str(FAMFS_RS_OPT_FD) {
            &mut options.fd
        } else if key == abi_str(FAMFS_RS_OPT_ROOTMODE) {
            options.rootmode = Some(parse_u32(value, 8)?);
            return Ok(());
        } else if key == abi_str(FAMFS_RS_OPT_USER_ID) {
            &mut options.user_id
        } else if key == abi_str(FAMFS_RS_OPT_GROUP_ID) {
            &mut options.group_id
        } else {
            return Err(vfs::unknown_option());
        };
        *slot = Some(parse_u32(value, 10)?);
        Ok(())
    }

    fn fill_super(
        ty: &FamfsType,
        options: MountOptions,
        sb: SuperRef,
        dev: (u32, u32),
    ) -> Result<NewSuper<Mount, InodeState>> {
        let (Some(fd), Some(rootmode), Some(uid), Some(gid)) = (
            options.fd,
            options.rootmode,
            options.user_id,
            options.group_id,
        ) else {
            pr_err!("mount needs fd=, rootmode=, user_id= and group_id=\n");
            return Err(EINVAL);
        };
        if rootmode & vfs::S_IFMT != vfs::S_IFDIR {
            pr_err!("rootmode {:o} is not a directory\n", rootmode);
            return Err(EINVAL);
        }
        let connection = ty.control.connection(fd).inspect_err(|_| {
            pr_err!("fd={} is not an open /dev/{}\n", fd, connection::NAME);
        })?;
        let mount = Mount::start(connection, sb, dev, ty.debug_root.as_ref())?;
        let root = InodeAttr {
            ino: ROOT_NODEID,
            mode: rootmode,
            uid,
            gid,
            nlink: 2,
            ..Default::default()
        };
        Ok((mount, root, InodeState::new_expired()?))
    }
}

/// FUSE's lookup counting: every entry a reply gave is counted until the
/// inode goes (FORGET).
impl InodeCache for Famfs {
    fn new_inode(_mount: &Mount, _entry: &Entry) -> Result<KBox<InodeState>> {
        InodeState::new_expired()
    }

    fn found(inode: Inode<'_, Self>, entry: &Entry) {
        inode.data().looked_up(entry.attr_expiry);
        inode.data().offer_fmap(entry.payload.take());
    }

    fn lookup_failed(mount: &Mount, ino: u64) {
        mount.forget(ino, 1);
    }

    /// Once a file's map is cached, its size is the map's for the life of
    /// the inode: a reply that says otherwise is a bad reply (EIO). A size
    /// that moved under a cached map would send writes past the map.
    fn check_update(mount: &Mount, inode: Inode<'_, Self>, attr: &InodeAttr) -> Result {
        mount.check_size(inode.data(), inode.ino(), attr.size)
    }
}

#[vtable]
impl SuperOperations for Famfs {
    fn statfs(mount: &Mount) -> Result<StatFs> {
        mount.statfs()
    }

    fn evict_inode(mount: &Mount, ino: u64, data: KBox<InodeState>, unmounting: bool) {
        mount.evicted(ino, &data);
        let n = data.lookups();
        if n > 0 && !unmounting {
            mount.forget(ino, n);
        }
    }

    fn wait_pages_let_go(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        mount.wait_pages_let_go(inode.ino(), inode.data())
    }

    fn put_super(mount: &mut Mount) {
        mount.destroy();
    }
}

#[vtable]
impl InodeOperations for Famfs {
    fn lookup(mount: &Mount, dir: Inode<'_, Self>, name: &[u8]) -> Result<Option<Entry>> {
        mount.lookup(dir.ino(), name)
    }

    fn getattr(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        if inode.data().attr_fresh() {
            return Ok(());
        }
        let (attr, expiry) = mount.getattr(inode.ino())?;
        inode.update(&attr)?;
        inode.data().refreshed(expiry);
        Ok(())
    }

    /// A file the map says is read-only on this host is not writable
    /// (EROFS, even for root), as `open` says: the map is fetched for it
    /// if it is not cached yet (what the open would do next anyway).
    fn permission(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        mount.load_fmap(inode.data(), inode.ino(), inode.size())?;
        if inode.data().read_only() {
            return Err(EROFS);
        }
        Ok(())
    }

    /// famfs files never change size, owner, mode or times (EPERM): the log
    /// is the only truth, and it is append-only.
    fn setattr(_mount: &Mount, _inode: Inode<'_, Self>) -> Result {
        Err(EPERM)
    }

    fn fiemap(
        mount: &Mount,
        inode: Inode<'_, Self>,
        start: u64,
        len: u64,
        sink: &mut FiemapSink<'_>,
    ) -> Result {
        mount.fiemap(inode.data(), start, len, sink)
    }
}

#[vtable]
impl DentryOperations for Famfs {
    fn d_revalidate(
        mount: &Mount,
        dir: Inode<'_, Self>,
        name: &[u8],
        _inode: Inode<'_, Self>,
    ) -> Result<Option<Entry>> {
        mount.lookup(dir.ino(), name)
    }
}

#[vtable]
impl FileOperations for Famfs {
    /// OPEN (or OPENDIR); a regular file also gets its map now, so that no
    /// later read, write or fault needs the daemon. A file the map says is
    /// read-only on this host does not open for writing (EROFS, even for
    /// root): without a writable open there is no write() and no writable
    /// shared mapping.
    fn open(mount: &Mount, inode: Inode<'_, Self>, flags: u32) -> Result<u64> {
        let fh = mount.open(inode.ino(), inode.is_dir(), flags)?;
        if !inode.is_dir() {
            let writing = flags & O_ACCMODE != O_RDONLY;
            let loaded = mount.load_fmap(inode.data(), inode.ino(), inode.size());
            let refused = match loaded {
                Ok(()) if writing && inode.data().read_only() => Some(EROFS),
                Ok(()) => None,
                Err(e) => Some(e),
            };
            if let Some(e) = refused {
                mount.release(inode.ino(), false, fh, flags);
                return Err(e);
            }
        }
        Ok(fh)
    }

    fn release(mount: &Mount, inode: Inode<'_, Self>, fh: u64, flags: u32) {
        mount.release(inode.ino(), inode.is_dir(), fh, flags);
    }

    fn iterate_shared(
        mount: &Mount,
        dir: Inode<'_, Self>,
        fh: u64,
        emitter: &mut DirEmitter<'_>,
    ) -> Result {
        mount.readdir(dir.ino(), fh, emitter)
    }

    fn read_iter(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        mount.check_io(inode.data(), inode.size())
    }

    fn write_iter(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        mount.check_io(inode.data(), inode.size())
    }

    /// MAP_SYNC only if the file's devices make a written-back store
    /// durable (famfs faults never need a metadata update).
    fn mmap(mount: &Mount, inode: Inode<'_, Self>, sync: bool) -> Result {
        mount.check_io(inode.data(), inode.size())?;
        if sync && !mount.sync_faults_supported(inode.data()) {
            return Err(eopnotsupp());
        }
        Ok(())
    }

    /// Counts the store fence; a fenced file is not durable (EIO).
    fn fsync(mount: &Mount, inode: Inode<'_, Self>) -> Result {
        mount.store_fenced();
        mount.check_io(inode.data(), inode.size())
    }
}

#[vtable]
impl AddressSpaceOperations for Famfs {
    fn writepages<'a>(mount: &'a Mount, inode: Inode<'_, Self>) -> Result<Option<&'a Claim>> {
        mount.writeback_device(inode.data())
    }
}

#[vtable]
impl IomapOperations for Famfs {
    fn iomap_begin<'a>(
        mount: &'a Mount,
        inode: Inode<'_, Self>,
        pos: u64,
        write: bool,
    ) -> Result<Option<DaxExtent<'a>>> {
        mount.resolve(inode.data(), pos, write)
    }

    fn fault_done(mount: &Mount, order: u32, outcome: FaultOutcome) {
        mount.fault_done(order, outcome);
    }
}
