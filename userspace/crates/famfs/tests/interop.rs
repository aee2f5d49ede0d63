// SPDX-License-Identifier: GPL-2.0
//! Media written by upstream famfs's own tools (../shared/interop beside
//! the repository, or FAMFS_INTEROP_DIR): famfs_rs must check, replay,
//! map and verify them exactly as upstream sees them. The expected
//! namespace is upstream's own `logplay --shadow` YAML, shipped with each
//! image; the seeds are those of the interop README.
//!
//! Without the images these tests say "not run: ../shared/interop
//! missing" and pass; `make cargo-test` says so too, outside cargo's
//! captured output.

use std::collections::BTreeMap;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

const BIN: &str = env!("CARGO_BIN_EXE_famfs");
/// The master's system UUID of the shared images (interop README).
const UPSTREAM_MASTER: &str = "22353219-52c5-422a-b144-79b90e28dbae";

/// The interop directory, or `None` (having said so) when it is missing.
fn interop_dir() -> Option<PathBuf> {
    let dir = std::env::var_os("FAMFS_INTEROP_DIR").map_or_else(
        || Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../../shared/interop"),
        PathBuf::from,
    );
    if dir.join("upstream-1g.tar.gz").exists() {
        return Some(dir);
    }
    let msg = format!(
        "not run: ../shared/interop missing (looked for {}; set FAMFS_INTEROP_DIR)",
        dir.display()
    );
    println!("{msg}");
    eprintln!("{msg}");
    None
}

/// An unpacked shared tarball (GNU tar, sparse) in a directory of its own.
struct Unpacked {
    dir: tempfile::TempDir,
    tarball: PathBuf,
}

impl Unpacked {
    fn new(interop: &Path, name: &str) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let tarball = interop.join(name);
        let st = Command::new("tar")
            .arg("-xzf")
            .arg(&tarball)
            .arg("-C")
            .arg(dir.path())
            .status()
            .unwrap();
        assert!(st.success(), "tar -xzf {}", tarball.display());
        Unpacked { dir, tarball }
    }

    fn path(&self, rel: &str) -> PathBuf {
        self.dir.path().join(rel)
    }

    /// Directories under `shadow/root` as the tarball records them:
    /// path -> (mode bits, uid, gid).
    fn shadow_dirs(&self, shadow: &str) -> BTreeMap<String, (u32, u32, u32)> {
        let o = Command::new("tar")
            .args(["-tvzf"])
            .arg(&self.tarball)
            .arg("--numeric-owner")
            .output()
            .unwrap();
        let prefix = format!("{shadow}/root/");
        let mut dirs = BTreeMap::new();
        for line in String::from_utf8_lossy(&o.stdout).lines() {
            let f: Vec<&str> = line.split_whitespace().collect();
            let (perm, owner, name) = (f[0], f[1], f[f.len() - 1]);
            let Some(rel) = name.strip_prefix(&prefix) else {
                continue;
            };
            let rel = rel.trim_end_matches('/');
            if !perm.starts_with('d') || rel.is_empty() {
                continue;
            }
            let mode = perm[1..]
                .chars()
                .fold(0u32, |m, c| (m << 1) | u32::from(c != '-'));
            let (u, g) = owner.split_once('/').unwrap();
            dirs.insert(
                rel.to_owned(),
                (mode, u.parse().unwrap(), g.parse().unwrap()),
            );
        }
        dirs
    }
}

