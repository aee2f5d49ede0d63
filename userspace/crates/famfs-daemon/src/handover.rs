// SPDX-License-Identifier: GPL-2.0
//! Moving a file system's devdax devices to famfs_rs.ko's dax driver
//! before mount(2), and giving them back to `device_dax` afterwards.
//!
//! While a device is bound to `famfs_rs`, its `/dev/daxX.Y` node fails
//! with ENXIO and all access goes through the mount. Every sysfs path
//! and command of the dance is in the constants below and nowhere else:
//!
//! - take:      `echo daxX.Y > device_dax/unbind`, `echo daxX.Y > famfs_rs/new_id`,
//!   then `famfs_rs/daxX.Y` must exist;
//! - give back: `echo daxX.Y > famfs_rs/unbind`, `echo daxX.Y > famfs_rs/remove_id`,
//!   `echo daxX.Y > device_dax/bind` (or, failing that, `device_dax/new_id`),
//!   then `device_dax/daxX.Y` must exist and `/dev/daxX.Y` open again.
//!
//! (all under `/sys/bus/dax/drivers`; `FAMFS_SYSFS_ROOT` replaces `/sys`
//! for tests). The devices moved for a mount are recorded, one name a
//! line, in `<run dir>/<mnt>.devices` (see [`crate::paths`]), so that
//! `famfs umount` can give them back when the daemon died.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use crate::dlog;

/// Replaces `/sys` (tests use a fake tree).
pub const SYSFS_ROOT_ENV: &str = "FAMFS_SYSFS_ROOT";
const SYSFS_ROOT: &str = "/sys";
/// The dax bus's drivers, under the sysfs root.
const DRIVERS: &str = "bus/dax/drivers";
/// The kernel's devdax driver.
pub const DEVICE_DAX: &str = "device_dax";
/// famfs_rs.ko's dax driver.
pub const FAMFS_DRIVER: &str = crate::mount::DAX_DRIVER;
/// Character devices by `major:minor`, under the sysfs root.
const DEV_CHAR: &str = "dev/char";
/// The dax bus's devices, under the sysfs root.
const DEVICES: &str = "bus/dax/devices";
/// A static (nvdimm/CXL pmem) dax device's namespace personality is its
/// parent; its `mode` says where the page map lives: "ram" (`ndctl
/// --map=mem`) or "pmem" (`--map=dev`: in the device itself).
const PAGE_MAP_IN_DEVICE: &str = "pmem";

/// One sysfs write: the device name goes to `driver/attr`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    /// Driver directory under `bus/dax/drivers`.
    pub driver: &'static str,
    /// Attribute file in it.
    pub attr: &'static str,
}

const fn step(driver: &'static str, attr: &'static str) -> Step {
    Step { driver, attr }
}

/// Taking a device: leave device_dax, join famfs_rs.
pub const TAKE: [Step; 2] = [step(DEVICE_DAX, "unbind"), step(FAMFS_DRIVER, "new_id")];
/// Giving it back: leave famfs_rs and forget its id.
pub const RELEASE: [Step; 2] = [
    step(FAMFS_DRIVER, "unbind"),
    step(FAMFS_DRIVER, "remove_id"),
];
/// Then rejoin device_dax: the first step that works.
pub const REBIND: [Step; 2] = [step(DEVICE_DAX, "bind"), step(DEVICE_DAX, "new_id")];

/// How long a bind may take to show in sysfs.
const SETTLE: Duration = Duration::from_secs(2);

/// Why a handover step failed.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    /// famfs_rs.ko has no dax driver registered.
    #[error(
        "{0} is missing: famfs_rs.ko too old or not loaded (load the current famfs_rs.ko, \
         or mount with --plain-fuse)"
    )]
    NoDriver(String),
    /// A sysfs write failed.
    #[error("echo {name} > {path}: {err}")]
    Write {
        /// The device.
        name: String,
        /// The attribute.
        path: String,
        /// The error.
        err: std::io::Error,
    },
    /// The device did not end up where it should.
    #[error("{name}: {msg}")]
    State {
        /// The device.
        name: String,
        /// What is wrong and what to do.
        msg: String,
    },
}

/// Carries out one attribute write (`echo name > path`). The kernel acts
/// on a dax bus write before the write returns; a test bus must too.
pub type AttrWriter = dyn Fn(&Path, &str) -> std::io::Result<()> + Send + Sync;

/// The dax bus in sysfs.
#[derive(Clone)]
pub struct Sysfs {
    root: PathBuf,
    /// Check that `/dev/<name>` opens after a give-back (real sysfs only).
    reopen: bool,
    writer: Arc<AttrWriter>,
}

