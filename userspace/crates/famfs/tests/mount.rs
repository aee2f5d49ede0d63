// SPDX-License-Identifier: GPL-2.0
//! `famfs mount`, `umount`, `daemon` and the mounted mode of the verbs,
//! end to end. The real-mount test uses the kernel's FUSE (--plain-fuse): it
//! runs where this process may mount (root with /dev/fuse) and says so
//! when it cannot.

use std::path::Path;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_famfs");
const MASTER: &str = "11111111-2222-3333-4444-555555555555";

fn run(dir: &Path, args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("FAMFS_SYSTEM_UUID", MASTER)
        .env("FAMFS_RUN_DIR", dir.join("run"))
        .env("FAMFS_LOG_DIR", dir.join("log"))
        .env_remove("FAMFS_DEVICE")
        .output()
        .unwrap()
}

fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}

fn ok(dir: &Path, args: &[&str]) -> String {
    let o = run(dir, args);
    assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o));
    String::from_utf8(o.stdout).unwrap()
}

fn image(dir: &Path) -> String {
    let img = dir.join("fs.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    let img = img.to_str().unwrap().to_owned();
    ok(dir, &["mkfs", &img]);
    img
}

#[test]
fn help_documents_mount_umount_daemon() {
    let d = tempfile::tempdir().unwrap();
    let top = ok(d.path(), &["--help"]);
    for verb in ["mount", "umount", "daemon"] {
        assert!(top.contains(verb), "{verb} missing from --help");
    }
    let m = ok(d.path(), &["mount", "--help"]);
    for s in [
        "--plain-fuse",
        "--misbehave",
        "/run/famfs_rs",
        "/var/log/famfs_rs",
        "read-only",
    ] {
        assert!(m.contains(s), "mount --help lacks {s}");
    }
    let dm = ok(d.path(), &["daemon", "--help"]);
    assert!(dm.contains("--list-misbehave-cases") && dm.contains("--fd"));
    assert!(ok(d.path(), &["umount", "--help"]).contains("--lazy"));
}

#[test]
fn misbehave_cases_are_listed() {
    let d = tempfile::tempdir().unwrap();
    let names = ok(d.path(), &["daemon", "--list-misbehave-cases"]);
    let names: Vec<&str> = names.lines().collect();
    assert!(names.len() >= 50, "{}", names.len());
    assert!(names.contains(&"len-short") && !names.contains(&"init-major"));
    let v = ok(d.path(), &["daemon", "--list-misbehave-cases", "--verbose"]);
    let rows: Vec<Vec<&str>> = v.lines().map(|l| l.split('\t').collect()).collect();
    assert!(rows.iter().all(|r| r.len() == 4));
    assert!(rows.len() > names.len());
    assert!(rows.iter().any(|r| r[0] == "init-major" && r[1] == "mount"));
    assert!(rows
        .iter()
        .any(|r| r[0] == "duplicate" && r[2] == "succeeds"));
}

#[test]
fn mount_refuses_clearly() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let img = image(p);
    std::fs::create_dir(p.join("mnt")).unwrap();
    let mnt = p.join("mnt");
    let mnt = mnt.to_str().unwrap();
    let blank = p.join("blank.img");
    std::fs::File::create(&blank)
        .unwrap()
        .set_len(64 << 20)
        .unwrap();
    let o = run(p, &["mount", "--plain-fuse", blank.to_str().unwrap(), mnt]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("famfs mkfs"), "{}", text(&o));
    let o = run(p, &["mount", &img, p.join("nope").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("mount point"), "{}", text(&o));
    if !Path::new("/dev/famfs_rs").exists() {
        let o = run(p, &["mount", &img, mnt]);
        assert_eq!(o.status.code(), Some(1));
        assert!(text(&o).contains("insmod famfs_rs.ko"), "{}", text(&o));
        assert!(text(&o).contains("--plain-fuse"), "{}", text(&o));
    }
    let o = run(p, &["mount", "--misbehave", "no-such-case", &img, mnt]);
    assert!(text(&o).contains("no-such-case"), "{}", text(&o));
    let o = run(p, &["umount", mnt]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("not mounted"), "{}", text(&o));
}

#[test]
fn verbs_outside_a_mount_ask_for_the_device() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let o = run(p, &["creat", "-s", "2M", p.join("x").to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains("not inside a mounted famfs"),
        "{}",
        text(&o)
    );
    assert!(text(&o).contains("--device"), "{}", text(&o));
}

/// Mounts `img` on `mnt` with --plain-fuse; None (and why) where this process
/// cannot mount.
fn try_mount(p: &Path, img: &str, mnt: &str) -> Option<String> {
    if std::env::var_os("FAMFS_TEST_NO_MOUNT").is_some() {
        eprintln!("skipping the real mount: FAMFS_TEST_NO_MOUNT is set");
        return None;
    }
    if std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open("/dev/fuse")
        .is_err()
    {
        eprintln!("skipping the real mount: cannot open /dev/fuse here");
        return None;
    }
    let o = run(p, &["mount", "--plain-fuse", img, mnt]);
    if o.status.code() != Some(0) {
        let t = text(&o);
        assert!(
            t.contains("Operation not permitted") || t.contains("EPERM"),
            "mount failed for another reason than permission: {t}"
        );
        eprintln!("skipping the real mount: {t}");
        return None;
    }
    Some(text(&o))
}

#[test]
fn fuse_mount_serves_the_log_and_new_files() {
    let d = tempfile::tempdir().unwrap();
    let p = d.path();
    let img = image(p);
    ok(p, &["mkdir", "-D", &img, "-p", "dir/sub"]);
    ok(
        p,
        &["creat", "-D", &img, "-s", "3M", "-r", "-S", "7", "dir/a"],
    );
    std::fs::create_dir(p.join("mnt")).unwrap();
    let mnt_path = p.join("mnt");
    let mnt = mnt_path.to_str().unwrap();
    let Some(said) = try_mount(p, &img, mnt) else {
        return;
    };
    assert!(said.contains("mounted on"), "{said}");
    let pid_file = p.join("run").join(format!(
        "{}.pid",
        famfs_daemon_escape(&mnt_path.canonicalize().unwrap())
    ));
    let pid: i32 = std::fs::read_to_string(&pid_file)
        .unwrap_or_else(|e| {
            panic!(
                "{}: {e}; run dir: {:?}; log: {}",
                pid_file.display(),
                std::fs::read_dir(p.join("run"))
                    .map(|d| d.map(|e| e.unwrap().file_name()).collect::<Vec<_>>()),
                std::fs::read_dir(p.join("log"))
                    .map(|d| d
                        .map(|e| std::fs::read_to_string(e.unwrap().path()).unwrap())
                        .collect::<Vec<_>>()
                        .join(""))
                    .unwrap_or_default()
            )
        })
        .trim()
        .parse()
        .unwrap();
    let result = std::panic::catch_unwind(|| {
        let mut names: Vec<String> = std::fs::read_dir(&mnt_path)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        assert_eq!(names, [".meta", "dir"]);
        let a = std::fs::metadata(mnt_path.join("dir/a")).unwrap();
        assert_eq!(a.len(), 3 << 20);
        // Mounted mode: the verbs find the device through the mount.
        ok(
            p,
            &[
                "verify",
                "-S",
                "7",
                mnt_path.join("dir/a").to_str().unwrap(),
            ],
        );
        let newf = mnt_path.join("dir/new");
        ok(
            p,
            &["creat", "-s", "2M", "-r", "-S", "9", newf.to_str().unwrap()],
        );
        // The daemon finds the new entry on the lookup miss.
        assert_eq!(std::fs::metadata(&newf).unwrap().len(), 2 << 20);
        ok(p, &["verify", "-S", "9", newf.to_str().unwrap()]);
        // Data through the mount (plain FUSE reads) equals the device's.
        let via_mount = std::fs::read(mnt_path.join("dir/a")).unwrap();
        let map = ok(
            p,
            &["getmap", "--json", mnt_path.join("dir/a").to_str().unwrap()],
        );
        let map: serde_json::Value = serde_json::from_str(&map).unwrap();
        let off = map["fmap"]["extents"][0]["offset"].as_u64().unwrap() as usize;
        let mut dev = vec![0u8; 3 << 20];
        std::os::unix::fs::FileExt::read_exact_at(
            &std::fs::File::open(&img).unwrap(),
            &mut dev,
            off as u64,
        )
        .unwrap();
        assert!(via_mount == dev, "data differs");
        assert!(ok(p, &["logplay", mnt]).contains("dir/new"));
        assert!(std::fs::write(mnt_path.join("dir/a"), b"x").is_err());
    });
    let o = run(p, &["umount", mnt]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let deadline = Instant::now() + Duration::from_secs(5);
    while Path::new(&format!("/proc/{pid}")).exists()
        && !std::fs::read_to_string(format!("/proc/{pid}/stat"))
            .unwrap_or_default()
            .contains(") Z")
    {
        assert!(Instant::now() < deadline, "daemon {pid} still running");
        std::thread::sleep(Duration::from_millis(20));
    }
    assert!(!pid_file.exists());
    if let Err(e) = result {
        std::panic::resume_unwind(e);
    }
}

fn famfs_daemon_escape(p: &Path) -> String {
    p.to_string_lossy()
        .trim_matches('/')
        .bytes()
        .map(|b| match b {
            b'/' => "-".to_owned(),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b':' => (b as char).to_string(),
            _ => format!("\\x{b:02x}"),
        })
        .collect()
}

/// A fake sysfs in `dir` where /dev/null stands for devdax `dax0.0`,
/// bound to the kernel's fsdev_dax (Linux 7.x), whose node opens as
/// /dev/null does; returns `famfs` run with it, and with `wait` as
/// FAMFS_GIVE_BACK_WAIT.
fn on_fsdev_dax(dir: &Path) -> impl Fn(&[&str], &str) -> Output + '_ {
    use std::os::unix::fs::MetadataExt;
    let sys = dir.join("sys");
    let rdev = std::fs::metadata("/dev/null").unwrap().rdev();
    let chr = sys.join("dev/char");
    std::fs::create_dir_all(&chr).unwrap();
    let link = chr.join(format!("{}:{}", libc::major(rdev), libc::minor(rdev)));
    std::os::unix::fs::symlink("../../devices/region0/dax0.0/dax0.0", link).unwrap();
    for d in ["device_dax", "fsdev_dax"] {
        let drv = sys.join("bus/dax/drivers").join(d);
        std::fs::create_dir_all(&drv).unwrap();
        for a in ["bind", "unbind", "new_id", "remove_id"] {
            std::fs::write(drv.join(a), "").unwrap();
        }
    }
    std::fs::write(sys.join("bus/dax/drivers/fsdev_dax/dax0.0"), "").unwrap();
    std::fs::create_dir_all(dir.join("run")).unwrap();
    move |args: &[&str], wait: &str| {
        Command::new(BIN)
            .args(args)
            .env("FAMFS_SYSTEM_UUID", MASTER)
            .env("FAMFS_RUN_DIR", dir.join("run"))
            .env("FAMFS_LOG_DIR", dir.join("log"))
            .env("FAMFS_SYSFS_ROOT", &sys)
            .env("FAMFS_GIVE_BACK_WAIT", wait)
            .env_remove("FAMFS_DEVICE")
            .output()
            .unwrap()
    }
}

#[test]
fn a_device_on_fsdev_dax_by_no_mount_is_refused_clearly() {
    let dir = tempfile::tempdir().unwrap();
    let famfs = on_fsdev_dax(dir.path());
    let o = famfs(&["mkfs", "/dev/null"], "30");
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("/dev/null: bound to fsdev_dax")
            && out.contains("fsdev_dax/unbind")
            && out.contains("fsdev_dax/remove_id")
            && out.contains("device_dax/bind"),
        "{out}"
    );
}

