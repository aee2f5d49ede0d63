// SPDX-License-Identifier: GPL-2.0
//! Which file system a command means, and the paths inside it.
//!
//! - `--device/-D` (or FAMFS_DEVICE): an unmounted device or image; paths
//!   are relative to its root.
//! - otherwise: paths in a famfs mount (famfs_rs or plain FUSE), found in
//!   /proc/self/mountinfo by longest mount point prefix, as upstream famfs
//!   does. The device is the mount's source.
//!
//! How a mounted file system is reached is decided in [`open_mounted`]
//! and [`whole_or_mount`] alone:
//! - famfs_rs mounts: the devices belong to famfs_rs.ko (their raw nodes
//!   fail with ENXIO, or on fsdev_dax open but neither read nor map), so
//!   the superblock and log are the mount's
//!   `<mnt>/.meta/.superblock` and `<mnt>/.meta/.log` (mapped shared,
//!   appends under flock of `.log`), devices stand in with their logged
//!   sizes, and file data is read and written through the mounted files
//!   ([`crate::data`]);
//! - plain FUSE mounts (read-only, no dax): the raw device, as offline.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use famfs_host::mountinfo::{self, InMount, MountEntry};
use famfs_meta::{Famfs, MetaError, MetaStore};
use uuid::Uuid;

use crate::cli::DeviceArgs;
use crate::data::Data;

/// Where the file system the user named lives.
pub enum Target {
    /// An unmounted devdax device or image file, plus secondary devices.
    Offline {
        device: PathBuf,
        daxdevs: Vec<PathBuf>,
    },
    /// A mounted famfs.
    Mounted {
        mount: MountEntry,
        daxdevs: Vec<PathBuf>,
    },
}

/// Where `path` lies, if in a famfs mount (it need not exist yet).
pub fn in_mount(path: &Path) -> Result<Option<InMount>> {
    let abs = mountinfo::resolve(path).with_context(|| format!("{}", path.display()))?;
    let mounts = mountinfo::read().context("reading /proc/self/mountinfo")?;
    Ok(mountinfo::famfs_path(&mounts, &abs))
}

/// The target and the paths inside it that `paths` name.
pub fn resolve(d: &DeviceArgs, paths: &[&str]) -> Result<(Target, Vec<String>)> {
    if let Some(device) = &d.device {
        let t = Target::Offline {
            device: device.clone(),
            daxdevs: d.daxdev.clone(),
        };
        return Ok((t, paths.iter().map(|p| p.to_string()).collect()));
    }
    let mut mount: Option<MountEntry> = None;
    let mut rels = Vec::new();
    for p in paths {
        let Some(m) = in_mount(Path::new(p))? else {
            bail!(
                "{p}: not inside a mounted famfs; for an unmounted device or image give it with \
                 --device/-D PATH (paths are then relative to its root)"
            );
        };
        if let Some(first) = &mount {
            if first.mountpoint != m.mount.mountpoint {
                bail!(
                    "{p}: in another famfs mount ({}) than {}",
                    m.mount.mountpoint.display(),
                    first.mountpoint.display()
                );
            }
        }
        rels.push(m.rel);
        mount.get_or_insert(m.mount);
    }
    let Some(mount) = mount else {
        bail!(
            "no file system named: give a path inside a famfs mount, or the device with \
             --device/-D PATH (or FAMFS_DEVICE)"
        );
    };
    Ok((
        Target::Mounted {
            mount,
            daxdevs: d.daxdev.clone(),
        },
        rels,
    ))
}

/// What a whole-file-system verb (fsck, logplay) reads.
pub enum Whole {
    /// A raw device or image (unmounted, or under a plain FUSE mount).
    Device(PathBuf),
    /// The `.meta` directory of a famfs_rs mount.
    Meta(PathBuf),
}

impl Whole {
    /// For messages.
    pub fn display(&self) -> std::path::Display<'_> {
        match self {
            Whole::Device(p) | Whole::Meta(p) => p.display(),
        }
    }
}

/// The `.meta` directory of the famfs_rs mount at `mountpoint`.
pub fn meta_dir(mountpoint: &Path) -> PathBuf {
    mountpoint.join(famfs_meta::store::META_DIR)
}

/// A device argument that may also be a famfs mount point (fsck,
/// logplay).
pub fn whole_or_mount(arg: &Path) -> Result<Whole> {
    if arg.is_dir() {
        if let Some(m) = in_mount(arg)? {
            if m.mount.is_plain() {
                return Ok(Whole::Device(PathBuf::from(m.mount.source)));
            }
            return Ok(Whole::Meta(meta_dir(&m.mount.mountpoint)));
        }
        bail!(
            "{}: a directory, but not a famfs mount; name the devdax device or image",
            arg.display()
        );
    }
    Ok(Whole::Device(arg.to_owned()))
}

/// Where a mounted famfs's file data is read and written.
pub fn data_path(mount: &MountEntry) -> Data {
    if mount.is_plain() {
        Data::Device
    } else {
        Data::Mount(mount.mountpoint.clone())
    }
}

/// Opens a mounted famfs (see the module documentation for the seam).
pub fn open_mounted(mount: &MountEntry, writable: bool, host: Uuid) -> Result<Famfs> {
    if let Data::Mount(mnt) = data_path(mount) {
        return open_meta(&meta_dir(&mnt), writable, host);
    }
    let device = Path::new(&mount.source);
    Famfs::open_path(device, writable, host).with_context(|| {
        format!(
            "famfs mounted on {}: its device {}",
            mount.mountpoint.display(),
            mount.source
        )
    })
}

/// Opens the famfs whose `.meta` directory is `meta` (normally
/// `<mnt>/.meta`): no device is mapped.
pub fn open_meta(meta: &Path, writable: bool, host: Uuid) -> Result<Famfs> {
    let store = match MetaStore::on_meta_files(meta, writable) {
        // famfs_rs.ko does not open the log for writing on a client
        // (EROFS): open it to read, so that the command is refused as it is
        // everywhere else, naming this host and the master.
        Err(MetaError::Io { source, .. })
            if writable && source.raw_os_error() == Some(libc::EROFS) =>
        {
            MetaStore::on_meta_files(meta, false)
        }
        r => r,
    }
    .with_context(|| {
        format!(
            "the metadata files of the famfs mounted on {}",
            meta.parent().unwrap_or(meta).display()
        )
    })?;
    Ok(Famfs::open_sizes_only(store, host)?)
}
