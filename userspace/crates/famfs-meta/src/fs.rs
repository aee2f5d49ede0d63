// SPDX-License-Identifier: GPL-2.0
//! A famfs file system opened for use: replayed, with its allocator, able
//! to create files and directories (on the master) and to move file data.

use std::path::Path;
use std::sync::Arc;

use famfs_omf::{
    FileCreation, LogRecord, MkdirRecord, OmfSuperblock, SbRole, ALLOC_UNIT, LOG_LEN_DEFAULT,
};
use uuid::Uuid;
use zerocopy::IntoBytes;

use crate::alloc::{AllocError, Allocator, InterleaveParams};
use crate::device::DaxDevice;
use crate::media::Media;
use crate::namespace::{normalize_path, split_parent, Ino, Namespace, Node, NodeKind};
use crate::replay::{Applied, DaxdevInfo, Replay};
use crate::stitched::Stitched;
use crate::store::{read_superblock, LogLock, MetaStore};
use crate::MetaError;

/// `fm_flags` upstream writes for ordinary files: every host may read and
/// write them.
pub const FM_ALL_HOSTS_RW: u32 = 2;
/// `fm_flags` of a file every host may only read (upstream defines it and
/// never writes it; `famfs creat --read-only` does, through
/// [`Txn::creat_with_flags`]). famfs_rs.ko refuses to open such a file for
/// writing, on every host.
pub const FM_ALL_HOSTS_RO: u32 = 1;

/// Owner and permissions of a new file or directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attrs {
    pub mode: u32,
    pub uid: u32,
    pub gid: u32,
}

/// How a new file's space is laid out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Layout {
    /// One extent if possible (up to 16 otherwise) on the given device.
    Simple { devindex: u32 },
    /// Strip `i` on device `devices[i % devices.len()]`, the strips of a
    /// device in distinct buckets of it.
    Interleaved {
        devices: Vec<u32>,
        params: InterleaveParams,
    },
}

impl Layout {
    /// The device indexes the layout puts data on.
    pub fn devices(&self) -> &[u32] {
        match self {
            Layout::Simple { devindex } => std::slice::from_ref(devindex),
            Layout::Interleaved { devices, .. } => devices,
        }
    }
}

impl Default for Layout {
    fn default() -> Self {
        Layout::Simple { devindex: 0 }
    }
}

/// Everything but the store (split so a transaction can borrow both).
struct State {
    sb: OmfSuperblock,
    replay: Replay,
    alloc: Allocator,
    /// Data access per device index; `None` where the device is not open.
    devices: Vec<Option<Arc<dyn Media>>>,
    host: Uuid,
    /// Mounted: no device is mapped; every device the log names stands
    /// in with its size only (for the allocator), data goes through the
    /// mounted files.
    sizes_only: bool,
}

/// An open famfs file system.
pub struct Famfs {
    store: MetaStore,
    st: State,
}

/// Options of [`mkfs`].
#[derive(Clone, Debug)]
pub struct MkfsOptions {
    pub log_len: u64,
    /// Overwrite an existing famfs file system.
    pub force: bool,
    /// This host: becomes the master.
    pub host: Uuid,
    /// Device name recorded in the superblock (informational).
    pub dev_name: String,
}

impl MkfsOptions {
    /// Defaults: 8 MiB log, no force.
    pub fn new(host: Uuid, dev_name: &str) -> Self {
        MkfsOptions {
            log_len: LOG_LEN_DEFAULT,
            force: false,
            host,
            dev_name: dev_name.to_owned(),
        }
    }
}

