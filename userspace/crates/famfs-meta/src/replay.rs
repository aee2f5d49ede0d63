// SPDX-License-Identifier: GPL-2.0
//! Log replay: entries, in slot order, into a [`Namespace`] and a table of
//! dax devices.
//!
//! Replay is incremental: a [`Replay`] remembers how many slots it has
//! consumed, and [`Replay::catch_up`] applies only the new ones, so a
//! daemon can call it whenever the log may have grown. Bad entries never
//! stop replay: they are skipped and recorded as [`Finding`]s, which fsck
//! reports and other users may ignore.

use famfs_omf::{LogRecord, OmfLogEntry, OmfSuperblock, SB_REGION_LEN};
use serde::Serialize;
use uuid::Uuid;
use zerocopy::IntoBytes;

use crate::namespace::{Ino, InsertError, Namespace, NodeKind};
use crate::store::MetaStore;
use crate::MetaError;

/// How bad a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    /// Worth knowing; the file system is still consistent.
    Warning,
    /// The file system is damaged or inconsistent.
    Error,
}

/// Something replay or fsck found.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Finding {
    pub severity: Severity,
    /// What it is about: "superblock", "log header", "log entry 12 (a/b)".
    pub location: String,
    pub message: String,
    /// The log slot concerned, if any.
    pub log_index: Option<u64>,
}

impl std::fmt::Display for Finding {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        write!(f, "{sev}: {}: {}", self.location, self.message)
    }
}

/// A dax device of the file system: index 0 is the primary (the superblock's
/// device); others come from ADD_DAXDEV entries, in log order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct DaxdevInfo {
    pub index: u32,
    pub uuid: Uuid,
    pub size: u64,
    /// Bytes at the start of the device that hold no file data (superblock,
    /// and on the primary the log).
    pub reserved: u64,
}

/// What applying one slot did.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Applied {
    File(Ino),
    Dir(Ino),
    Daxdev(u32),
    /// The entry was skipped (see the findings) or had no effect.
    Nothing,
}

/// The state replay builds.
#[derive(Clone, Debug)]
pub struct Replay {
    pub ns: Namespace,
    /// The superblock's allocation unit: what extents must be aligned to.
    pub alloc_unit: u64,
    pub devices: Vec<DaxdevInfo>,
    /// Slots consumed so far: the next slot to replay.
    pub next_index: u64,
    pub findings: Vec<Finding>,
}

/// Best-effort description of a slot whose contents cannot be trusted:
/// "log entry 7 (file \"a/b\"?)".
fn describe_raw_slot(index: u64, bytes: &[u8]) -> String {
    let hint = (|| {
        let typ = u32::from_le_bytes(bytes.get(8..12)?.try_into().ok()?);
        let (what, at) = match typ {
            0 => ("file", 16 + 24),
            1 => ("directory", 16 + 12),
            _ => return None,
        };
        let field = bytes.get(at..at + famfs_omf::RELPATH_LEN)?;
        let end = field.iter().position(|&b| b == 0).unwrap_or(field.len());
        let p = String::from_utf8_lossy(&field[..end]);
        Some(format!(" ({what} {p:?}?)"))
    })();
    format!("log entry {index}{}", hint.unwrap_or_default())
}

impl Replay {
    /// Empty state for the file system whose primary superblock is `sb`.
    pub fn new(sb: &OmfSuperblock) -> Self {
        Replay {
            ns: Namespace::new(),
            alloc_unit: sb.alloc_unit(),
            devices: vec![DaxdevInfo {
                index: 0,
                uuid: sb.dev_uuid(),
                size: sb.dev_size(),
                reserved: sb.data_start(),
            }],
            next_index: 0,
            findings: Vec::new(),
        }
    }

    fn finding(&mut self, severity: Severity, location: String, msg: String, index: u64) {
        self.findings.push(Finding {
            severity,
            location,
            message: msg,
            log_index: Some(index),
        });
    }

    /// Apply the slot `index`, whose 544 bytes are `bytes`.
    pub fn apply_slot(&mut self, index: u64, bytes: &[u8]) -> Applied {
        let applied = self.apply_inner(index, bytes);
        self.next_index = self.next_index.max(index + 1);
        applied
    }

