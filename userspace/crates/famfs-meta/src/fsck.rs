// SPDX-License-Identifier: GPL-2.0
//! Checking a famfs file system: superblock, log header, every entry, and
//! the space the files claim (out of bounds, overlapping, cross-linked).
//! Read-only: it reports and never repairs.

use std::sync::Arc;

use famfs_omf::{OmfLogHeader, OmfSuperblock, LOG_LEN_DEFAULT, LOG_OFFSET};
use serde::Serialize;
use uuid::Uuid;
use zerocopy::FromBytes;

use crate::media::Media;
use crate::namespace::NodeKind;
use crate::replay::{DaxdevInfo, Finding, Replay, Severity};
use crate::store::{slot_offset, MetaStore};

/// Superblock facts for the report.
#[derive(Clone, Debug, Serialize)]
pub struct SbSummary {
    pub fs_uuid: Uuid,
    pub dev_uuid: Uuid,
    pub master_system_uuid: Uuid,
    pub dev_size: u64,
    pub log_len: u64,
}

/// Log facts for the report.
#[derive(Clone, Debug, Serialize)]
pub struct LogSummary {
    pub slots: u64,
    pub used: u64,
}

/// What fsck found.
#[derive(Clone, Debug, Serialize)]
pub struct FsckReport {
    pub device: String,
    pub superblock: Option<SbSummary>,
    pub log: Option<LogSummary>,
    pub files: usize,
    pub directories: usize,
    pub allocated_bytes: u64,
    /// Sum of the file sizes.
    pub file_bytes: u64,
    /// Every device range a file claims (for usage figures).
    #[serde(skip)]
    pub claims: Vec<famfs_omf::Extent>,
    pub devices: Vec<DaxdevInfo>,
    pub findings: Vec<Finding>,
}

impl FsckReport {
    /// Number of error findings.
    pub fn errors(&self) -> usize {
        self.findings
            .iter()
            .filter(|f| f.severity == Severity::Error)
            .count()
    }

    /// No errors (warnings allowed).
    pub fn is_clean(&self) -> bool {
        self.errors() == 0
    }
}

fn finding(severity: Severity, location: &str, message: String) -> Finding {
    Finding {
        severity,
        location: location.to_owned(),
        message,
        log_index: None,
    }
}

/// Check the file system on `whole` (a whole primary device or image).
pub fn fsck(whole: Arc<dyn Media>) -> FsckReport {
    let mut r = FsckReport {
        device: whole.name(),
        superblock: None,
        log: None,
        files: 0,
        directories: 0,
        allocated_bytes: 0,
        file_bytes: 0,
        claims: Vec::new(),
        devices: Vec::new(),
        findings: Vec::new(),
    };
    let mut raw = [0u8; size_of::<OmfSuperblock>()];
    if let Err(e) = whole.read_at(0, &mut raw) {
        r.findings
            .push(finding(Severity::Error, "superblock", e.to_string()));
        return r;
    }
    // An unchecked copy lets us go on (with default geometry) after a
    // superblock error, to report on the log as well.
    let Ok(mut sb) = OmfSuperblock::read_from_bytes(&raw) else {
        return r;
    };
    let (mut log_off, mut log_len) = (sb.log_offset(), sb.log_len());
    match sb.check() {
        Ok(()) if sb.role() == famfs_omf::SbRole::Secondary => {
            r.findings.push(finding(
                Severity::Error,
                "superblock",
                format!(
                    "a secondary device of file system {}: it has no log; run fsck on the primary",
                    sb.fs_uuid()
                ),
            ));
            return r;
        }
        Ok(()) => {
            r.superblock = Some(SbSummary {
                fs_uuid: sb.fs_uuid(),
                dev_uuid: sb.dev_uuid(),
                master_system_uuid: sb.system_uuid(),
                dev_size: sb.dev_size(),
                log_len,
            });
            let (major, minor) = sb.omf_version();
            if minor != famfs_omf::OMF_VER_MINOR {
                r.findings.push(finding(
                    Severity::Warning,
                    "superblock",
                    format!(
                        "OMF version {major}.{minor}: famfs_rs reads any 2.x and writes \
                         2.{} entries",
                        famfs_omf::OMF_VER_MINOR
                    ),
                ));
            }
            if sb.alloc_unit() != famfs_omf::ALLOC_UNIT {
                r.findings.push(finding(
                    Severity::Warning,
                    "superblock",
                    format!(
                        "allocation unit {:#x}: valid media, but famfs_rs.ko maps files in \
                         2 MiB units, so famfs mount refuses this file system",
                        sb.alloc_unit()
                    ),
                ));
            }
            if sb.dev_size() > whole.len() {
                r.findings.push(finding(
                    Severity::Error,
                    "superblock",
                    format!(
                        "records a device of {:#x} bytes, but it holds only {:#x}",
                        sb.dev_size(),
                        whole.len()
                    ),
                ));
            }
        }
        Err(e) => {
            r.findings
                .push(finding(Severity::Error, "superblock", e.to_string()));
            (log_off, log_len) = (LOG_OFFSET, LOG_LEN_DEFAULT);
            sb.ts_log_offset = log_off.into();
            sb.ts_log_len = log_len.into();
            sb.ts_alloc_unit = famfs_omf::ALLOC_UNIT.into();
            sb.ts_daxdev.dd_size = whole.len().into();
        }
    }
    let store = match MetaStore::with_geometry(whole.clone(), None, log_off, log_len) {
        Ok(s) => s,
        Err(e) => {
            r.findings
                .push(finding(Severity::Error, "log", e.to_string()));
            return r;
        }
    };
    let header = match store.header() {
        Ok(h) => h,
        Err(e) => {
            r.findings
                .push(finding(Severity::Error, "log header", e.to_string()));
            return r;
        }
    };
    check_header(&store, &header, &mut r);
    let mut replay = Replay::new(&sb);
    if let Err(e) = replay.catch_up(&store) {
        r.findings
            .push(finding(Severity::Error, "log", e.to_string()));
    }
    check_space(&replay, &mut r);
    let (files, dirs) = replay.ns.counts();
    r.files = files;
    r.directories = dirs;
    r.devices = replay.devices.clone();
    let mut all = replay.findings;
    all.append(&mut r.findings);
    all.sort_by_key(|f| (f.log_index.is_some(), f.log_index));
    r.findings = all;
    r
}