/// Format `whole` (a whole device): an empty log, then the superblock, so
/// an interrupted mkfs leaves no valid superblock behind.
pub fn mkfs(whole: &dyn Media, opts: &MkfsOptions) -> Result<OmfSuperblock, MetaError> {
    let name = whole.name();
    let invalid = |msg: String| MetaError::Invalid {
        media: name.clone(),
        msg,
    };
    if famfs_omf::log_slots(opts.log_len) == 0
        || opts.log_len < LOG_LEN_DEFAULT
        || !opts.log_len.is_power_of_two()
    {
        return Err(invalid(format!(
            "log length {:#x} must be a power of two of at least 8 MiB",
            opts.log_len
        )));
    }
    let size = whole.len() - whole.len() % ALLOC_UNIT;
    let need = famfs_omf::LOG_OFFSET + opts.log_len + ALLOC_UNIT;
    if size < need {
        return Err(invalid(format!(
            "too small: {size:#x} bytes, a famfs with a {:#x}-byte log needs at least {need:#x}",
            opts.log_len
        )));
    }
    if !opts.force && read_superblock(whole).is_ok() {
        return Err(MetaError::AlreadyFormatted { device: name });
    }
    // Invalidate first: nobody may trust the old log while we rewrite it.
    kill_superblock(whole)?;
    let zero = vec![0u8; 1 << 20];
    let log_off = famfs_omf::LOG_OFFSET;
    let mut done = 0;
    while done < opts.log_len {
        let n = (opts.log_len - done).min(zero.len() as u64);
        whole.write_at(log_off + done, &zero[..n as usize])?;
        done += n;
    }
    let header = famfs_omf::OmfLogHeader::new(opts.log_len);
    whole.write_at(log_off, header.as_bytes())?;
    let sb = OmfSuperblock::new(
        SbRole::Primary,
        Uuid::new_v4(),
        Uuid::new_v4(),
        opts.host,
        size,
        &opts.dev_name,
        opts.log_len,
    );
    whole.write_at(0, sb.as_bytes())?;
    whole.sync()?;
    Ok(sb)
}

/// Destroy the superblock (mkfs `-k`): the device no longer holds famfs.
pub fn kill_superblock(whole: &dyn Media) -> Result<(), MetaError> {
    whole.write_at(0, &[0u8; size_of::<OmfSuperblock>()])?;
    whole.sync()
}

use core::mem::size_of;

impl Famfs {
    /// Open the file system on a device or image at `path`.
    pub fn open_path(path: &Path, writable: bool, host: Uuid) -> Result<Self, MetaError> {
        let dev = DaxDevice::open(path, writable)?;
        let store = MetaStore::on_device(&dev)?;
        Self::open(store, dev.map, host)
    }

    /// Open the file system whose metadata is `store` and whose primary
    /// device's data is `primary`; replays the whole log.
    pub fn open(store: MetaStore, primary: Arc<dyn Media>, host: Uuid) -> Result<Self, MetaError> {
        let sb = store.superblock()?;
        if sb.role() != SbRole::Primary {
            return Err(MetaError::Invalid {
                media: store.name().to_owned(),
                msg: "is a secondary device of a famfs; open the primary device".into(),
            });
        }
        let mut st = State {
            replay: Replay::new(&sb),
            sb,
            alloc: Allocator::new(&[], &[]),
            devices: vec![Some(primary)],
            host,
            sizes_only: false,
        };
        st.catch_up(&store)?;
        st.rebuild_alloc();
        Ok(Famfs { store, st })
    }

    /// Open a mounted file system whose metadata is `store` (the mount's
    /// `.meta` files): no device is mapped (the raw nodes belong to the
    /// kernel while mounted), each device stands in with the size the
    /// log gives it, and file data is read and written through the
    /// mounted files, not through [`Famfs::write_file`]/[`Famfs::read_file`].
    pub fn open_sizes_only(store: MetaStore, host: Uuid) -> Result<Self, MetaError> {
        let sb = store.superblock()?;
        let primary: Arc<dyn Media> = Arc::new(Stitched::absent(sb.dev_size(), store.name()));
        let mut fs = Self::open(store, primary, host)?;
        fs.st.sizes_only = true;
        fs.st.stand_in_devices();
        fs.st.rebuild_alloc();
        Ok(fs)
    }

    /// Make a secondary device's data reachable (matched by UUID, never by
    /// path). Returns its index.
    pub fn attach_device(&mut self, media: Arc<dyn Media>) -> Result<u32, MetaError> {
        let sb = read_superblock(media.as_ref())?;
        let invalid = |msg: String| MetaError::Invalid {
            media: media.name(),
            msg,
        };
        if sb.fs_uuid() != self.st.sb.fs_uuid() {
            return Err(invalid(format!(
                "belongs to file system {}, not {}",
                sb.fs_uuid(),
                self.st.sb.fs_uuid()
            )));
        }
        let d = self
            .st
            .replay
            .devices
            .iter()
            .find(|d| d.uuid == sb.dev_uuid())
            .ok_or_else(|| invalid(format!("device {} is not in the log", sb.dev_uuid())))?;
        let i = d.index;
        self.st.devices[i as usize] = Some(media);
        self.st.rebuild_alloc();
        Ok(i)
    }

