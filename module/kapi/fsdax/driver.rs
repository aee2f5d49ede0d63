// SPDX-License-Identifier: GPL-2.0

//! The famfs_rs dax bus driver (stock kernels without fsdev_dax).
//!
//! Registered with the driver type the bus never matches by type, so it is
//! offered only the devices written to its `new_id` (see
//! Documentation/famfs_rs.rst, "dax driver"). Its probe maps the device with
//! MEMORY_DEVICE_FS_DAX pages and allocates a dax device with famfs_rs's
//! operations; its remove kills that dax device and tells the holder.

use super::device::{DataRange, DaxDev, NAME_LEN};
use super::ops::{DAX_OPS, PGMAP_OPS};
use super::raw::RAW_DIR;
use super::rawnode::{self, RawNode};
use super::{Claim, Failure, FailureHolder};
use crate::kapi::debugfs::DebugDir;
use crate::kapi::{bindings, log};
use core::mem::size_of;
use core::pin::Pin;
use core::ptr;
use core::sync::atomic::{AtomicPtr, Ordering};
use kernel::error::{from_err_ptr, to_result};
use kernel::ffi::{c_int, c_void};
use kernel::page::PAGE_SHIFT;
use kernel::prelude::*;
use kernel::str::CStr;
use kernel::sync::{Arc, Mutex};
use kernel::types::Opaque;
use kernel::{c_str, new_mutex, ThisModule};

#[pin_data]
struct Inner {
    #[pin]
    raw: Opaque<bindings::famfs_rs_dax_device_driver>,
    /// The bound devices, for `claim` and `remove`. Never held while a
    /// holder is called.
    #[pin]
    devices: Mutex<KVec<Bound>>,
    /// debugfs `famfs_rs_dax/`: a directory per bound device.
    debug: Option<DebugDir>,
    /// The driver's name in /sys/bus/dax/drivers.
    name: &'static CStr,
    /// The file operations of every device's raw node.
    #[pin]
    raw_fops: Opaque<bindings::file_operations>,
}

// SAFETY: `raw` is handed to the driver core at registration and read by
// it under its own locks; Rust only touches it before registering and to
// unregister (in `Drop`). `raw_fops` is written before registration only.
// `devices` is a lock.
unsafe impl Send for Inner {}
// SAFETY: as for `Send`: `&Inner` gives no unsynchronised access to `raw`.
unsafe impl Sync for Inner {}

/// The registered driver, for the bus callbacks and `claim`: set while
/// [`Driver`] is registered.
static DRIVER: AtomicPtr<Inner> = AtomicPtr::new(ptr::null_mut());

/// The registered famfs_rs dax bus driver; unregistered (every device
/// unbound) on drop.
///
/// # Invariants
///
/// `inner.raw` is registered with the dax bus and `DRIVER` points at
/// `inner`.
pub(crate) struct Driver {
    inner: Pin<KBox<Inner>>,
}