    fn apply_inner(&mut self, index: u64, bytes: &[u8]) -> Applied {
        let entry = match OmfLogEntry::view(bytes) {
            Ok(e) => e,
            Err(e) => {
                self.finding(
                    Severity::Error,
                    format!("log entry {index}"),
                    e.to_string(),
                    index,
                );
                return Applied::Nothing;
            }
        };
        let record = match entry.decode() {
            Ok(r) => r,
            Err(e) => {
                let loc = describe_raw_slot(index, entry.as_bytes());
                self.finding(Severity::Error, loc, e.to_string(), index);
                return Applied::Nothing;
            }
        };
        let seqnum = entry.seqnum.get();
        if seqnum != index {
            self.finding(
                Severity::Error,
                format!("log entry {index}"),
                format!("sequence number {seqnum} out of order (expected {index})"),
                index,
            );
        }
        match record {
            LogRecord::File(f) => {
                // Formatted only for a finding: most entries have none.
                let loc = |path: &str| format!("log entry {index} (file {path:?})");
                if let Err(p) = f.fmap.check_in_units(f.size, self.alloc_unit) {
                    self.finding(
                        Severity::Error,
                        loc(&f.path),
                        format!("bad fmap: {p}"),
                        index,
                    );
                    return Applied::Nothing;
                }
                for (i, r) in f.fmap.iter_ranges().enumerate() {
                    let dev = usize::try_from(r.devindex)
                        .ok()
                        .and_then(|d| self.devices.get(d));
                    let problem = match dev {
                        None => Some(format!("extent {i} names unknown device {}", r.devindex)),
                        Some(d) if r.offset < d.reserved => Some(format!(
                            "extent {i} at {:#x} lies in the reserved area (superblock/log, below {:#x}) of device {}",
                            r.offset, d.reserved, d.index
                        )),
                        Some(d) if r.end().map_or(true, |e| e > d.size) => Some(format!(
                            "extent {i} ({:#x}+{:#x}) runs past the end of device {} ({:#x} bytes)",
                            r.offset, r.len, d.index, d.size
                        )),
                        Some(_) => None,
                    };
                    if let Some(msg) = problem {
                        self.finding(Severity::Error, loc(&f.path), msg, index);
                        return Applied::Nothing;
                    }
                }
                let kind = NodeKind::File {
                    size: f.size,
                    flags: f.flags,
                    fmap: f.fmap,
                };
                match self
                    .ns
                    .insert(&f.path, f.mode, f.uid, f.gid, Some(index), kind)
                {
                    Ok(ino) => Applied::File(ino),
                    Err(e) => {
                        self.insert_finding(index, loc(&f.path), e);
                        Applied::Nothing
                    }
                }
            }
            LogRecord::Mkdir(d) => {
                let kind = NodeKind::Dir {
                    children: Default::default(),
                };
                match self
                    .ns
                    .insert(&d.path, d.mode, d.uid, d.gid, Some(index), kind)
                {
                    Ok(ino) => Applied::Dir(ino),
                    Err(e) => {
                        let loc = format!("log entry {index} (directory {:?})", d.path);
                        self.insert_finding(index, loc, e);
                        Applied::Nothing
                    }
                }
            }
            LogRecord::Delete => {
                self.finding(
                    Severity::Warning,
                    format!("log entry {index}"),
                    "DELETE entries are not supported by famfs; ignored".into(),
                    index,
                );
                Applied::Nothing
            }
            LogRecord::AddDaxdev(a) => self.add_daxdev(index, a),
        }
    }

    fn add_daxdev(&mut self, index: u64, a: famfs_omf::AddDaxdev) -> Applied {
        let loc = format!("log entry {index} (daxdev {})", a.uuid);
        if a.index == 0 && a.uuid == self.devices[0].uuid {
            // The primary, recorded explicitly: nothing new.
            return Applied::Nothing;
        }
        if let Some(d) = self.devices.iter().find(|d| d.uuid == a.uuid) {
            let msg = format!("device already present as index {}", d.index);
            self.finding(Severity::Error, loc, msg, index);
            return Applied::Nothing;
        }
        let expect = self.devices.len() as u32;
        if a.index != expect {
            let msg = format!("device index {} out of order (expected {expect})", a.index);
            self.finding(Severity::Error, loc, msg, index);
            return Applied::Nothing;
        }
        self.devices.push(DaxdevInfo {
            index: a.index,
            uuid: a.uuid,
            size: a.size,
            reserved: SB_REGION_LEN,
        });
        Applied::Daxdev(a.index)
    }

    fn insert_finding(&mut self, index: u64, loc: String, e: InsertError) {
        let msg = match e {
            InsertError::Exists(ino) => {
                let first = self
                    .ns
                    .get(ino)
                    .and_then(|n| n.log_index)
                    .map_or("the root".to_owned(), |i| format!("log entry {i}"));
                format!("duplicate path (already created by {first})")
            }
            InsertError::NoParent(p) => format!("parent directory {p:?} does not exist"),
            InsertError::ParentNotDir(p) => format!("parent {p:?} is a file"),
        };
        self.finding(Severity::Error, loc, msg, index);
    }

    /// Apply every slot the log header says is used and this replay has not
    /// seen. Returns what each new slot did. The slots are read a batch at
    /// a time into one small buffer (a full 8 MiB log is never copied
    /// whole); a read that fails leaves the slots before it applied.
    pub fn catch_up(&mut self, store: &MetaStore) -> Result<Vec<Applied>, MetaError> {
        /// Slots per read: 34 KiB, which stays in the CPU's cache.
        const BATCH: u64 = 64;
        let h = store.header()?;
        let end = h.next_index.get();
        if end <= self.next_index {
            return Ok(Vec::new());
        }
        // Room for the new entries up front (capped: the header's count is
        // not trusted to size memory).
        let room = (end - self.next_index).min(1 << 16) as usize;
        let mut applied = Vec::with_capacity(room);
        self.ns.reserve(room);
        let mut buf = vec![0u8; BATCH as usize * OmfLogEntry::SIZE];
        while self.next_index < end {
            let first = self.next_index;
            let n = (end - first).min(BATCH);
            let bytes = &mut buf[..n as usize * OmfLogEntry::SIZE];
            store.read_slots_into(first, bytes)?;
            for (i, b) in bytes.chunks_exact(OmfLogEntry::SIZE).enumerate() {
                applied.push(self.apply_slot(first + i as u64, b));
            }
        }
        Ok(applied)
    }

    /// Whether any finding is an error.
    pub fn has_errors(&self) -> bool {
        self.findings.iter().any(|f| f.severity == Severity::Error)
    }
}
