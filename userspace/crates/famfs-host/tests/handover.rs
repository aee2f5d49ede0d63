// SPDX-License-Identifier: GPL-2.0
//! Device handover against a fake sysfs tree, with a model of the dax bus
//! that carries out each attribute write before it returns (as the kernel
//! does) and moves the device link the way the kernel would.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use famfs_host::handover::{is_dax_name, ModuleLoader, Sysfs};
use famfs_host::held::{read_record, Held};

struct FakeBus {
    root: PathBuf,
    seen: Arc<Mutex<Vec<String>>>,
    /// The ids written to each driver's new_id and not removed:
    /// "driver/daxX.Y".
    ids: Arc<Mutex<Vec<String>>>,
    sysfs: Sysfs,
}

fn drv(root: &Path, d: &str) -> PathBuf {
    root.join("bus/dax/drivers").join(d)
}

/// Adds driver `d` (its directory and attribute files), as loading its
/// module would.
fn add_driver(root: &Path, d: &str) {
    fs::create_dir_all(drv(root, d)).unwrap();
    for a in ["bind", "unbind", "new_id", "remove_id"] {
        fs::write(drv(root, d).join(a), "").unwrap();
    }
}

/// Whether `dev` is bound to any driver.
fn bound_anywhere(root: &Path, dev: &str) -> bool {
    fs::read_dir(root.join("bus/dax/drivers"))
        .unwrap()
        .flatten()
        .any(|d| d.path().join(dev).exists())
}

impl FakeBus {
    /// `dev` starts on device_dax; `famfs` says whether famfs_rs exists;
    /// `bind_works` whether device_dax/bind takes the device (when not, it
    /// fails as the kernel's bind does for a driver that does not match).
    fn new(dir: &Path, dev: &str, famfs: bool, bind_works: bool) -> Self {
        let mut drivers = vec!["device_dax"];
        if famfs {
            drivers.push("famfs_rs");
        }
        Self::with_drivers(dir, dev, &drivers, bind_works)
    }

    /// `dev` starts on device_dax, with `drivers` registered. As the
    /// kernel's dax bus: new_id lists the id and binds the device only if
    /// it has no driver; bind refuses a device that has one; unbind fails
    /// for a device not bound there; remove_id of an unlisted id is fine.
    fn with_drivers(dir: &Path, dev: &str, drivers: &[&str], bind_works: bool) -> Self {
        let root = dir.to_owned();
        for d in drivers {
            add_driver(&root, d);
        }
        fs::write(drv(&root, "device_dax").join(dev), "").unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let ids = Arc::new(Mutex::new(Vec::new()));
        let (log, listed, top) = (seen.clone(), ids.clone(), root.clone());
        let sysfs = Sysfs::with_writer(
            &root,
            Arc::new(move |path: &Path, name: &str| {
                if !path.is_file() {
                    return Err(io::Error::from(io::ErrorKind::NotFound));
                }
                let dir = path.parent().unwrap();
                let d = dir.file_name().unwrap().to_string_lossy();
                let a = path.file_name().unwrap().to_string_lossy();
                log.lock().unwrap().push(format!("{d}/{a} {name}"));
                let link = dir.join(name);
                let id = format!("{d}/{name}");
                let mut listed = listed.lock().unwrap();
                match &*a {
                    "unbind" => fs::remove_file(link)
                        .map_err(|_| io::Error::from_raw_os_error(libc::ENODEV)),
                    "bind" if !bind_works => Err(io::Error::from_raw_os_error(libc::ENODEV)),
                    "bind" if bound_anywhere(&top, name) => {
                        Err(io::Error::from_raw_os_error(libc::EBUSY))
                    }
                    "bind" => fs::write(link, ""),
                    "new_id" => {
                        if !listed.contains(&id) {
                            listed.push(id);
                        }
                        if bound_anywhere(&top, name) {
                            Ok(())
                        } else {
                            fs::write(link, "")
                        }
                    }
                    "remove_id" => {
                        listed.retain(|i| *i != id);
                        Ok(())
                    }
                    _ => Ok(()),
                }
            }),
        );
        FakeBus {
            root,
            seen,
            ids,
            sysfs,
        }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn ids(&self) -> Vec<String> {
        self.ids.lock().unwrap().clone()
    }

    fn on(&self, d: &str, dev: &str) -> bool {
        drv(&self.root, d).join(dev).exists()
    }

    /// Moves `dev` to driver `d` behind the handover's back (as a
    /// previous daemon, or someone by hand, did).
    fn put(&self, d: &str, dev: &str) {
        for other in ["device_dax", "famfs_rs", "fsdev_dax"] {
            let _ = fs::remove_file(drv(&self.root, other).join(dev));
        }
        fs::write(drv(&self.root, d).join(dev), "").unwrap();
        self.ids.lock().unwrap().push(format!("{d}/{dev}"));
    }

    /// famfs_rs.ko is loaded (its module directory in sysfs).
    fn load_famfs_rs(&self) {
        fs::create_dir_all(self.root.join("module/famfs_rs")).unwrap();
    }
}

#[test]
fn take_then_give_back_in_order_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax0.0", true, true);
    let record = dir.path().join("run/mnt-famfs.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    held.take("dax0.0").unwrap();
    assert!(bus.on("famfs_rs", "dax0.0") && !bus.on("device_dax", "dax0.0"));
    assert_eq!(read_record(&record), vec!["dax0.0"]);
    assert_eq!(
        bus.seen(),
        ["device_dax/unbind dax0.0", "famfs_rs/new_id dax0.0"]
    );
    // A second daemon (or famfs umount) finds the record.
    let again = Held::new(bus.sysfs.clone(), Some(record.clone()));
    assert_eq!(again.list(), vec!["dax0.0"]);
    assert!(again.give_back_all().is_empty());
    assert!(bus.on("device_dax", "dax0.0") && !bus.on("famfs_rs", "dax0.0"));
    assert!(!record.exists(), "record removed once everything is back");
    assert_eq!(
        bus.seen()[2..],
        [
            "famfs_rs/unbind dax0.0",
            "famfs_rs/remove_id dax0.0",
            "device_dax/bind dax0.0"
        ]
    );
}

#[test]
fn falls_back_to_new_id_when_bind_does_not_take() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax1.0", true, false);
    let sys = bus.sysfs.clone();
    sys.take("dax1.0").unwrap();
    sys.give_back("dax1.0").unwrap();
    assert!(bus.on("device_dax", "dax1.0"));
    assert_eq!(bus.seen().last().unwrap(), "device_dax/new_id dax1.0");
}

