// SPDX-License-Identifier: GPL-2.0
//! Who this host is: the system UUID that decides master or client.
//!
//! The superblock records the system UUID of the host that ran mkfs, the
//! master; only it appends to the log. This host's UUID comes from, in
//! order:
//! 1. `FAMFS_SYSTEM_UUID` in the environment (tests, or to act as another
//!    host deliberately);
//! 2. `/opt/famfs/system_uuid`, a UUID string: upstream famfs's own
//!    identity file, so that one host running both tools is one master.
//!    When it is missing it is created, as upstream does, holding a new
//!    random UUID (directory 0755, file 0444).
//!
//! Read-only verbs may run where the file cannot be created (not root):
//! they get an error here and carry on as a client.

use std::io::Write;
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::Path;

use uuid::Uuid;

use crate::MetaError;

/// Environment variable that overrides the system UUID.
pub const SYSTEM_UUID_ENV: &str = "FAMFS_SYSTEM_UUID";
/// Upstream famfs's identity file.
pub const SYSTEM_UUID_FILE: &str = "/opt/famfs/system_uuid";

/// This host's system UUID (see the module docs for the order).
pub fn host_system_uuid() -> Result<Uuid, MetaError> {
    if let Ok(v) = std::env::var(SYSTEM_UUID_ENV) {
        return Uuid::parse_str(v.trim())
            .map_err(|e| MetaError::NoSystemUuid(format!("{SYSTEM_UUID_ENV}={v:?}: {e}")));
    }
    system_uuid_from(Path::new(SYSTEM_UUID_FILE))
}

/// The UUID in `file`, which is created with a random one if missing.
pub fn system_uuid_from(file: &Path) -> Result<Uuid, MetaError> {
    let shown = file.display();
    match std::fs::read_to_string(file) {
        Ok(s) => {
            // Upstream reads the first 36 characters; accept what it
            // accepts (a trailing NUL or newline included).
            let text = s.trim_matches(|c: char| c.is_whitespace() || c == '\0');
            return Uuid::parse_str(text).map_err(|e| {
                MetaError::NoSystemUuid(format!(
                    "{shown} holds {text:?}, not a UUID ({e}); fix or remove it \
                     (removing it makes this host a new identity), or set {SYSTEM_UUID_ENV}"
                ))
            });
        }
        Err(e) if e.kind() != std::io::ErrorKind::NotFound => {
            return Err(MetaError::NoSystemUuid(format!(
                "{shown}: {e}; run as root, or set {SYSTEM_UUID_ENV}"
            )))
        }
        Err(_) => {}
    }
    create(file).map_err(|e| {
        MetaError::NoSystemUuid(format!(
            "{shown} is missing and cannot be created ({e}); run once as root to create it, \
             or set {SYSTEM_UUID_ENV}"
        ))
    })
}

/// Writes a new random UUID to `file` (exclusively: if another process
/// created it meanwhile, its UUID wins).
fn create(file: &Path) -> std::io::Result<Uuid> {
    if let Some(dir) = file.parent() {
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o755)
            .create(dir)?;
    }
    let uuid = Uuid::new_v4();
    let mut f = match std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o444)
        .open(file)
    {
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
            let s = std::fs::read_to_string(file)?;
            return Uuid::parse_str(s.trim_matches(|c: char| c.is_whitespace() || c == '\0'))
                .map_err(std::io::Error::other);
        }
        r => r?,
    };
    writeln!(f, "{uuid}")?;
    f.sync_all()?;
    Ok(uuid)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn created_once_then_kept() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("opt/famfs/system_uuid");
        let first = system_uuid_from(&file).unwrap();
        assert!(!first.is_nil());
        assert_eq!(system_uuid_from(&file).unwrap(), first);
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(text.trim(), first.to_string());
    }

    #[test]
    fn upstream_file_is_read_as_written() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("system_uuid");
        // Upstream writes the 36 characters and their NUL terminator.
        std::fs::write(&file, b"22353219-52c5-422a-b144-79b90e28dbae\0").unwrap();
        assert_eq!(
            system_uuid_from(&file).unwrap().to_string(),
            "22353219-52c5-422a-b144-79b90e28dbae"
        );
        std::fs::write(&file, "not a uuid\n").unwrap();
        let e = system_uuid_from(&file).unwrap_err().to_string();
        assert!(e.contains("not a UUID"), "{e}");
    }
}
