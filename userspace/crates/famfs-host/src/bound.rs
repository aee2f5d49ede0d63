// SPDX-License-Identifier: GPL-2.0
//! Devices the user keeps bound to famfs_rs.ko's dax driver (fsdev_dax on
//! 7.x) across mounts: `famfs bind` moves them there once and `famfs
//! unbind` gives them back, so that a mount of them skips the handover
//! (10.5 ms of CPU per GiB of device on 6.12, 42 ms on 7.3 with fsdev_dax,
//! each way, and 16 MiB of struct pages per GiB) and its umount leaves
//! them bound.
//!
//! Recorded one name a line in `<run dir>/bound.devices` (see
//! [`crate::paths`]), as [`crate::held`] records a mount's devices: a name
//! is recorded before its device is taken, and removed only after it was
//! given back, so a crash in between leaves at worst a name whose device
//! is on device_dax; a mount then takes it as usual, and keeps it bound,
//! as the record asks. The record is the user's intent: a mount never
//! records a bound device as its own, and no give-back of a mount's
//! devices (daemon exit, `famfs umount`, a command finding the daemon
//! dead) touches a device listed here.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::path::PathBuf;

use crate::handover::{HandoverError, Sysfs};
use crate::held::{read_record, write_record};
use crate::paths;

/// The record of the bound devices.
pub fn record_file() -> PathBuf {
    paths::run_dir().join("bound.devices")
}

/// The devices bound with `famfs bind`.
pub fn list() -> Vec<String> {
    read_record(&record_file())
}

/// Whether `name` (`daxX.Y`) was bound with `famfs bind`.
pub fn is_bound(name: &str) -> bool {
    list().iter().any(|n| n == name)
}

/// Holds an exclusive flock on the record's lock file while it is
/// changed: two `famfs bind` at once must not lose a name.
struct Locked(#[allow(dead_code)] File);

fn lock() -> std::io::Result<Locked> {
    let dir = paths::run_dir();
    std::fs::create_dir_all(&dir)?;
    let f = File::options()
        .create(true)
        .truncate(false)
        .write(true)
        .open(dir.join("bound.lock"))?;
    // SAFETY: flock on a descriptor we own; no memory is involved. The
    // lock goes with the descriptor.
    if unsafe { libc::flock(f.as_raw_fd(), libc::LOCK_EX) } != 0 {
        return Err(std::io::Error::last_os_error());
    }
    Ok(Locked(f))
}

fn change(f: impl FnOnce(&mut Vec<String>)) -> Result<(), HandoverError> {
    let io = |err: std::io::Error| HandoverError::State {
        name: record_file().display().to_string(),
        msg: format!("cannot update the record of bound devices: {err}"),
    };
    let _locked = lock().map_err(io)?;
    let mut names = list();
    f(&mut names);
    write_record(&record_file(), &names).map_err(io)
}

/// Binds `name` and records it (first): see the module documentation.
/// Already bound is fine. A device refused, or left on no holder, is
/// taken off the record again.
pub fn bind(sysfs: &Sysfs, name: &str) -> Result<(), HandoverError> {
    change(|names| {
        if !names.iter().any(|n| n == name) {
            names.push(name.to_owned());
        }
    })?;
    let r = sysfs.take(name);
    if !sysfs.holds_after(name, &r) {
        change(|names| names.retain(|n| n != name))?;
    }
    r
}

/// Gives `name` back to device_dax and then takes it off the record. The
/// caller checks it is not mounted (the give-back would wait for that
/// mount to end).
pub fn unbind(sysfs: &Sysfs, name: &str) -> Result<(), HandoverError> {
    sysfs.give_back(name)?;
    change(|names| names.retain(|n| n != name))
}
