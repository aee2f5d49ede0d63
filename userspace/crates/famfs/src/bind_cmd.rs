// SPDX-License-Identifier: GPL-2.0
//! `famfs bind` and `famfs unbind`: keep devdax devices on famfs_rs.ko's
//! dax driver (fsdev_dax on 7.x) across mounts, and give them back (see
//! famfs_host::bound).

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use famfs_host::bound;
use famfs_host::handover::{Holder, Sysfs};
use famfs_meta::rawnode::raw_node;

use crate::cli::{BindArgs, UnbindArgs};
use crate::{devwait, Status};

/// The dax bus name of devdax node `path`.
fn name_of(sysfs: &Sysfs, path: &Path) -> Result<String> {
    sysfs
        .dax_name(path)
        .map_err(|e| anyhow!("{}: {e}", path.display()))?
        .ok_or_else(|| anyhow!("{}: not a devdax device (/dev/daxX.Y)", path.display()))
}

/// Lists the bound devices and where each is now.
fn list(sysfs: &Sysfs) {
    for n in bound::list() {
        let at = sysfs
            .holder_of(&n)
            .map_or("not bound (the next mount binds it)", |h| h.driver());
        println!("{n}\t{at}");
    }
}

pub fn bind(a: &BindArgs) -> Result<Status> {
    let sysfs = Sysfs::from_env();
    if a.devices.is_empty() {
        list(&sysfs);
        return Ok(Status::Ok);
    }
    // fsdev_dax (7.x): the device's node can be neither read nor mapped
    // there, and famfs_rs.ko has no raw node for it: mount, mkfs and fsck
    // could not read the device while it stays bound.
    if sysfs.holder().map_err(|e| anyhow!("{e}"))? == Holder::Fsdev {
        bail!(
            "this kernel's famfs_rs.ko uses the kernel's {} driver, for whose devices it \
             has no raw node yet: famfs commands could not read a device kept there. Mount \
             without famfs bind (each mount moves the device)",
            Holder::Fsdev.driver()
        );
    }
    for path in &a.devices {
        let name = name_of(&sysfs, path)?;
        // A mount that just ended may still be giving it back: let it
        // finish first (bound, it would not be given back at all).
        if devwait::mounted_on(path).is_none() {
            devwait::settle(path, "bind")?;
        }
        bound::bind(&sysfs, &name).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let to = sysfs.holder_of(&name).map_or("famfs_rs.ko", |h| h.driver());
        let raw = raw_node(&name);
        let via = if raw.exists() {
            format!("; famfs commands reach it through {}", raw.display())
        } else {
            String::new()
        };
        eprintln!("famfs bind: {name} is bound to {to} until famfs unbind{via}");
    }
    Ok(Status::Ok)
}

pub fn unbind(a: &UnbindArgs) -> Result<Status> {
    let sysfs = Sysfs::from_env();
    for path in &a.devices {
        let name = name_of(&sysfs, path)?;
        if let Some(mnt) = devwait::mounted_on(path) {
            bail!(
                "{}: mounted on {}: unmount it first (it stays bound until then)",
                path.display(),
                mnt.display()
            );
        }
        bound::unbind(&sysfs, &name).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        eprintln!("famfs unbind: {name} is back on device_dax");
    }
    Ok(Status::Ok)
}

#[cfg(test)]
mod tests {
    /// famfs_meta (which does not link the ABI header) names the raw
    /// nodes' directory too.
    #[test]
    fn raw_node_dir_is_the_abi_one() {
        assert_eq!(
            famfs_host::mount::RAW_NODE_DIR,
            famfs_meta::rawnode::RAW_NODE_DIR
        );
    }
}
