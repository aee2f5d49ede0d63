// SPDX-License-Identifier: GPL-2.0
//! What each verb does.
//!
//! Every verb that works on files goes through [`open`], which turns the
//! command line into an open [`Famfs`] and the paths inside it: an
//! unmounted device or image (`--device`), or paths inside a famfs mount
//! (see [`crate::target`]).

use std::fs::File;
use std::io::Read;
use std::os::unix::fs::MetadataExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use anyhow::{anyhow, bail, Context, Result};
use famfs_meta::namespace::normalize_path;
use famfs_meta::{
    fsck as run_fsck, host_system_uuid, kill_superblock, mkfs as run_mkfs, pattern, stitched,
    Attrs, DaxDevice, Famfs, InterleaveParams, Layout, Media, MetaStore, MkfsOptions, NodeKind,
    FM_ALL_HOSTS_RO,
};
use famfs_omf::ALLOC_UNIT;
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use crate::cli::*;
use crate::data::{Data, FileData};
use crate::output;
use crate::size::human;
use crate::target::{data_path, open_meta, open_mounted, resolve, whole_or_mount, Target, Whole};
use crate::Status;

/// Bytes moved per read/write call when copying data.
const IO_CHUNK: usize = 8 << 20;
/// Copies at least this large get a progress bar (on a terminal).
const PROGRESS_MIN: u64 = 64 << 20;

/// This host's system UUID; read-only verbs get along without one.
fn host(required: bool) -> Result<Uuid> {
    match host_system_uuid() {
        Ok(u) => Ok(u),
        Err(e) if required => Err(e.into()),
        Err(_) => Ok(Uuid::nil()),
    }
}

/// Opens the file system `d` and `paths` name; returns it, the paths
/// relative to its root and where file data goes.
fn open(d: &DeviceArgs, paths: &[&str], writable: bool) -> Result<(Famfs, Vec<String>, Data)> {
    let (t, rels) = resolve(d, paths)?;
    let (mut fs, daxdevs, data) = match t {
        Target::Offline { device, daxdevs } => (
            Famfs::open_path(&device, writable, host(writable)?)?,
            daxdevs,
            Data::Device,
        ),
        Target::Mounted { mount, daxdevs } => (
            open_mounted(&mount, writable, host(writable)?)?,
            daxdevs,
            data_path(&mount),
        ),
    };
    if data != Data::Device && !daxdevs.is_empty() {
        eprintln!("famfs: --daxdev ignored: a mounted famfs reaches its devices through the mount");
    } else {
        for p in daxdevs {
            let dev = DaxDevice::open(&p, writable)?;
            fs.attach_device(dev.map)?;
        }
    }
    Ok((fs, rels, data))
}

/// [`open`] for one path.
fn open_one(d: &DeviceArgs, path: &str, writable: bool) -> Result<(Famfs, String, Data)> {
    let (fs, mut rels, data) = open(d, &[path], writable)?;
    let rel = rels.pop().unwrap_or_default();
    Ok((fs, rel, data))
}

fn caller_ids() -> (u32, u32) {
    // The caller's ids are those of the files it creates, as with open(2).
    let me = std::fs::metadata("/proc/self").ok();
    me.map_or((0, 0), |m| (m.uid(), m.gid()))
}

fn attrs(o: &OwnerArgs, default_mode: u32, default_ids: (u32, u32)) -> Attrs {
    Attrs {
        mode: o.mode.unwrap_or(default_mode),
        uid: o.uid.unwrap_or(default_ids.0),
        gid: o.gid.unwrap_or(default_ids.1),
    }
}

/// The layout `l` asks for, on the devices `fs` has ("all" is every
/// device in its log; whether they are usable is checked at creation).
pub(crate) fn layout(l: &LayoutArgs, fs: &Famfs) -> Result<Layout> {
    let devices = match &l.devices {
        None => vec![0],
        Some(Devices::All) => (0..fs.replay().devices.len() as u32).collect(),
        Some(Devices::List(v)) => v.clone(),
    };
    Ok(match l.nstrips {
        None => match devices[..] {
            [devindex] => Layout::Simple { devindex },
            _ => bail!(
                "{}: --devices lists {} devices, but a file without --nstrips goes on one; \
                 give one index, or interleave with -N/--nstrips (at least {} strips)",
                fs.name(),
                devices.len(),
                devices.len()
            ),
        },
        Some(nstrips) => Layout::Interleaved {
            devices,
            params: InterleaveParams {
                nstrips,
                chunk_size: l.chunksize.unwrap_or(ALLOC_UNIT),
                nbuckets: l.nbuckets.unwrap_or(nstrips),
            },
        },
    })
}

