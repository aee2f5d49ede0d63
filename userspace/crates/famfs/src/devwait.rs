// SPDX-License-Identifier: GPL-2.0
//! A devdax device just unmounted with a plain `umount` may still be held
//! for a moment: the kernel ends the mount, then the mount's daemon sees
//! its connection close and gives the device back to device_dax, after
//! umount(8) has already returned. Until then its node is of no use:
//! on famfs_rs's own dax driver (Linux 6.12) it fails with ENXIO, as it
//! does between drivers; on fsdev_dax (7.x) it opens but can be neither
//! read nor mapped, so there the driver in sysfs says so. Scripts (and
//! people) run `famfs mkfs`, `fsck` or `mount` right after `umount`, so
//! every command that opens a device first waits here, bounded and saying
//! so, for a give-back in progress. When the daemon is gone and the
//! device is still held (it died), the give-back is done here, as `famfs
//! umount` would. A device kept bound with `famfs bind` is not waited
//! for: commands reach it through its raw node (famfs_meta::device).

use std::fs::File;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow::{bail, Result};
use famfs_host::handover::{Holder, Sysfs};
use famfs_host::held::{read_record, Held};
use famfs_host::{mountinfo, paths};

/// How long a give-back may take (the daemon's exit remaps 1 GiB of
/// page state; seconds under emulation, more on a loaded host).
const GIVE_BACK: Duration = Duration::from_secs(30);
/// Overrides [`GIVE_BACK`], in seconds (tests).
const WAIT_ENV: &str = "FAMFS_GIVE_BACK_WAIT";

fn limit() -> Duration {
    std::env::var(WAIT_ENV)
        .ok()
        .and_then(|s| s.parse().ok())
        .map_or(GIVE_BACK, Duration::from_secs)
}

fn enxio(path: &Path) -> bool {
    matches!(File::open(path), Err(e) if e.raw_os_error() == Some(libc::ENXIO))
}

/// Whether the devdax node `path` (dax bus name `name`) is of no use as
/// one now: it fails with ENXIO, or a holder (famfs_rs's driver or
/// fsdev_dax, whose node opens all the same) has it.
fn held(sysfs: &Sysfs, path: &Path, name: Option<&str>) -> bool {
    enxio(path) || name.is_some_and(|n| sysfs.holder_of(n).is_some())
}

/// The famfs mount whose source is `path`, if any.
pub fn mounted_on(path: &Path) -> Option<PathBuf> {
    let want = std::fs::canonicalize(path).ok()?;
    mountinfo::read().ok()?.into_iter().find_map(|m| {
        let src = std::fs::canonicalize(&m.source).ok()?;
        (m.is_famfs() && src == want).then_some(m.mountpoint)
    })
}

/// The records (`<run dir>/<mnt>.devices`) that list `name`.
fn records_listing(name: &str) -> Vec<PathBuf> {
    let Ok(dir) = std::fs::read_dir(paths::run_dir()) else {
        return Vec::new();
    };
    dir.filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "devices"))
        .filter(|p| read_record(p).iter().any(|n| n == name))
        .collect()
}

/// Whether the daemon whose record is `record` is known to have died: its
/// pid file (beside the record; the daemon removes it only after giving
/// its devices back) names a process that is gone. No pid file proves
/// nothing (a daemon killed before mounting never wrote one).
fn daemon_died(record: &Path) -> bool {
    let pid = std::fs::read_to_string(record.with_extension("pid"))
        .ok()
        .and_then(|s| s.trim().parse::<i32>().ok());
    pid.is_some_and(|p| !Path::new(&format!("/proc/{p}")).exists())
}

/// Gives back, as `famfs umount` does, what the records list.
fn give_back(records: &[PathBuf], path: &Path) -> Result<()> {
    for r in records {
        let failed = Held::new(Sysfs::from_env(), Some(r.clone())).give_back_all();
        if let Some(e) = failed.first() {
            bail!("{}: giving it back to device_dax: {e}", path.display());
        }
    }
    eprintln!(
        "famfs: {}: its daemon had exited without giving it back; gave it back",
        path.display()
    );
    Ok(())
}

/// Makes `path` usable if a mount that ended is still giving it back
/// (see the module docs); a mounted device is refused, naming its mount.
/// Anything else (not a devdax, already usable) returns at once.
pub fn settle(path: &Path, verb: &str) -> Result<()> {
    let is_chr = std::fs::metadata(path).is_ok_and(|m| m.file_type().is_char_device());
    if !is_chr {
        return Ok(());
    }
    let sysfs = Sysfs::from_env();
    let name = sysfs.dax_name(path).ok().flatten();
    if !held(&sysfs, path, name.as_deref()) {
        return Ok(());
    }
    if let Some(mnt) = mounted_on(path) {
        bail!(
            "{}: mounted on {} (famfs_rs.ko holds it while mounted): unmount it first{}",
            path.display(),
            mnt.display(),
            if verb == "fsck" {
                ", check the mount point instead, or add --force"
            } else {
                ""
            }
        );
    }
    let Some(name) = name else {
        return Ok(());
    };
    // Kept bound with famfs bind: nothing will give it back, and famfs_meta
    // opens it through its raw node.
    if famfs_host::bound::is_bound(&name) {
        return Ok(());
    }
    // Held: still on a holder, or between drivers while a daemon's record
    // (removed only once the device is back) lists it.
    if records_listing(&name).is_empty() {
        match sysfs.holder_of(&name) {
            None => return Ok(()),
            Some(Holder::Own) => {}
            // fsdev_dax is the kernel's: with no famfs_rs record, someone
            // else (another fs-dax user, or by hand) put it there.
            Some(h @ Holder::Fsdev) => bail!(
                "{}: bound to {}, the kernel's fs-dax driver, by no famfs mount: its node \
                 can be neither read nor mapped there. If nothing uses it, give it back to \
                 device_dax: {}",
                path.display(),
                h.driver(),
                sysfs.give_back_by_hand(&name, h)
            ),
        }
    }
    let limit = limit();
    eprintln!(
        "famfs{}{verb}: {}: a famfs mount of it has ended and its daemon is giving it back \
         to device_dax; waiting (up to {} s)",
        if verb.is_empty() { "" } else { " " },
        path.display(),
        limit.as_secs()
    );
    let deadline = Instant::now() + limit;
    let still_held = || held(&sysfs, path, Some(&name));
    while Instant::now() < deadline {
        if !still_held() {
            return Ok(());
        }
        let records = records_listing(&name);
        if !records.is_empty() && records.iter().all(|r| daemon_died(r)) {
            give_back(&records, path)?;
            continue;
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let records = records_listing(&name);
    if still_held() && !records.is_empty() {
        // Nobody gave it back in all that time: do it (once).
        give_back(&records, path)?;
    }
    if still_held() {
        bail!(
            "{}: still held by famfs_rs.ko {} s after its mount ended; see the daemon log in \
             {}, or give it back with famfs umount MOUNTPOINT",
            path.display(),
            limit.as_secs(),
            paths::run_dir().display()
        );
    }
    Ok(())
}
