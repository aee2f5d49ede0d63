// SPDX-License-Identifier: GPL-2.0
//! Directory listings and their cookies.
//!
//! Cookies are stable while the directory grows: "." is 1, ".." 2, the
//! root's `.meta` 3, and a log entry's cookie is its inode number + 3.
//! Entries are listed in inode (= log) order, so a file created while a
//! listing is in progress appears at the end instead of shifting the
//! entries not yet read.

use famfs_core::attr::FileKind;
use famfs_core::dirent::{DirentError, DirentWriter};
use famfs_meta::namespace::Namespace;
use famfs_meta::NodeKind;

use crate::misbehave::Case;
use crate::nodes::{trigger_id, META_SB_ID, META_SB_NAME};
use crate::nodes::{MetaFile, Target, META_DIR_ID, META_DIR_NAME, META_LOG_ID, META_LOG_NAME};

/// One entry to list.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Entry {
    /// Cookie of this entry (the next READDIR continues after it).
    pub cookie: u64,
    /// Inode number (nodeid).
    pub ino: u64,
    /// File or directory.
    pub kind: FileKind,
    /// Name.
    pub name: String,
}

const COOKIE_DOT: u64 = 1;
const COOKIE_DOTDOT: u64 = 2;
const COOKIE_META: u64 = 3;
const COOKIE_BASE: u64 = 3;
/// Cookies of misbehave trigger entries (after every log cookie).
const COOKIE_TRIGGERS: u64 = 1 << 62;

/// Every entry of directory `dir` (which must be a directory), in cookie
/// order. `triggers` are the armed misbehave cases (listed in the root).
pub fn list(ns: &Namespace, dir: Target<'_>, dots: bool, triggers: &[&'static Case]) -> Vec<Entry> {
    let mut out = Vec::new();
    let (me, parent) = match dir {
        Target::Log(n) => (n.ino, n.parent),
        Target::MetaDir => (META_DIR_ID, famfs_meta::ROOT_INO),
        _ => return out,
    };
    if dots {
        for (cookie, ino, name) in [(COOKIE_DOT, me, "."), (COOKIE_DOTDOT, parent, "..")] {
            out.push(Entry {
                cookie,
                ino,
                kind: FileKind::Directory,
                name: name.into(),
            });
        }
    }
    match dir {
        Target::Log(n) => {
            let root = n.ino == famfs_meta::ROOT_INO;
            if root {
                out.push(Entry {
                    cookie: COOKIE_META,
                    ino: META_DIR_ID,
                    kind: FileKind::Directory,
                    name: META_DIR_NAME.into(),
                });
            }
            let mut kids: Vec<_> = ns
                .children(n.ino)
                .filter(|c| !(root && c.name() == META_DIR_NAME))
                .map(|c| Entry {
                    cookie: c.ino + COOKIE_BASE,
                    ino: c.ino,
                    kind: match c.kind {
                        NodeKind::Dir { .. } => FileKind::Directory,
                        NodeKind::File { .. } => FileKind::Regular,
                    },
                    name: c.name().to_owned(),
                })
                .collect();
            kids.sort_by_key(|e| e.cookie);
            out.extend(kids);
            if root {
                for (i, c) in triggers.iter().enumerate() {
                    out.push(Entry {
                        cookie: COOKIE_TRIGGERS + i as u64,
                        ino: trigger_id(c),
                        kind: if c.is_dir() {
                            FileKind::Directory
                        } else {
                            FileKind::Regular
                        },
                        name: c.trigger_name(),
                    });
                }
            }
        }
        Target::MetaDir => {
            for (i, (ino, name, _f)) in [
                (META_SB_ID, META_SB_NAME, MetaFile::Superblock),
                (META_LOG_ID, META_LOG_NAME, MetaFile::Log),
            ]
            .into_iter()
            .enumerate()
            {
                out.push(Entry {
                    cookie: COOKIE_META + 1 + i as u64,
                    ino,
                    kind: FileKind::Regular,
                    name: name.into(),
                });
            }
        }
        _ => {}
    }
    out
}

/// Writes the entries after cookie `offset` into `buf` (limited by the
/// caller to the size asked for); returns the body length.
pub fn fill(entries: &[Entry], offset: u64, buf: &mut [u8]) -> Result<usize, DirentError> {
    let mut w = DirentWriter::new(buf);
    for e in entries.iter().filter(|e| e.cookie > offset) {
        match w.push(e.ino, e.cookie, e.kind, e.name.as_bytes()) {
            Ok(true) => {}
            Ok(false) => break,
            // A name the kernel would refuse is left out, not the listing.
            Err(DirentError::NameLen | DirentError::NameByte | DirentError::ZeroIno) => {}
            Err(e) => return Err(e),
        }
    }
    Ok(w.len())
}