#[test]
fn missing_driver_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax0.0", false, true);
    let record = dir.path().join("x.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    let e = held.take("dax0.0").unwrap_err().to_string();
    assert!(e.contains("famfs_rs.ko too old or not loaded"), "{e}");
    assert!(bus.seen().is_empty(), "nothing written: {:?}", bus.seen());
    assert!(bus.on("device_dax", "dax0.0"));
    assert!(read_record(&record).is_empty());
}

#[test]
fn dax_names() {
    assert!(is_dax_name("dax0.0") && is_dax_name("dax12.3"));
    for n in [
        "dax",
        "dax0",
        "dax0.",
        "dax.0",
        "daxa.0",
        "dax0.0.0",
        "pmem0",
        "../dax0.0",
    ] {
        assert!(!is_dax_name(n), "{n}");
    }
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("img");
    fs::write(&img, b"x").unwrap();
    assert_eq!(Sysfs::at(dir.path()).dax_name(&img).unwrap(), None);
}

/// Puts `dev` under a namespace personality whose page map mode is `mode`
/// ("ram" or "pmem"), linked from `bus/dax/devices` as sysfs does.
fn place_in_namespace(root: &Path, dev: &str, mode: &str) {
    let nd = root.join("devices/region0/dax0.1");
    fs::create_dir_all(nd.join(dev)).unwrap();
    fs::write(nd.join("mode"), format!("{mode}\n")).unwrap();
    fs::write(nd.join("namespace"), "namespace0.0\n").unwrap();
    let devices = root.join("bus/dax/devices");
    fs::create_dir_all(&devices).unwrap();
    std::os::unix::fs::symlink(nd.join(dev), devices.join(dev)).unwrap();
}

#[test]
fn page_map_in_the_device_is_refused_before_any_write() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax0.0", true, true);
    place_in_namespace(dir.path(), "dax0.0", "pmem");
    let e = bus.sysfs.take("dax0.0").unwrap_err().to_string();
    assert!(
        e.contains("--reconfig=namespace0.0") && e.contains("--map=mem"),
        "{e}"
    );
    assert!(bus.seen().is_empty(), "wrote {:?}", bus.seen());
    assert!(bus.on("device_dax", "dax0.0"));
}

