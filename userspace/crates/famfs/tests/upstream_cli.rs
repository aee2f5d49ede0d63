// SPDX-License-Identifier: GPL-2.0
//! Upstream famfs's CLI forms and behaviours that scripts depend on (as
//! its smoke tests use them), on an image file.

use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_famfs");
const MASTER: &str = "11111111-2222-3333-4444-555555555555";

struct Img {
    dir: tempfile::TempDir,
}

impl Img {
    fn new() -> Self {
        let dir = tempfile::tempdir().unwrap();
        let img = dir.path().join("fs.img");
        std::fs::File::create(&img)
            .unwrap()
            .set_len(1 << 30)
            .unwrap();
        let i = Img { dir };
        i.expect(0, &["mkfs", "IMG"]);
        i
    }

    fn img(&self) -> String {
        self.dir.path().join("fs.img").to_str().unwrap().to_owned()
    }

    /// Runs famfs with IMG replaced by the image; returns all output.
    fn run(&self, args: &[&str]) -> Output {
        let img = self.img();
        let args: Vec<&str> = args
            .iter()
            .map(|a| if *a == "IMG" { img.as_str() } else { a })
            .collect();
        Command::new(BIN)
            .args(&args)
            .env("FAMFS_SYSTEM_UUID", MASTER)
            .env_remove("FAMFS_DEVICE")
            .output()
            .unwrap()
    }

    fn expect(&self, code: i32, args: &[&str]) -> String {
        let o = self.run(args);
        let out = format!(
            "{}{}",
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&o.stderr)
        );
        assert_eq!(o.status.code(), Some(code), "famfs {args:?}:\n{out}");
        out
    }
}

#[test]
fn creat_and_verify_as_upstream() {
    let i = Img::new();
    i.expect(
        0,
        &["creat", "-D", "IMG", "-r", "-s", "4096", "-S", "1", "t1"],
    );
    i.expect(0, &["verify", "-D", "IMG", "-S", "1", "-f", "t1"]);
    // Existing file: no size, or its own size, is fine; -r refills it.
    i.expect(0, &["creat", "-D", "IMG", "-r", "-S", "99", "t1"]);
    i.expect(0, &["verify", "-D", "IMG", "-S", "99", "-f", "t1"]);
    i.expect(0, &["creat", "-D", "IMG", "-s", "4096", "t1"]);
    i.expect(1, &["creat", "-D", "IMG", "-s", "8192", "t1"]);
    i.expect(
        1,
        &["creat", "-D", "IMG", "-r", "-S", "1", "-s", "2048", "t1"],
    );
    // New files need a size above 0; a seed needs -r.
    i.expect(1, &["creat", "-D", "IMG", "-r", "-S", "1", "t2"]);
    i.expect(1, &["creat", "-D", "IMG", "-s", "0", "-r", "-S", "1", "t2"]);
    i.expect(1, &["creat", "-D", "IMG", "-S", "1", "-s", "10", "t2"]);
    // --multi, its errors, and verify's forms.
    i.expect(
        0,
        &["creat", "-D", "IMG", "-M", "seeded,2M,42", "-M", "plain,2M"],
    );
    i.expect(0, &["verify", "-D", "IMG", "--multi", "seeded,42"]);
    i.expect(3, &["verify", "-D", "IMG", "-m", "seeded,43"]);
    i.expect(2, &["creat", "-D", "IMG", "-M", "x"]);
    i.expect(2, &["creat", "-D", "IMG", "-M", "x,22,22,22"]);
    i.expect(2, &["creat", "-D", "IMG", "-t", "1000", "-M", "x,4K,1"]);
    i.expect(2, &["creat", "-D", "IMG", "-S", "1", "-r", "-M", "x,4K,1"]);
    i.expect(2, &["verify", "-D", "IMG", "--multi", "t1"]);
    i.expect(2, &["verify", "-D", "IMG", "--multi", "t1,1,extra"]);
    i.expect(2, &["verify", "-D", "IMG", "-t", "257", "-m", "t1,99"]);
    i.expect(1, &["verify", "-D", "IMG", "-f", "t1"]);
    i.expect(1, &["verify", "-D", "IMG"]);
    i.expect(0, &["verify", "-D", "IMG", "-q", "-S", "99", "-f", "t1"]);
    // -v on every verb, -? and -h for help.
    i.expect(0, &["-v", "logplay", "IMG"]);
    i.expect(0, &["logplay", "-vv", "IMG"]);
    i.expect(0, &["creat", "-?"]);
    i.expect(0, &["verify", "-h"]);
    i.expect(0, &["-?"]);
}

