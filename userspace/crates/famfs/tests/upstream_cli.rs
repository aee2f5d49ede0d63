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