#[test]
fn page_map_in_ram_is_taken() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax0.0", true, true);
    place_in_namespace(dir.path(), "dax0.0", "ram");
    assert_eq!(bus.sysfs.page_map_in_device("dax0.0"), None);
    bus.sysfs.take("dax0.0").unwrap();
    assert!(bus.on("famfs_rs", "dax0.0"));
}

// Linux 7.x: famfs_rs.ko registers no dax driver; devices go to the
// kernel's fsdev_dax, and famfs_rs.ko claims them there.

#[test]
fn fsdev_dax_take_then_give_back_in_order_and_recorded() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(dir.path(), "dax0.0", &["device_dax", "fsdev_dax"], true);
    let record = dir.path().join("run/mnt-famfs.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    held.take("dax0.0").unwrap();
    assert!(bus.on("fsdev_dax", "dax0.0") && !bus.on("device_dax", "dax0.0"));
    assert_eq!(
        fs::read_to_string(&record).unwrap(),
        "dax0.0\n",
        "the record keeps its format: one name a line"
    );
    assert_eq!(
        bus.seen(),
        ["device_dax/unbind dax0.0", "fsdev_dax/new_id dax0.0"]
    );
    let again = Held::new(bus.sysfs.clone(), Some(record.clone()));
    assert!(again.give_back_all().is_empty());
    assert!(bus.on("device_dax", "dax0.0") && !bus.on("fsdev_dax", "dax0.0"));
    assert!(!record.exists(), "record removed once everything is back");
    assert_eq!(
        bus.seen()[2..],
        [
            "fsdev_dax/unbind dax0.0",
            "fsdev_dax/remove_id dax0.0",
            "device_dax/bind dax0.0"
        ]
    );
    assert!(bus.ids().is_empty(), "ids left listed: {:?}", bus.ids());
}

#[test]
fn own_driver_is_preferred_when_both_exist() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(
        dir.path(),
        "dax0.0",
        &["device_dax", "famfs_rs", "fsdev_dax"],
        true,
    );
    bus.sysfs.take("dax0.0").unwrap();
    assert!(bus.on("famfs_rs", "dax0.0") && !bus.on("fsdev_dax", "dax0.0"));
    bus.sysfs.give_back("dax0.0").unwrap();
    assert!(bus.on("device_dax", "dax0.0"));
    assert!(
        bus.seen().iter().all(|s| !s.starts_with("fsdev_dax/")),
        "{:?}",
        bus.seen()
    );
}

#[test]
fn old_record_is_given_back_from_fsdev_dax() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(dir.path(), "dax1.0", &["device_dax", "fsdev_dax"], true);
    fs::write(drv(dir.path(), "device_dax").join("dax2.0"), "").unwrap();
    // A daemon that died left dax1.0 on fsdev_dax, and dax2.0 listed
    // while it was still on device_dax; the record, as the current
    // version writes it, names them alone.
    bus.put("fsdev_dax", "dax1.0");
    let record = dir.path().join("mnt-famfs.devices");
    fs::write(&record, "dax1.0\ndax2.0\n").unwrap();
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    assert_eq!(held.list(), ["dax1.0", "dax2.0"]);
    let failed = held.give_back_all();
    assert!(failed.is_empty(), "{failed:?}");
    for d in ["dax1.0", "dax2.0"] {
        assert!(bus.on("device_dax", d) && !bus.on("fsdev_dax", d), "{d}");
    }
    assert!(!record.exists());
    assert!(bus.ids().is_empty(), "ids left listed: {:?}", bus.ids());
}

#[test]
fn neither_driver_says_what_to_do() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(dir.path(), "dax0.0", &["device_dax"], true);
    let record = dir.path().join("x.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    let e = held.take("dax0.0").unwrap_err().to_string();
    for want in [
        "famfs_rs.ko",
        "fsdev_dax",
        "modprobe fsdev_dax",
        "--plain-fuse",
    ] {
        assert!(e.contains(want), "{want:?} not in: {e}");
    }
    assert!(bus.seen().is_empty(), "nothing written: {:?}", bus.seen());
    assert!(bus.on("device_dax", "dax0.0"));
    assert!(read_record(&record).is_empty());
}

