// SPDX-License-Identifier: GPL-2.0

//! One famfs mount: its FUSE client and what famfs adds to it (GET_FMAP
//! and GET_DAXDEV, the map checks, the daxdev table, the mapped device
//! ranges, fencing, fault and store counters), as fs/fuse/famfs.c is to
//! fs/fuse upstream.

#![forbid(unsafe_code)]

use super::coalesce::Coalescer;
use super::counters::{self, bump, Counters};
use super::daxtable::{DaxEntry, DaxTable, DeviceRef, Fence};
use super::inode::{CachedMap, InodeState};
use super::mapped::{Conflict, FileFence, MappedRanges, Refusal};
use super::meta_files::MetaFiles;
use crate::core_logic::famfs_core::abi::{Opcode, FUSE_DAX_FMAP, ROOT_ID};
use crate::core_logic::famfs_core::fmap::{FmapError, FmapRef};
use crate::core_logic::famfs_core::wire::{encode_get_daxdev, encode_request, Pending, ReplyBody};
use crate::fuse::connection::Connection;
use crate::fuse::Client;
use crate::kapi::cred;
use crate::kapi::debugfs::DebugDir;
use crate::kapi::errno::eopnotsupp;
use crate::kapi::fsdax::Claim;
use crate::kapi::log;
use crate::kapi::once::OnceBox;
use crate::kapi::vec;
use crate::kapi::vfs::{
    DaxExtent, DirEmitter, Entry, FaultOutcome, FiemapSink, InodeAttr, StatFs, SuperRef,
};
use kernel::prelude::*;
use kernel::sync::Arc;

/// FUSE's node id of the root directory.
pub(crate) const ROOT_NODEID: u64 = ROOT_ID;

/// What the module offers at INIT beyond FUSE: to a daemon that may do raw
/// I/O, the famfs extension (GET_FMAP and GET_DAXDEV, for the dax data
/// path). File maps point at raw device memory, so, as upstream famfs,
/// only a daemon with `CAP_SYS_RAWIO` is offered it; another mounts
/// without dax.
fn extensions() -> u64 {
    if cred::may_raw_io() {
        FUSE_DAX_FMAP
    } else {
        0
    }
}

/// Why a map was refused by the superblock and log area's rules.
fn placement_error(e: FmapError) -> &'static str {
    match e {
        FmapError::InMetaArea => "it maps the superblock and log area (device 0 below the log's end)",
        FmapError::WrongFileType => "its file type is not the file's (only .meta/.superblock and .meta/.log map the superblock and the log)",
        _ => "a .meta file's map leaves the superblock and log area",
    }
}

/// One famfs mount.
pub(crate) struct Mount {
    /// First, so that a mount that goes closes the connection before
    /// anything else of it goes (`Client`'s drop).
    client: Client,
    counters: Arc<Counters>,
    /// debugfs `famfs_rs/MAJ:MIN/`, removed at `put_super` (the name is
    /// the anonymous device number, freed before the mount state).
    counters_dir: Option<DebugDir>,
    /// The devices the files live on.
    daxdevs: DaxTable,
    /// The device ranges of the files with maps.
    mapped: Arc<MappedRanges>,
    /// What fencing one of the devices needs.
    fence: Fence,
    /// The `.meta` files and the area they map, once asked for.
    meta: OnceBox<MetaFiles>,
    /// The GET_FMAPs in flight, by node id.
    fmap_loads: Coalescer,
}

impl Mount {
    /// Claims `connection` and does the INIT handshake, for super block
    /// `sb` (device number `dev`), with counters under `debug_root`. On
    /// failure the connection is shut down, so the daemon's reads end with
    /// ENODEV.
    pub(crate) fn start(
        connection: Arc<Connection>,
        sb: SuperRef,
        dev: (u32, u32),
        debug_root: Option<&DebugDir>,
    ) -> Result<Self> {
        let client = Client::init(connection, extensions())?;
        if !client.params().famfs() {
            pr_info!("the daemon declined FUSE_DAX_FMAP: no dax data path on this mount\n");
        }
        // On failure the client goes, and closes the connection.
        Self::with(client, sb, dev, debug_root)
    }

    /// The state of a mount whose INIT went through.
    fn with(
        client: Client,
        sb: SuperRef,
        dev: (u32, u32),
        debug_root: Option<&DebugDir>,
    ) -> Result<Self> {
        let counters = Arc::new(Counters::default(), GFP_KERNEL)?;
        let mapped = MappedRanges::new()?;
        Ok(Self {
            counters_dir: counters::publish(debug_root, dev, &client, &counters),
            client,
            counters: counters.clone(),
            daxdevs: DaxTable::new()?,
            fence: Fence {
                files: mapped.clone(),
                sb,
                counters: counters.clone(),
            },
            mapped,
            meta: OnceBox::new(),
            fmap_loads: Coalescer::new()?,
        })
    }