fn famfs(args: &[&str]) -> Output {
    Command::new(BIN)
        .args(args)
        .env("FAMFS_SYSTEM_UUID", UPSTREAM_MASTER)
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

fn expect(code: i32, args: &[&str]) -> String {
    let o = famfs(args);
    assert_eq!(o.status.code(), Some(code), "famfs {args:?}:\n{}", text(&o));
    String::from_utf8_lossy(&o.stdout).into_owned()
}

/// One file as upstream's shadow YAML describes it.
#[derive(Debug, Default, PartialEq)]
struct YamlFile {
    path: String,
    size: u64,
    flags: u64,
    mode: u32,
    uid: u64,
    gid: u64,
    /// Simple extents, or the strips of the interleaved extent:
    /// (devindex, offset, length).
    extents: Vec<(u64, u64, u64)>,
    /// Interleaved: (nstrips, chunk_size).
    stripe: Option<(u64, u64)>,
}

fn num(v: &str) -> u64 {
    match v.strip_prefix("0x") {
        Some(h) => u64::from_str_radix(h, 16).unwrap(),
        None => v.parse().unwrap(),
    }
}

/// A reader for exactly the YAML upstream's logplay --shadow emits.
fn parse_yaml(text: &str) -> YamlFile {
    let mut f = YamlFile::default();
    for line in text.lines() {
        let l = line.trim().trim_start_matches("- ");
        let Some((k, v)) = l.split_once(':') else {
            continue;
        };
        let v = v.trim();
        match k {
            "path" => f.path = v.trim_matches('\'').to_owned(),
            "size" => f.size = num(v),
            "flags" => f.flags = num(v),
            "mode" => f.mode = u32::from_str_radix(v, 8).unwrap(),
            "uid" => f.uid = num(v),
            "gid" => f.gid = num(v),
            "devindex" => f.extents.push((num(v), 0, 0)),
            "offset" => f.extents.last_mut().unwrap().1 = num(v),
            "length" => f.extents.last_mut().unwrap().2 = num(v),
            "nstrips" => f.stripe = Some((num(v), 0)),
            "chunk_size" => f.stripe.as_mut().unwrap().1 = num(v),
            _ => {}
        }
    }
    f
}

/// Every YAML file under `root`, by its path relative to it.
fn yaml_tree(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
            } else {
                let rel = p.strip_prefix(root).unwrap().to_str().unwrap().to_owned();
                out.insert(rel, std::fs::read_to_string(&p).unwrap());
            }
        }
    }
    out
}

/// A node of `famfs logplay --json`, as the YAML's fields.
fn json_file(n: &serde_json::Value) -> YamlFile {
    let fmap = &n["fmap"];
    let ext = |e: &serde_json::Value| {
        (
            e["devindex"].as_u64().unwrap(),
            e["offset"].as_u64().unwrap(),
            e["len"].as_u64().unwrap(),
        )
    };
    let (extents, stripe) = match fmap["type"].as_str().unwrap() {
        "simple" => (
            fmap["extents"]
                .as_array()
                .unwrap()
                .iter()
                .map(ext)
                .collect(),
            None,
        ),
        _ => {
            let ie = &fmap["extents"][0];
            let strips = ie["strips"].as_array().unwrap();
            (
                strips.iter().map(ext).collect(),
                Some((strips.len() as u64, ie["chunk_size"].as_u64().unwrap())),
            )
        }
    };
    YamlFile {
        path: n["path"].as_str().unwrap().to_owned(),
        size: n["size"].as_u64().unwrap(),
        flags: n["flags"].as_u64().unwrap(),
        mode: n["mode"].as_u64().unwrap() as u32,
        uid: n["uid"].as_u64().unwrap(),
        gid: n["gid"].as_u64().unwrap(),
        extents,
        stripe,
    }
}

/// Everything the issue asks of one image: fsck clean; logplay --json is
/// exactly upstream's namespace (files from its YAML, directories from
/// its shadow tree); logplay --shadow writes upstream's YAML byte for
/// byte; getmap gives the same maps; verify passes for upstream's seeds
/// and fails for another.
fn check_image(tarball: &str, img: &str, shadow: &str, seeded: &[(&str, &str)]) {
    let Some(interop) = interop_dir() else {
        return;
    };
    let u = Unpacked::new(&interop, tarball);
    let img = u.path(img);
    let img = img.to_str().unwrap();

    let out = expect(0, &["fsck", img]);
    assert!(out.contains("result: clean (0 warnings)"), "{out}");

    let json: serde_json::Value =
        serde_json::from_str(&expect(0, &["logplay", "--json", img])).unwrap();
    let nodes = json["nodes"].as_array().unwrap();
    let upstream = yaml_tree(&u.path(&format!("{shadow}/root")));
    let files: Vec<&serde_json::Value> = nodes.iter().filter(|n| n["type"] == "file").collect();
    assert_eq!(
        files.len(),
        upstream.len(),
        "files: ours {files:?}, upstream {upstream:?}"
    );
    for n in &files {
        let ours = json_file(n);
        let theirs = upstream
            .get(&ours.path)
            .unwrap_or_else(|| panic!("{} is not in upstream's shadow", ours.path));
        assert_eq!(ours, parse_yaml(theirs), "{}", ours.path);
        let map: serde_json::Value =
            serde_json::from_str(&expect(0, &["getmap", "--json", "-D", img, &ours.path])).unwrap();
        assert_eq!(json_file(&map), ours, "getmap {}", ours.path);
        expect(0, &["getmap", "-q", "-D", img, &ours.path]);
    }
    let dirs: BTreeMap<String, (u32, u32, u32)> = nodes
        .iter()
        .filter(|n| n["type"] == "dir")
        .map(|n| {
            let field = |k: &str| n[k].as_u64().unwrap() as u32;
            (
                n["path"].as_str().unwrap().to_owned(),
                (field("mode"), field("uid"), field("gid")),
            )
        })
        .collect();
    assert_eq!(dirs, u.shadow_dirs(shadow), "directories");

    let mine = tempfile::tempdir().unwrap();
    expect(
        0,
        &["logplay", "--shadow", mine.path().to_str().unwrap(), img],
    );
    assert_eq!(
        yaml_tree(&mine.path().join("root")),
        upstream,
        "shadow YAML"
    );

    for (path, seed) in seeded {
        expect(0, &["verify", "-D", img, "-S", seed, "-f", path]);
    }
    let (path, _) = seeded[0];
    expect(3, &["verify", "-D", img, "-S", "99", path]);
}