#[test]
fn page_map_in_the_device_is_refused_before_binding_to_fsdev_dax() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(dir.path(), "dax0.0", &["device_dax", "fsdev_dax"], true);
    place_in_namespace(dir.path(), "dax0.0", "pmem");
    let record = dir.path().join("x.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    let e = held.take("dax0.0").unwrap_err().to_string();
    assert!(
        e.starts_with("dax0.0: its namespace namespace0.0 keeps the page map")
            && e.contains("--reconfig=namespace0.0")
            && e.contains("--map=mem"),
        "{e}"
    );
    assert!(bus.seen().is_empty(), "wrote {:?}", bus.seen());
    assert!(bus.on("device_dax", "dax0.0"));
    assert!(read_record(&record).is_empty());
}

#[test]
fn page_map_in_the_device_is_refused_even_if_already_on_fsdev_dax() {
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::with_drivers(dir.path(), "dax0.0", &["device_dax", "fsdev_dax"], true);
    place_in_namespace(dir.path(), "dax0.0", "pmem");
    // Bound there by hand: the kernel's fsdev_dax takes such a device,
    // so the check in userspace is the only one.
    bus.put("fsdev_dax", "dax0.0");
    let record = dir.path().join("x.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    let e = held.take("dax0.0").unwrap_err().to_string();
    assert!(e.contains("--map=mem"), "{e}");
    assert!(bus.seen().is_empty(), "wrote {:?}", bus.seen());
    assert!(
        read_record(&record).is_empty(),
        "not recorded: not ours to give back"
    );
    assert!(held.give_back_all().is_empty());
    assert!(bus.on("fsdev_dax", "dax0.0"), "left where it was found");
}

/// A modules directory whose modules.dep lists `modules`, and a loader
/// that registers the fsdev_dax driver in the fake tree (when
/// `registers`) and records what it was asked to load.
fn modules(
    dir: &Path,
    root: &Path,
    listed: &[&str],
    registers: bool,
) -> (PathBuf, Arc<Mutex<Vec<String>>>, Arc<ModuleLoader>) {
    let mods = dir.join("lib/modules/7.3.0-1-amd64");
    fs::create_dir_all(&mods).unwrap();
    let dep: String = listed
        .iter()
        .map(|m| format!("kernel/drivers/dax/{m}.ko.xz: kernel/drivers/dax/dax.ko.xz\n"))
        .collect();
    fs::write(mods.join("modules.dep"), dep).unwrap();
    let asked = Arc::new(Mutex::new(Vec::new()));
    let (log, top) = (asked.clone(), root.to_owned());
    let loader: Arc<ModuleLoader> = Arc::new(move |m: &str| {
        log.lock().unwrap().push(m.to_owned());
        if !registers {
            return Err(io::Error::other(
                "modprobe fsdev_dax: FATAL: Module fsdev_dax not found",
            ));
        }
        add_driver(&top, m);
        Ok(())
    });
    (mods, asked, loader)
}

#[test]
fn modprobes_fsdev_dax_once_when_famfs_rs_is_loaded_and_the_kernel_has_it() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sys");
    let bus = FakeBus::with_drivers(&root, "dax0.0", &["device_dax"], true);
    fs::write(drv(&root, "device_dax").join("dax0.1"), "").unwrap();
    bus.load_famfs_rs();
    let (mods, asked, loader) = modules(dir.path(), &root, &["fsdev_dax", "kmem"], true);
    let sys = bus.sysfs.clone().with_modules(&mods, loader);
    let held = Held::new(sys, None);
    held.take("dax0.0").unwrap();
    held.take("dax0.1").unwrap();
    assert_eq!(*asked.lock().unwrap(), ["fsdev_dax"]);
    assert!(bus.on("fsdev_dax", "dax0.0") && bus.on("fsdev_dax", "dax0.1"));
    assert!(held.give_back_all().is_empty());
    assert!(bus.on("device_dax", "dax0.0") && bus.on("device_dax", "dax0.1"));
}