    /// Whether the daemon accepted the famfs extension.
    pub(crate) fn famfs(&self) -> bool {
        self.client.params().famfs()
    }

    /// LOOKUP of `name` in directory `parent` (the map a reply may carry
    /// is checked at open, as a GET_FMAP reply's).
    pub(crate) fn lookup(&self, parent: u64, name: &[u8]) -> Result<Option<Entry>> {
        self.client.lookup(parent, name)
    }

    /// GETATTR of node `ino`.
    pub(crate) fn getattr(&self, ino: u64) -> Result<(InodeAttr, u64)> {
        self.client.getattr(ino)
    }

    /// OPEN or OPENDIR of node `ino`.
    pub(crate) fn open(&self, ino: u64, dir: bool, flags: u32) -> Result<u64> {
        self.client.open(ino, dir, flags)
    }

    /// RELEASE or RELEASEDIR of handle `fh`.
    pub(crate) fn release(&self, ino: u64, dir: bool, fh: u64, flags: u32) {
        self.client.release(ino, dir, fh, flags)
    }

    /// READDIR of directory `ino` (handle `fh`) into `emitter`.
    pub(crate) fn readdir(&self, ino: u64, fh: u64, emitter: &mut DirEmitter<'_>) -> Result {
        self.client.readdir(ino, fh, emitter)
    }

    /// STATFS.
    pub(crate) fn statfs(&self) -> Result<StatFs> {
        self.client.statfs()
    }

    /// Gives back `n` lookups of node `ino`.
    pub(crate) fn forget(&self, ino: u64, n: u64) {
        self.client.forget(ino, n)
    }

    /// Makes sure regular file `ino` (of `size` bytes, even 0) has its map:
    /// GET_FMAP, then GET_DAXDEV for each device the map names that the
    /// table does not hold yet, and the map's extents checked against the
    /// devices' sizes. The map is then cached on the inode for every later
    /// access, and the file recorded for fencing its devices. One GET_FMAP
    /// per file is in flight: concurrent openers wait (killably) for it.
    /// EIO for a file whose map covers poisoned bytes (fenced).
    pub(crate) fn load_fmap(&self, state: &InodeState, ino: u64, size: u64) -> Result {
        if state.fmap().is_some() {
            return if state.fenced() { Err(EIO) } else { Ok(()) };
        }
        if !self.famfs() {
            return Err(eopnotsupp());
        }
        self.fmap_loads.run(
            ino,
            || state.has_fmap(),
            || self.fetch_fmap(state, ino, size),
        )
    }

    /// The map a LOOKUP reply carried, or else GET_FMAP of `ino`, and what
    /// `load_fmap` does with it.
    fn fetch_fmap(&self, state: &InodeState, ino: u64, size: u64) -> Result {
        if let Some(offered) = state.offered() {
            // Parsed in full when the LOOKUP reply came.
            if let Ok(fmap) = FmapRef::reopen(&offered.bytes) {
                bump(&self.counters.lookup_fmaps);
                return self.install_fmap(state, ino, size, &fmap, &offered.fence, None);
            }
        }
        bump(&self.counters.fmaps);
        let reply = self
            .client
            .call(Pending::GetFmap, Opcode::GetFmap, ino, |b, h| {
                encode_request(b, h, &(), &[])
            })?;
        let ReplyBody::Fmap(fmap) = reply.body()? else {
            return Err(EIO);
        };
        // Copied before the range lock: nothing allocates under it.
        let fence = FileFence::new()?;
        let map = CachedMap {
            bytes: vec::copied(fmap.as_bytes())?,
            fence: fence.clone(),
        };
        let map = KBox::new(map, GFP_KERNEL)?;
        self.install_fmap(state, ino, size, &fmap, &fence, Some(map))
    }

