// SPDX-License-Identifier: GPL-2.0

//! One devdax device bound to the famfs_rs dax driver: where its data pages
//! are, which of them have failed, and who holds it.
//!
//! The state is reference counted: the driver's list, the page map (until
//! the pages are unmapped) and a [`Claim`] each hold a reference, so a mount
//! that still holds the device after an unbind keeps a valid (dead) state
//! and dax device until it lets go.

use super::holder::HolderSlot;
use super::{Failure, FailureHolder, Recovery};
use crate::kapi::bindings;
use core::pin::Pin;
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, AtomicUsize, Ordering};
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex, SpinLock};
use kernel::{new_mutex, new_spinlock};

/// Longest device name kept ("daxNNN.MMM" fits many times over).
pub(super) const NAME_LEN: usize = 32;

/// Failed page ranges remembered one by one; past that, the whole device
/// counts as failed (a device with that many failures is not worth using).
const MAX_BAD: usize = 16;

/// One physically contiguous piece of the device's data.
#[derive(Clone, Copy)]
pub(super) struct DataRange {
    /// First page of the piece, counted from the start of the data.
    pub(super) pgoff: u64,
    /// Pages in the piece.
    pub(super) npages: u64,
    /// Physical address of its first byte.
    pub(super) phys: u64,
}

impl DataRange {
    fn end_pgoff(&self) -> u64 {
        self.pgoff + self.npages
    }
}

/// Failed pages, as `(first page, pages)` from the start of the data.
struct BadPages {
    all: bool,
    len: usize,
    ranges: [(u64, u64); MAX_BAD],
}

/// A bound device.
///
/// # Invariants
///
/// `dax_dev` is NULL or a dax device from `alloc_dax` whose private data is
/// this object; it is killed and put on drop.
#[pin_data(PinnedDrop)]
pub(super) struct DaxDev {
    name: [u8; NAME_LEN],
    name_len: usize,
    /// The bus's `struct dev_dax`, as an identity only (never dereferenced
    /// here: it is valid only while bound).
    pub(super) key: usize,
    /// The number of the device's node (/dev/daxX.Y), (major, minor).
    pub(super) number: (u32, u32),
    pub(super) ranges: KVec<DataRange>,
    pub(super) size: u64,
    dax_dev: AtomicPtr<bindings::dax_device>,
    dead: AtomicBool,
    /// Number of entries in `bad` plus one if `all`, read without the lock
    /// on the fast path.
    nbad: AtomicUsize,
    #[pin]
    bad: SpinLock<BadPages>,
    #[pin]
    holder: Mutex<Option<HolderSlot>>,
    /// Writes through the raw node in flight; changed from 0 only under
    /// `holder`'s lock, so that a mount and a raw write exclude each other.
    raw_writers: AtomicUsize,
    /// Whether reads use machine-check-safe copies: 1 yes, 0 no, 2 not
    /// confirmed (debugfs `famfs_rs_dax/NAME/mc_safe`).
    pub(super) mc_safe: AtomicU64,
}

impl DaxDev {
    /// Makes the state of a device being bound.
    pub(super) fn new(
        name: &[u8],
        key: usize,
        number: (u32, u32),
        ranges: KVec<DataRange>,
    ) -> Result<Arc<Self>> {
        let mut stored = [0u8; NAME_LEN];
        let name_len = name.len();
        stored
            .get_mut(..name_len)
            .ok_or(EINVAL)?
            .copy_from_slice(name);
        let size = ranges.iter().map(|r| r.npages << PAGE_SHIFT).sum();
        Arc::pin_init(
            pin_init!(DaxDev {
                name: stored,
                name_len,
                key,
                number,
                ranges,
                size,
                dax_dev: AtomicPtr::new(core::ptr::null_mut()),
                dead: AtomicBool::new(false),
                nbad: AtomicUsize::new(0),
                bad <- new_spinlock!(BadPages { all: false, len: 0, ranges: [(0, 0); MAX_BAD] }),
                holder <- new_mutex!(None),
                raw_writers: AtomicUsize::new(0),
                mc_safe: AtomicU64::new(2),
            }),
            GFP_KERNEL,
        )
    }

    pub(super) fn name(&self) -> &[u8] {
        &self.name[..self.name_len]
    }

    pub(super) fn name_str(&self) -> &str {
        core::str::from_utf8(self.name()).unwrap_or("?")
    }

    pub(super) fn dax_device(&self) -> *mut bindings::dax_device {
        self.dax_dev.load(Ordering::Acquire)
    }

    /// Takes ownership of the dax device allocated for this state.
    pub(super) fn set_dax_device(&self, dax_dev: *mut bindings::dax_device) {
        self.dax_dev.store(dax_dev, Ordering::Release);
    }

