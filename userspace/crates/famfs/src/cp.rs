// SPDX-License-Identifier: GPL-2.0
//! `famfs cp`: host files and trees into famfs, restartable as upstream's
//! (an existing destination of the source's size is overwritten), or
//! compared with `--compare`.

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};

use anyhow::{anyhow, bail, Context, Result};
use famfs_meta::namespace::normalize_path;
use famfs_meta::{Famfs, Layout, NodeKind};
use indicatif::{ProgressBar, ProgressStyle};

use crate::cli::CpArgs;
use crate::commands::{attrs, layout, open_one, IO_CHUNK};
use crate::compat;
use crate::data::Data;
use crate::Status;

/// Copies at least this large get a progress bar (on a terminal).
const PROGRESS_MIN: u64 = 64 << 20;

/// One file to copy.
struct CopyJob {
    src: PathBuf,
    dest: String,
    size: u64,
    meta: std::fs::Metadata,
}

/// Work out what to copy where; directories (for -r) are created here.
fn plan_copy(
    fs: &mut Famfs,
    a: &CpArgs,
    src: &Path,
    dest: String,
    jobs: &mut Vec<CopyJob>,
    failed: &mut usize,
) -> Result<()> {
    let meta = std::fs::metadata(src).with_context(|| format!("{}", src.display()))?;
    if meta.is_dir() {
        if !a.recursive {
            bail!("{}: is a directory (use -r to copy it)", src.display());
        }
        if a.compare {
            // Compare only: nothing is created.
        } else if fs.namespace().lookup(&dest).is_none() {
            let at = attrs(&a.owner, meta.mode() & 0o7777, (meta.uid(), meta.gid()));
            fs.mkdir(&dest, at, false)?;
        }
        let mut entries: Vec<_> = std::fs::read_dir(src)
            .with_context(|| format!("{}", src.display()))?
            .collect::<Result<_, _>>()
            .with_context(|| format!("{}", src.display()))?;
        entries.sort_by_key(|e| e.file_name());
        for e in entries {
            let name = e.file_name().to_string_lossy().into_owned();
            // One bad entry is reported; the rest of the tree is copied.
            if let Err(e) = plan_copy(fs, a, &e.path(), format!("{dest}/{name}"), jobs, failed) {
                eprintln!("famfs cp: {}", crate::errmsg::causes(&e));
                *failed += 1;
            }
        }
    } else if meta.is_file() {
        if meta.len() == 0 {
            bail!(
                "{}: empty: a famfs file needs a size above 0 (famfs files never grow)",
                src.display()
            );
        }
        jobs.push(CopyJob {
            src: src.to_owned(),
            dest,
            size: meta.len(),
            meta,
        });
    } else {
        bail!("{}: not a regular file or directory", src.display());
    }
    Ok(())
}

pub fn cp(a: &CpArgs) -> Result<Status> {
    let (dest, srcs) = a
        .paths
        .split_last()
        .ok_or_else(|| anyhow!("cp needs a source and a destination"))?;
    let (mut fs, dest_rel, data) = open_one(&a.dev, &dest.to_string_lossy(), true)?;
    let dest_str = dest_rel.as_str();
    let dest_is_root = dest_str.trim_matches('/').is_empty();
    let dest_norm = if dest_is_root {
        String::new()
    } else {
        normalize_path(dest_str).map_err(|m| anyhow!("{}: {m}", fs.name()))?
    };
    let into_dir = dest_is_root
        || fs
            .namespace()
            .lookup(&dest_norm)
            .is_some_and(|n| n.is_dir());
    if srcs.len() > 1 && !into_dir {
        bail!(
            "{}: {dest_str}: not an existing directory (needed for several sources)",
            fs.name()
        );
    }
    // Refuse a bad layout before -r creates any directory.
    let lay = layout(&a.layout, &fs)?;
    fs.check_layout(dest_str, &lay)?;
    compat::no_effect(
        "cp",
        &[(
            a.threads.threadct.is_some(),
            "--threadct",
            "famfs_rs copies one file after another",
        )],
    );
    let mut jobs = Vec::new();
    let mut failed = 0usize;
    for src in srcs {
        let target = if into_dir {
            let name = src
                .file_name()
                .ok_or_else(|| anyhow!("{}: has no file name", src.display()))?
                .to_string_lossy();
            if dest_norm.is_empty() {
                name.into_owned()
            } else {
                format!("{dest_norm}/{name}")
            }
        } else {
            dest_norm.clone()
        };
        // As upstream: one bad source (a directory without -r, an empty
        // or special file) is reported, the others are still copied, and
        // the exit status says something failed.
        if let Err(e) = plan_copy(&mut fs, a, src, target, &mut jobs, &mut failed) {
            eprintln!("famfs cp: {}", crate::errmsg::causes(&e));
            failed += 1;
        }
    }
    let total: u64 = jobs.iter().map(|j| j.size).sum();
    let bar = if total >= PROGRESS_MIN {
        let b = ProgressBar::new(total);
        b.set_style(
            ProgressStyle::with_template(
                "{msg} [{bar:40}] {bytes}/{total_bytes} ({bytes_per_sec}, {eta})",
            )?
            .progress_chars("=> "),
        );
        b
    } else {
        ProgressBar::hidden()
    };
    for j in &jobs {
        bar.set_message(j.dest.clone());
        let r = if a.compare {
            compare_one(&fs, &data, j)
        } else {
            copy_one(&mut fs, &data, a, j, &lay, &bar)
        };
        match r {
            Ok(()) if crate::verbosity() > 0 => {
                let verb = if a.compare { "matches" } else { "->" };
                bar.suspend(|| println!("{} {verb} {}", j.src.display(), j.dest));
            }
            Ok(()) => {}
            Err(e) => {
                bar.suspend(|| eprintln!("famfs cp: {}", crate::errmsg::causes(&e)));
                failed += 1;
            }
        }
    }
    bar.finish_and_clear();
    fs.sync()?;
    Ok(if failed == 0 {
        Status::Ok
    } else {
        Status::Failed
    })
}