    /// Checks a map the core accepted against the mount (the file's size,
    /// its devices, other files' bytes) and makes it the file's: `copied`
    /// (a GET_FMAP reply's copy), or with `None` the one its LOOKUP reply
    /// offered; `fence` is the one that map carries. A map that fails is a
    /// bad reply (EIO).
    fn install_fmap(
        &self,
        state: &InodeState,
        ino: u64,
        size: u64,
        fmap: &FmapRef<'_>,
        fence: &Arc<FileFence>,
        copied: Option<KBox<CachedMap>>,
    ) -> Result {
        if fmap.file_size() != size {
            self.log_bad_fmap(ino, "its size differs from the file's");
            return Err(EIO);
        }
        let meta = self.meta_files()?;
        if let Err(e) = meta.area().check(fmap, meta.role(ino)) {
            self.log_bad_fmap(ino, placement_error(e));
            return Err(EIO);
        }
        for index in fmap.devices() {
            let dev = self.daxdev(index)?;
            if fmap.check_device_bounds(index, dev.size()).is_err() {
                self.log_bad_fmap(ino, "an extent ends beyond its device");
                return Err(EIO);
            }
        }
        let mut copied = copied;
        let claimed = self.mapped.claim(
            ino,
            fmap,
            fence,
            || state.has_fmap(),
            || match copied.take() {
                Some(m) => state.publish_fmap(m),
                None => state.publish_offered(),
            },
        )?;
        match claimed {
            // Fenced between another opener's claim and now.
            Ok(()) if state.fenced() => Err(EIO),
            Ok(()) => Ok(()),
            Err(Refusal::Overlap(c)) => {
                self.refuse_overlap(ino, c);
                Err(EIO)
            }
            Err(Refusal::Poisoned { devindex, range }) => {
                bump(&self.counters.poisoned_opens);
                if log::ratelimit_ok() {
                    pr_err!(
                        "node {}: its map covers failed bytes {:#x}..{:#x} of device {}: fenced, open refused\n",
                        ino,
                        range.0,
                        range.1,
                        devindex
                    );
                }
                Err(EIO)
            }
        }
    }

    /// The `.meta` files, asked for the first time a map is needed.
    fn meta_files(&self) -> Result<&MetaFiles> {
        if let Some(m) = self.meta.get() {
            return Ok(m);
        }
        let found = MetaFiles::discover(|p, n| self.lookup(p, n), |ino| self.forget(ino, 1))?;
        // A racing opener may have set it first: either is the same.
        let _ = self.meta.set(KBox::new(found, GFP_KERNEL)?);
        self.meta.get().ok_or(EIO)
    }

    /// A map that shares device bytes with another file's: a bad reply.
    fn refuse_overlap(&self, ino: u64, c: Conflict) {
        self.client.count_bad_reply();
        if log::ratelimit_ok() {
            pr_warn!(
                "node {}: its map overlaps node {}'s bytes {:#x}..{:#x} on device {}: refused\n",
                ino,
                c.ino,
                c.range.0,
                c.range.1,
                c.devindex
            );
        }
    }

    /// EIO (and a bad reply counted) if the file's map is cached and a
    /// reply gives the file another size than the map's.
    pub(crate) fn check_size(&self, state: &InodeState, ino: u64, size: u64) -> Result {
        let Some(fmap) = state.fmap() else {
            return Ok(());
        };
        if fmap.file_size() == size {
            return Ok(());
        }
        self.client.count_bad_reply();
        if log::ratelimit_ok() {
            pr_warn!(
                "node {}: a reply changes its size from {} to {} under its cached map: refused\n",
                ino,
                fmap.file_size(),
                size
            );
        }
        Err(EIO)
    }

    fn log_bad_fmap(&self, ino: u64, why: &str) {
        self.client.count_bad_reply();
        if log::ratelimit_ok() {
            pr_warn!("the map of node {}: {}\n", ino, why);
        }
    }

    /// The table entry of device `index`, asking the daemon for its name
    /// (GET_DAXDEV) and claiming it the first time.
    fn daxdev(&self, index: u32) -> Result<&DaxEntry> {
        self.daxdevs.fill(index, &self.fence, |index| {
            bump(&self.counters.daxdev_gets);
            let pending = Pending::GetDaxdev {
                index: u64::from(index),
                with_dev: self.client.params().daxdev_by_number(),
            };
            let reply =
                self.client
                    .call(pending, Opcode::GetDaxdev, u64::from(index), |b, h| {
                        encode_get_daxdev(b, h.unique, index)
                    })?;
            let ReplyBody::Daxdev(d) = reply.body()? else {
                return Err(EIO);
            };
            let name = vec::copied(d.name)?;
            if d.dev.is_some() {
                bump(&self.counters.daxdev_by_number);
            }
            Ok(DeviceRef {
                name,
                number: d.dev,
            })
        })
    }