    /// The primary superblock.
    pub fn superblock(&self) -> &OmfSuperblock {
        &self.st.sb
    }

    /// The metadata store.
    pub fn store(&self) -> &MetaStore {
        &self.store
    }

    /// Replay state: namespace, devices, findings.
    pub fn replay(&self) -> &Replay {
        &self.st.replay
    }

    /// The file tree.
    pub fn namespace(&self) -> &Namespace {
        &self.st.replay.ns
    }

    /// Data access to device `index`, if it is open here.
    pub fn device_media(&self, index: u64) -> Option<&Arc<dyn Media>> {
        self.st.devices.get(usize::try_from(index).ok()?)?.as_ref()
    }

    /// The allocator's view of free space.
    pub fn allocator(&self) -> &Allocator {
        &self.st.alloc
    }

    /// Device name for messages.
    pub fn name(&self) -> &str {
        self.store.name()
    }

    /// Whether this host is the master (may write the log).
    pub fn is_master(&self) -> bool {
        self.st.sb.system_uuid() == self.st.host
    }

    /// Replay entries appended since the last look (by any process).
    pub fn refresh(&mut self) -> Result<usize, MetaError> {
        let applied = self.st.catch_up(&self.store)?;
        Ok(applied.len())
    }

    /// Start a batch of log writes: refuses on a client, takes the append
    /// lock, then catches up with what others appended meanwhile.
    pub fn begin(&mut self) -> Result<Txn<'_>, MetaError> {
        if !self.is_master() {
            return Err(MetaError::NotMaster {
                device: self.store.name().to_owned(),
                host: self.st.host,
                master: self.st.sb.system_uuid(),
            });
        }
        let lock = self.store.lock()?;
        self.st.catch_up(&self.store)?;
        Ok(Txn {
            _lock: lock,
            store: &self.store,
            st: &mut self.st,
        })
    }

    /// Create a file of `size` bytes (one log entry).
    pub fn creat(
        &mut self,
        path: &str,
        size: u64,
        attrs: Attrs,
        layout: Layout,
    ) -> Result<Ino, MetaError> {
        self.begin()?.creat(path, size, attrs, layout)
    }

    /// Check, before creating anything, that the devices `layout` puts
    /// data on are in the log and reachable here (creat checks it too).
    pub fn check_layout(&self, path: &str, layout: &Layout) -> Result<(), MetaError> {
        self.st.check_layout(self.store.name(), path, layout)
    }

    /// Create a directory; with `parents`, also missing ancestors, and an
    /// existing directory is not an error.
    pub fn mkdir(&mut self, path: &str, attrs: Attrs, parents: bool) -> Result<Ino, MetaError> {
        self.begin()?.mkdir(path, attrs, parents)
    }

    /// Look up a file by path, or say which path is missing.
    pub fn file(&self, path: &str) -> Result<&Node, MetaError> {
        let node = self
            .namespace()
            .lookup(path)
            .ok_or_else(|| MetaError::NotFound {
                device: self.name().to_owned(),
                path: path.to_owned(),
            })?;
        if node.is_dir() {
            return Err(self.bad(path, "is a directory"));
        }
        Ok(node)
    }

    fn bad(&self, path: &str, msg: &str) -> MetaError {
        MetaError::BadRequest {
            device: self.name().to_owned(),
            path: path.to_owned(),
            msg: msg.to_owned(),
        }
    }

    /// Copy `data` into file `ino` at `offset` (within its size).
    pub fn write_file(&self, ino: Ino, offset: u64, data: &[u8]) -> Result<(), MetaError> {
        let mut pos = 0usize;
        self.file_io(
            ino,
            offset,
            data.len() as u64,
            false,
            |media, dev_off, len| {
                media.write_at(dev_off, &data[pos..pos + len])?;
                pos += len;
                Ok(())
            },
        )
    }

    /// Copy bytes of file `ino` at `offset` into `buf`.
    pub fn read_file(&self, ino: Ino, offset: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        let mut pos = 0usize;
        let len = buf.len() as u64;
        self.file_io(ino, offset, len, false, |media, dev_off, n| {
            media.read_at(dev_off, &mut buf[pos..pos + n])?;
            pos += n;
            Ok(())
        })
    }

    /// Zeroes what file `ino`'s allocation holds past its end: memory is
    /// not cleared when a file system is made again over it, and the page
    /// that holds a file's end shows the rest of that page through a
    /// mapping (as every file system, famfs shows zeros there).
    pub fn zero_past_end(&self, ino: Ino) -> Result<(), MetaError> {
        let Some(NodeKind::File { size, fmap, .. }) = self.namespace().get(ino).map(|n| &n.kind)
        else {
            return Ok(());
        };
        let (size, alloc) = (*size, fmap.data_bytes());
        let zeros = vec![0u8; alloc.saturating_sub(size).min(1 << 20) as usize];
        self.file_io(
            ino,
            size,
            alloc.saturating_sub(size),
            true,
            |media, dev_off, n| {
                let mut done = 0;
                while done < n {
                    let k = (n - done).min(zeros.len());
                    media.write_at(dev_off + done as u64, &zeros[..k])?;
                    done += k;
                }
                Ok(())
            },
        )
    }

    /// Walk the device pieces of file bytes `offset..offset+len` (up to
    /// the end of the file's allocation if `past_end`, else of the file).
    fn file_io(
        &self,
        ino: Ino,
        offset: u64,
        len: u64,
        past_end: bool,
        mut each: impl FnMut(&dyn Media, u64, usize) -> Result<(), MetaError>,
    ) -> Result<(), MetaError> {
        let node = self
            .namespace()
            .get(ino)
            .ok_or_else(|| MetaError::NotFound {
                device: self.name().to_owned(),
                path: format!("inode {ino}"),
            })?;
        let NodeKind::File { size, fmap, .. } = &node.kind else {
            return Err(self.bad(&node.path, "is a directory"));
        };
        let limit = if past_end { fmap.data_bytes() } else { *size };
        let end = offset
            .checked_add(len)
            .filter(|&e| e <= limit)
            .ok_or_else(|| {
                self.bad(
                    &node.path,
                    &format!("range {offset:#x}+{len:#x} is past its size {size:#x}"),
                )
            })?;
        let mut off = offset;
        while off < end {
            let (dev, dev_off, contig) = fmap
                .resolve(off)
                .ok_or_else(|| self.bad(&node.path, "fmap does not cover the file"))?;
            let media = usize::try_from(dev)
                .ok()
                .and_then(|d| self.st.devices.get(d)?.clone())
                .ok_or_else(|| {
                    self.bad(
                        &node.path,
                        &format!("its data is on device {dev}, which is not open"),
                    )
                })?;
            let n = contig.min(end - off);
            each(media.as_ref(), dev_off, n as usize)?;
            off += n;
        }
        Ok(())
    }

    /// Flush image files to disk (no-op for devdax).
    pub fn sync(&self) -> Result<(), MetaError> {
        for m in self.st.devices.iter().flatten() {
            m.sync()?;
        }
        Ok(())
    }
}

