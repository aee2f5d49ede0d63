// SPDX-License-Identifier: GPL-2.0

//! The daxdev table of one mount: the devices its files live on, indexed by
//! the index userspace chose (the log's order; primary = 0), and what a
//! failure of one of them fences: a device going away fences all its
//! files; poisoned bytes fence only the files whose maps cover them.
//!
//! An entry is filled once, by the first GET_DAXDEV for its index (one in
//! flight per index: concurrent openers wait for it), and lives until the
//! mount goes. It is published with a release store after it is fully set
//! up, so the fault path reads it with one acquire load and no lock; a
//! mutex only serialises the (rare) claiming.

#![forbid(unsafe_code)]

use super::coalesce::Coalescer;
use super::counters::{bump, Counters};
use super::mapped::MappedRanges;
use crate::core_logic::famfs_core::abi::MAX_DAXDEVS;
use crate::kapi::fsdax::{self, Claim, Failure, FailureHolder, Recovery};
use crate::kapi::once::OnceBox;
use crate::kapi::vfs::SuperRef;
use core::sync::atomic::{AtomicBool, Ordering};
use kernel::new_mutex;
use kernel::prelude::*;
use kernel::sync::{Arc, Mutex};

/// Slots in the table (the ABI's limit).
pub(crate) const SLOTS: usize = MAX_DAXDEVS as usize;

/// What fencing a device needs: the files with maps, the super block
/// whose inodes they are, and the counters that report it.
#[derive(Clone)]
pub(crate) struct Fence {
    pub(crate) files: Arc<MappedRanges>,
    pub(crate) sb: SuperRef,
    pub(crate) counters: Arc<Counters>,
}

impl Fence {
    /// Fences the files whose maps cover `len` bytes at `offset` of device
    /// `index`, naming each in the log; `false` if the range could not be
    /// recorded (then the caller fences the whole device). Their mappings
    /// stay: memory_failure() goes on to unmap the failed page and signal
    /// its mappers, which it cannot do once the page is unmapped; their
    /// next fault, read, write or sync fails.
    fn poison(&self, index: u32, offset: u64, len: u64) -> bool {
        let end = offset.saturating_add(len);
        let inos = match self.files.poison(index, offset, len) {
            Ok(inos) => inos,
            Err(e) => {
                pr_err!(
                    "device {}: the memory failure at {:#x}..{:#x} cannot be recorded ({:?}): the whole device is fenced\n",
                    index,
                    offset,
                    end,
                    e
                );
                return false;
            }
        };
        bump(&self.counters.poisoned_ranges);
        for &ino in inos.iter() {
            bump(&self.counters.files_fenced);
            pr_err!(
                "node {}: its map covers failed bytes {:#x}..{:#x} of device {}: file fenced (its I/O and syncs fail with EIO until unmount)\n",
                ino,
                offset,
                end,
                index
            );
        }
        if inos.is_empty() {
            pr_err!(
                "device {}: no file map in memory covers the failed bytes {:#x}..{:#x}; a file whose map covers them will not open\n",
                index,
                offset,
                end
            );
        }
        true
    }

    /// Takes every mapping of every file on device `index` away.
    fn revoke(&self, index: u32) {
        let Ok(inos) = self.files.files_on(index) else {
            pr_err!(
                "out of memory fencing device {}: mappings left in place\n",
                index
            );
            return;
        };
        for (i, &ino) in inos.iter().enumerate() {
            // Consecutive pieces of one file: once is enough.
            if i > 0 && inos[i - 1] == ino {
                continue;
            }
            self.sb.revoke_mappings(ino);
        }
    }
}

/// What a failure leaves behind on a device: shared by the table entry
/// (which the I/O path checks) and the driver (which reports).
pub(crate) struct FailureState {
    failed: AtomicBool,
    index: u32,
    fence: Fence,
}

