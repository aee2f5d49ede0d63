// SPDX-License-Identifier: GPL-2.0

//! Kernels with the fs-dax devdax driver (7.1+: `fsdev_dax`,
//! `fs_dax_get()` with holder operations, `dax_dev_get()`).
//!
//! Kbuild selects this file when `include/linux/dax.h` declares
//! `fs_dax_get()`. The kernel's `fsdev_dax` binds the device (`famfs mount`
//! moves it there from `device_dax` in sysfs), maps it with
//! MEMORY_DEVICE_FS_DAX pages and forwards memory failures to the dax
//! device's holder; famfs_rs only claims it as that holder. No
//! kernel-private layout is needed.
//!
//! A daemon names a device by its node's number (famfs_rs protocol 3).
//! `dax_dev_get()` makes a new dax inode for any number it does not know,
//! and freeing that inode returns its minor to the dax minor allocator
//! (which WARNs for a minor it never gave out): so a number is looked up
//! only if its major is the dax devices' one, and an inode that turns out
//! not to be a live device is disarmed before it is put (see
//! [`lookup`]).

use super::holder::HolderSlot;
use super::raw::RAW_DIR;
use super::rawfsdev::FsdevNode;
use super::{Failure, FailureHolder, Recovery};
use crate::kapi::{bindings, log};
use core::ptr;
use core::sync::atomic::{AtomicU32, Ordering};
use kernel::ffi::{c_int, c_void};
use kernel::page::PAGE_SHIFT;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::Arc;
use kernel::ThisModule;

kernel::sync::global_lock! {
    // SAFETY: initialised in `Driver::register`, at module init, before
    // anything can lock it; no other lock uses this type.
    unsafe(uninit) static RAW_WRITES: Mutex<KVec<usize>> = KVec::new();
}

/// The major number of dax device nodes, learned at registration; 0 while
/// not registered.
static DAX_MAJOR: AtomicU32 = AtomicU32::new(0);

/// A dax device famfs_rs allocates itself, never used for data: to learn
/// the dax major, and to wait for the holder notifications in progress
/// (killing a dax device waits for every dax SRCU reader), which is what
/// dropping it does. Allocated ahead, so that waiting cannot fail.
///
/// # Invariants
///
/// `0` is a dax device from `alloc_dax` with no holder, owned here.
struct Scratch(*mut bindings::dax_device);

// SAFETY: a dax device may be killed and put from any thread; `Scratch`
// gives no other access to it.
unsafe impl Send for Scratch {}
// SAFETY: `&Scratch` gives no access to the device at all.
unsafe impl Sync for Scratch {}

impl Scratch {
    fn new() -> Result<Self> {
        // SAFETY: no private data and no operations, as device_dax's own
        // dax devices; killed and put on drop.
        let dax_dev = unsafe { bindings::alloc_dax(ptr::null_mut(), ptr::null()) };
        Ok(Self(kernel::error::from_err_ptr(dax_dev)?))
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        // SAFETY: ours (type invariant), nobody else knows it; without a
        // holder, killing it only clears ALIVE and waits for the SRCU
        // readers that started before.
        unsafe {
            bindings::kill_dax(self.0);
            bindings::put_dax(self.0);
        }
    }
}

/// No dax driver is registered on these kernels (the kernel's `fsdev_dax`
/// is the driver); registration learns the dax major and makes the raw
/// node, and dropping waits for notifications still in the module's code.
pub(crate) struct Driver {
    _raw: Option<FsdevNode>,
    _scratch: Scratch,
}

impl Driver {
    pub(crate) fn register(module: &'static ThisModule, _name: &'static CStr) -> Result<Self> {
        // SAFETY: once, at module init, before anything else of the module
        // runs.
        unsafe { RAW_WRITES.init() };
        let scratch = Scratch::new()?;
        // SAFETY: a live dax device of ours; its inode's number is set at
        // allocation and stable.
        let devt = unsafe { (*bindings::dax_inode(scratch.0)).i_rdev };
        DAX_MAJOR.store(devt >> bindings::MINORBITS, Ordering::Release);
        let raw = FsdevNode::register(RAW_DIR, module.as_ptr())
            .inspect_err(|e| {
                pr_warn!(
                    "no raw node /dev/{}/fsdev ({:?}): famfs commands cannot read devices kept bound to fsdev_dax\n",
                    RAW_DIR,
                    e
                )
            })
            .ok();
        Ok(Driver {
            _raw: raw,
            _scratch: scratch,
        })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        DAX_MAJOR.store(0, Ordering::Release);
        // Dropping `_scratch` next waits for a holder callback still
        // running: the module's text must outlive it.
    }
}

