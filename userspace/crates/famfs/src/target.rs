// SPDX-License-Identifier: GPL-2.0
//! Which file system a command means, and the paths inside it.
//!
//! - `--device/-D` (or FAMFS_DEVICE): an unmounted device or image; paths
//!   are relative to its root.
//! - otherwise: paths in a famfs mount (famfs_rs or plain FUSE), found in
//!   /proc/self/mountinfo by longest mount point prefix, as upstream famfs
//!   does. The device is the mount's source.
//!
//! How a mounted file system's metadata is reached is decided in
//! [`open_mounted`] alone. Today (no dax data path yet) that is the raw
//! device, as offline. Once the dax path lands, the raw node fails with
//! ENXIO while mounted, and this becomes `MetaStore::on_meta_files(
//! <mnt>/.meta)` plus data through the mounted files themselves.

use std::path::{Path, PathBuf};

use anyhow::{bail, Context, Result};
use famfs_daemon::mountinfo::{self, InMount, MountEntry};
use famfs_meta::Famfs;
use uuid::Uuid;

use crate::cli::DeviceArgs;

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

/// A device argument that may also be a famfs mount point (fsck,
/// logplay): the device behind it.
pub fn device_or_mount(arg: &Path) -> Result<PathBuf> {
    if arg.is_dir() {
        if let Some(m) = in_mount(arg)? {
            return Ok(PathBuf::from(m.mount.source));
        }
        bail!(
            "{}: a directory, but not a famfs mount; name the devdax device or image",
            arg.display()
        );
    }
    Ok(arg.to_owned())
}

/// Opens a mounted famfs (see the module documentation for the seam).
pub fn open_mounted(mount: &MountEntry, writable: bool, host: Uuid) -> Result<Famfs> {
    let device = Path::new(&mount.source);
    Famfs::open_path(device, writable, host).with_context(|| {
        format!(
            "famfs mounted on {}: its device {}",
            mount.mountpoint.display(),
            mount.source
        )
    })
}