impl Driver {
    /// Registers the driver as `name` on the dax bus. The driver core takes
    /// no module reference for a bound device: unloading the module unbinds
    /// every device first.
    pub(crate) fn register(module: &'static ThisModule, name: &'static CStr) -> Result<Self> {
        let inner = KBox::pin_init(
            pin_init!(Inner {
                raw <- Opaque::ffi_init(|slot: *mut bindings::famfs_rs_dax_device_driver| {
                    // SAFETY: `slot` is valid for writes of the structure.
                    unsafe { slot.write(Default::default()) }
                }),
                devices <- new_mutex!(KVec::new()),
                debug: DebugDir::new(c_str!("famfs_rs_dax"), None),
                name,
                raw_fops <- Opaque::ffi_init(|slot: *mut bindings::file_operations| {
                    // SAFETY: `slot` is valid for writes of the structure.
                    unsafe { slot.write(Default::default()) };
                    rawnode::fops(slot, module.as_ptr());
                }),
            }),
            GFP_KERNEL,
        )?;
        let raw = inner.raw.get();
        // SAFETY: `raw` is ours and not registered yet.
        unsafe {
            (*raw).type_ = bindings::FAMFS_RS_DAXDRV_ID_ONLY;
            (*raw).probe = Some(probe_callback);
            (*raw).remove = Some(remove_callback);
        }
        if DRIVER
            .compare_exchange(
                ptr::null_mut(),
                ptr::from_ref(&*inner).cast_mut(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_err()
        {
            return Err(EBUSY);
        }
        // SAFETY: `raw` is initialised, pinned in its allocation until
        // `Drop` unregisters it; `name` is static.
        let ret =
            unsafe { bindings::__dax_driver_register(raw, module.as_ptr(), name.as_char_ptr()) };
        if let Err(e) = to_result(ret) {
            DRIVER.store(ptr::null_mut(), Ordering::Release);
            return Err(e);
        }
        Ok(Self { inner })
    }
}

impl Drop for Driver {
    fn drop(&mut self) {
        // SAFETY: registered (type invariant). Unbinds every device, running
        // `remove_callback`, which still finds `DRIVER`.
        unsafe { bindings::dax_driver_unregister(self.inner.raw.get()) };
        DRIVER.store(ptr::null_mut(), Ordering::Release);
    }
}

/// The registered driver. `None` only outside `Driver`'s lifetime.
fn driver() -> Option<&'static Inner> {
    // SAFETY: non-NULL only while the `Driver` owning it is registered; the
    // callers are bus callbacks (which unregistering waits for) and mounts
    // (which hold a module reference, so the module, and `Driver`, outlive
    // them).
    unsafe { DRIVER.load(Ordering::Acquire).as_ref() }
}

/// Claims the device named `name` ("dax0.0" or "/dev/dax0.0") or, if
/// `number` is given, the device whose node has that number (then `name`
/// must name that device too).
pub(super) fn claim<H: FailureHolder>(
    name: &[u8],
    number: Option<(u32, u32)>,
    holder: Arc<H>,
) -> Result<Claim> {
    let name = name.strip_prefix(b"/dev/").unwrap_or(name);
    let name = name.split(|&b| b == 0).next().unwrap_or(name);
    let drv = driver().ok_or(ENODEV)?;
    let found = drv
        .devices
        .lock()
        .iter()
        .map(|bound| &bound.state)
        .find(|dev| number.map_or(dev.name() == name, |n| dev.number == n))
        .cloned();
    let printable = core::str::from_utf8(name).unwrap_or("?");
    // A daemon chooses these names and numbers, so its refusals are logged
    // within the module's budget: a bad daemon must not flood the log.
    let Some(dev) = found else {
        if log::ratelimit_ok() {
            match number {
                Some((major, minor)) => pr_err!(
                    "device {}:{} ({}) is not a dax device bound to the {} dax driver\n",
                    major,
                    minor,
                    printable,
                    drv.name
                ),
                None => pr_err!(
                    "{0} is not bound to the {1} dax driver; hand it over with: \
                     echo {0} > /sys/bus/dax/drivers/device_dax/unbind; \
                     echo {0} > /sys/bus/dax/drivers/{1}/new_id\n",
                    printable,
                    drv.name
                ),
            }
        }
        return Err(ENODEV);
    };
    if dev.name() != name {
        if log::ratelimit_ok() {
            pr_err!(
                "device {}:{} is {}, not {}: refused\n",
                dev.number.0,
                dev.number.1,
                dev.name_str(),
                printable
            );
        }
        return Err(EIO);
    }
    dev.attach(holder)?;
    Ok(Claim { dev })
}

/// A bound device, its debugfs directory and its raw node.
struct Bound {
    state: Arc<DaxDev>,
    _debug: Option<DebugDir>,
    raw: Option<RawNode>,
}

/// The device's debugfs directory, `famfs_rs_dax/NAME/`: `mc_safe` says
/// whether reads copy its memory with machine-check-safe copies (1), not
/// (0), or that this could not be confirmed (2). `None` without debugfs.
fn publish(drv: &Inner, state: &Arc<DaxDev>) -> Option<DebugDir> {
    let name =
        kernel::str::CString::try_from_fmt(core::format_args!("{}", state.name_str())).ok()?;
    let mut dir = DebugDir::new(&name, Some(drv.debug.as_ref()?))?;
    dir.add_counter(c_str!("mc_safe"), state, |s| &s.mc_safe)
        .ok()?;
    Some(dir)
}

/// Takes the state a page map holds until it is torn down, and puts the
/// page map back as the bus's other drivers expect it.
struct PgmapRelease {
    dev_dax: *mut bindings::famfs_rs_dev_dax,
    pgmap: *mut bindings::dev_pagemap,
    is_static: bool,
    _state: Arc<DaxDev>,
}

/// A devm action, registered before the pages are mapped and so run after
/// devm_memremap_pages() has unmapped them and waited for every page map
/// reference (memory_failure() holds one while it calls us): no operation
/// of ours can be running or start again on this page map.
///
/// # Safety
///
/// `data` is a `KBox<PgmapRelease>` from `probe`, run once.
unsafe extern "C" fn release_pgmap(data: *mut c_void) {
    // SAFETY: per the contract.
    let rel = unsafe { KBox::from_raw(data as *mut PgmapRelease) };
    // SAFETY: the page map outlives this action: a static one belongs to
    // the region, a dynamic one is devm memory allocated before it. The
    // device is being unbound (or failed to bind), so nothing else touches
    // `dev_dax.pgmap` now.
    unsafe {
        let (pgmap, dev_dax) = (rel.pgmap, rel.dev_dax);
        (*pgmap).ops = ptr::null();
        (*pgmap).owner = ptr::null_mut();
        // device_dax wants a dynamic device's page map cleared (it
        // allocates its own); the devm memory is freed right after.
        if !rel.is_static {
            (*dev_dax).pgmap = ptr::null_mut();
        }
    }
    // Drops the page map's reference on the state.
    drop(rel);
}

/// The device's name, as the bus names it.
///
/// # Safety
///
/// `dev` must be a live device.
unsafe fn device_name<'a>(dev: *mut bindings::device) -> &'a [u8] {
    // SAFETY: a live device has a NUL-terminated name that lives as long as
    // it does.
    unsafe { CStr::from_char_ptr(bindings::famfs_rs_dev_name(dev)) }.as_bytes()
}

/// The data ranges of a device, in device order.
///
/// # Safety
///
/// `dev_dax` must be a device being probed (its ranges are stable).
unsafe fn data_ranges(dev_dax: *mut bindings::famfs_rs_dev_dax) -> Result<KVec<DataRange>> {
    // SAFETY: per the contract; `ranges` has `nr_range` entries.
    let (nr, ranges) = unsafe { ((*dev_dax).nr_range, (*dev_dax).ranges) };
    let nr = usize::try_from(nr).map_err(|_| EINVAL)?;
    if nr == 0 || ranges.is_null() {
        return Err(EINVAL);
    }
    let mut out = KVec::with_capacity(nr, GFP_KERNEL)?;
    for i in 0..nr {
        // SAFETY: `i < nr_range`.
        let r = unsafe { &*ranges.add(i) };
        let len = r.range.end.wrapping_sub(r.range.start).wrapping_add(1);
        let page_mask = (1u64 << PAGE_SHIFT) - 1;
        if r.range.end < r.range.start || (r.range.start | len) & page_mask != 0 {
            return Err(EINVAL);
        }
        out.push(
            DataRange {
                pgoff: r.pgoff as u64,
                npages: len >> PAGE_SHIFT,
                phys: r.range.start,
            },
            GFP_KERNEL,
        )?;
    }
    Ok(out)
}

/// Binds `dev_dax`; see the module documentation.
///
/// # Safety
///
/// `dev_dax` must be a device the dax bus is probing with this driver
/// (device lock held).
unsafe fn probe(drv: &Inner, dev_dax: *mut bindings::famfs_rs_dev_dax) -> Result {
    // SAFETY: `dev_dax` is live while probed.
    let dev = unsafe { ptr::addr_of_mut!((*dev_dax).dev) };
    // SAFETY: `dev` is live.
    let name = unsafe { device_name(dev) };
    if name.len() > NAME_LEN {
        return Err(EINVAL);
    }
    // SAFETY: being probed.
    let ranges = unsafe { data_ranges(dev_dax) }?;
    let nr = ranges.len();
    // SAFETY: `dev` is live; its number is set while it is registered.
    let devt = unsafe { (*dev).devt };
    let number = (
        devt >> bindings::MINORBITS,
        devt & ((1 << bindings::MINORBITS) - 1),
    );
    let state = DaxDev::new(name, dev_dax as usize, number, ranges)?;

    // SAFETY: exported by the dax bus for its drivers' probes.
    let is_static = unsafe { bindings::static_dev_dax(dev_dax) };
    // SAFETY: `dev_dax` is being probed: its page map is ours to set up.
    let mut pgmap = unsafe { (*dev_dax).pgmap };
    if is_static {
        // The region's page map covers the whole namespace: take it as it
        // is, unless it keeps its struct pages in the device.
        if pgmap.is_null() || nr != 1 {
            return Err(EINVAL);
        }
        // SAFETY: a static device's page map is its region's, alive and
        // not changing while the device is probed.
        if unsafe { (*pgmap).flags } & bindings::PGMAP_ALTMAP_VALID != 0 {
            // SAFETY: `dev` is live, and so is its parent (the namespace's
            // dax personality, e.g. "dax0.1").
            let parent = unsafe { (*dev).parent };
            let nd = if parent.is_null() {
                &b"?"[..]
            } else {
                // SAFETY: as above.
                unsafe { device_name(parent) }
            };
            refuse_page_map_in_device(&state, nd);
            return Err(crate::kapi::errno::eopnotsupp());
        }
    } else {
        if !pgmap.is_null() {
            pr_warn!(
                "{}: dynamic dax device with a page map set\n",
                state.name_str()
            );
            return Err(EINVAL);
        }
        let size = size_of::<bindings::dev_pagemap>() + (nr - 1) * size_of::<bindings::range>();
        // SAFETY: `dev` is live; the memory is freed when it is unbound.
        pgmap = unsafe { bindings::famfs_rs_devm_kzalloc(dev, size) }.cast();
        if pgmap.is_null() {
            return Err(ENOMEM);
        }
        // SAFETY: `pgmap` has room for `nr` ranges (the last member is a
        // flexible array of them); `dev_dax` is ours while probed.
        unsafe {
            (*pgmap).nr_range = nr as c_int;
            let dst = ptr::addr_of_mut!((*pgmap).__bindgen_anon_1).cast::<bindings::range>();
            for (i, r) in state.ranges.iter().enumerate() {
                let end = r.phys + (r.npages << PAGE_SHIFT) - 1;
                dst.add(i).write(bindings::range { start: r.phys, end });
            }
            (*dev_dax).pgmap = pgmap;
        }
    }

    // Registered now, so that it runs after the pages are unmapped, also
    // when a later step fails.
    let rel = KBox::new(
        PgmapRelease {
            dev_dax,
            pgmap,
            is_static,
            _state: state.clone(),
        },
        GFP_KERNEL,
    )?;
    let rel = KBox::into_raw(rel).cast::<c_void>();
    // SAFETY: `dev` is live; `rel` is valid for `release_pgmap`, which devm
    // runs exactly once.
    let ret = unsafe {
        bindings::__devm_add_action(
            dev,
            Some(release_pgmap),
            rel,
            c_str!("fsdax_pgmap_release").as_char_ptr(),
        )
    };
    if ret != 0 {
        // SAFETY: not registered, so ours to run once now.
        unsafe { release_pgmap(rel) };
        return to_result(ret);
    }

    for r in state.ranges.iter() {
        // SAFETY: `dev` and its name are live until unbind, when devm
        // releases the region.
        let res = unsafe {
            bindings::__devm_request_region(
                dev,
                ptr::addr_of_mut!(bindings::iomem_resource),
                r.phys,
                r.npages << PAGE_SHIFT,
                bindings::famfs_rs_dev_name(dev),
            )
        };
        if res.is_null() {
            pr_warn!("{}: memory range {:#x} is busy\n", state.name_str(), r.phys);
            return Err(EBUSY);
        }
    }

    // SAFETY: the page map is ours while probed. The struct pages must be
    // order-0 (fs/dax.c keeps a file's mapping in each page), and the map
    // keeps a reference on `state` (the `PgmapRelease`) as its owner.
    unsafe {
        (*pgmap).type_ = bindings::memory_type_MEMORY_DEVICE_FS_DAX;
        (*pgmap).vmemmap_shift = 0;
        (*pgmap).ops = &PGMAP_OPS;
        (*pgmap).owner = ptr::from_ref::<DaxDev>(&state).cast_mut().cast();
    }
    // SAFETY: `dev` is live and `pgmap` set up; undone by devm at unbind.
    from_err_ptr(unsafe { bindings::devm_memremap_pages(dev, pgmap) })?;

    let private = ptr::from_ref::<DaxDev>(&state).cast_mut().cast::<c_void>();
    // SAFETY: `private` is `state`, which owns the dax device (put on its
    // drop) and so outlives it; `DAX_OPS` is static.
    let dax_dev = from_err_ptr(unsafe { bindings::alloc_dax(private, &DAX_OPS) })?;
    state.set_dax_device(dax_dev);
    // SAFETY: a live dax device of ours.
    unsafe {
        bindings::set_dax_synchronous(dax_dev);
        bindings::dax_write_cache(dax_dev, true);
        // write() copies with cache-bypassing stores, as pmem's do: fsync
        // writes back only what was stored through mappings, and the bytes
        // of a write() must not wait in this host's caches while other
        // hosts read the memory.
        bindings::set_dax_nocache(dax_dev);
        // read(), sendfile() and splice copy with machine-check-safe copies,
        // as for every other fs-dax provider: a poisoned line the kernel
        // has not seen yet makes the read fail (EIO), not the host panic.
        bindings::set_dax_nomc(dax_dev);
    }

    state.confirm_machine_check_safe();
    let debug = publish(drv, &state);
    let raw = RawNode::register(&state, RAW_DIR, drv.raw_fops.get())
        .inspect_err(|e| {
            pr_warn!(
                "{}: no raw node /dev/{}/{} ({:?}): famfs commands cannot open it while bound\n",
                state.name_str(),
                RAW_DIR,
                state.name_str(),
                e
            )
        })
        .ok();
    drv.devices.lock().push(
        Bound {
            state: state.clone(),
            _debug: debug,
            raw,
        },
        GFP_KERNEL,
    )?;
    pr_info!(
        "{}: bound, {} bytes of fs-dax memory in {} range(s)\n",
        state.name_str(),
        state.size,
        nr
    );
    Ok(())
}

/// Says why a device whose namespace keeps its struct pages in the device
/// itself (ndctl's default `map=dev`: an altmap in the namespace's reserved
/// area) is refused, and how to fix it. Every host that shares the memory
/// would keep its own page state (reference counts, `page->mapping`) in
/// the same bytes, and each bind re-initialises them under the others:
/// page state must stay in each host's RAM (`map=mem`).
fn refuse_page_map_in_device(state: &DaxDev, nd: &[u8]) {
    pr_err!(
        "{}: refused: its namespace keeps the page map (struct pages) in the device \
         (ndctl --map=dev), where every host sharing this memory would write its own \
         page state; recreate the namespace with the page map in RAM: ndctl \
         create-namespace --force --reconfig=<the namespace of {}> --mode=devdax \
         --map=mem (the data moves: run famfs mkfs again)\n",
        state.name_str(),
        core::str::from_utf8(nd).unwrap_or("?")
    );
}

/// # Safety
///
/// Called by the dax bus to probe a device matched to this driver.
unsafe extern "C" fn probe_callback(dev_dax: *mut bindings::famfs_rs_dev_dax) -> c_int {
    let Some(drv) = driver() else {
        return ENODEV.to_errno();
    };
    // SAFETY: the bus is probing `dev_dax` with this driver.
    match unsafe { probe(drv, dev_dax) } {
        Ok(()) => 0,
        Err(e) => e.to_errno(),
    }
}

/// Unbinds a device: no access from now on; the holder is told the whole
/// device is going (MF_MEM_PRE_REMOVE). The state lives on for the holder
/// until it lets go.
///
/// # Safety
///
/// Called by the dax bus for a device this driver probed successfully.
unsafe extern "C" fn remove_callback(dev_dax: *mut bindings::famfs_rs_dev_dax) {
    let Some(drv) = driver() else { return };
    let state = {
        let mut devices = drv.devices.lock();
        let found = devices.iter().position(|d| d.state.key == dev_dax as usize);
        found.and_then(|i| crate::kapi::vec::swap_remove(&mut devices, i))
    };
    let Some(Bound { state, raw, .. }) = state else {
        return;
    };
    // No new opens; open files read ENXIO from the kill on.
    drop(raw);
    state.set_dead();
    // SAFETY: ours, alive until the state's drop puts it. Waits for every
    // dax_direct_access() that saw it alive.
    unsafe { bindings::kill_dax(state.dax_device()) };
    // The holder takes its mappings away before the pages go (devm unmaps
    // them after this returns).
    let _ = state.notify(Failure::Removal);
    wait_pages_let_go(&state);
    pr_info!("{}: unbound\n", state.name_str());
}

/// Waits until no page of the device is held beyond the device's own
/// reference: devm tears the page map (and the struct pages) down right
/// after `remove` returns, and 6.12's memunmap_pages() does not wait for
/// fs-dax page references. Killable while only the unbinding task waits;
/// a page held past a fatal signal is still waited for, without
/// interruption, since freeing a struct page a pipe still holds corrupts
/// memory.
fn wait_pages_let_go(state: &DaxDev) {
    let held = |offset: u64| {
        if log::ratelimit_ok() {
            pr_warn!(
                "{}: unbinding waits for the page at offset {:#x}, still held (a pipe that \
                 took it with vmsplice, or a pinned buffer): let it go to finish\n",
                state.name_str(),
                offset
            );
        }
    };
    if state.wait_let_go(0, state.size, true, &held).is_ok() {
        return;
    }
    pr_err!(
        "{}: unbinding was killed while a page is still held; its page map cannot go \
         before the page does: waiting on\n",
        state.name_str()
    );
    let _ = state.wait_let_go(0, state.size, false, &held);
}
