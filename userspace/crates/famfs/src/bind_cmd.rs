// SPDX-License-Identifier: GPL-2.0
//! `famfs bind` and `famfs unbind`: keep devdax devices on famfs_rs.ko's
//! dax driver (fsdev_dax on 7.x) across mounts, and give them back (see
//! famfs_host::bound).

use std::path::Path;

use anyhow::{anyhow, bail, Result};
use famfs_host::bound;
use famfs_host::handover::{Holder, Sysfs};
use famfs_meta::rawnode::{fsdev_node, raw_node};

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
    for path in &a.devices {
        let name = name_of(&sysfs, path)?;
        // A mount that just ended may still be giving it back: let it
        // finish first (bound, it would not be given back at all).
        if devwait::mounted_on(path).is_none() {
            devwait::settle(path, "bind")?;
        }
        bound::bind(&sysfs, &name).map_err(|e| anyhow!("{}: {e}", path.display()))?;
        let holder = sysfs.holder_of(&name);
        let to = holder.map_or("famfs_rs.ko", |h| h.driver());
        // 6.12: the device's own raw node; 7.x: the one fsdev node.
        let raw = if holder == Some(Holder::Fsdev) {
            fsdev_node()
        } else {
            raw_node(&name)
        };
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
    /// nodes' directory, the fsdev node and its ioctl too.
    #[test]
    fn raw_node_names_are_the_abi_ones() {
        assert_eq!(
            famfs_host::mount::RAW_NODE_DIR,
            famfs_meta::rawnode::RAW_NODE_DIR
        );
        assert_eq!(
            famfs_host::mount::RAW_FSDEV_NAME,
            famfs_meta::rawnode::FSDEV_NODE_NAME
        );
        assert_eq!(
            famfs_host::mount::RAW_SET_FD,
            famfs_meta::rawnode::RAW_SET_FD
        );
        // And the driver whose devices go through the fsdev node.
        assert_eq!(
            famfs_host::handover::FSDEV_DAX,
            famfs_meta::device::FSDEV_DAX
        );
    }
}
