// SPDX-License-Identifier: GPL-2.0
//! Moving a file system's devdax devices, before mount(2), from the
//! kernel's `device_dax` to the dax driver famfs_rs.ko claims them on,
//! and giving them back to `device_dax` afterwards. Which driver that is
//! depends on the kernel and is looked up at run time ([`Holder`]):
//!
//! - Linux 6.12: famfs_rs.ko's own dax driver, `famfs_rs`. While a device
//!   is bound to it, its `/dev/daxX.Y` node fails with ENXIO.
//! - Linux 7.x: the kernel's fs-dax devdax driver `fsdev_dax`
//!   (fsdev_dax.ko). famfs_rs.ko registers no driver there; it claims a
//!   device bound to fsdev_dax as its fs-dax holder. The node still
//!   opens, but can be neither read nor mapped.
//!
//! famfs_rs's own driver is used if it is registered, else fsdev_dax. If
//! neither is, famfs_rs.ko is loaded and the kernel has fsdev_dax.ko (in
//! its `modules.dep`), `modprobe fsdev_dax` is run once and the drivers
//! are looked for again; else the handover fails, saying what to load.
//! Either way all access goes through the mount. Every sysfs path and
//! command of the dance is in the constants below and nowhere else
//! (`H`: `famfs_rs` or `fsdev_dax`):
//!
//! - take:      `echo daxX.Y > device_dax/unbind`, `echo daxX.Y > H/new_id`,
//!   then `H/daxX.Y` must exist;
//! - give back: `echo daxX.Y > H/unbind`, `echo daxX.Y > H/remove_id`,
//!   `echo daxX.Y > device_dax/bind` (or, failing that, `device_dax/new_id`),
//!   then `device_dax/daxX.Y` must exist and `/dev/daxX.Y` open again.
//!
//! (all under `/sys/bus/dax/drivers`; `FAMFS_SYSFS_ROOT` replaces `/sys`
//! for tests, and nothing is then ever modprobed). A device whose
//! namespace keeps its page map in the device (`ndctl --map=dev`) is
//! refused before anything is written, whatever the driver: fsdev_dax
//! would take it, so on 7.x this check is the only one. The devices moved
//! for a mount are recorded, one name a line, in `<run dir>/<mnt>.devices`
//! (see [`crate::paths`]), so that `famfs umount` can give them back when
//! the daemon died. The driver is not recorded: a give-back releases the
//! device from the driver it is bound to (if it is bound to neither, from
//! each that is registered), so a record reads the same on either kernel
//! and whichever version wrote it.

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::process::Command;
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
/// famfs_rs.ko's dax driver (Linux 6.12).
pub const FAMFS_DRIVER: &str = crate::mount::DAX_DRIVER;
/// The kernel's fs-dax devdax driver (Linux 7.x), and its module.
pub const FSDEV_DAX: &str = "fsdev_dax";
/// famfs_rs.ko's directory while it is loaded, under the sysfs root
/// (the module's name; its control device says the same on real /sys).
const FAMFS_MODULE: &str = "module/famfs_rs";
/// Where the running kernel's modules are: `/lib/modules/<release>`.
const MODULES: &str = "/lib/modules";
const OSRELEASE: &str = "/proc/sys/kernel/osrelease";
/// The modules a kernel has, in its modules directory.
const MODULES_DEP: &str = "modules.dep";
/// Loads a module by name.
const MODPROBE: &str = "modprobe";
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
/// Taking a device on 7.x: leave device_dax, join fsdev_dax.
pub const TAKE_FSDEV: [Step; 2] = [step(DEVICE_DAX, "unbind"), step(FSDEV_DAX, "new_id")];
/// Giving it back on 7.x: leave fsdev_dax and forget its id (else a
/// later `new_id` of another device would attach this one too).
pub const RELEASE_FSDEV: [Step; 2] = [step(FSDEV_DAX, "unbind"), step(FSDEV_DAX, "remove_id")];
/// Then rejoin device_dax: the first step that works.
pub const REBIND: [Step; 2] = [step(DEVICE_DAX, "bind"), step(DEVICE_DAX, "new_id")];

/// The dax driver that holds a device for famfs_rs.ko.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Holder {
    /// famfs_rs.ko's own (Linux 6.12).
    Own,
    /// The kernel's fsdev_dax, whose devices famfs_rs.ko claims (7.x).
    Fsdev,
}

impl Holder {
    /// Every holder, in order of preference.
    pub const ALL: [Holder; 2] = [Holder::Own, Holder::Fsdev];

    /// Its directory under `bus/dax/drivers`.
    pub const fn driver(self) -> &'static str {
        match self {
            Holder::Own => FAMFS_DRIVER,
            Holder::Fsdev => FSDEV_DAX,
        }
    }

    /// The steps that move a device to it.
    pub const fn take_steps(self) -> [Step; 2] {
        match self {
            Holder::Own => TAKE,
            Holder::Fsdev => TAKE_FSDEV,
        }
    }

    /// The steps that free a device from it.
    pub const fn release_steps(self) -> [Step; 2] {
        match self {
            Holder::Own => RELEASE,
            Holder::Fsdev => RELEASE_FSDEV,
        }
    }
}

