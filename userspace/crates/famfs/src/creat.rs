// SPDX-License-Identifier: GPL-2.0
//! `famfs creat`: one file or several (`--multi`), with upstream's rules
//! for files that already exist, and upstream's data for `--randomize`.

use anyhow::{bail, Context, Result};
use famfs_meta::{pattern, Famfs, NodeKind, FM_ALL_HOSTS_RO};

use crate::cli::CreatArgs;
use crate::commands::{attrs, caller_ids, layout, open, IO_CHUNK};
use crate::data::{Data, FileData};
use crate::target::resolve;
use crate::Status;

/// Fill `file` (of `size` bytes) with the pattern of `seed`.
pub(crate) fn randomize(file: &FileData<'_>, size: u64, seed: u64) -> Result<()> {
    let mut buf = vec![0u8; IO_CHUNK];
    let mut pat = pattern::Pattern::new(seed);
    let mut off = 0;
    while off < size {
        let n = (size - off).min(IO_CHUNK as u64) as usize;
        pat.fill(&mut buf[..n]);
        file.write_at(off, &buf[..n])?;
        off += n as u64;
    }
    file.sync()
}

/// What `creat` is asked to make: one file (PATH with -s/-r/-S) or
/// several (--multi).
struct CreatJob {
    /// As given, for messages.
    path: String,
    /// Relative to the file system's root.
    rel: String,
    size: Option<u64>,
    /// 0: create only.
    seed: u64,
}

/// Creates one file, or, as upstream, accepts an existing one of the same
/// size (filling it again if it has a seed).
fn creat_one(fs: &mut Famfs, data: &Data, a: &CreatArgs, job: &CreatJob) -> Result<()> {
    let shown = &job.path;
    let (rel, size, created) = match fs.namespace().lookup(&job.rel) {
        Some(n) => {
            let NodeKind::File { size, .. } = n.kind else {
                bail!("{}: {shown}: exists and is not a regular file", fs.name());
            };
            // Upstream compares only a non-zero size (-s 0 is "no size").
            if job.size.is_some_and(|s| s != 0 && s != size) {
                bail!(
                    "{}: {shown}: exists with size {size}, not {}; famfs files never change \
                     size",
                    fs.name(),
                    job.size.unwrap_or_default()
                );
            }
            if crate::verbosity() > 0 {
                println!("{shown}: exists with that size: nothing to create");
            }
            (n.path.clone(), size, false)
        }
        None => {
            let size = match job.size {
                Some(0) | None => bail!(
                    "{}: {shown}: a new file needs a size above 0 (-s SIZE); famfs files never \
                     grow",
                    fs.name()
                ),
                Some(s) => s,
            };
            let at = attrs(&a.owner, 0o644, caller_ids());
            let layout = layout(&a.layout, fs)?;
            if a.read_only {
                fs.begin()?
                    .creat_with_flags(&job.rel, size, at, layout, FM_ALL_HOSTS_RO)?;
            } else {
                fs.creat(&job.rel, size, at, layout)?;
            }
            (job.rel.clone(), size, true)
        }
    };
    if job.seed == 0 && created && !(a.read_only && data != &Data::Device) {
        // Not filled: still no bytes of an earlier file past its end
        // (opened for writing, the file gets zeros there). A read-only
        // file cannot be opened for writing under a mount: fill those
        // through the device.
        let ino = fs.file(&rel)?.ino;
        data.open(fs, ino, &rel, true)?;
    }
    if job.seed != 0 {
        let ino = fs.file(&rel)?.ino;
        let file = data.open(fs, ino, &rel, true)?;
        randomize(&file, size, job.seed).with_context(|| format!("filling {shown}"))?;
        if crate::verbosity() > 0 {
            println!("randomized {size} bytes: {shown}");
        }
    }
    Ok(())
}

pub fn creat(a: &CreatArgs) -> Result<Status> {
    if a.seed.is_some_and(|s| s != 0) && !a.randomize {
        bail!(
            "--seed (-S) without --randomize (-r): add -r to fill the file, as upstream requires"
        );
    }
    // Each file is its own log entry; one that cannot be made is reported
    // and the others are still made (as upstream), the exit status says so.
    let mut failed = 0;
    let mut jobs: Vec<(String, Option<u64>, u64)> = Vec::new();
    for m in &a.multi {
        match &m.spec {
            Ok((size, seed)) => jobs.push((m.path.clone(), Some(*size), *seed)),
            Err(e) => {
                eprintln!("famfs creat: {}: {e}", m.path);
                failed += 1;
            }
        }
    }
    if let Some(p) = &a.path {
        let seed = if a.randomize { a.seed.unwrap_or(0) } else { 0 };
        if a.randomize && seed == 0 {
            eprintln!("famfs creat: --randomize without a seed (or seed 0): the file is not filled (as upstream)");
        }
        jobs.push((p.clone(), a.size, seed));
    }
    let total = jobs.len() + failed;
    if !a.multi.is_empty() && a.dev.device.is_none() {
        // Paths that are not in a famfs mount fail alone.
        jobs.retain(|j| match resolve(&a.dev, &[&j.0]) {
            Ok(_) => true,
            Err(e) => {
                eprintln!("famfs creat: {}", crate::errmsg::causes(&e));
                failed += 1;
                false
            }
        });
    }
    if jobs.is_empty() {
        println!("created 0 of {total} files with {failed} errors");
        return Ok(Status::Failed);
    }
    let paths: Vec<&str> = jobs.iter().map(|j| j.0.as_str()).collect();
    let (mut fs, rels, data) = open(&a.dev, &paths, true)?;
    for ((path, size, seed), rel) in jobs.iter().zip(rels) {
        let job = CreatJob {
            path: path.clone(),
            rel,
            size: *size,
            seed: *seed,
        };
        let r = creat_one(&mut fs, &data, a, &job).and_then(|_| data.wait_visible(&job.rel));
        if let Err(e) = r {
            eprintln!("famfs creat: {}", crate::errmsg::causes(&e));
            failed += 1;
        }
    }
    fs.sync()?;
    if !a.multi.is_empty() {
        println!(
            "created {} of {total} files with {failed} errors",
            total - failed
        );
    }
    Ok(if failed == 0 {
        Status::Ok
    } else {
        Status::Failed
    })
}