impl std::fmt::Debug for Sysfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sysfs")
            .field("root", &self.root)
            .field("reopen", &self.reopen)
            .finish_non_exhaustive()
    }
}

/// `echo name > path`, as a shell would (no create: a missing attribute
/// is an error, as in sysfs).
fn write_attr(path: &Path, name: &str) -> std::io::Result<()> {
    OpenOptions::new()
        .write(true)
        .truncate(true)
        .open(path)
        .and_then(|mut f| f.write_all(format!("{name}\n").as_bytes()))
}

impl Default for Sysfs {
    fn default() -> Self {
        Self::from_env()
    }
}

impl Sysfs {
    /// `/sys`, or `$FAMFS_SYSFS_ROOT`.
    pub fn from_env() -> Self {
        match std::env::var_os(SYSFS_ROOT_ENV) {
            Some(r) => Self::at(Path::new(&r)),
            None => Self::at(Path::new(SYSFS_ROOT)),
        }
    }

    /// The sysfs tree at `root`.
    pub fn at(root: &Path) -> Self {
        Sysfs {
            root: root.to_owned(),
            reopen: root == Path::new(SYSFS_ROOT),
            writer: Arc::new(write_attr),
        }
    }

    /// The tree at `root` with attribute writes carried out by `writer`
    /// (a test's model of the dax bus).
    pub fn with_writer(root: &Path, writer: Arc<AttrWriter>) -> Self {
        Sysfs {
            writer,
            ..Self::at(root)
        }
    }

    fn driver(&self, driver: &str) -> PathBuf {
        self.root.join(DRIVERS).join(driver)
    }

    /// Whether `name` is bound to `driver` (its link in the driver dir).
    pub fn bound_to(&self, driver: &str, name: &str) -> bool {
        self.driver(driver).join(name).symlink_metadata().is_ok()
    }

