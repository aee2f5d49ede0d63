// SPDX-License-Identifier: GPL-2.0
//! `famfs verify`: files against the data `creat --randomize` wrote,
//! named as famfs_rs takes them (`-S SEED PATH...`) or as upstream does
//! (`-S SEED -f FILE`, `--multi FILE,SEED`).

use anyhow::{bail, Result};
use famfs_meta::{pattern, NodeKind};

use crate::cli::VerifyArgs;
use crate::commands::open;
use crate::compat;
use crate::size::human;
use crate::Status;

/// Bytes read per call.
const CHUNK: usize = 8 << 20;

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
            "famfs_rs verifies one file after another",
        )],
    );
    let jobs = jobs(a)?;
    if let Some((f, _)) = jobs.iter().find(|(_, s)| *s == 0) {
        bail!("{f}: seed 0 verifies nothing (upstream's creat does not fill with seed 0)");
    }
    let paths: Vec<&str> = jobs.iter().map(|(p, _)| p.as_str()).collect();
    let (fs, rels, data) = open(&a.dev, &paths, false)?;
    let (mut failed, mut errors) = (0usize, 0usize);
    let mut buf = vec![0u8; CHUNK];
    for ((p, seed), rel) in jobs.iter().zip(&rels) {
        let r = (|| -> Result<Option<u64>> {
            let node = fs.file(rel)?;
            let NodeKind::File { size, .. } = node.kind else {
                bail!("{p}: is a directory");
            };
            let file = data.open(&fs, node.ino, rel, false)?;
            let mut pat = pattern::Pattern::new(*seed);
            let mut off = 0;
            while off < size {
                let n = (size - off).min(CHUNK as u64) as usize;
                file.read_at(off, &mut buf[..n])?;
                if let Some(i) = pat.first_mismatch(&buf[..n]) {
                    return Ok(Some(off + i as u64));
                }
                off += n as u64;
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