#[test]
fn mkdir_cp_mkfs_fsck_as_upstream() {
    let i = Img::new();
    i.expect(0, &["mkdir", "-D", "IMG", "-p", "/"]);
    i.expect(1, &["mkdir", "-D", "IMG", "/"]);
    i.expect(0, &["mkdir", "-D", "IMG", "-pv", "a/b/c"]);
    i.expect(1, &["mkdir", "-D", "IMG", "a"]);
    // cp: an existing destination of the source's size is overwritten.
    let src = i.dir.path().join("src");
    std::fs::write(&src, famfs_meta::pattern::bytes(5, 5000)).unwrap();
    let s = src.to_str().unwrap();
    i.expect(0, &["cp", "-D", "IMG", s, "a/f"]);
    i.expect(0, &["cp", "-D", "IMG", s, "a/f"]);
    i.expect(0, &["verify", "-D", "IMG", "-S", "5", "-f", "a/f"]);
    i.expect(0, &["cp", "-D", "IMG", "-c", s, "a/f"]);
    let other = i.dir.path().join("other");
    std::fs::write(&other, vec![1u8; 6000]).unwrap();
    i.expect(1, &["cp", "-D", "IMG", other.to_str().unwrap(), "a/f"]);
    let empty = i.dir.path().join("empty");
    std::fs::write(&empty, b"").unwrap();
    i.expect(1, &["cp", "-D", "IMG", empty.to_str().unwrap(), "e"]);
    i.expect(1, &["cp", "-D", "IMG", "/dev/zero", "z"]);
    // mkfs -k needs -f; fsck prints the figures scripts read.
    let out = i.expect(0, &["fsck", "-v", "IMG"]);
    assert!(out.contains("  log_len:           8388608\n"), "{out}");
    assert!(out.contains("Device capacity:"), "{out}");
    let out = i.expect(0, &["fsck", "--human", "-B", "4", "IMG"]);
    assert!(out.contains("bucket   3:"), "{out}");
    i.expect(1, &["mkfs", "-k", "IMG"]);
    i.expect(1, &["mkfs", "IMG"]);
    i.expect(0, &["mkfs", "-f", "-k", "IMG"]);
    i.expect(3, &["fsck", "IMG"]);
}

#[test]
fn getmap_codes_clone_and_other_verbs() {
    let i = Img::new();
    i.expect(0, &["creat", "-D", "IMG", "-s", "2M", "f"]);
    i.expect(0, &["mkdir", "-D", "IMG", "d"]);
    i.expect(0, &["getmap", "-D", "IMG", "-q", "f"]);
    i.expect(9, &["getmap", "-D", "IMG", "-q", "nope"]);
    i.expect(21, &["getmap", "-D", "IMG", "-q", "d"]);
    i.expect(9, &["getmap", "-q", "/no/such/file"]);
    i.expect(1, &["getmap", "-q", "/etc/passwd"]);
    // clone cross-links on purpose: fsck then fails.
    i.expect(0, &["fsck", "IMG"]);
    i.expect(0, &["clone", "-D", "IMG", "f", "f2"]);
    let out = i.expect(3, &["fsck", "IMG"]);
    assert!(out.contains("cross-linked"), "{out}");
    // chkread compares read(2) and mmap(2) of any file; flush and mkmeta
    // want a famfs mount.
    i.expect(0, &["chkread", &i.img()]);
    i.expect(1, &["flush", "/etc/passwd"]);
    i.expect(1, &["mkmeta", "IMG"]);
    // logplay's upstream options.
    let shadow = i.dir.path().join("shadow");
    let sh = shadow.to_str().unwrap();
    i.expect(0, &["logplay", "-c", "--shadow", sh, "IMG"]);
    let yaml = std::fs::read_to_string(shadow.join("root/f")).unwrap();
    assert!(
        yaml.starts_with("---\nfile:\n  path: f\n  size: 2097152\n"),
        "{yaml}"
    );
    i.expect(0, &["logplay", "--shadow", sh, "--daxdev", "IMG"]);
    i.expect(2, &["logplay", "-r", "-m", "IMG"]);
}

#[test]
fn numbers_as_strtoul_base_0() {
    let i = Img::new();
    // A leading 0 is octal, 0x hex: size 8, seed 27.
    i.expect(
        0,
        &["creat", "-D", "IMG", "-s", "010", "-r", "-S", "033", "a"],
    );
    let out = i.expect(0, &["getmap", "-D", "IMG", "a"]);
    assert!(out.contains("size: 8 "), "{out}");
    i.expect(0, &["verify", "-D", "IMG", "-S", "27", "a"]);
    i.expect(0, &["verify", "-D", "IMG", "-S", "0x1b", "a"]);
    let args = ["-s", "2M", "-u", "010", "-g", "0x10", "-m", "0x1ff", "b"];
    i.expect(0, &[&["creat", "-D", "IMG"][..], &args].concat());
    i.expect(0, &["mkdir", "-D", "IMG", "-m", "0750", "-u", "0x20", "d"]);
    let out = i.expect(0, &["logplay", "IMG"]);
    assert!(
        out.contains("-rwxrwxrwx      8     16      2097152 b"),
        "{out}"
    );
    assert!(out.contains("drwxr-x---     32"), "{out}");
    // Our suffixes stay (upstream reads -s 2MB as 2 bytes).
    i.expect(0, &["creat", "-D", "IMG", "-s", "2MB", "c"]);
    let out = i.expect(0, &["getmap", "-D", "IMG", "c"]);
    assert!(out.contains("size: 2097152 "), "{out}");
    // What strtoul would cut short is refused whole.
    let out = i.expect(2, &["creat", "-D", "IMG", "-s", "2M", "-u", "08", "e"]);
    assert!(out.contains("is not a uid/gid"), "{out}");
}