/// The dax holder operations famfs_rs registers with `fs_dax_get()`; the
/// holder data is the claim's [`HolderSlot`].
static HOLDER_OPS: bindings::dax_holder_operations = bindings::dax_holder_operations {
    notify_failure: Some(notify_failure),
};

/// `notify_failure`: `len` bytes at device offset `offset` failed, or with
/// MF_MEM_PRE_REMOVE the device is going away. 0 when the holder dealt with
/// it, -EOPNOTSUPP for memory_failure()'s generic handling.
///
/// # Safety
///
/// Called by dax_holder_notify_failure() under the dax SRCU read lock for a
/// device whose holder operations are [`HOLDER_OPS`].
unsafe extern "C" fn notify_failure(
    dax_dev: *mut bindings::dax_device,
    offset: u64,
    len: u64,
    mf_flags: c_int,
) -> c_int {
    // SAFETY: `dax_dev` is live for the call.
    let holder = unsafe { bindings::dax_holder(dax_dev) } as *const HolderSlot;
    // SAFETY: NULL or the `HolderSlot` of a claim: a claim is released with
    // fs_put_dax() and freed only after the SRCU readers of the time have
    // finished (`Claim::drop`), and this call is such a reader.
    let Some(holder) = (unsafe { holder.as_ref() }) else {
        return crate::kapi::errno::eopnotsupp().to_errno();
    };
    let failure = if mf_flags & bindings::famfs_rs_consts_FAMFS_RS_MF_MEM_PRE_REMOVE as c_int != 0 {
        Failure::Removal
    } else {
        pr_err!(
            "dax device {}:{}: memory failure at data offset {:#x} (+{:#x}, flags {:#x})\n",
            // SAFETY: as above.
            unsafe { (*bindings::dax_inode(dax_dev)).i_rdev } >> bindings::MINORBITS,
            // SAFETY: as above.
            unsafe { (*bindings::dax_inode(dax_dev)).i_rdev } & ((1 << bindings::MINORBITS) - 1),
            offset,
            len,
            mf_flags
        );
        Failure::Poison { offset, len }
    };
    match holder.notify(failure) {
        Recovery::Done => 0,
        Recovery::KillMappers => crate::kapi::errno::eopnotsupp().to_errno(),
    }
}

/// A dax device reference from [`lookup`], put on drop.
pub(super) struct DaxRef(*mut bindings::dax_device);

impl DaxRef {
    /// The dax device, referenced as long as `self` lives.
    pub(super) fn as_ptr(&self) -> *mut bindings::dax_device {
        self.0
    }
}

// SAFETY: a dax device reference may be used and put from any thread: the
// dax device's own functions synchronise (its flags are atomic bits, its
// holder fields are set with cmpxchg, its operations are read under SRCU).
unsafe impl Send for DaxRef {}
// SAFETY: as for `Send`; `&DaxRef` is only handed to those functions.
unsafe impl Sync for DaxRef {}

impl Drop for DaxRef {
    fn drop(&mut self) {
        // SAFETY: a reference taken by `dax_dev_get()` in `lookup`.
        unsafe { bindings::put_dax(self.0) };
    }
}

