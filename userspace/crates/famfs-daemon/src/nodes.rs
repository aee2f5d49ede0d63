// SPDX-License-Identifier: GPL-2.0
//! Node ids: what the kernel calls each inode.
//!
//! - Files and directories of the log: their namespace inode number. The
//!   log is append-only and replay is deterministic, so a path keeps its
//!   number for the life of the daemon (the root is 1, FUSE_ROOT_ID).
//!   Nodeids are never reused, so FORGET only updates the counts kept
//!   here (for the log and the tests); nothing is ever freed.
//! - `.meta` and its two files: fixed ids above any inode number the log
//!   can produce.
//! - Test-mode trigger nodes (`--misbehave`): ids above those.

use std::collections::HashMap;

use famfs_meta::namespace::{Namespace, Node};

use crate::misbehave::{Case, CASES};

/// The directory holding the superblock and log files.
pub const META_DIR_NAME: &str = famfs_meta::store::META_DIR;
/// The superblock file in `.meta`.
pub const META_SB_NAME: &str = famfs_meta::store::SB_FILE;
/// The log file in `.meta`.
pub const META_LOG_NAME: &str = famfs_meta::store::LOG_FILE;

/// Nodeid of `.meta` (far above any log-made inode number: a log holds
/// at most a few million entries).
pub const META_DIR_ID: u64 = 1 << 62;
/// Nodeid of `.meta/.superblock`.
pub const META_SB_ID: u64 = META_DIR_ID + 1;
/// Nodeid of `.meta/.log`.
pub const META_LOG_ID: u64 = META_DIR_ID + 2;
/// First nodeid of the misbehave trigger nodes (one per case).
pub const TRIGGER_BASE: u64 = 1 << 61;

/// One of the two `.meta` files.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetaFile {
    /// `.meta/.superblock`: the first 2 MiB of the primary device.
    Superblock,
    /// `.meta/.log`: the log region.
    Log,
}

/// What a nodeid names.
#[derive(Clone, Copy, Debug)]
pub enum Target<'a> {
    /// A file or directory of the log.
    Log(&'a Node),
    /// `.meta`.
    MetaDir,
    /// A `.meta` file.
    Meta(MetaFile),
    /// A misbehave trigger node.
    Trigger(&'static Case),
}

/// Resolves `nodeid` against the namespace `ns`.
pub fn resolve(ns: &Namespace, nodeid: u64) -> Option<Target<'_>> {
    match nodeid {
        META_DIR_ID => Some(Target::MetaDir),
        META_SB_ID => Some(Target::Meta(MetaFile::Superblock)),
        META_LOG_ID => Some(Target::Meta(MetaFile::Log)),
        n if n >= TRIGGER_BASE => {
            let i = usize::try_from(n - TRIGGER_BASE).ok()?;
            CASES.get(i).map(Target::Trigger)
        }
        n => ns.get(n).map(Target::Log),
    }
}

/// The nodeid of a trigger node.
pub fn trigger_id(case: &Case) -> u64 {
    let i = CASES
        .iter()
        .position(|c| std::ptr::eq(c, case))
        .unwrap_or(0);
    TRIGGER_BASE + i as u64
}

/// Lookup counts per nodeid: +1 per positive LOOKUP reply, minus FORGET.
#[derive(Debug, Default)]
pub struct LookupCounts {
    counts: HashMap<u64, u64>,
}

impl LookupCounts {
    /// A LOOKUP answered with `nodeid`.
    pub fn add(&mut self, nodeid: u64) {
        *self.counts.entry(nodeid).or_default() += 1;
    }

    /// The kernel forgot `n` lookups of `nodeid`. Returns false if it
    /// forgot more than it was given (logged by the caller).
    pub fn forget(&mut self, nodeid: u64, n: u64) -> bool {
        let Some(c) = self.counts.get_mut(&nodeid) else {
            return n == 0;
        };
        let ok = *c >= n;
        *c = c.saturating_sub(n);
        if *c == 0 {
            self.counts.remove(&nodeid);
        }
        ok
    }

    /// Lookups of `nodeid` the kernel still holds.
    pub fn get(&self, nodeid: u64) -> u64 {
        self.counts.get(&nodeid).copied().unwrap_or(0)
    }

    /// Nodeids the kernel still holds.
    pub fn live(&self) -> usize {
        self.counts.len()
    }
}