/// The file `dest` names, if it exists: an existing file of `size` bytes
/// is reused (cp is restartable, as upstream's); any other is an error.
fn existing_dest(fs: &Famfs, dest: &str, size: u64) -> Result<Option<u64>> {
    let Some(n) = fs.namespace().lookup(dest) else {
        return Ok(None);
    };
    match n.kind {
        NodeKind::File { size: s, .. } if s == size => Ok(Some(n.ino)),
        NodeKind::File { size: s, .. } => bail!(
            "{}: {dest}: exists with size {s}, the source has {size}; famfs files never \
             change size",
            fs.name()
        ),
        NodeKind::Dir { .. } => bail!("{}: {dest}: is a directory", fs.name()),
    }
}

/// `cp --compare`: the destination holds the source's bytes.
fn compare_one(fs: &Famfs, data: &Data, j: &CopyJob) -> Result<()> {
    let ino = existing_dest(fs, &j.dest, j.size)?
        .ok_or_else(|| anyhow!("{}: {}: does not exist", fs.name(), j.dest))?;
    let file = data.open(fs, ino, &j.dest, false)?;
    let mut src = File::open(&j.src).with_context(|| format!("{}", j.src.display()))?;
    let (mut want, mut got) = (vec![0u8; IO_CHUNK], vec![0u8; IO_CHUNK]);
    let mut off = 0u64;
    while off < j.size {
        let n = (j.size - off).min(IO_CHUNK as u64) as usize;
        src.read_exact(&mut want[..n])
            .with_context(|| format!("{}: read at {off:#x}", j.src.display()))?;
        file.read_at(off, &mut got[..n])?;
        if let Some(i) = want[..n].iter().zip(&got[..n]).position(|(a, b)| a != b) {
            bail!(
                "{}: differs from {} at offset {:#x}",
                j.dest,
                j.src.display(),
                off + i as u64
            );
        }
        off += n as u64;
    }
    Ok(())
}

fn copy_one(
    fs: &mut Famfs,
    data: &Data,
    a: &CpArgs,
    j: &CopyJob,
    lay: &Layout,
    bar: &ProgressBar,
) -> Result<()> {
    let at = attrs(
        &a.owner,
        j.meta.mode() & 0o7777,
        (j.meta.uid(), j.meta.gid()),
    );
    let mut src = File::open(&j.src).with_context(|| format!("{}", j.src.display()))?;
    let ino = match existing_dest(fs, &j.dest, j.size)? {
        Some(ino) => ino,
        None => fs.creat(&j.dest, j.size, at, lay.clone())?,
    };
    let file = data.open(fs, ino, &j.dest, true)?;
    let mut buf = vec![0u8; IO_CHUNK];
    let mut off = 0u64;
    while off < j.size {
        let want = (j.size - off).min(IO_CHUNK as u64) as usize;
        src.read_exact(&mut buf[..want])
            .with_context(|| format!("{}: read at {off:#x} (did it shrink?)", j.src.display()))?;
        file.write_at(off, &buf[..want])?;
        off += want as u64;
        bar.inc(want as u64);
    }
    file.sync()
}
