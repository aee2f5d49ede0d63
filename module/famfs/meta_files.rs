// SPDX-License-Identifier: GPL-2.0

//! Which nodes of a mount are `.meta/.superblock` and `.meta/.log`, and
//! where the superblock and log area ends: what every GET_FMAP reply is
//! checked against (the core's `meta_area`), whatever was opened before.
//!
//! Learnt once per mount, at the first map, by the module's own LOOKUPs
//! (`.meta` in the root, then its two files; each given back at once
//! with FORGET): the log's length is `.meta/.log`'s size. A daemon that
//! shows no `.meta` has no `.meta` files here, and the smallest area the
//! format allows still keeps regular files off the start of device 0.

#![forbid(unsafe_code)]

use super::mount::ROOT_NODEID;
use crate::core_logic::famfs_core::abi::FamfsFileType;
use crate::core_logic::famfs_core::meta_area::MetaArea;
use crate::kapi::log;
use crate::kapi::vfs::{Entry, S_IFDIR, S_IFMT, S_IFREG};
use kernel::prelude::*;

/// The `.meta` files of a mount and the area they map.
pub(crate) struct MetaFiles {
    area: MetaArea,
    superblock: Option<u64>,
    log: Option<u64>,
}

/// The node id of `name` in directory `parent` if it is of type `kind`;
/// its lookup is given back at once.
fn node(
    lookup: &impl Fn(u64, &[u8]) -> Result<Option<Entry>>,
    forget: &impl Fn(u64),
    parent: u64,
    name: &[u8],
    kind: u32,
) -> Result<Option<Entry>> {
    let Some(e) = lookup(parent, name)? else {
        return Ok(None);
    };
    forget(e.attr.ino);
    Ok((e.attr.mode & S_IFMT == kind).then_some(e))
}

impl MetaFiles {
    /// Asks the daemon (`lookup` and `forget` send LOOKUP and FORGET).
    /// An error (a signal, a dead daemon) is not a finding: the caller
    /// asks again next time.
    pub(crate) fn discover(
        lookup: impl Fn(u64, &[u8]) -> Result<Option<Entry>>,
        forget: impl Fn(u64),
    ) -> Result<Self> {
        let none = Self {
            area: MetaArea::MINIMAL,
            superblock: None,
            log: None,
        };
        let Some(dir) = node(&lookup, &forget, ROOT_NODEID, b".meta", S_IFDIR)? else {
            return Ok(none);
        };
        let dir = dir.attr.ino;
        let superblock = node(&lookup, &forget, dir, b".superblock", S_IFREG)?;
        let Some(log) = node(&lookup, &forget, dir, b".log", S_IFREG)? else {
            return Ok(none);
        };
        let Some(area) = MetaArea::from_log_len(log.attr.size) else {
            if log::ratelimit_ok() {
                pr_warn!(
                    "the daemon's .meta/.log is {} bytes, no log's length: no .meta files on this mount\n",
                    log.attr.size
                );
            }
            return Ok(none);
        };
        Ok(Self {
            area,
            superblock: superblock.map(|e| e.attr.ino),
            log: Some(log.attr.ino),
        })
    }

    /// What node `ino` is, hence what its map must say.
    pub(crate) fn role(&self, ino: u64) -> FamfsFileType {
        if Some(ino) == self.superblock {
            FamfsFileType::Superblock
        } else if Some(ino) == self.log {
            FamfsFileType::Log
        } else {
            FamfsFileType::Regular
        }
    }

    /// The superblock and log area.
    pub(crate) fn area(&self) -> &MetaArea {
        &self.area
    }
}
