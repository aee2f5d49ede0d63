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
};
use famfs_omf::ALLOC_UNIT;
use indicatif::{ProgressBar, ProgressStyle};
use uuid::Uuid;

use crate::cli::*;
use crate::data::{Data, FileData};
use crate::output;
use crate::size::human;
use crate::target::{
    data_path, meta_dir, open_meta, open_mounted, resolve, whole_or_mount, Target, Whole,
};
use crate::Status;
use crate::{compat, devwait, shadow};

/// Bytes moved per read/write call when copying data.
const IO_CHUNK: usize = 8 << 20;
/// Copies at least this large get a progress bar (on a terminal).
const PROGRESS_MIN: u64 = 64 << 20;

/// This host's system UUID; read-only verbs get along without one.
pub(crate) fn host(required: bool) -> Result<Uuid> {
    match host_system_uuid() {
        Ok(u) => Ok(u),
        Err(e) if required => Err(e.into()),
        Err(_) => Ok(Uuid::nil()),
    }
}

/// Opens the file system `d` and `paths` name; returns it, the paths
/// relative to its root and where file data goes.
pub(crate) fn open(
    d: &DeviceArgs,
    paths: &[&str],
    writable: bool,
) -> Result<(Famfs, Vec<String>, Data)> {
    let (t, rels) = resolve(d, paths)?;
    let (mut fs, daxdevs, data) = match t {
        Target::Offline { device, daxdevs } => {
            for d in std::iter::once(&device).chain(&daxdevs) {
                devwait::settle(d, "")?;
            }
            (
                Famfs::open_path(&device, writable, host(writable)?)?,
                daxdevs,
                Data::Device,
            )
        }
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
pub(crate) fn open_one(
    d: &DeviceArgs,
    path: &str,
    writable: bool,
) -> Result<(Famfs, String, Data)> {
    let (fs, mut rels, data) = open(d, &[path], writable)?;
    let rel = rels.pop().unwrap_or_default();
    Ok((fs, rel, data))
}

pub(crate) fn caller_ids() -> (u32, u32) {
    // The caller's ids are those of the files it creates, as with open(2).
    let me = std::fs::metadata("/proc/self").ok();
    me.map_or((0, 0), |m| (m.uid(), m.gid()))
}

pub(crate) fn attrs(o: &OwnerArgs, default_mode: u32, default_ids: (u32, u32)) -> Attrs {
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
    let name = a.device.display().to_string();
    if a.kill && !a.force {
        bail!(
            "{name}: --kill destroys the superblock (the device stops being a famfs): add \
             --force (-f) to confirm, as upstream's mkfs requires"
        );
    }
    devwait::settle(&a.device, "mkfs")?;
    let dev = DaxDevice::open(&a.device, true)?;
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
    let internal = "famfs_rs reads an unmounted device directly, with no internal mount";
    compat::no_effect(
        "fsck",
        &[
            (a.access.mmap, "--mmap", compat::ACCESS),
            (a.access.read, "--read", compat::ACCESS),
            (a.mode.set_daxmode, "--set-daxmode", compat::DAXMODE),
            (a.mode.load_module, "--load-module", compat::LOAD_MODULE),
            (a.nofuse, "--nofuse", internal),
            (a.fuse, "--fuse", internal),
            (a.nodax, "--nodax", internal),
        ],
    );
    let forced = if a.force {
        devwait::mounted_on(&a.device).map(|m| Whole::Meta(meta_dir(&m)))
    } else {
        None
    };
    let whole = match forced {
        Some(w) => w,
        None => {
            devwait::settle(&a.device, "fsck")?;
            whole_or_mount(&a.device)?
        }
    };
    let media: Arc<dyn Media> = match &whole {
        Whole::Device(p) => DaxDevice::open(p, false)?.map,
        Whole::Meta(m) => Arc::new(stitched::whole_of(&MetaStore::on_meta_files(m, false)?)?),
    };
    let report = run_fsck(media);
    if a.json {
        println!("{}", serde_json::to_string_pretty(&report)?);
    } else {
        let verbose = crate::verbosity() > 0;
        output::print_fsck(&report, a.human, verbose);
        if let Some(n) = a.nbuckets {
            output::print_buckets(&report, n, a.human)?;
        }
        if verbose && report.superblock.is_some() {
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
    compat::no_effect(
        "logplay",
        &[
            (a.access.mmap, "--mmap", compat::ACCESS),
            (a.access.read, "--read", compat::ACCESS),
            (a.set_daxmode, "--set-daxmode", compat::DAXMODE),
            (
                a.client,
                "--client",
                "replay is the same on the master and on clients",
            ),
            (
                a.shadowtest,
                "--shadowtest",
                "the shadow YAML is written once, not read back",
            ),
        ],
    );
    let arg = match (&a.daxdev, &a.device) {
        (Some(d), _) | (None, Some(d)) => d,
        (None, None) => bail!("logplay needs a device or a mount point"),
    };
    if a.daxdev.is_none() {
        devwait::settle(arg, "logplay")?;
    }
    let device = whole_or_mount(arg)?;
    let fs = open_whole(&device, host(false)?)?;
    let r = fs.replay();
    if let Some(dir) = &a.shadow {
        let n = shadow::write_tree(dir, fs.namespace())?;
        eprintln!(
            "famfs logplay: {}: shadow tree written to {} ({n} files)",
            device.display(),
            dir.join(shadow::ROOT).display()
        );
    }
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

/// Creates (or, as upstream, accepts) one file; returns whether it is
/// there afterwards (an error was printed otherwise).
fn creat_one(fs: &mut Famfs, data: &Data, a: &CreatArgs, job: &CreatJob) -> Result<()> {
    let shown = &job.path;
    let (rel, size) = match fs.namespace().lookup(&job.rel_or_root()) {
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
            (n.path.clone(), size)
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
            fs.creat(&job.rel, size, at, layout)?;
            (job.rel.clone(), size)
        }
    };
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

impl CreatJob {
    fn rel_or_root(&self) -> String {
        self.rel.trim_matches('/').to_owned()
    }
}

pub fn creat(a: &CreatArgs) -> Result<Status> {
    if a.seed.is_some_and(|s| s != 0) && !a.randomize {
        bail!(
            "--seed (-S) without --randomize (-r): add -r to fill the file, as upstream requires"
        );
    }
    let mut jobs: Vec<(String, Option<u64>, u64)> = a
        .multi
        .iter()
        .map(|m| (m.path.clone(), Some(m.size), m.seed))
        .collect();
    if let Some(p) = &a.path {
        let seed = if a.randomize { a.seed.unwrap_or(0) } else { 0 };
        if a.randomize && seed == 0 {
            eprintln!("famfs creat: --randomize without a seed (or seed 0): the file is not filled (as upstream)");
        }
        jobs.push((p.clone(), a.size, seed));
    }
    let paths: Vec<&str> = jobs.iter().map(|j| j.0.as_str()).collect();
    let (mut fs, rels, data) = open(&a.dev, &paths, true)?;
    let mut failed = 0;
    for ((path, size, seed), rel) in jobs.iter().zip(rels) {
        let job = CreatJob {
            path: path.clone(),
            rel,
            size: *size,
            seed: *seed,
        };
        let r = creat_one(&mut fs, &data, a, &job).and_then(|_| data.wait_visible(&job.rel));
        if let Err(e) = r {
            eprintln!("famfs creat: {e:#}");
            failed += 1;
        }
    }
    fs.sync()?;
    if !a.multi.is_empty() {
        println!(
            "created {} of {} files with {failed} errors",
            jobs.len() - failed,
            jobs.len()
        );
    }
    Ok(if failed == 0 {
        Status::Ok
    } else {
        Status::Failed
    })
}

pub fn mkdir(a: &MkdirArgs) -> Result<Status> {
    let paths: Vec<&str> = a.paths.iter().map(String::as_str).collect();
    let (mut fs, rels, data) = open(&a.dev, &paths, true)?;
    let at = attrs(&a.owner, 0o755, caller_ids());
    for (p, rel) in a.paths.iter().zip(&rels) {
        if rel.trim_matches('/').is_empty() {
            // The root: exists, which -p accepts and plain mkdir does not.
            if a.parents {
                continue;
            }
            bail!("{}: {p}: exists (the root of the file system)", fs.name());
        }
        fs.mkdir(rel, at, a.parents)?;
        if crate::verbosity() > 0 {
            println!("{p}: created");
        }
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
                eprintln!("famfs cp: {e:#}");
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
            a.threadct.is_some(),
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
            eprintln!("famfs cp: {e:#}");
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
                bar.suspend(|| eprintln!("famfs cp: {e:#}"));
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
        } else if crate::verbosity() > 0 {
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
    devwait::settle(&a.secondary, "adddev")?;
    let dev = DaxDevice::open(&a.secondary, true)?;
    let media: Arc<dyn Media> = dev.map;
    let name = a.secondary.display().to_string();
    let index = fs.begin()?.add_daxdev(media, &name)?;
    fs.sync()?;
    println!("{name}: added to {} as device index {index}", fs.name());
    Ok(Status::Ok)
}
