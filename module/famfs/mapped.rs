// SPDX-License-Identifier: GPL-2.0

//! The device ranges a mount's files map: every piece (simple extent or
//! strip) of every cached file map, keyed by (device index, offset).
//!
//! Three uses:
//! - refusing a map that shares device bytes with another file's: fs/dax.c
//!   keeps one file mapping per device page, and a page mapped by two files
//!   corrupts its state (a WARN in `dax_insert_entry`, then at unmount);
//! - finding the files on a device that goes away, to take their mappings;
//! - finding the files whose maps cover poisoned bytes, to fence those
//!   files only. The poisoned ranges are kept too (until the mount goes):
//!   a map cached later that covers one is refused.
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
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNodeReservation};
use kernel::sync::{Arc, Mutex};

/// Key: (device index, first byte on the device).
type Key = (u32, u64);

/// Poisoned ranges a mount remembers. Memory failures are rare events;
/// past this many, a new one fences its whole device instead.
const MAX_POISONED: usize = 64;

/// Whether a file is fenced: its map covers poisoned device bytes, so its
/// reads, writes, faults and syncs fail. Shared by the file's cached map
/// (which the I/O path checks, lock-free) and its pieces here (which a
/// memory failure finds).
pub(crate) struct FileFence(AtomicBool);

impl FileFence {
    /// A file not fenced.
    pub(crate) fn new() -> Result<Arc<Self>> {
        Ok(Arc::new(Self(AtomicBool::new(false)), GFP_KERNEL)?)
    }

    /// Whether the file is fenced.
    pub(crate) fn is_set(&self) -> bool {
        self.0.load(Ordering::Acquire)
    }

    fn set(&self) {
        self.0.store(true, Ordering::Release);
    }
}

/// What a piece belongs to.
struct Owner {
    /// One past its last byte on the device.
    end: u64,
    /// The file's node id.
    ino: u64,
    /// The file's fence.
    fence: Arc<FileFence>,
}

/// Why a map was refused.
#[derive(Clone, Copy)]
pub(crate) enum Refusal {
    /// It shares bytes with another file's map.
    Overlap(Conflict),
    /// It covers bytes that failed: `range` (first byte and one past the
    /// last) of device `devindex`.
    Poisoned { devindex: u32, range: (u64, u64) },
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
    /// (device index, first byte, one past the last) of every memory
    /// failure reported, in order; capacity `MAX_POISONED`, reserved up
    /// front so that recording one never allocates.
    poisoned: KVec<(u32, u64, u64)>,
}

impl Ranges {
    /// A poisoned range that shares bytes with `p`. A linear scan: there
    /// are at most `MAX_POISONED`, and usually none.
    fn poisoned_hit(&self, p: &SimpleExt) -> Option<(u64, u64)> {
        self.poisoned
            .iter()
            .find(|&&(d, s, e)| d == p.devindex && s < p.end() && p.offset < e)
            .map(|&(_, s, e)| (s, e))
    }

    /// Runs `f` on every piece of device `index` that shares bytes with
    /// `start..end`. The pieces are disjoint: the one that starts before
    /// `start` (if it reaches into the range) and those that start inside.
    fn each_overlapping(&mut self, index: u32, start: u64, end: u64, mut f: impl FnMut(&Owner)) {
        let hit = |k: &Key, o: &Owner| k.0 == index && k.1 < end && start < o.end;
        match self.tree.cursor_lower_bound(&(index, start)) {
            Some(c) => {
                if let Some((k, o)) = c.peek_prev() {
                    if hit(k, o) {
                        f(o);
                    }
                }
            }
            None => {
                if let Some(c) = self.tree.cursor_back() {
                    let (k, o) = c.current();
                    if hit(k, o) {
                        f(o);
                    }
                }
            }
        }
        // One lower-bound lookup per piece, as in `files_on`.
        let mut from = start;
        while let Some(c) = self.tree.cursor_lower_bound(&(index, from)) {
            let (k, o) = c.current();
            if !hit(k, o) {
                break;
            }
            f(o);
            match k.1.checked_add(1) {
                Some(next) => from = next,
                None => break,
            }
        }
    }

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
        let poisoned = KVec::with_capacity(MAX_POISONED, GFP_KERNEL)?;
        Arc::pin_init(
            pin_init!(Self {
                ranges <- new_mutex!(Ranges { tree: RBTree::new(), len: 0, poisoned }),
            }),
            GFP_KERNEL,
        )
    }

    /// Records the pieces of file `ino`'s map, with the file's `fence`,
    /// and then runs `publish` (which caches the map on the inode), both
    /// under the lock, unless `published` says another opener already did:
    /// then nothing happens. Fails without recording anything if a piece
    /// shares bytes with another file's or with a poisoned range.
    pub(crate) fn claim(
        &self,
        ino: u64,
        fmap: &FmapRef<'_>,
        fence: &Arc<FileFence>,
        published: impl FnOnce() -> bool,
        publish: impl FnOnce(),
    ) -> Result<core::result::Result<(), Refusal>> {
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
            if let Some(range) = ranges.poisoned_hit(&p) {
                let devindex = p.devindex;
                return Ok(Err(Refusal::Poisoned { devindex, range }));
            }
            if let Some(c) = ranges.conflict(&p, ino) {
                return Ok(Err(Refusal::Overlap(c)));
            }
        }
        for p in fmap.pieces() {
            let Some(node) = reserved.next() else { break };
            let owner = Owner {
                end: p.end(),
                ino,
                fence: fence.clone(),
            };
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
                // Freeing does not enter reclaim (and the inode still
                // holds the fence).
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

    /// Records that `len` bytes at `offset` of device `index` failed,
    /// fences the files whose cached maps cover some of them, and returns
    /// the node ids of those that were not fenced before, once each. ENOSPC when the mount already remembers `MAX_POISONED`
    /// ranges: the caller fences the whole device instead.
    pub(crate) fn poison(&self, index: u32, offset: u64, len: u64) -> Result<KVec<u64>> {
        let end = offset.saturating_add(len.max(1));
        loop {
            let want = self.ranges.lock().len;
            // Allocated before taking the lock (see the module comment).
            let mut out = KVec::with_capacity(want, GFP_KERNEL)?;
            let mut guard = self.ranges.lock();
            let ranges = &mut *guard;
            if ranges.len > out.capacity() {
                continue;
            }
            let known = ranges
                .poisoned
                .iter()
                .any(|&(d, s, e)| d == index && s <= offset && end <= e);
            if !known {
                if ranges.poisoned.len() == ranges.poisoned.capacity() {
                    return Err(ENOSPC);
                }
                // Within the reserved capacity: does not allocate.
                ranges.poisoned.push((index, offset, end), GFP_NOWAIT)?;
            }
            let mut full = false;
            ranges.each_overlapping(index, offset, end, |o| {
                if !o.fence.is_set() {
                    o.fence.set();
                    // At most one per piece: within the capacity.
                    full |= out.push(o.ino, GFP_NOWAIT).is_err();
                }
            });
            if full {
                return Err(ENOMEM);
            }
            return Ok(out);
        }
    }
}
