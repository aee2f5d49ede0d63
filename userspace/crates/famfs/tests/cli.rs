// SPDX-License-Identifier: GPL-2.0
//! The `famfs` binary end to end, on sparse image files: the acceptance
//! flow, exit codes, mkfs.famfs, client refusal, concurrent processes,
//! files on secondary devices (--devices).

mod common;

use common::{text, BIN};
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const MASTER: &str = "11111111-2222-3333-4444-555555555555";
const OTHER: &str = "99999999-8888-7777-6666-555555555555";

struct Fixture {
    dir: tempfile::TempDir,
    img: PathBuf,
}

impl Fixture {
    /// A formatted sparse image of 4 GiB.
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("fs.img");
        std::fs::File::create(&img)
            .unwrap()
            .set_len(4 << 30)
            .unwrap();
        let f = Fixture { dir, img };
        f.ok(&["mkfs", f.img()]);
        f
    }

    fn img(&self) -> &str {
        self.img.to_str().unwrap()
    }

    fn run_as(&self, host: &str, args: &[&str]) -> Output {
        common::run_as(host, args)
    }

    fn run(&self, args: &[&str]) -> Output {
        self.run_as(MASTER, args)
    }

    /// Run and require exit 0; returns stdout.
    fn ok(&self, args: &[&str]) -> String {
        let o = self.run(args);
        assert_eq!(
            o.status.code(),
            Some(0),
            "{args:?}: {}",
            String::from_utf8_lossy(&o.stderr)
        );
        String::from_utf8(o.stdout).unwrap()
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }
}

/// A host file of `size` bytes holding the pattern of `seed`.
fn pattern_file(path: &Path, size: usize, seed: u64) {
    std::fs::write(path, famfs_meta::pattern::bytes(seed, size)).unwrap();
}

/// Flip bit 4 of the byte at `off` in `path`.
fn flip_byte(path: &Path, off: u64) {
    use std::os::unix::fs::FileExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .write(true)
        .open(path)
        .unwrap();
    let mut b = [0u8; 1];
    file.read_exact_at(&mut b, off).unwrap();
    b[0] ^= 0x10;
    file.write_all_at(&b, off).unwrap();
}