/// The dax device whose node has `number`, with a reference. ENODEV if the
/// number is not a dax device's, or the device is gone.
pub(super) fn lookup((major, minor): (u32, u32)) -> Result<DaxRef> {
    let dax_major = DAX_MAJOR.load(Ordering::Acquire);
    if dax_major == 0 || major != dax_major || minor >= 1 << bindings::MINORBITS {
        return Err(ENODEV);
    }
    let devt = (major << bindings::MINORBITS) | minor;
    // SAFETY: any number of the dax major is accepted; it returns a
    // referenced inode of the dax file system (new if unknown) or NULL.
    let dax_dev = unsafe { bindings::dax_dev_get(devt) };
    if dax_dev.is_null() {
        return Err(ENOMEM);
    }
    let found = DaxRef(dax_dev);
    if !alive(dax_dev) {
        // A device that was killed (unbound from its driver, maybe on its
        // way to another): a real one, whose driver holds it; or one made
        // by an earlier lookup and already disarmed. Nothing to undo.
        return Err(ENODEV);
    }
    // SAFETY: a live, referenced dax device. A device some driver created
    // has its private data set before anyone can find it alive.
    if unsafe { bindings::dax_get_private(dax_dev) }.is_null() {
        // dax_get_private() is NULL for a dead device too: a real one
        // unbound since the check above (its ALIVE bit went first) is
        // left alone.
        if !alive(dax_dev) {
            return Err(ENODEV);
        }
        // Made just now by dax_dev_get(): alive, with a minor nobody
        // allocated. Disarm it before the put: dead (no WARN when freed
        // alive) and numberless (no minor freed that was never given
        // out). A device being created under this very number in this
        // instant would lose its number: only a daemon guessing the next
        // minor could race that, and it gets ENODEV either way.
        // SAFETY: `dax_inode()` of a live dax device; its number is ours to
        // clear as explained; killing a device without a holder only
        // clears ALIVE and waits for SRCU readers.
        unsafe {
            bindings::kill_dax(dax_dev);
            (*bindings::dax_inode(dax_dev)).i_rdev = 0;
        }
        return Err(ENODEV);
    }
    Ok(found)
}

/// Whether `dax_dev`, which the caller holds a reference on, is alive
/// (bound to a driver and not killed).
fn alive(dax_dev: *mut bindings::dax_device) -> bool {
    // SAFETY: a referenced dax device (per the caller); dax_alive() wants
    // the dax read lock held.
    unsafe {
        let id = bindings::dax_read_lock();
        let alive = bindings::dax_alive(dax_dev);
        bindings::dax_read_unlock(id);
        alive
    }
}

/// A claimed device: famfs_rs is its `fs_dax_get()` holder. Dropping it
/// lets the device go.
///
/// # Invariants
///
/// `dax` is held with `fs_dax_get(dax, holder, &HOLDER_OPS)`, `holder`
/// being the address of `*holder`.
pub(crate) struct Claim {
    dax: DaxRef,
    holder: KBox<HolderSlot>,
    scratch: Option<Scratch>,
    size: u64,
}

impl Claim {
    /// The dax device, for `iomap->dax_dev`. Once the device is unbound,
    /// every access through it fails (ENXIO).
    pub(in crate::kapi) fn raw_dax_device(&self) -> *mut bindings::dax_device {
        self.dax.0
    }

    /// Usable data bytes (the size of /dev/daxX.Y).
    pub(crate) fn size(&self) -> u64 {
        self.size
    }

    /// Whether a CPU store to the device is durable once written back
    /// (what `MAP_SYNC` needs of it; the dax bus says so of every devdax
    /// device on 7.3).
    pub(crate) fn is_synchronous(&self) -> bool {
        // SAFETY: a referenced dax device.
        unsafe { bindings::dax_synchronous(self.dax.0) }
    }

    /// Whether the device was unbound (killed).
    pub(crate) fn is_dead(&self) -> bool {
        !alive(self.dax.0)
    }

    /// Nothing to wait for here: since 6.15 eviction breaks the layout
    /// itself (`dax_break_layout_final`), and fsdev_dax owns the page map.
    // Called only where eviction does not break the layout itself.
    #[cfg_attr(famfs_rs_dax_break_layout, allow(dead_code))]
    pub(crate) fn wait_pages_let_go(&self, _offset: u64, _len: u64, _node: u64) -> Result {
        Ok(())
    }
}

impl Drop for Claim {
    fn drop(&mut self) {
        let holder = ptr::from_ref::<HolderSlot>(&self.holder)
            .cast_mut()
            .cast::<c_void>();
        // SAFETY: held with this holder (type invariant). Also right after
        // the device was killed (then the kernel already let the holder go).
        unsafe { bindings::fs_put_dax(self.dax.0, holder) };
        // A notification that read the holder before it was released may
        // still run: the slot must outlive it (fields drop after this).
        drop(self.scratch.take());
    }
}

