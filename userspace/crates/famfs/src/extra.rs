// SPDX-License-Identifier: GPL-2.0
//! Upstream's small verbs: `flush`, `chkread`, `clone` and `mkmeta`.

use std::fs::File;
use std::io::Read;
use std::path::Path;

use anyhow::{bail, Context, Result};
use famfs_meta::{MappedFile, NodeKind};
use famfs_omf::{LogRecord, OmfLogHeader, OmfSuperblock};

use crate::cli::{ChkreadArgs, CloneArgs, FlushArgs, MkmetaArgs};
use crate::commands::open;
use crate::{devwait, Status};

/// Maps the whole of the regular file `path` (read-only, shared).
fn map_file(path: &Path) -> Result<(MappedFile, u64)> {
    let f = File::open(path).with_context(|| format!("{}", path.display()))?;
    let md = f
        .metadata()
        .with_context(|| format!("{}", path.display()))?;
    if !md.is_file() {
        bail!("{}: not a regular file", path.display());
    }
    if md.len() == 0 {
        bail!("{}: empty", path.display());
    }
    Ok((MappedFile::map(f, path, 0, md.len(), false)?, md.len()))
}

pub fn flush(a: &FlushArgs) -> Result<Status> {
    let mut errors = 0;
    for p in &a.files {
        let in_famfs = crate::target::in_mount(p).ok().flatten().is_some();
        let r = if in_famfs {
            map_file(p).map(|(m, len)| {
                m.flush_cpu_cache();
                len
            })
        } else {
            Err(anyhow::anyhow!("{}: not in a famfs mount", p.display()))
        };
        match r {
            Ok(len) if crate::verbosity() > 0 => println!("{}: flushed {len} bytes", p.display()),
            Ok(_) => {}
            Err(e) => {
                eprintln!("famfs flush: {}", crate::errmsg::causes(&e));
                errors += 1;
            }
        }
    }
    if errors > 0 {
        println!("famfs flush: {errors} errors were detected");
        return Ok(Status::Failed);
    }
    Ok(Status::Ok)
}

pub fn chkread(a: &ChkreadArgs) -> Result<Status> {
    let (map, len) = map_file(&a.file)?;
    let mut by_read = Vec::with_capacity(len as usize);
    File::open(&a.file)
        .and_then(|mut f| f.read_to_end(&mut by_read))
        .with_context(|| format!("{}: read", a.file.display()))?;
    let mut by_map = vec![0u8; len as usize];
    famfs_meta::Media::read_at(&map, 0, &mut by_map)?;
    if a.superblock {
        match OmfSuperblock::parse(&by_map) {
            Ok(sb) => println!(
                "superblock: version {}, log at {:#x}, {} bytes, fs {}, master {}",
                sb.ts_version.get(),
                sb.log_offset(),
                sb.log_len(),
                sb.fs_uuid(),
                sb.system_uuid()
            ),
            Err(e) => println!("superblock: {e}"),
        }
    }
    if a.log {
        match OmfLogHeader::parse(&by_map) {
            Ok(h) => println!(
                "log: {} bytes, last index {}, next index {}",
                h.len.get(),
                h.last_index.get(),
                h.next_index.get()
            ),
            Err(e) => println!("log: {e}"),
        }
    }
    if by_read.len() as u64 != len {
        bail!(
            "{}: read(2) returned {} bytes, the file has {len}",
            a.file.display(),
            by_read.len()
        );
    }
    if let Some(i) = by_read.iter().zip(&by_map).position(|(r, m)| r != m) {
        eprintln!(
            "famfs chkread: {}: read and mmap differ at offset {i:#x}",
            a.file.display()
        );
        return Ok(Status::Failed);
    }
    println!("{}: read and mmap match ({len} bytes)", a.file.display());
    Ok(Status::Ok)
}

pub fn clone(a: &CloneArgs) -> Result<Status> {
    let (mut fs, rels, data) = open(&a.dev, &[a.src.as_str(), a.dest.as_str()], true)?;
    let node = fs.file(&rels[0])?.clone();
    let NodeKind::File { size, flags, fmap } = node.kind else {
        bail!("{}: not a regular file", a.src);
    };
    let rec = LogRecord::File(famfs_omf::FileCreation {
        path: famfs_meta::namespace::normalize_path(&rels[1])
            .map_err(|m| anyhow::anyhow!("{}: {m}", a.dest))?,
        size,
        flags,
        uid: node.uid,
        gid: node.gid,
        mode: node.mode,
        fmap,
    });
    fs.begin()?.append_unchecked(&rec)?;
    fs.sync()?;
    data.wait_visible(&rels[1])?;
    eprintln!(
        "famfs clone: {} now shares {}'s extents: the file system is cross-linked on purpose \
         (fsck reports it)",
        a.dest, a.src
    );
    Ok(Status::Ok)
}

pub fn mkmeta(a: &MkmetaArgs) -> Result<Status> {
    if !a.device.exists() {
        bail!("{}: no such device", a.device.display());
    }
    match devwait::mounted_on(&a.device) {
        Some(mnt) => {
            println!(
                "{}: mounted on {}; famfs_rs serves {}/.meta/.superblock and .meta/.log \
                 from the start (nothing to make)",
                a.device.display(),
                mnt.display(),
                mnt.display()
            );
            Ok(Status::Ok)
        }
        None => bail!(
            "{}: not mounted: famfs_rs's .meta files exist only in a mount (famfs mount)",
            a.device.display()
        ),
    }
}