#[test]
fn a_dead_daemons_device_is_given_back_from_fsdev_dax() {
    let dir = tempfile::tempdir().unwrap();
    let famfs = on_fsdev_dax(dir.path());
    let run = dir.path().join("run");
    // Its daemon died holding dax0.0 (a record in the current format, one
    // name a line; a pid file naming a process that is gone).
    let mut gone = Command::new("true").spawn().unwrap();
    let pid = gone.id();
    gone.wait().unwrap();
    std::fs::write(run.join("mnt-x.devices"), "dax0.0\n").unwrap();
    std::fs::write(run.join("mnt-x.pid"), format!("{pid}\n")).unwrap();
    // The fake bus moves nothing: the give-back is tried, from fsdev_dax,
    // and found not to have taken.
    let out = text(&famfs(&["mkfs", "/dev/null"], "0"));
    assert!(
        out.contains("giving it back to device_dax")
            && out.contains("still bound to fsdev_dax after unbind"),
        "{out}"
    );
    let fsdev = dir.path().join("sys/bus/dax/drivers/fsdev_dax");
    for a in ["unbind", "remove_id"] {
        assert_eq!(
            std::fs::read_to_string(fsdev.join(a)).unwrap(),
            "dax0.0\n",
            "{a}"
        );
    }
}
