// SPDX-License-Identifier: GPL-2.0

//! The daxdev table of one mount: the devices its files live on, indexed by
//! the index userspace chose (the log's order; primary = 0).
//!
//! An entry is filled once, by the first GET_DAXDEV for its index, and
//! lives until the mount goes. It is published with a release store after
//! it is fully set up, so the fault path reads it with one acquire load and
//! no lock; a mutex only serialises the (rare) filling.

use crate::kapi::bindings;
use crate::core_logic::famfs_core::abi::MAX_DAXDEVS;
use crate::kapi::fsdax::{self, Claim, FailureHolder};
use crate::famfs::mapped::MappedRanges;
use core::ptr;
use core::sync::atomic::{AtomicBool, AtomicPtr, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Slots in the table (the ABI's limit).
pub(crate) const SLOTS: usize = MAX_DAXDEVS as usize;

/// What a memory failure leaves behind on a device: shared by the table
/// entry (which the I/O path checks) and the driver (which reports).
pub(crate) struct FailureState {
    failed: AtomicBool,
    index: u32,
    files: Arc<MappedRanges>,
}

impl FailureHolder for FailureState {
    /// Fences the device: from now on every read, write and fault on a file
    /// with an extent on it fails. Returns EOPNOTSUPP so that
    /// memory_failure() goes on with its generic dax handling, which
    /// unmaps the page from every process that maps it (through the
    /// page's mapping and index, set by fs/dax.c) and sends them SIGBUS.
    fn notify_failure(&self, offset: u64, len: u64, mf_flags: i32) -> Result {
        self.failed.store(true, Ordering::Release);
        if mf_flags as u32 & bindings::mf_flags_MF_MEM_PRE_REMOVE != 0 {
            // The device's pages go away when this returns: no process may
            // map them and no file may keep dax entries for them.
            pr_warn!(
                "device {} of a mounted famfs is being removed: its files fail from now on\n",
                self.index
            );
            self.files.revoke(self.index);
            return Ok(());
        } else {
            pr_err!(
                "memory failure at device offset {:#x} (+{:#x}, flags {:#x}): device fenced\n",
                offset,
                len,
                mf_flags
            );
        }
        Err(bindings::errno(bindings::EOPNOTSUPP))
    }
}

/// One claimed device.
pub(crate) struct DaxEntry {
    claim: Claim,
    state: Arc<FailureState>,
}

impl DaxEntry {
    /// The dax device, for `iomap->dax_dev`.
    pub(crate) fn dax_device(&self) -> *mut bindings::dax_device {
        self.claim.dax_device()
    }

    /// Usable bytes.
    pub(crate) fn size(&self) -> u64 {
        self.claim.size()
    }

    /// Whether I/O must be refused: a memory failure fenced the device, or
    /// it was taken away (unbound).
    pub(crate) fn fenced(&self) -> bool {
        self.state.failed.load(Ordering::Acquire) || self.claim.is_dead()
    }
}

/// The table.
#[pin_data(PinnedDrop)]
pub(crate) struct DaxTable {
    slots: [AtomicPtr<DaxEntry>; SLOTS],
    #[pin]
    filling: Mutex<()>,
}

impl DaxTable {
    /// An empty table.
    pub(crate) fn new() -> impl PinInit<Self> {
        pin_init!(Self {
            slots: [const { AtomicPtr::new(ptr::null_mut()) }; SLOTS],
            filling <- new_mutex!(()),
        })
    }

    /// The published entry at `index`, if any. Lock-free: for the fault path.
    pub(crate) fn get(&self, index: u32) -> Option<&DaxEntry> {
        let p = self.slots.get(index as usize)?.load(Ordering::Acquire);
        // SAFETY: a non-NULL slot points at an entry published (fully set
        // up, then stored with release ordering) by `fill`, freed only by
        // `release_all` (whose caller guarantees no reference is left or
        // taken) or when the table is dropped, which outlives `&self`.
        unsafe { p.as_ref() }
    }

    /// Makes sure `index` is filled: if not, asks `lookup` for the device
    /// name (GET_DAXDEV) and claims the device. Called with no lock held
    /// by the caller; serialised here.
    pub(crate) fn fill(
        &self,
        index: u32,
        files: &Arc<MappedRanges>,
        lookup: impl FnOnce(u32) -> Result<KVec<u8>>,
    ) -> Result<&DaxEntry> {
        if let Some(e) = self.get(index) {
            return Ok(e);
        }
        let slot = self.slots.get(index as usize).ok_or(EINVAL)?;
        // Ask the daemon before taking the lock: a slow or hostile daemon
        // must not leave other openers in an unkillable mutex wait. Two
        // openers may both ask; the second one's claim finds the first.
        let name = lookup(index)?;
        let _guard = self.filling.lock();
        if let Some(e) = self.get(index) {
            return Ok(e);
        }
        let state = Arc::new(
            FailureState {
                failed: AtomicBool::new(false),
                index,
                files: files.clone(),
            },
            GFP_KERNEL,
        )?;
        let claim = fsdax::claim(&name, state.clone())?;
        let entry = KBox::new(DaxEntry { claim, state }, GFP_KERNEL)?;
        // Publish: everything above is visible before the pointer is.
        slot.store(KBox::into_raw(entry), Ordering::Release);
        self.get(index).ok_or(EINVAL)
    }
}

impl DaxTable {
    /// Gives every device back.
    ///
    /// # Safety
    ///
    /// No reference from [`DaxTable::get`] or [`DaxTable::fill`] may be
    /// alive, nor be taken later: the mount has no inode left (`put_super`).
    pub(crate) unsafe fn release_all(&self) {
        self.clear();
    }

    fn clear(&self) {
        for slot in &self.slots {
            let p = slot.swap(ptr::null_mut(), Ordering::AcqRel);
            if !p.is_null() {
                // SAFETY: published by `fill` from `KBox::into_raw`; per
                // `release_all`'s contract, or because the table is going,
                // nobody reads it any more. Dropping the claim gives the
                // device back.
                drop(unsafe { KBox::from_raw(p) });
            }
        }
    }
}

#[pinned_drop]
impl PinnedDrop for DaxTable {
    fn drop(self: Pin<&mut Self>) {
        self.clear();
    }
}