#[test]
fn acceptance_flow() {
    let f = Fixture::new();
    let img = f.img();
    f.ok(&["mkdir", "-D", img, "-p", "data/in/deep"]);
    f.ok(&[
        "creat",
        "-D",
        img,
        "-s",
        "64M",
        "--randomize",
        "--seed",
        "42",
        "data/r",
    ]);
    f.ok(&[
        "creat", "-D", img, "-s", "30M", "-N", "4", "-B", "8", "-r", "-S", "5", "data/s",
    ]);
    let src = f.path("big.bin");
    pattern_file(&src, 100 << 20, 77);
    f.ok(&["cp", "-D", img, src.to_str().unwrap(), "data/in/"]);

    let play = f.ok(&["logplay", img]);
    assert!(play.contains("data/in/big.bin"), "{play}");
    assert!(play.contains("104857600"), "{play}");
    assert!(
        play.contains("6 log entries replayed: 3 files, 3 directories"),
        "{play}"
    );

    let map = f.ok(&["getmap", "-D", img, "data/in/big.bin"]);
    assert!(map.contains("fmap: simple, 1 extent"), "{map}");
    let map = f.ok(&["getmap", "-D", img, "data/s"]);
    assert!(map.contains("interleaved, 4 strips"), "{map}");

    f.ok(&["verify", "-D", img, "--seed", "42", "data/r"]);
    f.ok(&["verify", "-D", img, "--seed", "5", "data/s"]);
    f.ok(&["verify", "-D", img, "--seed", "77", "data/in/big.bin"]);
    let o = f.run(&["verify", "-D", img, "--seed", "43", "data/r"]);
    assert_eq!(o.status.code(), Some(3));
    assert!(
        text(&o).contains("data/r: data differs from seed 43 at offset 0x0"),
        "{}",
        text(&o)
    );

    let fsck = f.ok(&["fsck", img]);
    assert!(fsck.contains("result: clean"), "{fsck}");
    f.ok(&["check", "-D", img]);

    // JSON outputs are JSON.
    for args in [
        vec!["fsck", "--json", img],
        vec!["logplay", "--json", img],
        vec!["getmap", "--json", "-D", img, "data/s"],
    ] {
        let out = f.ok(&args);
        serde_json::from_str::<serde_json::Value>(&out).unwrap_or_else(|e| panic!("{args:?}: {e}"));
    }

    // One flipped byte in log entry 4 (data/s): fsck fails and names it.
    let entry4: u64 = 0x20_0000 + 48 + 4 * 544 + 200;
    flip_byte(&f.img, entry4);
    let o = f.run(&["fsck", img]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(
        text(&o).contains("error: log entry 4 (file \"data/s\"?): log entry: bad CRC"),
        "{}",
        text(&o)
    );
}

#[test]
fn exit_codes_and_errors_name_things() {
    let f = Fixture::new();
    let img = f.img();
    // Usage errors exit 2.
    assert_eq!(f.run(&["creat", "-D", img]).status.code(), Some(2));
    // A new file without a size fails, as upstream.
    let o = f.run(&["creat", "-D", img, "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("needs a size above 0"), "{}", text(&o));
    assert_eq!(f.run(&["bogus"]).status.code(), Some(2));
    // Failures exit 1 and name the device and path.
    let o = f.run(&["creat", "-D", img, "-s", "1M", "no/such"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(
        text(&o).contains(&format!("{img}: no: no such file or directory")),
        "{}",
        text(&o)
    );
    let o = f.run(&["creat", "-D", img, "-s", "8G", "huge"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("no space for huge"), "{}", text(&o));
    let o = f.run(&["getmap", "-D", "/nonexistent.img", "x"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("/nonexistent.img: open"), "{}", text(&o));
    let o = f.run(&["getmap", "x"]);
    assert!(text(&o).contains("--device"), "{}", text(&o));
    // mkfs refuses an existing famfs without -f.
    let o = f.run(&["mkfs", img]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("already holds a famfs"), "{}", text(&o));
    // --help documents exit codes and examples.
    let help = f.ok(&["--help"]);
    assert!(
        help.contains("Exit status") && help.contains("Example session"),
        "{help}"
    );
    let help = f.ok(&["creat", "--help"]);
    assert!(
        help.contains("Examples:") && help.contains("--nstrips"),
        "{help}"
    );
}

#[test]
fn client_host_refuses_to_write() {
    let f = Fixture::new();
    let img = f.img();
    let o = f.run_as(OTHER, &["mkdir", "-D", img, "d"]);
    assert_eq!(o.status.code(), Some(1));
    let t = text(&o);
    assert!(
        t.contains("is a client") && t.contains(OTHER) && t.contains(MASTER),
        "{t}"
    );
    // Clients still read.
    let o = f.run_as(OTHER, &["logplay", img]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
}

#[test]
fn mkfs_famfs_by_argv0_and_kill() {
    let f = Fixture::new();
    let link = f.path("mkfs.famfs");
    std::os::unix::fs::symlink(BIN, &link).unwrap();
    let o = Command::new(&link)
        .args(["-f", "--loglen", "16M", f.img()])
        .env("FAMFS_SYSTEM_UUID", MASTER)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(
        text(&o).contains("16 MiB at 0x200000, 30840 entries"),
        "{}",
        text(&o)
    );
    f.ok(&["fsck", f.img()]);
    // As upstream: --kill alone is refused, --kill --force kills.
    let o = f.run(&["mkfs", "-k", f.img()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("add --force"), "{}", text(&o));
    f.ok(&["fsck", f.img()]);
    f.ok(&["mkfs", "-f", "-k", f.img()]);
    assert_eq!(f.run(&["fsck", f.img()]).status.code(), Some(3));
}

#[test]
fn cp_recursive() {
    let f = Fixture::new();
    let tree = f.path("tree");
    std::fs::create_dir_all(tree.join("a/b")).unwrap();
    pattern_file(&tree.join("top"), 1000, 1);
    pattern_file(&tree.join("a/b/leaf"), 5 << 20, 1);
    std::fs::write(tree.join("a/empty"), b"").unwrap();
    let o = f.run(&["cp", "-D", f.img(), tree.to_str().unwrap(), "x"]);
    assert_eq!(o.status.code(), Some(1), "directory without -r");
    // As upstream, an empty source fails (famfs files never grow) and
    // the rest is still copied.
    let o = f.run(&["cp", "-D", f.img(), "-r", tree.to_str().unwrap(), "x"]);
    assert_eq!(o.status.code(), Some(1), "empty source");
    assert!(text(&o).contains("a/empty: empty"), "{}", text(&o));
    let play = f.ok(&["logplay", f.img()]);
    for p in ["x/", "x/a/", "x/a/b/", "x/a/b/leaf", "x/top"] {
        assert!(play.contains(p), "{p} missing from {play}");
    }
    assert!(!play.contains("x/a/empty"), "{play}");
    f.ok(&["verify", "-D", f.img(), "-S", "1", "x/top", "x/a/b/leaf"]);
}

/// Several processes append at once; flock keeps every slot unique.
#[test]
fn concurrent_processes_append_safely() {
    let f = Fixture::new();
    let img = f.img();
    const PROCS: usize = 4;
    const FILES: usize = 8;
    let mut srcs = Vec::new();
    for i in 0..FILES {
        let p = f.path(&format!("src{i}"));
        pattern_file(&p, 3 << 20, 9);
        srcs.push(p.to_str().unwrap().to_owned());
    }
    for p in 0..PROCS {
        f.ok(&["mkdir", "-D", img, &format!("p{p}")]);
    }
    let children: Vec<_> = (0..PROCS)
        .map(|p| {
            let dest = format!("p{p}/");
            let mut args = vec!["cp", "-D", img];
            args.extend(srcs.iter().map(String::as_str));
            args.push(&dest);
            Command::new(BIN)
                .args(&args)
                .env("FAMFS_SYSTEM_UUID", MASTER)
                .spawn()
                .unwrap()
        })
        .collect();
    for mut c in children {
        assert!(c.wait().unwrap().success());
    }
    let fsck = f.ok(&["fsck", img]);
    assert!(
        fsck.contains(&format!("{} of 15420 entries used", PROCS + PROCS * FILES)),
        "{fsck}"
    );
    assert!(fsck.contains(&format!("{} files", PROCS * FILES)), "{fsck}");
    let mut files = Vec::new();
    for p in 0..PROCS {
        for i in 0..FILES {
            files.push(format!("p{p}/src{i}"));
        }
    }
    let mut args = vec!["verify", "-D", img, "-S", "9"];
    args.extend(files.iter().map(String::as_str));
    f.ok(&args);
}

/// `--devices`: the fixture's image as primary, plus a secondary image
/// added to it (adddev).
struct Pair {
    f: Fixture,
    secondary: String,
}

/// Run and require exit status `code`; returns stdout and stderr.
fn expect(code: i32, args: &[&str]) -> String {
    let o = common::run_as(MASTER, args);
    assert_eq!(o.status.code(), Some(code), "{args:?}: {}", text(&o));
    text(&o)
}

impl Pair {
    /// A 4 GiB primary and a `sec_size` secondary, added to it.
    fn new(sec_size: u64) -> Self {
        let f = Fixture::new();
        let path = f.path("sec.img");
        std::fs::File::create(&path)
            .unwrap()
            .set_len(sec_size)
            .unwrap();
        let secondary = path.to_str().unwrap().to_owned();
        let out = f.ok(&["adddev", "-D", f.img(), &secondary]);
        assert!(out.contains("device index 1"), "{out}");
        Pair { f, secondary }
    }

    /// `verb -D primary --daxdev secondary rest...`, exiting `code`.
    fn with_both(&self, code: i32, verb: &str, rest: &[&str]) -> String {
        let mut args = vec![verb, "-D", self.f.img(), "--daxdev", &self.secondary];
        args.extend_from_slice(rest);
        expect(code, &args)
    }

    /// fsck of the primary (which checks the space of every device).
    fn fsck_clean(&self) {
        let out = expect(0, &["fsck", self.f.img()]);
        assert!(out.contains("2 device(s)"), "{out}");
    }
}

#[test]
fn strips_on_two_devices_hold_their_data() {
    let p = Pair::new(1 << 30);
    p.with_both(
        0,
        "creat",
        &[
            "-s",
            "64M",
            "-N",
            "2",
            "--devices",
            "0,1",
            "-r",
            "-S",
            "5",
            "s",
        ],
    );
    let map = p.with_both(0, "getmap", &["s"]);
    assert!(map.contains("strip 0: device 0,"), "{map}");
    assert!(map.contains("strip 1: device 1,"), "{map}");
    p.with_both(0, "verify", &["-S", "5", "s"]);
    p.fsck_clean();

    // cp: four strips over every device, then the whole file on device 1.
    let src = p.f.path("src.bin");
    let data = famfs_meta::pattern::bytes(9, (24 << 20) + 12345);
    std::fs::write(&src, &data).unwrap();
    let src = src.to_str().unwrap();
    p.with_both(0, "cp", &["-N", "4", "--devices", "all", src, "c"]);
    let map = p.with_both(0, "getmap", &["c"]);
    for (i, d) in [0, 1, 0, 1].iter().enumerate() {
        assert!(map.contains(&format!("strip {i}: device {d},")), "{map}");
    }
    p.with_both(0, "cp", &["--devices", "1", src, "on1"]);
    let map = p.with_both(0, "getmap", &["on1"]);
    assert!(map.contains("extent 0: device 1,"), "{map}");
    let out = p.with_both(0, "verify", &["-S", "9", "c", "on1"]);
    assert!(out.contains("c: ok") && out.contains("on1: ok"), "{out}");
    p.fsck_clean();
    let out = p.with_both(0, "check", &[]);
    assert!(out.contains("0 problems"), "{out}");

    // Without the secondary, its data cannot be reached; the message says
    // how to give it.
    let out = expect(1, &["verify", "-D", p.f.img(), "-S", "9", "on1"]);
    assert!(out.contains("device 1"), "{out}");
    // The secondary's own superblock is intact (fsck sends us to the
    // primary).
    let out = expect(3, &["fsck", &p.secondary]);
    assert!(out.contains("secondary device"), "{out}");
}

#[test]
fn bad_device_choices_are_refused_clearly() {
    let p = Pair::new(64 << 20);
    let out = p.with_both(1, "creat", &["-s", "2M", "--devices", "2", "f"]);
    assert!(
        out.contains("no device with index 2") && out.contains("adddev"),
        "{out}"
    );
    let out = expect(
        1,
        &["creat", "-D", p.f.img(), "-s", "2M", "--devices", "1", "f"],
    );
    assert!(
        out.contains("not present") && out.contains("--daxdev"),
        "{out}"
    );
    let out = p.with_both(1, "creat", &["-s", "2M", "--devices", "0,1", "f"]);
    assert!(out.contains("-N/--nstrips"), "{out}");
    let out = p.with_both(2, "creat", &["-s", "2M", "--devices", "x", "f"]);
    assert!(out.contains("not a device index"), "{out}");
    let out = p.with_both(
        1,
        "creat",
        &["-s", "2M", "-N", "1", "--devices", "0,1", "f"],
    );
    assert!(out.contains("cannot spread"), "{out}");
    // The 64 MiB secondary overflows, per device: too large for its
    // buckets, then out of room.
    let out = p.with_both(
        1,
        "creat",
        &["-s", "128M", "-N", "2", "--devices", "0,1", "f"],
    );
    assert!(out.contains("device 1"), "{out}");
    p.with_both(0, "creat", &["-s", "60M", "--devices", "1", "fill"]);
    let out = p.with_both(
        1,
        "creat",
        &["-s", "6M", "-N", "2", "--devices", "0,1", "f"],
    );
    assert!(
        out.contains("no space") && out.contains("on device 1"),
        "{out}"
    );
    // cp -r refuses before creating any directory.
    let tree = p.f.path("tree");
    std::fs::create_dir(&tree).unwrap();
    std::fs::write(tree.join("a"), b"a").unwrap();
    let tree = tree.to_str().unwrap();
    p.with_both(1, "cp", &["-r", "--devices", "3", tree, "t"]);
    let out = p.with_both(0, "getmap", &["fill"]);
    assert!(out.contains("extent 0: device 1,"), "{out}");
    let out = expect(0, &["logplay", p.f.img()]);
    assert!(out.contains("1 files, 0 directories"), "{out}");
    p.fsck_clean();
}
