// SPDX-License-Identifier: GPL-2.0
//! Upstream's shadow tree (`logplay --shadow DIR`): `DIR/root/PATH` for
//! every directory of the log (its mode, and its owner when run as root)
//! and, for every file, a YAML file in the layout upstream's libyaml
//! emitter produces, so upstream users can read, diff and debug it as
//! they are used to (and compare it with upstream's own).

use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::Path;

use anyhow::{bail, Context, Result};
use famfs_meta::{Namespace, Node, NodeKind};
use famfs_omf::{Extent, Fmap};

/// The shadow tree lives under this directory of DIR, as upstream's.
pub const ROOT: &str = "root";

/// Whether libyaml would emit `s` as a plain scalar: conservatively, only
/// names made of characters that are never special, not starting with an
/// indicator. Anything else is single-quoted (`'` doubled), which libyaml
/// also reads back.
fn scalar(s: &str) -> String {
    let plain = !s.is_empty()
        && !s.starts_with(['-', '?', ':', '.'])
        && s.bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"_./-+".contains(&b));
    if plain {
        s.to_owned()
    } else {
        format!("'{}'", s.replace('\'', "''"))
    }
}

fn extents(out: &mut String, ext: &[Extent], indent: &str) {
    out.push_str(&format!("{indent}simple_ext_list:\n"));
    for e in ext {
        out.push_str(&format!("{indent}- devindex: {}\n", e.devindex));
        out.push_str(&format!("{indent}  offset: {:#x}\n", e.offset));
        out.push_str(&format!("{indent}  length: {:#x}\n", e.len));
    }
}

/// The YAML document of one file, byte for byte as upstream writes it.
pub fn file_yaml(n: &Node) -> Option<String> {
    let NodeKind::File { size, flags, fmap } = &n.kind else {
        return None;
    };
    let mut out = String::from("---\nfile:\n");
    out.push_str(&format!("  path: {}\n", scalar(&n.path)));
    out.push_str(&format!("  size: {size}\n"));
    out.push_str(&format!("  flags: {flags}\n"));
    out.push_str(&format!("  mode: 0{:o}\n", n.mode));
    out.push_str(&format!("  uid: {}\n", n.uid));
    out.push_str(&format!("  gid: {}\n", n.gid));
    match fmap {
        Fmap::Simple(ext) => {
            out.push_str(&format!("  nextents: {}\n", ext.len()));
            extents(&mut out, ext, "  ");
        }
        Fmap::Interleaved(iext) => {
            out.push_str(&format!("  nextents: {}\n", iext.len()));
            out.push_str("  striped_ext_list:\n");
            for ie in iext {
                out.push_str(&format!("  - nstrips: {}\n", ie.strips.len()));
                out.push_str(&format!("    chunk_size: {:#x}\n", ie.chunk_size));
                extents(&mut out, &ie.strips, "    ");
            }
        }
    }
    out.push_str("...\n");
    Some(out)
}

/// Gives `path` the owner of `n` (only root may; others keep their own).
fn chown(path: &Path, n: &Node) {
    if nix_is_root() {
        let _ = std::os::unix::fs::chown(path, Some(n.uid), Some(n.gid));
    }
}

fn nix_is_root() -> bool {
    // SAFETY: geteuid has no preconditions and touches no memory.
    unsafe { libc::geteuid() == 0 }
}

/// Writes the shadow tree of `ns` under `dir/root`; returns the number of
/// files written. Existing entries are overwritten, so it can be rerun.
pub fn write_tree(dir: &Path, ns: &Namespace) -> Result<usize> {
    let root = dir.join(ROOT);
    // Upstream wants DIR to exist; famfs_rs creates DIR and DIR/root, but,
    // as upstream, never DIR's missing parents (a mistyped path fails).
    let parent = match dir.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    if !parent.is_dir() {
        bail!(
            "shadow directory {}: its parent {} is not an existing directory; create it first \
             (logplay --shadow does not create missing parents, as upstream)",
            dir.display(),
            parent.display()
        );
    }
    for d in [dir, root.as_path()] {
        match std::fs::DirBuilder::new().mode(0o755).create(d) {
            Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                return Err(e).with_context(|| format!("shadow directory {}", d.display()))
            }
            _ => {}
        }
    }
    let mut files = 0;
    // Path order: every directory comes before what it holds.
    for n in ns.walk().into_iter().skip(1) {
        let path = root.join(&n.path);
        let what = || format!("shadow {}", path.display());
        match file_yaml(n) {
            None => {
                match std::fs::create_dir(&path) {
                    Err(e) if e.kind() != std::io::ErrorKind::AlreadyExists => {
                        return Err(e).with_context(what)
                    }
                    _ => {}
                }
                // Set after creating: mkdir's mode passes through the umask.
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(n.mode))
                    .with_context(what)?;
                chown(&path, n);
            }
            Some(yaml) => {
                std::fs::write(&path, yaml).with_context(what)?;
                std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644))
                    .with_context(what)?;
                chown(&path, n);
                files += 1;
            }
        }
    }
    Ok(files)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn odd_names_are_quoted() {
        assert_eq!(scalar("data/in/seeded"), "data/in/seeded");
        assert_eq!(scalar("b.odd"), "b.odd");
        assert_eq!(scalar("a: b"), "'a: b'");
        assert_eq!(scalar("it's"), "'it''s'");
        assert_eq!(scalar("-x"), "'-x'");
    }
}