impl State {
    /// Every device `layout` names is in the log and reachable here.
    fn check_layout(&self, device: &str, path: &str, layout: &Layout) -> Result<(), MetaError> {
        let err = |msg: String| MetaError::BadRequest {
            device: device.to_owned(),
            path: path.to_owned(),
            msg,
        };
        let known = &self.replay.devices;
        for &d in layout.devices() {
            let Some(info) = known.get(d as usize) else {
                return Err(err(format!(
                    "no device with index {d}: the file system has {} (0..={}); \
                     `famfs adddev` adds one",
                    known.len(),
                    known.len().saturating_sub(1)
                )));
            };
            if !matches!(self.devices.get(d as usize), Some(Some(_))) {
                return Err(err(format!(
                    "device {d} (uuid {}) is not present here: give it with --daxdev PATH \
                     (matched by UUID)",
                    info.uuid
                )));
            }
        }
        Ok(())
    }

    /// Gives every device the log names and nothing maps a size-only
    /// stand-in (mounted mode).
    fn stand_in_devices(&mut self) {
        self.devices.resize(self.replay.devices.len().max(1), None);
        for d in &self.replay.devices {
            if let Some(slot @ None) = self.devices.get_mut(d.index as usize) {
                let label = format!("device {} (uuid {})", d.index, d.uuid);
                *slot = Some(Arc::new(Stitched::absent(d.size, &label)));
            }
        }
    }

