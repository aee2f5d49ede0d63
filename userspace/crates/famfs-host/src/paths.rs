// SPDX-License-Identifier: GPL-2.0
//! Where a mount's daemon keeps its pid file and its log.
//!
//! - pid file: `$FAMFS_RUN_DIR/<mnt>.pid`, default `/run/famfs_rs`;
//! - devices handed to famfs_rs.ko: `$FAMFS_RUN_DIR/<mnt>.devices`;
//! - log: `$FAMFS_LOG_DIR/<mnt>.log`, default `/var/log/famfs_rs`, or
//!   the run directory when that cannot be created (e.g. an initramfs);
//!
//! where `<mnt>` is the mount point escaped as systemd escapes paths
//! (`/mnt/famfs` → `mnt-famfs`).

use std::path::{Path, PathBuf};

/// Overrides the pid file directory.
pub const RUN_DIR_ENV: &str = "FAMFS_RUN_DIR";
/// Overrides the log directory.
pub const LOG_DIR_ENV: &str = "FAMFS_LOG_DIR";
const RUN_DIR: &str = "/run/famfs_rs";
const LOG_DIR: &str = "/var/log/famfs_rs";

/// Escapes an absolute path into a file name: `/` separators become `-`,
/// bytes other than ASCII letters, digits, `_`, `.` and `:` become
/// `\xNN`; the root is `-`.
pub fn escape(path: &Path) -> String {
    let s = path.to_string_lossy();
    let t = s.trim_matches('/');
    if t.is_empty() {
        return "-".into();
    }
    let mut out = String::new();
    for (i, b) in t.bytes().enumerate() {
        match b {
            b'/' => out.push('-'),
            b'.' if i == 0 => out.push_str("\\x2e"),
            b'a'..=b'z' | b'A'..=b'Z' | b'0'..=b'9' | b'_' | b'.' | b':' => out.push(b as char),
            _ => out.push_str(&format!("\\x{b:02x}")),
        }
    }
    out
}

fn dir(env: &str, default: &str) -> PathBuf {
    std::env::var_os(env)
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(default))
}

/// The pid file directory.
pub fn run_dir() -> PathBuf {
    dir(RUN_DIR_ENV, RUN_DIR)
}

/// The pid file of the daemon serving `mountpoint`.
pub fn pid_file(mountpoint: &Path) -> PathBuf {
    run_dir().join(format!("{}.pid", escape(mountpoint)))
}

/// The record of the devices the daemon of `mountpoint` moved to
/// famfs_rs (one `daxX.Y` a line), for `famfs umount` to give back if the
/// daemon could not.
pub fn devices_file(mountpoint: &Path) -> PathBuf {
    run_dir().join(format!("{}.devices", escape(mountpoint)))
}

/// The log file of the daemon serving `mountpoint`, creating its
/// directory (falling back to the run directory).
pub fn log_file(mountpoint: &Path) -> std::io::Result<PathBuf> {
    let name = format!("{}.log", escape(mountpoint));
    let d = dir(LOG_DIR_ENV, LOG_DIR);
    if std::fs::create_dir_all(&d).is_ok() {
        return Ok(d.join(name));
    }
    let r = run_dir();
    std::fs::create_dir_all(&r)?;
    Ok(r.join(name))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_like_systemd() {
        assert_eq!(escape(Path::new("/mnt/famfs")), "mnt-famfs");
        assert_eq!(escape(Path::new("/")), "-");
        assert_eq!(escape(Path::new("/mnt/a-b")), "mnt-a\\x2db");
        assert_eq!(escape(Path::new("/mnt/a b/.x")), "mnt-a\\x20b-.x");
        assert_eq!(escape(Path::new("/.hidden")), "\\x2ehidden");
        assert_ne!(escape(Path::new("/a-b")), escape(Path::new("/a/b")));
    }
}