/// The device's data size: the first page offset `dax_direct_access()`
/// refuses (its pages are a prefix of page offsets), found by bisection.
pub(super) fn data_size(dax_dev: *mut bindings::dax_device) -> Result<u64> {
    let valid = |pgoff: u64| -> bool {
        // SAFETY: a referenced dax device, under the dax read lock as
        // dax_direct_access() requires; nothing is written back.
        unsafe {
            let id = bindings::dax_read_lock();
            let n = bindings::dax_direct_access(
                dax_dev,
                pgoff as _,
                1,
                bindings::dax_access_mode_DAX_ACCESS,
                ptr::null_mut(),
                ptr::null_mut(),
            );
            bindings::dax_read_unlock(id);
            n > 0
        }
    };
    if !valid(0) {
        return Err(ENXIO);
    }
    // Invariant: `lo` valid, `hi` not (2^40 pages = 4 EiB).
    let (mut lo, mut hi) = (0u64, 1u64 << 40);
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        if valid(mid) {
            lo = mid;
        } else {
            hi = mid;
        }
    }
    Ok(hi << PAGE_SHIFT)
}

/// Refuses (EOPNOTSUPP, logged with the fix) a device whose namespace
/// keeps its page map in the device itself (ndctl's default `map=dev`):
/// every host sharing the memory would keep its own page state in the same
/// bytes. fsdev_dax binds such a device; famfs_rs must not use it.
fn refuse_page_map_in_device(dax_dev: *mut bindings::dax_device, name: &str) -> Result {
    let mut pfn = 0;
    // SAFETY: a referenced dax device, under the dax read lock as
    // dax_direct_access() requires; `pfn` is writable.
    let n = unsafe {
        let id = bindings::dax_read_lock();
        let n = bindings::dax_direct_access(
            dax_dev,
            0,
            1,
            bindings::dax_access_mode_DAX_ACCESS,
            ptr::null_mut(),
            &mut pfn,
        );
        bindings::dax_read_unlock(id);
        n
    };
    if n <= 0 {
        return Err(ENXIO);
    }
    // SAFETY: any pfn may be asked about; the page map is referenced only
    // for the look.
    if !unsafe { bindings::famfs_rs_page_map_in_device(pfn) } {
        return Ok(());
    }
    pr_err!(
        "{}: refused: its namespace keeps the page map (struct pages) in the device \
         (ndctl --map=dev), where every host sharing this memory would write its own \
         page state; recreate the namespace with the page map in RAM: ndctl \
         create-namespace --force --reconfig=<its namespace> --mode=devdax --map=mem \
         (the data moves: run famfs mkfs again)\n",
        name.strip_prefix("/dev/").unwrap_or(name)
    );
    Err(crate::kapi::errno::eopnotsupp())
}

