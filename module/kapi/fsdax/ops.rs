// SPDX-License-Identifier: GPL-2.0

//! The operation tables famfs_rs gives the kernel for a bound device: the dax
//! operations fs/dax.c calls to turn a device page offset into memory, and
//! the page map operation memory_failure() calls on a failed page.

use super::device::DaxDev;
use super::{Failure, Recovery};
use crate::kapi::bindings;
use kernel::ffi::{c_int, c_long, c_ulong, c_void};
use kernel::page::{PAGE_SHIFT, PAGE_SIZE};
use kernel::prelude::*;

/// The dax operations of every dax device famfs_rs allocates. Its private
/// data is the device's [`DaxDev`].
pub(super) static DAX_OPS: bindings::dax_operations = bindings::dax_operations {
    direct_access: Some(direct_access),
    dax_supported: None,
    zero_page_range: Some(zero_page_range),
    recovery_write: None,
};

/// The page map operations of a bound device. The page map's `owner` is
/// its [`DaxDev`].
pub(super) static PGMAP_OPS: bindings::dev_pagemap_ops = bindings::dev_pagemap_ops {
    page_free: None,
    migrate_to_ram: None,
    memory_failure: Some(memory_failure),
};

/// The state behind one of our dax devices; `None` once it is killed.
///
/// `dax_get_private` answers NULL as soon as `kill_dax` clears the device's
/// ALIVE bit, which happens while calls that found it alive may still run
/// (`kill_dax` waits for them only afterwards): a device unbound under a
/// read, write or fault must fail the call (ENXIO), not crash it.
///
/// # Safety
///
/// `dax_dev` must be a dax device allocated with [`DAX_OPS`] that the caller
/// reached through a holder of its state (a `Claim`, or fs/dax.c on the
/// holder's behalf), so the state outlives the call.
unsafe fn state<'a>(dax_dev: *mut bindings::dax_device) -> Option<&'a DaxDev> {
    // SAFETY: per the contract, `dax_dev` is live and its private data is
    // NULL or the `DaxDev` given to `alloc_dax`, kept alive by the caller's
    // holder.
    unsafe { (bindings::dax_get_private(dax_dev) as *const DaxDev).as_ref() }
}

/// `direct_access`: the kernel address and pfn of page `pgoff` of the data,
/// and how many pages from there can be used as one piece. Refuses failed
/// pages (-EHWPOISON) and stops short of them.
///
/// # Safety
///
/// Called by dax_direct_access() on one of our dax devices, which it checked
/// alive under the dax read lock; `kaddr` and `pfn` are NULL or writable.
unsafe extern "C" fn direct_access(
    dax_dev: *mut bindings::dax_device,
    pgoff: c_ulong,
    _nr_pages: c_long,
    _mode: bindings::dax_access_mode,
    kaddr: *mut *mut c_void,
    pfn: *mut bindings::pfn_t,
) -> c_long {
    // SAFETY: our dax device, reached through its holder (function contract).
    let Some(dev) = (unsafe { state(dax_dev) }) else {
        return ENXIO.to_errno() as c_long;
    };
    let (phys, avail) = match dev.resolve(pgoff as u64) {
        Ok(found) => found,
        Err(e) => return e.to_errno() as c_long,
    };
    if !kaddr.is_null() {
        // SAFETY: `kaddr` is writable (contract); `phys` is in a range the
        // driver mapped with devm_memremap_pages(), which puts it in the
        // kernel's linear map, mapped while the device is bound (and
        // direct_access runs only while it is alive).
        unsafe { *kaddr = bindings::famfs_rs_phys_to_virt(phys) };
    }
    if !pfn.is_null() {
        // SAFETY: `pfn` is writable (contract); building the value has no
        // preconditions.
        unsafe { *pfn = bindings::famfs_rs_dax_pfn(phys) };
    }
    avail.min(c_long::MAX as u64) as c_long
}

/// `zero_page_range`: zeroes `nr_pages` pages from `pgoff` (fs/dax.c asks
/// for one page at a time). Failed pages are not touched: -EHWPOISON.
///
/// # Safety
///
/// Called by dax_zero_page_range() on one of our dax devices, alive.
unsafe extern "C" fn zero_page_range(
    dax_dev: *mut bindings::dax_device,
    pgoff: c_ulong,
    nr_pages: usize,
) -> c_int {
    // SAFETY: our dax device, reached through its holder (function contract).
    let Some(dev) = (unsafe { state(dax_dev) }) else {
        return ENXIO.to_errno();
    };
    let (phys, avail) = match dev.resolve(pgoff as u64) {
        Ok(found) => found,
        Err(e) => return e.to_errno(),
    };
    if avail < nr_pages as u64 {
        return EIO.to_errno();
    }
    // SAFETY: `avail` pages from `phys` are contiguous, mapped (as in
    // `direct_access`) and not known to have failed.
    unsafe {
        let kaddr = bindings::famfs_rs_phys_to_virt(phys) as *mut u8;
        core::ptr::write_bytes(kaddr, 0, nr_pages * PAGE_SIZE);
    }
    0
}

/// `memory_failure`: `nr_pages` pages from `pfn` failed. Remembered (so
/// `direct_access` refuses them) and passed on to the holder as an offset
/// in the data. -EOPNOTSUPP (memory_failure() then uses its generic
/// handling) when the holder asks for it or nobody holds the device.
///
/// # Safety
///
/// Called by memory_failure() with a reference on `pgmap`, a page map the
/// driver set up with [`PGMAP_OPS`].
unsafe extern "C" fn memory_failure(
    pgmap: *mut bindings::dev_pagemap,
    pfn: c_ulong,
    nr_pages: c_ulong,
    mf_flags: c_int,
) -> c_int {
    // SAFETY: the caller's page map reference keeps the map set up, and
    // with it `owner`, a `DaxDev` referenced until the map is torn down
    // (driver.rs, `PgmapRelease`).
    let dev = unsafe { &*((*pgmap).owner as *const DaxDev) };
    let Some((pgoff, left)) = dev.pgoff_of_pfn(pfn as u64) else {
        // A page of the map that is not data (e.g. the device's metadata).
        return ENXIO.to_errno();
    };
    let npages = (nr_pages as u64).clamp(1, left);
    dev.record_failure(pgoff, npages);
    let offset = pgoff << PAGE_SHIFT;
    let len = DaxDev::page_bytes(npages);
    pr_err!(
        "{}: memory failure at data offset {:#x} (+{:#x}, flags {:#x})\n",
        dev.name_str(),
        offset,
        len,
        mf_flags
    );
    match dev.notify(Failure::Poison { offset, len }) {
        Some(Recovery::Done) => 0,
        // memory_failure() goes on with its generic handling.
        Some(Recovery::KillMappers) | None => crate::kapi::errno::eopnotsupp().to_errno(),
    }
}