    /// Waits (a little) until `name` is bound to `driver` or, with
    /// `bound` false, is not.
    fn settle(&self, driver: &str, name: &str, bound: bool) -> bool {
        let deadline = Instant::now() + SETTLE;
        loop {
            if self.bound_to(driver, name) == bound {
                return true;
            }
            if Instant::now() >= deadline {
                return false;
            }
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// `echo name > driver/attr`.
    fn write(&self, s: Step, name: &str) -> Result<(), HandoverError> {
        let path = self.driver(s.driver).join(s.attr);
        dlog!("echo {name} > {}", path.display());
        (self.writer)(&path, name).map_err(|err| HandoverError::Write {
            name: name.to_owned(),
            path: path.display().to_string(),
            err,
        })
    }

    /// The namespace of `name` when it keeps its page map in the device
    /// (`ndctl --map=dev`), which famfs_rs refuses: every host sharing the
    /// memory would keep its page state in the same bytes. `None` when
    /// the page map is in RAM, or sysfs does not say (a dynamic device).
    pub fn page_map_in_device(&self, name: &str) -> Option<String> {
        let dev = std::fs::canonicalize(self.root.join(DEVICES).join(name)).ok()?;
        let nd = dev.parent()?;
        let mode = std::fs::read_to_string(nd.join("mode")).ok()?;
        if mode.trim() != PAGE_MAP_IN_DEVICE {
            return None;
        }
        let ns = std::fs::read_to_string(nd.join("namespace")).unwrap_or_default();
        let ns = ns.trim();
        Some(if ns.is_empty() {
            format!("the namespace of {}", nd.display())
        } else {
            ns.to_owned()
        })
    }

    /// Moves `name` (`daxX.Y`) from device_dax to famfs_rs. Already on
    /// famfs_rs is fine (a daemon restarted on a device it held).
    pub fn take(&self, name: &str) -> Result<(), HandoverError> {
        let famfs = self.driver(FAMFS_DRIVER);
        if !famfs.is_dir() {
            return Err(HandoverError::NoDriver(famfs.display().to_string()));
        }
        if self.bound_to(FAMFS_DRIVER, name) {
            dlog!("{name}: already bound to {FAMFS_DRIVER}");
            return Ok(());
        }
        if let Some(ns) = self.page_map_in_device(name) {
            return Err(HandoverError::State {
                name: name.to_owned(),
                msg: format!(
                    "its namespace {ns} keeps the page map (struct pages) in the device \
                     (ndctl --map=dev), where every host sharing this memory would write its \
                     own page state; famfs_rs refuses it. Recreate the namespace with the \
                     page map in RAM: ndctl create-namespace --force --reconfig={ns} \
                     --mode=devdax --map=mem (the data moves: run famfs mkfs again)"
                ),
            });
        }
        let [unbind, new_id] = TAKE;
        if self.bound_to(unbind.driver, name) {
            self.write(unbind, name)?;
            crate::faults::point("handover");
        } else {
            dlog!("{name}: not bound to {}: nothing to unbind", unbind.driver);
        }
        let joined = self.write(new_id, name);
        if joined.is_ok() && self.settle(FAMFS_DRIVER, name, true) {
            dlog!("{name}: bound to {FAMFS_DRIVER}");
            return Ok(());
        }
        // Leave the device usable rather than driverless.
        let undo = self.give_back(name);
        let why = match joined {
            Err(e) => e.to_string(),
            Ok(()) => format!(
                "not bound to {FAMFS_DRIVER} after new_id (see dmesg: the driver declined it)"
            ),
        };
        Err(HandoverError::State {
            name: name.to_owned(),
            msg: match undo {
                Ok(()) => format!("{why}; given back to {DEVICE_DAX}"),
                Err(u) => format!("{why}; giving it back failed too: {u}"),
            },
        })
    }

    /// Moves `name` back from famfs_rs to device_dax and checks that its
    /// node opens again.
    pub fn give_back(&self, name: &str) -> Result<(), HandoverError> {
        for s in RELEASE {
            // unbind fails when the device is not bound, remove_id when
            // the id is not listed: both mean "already done".
            if let Err(e) = self.write(s, name) {
                dlog!("{e} (going on)");
            }
        }
        if !self.settle(FAMFS_DRIVER, name, false) {
            return Err(HandoverError::State {
                name: name.to_owned(),
                msg: format!(
                    "still bound to {FAMFS_DRIVER} after unbind (is a famfs still mounted \
                     on it? umount it first)"
                ),
            });
        }
        let mut last = None;
        for s in REBIND {
            if self.bound_to(DEVICE_DAX, name) {
                break;
            }
            match self.write(s, name) {
                Ok(()) if self.settle(DEVICE_DAX, name, true) => break,
                Ok(()) => {}
                Err(e) => last = Some(e),
            }
        }
        if !self.bound_to(DEVICE_DAX, name) {
            return Err(HandoverError::State {
                name: name.to_owned(),
                msg: format!(
                    "not bound to {DEVICE_DAX} after bind and new_id{}; bind it by hand: \
                     echo {name} > {}",
                    last.map_or(String::new(), |e| format!(" ({e})")),
                    self.driver(DEVICE_DAX).join("bind").display()
                ),
            });
        }
        if self.reopen {
            let node = Path::new("/dev").join(name);
            OpenOptions::new()
                .read(true)
                .open(&node)
                .map_err(|e| HandoverError::State {
                    name: name.to_owned(),
                    msg: format!(
                        "bound to {DEVICE_DAX}, but {} does not open: {e}",
                        node.display()
                    ),
                })?;
        }
        dlog!("{name}: given back to {DEVICE_DAX}");
        Ok(())
    }

    /// The dax bus name (`daxX.Y`) of the devdax node `path`, found by its
    /// device number; `None` for anything else (an image file: nothing to
    /// hand over). Works while the device is on either driver (no open).
    pub fn dax_name(&self, path: &Path) -> std::io::Result<Option<String>> {
        use std::os::unix::fs::MetadataExt;
        let md = std::fs::metadata(path)?;
        if !md.file_type().is_char_device() {
            return Ok(None);
        }
        let (maj, min) = (libc::major(md.rdev()), libc::minor(md.rdev()));
        let link = self.root.join(DEV_CHAR).join(format!("{maj}:{min}"));
        let by_sysfs = std::fs::read_link(&link)
            .ok()
            .and_then(|t| t.file_name().map(|n| n.to_string_lossy().into_owned()));
        let by_path = std::fs::canonicalize(path)
            .ok()
            .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()));
        Ok(by_sysfs.or(by_path).filter(|n| is_dax_name(n)))
    }
}

/// Whether `n` looks like a dax bus device name (`dax<region>.<id>`).
pub fn is_dax_name(n: &str) -> bool {
    let Some(rest) = n.strip_prefix("dax") else {
        return false;
    };
    let mut parts = rest.split('.');
    let num =
        |p: Option<&str>| p.is_some_and(|s| !s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()));
    num(parts.next()) && num(parts.next()) && parts.next().is_none()
}
