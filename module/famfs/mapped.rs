// SPDX-License-Identifier: GPL-2.0

//! The device ranges a mount's files map: every piece (simple extent or
//! strip) of every cached file map, keyed by (device index, offset).
//!
//! Two uses:
//! - refusing a map that shares device bytes with another file's: fs/dax.c
//!   keeps one file mapping per device page, and a page mapped by two files
//!   corrupts its state (a WARN in `dax_insert_entry`, then at unmount);
//! - finding the files on a device that goes away, to take their mappings.
//!
//! The pieces held are disjoint, so an overlap check is two neighbours in a
//! red-black tree: O(log n) with any number of open files. A file's pieces
//! are added when its map is cached and removed when its inode goes.
//!
//! Eviction (which removes) can run in memory reclaim: nothing allocates
//! with reclaim allowed while `ranges` is held. Tree nodes are reserved
//! before locking.

#![forbid(unsafe_code)]

use crate::core_logic::famfs_core::fmap::{FmapRef, SimpleExt};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, Mutex};

/// Key: (device index, first byte on the device).
type Key = (u32, u64);

/// What a piece belongs to.
#[derive(Clone, Copy)]
struct Owner {
    /// One past its last byte on the device.
    end: u64,
    /// The file's node id.
    ino: u64,
}

/// Another file already maps some of the bytes a new map names.
#[derive(Clone, Copy)]
pub(crate) struct Conflict {
    /// The other file's node id.
    pub(crate) ino: u64,
    /// The device both use.
    pub(crate) devindex: u32,
    /// The other file's piece: first byte and one past its last.
    pub(crate) range: (u64, u64),
}

/// Every piece mapped by the mount's files.
#[pin_data]
pub(crate) struct MappedRanges {
    #[pin]
    ranges: Mutex<Ranges>,
}

struct Ranges {
    tree: RBTree<Key, Owner>,
    /// Pieces in `tree`, to size a copy before taking the lock.
    len: usize,
}

impl Ranges {
    /// The piece of another file than `ino` that shares bytes with `p`.
    fn conflict(&mut self, p: &SimpleExt, ino: u64) -> Option<Conflict> {
        let hit = |k: &Key, o: &Owner| {
            (k.0 == p.devindex && k.1 < p.end() && p.offset < o.end && o.ino != ino).then_some(
                Conflict {
                    ino: o.ino,
                    devindex: k.0,
                    range: (k.1, o.end),
                },
            )
        };
        // The first piece at or after p's start, and the one before it: the
        // held pieces are disjoint, so no other can overlap p.
        match self.tree.cursor_lower_bound(&(p.devindex, p.offset)) {
            Some(c) => {
                let (k, o) = c.current();
                hit(k, o).or_else(|| c.peek_prev().and_then(|(k, o)| hit(k, o)))
            }
            None => {
                let c = self.tree.cursor_back()?;
                let (k, o) = c.current();
                hit(k, o)
            }
        }
    }
}

impl MappedRanges {
    /// An empty set.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Arc::pin_init(
            pin_init!(Self {
                ranges <- new_mutex!(Ranges { tree: RBTree::new(), len: 0 }),
            }),
            GFP_KERNEL,
        )
    }

    /// Records the pieces of file `ino`'s map and then runs `publish`
    /// (which caches the map on the inode), both under the lock, unless
    /// `published` says another opener already did: then nothing happens.
    /// Fails without recording anything if a piece shares bytes with
    /// another file's.
    pub(crate) fn claim(
        &self,
        ino: u64,
        fmap: &FmapRef<'_>,
        published: impl FnOnce() -> bool,
        publish: impl FnOnce(),
    ) -> Result<core::result::Result<(), Conflict>> {
        let mut reserved = KVec::new();
        for _ in fmap.pieces() {
            reserved.push(RBTreeNodeReservation::new(GFP_KERNEL)?, GFP_KERNEL)?;
        }
        let mut reserved = reserved.into_iter();
        let mut ranges = self.ranges.lock();
        if published() {
            return Ok(Ok(()));
        }
        for p in fmap.pieces() {
            if let Some(c) = ranges.conflict(&p, ino) {
                return Ok(Err(c));
            }
        }
        for p in fmap.pieces() {
            let Some(node) = reserved.next() else { break };
            let owner = Owner { end: p.end(), ino };
            let node = node.into_node((p.devindex, p.offset), owner);
            // Keys are unique: the core refused a map with two pieces at
            // one place, and the check above another file's.
            if ranges.tree.insert(node).is_none() {
                ranges.len += 1;
            }
        }
        publish();
        Ok(Ok(()))
    }

    /// Forgets the pieces of file `ino`'s map (its inode is gone).
    pub(crate) fn release(&self, ino: u64, fmap: &FmapRef<'_>) {
        let mut ranges = self.ranges.lock();
        for p in fmap.pieces() {
            let key = (p.devindex, p.offset);
            if ranges.tree.get(&key).is_some_and(|o| o.ino == ino) {
                // Freeing does not enter reclaim.
                ranges.tree.remove(&key);
                ranges.len -= 1;
            }
        }
    }

    /// The files with a piece on device `index`, in device order (a file
    /// with several pieces there may come several times: revoking twice
    /// is harmless), copied out so that no lock is held while their
    /// inodes are worked on (dropping an inode may evict it).
    pub(crate) fn files_on(&self, index: u32) -> Result<KVec<u64>> {
        loop {
            let want = self.ranges.lock().len;
            // Allocated before taking the lock (see the module comment).
            let mut out = KVec::with_capacity(want, GFP_KERNEL)?;
            // `mut`: the 6.12 kernel crate's lookup takes the tree mutably.
            #[allow(unused_mut)]
            let mut ranges = self.ranges.lock();
            if ranges.len > out.capacity() {
                continue;
            }
            // One lower-bound lookup per entry (the kernel crate's cursor
            // API differs between the kernels famfs_rs supports; this
            // path is not hot).
            let mut from = 0u64;
            while let Some(c) = ranges.tree.cursor_lower_bound(&(index, from)) {
                let (&(k_index, k_offset), o) = c.current();
                if k_index != index {
                    break;
                }
                // Within the reserved capacity: does not allocate.
                out.push(o.ino, GFP_NOWAIT)?;
                match k_offset.checked_add(1) {
                    Some(next) => from = next,
                    None => break,
                }
            }
            return Ok(out);
        }
    }
}
