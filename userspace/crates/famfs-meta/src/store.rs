// SPDX-License-Identifier: GPL-2.0
//! The superblock and the log, wherever they live, and appends to the log.
//!
//! A [`MetaStore`] is two [`Media`]: the superblock's and the log's. Today
//! both are windows into the raw device (offsets 0 and `ts_log_offset`);
//! while mounted they will be the `.meta/.superblock` and `.meta/.log`
//! files, each mapped from offset 0. Appends are serialised across
//! processes with `flock` on the file that holds the log, as upstream does.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::path::Path;
use std::sync::Arc;

use famfs_omf::{LogRecord, OmfLogEntry, OmfLogHeader, OmfSuperblock, LOG_OFFSET};
use zerocopy::{FromBytes, IntoBytes};

use crate::device::DaxDevice;
use crate::media::{MappedFile, Media, Window};
use crate::MetaError;

/// Name of a mount's metadata directory, at its root (the daemon serves
/// it; the famfs command opens the two files below in it).
pub const META_DIR: &str = ".meta";
/// Name of the superblock file in a mount's `.meta` directory.
pub const SB_FILE: &str = ".superblock";
/// Name of the log file in a mount's `.meta` directory.
pub const LOG_FILE: &str = ".log";

/// Offset of the `next_seqnum`, `next_index` pair in the header: the only
/// header bytes an append rewrites.
const HEADER_NEXT_OFF: u64 = 32;

/// Byte offset of log slot `index` inside the log.
pub fn slot_offset(index: u64) -> u64 {
    OmfLogHeader::SIZE as u64 + index * OmfLogEntry::SIZE as u64
}

/// Where a file system's superblock and log bytes live.
pub struct MetaStore {
    /// The superblock (offset 0 is the superblock).
    pub sb: Arc<dyn Media>,
    /// The log (offset 0 is the log header).
    pub log: Arc<dyn Media>,
    /// Descriptor to flock for appends (the file holding the log); `None`
    /// for in-memory stores, which are single-process by nature.
    lock_file: Option<File>,
    name: String,
}

/// Held while appending: an exclusive flock on the log's file.
pub struct LogLock<'a> {
    store: &'a MetaStore,
}

impl Drop for LogLock<'_> {
    fn drop(&mut self) {
        if let Some(f) = &self.store.lock_file {
            // SAFETY: flock on a descriptor we own; no memory is involved.
            unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_UN) };
        }
    }
}

impl MetaStore {
    /// A store over whole-device media, with the log at `log_offset`.
    pub fn with_geometry(
        whole: Arc<dyn Media>,
        lock_file: Option<File>,
        log_offset: u64,
        log_len: u64,
    ) -> Result<Self, MetaError> {
        let name = whole.name();
        let sb_len = log_offset.min(whole.len());
        let sb: Arc<dyn Media> = Arc::new(Window::new(whole.clone(), 0, sb_len, "superblock")?);
        let log: Arc<dyn Media> = Arc::new(Window::new(whole, log_offset, log_len, "log")?);
        Ok(MetaStore {
            sb,
            log,
            lock_file,
            name,
        })
    }

    /// The store of a raw device or image, geometry from its superblock
    /// (which must be valid).
    pub fn on_device(dev: &DaxDevice) -> Result<Self, MetaError> {
        let whole: Arc<dyn Media> = dev.map.clone();
        let sb = read_superblock(whole.as_ref())?;
        let lock = dev.lock_file()?;
        Self::with_geometry(whole, Some(lock), sb.log_offset(), sb.log_len())
    }

    /// The store of a mounted famfs: the files `.meta/.superblock` and
    /// `.meta/.log` in `meta_dir` (normally `<mount>/.meta`), each mapped
    /// whole; appends flock the log file, as upstream famfs does. This is
    /// the path all access takes once the raw device is bound to the
    /// module's driver or fsdev_dax (its node then fails with ENXIO, or
    /// opens but neither reads nor maps).
    pub fn on_meta_files(meta_dir: &Path, writable: bool) -> Result<Self, MetaError> {
        let open = |name: &str| -> Result<(Arc<MappedFile>, File), MetaError> {
            let path = meta_dir.join(name);
            let file = OpenOptions::new()
                .read(true)
                .write(writable)
                .open(&path)
                .map_err(|e| MetaError::io(&path, "open", e))?;
            let len = file
                .metadata()
                .map_err(|e| MetaError::io(&path, "stat", e))?
                .len();
            let lock = file
                .try_clone()
                .map_err(|e| MetaError::io(&path, "dup", e))?;
            Ok((
                Arc::new(MappedFile::map(file, &path, 0, len, writable)?),
                lock,
            ))
        };
        let (sb, _) = open(SB_FILE)?;
        let (log, lock) = open(LOG_FILE)?;
        read_superblock(sb.as_ref())?;
        Ok(MetaStore {
            name: meta_dir.display().to_string(),
            sb,
            log,
            lock_file: Some(lock),
        })
    }

