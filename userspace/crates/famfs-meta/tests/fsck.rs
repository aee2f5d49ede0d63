// SPDX-License-Identifier: GPL-2.0
//! Every fsck finding: inject the corruption, see it reported by location.

mod common;

use std::sync::Arc;

use common::*;
use famfs_meta::{fsck, FsckReport, Layout, Media, Severity};
use famfs_omf::{Extent, FileCreation, Fmap, LogRecord, MkdirRecord, OmfLogEntry, LOG_OFFSET};
use zerocopy::IntoBytes;

const SLOT0: u64 = LOG_OFFSET + 48;

fn slot(i: u64) -> u64 {
    SLOT0 + i * 544
}

/// Append a raw entry with `seqnum` (CRC valid) and advance the header.
fn raw_append(m: &Arc<dyn Media>, seqnum: u64, rec: &LogRecord) -> u64 {
    let mut hdr = [0u8; 48];
    m.read_at(LOG_OFFSET, &mut hdr).unwrap();
    let next = u64::from_le_bytes(hdr[40..48].try_into().unwrap());
    let e = OmfLogEntry::encode(seqnum, rec).unwrap();
    m.write_at(slot(next), e.as_bytes()).unwrap();
    m.write_at(LOG_OFFSET + 32, &(next + 1).to_le_bytes())
        .unwrap();
    m.write_at(LOG_OFFSET + 40, &(next + 1).to_le_bytes())
        .unwrap();
    next
}

fn file(path: &str, extents: &[(u64, u64, u64)]) -> LogRecord {
    let ext: Vec<Extent> = extents
        .iter()
        .map(|&(devindex, offset, len)| Extent {
            devindex,
            offset,
            len,
        })
        .collect();
    let size = ext.iter().map(|e| e.len).sum();
    LogRecord::File(FileCreation {
        path: path.into(),
        size,
        flags: 2,
        uid: 0,
        gid: 0,
        mode: 0o644,
        fmap: Fmap::Simple(ext),
    })
}

fn mkdir(path: &str) -> LogRecord {
    LogRecord::Mkdir(MkdirRecord {
        path: path.into(),
        uid: 0,
        gid: 0,
        mode: 0o755,
    })
}

/// A small clean file system: a directory and a file.
fn base() -> Arc<dyn Media> {
    let (m, mut fs) = fresh();
    fs.mkdir("d", ATTRS, false).unwrap();
    fs.creat("d/f", 3 << 20, ATTRS, Layout::default()).unwrap();
    assert!(fsck(m.clone()).findings.is_empty());
    m
}

/// Assert an error finding whose location and message contain the given
/// texts.
fn expect(r: &FsckReport, location: &str, message: &str) {
    assert!(!r.is_clean(), "not flagged: {:?}", r.findings);
    assert!(
        r.findings.iter().any(|f| f.severity == Severity::Error
            && f.location.contains(location)
            && f.message.contains(message)),
        "no error at {location:?} saying {message:?} in {:#?}",
        r.findings
    );
}

fn flip(m: &Arc<dyn Media>, off: u64) {
    let mut b = [0u8; 1];
    m.read_at(off, &mut b).unwrap();
    m.write_at(off, &[b[0] ^ 0x20]).unwrap();
}

const MB2: u64 = 2 << 20;
const DATA: u64 = 10 << 20; // first data byte on a default-log device

#[test]
fn clean_fs_is_clean() {
    let r = fsck(base());
    assert!(r.is_clean());
    assert_eq!((r.files, r.directories), (1, 1));
    assert_eq!(r.allocated_bytes, 4 << 20);
}

#[test]
fn superblock_bad_magic() {
    let m = base();
    flip(&m, 2);
    expect(&fsck(m), "superblock", "bad magic");
}

#[test]
fn superblock_bad_crc() {
    let m = base();
    flip(&m, 50);
    let r = fsck(m);
    expect(&r, "superblock", "bad CRC");
    // The log is still checked, with the default geometry.
    assert_eq!(r.files, 1);
}

#[test]
fn superblock_larger_than_device() {
    let big = media(8 << 30);
    let mut sb = vec![0u8; 200];
    big.read_at(0, &mut sb).unwrap();
    let small: Arc<dyn Media> = Arc::new(famfs_meta::SparseMedia::new(1 << 30, "small"));
    small.write_at(0, &sb).unwrap();
    let mut log = vec![0u8; 8 << 20];
    big.read_at(LOG_OFFSET, &mut log).unwrap();
    small.write_at(LOG_OFFSET, &log).unwrap();
    expect(&fsck(small), "superblock", "holds only");
}

#[test]
fn log_header_bad_crc_and_magic() {
    let m = base();
    flip(&m, LOG_OFFSET + 9);
    expect(&fsck(m), "log header", "bad CRC");
    let m = base();
    flip(&m, LOG_OFFSET);
    expect(&fsck(m), "log header", "bad magic");
}