    /// Where offset `pos` of a file lives (`iomap_begin`): from the cached
    /// map and the published table only. Past the end of the file, `None`
    /// for a read (a hole: nothing more to read) and EIO for a write
    /// (fs/dax.c cannot write a hole; the write checks keep writes inside
    /// the file, so only a size that moved under the map gets here).
    pub(crate) fn resolve(
        &self,
        state: &InodeState,
        pos: u64,
        write: bool,
    ) -> Result<Option<DaxExtent<'_>>> {
        let fmap = state.fmap().ok_or(EIO)?;
        if state.fenced() {
            return Err(EIO);
        }
        if pos >= fmap.file_size() {
            return if write { Err(EIO) } else { Ok(None) };
        }
        let r = fmap.resolve(pos).map_err(|_| EIO)?;
        let dev = self.daxdevs.get(r.devindex).ok_or(EIO)?;
        if dev.fenced() {
            return Err(EIO);
        }
        Ok(Some(DaxExtent {
            addr: r.dev_offset,
            len: r.len,
            device: dev.claim(),
        }))
    }

    /// EIO if the file is fenced, has no map (`size` > 0), or one of its
    /// devices is fenced.
    pub(crate) fn check_io(&self, state: &InodeState, size: u64) -> Result {
        if state.fenced() {
            return Err(EIO);
        }
        if size == 0 {
            return Ok(());
        }
        let fmap = state.fmap().ok_or(EIO)?;
        for index in fmap.devices() {
            if self.daxdevs.get(index).map_or(true, DaxEntry::fenced) {
                return Err(EIO);
            }
        }
        Ok(())
    }

    /// The first device of the file, whose flush writes back its entries
    /// (`None`: no map, nothing to write back). EIO when the file or one
    /// of its devices is fenced: its stores cannot be made durable (and
    /// its pages may be unmapped from the kernel: nothing is flushed).
    pub(crate) fn writeback_device(&self, state: &InodeState) -> Result<Option<&Claim>> {
        let Some(fmap) = state.fmap() else {
            return Ok(None);
        };
        if state.fenced() {
            return Err(EIO);
        }
        let mut first = None;
        for index in fmap.devices() {
            match self.daxdevs.get(index) {
                Some(dev) if !dev.fenced() => {
                    first.get_or_insert(dev.claim());
                }
                _ => return Err(EIO),
            }
        }
        Ok(first)
    }

    /// Counts a store fence (a synchronous write, fsync or msync).
    pub(crate) fn store_fenced(&self) {
        bump(&self.counters.store_fences);
    }

    /// Whether every device of the file makes a written-back CPU store
    /// durable (`MAP_SYNC`; famfs maps never change, so a fault needs no
    /// metadata made durable).
    pub(crate) fn sync_faults_supported(&self, state: &InodeState) -> bool {
        let Some(fmap) = state.fmap() else {
            return false;
        };
        fmap.devices().all(|index| {
            self.daxdevs
                .get(index)
                .is_some_and(|dev| dev.claim().is_synchronous())
        })
    }

    /// Reports the runs of the file that overlap `start..start + len` to
    /// `sink`, in file order: each extent, each interleaved chunk, with its
    /// offset on its device.
    pub(crate) fn fiemap(
        &self,
        state: &InodeState,
        start: u64,
        len: u64,
        sink: &mut FiemapSink<'_>,
    ) -> Result {
        let Some(fmap) = state.fmap() else {
            return Ok(());
        };
        let end = start.saturating_add(len);
        let mut runs = fmap
            .mappings()
            .filter(|m| m.logical < end && start < m.logical.saturating_add(m.len))
            .peekable();
        while let Some(m) = runs.next() {
            let last = runs.peek().is_none() && m.logical.saturating_add(m.len) >= fmap.file_size();
            if !sink.extent(m.logical, m.dev_offset, m.len, last)? {
                break;
            }
        }
        Ok(())
    }

    /// Counts a fault.
    pub(crate) fn fault_done(&self, order: u32, outcome: FaultOutcome) {
        let c = &self.counters;
        bump(match (outcome, order) {
            (FaultOutcome::Error, _) => &c.fault_errors,
            (FaultOutcome::Fallback, _) => &c.fault_fallbacks,
            (FaultOutcome::Mapped, 0) => &c.faults_pte,
            (FaultOutcome::Mapped, _) => &c.faults_pmd,
        });
    }

    /// Waits, killably, until no page of file `ino`'s map is held beyond
    /// its dax entries (EINTR when killed).
    // Called only where eviction does not break the layout itself.
    #[cfg_attr(famfs_rs_dax_break_layout, allow(dead_code))]
    pub(crate) fn wait_pages_let_go(&self, ino: u64, state: &InodeState) -> Result {
        let Some(fmap) = state.fmap() else {
            return Ok(());
        };
        for piece in fmap.pieces() {
            if let Some(dev) = self.daxdevs.get(piece.devindex) {
                dev.claim()
                    .wait_pages_let_go(piece.offset, piece.len, ino)?;
            }
        }
        Ok(())
    }

    /// Inode `ino` leaves memory (with `state`).
    pub(crate) fn evicted(&self, ino: u64, state: &InodeState) {
        if let Some(fmap) = state.fmap() {
            self.mapped.release(ino, &fmap);
        }
    }

    /// DESTROY at unmount (`put_super`: every inode is gone); then the
    /// daemon's reads end with ENODEV.
    pub(crate) fn destroy(&mut self) {
        self.client.destroy();
        // The devices go back before the daemon (which gives them back to
        // device_dax when its reads end) is told.
        self.daxdevs.release_all();
        // Named after the anonymous device number, which is freed before
        // the mount state: go first.
        self.counters_dir = None;
        self.client.close();
    }
}