fn check_header(store: &MetaStore, h: &OmfLogHeader, r: &mut FsckReport) {
    let (used, seq) = (h.next_index.get(), h.next_seqnum.get());
    r.log = Some(LogSummary {
        slots: h.slots(),
        used,
    });
    if seq != used {
        r.findings.push(finding(
            Severity::Error,
            "log header",
            format!("next sequence number {seq} disagrees with next index {used}"),
        ));
    }
    // The slot after the last entry should be empty; data there means an
    // append was interrupted between writing the entry and advancing the
    // header (harmless: the entry never became part of the log).
    if used < h.slots() {
        if let Ok(next) = store.read_slots(used, used + 1) {
            if next.iter().any(|&b| b != 0) {
                r.findings.push(finding(
                    Severity::Warning,
                    "log",
                    format!(
                        "slot {used} (offset {:#x}) after the last entry is not empty (interrupted append?)",
                        slot_offset(used)
                    ),
                ));
            }
        }
    }
}

/// One device range a file claims.
struct Claim<'a> {
    dev: u64,
    start: u64,
    end: u64,
    path: &'a str,
    log_index: Option<u64>,
    extent: usize,
}

fn check_space(replay: &Replay, r: &mut FsckReport) {
    let mut claims = Vec::new();
    for n in replay.ns.nodes() {
        if let NodeKind::File { fmap, size, .. } = &n.kind {
            r.file_bytes = r.file_bytes.saturating_add(*size);
            for (extent, e) in fmap.ranges().iter().enumerate() {
                r.allocated_bytes = r.allocated_bytes.saturating_add(e.len);
                r.claims.push(*e);
                claims.push(Claim {
                    dev: e.devindex,
                    start: e.offset,
                    end: e.end().unwrap_or(u64::MAX),
                    path: &n.path,
                    log_index: n.log_index,
                    extent,
                });
            }
        }
    }
    claims.sort_by_key(|c| (c.dev, c.start));
    // Sweep: compare each claim with the one reaching furthest so far.
    let mut reach: Option<&Claim> = None;
    for c in &claims {
        if let Some(prev) = reach.filter(|p| p.dev == c.dev && c.start < p.end) {
            let what = if prev.log_index == c.log_index {
                format!(
                    "extent {} overlaps extent {} of the same file",
                    c.extent, prev.extent
                )
            } else {
                format!(
                    "extent {} is cross-linked with extent {} of {:?} (log entry {})",
                    c.extent,
                    prev.extent,
                    prev.path,
                    prev.log_index.map_or("-".into(), |i| i.to_string())
                )
            };
            r.findings.push(Finding {
                severity: Severity::Error,
                location: format!(
                    "log entry {} (file {:?})",
                    c.log_index.map_or("-".into(), |i| i.to_string()),
                    c.path
                ),
                message: format!(
                    "{what} on device {} at {:#x}",
                    c.dev,
                    c.start.max(prev.start)
                ),
                log_index: c.log_index,
            });
        }
        let further = match reach {
            None => true,
            Some(p) => p.dev != c.dev || p.end < c.end,
        };
        if further {
            reach = Some(c);
        }
    }
}

use core::mem::size_of;