#[test]
fn log_header_next_index_past_end() {
    let m = base();
    m.write_at(LOG_OFFSET + 40, &100_000u64.to_le_bytes())
        .unwrap();
    expect(&fsck(m), "log", "past the last slot");
}

#[test]
fn log_header_seqnum_disagrees() {
    let m = base();
    m.write_at(LOG_OFFSET + 32, &7u64.to_le_bytes()).unwrap();
    expect(&fsck(m), "log header", "next sequence number 7");
}

#[test]
fn entry_byte_flip_names_the_entry() {
    for off in [0u64, 9, 20, 100, 200, 535, 540] {
        let m = base();
        flip(&m, slot(1) + off);
        expect(&fsck(m), "log entry 1", "");
    }
    let m = base();
    flip(&m, slot(1) + 16 + 24 + 5); // inside the path: still named
    let r = fsck(m);
    expect(&r, "log entry 1 (file", "bad CRC");
}

#[test]
fn entry_sequence_out_of_order() {
    let m = base();
    raw_append(&m, 42, &mkdir("e"));
    expect(&fsck(m), "log entry 2", "sequence number 42");
}

#[test]
fn entry_unknown_type() {
    let m = base();
    let i = raw_append(&m, 2, &mkdir("e"));
    let mut e = [0u8; 544];
    m.read_at(slot(i), &mut e).unwrap();
    e[8] = 9;
    let crc = u64::from(crc32fast::hash(&e[..536]));
    e[536..].copy_from_slice(&crc.to_le_bytes());
    m.write_at(slot(i), &e).unwrap();
    expect(&fsck(m), "log entry 2", "unknown type 9");
}

#[test]
fn duplicate_path() {
    let m = base();
    raw_append(&m, 2, &mkdir("d"));
    expect(
        &fsck(m),
        "log entry 2 (directory \"d\")",
        "duplicate path (already created by log entry 0)",
    );
}

#[test]
fn missing_parent() {
    let m = base();
    raw_append(&m, 2, &file("nodir/f", &[(0, 1 << 30, MB2)]));
    expect(
        &fsck(m),
        "log entry 2 (file \"nodir/f\")",
        "parent directory \"nodir\" does not exist",
    );
}

#[test]
fn extent_out_of_bounds() {
    let m = base();
    raw_append(&m, 2, &file("big", &[(0, (4 << 30) - MB2, 2 * MB2)]));
    expect(
        &fsck(m),
        "log entry 2 (file \"big\")",
        "runs past the end of device 0",
    );
}

#[test]
fn extent_in_log() {
    let m = base();
    raw_append(&m, 2, &file("inlog", &[(0, 4 * MB2, MB2)]));
    expect(&fsck(m), "log entry 2 (file \"inlog\")", "reserved area");
}

#[test]
fn extent_misaligned() {
    let m = base();
    raw_append(&m, 2, &file("odd", &[(0, (1 << 30) + 4096, MB2)]));
    expect(&fsck(m), "log entry 2 (file \"odd\")", "not 2 MiB aligned");
}

#[test]
fn extent_on_unknown_device() {
    let m = base();
    raw_append(&m, 2, &file("far", &[(5, 1 << 30, MB2)]));
    expect(&fsck(m), "log entry 2 (file \"far\")", "unknown device 5");
}

#[test]
fn extents_overlap_in_one_file() {
    let m = base();
    raw_append(
        &m,
        2,
        &file("self", &[(0, 1 << 30, 2 * MB2), (0, (1 << 30) + MB2, MB2)]),
    );
    expect(
        &fsck(m),
        "log entry 2 (file \"self\")",
        "overlaps extent 0 of the same file",
    );
}

#[test]
fn files_cross_linked() {
    let m = base();
    // d/f (log entry 1) owns the first data unit and the next.
    raw_append(&m, 2, &file("thief", &[(0, DATA + MB2, MB2)]));
    expect(
        &fsck(m),
        "log entry 2 (file \"thief\")",
        "cross-linked with extent 0 of \"d/f\" (log entry 1)",
    );
}

#[test]
fn delete_entries_are_warnings() {
    let m = base();
    raw_append(&m, 2, &LogRecord::Delete);
    let r = fsck(m);
    assert!(r.is_clean());
    assert!(r
        .findings
        .iter()
        .any(|f| f.severity == Severity::Warning && f.location == "log entry 2"));
}

#[test]
fn interrupted_append_is_a_warning() {
    let m = base();
    let e = OmfLogEntry::encode(2, &mkdir("half")).unwrap();
    m.write_at(slot(2), e.as_bytes()).unwrap();
    let r = fsck(m);
    assert!(r.is_clean());
    assert!(r
        .findings
        .iter()
        .any(|f| f.message.contains("interrupted append")));
}

#[test]
fn not_famfs_at_all() {
    let m: Arc<dyn Media> = Arc::new(famfs_meta::SparseMedia::new(1 << 30, "blank"));
    let r = fsck(m);
    expect(&r, "superblock", "bad magic");
    expect(&r, "log header", "bad magic");
}
