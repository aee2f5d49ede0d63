// SPDX-License-Identifier: GPL-2.0
//! How results are shown: text for people, JSON for programs.

use famfs_meta::{DaxdevInfo, Famfs, Finding, FsckReport, Namespace, Node, NodeKind, Severity};
use famfs_omf::Fmap;
use serde::Serialize;
use uuid::Uuid;

use crate::size::human;

/// `ls -l`-style permission string.
fn mode_string(dir: bool, mode: u32) -> String {
    let mut s = String::with_capacity(10);
    s.push(if dir { 'd' } else { '-' });
    for shift in [6, 3, 0] {
        let bits = (mode >> shift) & 7;
        s.push(if bits & 4 != 0 { 'r' } else { '-' });
        s.push(if bits & 2 != 0 { 'w' } else { '-' });
        s.push(if bits & 1 != 0 { 'x' } else { '-' });
    }
    s
}

/// One line per node, in path order (the root is not listed).
pub fn print_namespace(ns: &Namespace) {
    for n in ns.walk().into_iter().skip(1) {
        let (size, suffix) = match &n.kind {
            NodeKind::File { size, .. } => (size.to_string(), ""),
            NodeKind::Dir { .. } => ("-".into(), "/"),
        };
        println!(
            "{} {:>6} {:>6} {:>12} {}{suffix}",
            mode_string(n.is_dir(), n.mode),
            n.uid,
            n.gid,
            size,
            n.path
        );
    }
}

/// `famfs logplay --json`.
#[derive(Serialize)]
pub struct NamespaceJson<'a> {
    device: &'a str,
    fs_uuid: Uuid,
    master_system_uuid: Uuid,
    is_master: bool,
    log_entries: u64,
    devices: &'a [DaxdevInfo],
    nodes: Vec<&'a Node>,
    findings: &'a [Finding],
}

impl<'a> NamespaceJson<'a> {
    pub fn new(fs: &'a Famfs) -> Self {
        let r = fs.replay();
        NamespaceJson {
            device: fs.name(),
            fs_uuid: fs.superblock().fs_uuid(),
            master_system_uuid: fs.superblock().system_uuid(),
            is_master: fs.is_master(),
            log_entries: r.next_index,
            devices: &r.devices,
            nodes: r.ns.walk().into_iter().skip(1).collect(),
            findings: &r.findings,
        }
    }
}

pub fn print_getmap(n: &Node) {
    let NodeKind::File { size, flags, fmap } = &n.kind else {
        return;
    };
    println!("File: {}", n.path);
    println!("  size: {size} ({})", human(*size));
    println!(
        "  flags: {flags:#x}, mode {:04o}, uid {}, gid {}",
        n.mode, n.uid, n.gid
    );
    match fmap {
        Fmap::Simple(ext) => {
            println!("  fmap: simple, {} extent(s)", ext.len());
            for (i, e) in ext.iter().enumerate() {
                println!(
                    "    extent {i}: device {}, offset {:#x}, length {:#x} ({})",
                    e.devindex,
                    e.offset,
                    e.len,
                    human(e.len)
                );
            }
        }
        Fmap::Interleaved(iext) => {
            for ie in iext {
                println!(
                    "  fmap: interleaved, {} strips, chunk size {:#x} ({})",
                    ie.strips.len(),
                    ie.chunk_size,
                    human(ie.chunk_size)
                );
                for (i, s) in ie.strips.iter().enumerate() {
                    println!(
                        "    strip {i}: device {}, offset {:#x}, length {:#x} ({})",
                        s.devindex,
                        s.offset,
                        s.len,
                        human(s.len)
                    );
                }
            }
        }
    }
}

/// A byte count as upstream's fsck prints it: bytes, or GiB with -h.
fn figure(n: u64, human: bool) -> String {
    if human {
        format!("{:.2}G", n as f64 / (1u64 << 30) as f64)
    } else {
        n.to_string()
    }
}

pub fn print_fsck(r: &FsckReport, human: bool, verbose: bool) {
    println!("famfs fsck: {}", r.device);
    if let Some(sb) = &r.superblock {
        println!(
            "  superblock: ok (fs {}, device {}, {}, master system {})",
            sb.fs_uuid,
            sb.dev_uuid,
            crate::size::human(sb.dev_size),
            sb.master_system_uuid
        );
    }
    if let Some(log) = &r.log {
        println!("  log: {} of {} entries used", log.used, log.slots);
    }
    println!(
        "  namespace: {} files, {} directories, {} allocated, {} device(s)",
        r.files,
        r.directories,
        crate::size::human(r.allocated_bytes),
        r.devices.len()
    );
    for f in &r.findings {
        println!("  {f}");
    }
    // Upstream's figures, under its labels: scripts grep for them.
    if let (Some(sb), Some(log)) = (&r.superblock, &r.log) {
        let usable = r.devices.first().map_or(0, |d| d.size - d.reserved);
        println!("Capacity:");
        println!("  Device capacity:        {}", figure(sb.dev_size, human));
        println!("  Sum of file sizes:      {}", figure(r.file_bytes, human));
        println!(
            "  Allocated bytes:        {}",
            figure(r.allocated_bytes, human)
        );
        println!(
            "  Free space:             {}",
            figure(usable.saturating_sub(r.allocated_bytes), human)
        );
        println!("Log stats:");
        println!("  # of log entries in use: {} of {}", log.used, log.slots);
        println!(
            "  Log size in use:          {}",
            famfs_meta::store::slot_offset(log.used)
        );
        if verbose {
            println!("Verbose:");
            println!("  log_offset:        {}", famfs_omf::LOG_OFFSET);
            println!("  log_len:           {}", sb.log_len);
        }
    }
    let warnings = r
        .findings
        .iter()
        .filter(|f| f.severity == Severity::Warning)
        .count();
    if r.is_clean() {
        println!("result: clean ({warnings} warnings)");
    } else {
        println!("result: {} errors, {warnings} warnings", r.errors());
    }
}

/// `fsck -B N`: how full each of N equal buckets of the primary device is
/// (the superblock and log count as used).
pub fn print_buckets(r: &FsckReport, n: u32, human: bool) -> anyhow::Result<()> {
    let Some(dev) = r.devices.first() else {
        return Ok(());
    };
    if n == 0 || u64::from(n) > dev.size / famfs_omf::ALLOC_UNIT {
        anyhow::bail!(
            "--nbuckets {n}: give 1 to {} (one bucket per 2 MiB at most)",
            dev.size / famfs_omf::ALLOC_UNIT
        );
    }
    let bucket = dev.size / u64::from(n);
    println!(
        "Bucket usage (device 0, {n} buckets of {}):",
        figure(bucket, human)
    );
    for b in 0..u64::from(n) {
        let (start, end) = (b * bucket, (b + 1) * bucket);
        let overlap = |s: u64, e: u64| e.min(end).saturating_sub(s.max(start));
        let mut used = overlap(0, dev.reserved);
        for c in r.claims.iter().filter(|c| c.devindex == 0) {
            used += overlap(c.offset, c.offset.saturating_add(c.len));
        }
        println!(
            "  bucket {b:>3}: {:#x}..{:#x}  {} used ({:.1}%)",
            start,
            end,
            figure(used.min(bucket), human),
            100.0 * used.min(bucket) as f64 / bucket as f64
        );
    }
    Ok(())
}