    /// Rebuild free space from the replay and the open devices.
    fn rebuild_alloc(&mut self) {
        let usable: Vec<u64> = self
            .devices
            .iter()
            .map(|m| m.as_ref().map_or(0, |m| m.len()))
            .collect();
        self.alloc = Allocator::from_replay(&self.replay, &usable);
    }

    fn catch_up(&mut self, store: &MetaStore) -> Result<Vec<Applied>, MetaError> {
        let applied = self.replay.catch_up(store)?;
        for a in &applied {
            match *a {
                Applied::File(ino) => {
                    if let Some(NodeKind::File { fmap, .. }) =
                        self.replay.ns.get(ino).map(|n| &n.kind)
                    {
                        self.alloc.mark_fmap(fmap);
                    }
                }
                Applied::Daxdev(_) => {
                    self.devices.resize(self.replay.devices.len(), None);
                    if self.sizes_only {
                        self.stand_in_devices();
                    }
                    self.rebuild_alloc();
                }
                Applied::Dir(_) | Applied::Nothing => {}
            }
        }
        Ok(applied)
    }
}

/// A batch of log writes under the append lock (dropped: lock released).
pub struct Txn<'a> {
    _lock: LogLock<'a>,
    store: &'a MetaStore,
    st: &'a mut State,
}

