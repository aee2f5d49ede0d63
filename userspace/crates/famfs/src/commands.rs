// SPDX-License-Identifier: GPL-2.0
//! What each verb does.
//!
//! Every verb that works on files goes through [`open`], which turns the
//! command line into an open [`Famfs`] and the paths inside it: an
//! unmounted device or image (`--device`), or paths inside a famfs mount
//! (see [`crate::target`]).

use std::os::unix::fs::MetadataExt;
use std::sync::Arc;

use anyhow::{bail, Result};
use famfs_meta::{
    fsck as run_fsck, host_system_uuid, kill_superblock, mkfs as run_mkfs, stitched, Attrs,
    DaxDevice, Famfs, InterleaveParams, Layout, Media, MetaStore, MkfsOptions, NodeKind,
};
use famfs_omf::ALLOC_UNIT;
use uuid::Uuid;

use crate::cli::*;
use crate::data::Data;
use crate::output;
use crate::size::human;
use crate::target::{
    data_path, meta_dir, open_meta, open_mounted, resolve, whole_or_mount, Target, Whole,
};
use crate::Status;
use crate::{compat, devwait, shadow};

/// Bytes moved per read/write call when copying data.
pub(crate) const IO_CHUNK: usize = 8 << 20;

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
    let direct = "famfs_rs's mkfs writes the device directly, with no internal mount";
    let u = &a.upstream;
    compat::no_effect(
        "mkfs",
        &[
            (u.nofuse, "--nofuse", direct),
            (u.fuse, "--fuse", direct),
            (u.nodax, "--nodax", direct),
            (u.set_daxmode, "--set-daxmode", compat::DAXMODE),
        ],
    );
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

/// Opens `w` read-only (logplay).
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
            output::print_namespace(&report.namespace);
        }
    }
    let status = if report.is_clean() {
        Status::Ok
    } else {
        Status::CheckFailed
    };
    // The process ends next: freeing the tree node by node (a tenth of
    // fsck's time on a full log) would only delay the exit.
    std::mem::forget(report);
    Ok(status)
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
    if !a.quiet {
        println!(
            "{}: {files} files, {dirs} directories, {problems} problems",
            fs.name(),
        );
    }
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