/// How long a bind may take to show in sysfs.
const SETTLE: Duration = Duration::from_secs(2);

/// Why a handover step failed.
#[derive(Debug, thiserror::Error)]
pub enum HandoverError {
    /// No dax driver to move devices to: neither famfs_rs.ko's own nor
    /// fsdev_dax is registered (what to do is in the message).
    #[error("{0}")]
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
    /// The device is unfit for famfs_rs; refused before anything was
    /// written (it stays where it was).
    #[error("{name}: {msg}")]
    Refused {
        /// The device.
        name: String,
        /// Why, and what to do.
        msg: String,
    },
}

/// Carries out one attribute write (`echo name > path`). The kernel acts
/// on a dax bus write before the write returns; a test bus must too.
pub type AttrWriter = dyn Fn(&Path, &str) -> std::io::Result<()> + Send + Sync;

/// Loads a kernel module by name (`modprobe name`) and returns once it
/// is loaded (a test's loader registers the fake driver instead).
pub type ModuleLoader = dyn Fn(&str) -> std::io::Result<()> + Send + Sync;

/// The dax bus in sysfs.
#[derive(Clone)]
pub struct Sysfs {
    root: PathBuf,
    /// The real `/sys`: check that `/dev/<name>` opens after a give-back,
    /// and that famfs_rs.ko's control device exists.
    real: bool,
    writer: Arc<AttrWriter>,
    /// The running kernel's modules directory (`None`: load no module).
    modules: Option<PathBuf>,
    loader: Arc<ModuleLoader>,
}

impl std::fmt::Debug for Sysfs {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Sysfs")
            .field("root", &self.root)
            .field("real", &self.real)
            .field("modules", &self.modules)
            .finish_non_exhaustive()
    }
}

/// `modprobe name`; its complaint, if it fails, is the error.
fn modprobe(name: &str) -> std::io::Result<()> {
    let out = Command::new(MODPROBE).arg(name).output()?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    Err(std::io::Error::other(format!(
        "{MODPROBE} {name}: {} ({})",
        said.trim(),
        out.status
    )))
}

