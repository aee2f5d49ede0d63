// SPDX-License-Identifier: GPL-2.0
//! An immutable view of the file system at one point of the log: what the
//! serving thread answers from. The refresh thread publishes a new one
//! whenever the log has grown; readers keep using theirs meanwhile.

use famfs_meta::store::MetaStore;
use famfs_meta::{MetaError, NodeKind, Replay};
use famfs_omf::{log_slots, OmfSuperblock};
use uuid::Uuid;

/// Superblock facts the daemon serves (the `.meta` files, statfs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SbFacts {
    /// Offset of the log on the primary device.
    pub log_offset: u64,
    /// Length of the log.
    pub log_len: u64,
    /// File system UUID.
    pub fs_uuid: Uuid,
    /// System UUID of the master, the one host that writes the log.
    pub master: Uuid,
}

impl SbFacts {
    /// The facts of superblock `sb`.
    pub fn of(sb: &OmfSuperblock) -> Self {
        SbFacts {
            log_offset: sb.log_offset(),
            log_len: sb.log_len(),
            fs_uuid: sb.fs_uuid(),
            master: sb.system_uuid(),
        }
    }
}

/// Space figures for statfs, in bytes and log slots.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Usage {
    /// Data bytes of every device (their reserved heads excluded).
    pub total: u64,
    /// Data bytes not allocated to any file.
    pub free: u64,
    /// Log slots (the most files and directories there can be).
    pub slots: u64,
    /// Log slots used.
    pub slots_used: u64,
}

/// The file system as of some log position.
#[derive(Clone, Debug)]
pub struct Snapshot {
    /// Namespace and devices.
    pub replay: Replay,
    /// Superblock facts.
    pub sb: SbFacts,
    /// statfs figures.
    pub usage: Usage,
    /// Counts published snapshots (0 = the first).
    pub generation: u64,
}

fn usage(replay: &Replay, sb: &SbFacts) -> Usage {
    let total = replay.devices.iter().fold(0u64, |a, d| {
        a.saturating_add(d.size.saturating_sub(d.reserved))
    });
    let used = replay
        .ns
        .nodes()
        .iter()
        .filter_map(|n| match &n.kind {
            NodeKind::File { fmap, .. } => Some(fmap.ranges()),
            NodeKind::Dir { .. } => None,
        })
        .flatten()
        .fold(0u64, |a, r| a.saturating_add(r.len));
    Usage {
        total,
        free: total.saturating_sub(used),
        slots: log_slots(sb.log_len),
        slots_used: replay.next_index,
    }
}

impl Snapshot {
    /// A snapshot of `replay`.
    pub fn new(replay: Replay, sb: SbFacts, generation: u64) -> Self {
        let usage = usage(&replay, &sb);
        Snapshot {
            replay,
            sb,
            usage,
            generation,
        }
    }

    /// Replays the whole log of `store` (a fresh start).
    pub fn load(store: &MetaStore) -> Result<(Replay, SbFacts), MetaError> {
        let sb = store.superblock()?;
        if sb.role() != famfs_omf::SbRole::Primary {
            return Err(MetaError::Invalid {
                media: store.name().to_owned(),
                msg: "is a secondary device of a famfs; mount the primary device".into(),
            });
        }
        let mut replay = Replay::new(&sb);
        replay.catch_up(store)?;
        Ok((replay, SbFacts::of(&sb)))
    }
}
