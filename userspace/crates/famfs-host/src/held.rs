// SPDX-License-Identifier: GPL-2.0
//! The devices one mount holds (moved to famfs_rs's dax driver, or to
//! fsdev_dax on 7.x: see [`crate::handover`]), recorded on disk so that
//! whoever ends the mount can give them back: the daemon on a clean exit,
//! `famfs umount` after a daemon that died.
//!
//! A name is recorded *before* its device is taken and removed only
//! after it was given back, so a crash in between leaves at worst a
//! name whose give-back finds nothing to do. The record names devices
//! only, one a line; the give-back finds the driver in sysfs.

use std::path::{Path, PathBuf};
use std::sync::Mutex;

use crate::dlog;
use crate::handover::{HandoverError, Sysfs};

/// The devices of one mount.
pub struct Held {
    sysfs: Sysfs,
    /// The record (`None`: keep it in memory only).
    file: Option<PathBuf>,
    names: Mutex<Vec<String>>,
}

/// The names in record `file` (none if it is missing or unreadable).
pub fn read_record(file: &Path) -> Vec<String> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .map(str::trim)
        .filter(|l| crate::handover::is_dax_name(l))
        .map(str::to_owned)
        .collect()
}

/// Writes `names` to record `file` (removed when empty), atomically.
pub fn write_record(file: &Path, names: &[String]) -> std::io::Result<()> {
    if names.is_empty() {
        return match std::fs::remove_file(file) {
            Err(e) if e.kind() != std::io::ErrorKind::NotFound => Err(e),
            _ => Ok(()),
        };
    }
    if let Some(d) = file.parent() {
        std::fs::create_dir_all(d)?;
    }
    let tmp = file.with_extension("devices.new");
    let mut text = names.join("\n");
    text.push('\n');
    std::fs::write(&tmp, text)?;
    std::fs::rename(&tmp, file)
}

impl Held {
    /// Devices moved through `sysfs`, recorded in `file`; starts from
    /// what the record already lists (a previous daemon's leftovers).
    pub fn new(sysfs: Sysfs, file: Option<PathBuf>) -> Self {
        let names = file.as_deref().map(read_record).unwrap_or_default();
        Held {
            sysfs,
            file,
            names: Mutex::new(names),
        }
    }

    fn names(&self) -> std::sync::MutexGuard<'_, Vec<String>> {
        self.names.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn save(&self, names: &[String]) {
        if let Some(f) = &self.file {
            if let Err(e) = write_record(f, names) {
                dlog!(
                    "cannot write {}: {e} (famfs umount will not know these devices)",
                    f.display()
                );
            }
        }
    }

    /// The devices held now.
    pub fn list(&self) -> Vec<String> {
        self.names().clone()
    }

    /// Moves `name` to famfs_rs's driver or fsdev_dax (recorded first).
    /// A device refused, or left on no holder, is not ours to give back.
    /// A device bound with `famfs bind` is taken (if it is not on its
    /// holder any more) but not recorded: it is not the mount's to give
    /// back.
    pub fn take(&self, name: &str) -> Result<(), HandoverError> {
        if crate::bound::is_bound(name) {
            dlog!("{name}: bound with famfs bind: kept bound after the mount");
            return self.sysfs.take(name);
        }
        let mut names = self.names();
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
            self.save(&names);
        }
        let r = self.sysfs.take(name);
        if !self.sysfs.holds_after(name, &r) {
            names.retain(|n| n != name);
            self.save(&names);
        }
        r
    }

    /// Gives every held device back (last taken first); those that
    /// cannot be given back stay recorded. Returns the failures. A device
    /// bound with `famfs bind` since is dropped from the record instead.
    pub fn give_back_all(&self) -> Vec<HandoverError> {
        let mut names = self.names();
        names.retain(|n| !crate::bound::is_bound(n));
        let mut failed = Vec::new();
        let mut kept = Vec::new();
        for n in names.iter().rev() {
            if let Err(e) = self.sysfs.give_back(n) {
                dlog!("{e}");
                failed.push(e);
                kept.insert(0, n.clone());
            }
        }
        *names = kept;
        self.save(&names);
        failed
    }
}
