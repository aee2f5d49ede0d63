// SPDX-License-Identifier: GPL-2.0
//! Finding famfs mounts in `/proc/self/mountinfo`: which mount a path is
//! in (longest mount point prefix), its device (the mount source) and the
//! path inside the file system.

use std::path::{Component, Path, PathBuf};

use crate::mount::{FSTYPE_FAMFS, FSTYPE_FUSE};

/// One line of mountinfo.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MountEntry {
    /// Where it is mounted.
    pub mountpoint: PathBuf,
    /// Root of the mount within its file system.
    pub root: String,
    /// File system type (`famfs_rs`, `fuse.famfs`, ...).
    pub fstype: String,
    /// Mount source (for famfs: the primary device).
    pub source: String,
}

impl MountEntry {
    /// Whether this is a famfs mount (famfs_rs.ko or plain FUSE).
    pub fn is_famfs(&self) -> bool {
        self.fstype == FSTYPE_FAMFS || self.fstype == FSTYPE_FUSE
    }

    /// Whether it is a plain FUSE mount.
    pub fn is_plain(&self) -> bool {
        self.fstype == FSTYPE_FUSE
    }
}

/// Undoes mountinfo's octal escapes (`\040` space, `\011` tab, `\012`
/// newline, `\134` backslash).
pub fn unescape(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let oct = b
            .get(i + 1..i + 4)
            .filter(|d| b[i] == b'\\' && d.iter().all(|c| (b'0'..=b'7').contains(c)));
        match oct.and_then(|d| u8::from_str_radix(std::str::from_utf8(d).ok()?, 8).ok()) {
            Some(v) => {
                out.push(v);
                i += 4;
            }
            None => {
                out.push(b[i]);
                i += 1;
            }
        }
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Parses one mountinfo line; `None` if it is not well-formed.
pub fn parse_line(line: &str) -> Option<MountEntry> {
    let fields: Vec<&str> = line.split(' ').collect();
    let sep = fields.iter().position(|f| *f == "-")?;
    if sep < 6 {
        return None;
    }
    Some(MountEntry {
        root: unescape(fields.get(3)?),
        mountpoint: PathBuf::from(unescape(fields.get(4)?)),
        fstype: unescape(fields.get(sep + 1)?),
        source: unescape(fields.get(sep + 2)?),
    })
}

/// Parses a whole mountinfo text (bad lines are skipped).
pub fn parse(text: &str) -> Vec<MountEntry> {
    text.lines().filter_map(parse_line).collect()
}

/// Reads this process's mount table.
pub fn read() -> std::io::Result<Vec<MountEntry>> {
    Ok(parse(&std::fs::read_to_string("/proc/self/mountinfo")?))
}

/// The mount holding absolute, normalised `path`: the longest mount point
/// that is a prefix of it (later lines win on ties: they are mounted on
/// top).
pub fn containing<'a>(mounts: &'a [MountEntry], path: &Path) -> Option<&'a MountEntry> {
    let mut best: Option<&MountEntry> = None;
    for m in mounts {
        if path.starts_with(&m.mountpoint) {
            let longer = best.map_or(true, |b| {
                m.mountpoint.components().count() >= b.mountpoint.components().count()
            });
            if longer {
                best = Some(m);
            }
        }
    }
    best
}

/// `path` made absolute (against the current directory) and normalised
/// without touching the file system: `.` dropped, `..` removes the
/// previous component. Symbolic links are not resolved (see
/// [`resolve`]).
pub fn absolute(path: &Path) -> std::io::Result<PathBuf> {
    let base = if path.is_absolute() {
        PathBuf::from("/")
    } else {
        std::env::current_dir()?
    };
    let mut out = base;
    for c in path.components() {
        match c {
            Component::RootDir | Component::Prefix(_) => out = PathBuf::from("/"),
            Component::CurDir => {}
            Component::ParentDir => {
                out.pop();
            }
            Component::Normal(n) => out.push(n),
        }
    }
    Ok(out)
}