    /// The store of whole-device media without flock (memory, fuzzing).
    pub fn on_media(whole: Arc<dyn Media>) -> Result<Self, MetaError> {
        let sb = read_superblock(whole.as_ref())?;
        Self::with_geometry(whole, None, sb.log_offset(), sb.log_len())
    }

    /// Name of the device for messages.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// Read and check the superblock.
    pub fn superblock(&self) -> Result<OmfSuperblock, MetaError> {
        read_superblock(self.sb.as_ref())
    }

    /// Read and check the log header, including that `next_index` lies in
    /// the log.
    pub fn header(&self) -> Result<OmfLogHeader, MetaError> {
        let mut buf = [0u8; OmfLogHeader::SIZE];
        self.log.read_at(0, &mut buf)?;
        let h = *OmfLogHeader::parse(&buf).map_err(|source| MetaError::Format {
            media: self.log.name(),
            source,
        })?;
        let bad = |msg: String| MetaError::Invalid {
            media: self.log.name(),
            msg,
        };
        if h.len.get() > self.log.len() {
            return Err(bad(format!(
                "log header claims {:#x} bytes, the log region holds {:#x}",
                h.len.get(),
                self.log.len()
            )));
        }
        if h.next_index.get() > h.slots() {
            return Err(bad(format!(
                "next index {} is past the last slot {}",
                h.next_index.get(),
                h.last_index.get()
            )));
        }
        Ok(h)
    }

    /// Copy slots `from..to` out of the log (a consistent snapshot to parse
    /// at leisure, whatever other writers do meanwhile).
    pub fn read_slots(&self, from: u64, to: u64) -> Result<Vec<u8>, MetaError> {
        let n = to.saturating_sub(from) as usize;
        let mut buf = vec![0u8; n * OmfLogEntry::SIZE];
        self.read_slots_into(from, &mut buf)?;
        Ok(buf)
    }

    /// The slots from `from` on, as many as fill `buf` (a whole number of
    /// slots).
    pub fn read_slots_into(&self, from: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        self.log.read_at(slot_offset(from), buf)
    }

    /// Take the append lock (blocks while another process holds it).
    pub fn lock(&self) -> Result<LogLock<'_>, MetaError> {
        if let Some(f) = &self.lock_file {
            loop {
                // SAFETY: flock on a descriptor we own; no memory involved.
                let rc = unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) };
                if rc == 0 {
                    break;
                }
                let e = std::io::Error::last_os_error();
                if e.kind() != std::io::ErrorKind::Interrupted {
                    return Err(MetaError::Io {
                        path: self.log.name(),
                        op: "flock",
                        source: e,
                    });
                }
            }
        }
        Ok(LogLock { store: self })
    }

    /// Append `record` at the next free slot; returns its index. The entry
    /// is written and flushed before the header points past it, so a
    /// reader (or a crash) never sees a half-written entry as valid.
    pub fn append(&self, guard: &LogLock<'_>, record: &LogRecord) -> Result<u64, MetaError> {
        debug_assert!(std::ptr::eq(guard.store, self));
        let h = self.header()?;
        let index = h.next_index.get();
        if index >= h.slots() {
            return Err(MetaError::LogFull {
                device: self.name.clone(),
                slots: h.slots(),
            });
        }
        let seqnum = h.next_seqnum.get();
        let entry = OmfLogEntry::encode(seqnum, record).map_err(|source| MetaError::Format {
            media: self.log.name(),
            source,
        })?;
        self.log.write_at(slot_offset(index), entry.as_bytes())?;
        let mut next = [0u8; 16];
        next[..8].copy_from_slice(&(seqnum + 1).to_le_bytes());
        next[8..].copy_from_slice(&(index + 1).to_le_bytes());
        self.log.write_at(HEADER_NEXT_OFF, &next)?;
        Ok(index)
    }
}

/// Read and fully check the superblock at offset 0 of `media`.
pub fn read_superblock(media: &dyn Media) -> Result<OmfSuperblock, MetaError> {
    let mut buf = [0u8; size_of::<OmfSuperblock>()];
    if media.len() < buf.len() as u64 {
        return Err(MetaError::Invalid {
            media: media.name(),
            msg: "too small to hold a superblock".into(),
        });
    }
    media.read_at(0, &mut buf)?;
    let sb = OmfSuperblock::read_from_bytes(&buf).map_err(|_| MetaError::Invalid {
        media: media.name(),
        msg: "superblock unreadable".into(),
    })?;
    sb.check().map_err(|source| MetaError::Format {
        media: media.name(),
        source,
    })?;
    if sb.log_offset() != LOG_OFFSET {
        return Err(MetaError::Invalid {
            media: media.name(),
            msg: "unexpected log offset".into(),
        });
    }
    Ok(sb)
}

use core::mem::size_of;
