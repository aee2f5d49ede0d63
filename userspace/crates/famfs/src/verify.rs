// SPDX-License-Identifier: GPL-2.0
//! `famfs verify`: files against the data `creat --randomize` wrote,
//! named as famfs_rs takes them (`-S SEED PATH...`) or as upstream does
//! (`-S SEED -f FILE`, `--multi FILE,SEED`).

use anyhow::{bail, Result};
use famfs_meta::{pattern, NodeKind};

use crate::cli::VerifyArgs;
use crate::commands::open;
use crate::compat;
use crate::data::FileData;
use crate::size::human;
use crate::Status;

/// Bytes read per call: small enough to stay in the CPU's cache between
/// the copy and the compare.
const CHUNK: usize = 256 << 10;
/// Bytes below which a file is checked by one thread.
const PIECE_MIN: u64 = 16 << 20;

/// The first offset of `file` (of `size` bytes) that differs from the
/// stream of `seed`. Large files are cut into one piece per CPU, checked
/// at the same time (the stream jumps to each piece's start).
fn check(file: &FileData<'_>, size: u64, seed: u64) -> Result<Option<u64>> {
    let cpus = std::thread::available_parallelism().map_or(1, |n| n.get()) as u64;
    let pieces = (size / PIECE_MIN).clamp(1, cpus.min(8));
    // Pieces start on a chunk boundary (a multiple of 4: whole words).
    let piece = size.div_ceil(pieces).next_multiple_of(CHUNK as u64);
    let found = std::thread::scope(|s| {
        let workers: Vec<_> = (0..pieces)
            .map(|i| {
                let (from, to) = (i * piece, ((i + 1) * piece).min(size));
                s.spawn(move || check_range(file, from, to, seed))
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().unwrap_or_else(|p| std::panic::resume_unwind(p)))
            .collect::<Result<Vec<_>>>()
    })?;
    Ok(found.into_iter().flatten().min())
}

/// [`check`] of the bytes `from..to`.
fn check_range(file: &FileData<'_>, from: u64, to: u64, seed: u64) -> Result<Option<u64>> {
    let mut buf = vec![0u8; CHUNK];
    let mut pat = pattern::Pattern::at(seed, from);
    let mut off = from;
    while off < to {
        let n = (to - off).min(CHUNK as u64) as usize;
        file.read_at(off, &mut buf[..n])?;
        if let Some(i) = pat.first_mismatch(&buf[..n]) {
            return Ok(Some(off + i as u64));
        }
        off += n as u64;
    }
    Ok(None)
}

/// The (file, seed) pairs the arguments name.
fn jobs(a: &VerifyArgs) -> Result<Vec<(String, u64)>> {
    if !a.multi.is_empty() {
        return Ok(a.multi.iter().map(|m| (m.path.clone(), m.seed)).collect());
    }
    let files: Vec<&String> = a.files.iter().chain(&a.paths).collect();
    if files.is_empty() {
        bail!("no file named: give FILE (or -f FILE) with -S SEED, or -m FILE,SEED");
    }
    match a.seed {
        None | Some(0) => bail!(
            "a seed is required to verify data (-S SEED, not 0): the one creat --randomize used"
        ),
        Some(seed) => Ok(files.into_iter().map(|f| (f.clone(), seed)).collect()),
    }
}

pub fn verify(a: &VerifyArgs) -> Result<Status> {
    compat::no_effect(
        "verify",
        &[(
            a.threads.threadct.is_some(),
            "--threadct",
            "famfs_rs verifies one file after another, a large one with a thread per CPU",
        )],
    );
    let jobs = jobs(a)?;
    if let Some((f, _)) = jobs.iter().find(|(_, s)| *s == 0) {
        bail!("{f}: seed 0 verifies nothing (upstream's creat does not fill with seed 0)");
    }
    let paths: Vec<&str> = jobs.iter().map(|(p, _)| p.as_str()).collect();
    let (fs, rels, data) = open(&a.dev, &paths, false)?;
    let (mut failed, mut errors) = (0usize, 0usize);
    for ((p, seed), rel) in jobs.iter().zip(&rels) {
        let r = (|| -> Result<Option<u64>> {
            let node = fs.file(rel)?;
            let NodeKind::File { size, .. } = node.kind else {
                bail!("{p}: is a directory");
            };
            let file = data.open(&fs, node.ino, rel, false)?;
            if let Some(at) = check(&file, size, *seed)? {
                return Ok(Some(at));
            }
            if !a.quiet {
                println!("{p}: ok ({} verified)", human(size));
            }
            Ok(None)
        })();
        match r {
            Ok(None) => {}
            Ok(Some(at)) => {
                eprintln!(
                    "famfs verify: {}: {p}: data differs from seed {seed} at offset {at:#x}",
                    fs.name()
                );
                failed += 1;
            }
            Err(e) => {
                eprintln!("famfs verify: {}", crate::errmsg::causes(&e));
                errors += 1;
            }
        }
    }
    if jobs.len() > 1 && !a.quiet {
        println!(
            "verified {} files: {failed} differ, {errors} could not be read",
            jobs.len()
        );
    }
    // Unreadable is a failure (1); different data a failed check (3).
    Ok(if errors > 0 {
        Status::Failed
    } else if failed > 0 {
        Status::CheckFailed
    } else {
        Status::Ok
    })
}