impl Txn<'_> {
    fn err(&self, path: &str, msg: impl Into<String>) -> MetaError {
        MetaError::BadRequest {
            device: self.store.name().to_owned(),
            path: path.to_owned(),
            msg: msg.into(),
        }
    }

    /// Normalise `path` and check that it is free and its parent is a
    /// directory.
    fn new_path(&self, path: &str) -> Result<String, MetaError> {
        let p = normalize_path(path).map_err(|m| self.err(path, m))?;
        let ns = &self.st.replay.ns;
        if ns.lookup(&p).is_some() {
            return Err(MetaError::Exists {
                device: self.store.name().to_owned(),
                path: p,
            });
        }
        let (parent, _) = split_parent(&p);
        match ns.lookup(parent) {
            None => Err(MetaError::NotFound {
                device: self.store.name().to_owned(),
                path: parent.to_owned(),
            }),
            Some(n) if !n.is_dir() => Err(self.err(parent, "is not a directory")),
            Some(_) => Ok(p),
        }
    }

    /// Append `record` and replay it; returns what it created.
    fn append(&mut self, record: &LogRecord) -> Result<Applied, MetaError> {
        let res = self.store.append(&self._lock, record);
        if res.is_err() {
            // The allocation that preceded the failed append is void.
            self.st.rebuild_alloc();
        }
        res?;
        let applied = self.st.catch_up(self.store)?;
        Ok(applied.last().copied().unwrap_or(Applied::Nothing))
    }

    /// Append a FILE record with the map it carries, nothing allocated:
    /// `famfs clone` makes a cross-linked file this way, on purpose, to
    /// test fsck. The path must still be free.
    pub fn append_unchecked(&mut self, record: &LogRecord) -> Result<(), MetaError> {
        if let LogRecord::File(f) = record {
            self.new_path(&f.path)?;
        }
        self.append(record).map(|_| ())
    }

    /// See [`Famfs::creat`].
    pub fn creat(
        &mut self,
        path: &str,
        size: u64,
        attrs: Attrs,
        layout: Layout,
    ) -> Result<Ino, MetaError> {
        self.creat_with_flags(path, size, attrs, layout, FM_ALL_HOSTS_RW)
    }

    /// [`Txn::creat`] with the entry's `fm_flags`.
    pub fn creat_with_flags(
        &mut self,
        path: &str,
        size: u64,
        attrs: Attrs,
        layout: Layout,
        flags: u32,
    ) -> Result<Ino, MetaError> {
        let p = self.new_path(path)?;
        self.st.check_layout(self.store.name(), &p, &layout)?;
        let fmap = match &layout {
            Layout::Simple { devindex } => self.st.alloc.alloc_simple(*devindex, size),
            Layout::Interleaved { devices, params } => {
                self.st.alloc.alloc_interleaved(devices, size, *params)
            }
        }
        .map_err(|e| match e {
            AllocError::NoSpace {
                dev,
                need,
                free,
                largest,
            } => MetaError::NoSpace {
                device: self.store.name().to_owned(),
                path: p.clone(),
                devindex: dev,
                need,
                free,
                largest,
            },
            AllocError::NoDevice(d) => self.err(&p, format!("no device with index {d}")),
            AllocError::BadParams(m) => self.err(&p, m),
        })?;
        let rec = LogRecord::File(FileCreation {
            path: p.clone(),
            size,
            flags,
            uid: attrs.uid,
            gid: attrs.gid,
            mode: attrs.mode & 0o7777,
            fmap,
        });
        match self.append(&rec)? {
            Applied::File(ino) => Ok(ino),
            _ => Err(self.err(&p, "the new log entry did not replay (run fsck)")),
        }
    }

    /// See [`Famfs::mkdir`].
    pub fn mkdir(&mut self, path: &str, attrs: Attrs, parents: bool) -> Result<Ino, MetaError> {
        let p = normalize_path(path).map_err(|m| self.err(path, m))?;
        if parents {
            let mut prefix = String::new();
            let mut last = None;
            for comp in p.split('/') {
                if !prefix.is_empty() {
                    prefix.push('/');
                }
                prefix.push_str(comp);
                last = Some(match self.st.replay.ns.lookup(&prefix) {
                    Some(n) if n.is_dir() => n.ino,
                    Some(_) => return Err(self.err(&prefix, "exists and is not a directory")),
                    None => self.mkdir_one(&prefix, attrs)?,
                });
            }
            return last.ok_or_else(|| self.err(path, "empty path"));
        }
        self.mkdir_one(&p, attrs)
    }

    fn mkdir_one(&mut self, path: &str, attrs: Attrs) -> Result<Ino, MetaError> {
        let p = self.new_path(path)?;
        let rec = LogRecord::Mkdir(MkdirRecord {
            path: p.clone(),
            uid: attrs.uid,
            gid: attrs.gid,
            mode: attrs.mode & 0o7777,
        });
        match self.append(&rec)? {
            Applied::Dir(ino) => Ok(ino),
            _ => Err(self.err(&p, "the new log entry did not replay (run fsck)")),
        }
    }

    /// Add a secondary device: write its superblock (secondary flag, this
    /// file system's UUID, a new device UUID) and an ADD_DAXDEV entry.
    /// Returns its index.
    pub fn add_daxdev(&mut self, media: Arc<dyn Media>, dev_name: &str) -> Result<u32, MetaError> {
        let name = media.name();
        if let Ok(sb) = read_superblock(media.as_ref()) {
            if sb.fs_uuid() == self.st.sb.fs_uuid() {
                return Err(MetaError::Exists {
                    device: self.store.name().to_owned(),
                    path: name,
                });
            }
        }
        let size = media.len() - media.len() % ALLOC_UNIT;
        if size <= famfs_omf::SB_REGION_LEN {
            return Err(MetaError::Invalid {
                media: name,
                msg: "too small to hold data".into(),
            });
        }
        let dev_uuid = Uuid::new_v4();
        let index = self.st.replay.devices.len() as u32;
        let sb = OmfSuperblock::new(
            SbRole::Secondary,
            self.st.sb.fs_uuid(),
            dev_uuid,
            self.st.sb.system_uuid(),
            size,
            dev_name,
            LOG_LEN_DEFAULT,
        );
        media.write_at(0, sb.as_bytes())?;
        media.sync()?;
        let rec = LogRecord::AddDaxdev(famfs_omf::AddDaxdev {
            size,
            uuid: dev_uuid,
            index,
        });
        match self.append(&rec)? {
            Applied::Daxdev(i) => {
                self.st.devices[i as usize] = Some(media);
                self.st.rebuild_alloc();
                Ok(i)
            }
            _ => Err(MetaError::Invalid {
                media: name,
                msg: "the ADD_DAXDEV entry did not replay (run fsck)".into(),
            }),
        }
    }

    /// Devices known so far.
    pub fn devices(&self) -> &[DaxdevInfo] {
        &self.st.replay.devices
    }
}