#[test]
fn no_modprobe_unless_famfs_rs_is_loaded_and_the_kernel_has_fsdev_dax() {
    // famfs_rs.ko not loaded: nothing to claim the device; load it first.
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sys");
    let bus = FakeBus::with_drivers(&root, "dax0.0", &["device_dax"], true);
    let (mods, asked, loader) = modules(dir.path(), &root, &["fsdev_dax"], true);
    let sys = bus.sysfs.clone().with_modules(&mods, loader);
    let e = sys.take("dax0.0").unwrap_err().to_string();
    assert!(
        e.contains("famfs_rs.ko too old or not loaded") && e.contains("modprobe fsdev_dax"),
        "{e}"
    );
    assert!(asked.lock().unwrap().is_empty());
    // Loaded, but the kernel has no fsdev_dax.ko (no fs-dax).
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sys");
    let bus = FakeBus::with_drivers(&root, "dax0.0", &["device_dax"], true);
    bus.load_famfs_rs();
    let (mods, asked, loader) = modules(dir.path(), &root, &["kmem"], true);
    let sys = bus.sysfs.clone().with_modules(&mods, loader);
    let e = sys.take("dax0.0").unwrap_err().to_string();
    assert!(
        e.contains("famfs_rs.ko is loaded")
            && e.contains("modprobe fsdev_dax")
            && e.contains("--plain-fuse"),
        "{e}"
    );
    assert!(asked.lock().unwrap().is_empty());
    assert!(bus.seen().is_empty() && bus.on("device_dax", "dax0.0"));
}

#[test]
fn a_failed_modprobe_is_reported() {
    let dir = tempfile::tempdir().unwrap();
    let root = dir.path().join("sys");
    let bus = FakeBus::with_drivers(&root, "dax0.0", &["device_dax"], true);
    bus.load_famfs_rs();
    let (mods, asked, loader) = modules(dir.path(), &root, &["fsdev_dax"], false);
    let record = dir.path().join("x.devices");
    let held = Held::new(
        bus.sysfs.clone().with_modules(&mods, loader),
        Some(record.clone()),
    );
    let e = held.take("dax0.0").unwrap_err().to_string();
    assert!(e.contains("FATAL: Module fsdev_dax not found"), "{e}");
    assert_eq!(*asked.lock().unwrap(), ["fsdev_dax"], "tried once");
    assert!(bus.seen().is_empty() && bus.on("device_dax", "dax0.0"));
    assert!(read_record(&record).is_empty());
}

/// The run directory of this test process, where `famfs bind` keeps its
/// record: set once, before any test reads it (and only device dax7.0 is
/// ever bound in it, which no other test uses).
fn bound_run_dir() -> &'static Path {
    static DIR: std::sync::OnceLock<tempfile::TempDir> = std::sync::OnceLock::new();
    DIR.get_or_init(|| {
        let d = tempfile::tempdir().unwrap();
        std::env::set_var(famfs_host::paths::RUN_DIR_ENV, d.path());
        d
    })
    .path()
}

#[test]
fn a_bound_device_is_neither_recorded_nor_given_back_by_a_mount() {
    let run = bound_run_dir();
    let dir = tempfile::tempdir().unwrap();
    let bus = FakeBus::new(dir.path(), "dax7.0", true, true);
    famfs_host::bound::bind(&bus.sysfs, "dax7.0").unwrap();
    assert!(bus.on("famfs_rs", "dax7.0"));
    assert_eq!(read_record(&run.join("bound.devices")), vec!["dax7.0"]);
    let before = bus.seen().len();
    // A mount: the device is already there, and not the mount's.
    let record = dir.path().join("run/mnt-famfs.devices");
    let held = Held::new(bus.sysfs.clone(), Some(record.clone()));
    held.take("dax7.0").unwrap();
    assert!(held.list().is_empty() && !record.exists());
    assert!(held.give_back_all().is_empty());
    assert_eq!(
        bus.seen().len(),
        before,
        "no sysfs write for a bound device"
    );
    assert!(bus.on("famfs_rs", "dax7.0"));
    // A record left by a mount from before the bind gives back nothing.
    fs::create_dir_all(record.parent().unwrap()).unwrap();
    fs::write(&record, "dax7.0\n").unwrap();
    let stale = Held::new(bus.sysfs.clone(), Some(record.clone()));
    assert!(stale.give_back_all().is_empty());
    assert!(bus.on("famfs_rs", "dax7.0") && !record.exists());
    // famfs unbind: back to device_dax, off the record.
    famfs_host::bound::unbind(&bus.sysfs, "dax7.0").unwrap();
    assert!(bus.on("device_dax", "dax7.0") && !bus.on("famfs_rs", "dax7.0"));
    assert!(!famfs_host::bound::is_bound("dax7.0"));
}
