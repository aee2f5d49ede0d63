// SPDX-License-Identifier: GPL-2.0
//! Who this host is: the system UUID that decides master or client.
//!
//! The superblock records the system UUID of the host that ran mkfs, the
//! master; only it appends to the log. This host's UUID comes from, in
//! order:
//! 1. `FAMFS_SYSTEM_UUID` in the environment (tests, or a host whose DMI
//!    data is missing or shared by cloned VMs);
//! 2. `/sys/class/dmi/id/product_uuid` (the DMI product UUID, what upstream
//!    famfs uses; readable by root);
//! 3. `/etc/machine-id`, whose 128 bits are read as a UUID (hosts without
//!    DMI, e.g. some ARM boards and minimal VMs).

use std::path::Path;

use uuid::Uuid;

use crate::MetaError;

/// Environment variable that overrides the detected system UUID.
pub const SYSTEM_UUID_ENV: &str = "FAMFS_SYSTEM_UUID";
const DMI_PRODUCT_UUID: &str = "/sys/class/dmi/id/product_uuid";
const MACHINE_ID: &str = "/etc/machine-id";

/// This host's system UUID (see the module docs for the sources).
pub fn host_system_uuid() -> Result<Uuid, MetaError> {
    if let Ok(v) = std::env::var(SYSTEM_UUID_ENV) {
        return Uuid::parse_str(v.trim())
            .map_err(|e| MetaError::NoSystemUuid(format!("{SYSTEM_UUID_ENV}={v:?}: {e}")));
    }
    let mut tried = Vec::new();
    for path in [DMI_PRODUCT_UUID, MACHINE_ID] {
        match std::fs::read_to_string(Path::new(path)) {
            Ok(s) => match Uuid::parse_str(s.trim()) {
                Ok(u) if !u.is_nil() => return Ok(u),
                _ => tried.push(format!("{path}: unusable contents")),
            },
            Err(e) => tried.push(format!("{path}: {e}")),
        }
    }
    Err(MetaError::NoSystemUuid(format!(
        "{}; set {SYSTEM_UUID_ENV}",
        tried.join("; ")
    )))
}