pub fn mkfs(a: &MkfsArgs) -> Result<Status> {
    let dev = DaxDevice::open(&a.device, true)?;
    let name = a.device.display().to_string();
    if a.kill {
        kill_superblock(dev.map.as_ref())?;
        println!("{name}: superblock destroyed; the device no longer holds famfs");
        return Ok(Status::Ok);
    }
    let host = host(true)?;
    let mut opts = MkfsOptions::new(host, &name);
    opts.force = a.force;
    if let Some(l) = a.loglen {
        opts.log_len = l;
    }
    let sb = run_mkfs(dev.map.as_ref(), &opts)?;
    println!(
        "{name}: famfs created\n  size: {} ({:#x})\n  fs uuid: {}\n  device uuid: {}\n  master system uuid: {}\n  log: {} at {:#x}, {} entries\n  data: {} from {:#x}",
        human(sb.dev_size()),
        sb.dev_size(),
        sb.fs_uuid(),
        sb.dev_uuid(),
        sb.system_uuid(),
        human(sb.log_len()),
        sb.log_offset(),
        famfs_omf::log_slots(sb.log_len()),
        human(sb.dev_size() - sb.data_start()),
        sb.data_start(),
    );
    Ok(Status::Ok)
}

/// Opens `w` read-only (logplay, fsck -v).
fn open_whole(w: &Whole, host: Uuid) -> Result<Famfs> {
    match w {
        Whole::Device(p) => Ok(Famfs::open_path(p, false, host)?),
        Whole::Meta(m) => open_meta(m, false, host),
    }
}

pub fn fsck(a: &FsckArgs) -> Result<Status> {
    let whole = whole_or_mount(&a.device)?;
    let media: Arc<dyn Media> = match &whole {
        Whole::Device(p) => DaxDevice::open(p, false)?.map,
        Whole::Meta(m) => Arc::new(stitched::whole_of(&MetaStore::on_meta_files(m, false)?)?),
    };
    let report = run_fsck(media);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        output::print_fsck(&report);
        if a.verbose && report.superblock.is_some() {
            if let Ok(fs) = open_whole(&whole, Uuid::nil()) {
                output::print_namespace(fs.namespace());
            }
        }
    }
    Ok(if report.is_clean() {
        Status::Ok
    } else {
        Status::CheckFailed
    })
}

pub fn logplay(a: &LogplayArgs) -> Result<Status> {
    let device = whole_or_mount(&a.device)?;
    let fs = open_whole(&device, host(false)?)?;
    let r = fs.replay();
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&output::NamespaceJson::new(&fs))?
        );
    } else {
        output::print_namespace(fs.namespace());
        let (files, dirs) = fs.namespace().counts();
        println!(
            "{}: {} log entries replayed: {files} files, {dirs} directories{}",
            device.display(),
            r.next_index,
            if fs.is_master() {
                " (this host is the master)"
            } else {
                ""
            }
        );
    }
    for f in &r.findings {
        eprintln!("famfs logplay: {}: {f}", device.display());
    }
    Ok(if r.has_errors() {
        Status::CheckFailed
    } else {
        Status::Ok
    })
}

/// Fill `file` (of `size` bytes) with the pattern of `seed`.
pub(crate) fn randomize(file: &FileData<'_>, size: u64, seed: u64) -> Result<()> {
    let mut buf = vec![0u8; IO_CHUNK];
    let mut off = 0;
    while off < size {
        let n = (size - off).min(IO_CHUNK as u64) as usize;
        pattern::fill(seed, off, &mut buf[..n]);
        file.write_at(off, &buf[..n])?;
        off += n as u64;
    }
    file.sync()
}

pub fn creat(a: &CreatArgs) -> Result<Status> {
    let (mut fs, path, data) = open_one(&a.dev, &a.path, true)?;
    let at = attrs(&a.owner, 0o644, caller_ids());
    let layout = layout(&a.layout, &fs)?;
    let ino = if a.read_only {
        fs.begin()?
            .creat_with_flags(&path, a.size, at, layout, FM_ALL_HOSTS_RO)?
    } else {
        fs.creat(&path, a.size, at, layout)?
    };
    if a.randomize {
        let file = data.open(&fs, ino, &path, true)?;
        randomize(&file, a.size, a.seed.unwrap_or_default())
            .with_context(|| format!("filling {}", a.path))?;
    }
    fs.sync()?;
    data.wait_visible(&path)?;
    Ok(Status::Ok)
}

