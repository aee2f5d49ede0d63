// SPDX-License-Identifier: GPL-2.0
//! Inode attributes as the kernel gets them (`struct fuse_attr`).
//!
//! ino = nodeid; mode, owner and size from the log; nlink 1 for files and
//! 2 for directories; blocks = the bytes the file's extents hold, in 512
//! byte units; blksize 2 MiB (the allocation unit). Times: see
//! [`log_time`].

use std::time::Duration;

use famfs_core::abi::{fuse_attr, fuse_attr_out, fuse_entry_out};
use famfs_core::attr::{S_IALLUGO, S_IFDIR, S_IFMT, S_IFREG};
use famfs_meta::{Node, NodeKind};
use famfs_omf::ALLOC_UNIT;

use crate::nodes::MetaFile;
use crate::snapshot::SbFacts;

/// Attributes before they go on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Attr {
    /// Inode number (= nodeid).
    pub ino: u64,
    /// Size in bytes.
    pub size: u64,
    /// Bytes allocated.
    pub allocated: u64,
    /// Type and permission bits.
    pub mode: u32,
    /// Owner.
    pub uid: u32,
    /// Group.
    pub gid: u32,
    /// mtime, ctime and atime ([`log_time`]).
    pub time: Duration,
}

/// 2000-01-01T00:00:00Z, in seconds since the epoch: the time of the root
/// and of the `.meta` files, and the base of every logged node's time.
pub const TIME_BASE_SECS: u64 = 946_684_800;

/// The times (mtime, ctime, atime) of a node made by log entry
/// `log_index` (`None`: the root, the `.meta` files): famfs's log records
/// no times, so none is a wall-clock time. A logged node's is
/// [`TIME_BASE_SECS`] plus its entry's sequence number (= its slot), in
/// seconds: the same on every host and at every mount (tools that compare
/// times see nothing change), ordered as the entries were logged (a node
/// made later is newer), and never changing, as famfs files never do.
pub fn log_time(log_index: Option<u64>) -> Duration {
    Duration::from_secs(TIME_BASE_SECS.saturating_add(log_index.unwrap_or(0)))
}

impl Attr {
    /// A regular file.
    pub fn file(ino: u64, size: u64, allocated: u64, perm: u32, uid: u32, gid: u32) -> Self {
        Attr {
            ino,
            size,
            allocated,
            mode: S_IFREG | (perm & S_IALLUGO),
            uid,
            gid,
            time: log_time(None),
        }
    }

    /// A directory.
    pub fn dir(ino: u64, perm: u32, uid: u32, gid: u32) -> Self {
        Attr {
            ino,
            size: 0,
            allocated: 0,
            mode: S_IFDIR | (perm & S_IALLUGO),
            uid,
            gid,
            time: log_time(None),
        }
    }

    /// A node of the log.
    pub fn of_node(n: &Node) -> Self {
        let a = match &n.kind {
            NodeKind::File { size, fmap, .. } => {
                Self::file(n.ino, *size, fmap.data_bytes(), n.mode, n.uid, n.gid)
            }
            NodeKind::Dir { .. } => Self::dir(n.ino, n.mode, n.uid, n.gid),
        };
        Attr {
            time: log_time(n.log_index),
            ..a
        }
    }

    /// A `.meta` file (root only).
    pub fn of_meta(ino: u64, f: MetaFile, sb: &SbFacts) -> Self {
        let size = meta_size(f, sb);
        Self::file(ino, size, size, 0o600, 0, 0)
    }

    /// Whether this is a directory.
    pub fn is_dir(&self) -> bool {
        self.mode & S_IFMT == S_IFDIR
    }
}

/// Size of a `.meta` file.
pub fn meta_size(f: MetaFile, sb: &SbFacts) -> u64 {
    match f {
        MetaFile::Superblock => famfs_omf::SB_REGION_LEN,
        MetaFile::Log => sb.log_len,
    }
}

/// Cache timeouts that go with every attribute block.
#[derive(Clone, Copy, Debug)]
pub struct AttrPolicy {
    /// How long the kernel may keep a positive name.
    pub entry_ttl: Duration,
    /// How long the kernel may keep attributes.
    pub attr_ttl: Duration,
}

impl AttrPolicy {
    /// The wire form of `a`.
    pub fn wire(&self, a: &Attr) -> fuse_attr {
        let (secs, nsecs) = (a.time.as_secs(), a.time.subsec_nanos());
        fuse_attr {
            ino: a.ino,
            size: a.size,
            blocks: a.allocated.div_ceil(512),
            atime: secs,
            mtime: secs,
            ctime: secs,
            atimensec: nsecs,
            mtimensec: nsecs,
            ctimensec: nsecs,
            mode: a.mode,
            nlink: if a.is_dir() { 2 } else { 1 },
            uid: a.uid,
            gid: a.gid,
            rdev: 0,
            blksize: ALLOC_UNIT as u32,
            flags: 0,
        }
    }

    /// A LOOKUP reply body for `a` (nodeid = `a.ino`).
    pub fn entry(&self, a: &Attr) -> fuse_entry_out {
        self.entry_with(a, self.entry_ttl, self.attr_ttl)
    }

    /// A LOOKUP reply body with explicit timeouts.
    pub fn entry_with(&self, a: &Attr, entry: Duration, attr: Duration) -> fuse_entry_out {
        fuse_entry_out {
            nodeid: a.ino,
            generation: 0,
            entry_valid: entry.as_secs(),
            attr_valid: attr.as_secs(),
            entry_valid_nsec: entry.subsec_nanos(),
            attr_valid_nsec: attr.subsec_nanos(),
            attr: self.wire(a),
        }
    }

    /// A GETATTR reply body for `a`.
    pub fn attr_out(&self, a: &Attr, ttl: Duration) -> fuse_attr_out {
        fuse_attr_out {
            attr_valid: ttl.as_secs(),
            attr_valid_nsec: ttl.subsec_nanos(),
            dummy: 0,
            attr: self.wire(a),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_come_from_the_log() {
        let policy = AttrPolicy {
            entry_ttl: Duration::ZERO,
            attr_ttl: Duration::ZERO,
        };
        let root = policy.wire(&Attr::dir(1, 0o755, 0, 0));
        assert_eq!(
            (root.mtime, root.ctime, root.atime),
            (TIME_BASE_SECS, TIME_BASE_SECS, TIME_BASE_SECS)
        );
        let a = Attr {
            time: log_time(Some(41)),
            ..Attr::file(7, 1, 2 << 20, 0o644, 0, 0)
        };
        let w = policy.wire(&a);
        assert_eq!(
            (w.mtime, w.ctime, w.atime),
            (
                TIME_BASE_SECS + 41,
                TIME_BASE_SECS + 41,
                TIME_BASE_SECS + 41
            )
        );
        assert_eq!((w.mtimensec, w.blocks), (0, 4096));
        assert_eq!(log_time(Some(u64::MAX)).as_secs(), u64::MAX);
    }
}