#[test]
fn upstream_4g_image_reads_as_upstream_sees_it() {
    check_image(
        "upstream-omf22.tar.gz",
        "upstream-omf22.img",
        "upstream-shadow",
        &[("data/in/seeded", "7"), ("odd", "9"), ("striped", "11")],
    );
}

#[test]
fn upstream_1g_image_reads_as_upstream_sees_it() {
    check_image(
        "upstream-1g.tar.gz",
        "upstream-1g.img",
        "upstream-shadow-1g",
        &[("data/a", "3"), ("b.odd", "5"), ("c.4m", "13")],
    );
}

/// `bytes` written at `off` of the file `img`.
fn poke(img: &Path, off: u64, bytes: &[u8]) {
    let f = std::fs::OpenOptions::new().write(true).open(img).unwrap();
    f.write_all_at(bytes, off).unwrap();
}

/// Upstream's mkfs on reused media leaves what was there in the bytes it
/// never writes (flags, 108..112, dd_uuid, the rest of the 2 MiB region):
/// still upstream's famfs. Bad magic, a bad CRC, another ts_version and a
/// broken log entry stay refused.
#[test]
fn leftover_bytes_accepted_damage_refused() {
    let Some(interop) = interop_dir() else {
        return;
    };
    let u = Unpacked::new(&interop, "upstream-1g.tar.gz");
    let img = u.path("upstream-1g.img");
    let s = img.to_str().unwrap();
    let a5 = vec![0xa5u8; (2 << 20) - 200];
    poke(&img, 104, &a5[..8]);
    poke(&img, 120, &a5[..16]);
    poke(&img, 200, &a5);
    let out = expect(0, &["fsck", s]);
    assert!(out.contains("result: clean (0 warnings)"), "{out}");
    expect(0, &["verify", "-D", s, "-S", "13", "c.4m"]);

    let original = std::fs::read(&img).unwrap()[..104].to_vec();
    let restore = || poke(&img, 0, &original);
    // Magic.
    poke(&img, 0, &[0]);
    assert!(text(&famfs(&["fsck", s])).contains("bad magic"));
    assert_eq!(famfs(&["logplay", s]).status.code(), Some(1));
    restore();
    // CRC: a covered byte (the fs UUID) changed.
    poke(&img, 48, &[original[48] ^ 1]);
    assert!(text(&famfs(&["fsck", s])).contains("bad CRC"));
    assert_eq!(famfs(&["logplay", s]).status.code(), Some(1));
    restore();
    // ts_version 47, CRC resealed: still refused.
    let mut v = original.clone();
    v[8] = 47;
    let crc = u64::from(crc32(&v[..96]));
    v[96..104].copy_from_slice(&crc.to_le_bytes());
    poke(&img, 0, &v);
    assert!(text(&famfs(&["fsck", s])).contains("unsupported version 47"));
    restore();
    expect(0, &["fsck", s]);
    // A log entry whose CRC fails: fsck and logplay report it (exit 3).
    let entry0 = (2 << 20) + 48 + 30;
    poke(&img, entry0, b"X");
    assert!(text(&famfs(&["fsck", s])).contains("log entry 0"));
    assert_eq!(famfs(&["fsck", s]).status.code(), Some(3));
    assert_eq!(famfs(&["logplay", s]).status.code(), Some(3));
}

/// zlib's CRC-32, bit by bit (a test needs no crate for 96 bytes).
fn crc32(bytes: &[u8]) -> u32 {
    let mut c = !0u32;
    for &b in bytes {
        c ^= u32::from(b);
        for _ in 0..8 {
            c = if c & 1 != 0 {
                (c >> 1) ^ 0xedb8_8320
            } else {
                c >> 1
            };
        }
    }
    !c
}