/// `path` resolved as far as it exists (symbolic links included), the
/// missing tail appended: the name a file about to be created will have.
pub fn resolve(path: &Path) -> std::io::Result<PathBuf> {
    let abs = absolute(path)?;
    let mut existing = abs.clone();
    let mut tail = Vec::new();
    loop {
        match existing.canonicalize() {
            Ok(c) => {
                let mut out = c;
                for t in tail.iter().rev() {
                    out.push(t);
                }
                return Ok(out);
            }
            Err(_) => {
                let Some(name) = existing.file_name().map(|n| n.to_owned()) else {
                    return Ok(abs);
                };
                tail.push(name);
                existing.pop();
            }
        }
    }
}

/// A path inside a famfs mount.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct InMount {
    /// The mount.
    pub mount: MountEntry,
    /// The path relative to the file system's root ("" for the root).
    pub rel: String,
}

/// Where `path` (absolute, normalised) lies, if inside a famfs mount.
pub fn famfs_path(mounts: &[MountEntry], path: &Path) -> Option<InMount> {
    let m = containing(mounts, path)?;
    if !m.is_famfs() {
        return None;
    }
    let rest = path.strip_prefix(&m.mountpoint).ok()?;
    let mut rel = m.root.trim_matches('/').to_owned();
    for c in rest.components() {
        if let Component::Normal(n) = c {
            if !rel.is_empty() {
                rel.push('/');
            }
            rel.push_str(&n.to_string_lossy());
        }
    }
    Some(InMount {
        mount: m.clone(),
        rel,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = "\
22 1 0:21 / / rw,relatime shared:1 - rootfs rootfs rw
30 22 0:27 / /mnt/famfs rw,nosuid,nodev,relatime shared:9 - famfs_rs /dev/dax0.0 rw
31 22 0:28 / /mnt/with\\040space rw,nosuid,nodev - fuse.famfs /tmp/fs\\040x.img rw,user_id=0
32 30 0:29 / /mnt/famfs/inner rw - tmpfs tmpfs rw
33 22 0:30 /sub /mnt/bound rw - famfs_rs /dev/dax1.0 rw
garbage line
";

    #[test]
    fn parses_and_unescapes() {
        let m = parse(SAMPLE);
        assert_eq!(m.len(), 5);
        assert_eq!(m[1].fstype, "famfs_rs");
        assert_eq!(m[1].source, "/dev/dax0.0");
        assert_eq!(m[2].mountpoint, PathBuf::from("/mnt/with space"));
        assert_eq!(m[2].source, "/tmp/fs x.img");
        assert!(m[2].is_famfs() && m[2].is_plain());
        assert!(!m[0].is_famfs());
        assert_eq!(unescape("a\\134b\\011"), "a\\b\t");
        assert_eq!(unescape("trailing\\04"), "trailing\\04");
    }

    #[test]
    fn longest_prefix_wins() {
        let m = parse(SAMPLE);
        let p = famfs_path(&m, Path::new("/mnt/famfs/dir/x")).unwrap();
        assert_eq!(
            (p.mount.source.as_str(), p.rel.as_str()),
            ("/dev/dax0.0", "dir/x")
        );
        assert_eq!(famfs_path(&m, Path::new("/mnt/famfs")).unwrap().rel, "");
        // A tmpfs mounted inside the famfs mount is not famfs.
        assert!(famfs_path(&m, Path::new("/mnt/famfs/inner/y")).is_none());
        assert!(famfs_path(&m, Path::new("/mnt/famfsx")).is_none());
        assert!(famfs_path(&m, Path::new("/etc")).is_none());
        // A bind mount of a subdirectory.
        assert_eq!(
            famfs_path(&m, Path::new("/mnt/bound/z")).unwrap().rel,
            "sub/z"
        );
    }

    #[test]
    fn absolute_paths() {
        assert_eq!(
            absolute(Path::new("/a/./b/../c")).unwrap(),
            PathBuf::from("/a/c")
        );
        assert_eq!(absolute(Path::new("/..")).unwrap(), PathBuf::from("/"));
        let cwd = std::env::current_dir().unwrap();
        assert_eq!(absolute(Path::new("x")).unwrap(), cwd.join("x"));
        let d = std::env::temp_dir();
        let r = resolve(&d.join("no/such/file")).unwrap();
        assert!(r.ends_with("no/such/file"));
    }
}