    pub(super) fn is_dead(&self) -> bool {
        self.dead.load(Ordering::Acquire)
    }

    /// The device was unbound: no access from now on.
    pub(super) fn set_dead(&self) {
        self.dead.store(true, Ordering::Release);
    }

    /// Where page `pgoff` of the data is, and how many pages from there are
    /// physically contiguous and not known to have failed.
    pub(super) fn resolve(&self, pgoff: u64) -> Result<(u64, u64)> {
        if self.is_dead() {
            return Err(ENXIO);
        }
        let range = self
            .ranges
            .iter()
            .find(|r| r.pgoff <= pgoff && pgoff < r.end_pgoff())
            .ok_or(ERANGE)?;
        let mut avail = range.end_pgoff() - pgoff;
        if self.nbad.load(Ordering::Acquire) != 0 {
            let bad = self.bad.lock();
            if bad.all {
                return Err(crate::kapi::errno::ehwpoison());
            }
            for &(first, n) in &bad.ranges[..bad.len] {
                if first <= pgoff && pgoff - first < n {
                    return Err(crate::kapi::errno::ehwpoison());
                }
                if pgoff < first {
                    // Stop short of the failed pages: a huge mapping falls
                    // back to small ones, a copy stops before them.
                    avail = avail.min(first - pgoff);
                }
            }
        }
        Ok((range.phys + ((pgoff - range.pgoff) << PAGE_SHIFT), avail))
    }

    /// The page offset in the data of physical page `pfn`, and the pages
    /// from there to the end of its piece.
    pub(super) fn pgoff_of_pfn(&self, pfn: u64) -> Option<(u64, u64)> {
        let phys = pfn.checked_shl(PAGE_SHIFT as u32)?;
        self.ranges.iter().find_map(|r| {
            let page = phys.checked_sub(r.phys)? >> PAGE_SHIFT;
            (page < r.npages).then(|| (r.pgoff + page, r.npages - page))
        })
    }

    /// Remembers that `npages` pages from `pgoff` failed.
    pub(super) fn record_failure(&self, pgoff: u64, npages: u64) {
        let mut bad = self.bad.lock();
        let len = bad.len;
        if bad.ranges[..len]
            .iter()
            .any(|&(f, n)| f <= pgoff && pgoff + npages <= f + n)
        {
            return;
        }
        if len < MAX_BAD {
            bad.ranges[len] = (pgoff, npages);
            bad.len = len + 1;
        } else {
            bad.all = true;
        }
        self.nbad
            .store(bad.len + bad.all as usize, Ordering::Release);
    }

    /// Waits until nobody but the device holds a page of the `len` bytes
    /// from `offset`: fs/dax.c drops a file's entries, and the driver its
    /// pages, only once nothing else refers to them. A page outlives its
    /// mappings when a pipe took it with vmsplice() or a direct I/O pinned
    /// it, and `dax_layout_busy_page()` sees it only while the file is
    /// still mapped somewhere. `held(offset)` is called every few seconds
    /// while the page at `offset` stays held. EINTR if `killable` and the
    /// caller gets a fatal signal.
    pub(super) fn wait_let_go(
        &self,
        offset: u64,
        len: u64,
        killable: bool,
        held: &dyn Fn(u64),
    ) -> Result {
        const REPORT_SECONDS: u32 = 5;
        let first = offset >> PAGE_SHIFT;
        let end = offset.saturating_add(len).div_ceil(PAGE_SIZE as u64);
        // SAFETY: reads a constant.
        let step = i64::from(unsafe { bindings::famfs_rs_hz() } * REPORT_SECONDS);
        for r in self.ranges.iter() {
            let (from, to) = (first.max(r.pgoff), end.min(r.end_pgoff()));
            let mut pfn = (r.phys >> PAGE_SHIFT) + from.saturating_sub(r.pgoff);
            let mut left = to.saturating_sub(from);
            while left > 0 {
                // SAFETY: the `left` pages from `pfn` are in a range this
                // device mapped (probe), and stay mapped at least until the
                // driver's remove has returned, which waits here first.
                let i = unsafe { bindings::famfs_rs_first_held_page(pfn as _, left as _) };
                let Ok(i) = u64::try_from(i) else { break };
                let (held_pfn, pgoff) = (pfn + i, r.pgoff + (pfn + i - (r.phys >> PAGE_SHIFT)));
                loop {
                    // SAFETY: as above; sleeps without a lock of ours held.
                    let ret = unsafe {
                        bindings::famfs_rs_wait_page_let_go(held_pfn as _, step as _, killable)
                    };
                    if ret > 0 {
                        break;
                    }
                    if ret < 0 {
                        return Err(EINTR);
                    }
                    held(pgoff << PAGE_SHIFT);
                }
                (pfn, left) = (held_pfn, left - i);
            }
        }
        Ok(())
    }

