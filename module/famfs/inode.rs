// SPDX-License-Identifier: GPL-2.0

//! What a famfs mount keeps per inode: FUSE's per-node state (lookups
//! counted, how long the cached attributes hold) and the file's map.

#![forbid(unsafe_code)]

use super::mapped::FileFence;
use crate::core_logic::famfs_core::fmap::FmapRef;
use crate::fuse::inode::Node;
use crate::kapi::once::OnceBox;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::prelude::*;
use kernel::sync::Arc;

/// A file's map as cached on its inode, with its fence.
pub(super) struct CachedMap {
    /// The GET_FMAP reply (or the LOOKUP reply's map), validated by the
    /// core.
    pub(super) bytes: KVec<u8>,
    /// Set when a memory failure hits bytes the map covers.
    pub(super) fence: Arc<FileFence>,
}

/// Per-inode state.
pub(crate) struct InodeState {
    /// What FUSE keeps: lookups to give back, the attributes' expiry.
    node: Node,
    /// The file's map, set once, before any I/O; read lock-free by
    /// `iomap_begin`.
    fmap: OnceBox<CachedMap>,
    /// The map a LOOKUP reply carried (validated by the core as a GET_FMAP
    /// reply), not yet checked against the mount; once it is (at open),
    /// `offered_taken` makes it the file's map without a copy.
    offered: OnceBox<CachedMap>,
    offered_taken: AtomicBool,
}

impl InodeState {
    /// State whose attributes must be asked for before use.
    pub(crate) fn new_expired() -> Result<KBox<Self>> {
        Ok(KBox::new(
            Self {
                node: Node::new_expired(),
                fmap: OnceBox::new(),
                offered: OnceBox::new(),
                offered_taken: AtomicBool::new(false),
            },
            GFP_KERNEL,
        )?)
    }

    /// One more LOOKUP reply named this node ([`Node::looked_up`]).
    pub(crate) fn looked_up(&self, attr_expiry: u64) {
        self.node.looked_up(attr_expiry);
    }

    /// Fresh attributes were taken ([`Node::refreshed`]).
    pub(crate) fn refreshed(&self, attr_expiry: u64) {
        self.node.refreshed(attr_expiry);
    }

    /// Whether the cached attributes may still be used.
    pub(crate) fn attr_fresh(&self) -> bool {
        self.node.attr_fresh()
    }

    /// LOOKUP replies counted so far.
    pub(crate) fn lookups(&self) -> u64 {
        self.node.lookups()
    }

    /// The file's map, once known.
    pub(crate) fn fmap(&self) -> Option<FmapRef<'_>> {
        // Validated in full before it was published: only the header is
        // looked at again.
        FmapRef::reopen(&self.map()?.bytes).ok()
    }

    /// The cached map with its fence: the GET_FMAP reply's, or the one a
    /// LOOKUP reply offered once it was taken.
    fn map(&self) -> Option<&CachedMap> {
        match self.fmap.get() {
            Some(m) => Some(m),
            None if self.offered_taken.load(Ordering::Acquire) => self.offered.get(),
            None => None,
        }
    }

    /// Whether the file is fenced (a memory failure hit bytes its map
    /// covers): its I/O fails.
    pub(crate) fn fenced(&self) -> bool {
        self.map().is_some_and(|m| m.fence.is_set())
    }

    /// Keeps the map a LOOKUP reply carried, for the open (the first one
    /// kept wins: a file's map never changes). Without memory for its
    /// fence the offer is dropped: the open asks with GET_FMAP.
    pub(crate) fn offer_fmap(&self, bytes: Option<KVec<u8>>) {
        let Some(bytes) = bytes else { return };
        if self.has_fmap() {
            return;
        }
        let Ok(fence) = FileFence::new() else { return };
        if let Ok(map) = KBox::new(CachedMap { bytes, fence }, GFP_KERNEL) {
            let _ = self.offered.set(map);
        }
    }

    /// The map a LOOKUP reply carried, not yet the file's.
    pub(super) fn offered(&self) -> Option<&CachedMap> {
        self.offered.get()
    }

    /// Whether the daemon said the file is read-only on this host: the
    /// meta files on a client, all-hosts-read-only files everywhere.
    pub(crate) fn read_only(&self) -> bool {
        self.fmap().is_some_and(|f| f.read_only())
    }

    /// Whether the file's map is cached.
    pub(super) fn has_fmap(&self) -> bool {
        self.fmap.is_set() || self.offered_taken.load(Ordering::Acquire)
    }

    /// Publishes the file's map. The caller serialises publishers (the
    /// mount's range lock) and checked that none came first.
    pub(super) fn publish_fmap(&self, map: KBox<CachedMap>) {
        // Another opener first: ours is dropped.
        let _ = self.fmap.set(map);
    }

    /// Publishes the offered map as the file's (same contract as
    /// `publish_fmap`).
    pub(super) fn publish_offered(&self) {
        self.offered_taken.store(true, Ordering::Release);
    }
}
