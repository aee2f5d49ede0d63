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
use crate::namespace::{Namespace, NodeKind};
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
    /// The tree replay built (the entries that passed its checks).
    #[serde(skip)]
    pub namespace: Namespace,
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
        namespace: Namespace::new(),
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
    r.devices = replay.devices;
    r.namespace = replay.ns;
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

/// Bits fsck gives its bitmaps at most (64 MiB: a PiB of 2 MiB units); a
/// file system whose devices need more is checked by the sort alone.
const BITMAP_BITS: u64 = 1 << 29;

/// One bit per allocation unit of every device, set as files claim units.
struct UnitMaps {
    unit: u64,
    maps: Vec<Vec<u64>>,
}

impl UnitMaps {
    /// Empty maps for `devices`, or `None` over the budget.
    fn new(devices: &[DaxdevInfo], unit: u64) -> Option<Self> {
        if unit == 0 {
            return None;
        }
        let units: Vec<u64> = devices.iter().map(|d| d.size.div_ceil(unit)).collect();
        units
            .iter()
            .try_fold(0u64, |t, &u| t.checked_add(u))
            .filter(|&t| t <= BITMAP_BITS)?;
        let maps = units
            .iter()
            .map(|&u| vec![0u64; u.div_ceil(64) as usize])
            .collect();
        Some(UnitMaps { unit, maps })
    }

    /// Mark the units of `e`; false if one was marked already (or `e` is
    /// not where replay lets extents be: then the sort decides).
    fn claim(&mut self, e: &famfs_omf::Extent) -> bool {
        let (Some(map), Some(end)) = (
            usize::try_from(e.devindex)
                .ok()
                .and_then(|d| self.maps.get_mut(d)),
            e.end(),
        ) else {
            return false;
        };
        let (from, to) = (e.offset / self.unit, end.div_ceil(self.unit));
        if to > map.len() as u64 * 64 {
            return false;
        }
        let mut u = from;
        while u < to {
            let (word, bit) = ((u / 64) as usize, u % 64);
            let n = (64 - bit).min(to - u);
            let mask = (u64::MAX >> (64 - n)) << bit;
            if map[word] & mask != 0 {
                return false;
            }
            map[word] |= mask;
            u += n;
        }
        true
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

/// Sizes, claims, and whether any two claims overlap. A bitmap of
/// allocation units per device answers that in one pass with no
/// allocation per file; only when it finds an overlap (or cannot be used)
/// are the claims sorted, to say which ones overlap.
fn check_space(replay: &Replay, r: &mut FsckReport) {
    let mut maps = UnitMaps::new(&replay.devices, replay.alloc_unit);
    let mut disjoint = maps.is_some();
    for n in replay.ns.nodes() {
        if let NodeKind::File { fmap, size, .. } = &n.kind {
            r.file_bytes = r.file_bytes.saturating_add(*size);
            for e in fmap.iter_ranges() {
                r.allocated_bytes = r.allocated_bytes.saturating_add(e.len);
                r.claims.push(*e);
                if let Some(m) = maps.as_mut() {
                    disjoint &= m.claim(e);
                }
            }
        }
    }
    if !disjoint {
        report_overlaps(replay, r);
    }
}

/// Findings for every claim that overlaps an earlier one, by device and
/// address.
fn report_overlaps(replay: &Replay, r: &mut FsckReport) {
    let mut claims = Vec::new();
    for n in replay.ns.nodes() {
        if let NodeKind::File { fmap, .. } = &n.kind {
            for (extent, e) in fmap.iter_ranges().enumerate() {
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

#[cfg(test)]
mod tests {
    use super::*;
    use famfs_omf::{Extent, ALLOC_UNIT as U};

    fn dev(size: u64) -> DaxdevInfo {
        DaxdevInfo {
            index: 0,
            uuid: Uuid::nil(),
            size,
            reserved: 0,
        }
    }

    fn ext(devindex: u64, unit: u64, units: u64) -> Extent {
        Extent {
            devindex,
            offset: unit * U,
            len: units * U,
        }
    }

    #[test]
    fn unit_maps_find_every_overlap() {
        let mut m = UnitMaps::new(&[dev(200 * U)], U).unwrap();
        assert!(m.claim(&ext(0, 10, 60)), "across a word boundary");
        assert!(m.claim(&ext(0, 70, 64)), "right after it");
        assert!(!m.claim(&ext(0, 133, 1)), "its last unit");
        assert!(!m.claim(&ext(0, 0, 11)), "the first one's first unit");
        assert!(m.claim(&ext(0, 134, 66)), "up to the end");
        assert!(!m.claim(&ext(0, 199, 2)), "past the end");
        assert!(!m.claim(&ext(1, 0, 1)), "no such device");
    }

    #[test]
    fn unit_maps_stay_within_their_budget() {
        assert!(UnitMaps::new(&[dev(BITMAP_BITS * U)], U).is_some());
        assert!(UnitMaps::new(&[dev(BITMAP_BITS * U + 1)], U).is_none());
        assert!(UnitMaps::new(&[dev(u64::MAX), dev(u64::MAX)], 4096).is_none());
        assert!(UnitMaps::new(&[dev(U)], 0).is_none());
    }
}