    /// Whether reads of the device copy with machine-check-safe copies
    /// (DAXDEV_NOMC, set at probe): `None` if the dax device's private
    /// layout could not be confirmed (its private data and the flags the
    /// kernel reports through its own accessors must agree).
    pub(super) fn machine_check_safe(&self) -> Option<bool> {
        const ALIVE: u32 = 0;
        const WRITE_CACHE: u32 = 1;
        const SYNC: u32 = 2;
        const NOMC: u32 = 4;
        let dax_dev = self.dax_device();
        if dax_dev.is_null() {
            return None;
        }
        let mut private = core::ptr::null_mut();
        // SAFETY: our dax device, alive as long as `self` (invariant);
        // reads two words of it.
        let flags = unsafe { bindings::famfs_rs_dax_flags(dax_dev, &mut private) };
        let bit = |b: u32| flags & (1 << b) != 0;
        // SAFETY: as above; the accessors only read the flags, and
        // dax_alive() wants the dax read lock held.
        let (alive, cache, sync) = unsafe {
            let id = bindings::dax_read_lock();
            let alive = bindings::dax_alive(dax_dev);
            bindings::dax_read_unlock(id);
            (
                alive,
                bindings::dax_write_cache_enabled(dax_dev),
                bindings::dax_synchronous(dax_dev),
            )
        };
        let ours = core::ptr::from_ref(self).cast_mut().cast();
        let agrees = private == ours
            && bit(ALIVE) == alive
            && bit(WRITE_CACHE) == cache
            && bit(SYNC) == sync;
        agrees.then(|| bit(NOMC))
    }

    /// Reads back, once the dax device is set up, whether reads copy with
    /// machine-check-safe copies, for debugfs.
    pub(super) fn confirm_machine_check_safe(&self) {
        let value = self.machine_check_safe().map_or(2, u64::from);
        self.mc_safe.store(value, Ordering::Relaxed);
    }

    /// Bytes in the data.
    pub(super) fn page_bytes(npages: u64) -> u64 {
        npages.saturating_mul(PAGE_SIZE as u64)
    }

    /// Makes `holder` the holder; EBUSY if there is one, or while a write
    /// through the raw node is in flight.
    pub(super) fn attach<H: FailureHolder>(&self, holder: Arc<H>) -> Result {
        let mut slot = self.holder.lock();
        if slot.is_some() || self.raw_writers.load(Ordering::Acquire) != 0 {
            return Err(EBUSY);
        }
        *slot = Some(HolderSlot::new(holder));
        Ok(())
    }

    /// Starts a write through the raw node: EBUSY while a mount holds the
    /// device (its daemon writes the log through the mount; bytes written
    /// under it here would race its appends and its files' mappings). No
    /// mount can claim the device until the guard is dropped.
    pub(super) fn raw_write_begin(&self) -> Result<RawWrite<'_>> {
        let slot = self.holder.lock();
        if slot.is_some() {
            return Err(EBUSY);
        }
        self.raw_writers.fetch_add(1, Ordering::AcqRel);
        Ok(RawWrite(self))
    }

    /// Lets the holder go. Waits for a notification in progress.
    pub(super) fn detach(&self) {
        let slot = self.holder.lock().take();
        drop(slot);
    }

    /// Tells the holder, if any, what happened; `None` when nobody holds
    /// the device.
    pub(super) fn notify(&self, failure: Failure) -> Option<Recovery> {
        self.holder.lock().as_ref().map(|s| s.notify(failure))
    }
}

/// A write through the raw node in flight (see [`DaxDev::raw_write_begin`]).
pub(super) struct RawWrite<'a>(&'a DaxDev);

impl Drop for RawWrite<'_> {
    fn drop(&mut self) {
        self.0.raw_writers.fetch_sub(1, Ordering::AcqRel);
    }
}

#[pinned_drop]
impl PinnedDrop for DaxDev {
    fn drop(self: Pin<&mut Self>) {
        let dax_dev = self.dax_dev.load(Ordering::Acquire);
        if !dax_dev.is_null() {
            // SAFETY: by the type invariant `dax_dev` is ours from
            // `alloc_dax`; nobody can reach it any more (the last reference
            // to this state is going). The kernel wants it killed before
            // the last put; killing twice is harmless.
            unsafe {
                bindings::kill_dax(dax_dev);
                bindings::put_dax(dax_dev);
            }
        }
    }
}
