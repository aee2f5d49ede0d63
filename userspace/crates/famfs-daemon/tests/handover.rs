// SPDX-License-Identifier: GPL-2.0
//! Device handover against a fake sysfs tree, with a model of the dax bus
//! that carries out each attribute write before it returns (as the kernel
//! does) and moves the device link the way the kernel would.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use famfs_daemon::handover::{is_dax_name, Sysfs};
use famfs_daemon::held::{read_record, Held};

struct FakeBus {
    root: PathBuf,
    seen: Arc<Mutex<Vec<String>>>,
    sysfs: Sysfs,
}

fn drv(root: &Path, d: &str) -> PathBuf {
    root.join("bus/dax/drivers").join(d)
}

impl FakeBus {
    /// `dev` starts on device_dax; `famfs` says whether famfs_rs exists;
    /// `bind_works` whether device_dax/bind takes the device (when not, it
    /// fails as the kernel's bind does for a driver that does not match).
    fn new(dir: &Path, dev: &str, famfs: bool, bind_works: bool) -> Self {
        let root = dir.to_owned();
        let mut drivers = vec!["device_dax"];
        if famfs {
            drivers.push("famfs_rs");
        }
        for d in &drivers {
            fs::create_dir_all(drv(&root, d)).unwrap();
            for a in ["bind", "unbind", "new_id", "remove_id"] {
                fs::write(drv(&root, d).join(a), "").unwrap();
            }
        }
        fs::write(drv(&root, "device_dax").join(dev), "").unwrap();
        let seen = Arc::new(Mutex::new(Vec::new()));
        let log = seen.clone();
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
                match &*a {
                    "unbind" => fs::remove_file(link),
                    "bind" if !bind_works => Err(io::Error::from_raw_os_error(libc::ENODEV)),
                    "new_id" | "bind" => fs::write(link, ""),
                    _ => Ok(()),
                }
            }),
        );
        FakeBus { root, seen, sysfs }
    }

    fn seen(&self) -> Vec<String> {
        self.seen.lock().unwrap().clone()
    }

    fn on(&self, d: &str, dev: &str) -> bool {
        drv(&self.root, d).join(dev).exists()
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