/// The running kernel's modules directory, `/lib/modules/<release>`.
fn running_modules() -> Option<PathBuf> {
    let release = std::fs::read_to_string(OSRELEASE).ok()?;
    Some(Path::new(MODULES).join(release.trim()))
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

    /// The sysfs tree at `root`. Only the real `/sys` may load modules.
    pub fn at(root: &Path) -> Self {
        let real = root == Path::new(SYSFS_ROOT);
        Sysfs {
            root: root.to_owned(),
            real,
            writer: Arc::new(write_attr),
            modules: if real { running_modules() } else { None },
            loader: Arc::new(modprobe),
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

    /// The same tree, with the kernel's modules in `modules` (the
    /// directory holding `modules.dep`) loaded by `loader` (tests).
    pub fn with_modules(self, modules: &Path, loader: Arc<ModuleLoader>) -> Self {
        Sysfs {
            modules: Some(modules.to_owned()),
            loader,
            ..self
        }
    }

    fn driver(&self, driver: &str) -> PathBuf {
        self.root.join(DRIVERS).join(driver)
    }

    /// The holder that is registered now (famfs_rs.ko's own first).
    fn registered(&self) -> Option<Holder> {
        Holder::ALL
            .into_iter()
            .find(|h| self.driver(h.driver()).is_dir())
    }

    /// The holder `name` is bound to, if any.
    pub fn holder_of(&self, name: &str) -> Option<Holder> {
        Holder::ALL
            .into_iter()
            .find(|h| self.bound_to(h.driver(), name))
    }

    /// Whether famfs_rs.ko is loaded.
    fn famfs_rs_loaded(&self) -> bool {
        self.root.join(FAMFS_MODULE).is_dir()
            || (self.real && Path::new(crate::mount::CONTROL_DEV).exists())
    }

    /// Whether the running kernel has fsdev_dax as a module (which
    /// needs fs-dax): `modules.dep` lists `.../fsdev_dax.ko[.xz|...]`.
    fn fsdev_dax_available(&self) -> bool {
        let Some(dir) = &self.modules else {
            return false;
        };
        let module = format!("{FSDEV_DAX}.ko");
        std::fs::read_to_string(dir.join(MODULES_DEP))
            .unwrap_or_default()
            .lines()
            .filter_map(|l| l.split(':').next())
            .filter_map(|m| Path::new(m).file_name())
            .any(|f| f.to_string_lossy().starts_with(&module))
    }

    /// The driver to move devices to: famfs_rs.ko's own if registered,
    /// else fsdev_dax; if neither is, and famfs_rs.ko is loaded and the
    /// kernel has fsdev_dax.ko, after one `modprobe fsdev_dax`.
    pub fn holder(&self) -> Result<Holder, HandoverError> {
        if let Some(h) = self.registered() {
            return Ok(h);
        }
        let loaded = self.famfs_rs_loaded();
        let mut tried = String::new();
        if loaded && self.fsdev_dax_available() {
            dlog!("neither {FAMFS_DRIVER} nor {FSDEV_DAX} is registered: {MODPROBE} {FSDEV_DAX}");
            match (self.loader)(FSDEV_DAX) {
                Ok(()) => tried = format!("; {MODPROBE} {FSDEV_DAX} registered no driver"),
                Err(e) => tried = format!("; {e}"),
            }
            if let Some(h) = self.registered() {
                dlog!("{FSDEV_DAX} loaded");
                return Ok(h);
            }
        }
        let (own, fsdev) = (
            self.driver(FAMFS_DRIVER).display().to_string(),
            self.driver(FSDEV_DAX).display().to_string(),
        );
        let what = if loaded {
            format!(
                "famfs_rs.ko is loaded, but neither {own} (its dax driver, on Linux 6.12: \
                 famfs_rs.ko too old?) nor {fsdev} (the kernel's, on 7.x kernels: modprobe \
                 {FSDEV_DAX}, which needs CONFIG_DEV_DAX_FSDEV) exists{tried}"
            )
        } else {
            format!(
                "{own} is missing: famfs_rs.ko too old or not loaded (load the current \
                 famfs_rs.ko; on 7.x kernels, where it uses the kernel's {fsdev}, also \
                 modprobe {FSDEV_DAX})"
            )
        };
        Err(HandoverError::NoDriver(format!(
            "{what}; or mount with --plain-fuse"
        )))
    }

    /// What to type to give `name` back from `holder` by hand.
    pub fn give_back_by_hand(&self, name: &str, holder: Holder) -> String {
        let [unbind, remove_id] = holder.release_steps();
        [unbind, remove_id, REBIND[0]]
            .iter()
            .map(|s| {
                let path = self.driver(s.driver).join(s.attr);
                format!("echo {name} > {}", path.display())
            })
            .collect::<Vec<_>>()
            .join("; ")
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

    /// Whether a device whose [`Sysfs::take`] ended in `taken` is on a
    /// holder now, and so is to be given back one day: taken, or left there
    /// by a take that failed half way (a refusal moves nothing).
    pub fn holds_after(&self, name: &str, taken: &Result<(), HandoverError>) -> bool {
        match taken {
            Ok(()) => true,
            Err(HandoverError::Refused { .. }) => false,
            Err(_) => self.holder_of(name).is_some(),
        }
    }

    /// Moves `name` (`daxX.Y`) from device_dax to the [`Sysfs::holder`].
    /// Already there is fine (a daemon restarted on a device it held).
    /// A device with its page map in the device is refused first, even
    /// one already there: fsdev_dax takes such devices, famfs_rs must not.
    pub fn take(&self, name: &str) -> Result<(), HandoverError> {
        let holder = self.holder()?;
        let to = holder.driver();
        if let Some(ns) = self.page_map_in_device(name) {
            return Err(HandoverError::Refused {
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
        if self.bound_to(to, name) {
            dlog!("{name}: already bound to {to}");
            return Ok(());
        }
        let [unbind, new_id] = holder.take_steps();
        if self.bound_to(unbind.driver, name) {
            self.write(unbind, name)?;
            crate::faults::point("handover");
        } else {
            dlog!("{name}: not bound to {}: nothing to unbind", unbind.driver);
        }
        let joined = self.write(new_id, name);
        if joined.is_ok() && self.settle(to, name, true) {
            dlog!("{name}: bound to {to}");
            return Ok(());
        }
        // Leave the device usable rather than driverless.
        let undo = self.give_back(name);
        let why = match joined {
            Err(e) => e.to_string(),
            Ok(()) => {
                format!("not bound to {to} after new_id (see dmesg: the driver declined it)")
            }
        };
        Err(HandoverError::State {
            name: name.to_owned(),
            msg: match undo {
                Ok(()) => format!("{why}; given back to {DEVICE_DAX}"),
                Err(u) => format!("{why}; giving it back failed too: {u}"),
            },
        })
    }

    /// Moves `name` back to device_dax from the holder it is bound to
    /// (if it is bound to none, its id is still removed from each holder
    /// registered: a take may have stopped halfway) and checks that its
    /// node opens again.
    pub fn give_back(&self, name: &str) -> Result<(), HandoverError> {
        let from: Vec<Holder> = match self.holder_of(name) {
            Some(h) => vec![h],
            None => Holder::ALL
                .into_iter()
                .filter(|h| self.driver(h.driver()).is_dir())
                .collect(),
        };
        for s in from.iter().flat_map(|h| h.release_steps()) {
            // unbind fails when the device is not bound, remove_id when
            // the id is not listed: both mean "already done".
            if let Err(e) = self.write(s, name) {
                dlog!("{e} (going on)");
            }
        }
        for h in &from {
            let d = h.driver();
            if !self.settle(d, name, false) {
                return Err(HandoverError::State {
                    name: name.to_owned(),
                    msg: format!(
                        "still bound to {d} after unbind (is a famfs still mounted on it? \
                         umount it first)"
                    ),
                });
            }
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
        if self.real {
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