impl FailureHolder for FailureState {
    /// A device being removed is fenced whole: every read, write, fault
    /// and sync of a file with an extent on it fails, and every mapping of
    /// its files is taken away first. Poisoned bytes fence the files that
    /// map them (the rest of the device keeps serving); the page itself is
    /// left to memory_failure()'s generic dax handling, which unmaps it
    /// from every process that maps it and sends them SIGBUS.
    fn notify_failure(&self, failure: Failure) -> Recovery {
        match failure {
            Failure::Removal => {
                self.failed.store(true, Ordering::Release);
                pr_warn!(
                    "device {} of a mounted famfs is being removed: its files fail from now on\n",
                    self.index
                );
                self.fence.revoke(self.index);
                Recovery::Done
            }
            Failure::Poison { offset, len } => {
                pr_err!(
                    "memory failure at device {} offset {:#x} (+{:#x}): fencing the files that map it\n",
                    self.index,
                    offset,
                    len
                );
                if !self.fence.poison(self.index, offset, len) {
                    self.failed.store(true, Ordering::Release);
                }
                Recovery::KillMappers
            }
        }
    }
}

/// Which device an index is, as GET_DAXDEV says: its path and, when the
/// protocol allows, the number of its node.
pub(crate) struct DeviceRef {
    pub(crate) name: KVec<u8>,
    pub(crate) number: Option<(u32, u32)>,
}

/// One claimed device.
pub(crate) struct DaxEntry {
    claim: Claim,
    state: Arc<FailureState>,
}

impl DaxEntry {
    /// The claimed device, for the data path.
    pub(crate) fn claim(&self) -> &Claim {
        &self.claim
    }

    /// Usable bytes.
    pub(crate) fn size(&self) -> u64 {
        self.claim.size()
    }

    /// Whether I/O must be refused: the device is being removed (or a
    /// memory failure on it could not be recorded), or it was taken away
    /// (unbound).
    pub(crate) fn fenced(&self) -> bool {
        self.state.failed.load(Ordering::Acquire) || self.claim.is_dead()
    }
}

/// The table.
pub(crate) struct DaxTable {
    slots: [OnceBox<DaxEntry>; SLOTS],
    filling: Pin<KBox<Mutex<()>>>,
    /// The GET_DAXDEVs in flight, by index.
    asking: Coalescer,
}

impl DaxTable {
    /// An empty table.
    pub(crate) fn new() -> Result<Self> {
        Ok(Self {
            slots: [const { OnceBox::new() }; SLOTS],
            filling: KBox::pin_init(new_mutex!(()), GFP_KERNEL)?,
            asking: Coalescer::new()?,
        })
    }

    /// The published entry at `index`, if any. Lock-free: for the fault path.
    pub(crate) fn get(&self, index: u32) -> Option<&DaxEntry> {
        self.slots.get(index as usize)?.get()
    }

    /// Makes sure `index` is filled: if not, asks `lookup` which device it
    /// is (GET_DAXDEV) and claims the device, fenced through `fence`. One
    /// caller per index asks; the others wait (killably) for its answer.
    /// Called with no lock held by the caller.
    pub(crate) fn fill(
        &self,
        index: u32,
        fence: &Fence,
        lookup: impl FnOnce(u32) -> Result<DeviceRef>,
    ) -> Result<&DaxEntry> {
        if let Some(e) = self.get(index) {
            return Ok(e);
        }
        let slot = self.slots.get(index as usize).ok_or(EINVAL)?;
        self.asking.run(
            u64::from(index),
            || slot.get().is_some(),
            || self.claim(index, slot, fence, lookup),
        )?;
        slot.get().ok_or(EIO)
    }

    /// Asks which device `index` is and claims it into `slot`.
    fn claim(
        &self,
        index: u32,
        slot: &OnceBox<DaxEntry>,
        fence: &Fence,
        lookup: impl FnOnce(u32) -> Result<DeviceRef>,
    ) -> Result {
        // Ask the daemon before taking the lock: a slow or hostile daemon
        // must not leave openers of other devices in an unkillable mutex
        // wait.
        let device = lookup(index)?;
        let _guard = self.filling.lock();
        if slot.get().is_some() {
            return Ok(());
        }
        let state = Arc::new(
            FailureState {
                failed: AtomicBool::new(false),
                index,
                fence: fence.clone(),
            },
            GFP_KERNEL,
        )?;
        let claim = fsdax::claim(&device.name, device.number, state.clone())?;
        let entry = KBox::new(DaxEntry { claim, state }, GFP_KERNEL)?;
        // Publish: everything above is visible before the entry is. Under
        // `filling`, the slot is still empty.
        slot.set(entry).map_err(|_| EBUSY)
    }

    /// Gives every device back (the mount is going: no inode is left).
    pub(crate) fn release_all(&mut self) {
        for slot in &mut self.slots {
            // Dropping the claim gives the device back.
            drop(slot.take());
        }
    }
}