/// Claims, for `holder`, the device whose node has `number` (major,
/// minor): it must be bound to the kernel's `fsdev_dax`. The name is the
/// daemon's and only logged: these kernels keep it where famfs_rs cannot
/// read it. ENODEV: not a dax device (or no number given: the daemon must
/// speak famfs_rs protocol 3); EOPNOTSUPP: not bound to fsdev_dax; EBUSY:
/// held by someone else.
pub(crate) fn claim<H: FailureHolder>(
    name: &[u8],
    number: Option<(u32, u32)>,
    holder: Arc<H>,
) -> Result<Claim> {
    let printable =
        core::str::from_utf8(name.split(|&b| b == 0).next().unwrap_or(name)).unwrap_or("?");
    let Some(number) = number else {
        if log::ratelimit_ok() {
            pr_err!(
                "{}: this kernel finds dax devices by number only: the daemon must send it (famfs_rs protocol 3)\n",
                printable
            );
        }
        return Err(ENODEV);
    };
    let dax = lookup(number).inspect_err(|_| {
        if log::ratelimit_ok() {
            pr_err!(
                "device {}:{} ({}) is not a dax device\n",
                number.0,
                number.1,
                printable
            );
        }
    })?;
    let scratch = Scratch::new()?;
    let holder = KBox::new(HolderSlot::new(holder), GFP_KERNEL)?;
    let data = ptr::from_ref::<HolderSlot>(&holder)
        .cast_mut()
        .cast::<c_void>();
    let ret = {
        // Not while a write through the raw node is in flight (see
        // `raw_write_begin`).
        let writes = RAW_WRITES.lock();
        if writes.contains(&(dax.0 as usize)) {
            if log::ratelimit_ok() {
                pr_err!(
                    "{} ({}:{}): a write through /dev/{}/fsdev is in flight: not claimed (EBUSY)\n",
                    printable,
                    number.0,
                    number.1,
                    RAW_DIR
                );
            }
            return Err(EBUSY);
        }
        // SAFETY: a referenced dax device; `data` lives until after the
        // matching fs_put_dax() (in `Claim::drop`, or the error path below
        // never registered it); `HOLDER_OPS` is static.
        unsafe { bindings::fs_dax_get(dax.0, data, &HOLDER_OPS) }
    };
    if ret != 0 {
        if log::ratelimit_ok() {
            match ret {
                e if e == crate::kapi::errno::eopnotsupp().to_errno() => pr_err!(
                    "{0} ({1}:{2}) is not bound to fsdev_dax; hand it over with: \
                     echo {0} > /sys/bus/dax/drivers/device_dax/unbind; \
                     echo {0} > /sys/bus/dax/drivers/fsdev_dax/new_id\n",
                    printable.strip_prefix("/dev/").unwrap_or(printable),
                    number.0,
                    number.1
                ),
                _ => pr_err!(
                    "{} ({}:{}): fs_dax_get failed ({})\n",
                    printable,
                    number.0,
                    number.1,
                    ret
                ),
            }
        }
        // Not bound to fsdev_dax is what 6.12 calls a device not bound to
        // famfs_rs's driver: ENODEV.
        if ret == crate::kapi::errno::eopnotsupp().to_errno() {
            return Err(ENODEV);
        }
        return Err(Error::from_errno(ret));
    }
    let size = match data_size(dax.0).and_then(|size| {
        refuse_page_map_in_device(dax.0, printable)?;
        Ok(size)
    }) {
        Ok(size) => size,
        Err(e) => {
            // SAFETY: held with `data` just now.
            unsafe { bindings::fs_put_dax(dax.0, data) };
            drop(scratch);
            return Err(e);
        }
    };
    // fs/dax.c copies write()s with cache-bypassing stores only if the
    // device asks for it, and reads with machine-check-safe copies only if
    // it says so: famfs files are read by other hosts, and a read of
    // poisoned memory must fail the call, not the machine. The 7.3 dax bus
    // sets both on every devdax device already; set here so that famfs_rs
    // does not depend on it.
    // SAFETY: a referenced, held dax device; the flags are bits in it.
    unsafe {
        bindings::set_dax_nocache(dax.0);
        bindings::set_dax_nomc(dax.0);
    }
    Ok(Claim {
        dax,
        holder,
        scratch: Some(scratch),
        size,
    })
}

/// A write through the raw node in flight (see [`raw_write_begin`]).
pub(super) struct RawWrite(usize);

/// Starts a write through the raw node to `dax_dev`: EBUSY while a file
/// system holds the device (a mount's daemon writes the log through the
/// mount; bytes written under it here would race its appends and its
/// files' mappings). Until the guard is dropped no mount can claim the
/// device: claims and this check are made under one lock.
pub(super) fn raw_write_begin(dax_dev: *mut bindings::dax_device) -> Result<RawWrite> {
    let mut writes = RAW_WRITES.lock();
    // SAFETY: the caller holds a reference on the dax device; the holder
    // is only read.
    if !unsafe { bindings::dax_holder(dax_dev) }.is_null() {
        return Err(EBUSY);
    }
    writes.push(dax_dev as usize, GFP_KERNEL)?;
    Ok(RawWrite(dax_dev as usize))
}

impl Drop for RawWrite {
    fn drop(&mut self) {
        let mut writes = RAW_WRITES.lock();
        if let Some(i) = writes.iter().position(|&w| w == self.0) {
            // Found just now: in range.
            let _ = writes.remove(i);
        }
    }
}