pub fn mkdir(a: &MkdirArgs) -> Result<Status> {
    let paths: Vec<&str> = a.paths.iter().map(String::as_str).collect();
    let (mut fs, rels, data) = open(&a.dev, &paths, true)?;
    let at = attrs(&a.owner, 0o755, caller_ids());
    for p in &rels {
        fs.mkdir(p, at, a.parents)?;
    }
    fs.sync()?;
    for p in &rels {
        data.wait_visible(p)?;
    }
    Ok(Status::Ok)
}

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
) -> Result<()> {
    let meta = std::fs::metadata(src).with_context(|| format!("{}", src.display()))?;
    if meta.is_dir() {
        if !a.recursive {
            bail!("{}: is a directory (use -r to copy it)", src.display());
        }
        if fs.namespace().lookup(&dest).is_none() {
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
            plan_copy(fs, a, &e.path(), format!("{dest}/{name}"), jobs)?;
        }
    } else if meta.is_file() {
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
    let mut jobs = Vec::new();
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
        plan_copy(&mut fs, a, src, target, &mut jobs)?;
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
        copy_one(&mut fs, &data, a, j, &lay, &bar)?;
        if a.verbose {
            bar.suspend(|| println!("{} -> {}", j.src.display(), j.dest));
        }
    }
    bar.finish_and_clear();
    fs.sync()?;
    Ok(Status::Ok)
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
    let ino = fs.creat(&j.dest, j.size, at, lay.clone())?;
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

pub fn getmap(a: &GetmapArgs) -> Result<Status> {
    let (fs, path, _) = open_one(&a.dev, &a.path, false)?;
    let node = fs.file(&path)?;
    if a.json {
        println!("{}", serde_json::to_string_pretty(node)?);
    } else {
        output::print_getmap(node);
    }
    Ok(Status::Ok)
}

pub fn verify(a: &VerifyArgs) -> Result<Status> {
    let paths: Vec<&str> = a.paths.iter().map(String::as_str).collect();
    let (fs, rels, data) = open(&a.dev, &paths, false)?;
    let mut status = Status::Ok;
    let mut buf = vec![0u8; IO_CHUNK];
    for (p, rel) in a.paths.iter().zip(&rels) {
        let node = fs.file(rel)?;
        let NodeKind::File { size, .. } = node.kind else {
            continue;
        };
        let file = data.open(&fs, node.ino, rel, false)?;
        let mut off = 0;
        let mut bad = None;
        while off < size && bad.is_none() {
            let n = (size - off).min(IO_CHUNK as u64) as usize;
            file.read_at(off, &mut buf[..n])?;
            bad = pattern::first_mismatch(a.seed, off, &buf[..n]);
            off += n as u64;
        }
        match bad {
            Some(at) => {
                eprintln!(
                    "famfs verify: {}: {p}: data differs from seed {} at offset {at:#x}",
                    fs.name(),
                    a.seed
                );
                status = Status::CheckFailed;
            }
            None => println!("{p}: ok ({} verified)", human(size)),
        }
    }
    Ok(status)
}

pub fn check(a: &CheckArgs) -> Result<Status> {
    let paths: Vec<&str> = a.path.iter().map(String::as_str).collect();
    let (fs, _, _) = open(&a.dev, &paths, false)?;
    let mut problems = 0usize;
    for f in &fs.replay().findings {
        if f.severity == famfs_meta::Severity::Error {
            eprintln!("famfs check: {}: {f}", fs.name());
            problems += 1;
        }
    }
    let mut files = 0usize;
    for n in fs.namespace().nodes() {
        let NodeKind::File { size, fmap, .. } = &n.kind else {
            continue;
        };
        files += 1;
        let mut ok = true;
        if let Err(p) = fmap.check(*size) {
            eprintln!("famfs check: {}: {}: unusable fmap: {p}", fs.name(), n.path);
            ok = false;
        }
        for r in fmap.ranges() {
            if fs.device_media(r.devindex).is_none() {
                eprintln!(
                    "famfs check: {}: {}: uses device {}, which is not present (give it with --daxdev)",
                    fs.name(),
                    n.path,
                    r.devindex
                );
                ok = false;
                break;
            }
        }
        if !ok {
            problems += 1;
        } else if a.verbose {
            println!("ok {}", n.path);
        }
    }
    let (_, dirs) = fs.namespace().counts();
    println!(
        "{}: {files} files, {dirs} directories, {problems} problems",
        fs.name(),
    );
    Ok(if problems == 0 {
        Status::Ok
    } else {
        Status::CheckFailed
    })
}

pub fn adddev(a: &AdddevArgs) -> Result<Status> {
    let (mut fs, _, _) = open(&a.dev, &[], true)?;
    let dev = DaxDevice::open(&a.secondary, true)?;
    let media: Arc<dyn Media> = dev.map;
    let name = a.secondary.display().to_string();
    let index = fs.begin()?.add_daxdev(media, &name)?;
    fs.sync()?;
    println!("{name}: added to {} as device index {index}", fs.name());
    Ok(Status::Ok)
}