#[test]
fn abbreviated_long_options() {
    let i = Img::new();
    i.expect(0, &["mkfs", "--forc", "--logl=16m", "IMG"]);
    let out = i.expect(0, &["fsck", "--hum", "--nbuck=4", "IMG"]);
    assert!(out.contains("bucket   3:"), "{out}");
    i.expect(
        0,
        &["creat", "-D", "IMG", "-s", "2M", "--rand", "--see=7", "c"],
    );
    i.expect(0, &["verify", "-D", "IMG", "--see=7", "--qui", "c"]);
    i.expect(0, &["mkdir", "-D", "IMG", "--par", "x/y"]);
    let src = i.dir.path().join("src");
    std::fs::create_dir(&src).unwrap();
    std::fs::write(src.join("f"), b"data").unwrap();
    i.expect(0, &["cp", "-D", "IMG", "--rec", src.to_str().unwrap(), "x"]);
    let out = i.expect(0, &["logplay", "--dry", "IMG"]);
    assert!(out.contains(" x/src/f"), "{out}");
    // An ambiguous prefix stays a usage error (--device, --devices).
    let out = i.expect(2, &["creat", "--dev", "IMG", "-s", "2M", "z"]);
    assert!(out.contains("--dev"), "{out}");
}

#[test]
fn logplay_short_shadow_as_upstream_scripts_write_it() {
    let i = Img::new();
    i.expect(0, &["creat", "-D", "IMG", "-s", "2M", "f"]);
    let shadow = i.dir.path().join("sh");
    i.expect(0, &["logplay", "-Ss", shadow.to_str().unwrap(), "IMG"]);
    assert!(shadow.join("root/f").is_file());
}

#[test]
fn upstream_options_accepted_or_explained() {
    let i = Img::new();
    for opt in [
        "-F",
        "--nofuse",
        "--fuse",
        "-D",
        "--nodax",
        "-M",
        "--set-daxmode",
    ] {
        let out = i.expect(0, &["mkfs", "-f", opt, "IMG"]);
        assert!(out.contains("has no effect with famfs_rs"), "{opt}: {out}");
    }
    let out = i.expect(0, &["check", "-q", "-D", "IMG"]);
    assert_eq!(out, "");
    let mnt = i.dir.path().join("no-mnt");
    let out = i.expect(1, &["mount", "-b", "IMG", mnt.to_str().unwrap()]);
    assert!(out.contains("-b/--bouncedax has no effect"), "{out}");
    let out = i.expect(0, &["--dryrun", "logplay", "IMG"]);
    assert!(
        out.contains("--dryrun before the verb has no effect"),
        "{out}"
    );
}

#[test]
fn creat_multi_makes_the_good_files() {
    let i = Img::new();
    let out = i.expect(
        1,
        &[
            "creat",
            "-D",
            "IMG",
            "-M",
            "g1,2M,5",
            "-M",
            "bad,xyz",
            "-M",
            "nodir/b,2M",
            "-M",
            "g2,2M",
        ],
    );
    assert!(out.contains("created 2 of 4 files with 2 errors"), "{out}");
    assert!(out.contains("bad: \"xyz\" is not a size"), "{out}");
    let out = i.expect(0, &["logplay", "IMG"]);
    assert!(out.contains("2 log entries replayed: 2 files"), "{out}");
    i.expect(0, &["verify", "-D", "IMG", "-S", "5", "g1"]);
    // Paths outside any famfs mount fail alone, too.
    let out = i.expect(1, &["creat", "-M", "/nonexistent-famfs/a,2M"]);
    assert!(out.contains("created 0 of 1 files with 1 errors"), "{out}");
}

#[test]
fn logplay_shadow_refuses_missing_parents() {
    let i = Img::new();
    let dir = i.dir.path().join("no/such/parent");
    let out = i.expect(1, &["logplay", "--shadow", dir.to_str().unwrap(), "IMG"]);
    assert!(out.contains("create it first"), "{out}");
    assert!(!i.dir.path().join("no").exists());
}

#[test]
fn errors_said_once_with_what_to_do() {
    let i = Img::new();
    let out = i.expect(1, &["mount", "/dev/nonexist", "/mnt/x"]);
    assert_eq!(out.matches("No such file or directory").count(), 1, "{out}");
    assert!(out.contains("hint: expected a devdax device"), "{out}");
    let out = i.expect(1, &["fsck", "/etc/passwd"]);
    assert!(
        out.contains("/etc/passwd is no famfs; expected a devdax device"),
        "{out}"
    );
    assert!(out.contains("famfs mkfs IMG"), "{out}");
    // A path over 79 bytes: refused, the reason said once.
    let long = "x".repeat(90);
    for verb in [
        &["creat", "-D", "IMG", "-s", "2M"][..],
        &["mkdir", "-D", "IMG"],
    ] {
        let out = i.expect(1, &[verb, &[long.as_str()]].concat());
        assert_eq!(out.matches("hold at most 79").count(), 1, "{out}");
    }
}
