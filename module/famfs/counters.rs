// SPDX-License-Identifier: GPL-2.0

//! A mount's counters, and their debugfs directory `famfs_rs/MAJ:MIN/` (the
//! mount's device number, as in /proc/self/mountinfo), read by tests and
//! operators.

#![forbid(unsafe_code)]

pub(super) use crate::fuse::client::bump;
use crate::fuse::client::Field;
use crate::fuse::Client;
use crate::kapi::debugfs::DebugDir;
use core::sync::atomic::AtomicU64;
use kernel::c_str;
use kernel::sync::Arc;

/// What famfs counts (the FUSE client and transport count the rest).
#[derive(Default)]
pub(crate) struct Counters {
    pub(super) fmaps: AtomicU64,
    /// Maps taken from a LOOKUP reply at open (no GET_FMAP sent).
    pub(super) lookup_fmaps: AtomicU64,
    pub(super) daxdev_gets: AtomicU64,
    /// GET_DAXDEV replies that named the device by number.
    pub(super) daxdev_by_number: AtomicU64,
    pub(super) faults_pte: AtomicU64,
    pub(super) faults_pmd: AtomicU64,
    pub(super) fault_fallbacks: AtomicU64,
    pub(super) fault_errors: AtomicU64,
    /// Memory failures recorded (poisoned device ranges).
    pub(super) poisoned_ranges: AtomicU64,
    /// Files fenced because their maps cover poisoned bytes.
    pub(super) files_fenced: AtomicU64,
    /// Opens refused because the file's map covers poisoned bytes.
    pub(super) poisoned_opens: AtomicU64,
    /// Store fences issued (synchronous writes, fsync, msync).
    pub(super) store_fences: AtomicU64,
}

const MOUNT: [Field<Counters>; 12] = [
    (c_str!("fmaps"), |c| &c.fmaps),
    (c_str!("lookup_fmaps"), |c| &c.lookup_fmaps),
    (c_str!("daxdev_gets"), |c| &c.daxdev_gets),
    (c_str!("daxdev_by_number"), |c| &c.daxdev_by_number),
    (c_str!("faults_pte"), |c| &c.faults_pte),
    (c_str!("faults_pmd"), |c| &c.faults_pmd),
    (c_str!("fault_fallbacks"), |c| &c.fault_fallbacks),
    (c_str!("fault_errors"), |c| &c.fault_errors),
    (c_str!("poisoned_ranges"), |c| &c.poisoned_ranges),
    (c_str!("files_fenced"), |c| &c.files_fenced),
    (c_str!("poisoned_opens"), |c| &c.poisoned_opens),
    (c_str!("store_fences"), |c| &c.store_fences),
];

/// The counters of a mount as `parent/MAJ:MIN/`: `None` when debugfs
/// cannot have them (counters are a diagnostic, never a reason to fail).
pub(super) fn publish(
    parent: Option<&DebugDir>,
    dev: (u32, u32),
    client: &Client,
    counters: &Arc<Counters>,
) -> Option<DebugDir> {
    let name =
        kernel::str::CString::try_from_fmt(core::format_args!("{}:{}", dev.0, dev.1)).ok()?;
    let mut dir = DebugDir::new(&name, Some(parent?))?;
    client.publish_counters(&mut dir).ok()?;
    for (name, field) in MOUNT {
        dir.add_counter(name, counters, field).ok()?;
    }
    Some(dir)
}
