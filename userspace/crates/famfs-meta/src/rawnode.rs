// SPDX-License-Identifier: GPL-2.0
//! A devdax device kept bound between mounts (`famfs bind`), read and
//! written with `pread`/`pwrite` through famfs_rs.ko's raw node:
//!
//! - Linux 6.12 (famfs_rs.ko's own dax driver, whose `/dev/daxX.Y` fails
//!   with ENXIO): the device's own node `/dev/famfs_rs_raw/daxX.Y`;
//! - Linux 7.x (the kernel's fsdev_dax, whose `/dev/daxX.Y` opens but can
//!   be neither read nor mapped): the one node `/dev/famfs_rs_raw/fsdev`,
//!   given the device as an open `/dev/daxX.Y` with `FAMFS_RS_RAW_SET_FD`.
//!
//! The module copies machine-check-safely and evicts stale cache lines on
//! reads, and bypasses the caches on writes, so this layer needs no cache
//! flushing of its own. Writes are refused (EBUSY) while a mount holds the
//! device.

use std::fs::{File, OpenOptions};
use std::os::fd::AsRawFd;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::media::{check_range, Media};
use crate::MetaError;

/// Where the raw nodes are (`FAMFS_RS_RAW_DIR` of include/famfs_rs_abi.h,
/// under /dev).
pub const RAW_NODE_DIR: &str = "/dev/famfs_rs_raw";

/// The raw node of dax bus device `name` (`daxX.Y`), Linux 6.12.
pub fn raw_node(name: &str) -> PathBuf {
    Path::new(RAW_NODE_DIR).join(name)
}

/// The name of the one raw node of Linux 7.x under [`RAW_NODE_DIR`]
/// (`FAMFS_RS_RAW_FSDEV_NAME` of include/famfs_rs_abi.h).
pub const FSDEV_NODE_NAME: &str = "fsdev";

/// `FAMFS_RS_RAW_SET_FD` of include/famfs_rs_abi.h: `_IOW(0xF4, 1,
/// __s32)` (famfs checks it against the header's).
pub const RAW_SET_FD: u32 = 0x4004_f401;

/// The one raw node of Linux 7.x, for devices bound to fsdev_dax.
pub fn fsdev_node() -> PathBuf {
    Path::new(RAW_NODE_DIR).join(FSDEV_NODE_NAME)
}

/// A raw node opened for `pread`/`pwrite`.
pub struct RawFile {
    file: File,
    path: PathBuf,
    len: u64,
    writable: bool,
    /// What to flock the log on: the raw node itself on 6.12 (one per
    /// device); on 7.x the device's own node (the fsdev node is shared by
    /// every device).
    lock: File,
}

impl RawFile {
    /// Opens the raw node `path` of a device of `len` usable bytes.
    pub fn open(path: &Path, len: u64, writable: bool) -> Result<Self, MetaError> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|e| MetaError::io(path, "open", e))?;
        let lock = file
            .try_clone()
            .map_err(|e| MetaError::io(path, "dup", e))?;
        Ok(RawFile {
            file,
            path: path.to_owned(),
            len,
            writable,
            lock,
        })
    }

    /// Opens the fsdev raw node for `devdax`, a `/dev/daxX.Y` bound to
    /// fsdev_dax (Linux 7.x) of `len` usable bytes, already open as `dax`.
    pub fn open_fsdev(
        dax: File,
        devdax: &Path,
        len: u64,
        writable: bool,
    ) -> Result<Self, MetaError> {
        let node = fsdev_node();
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(&node)
            .map_err(|e| {
                let op = if e.kind() == std::io::ErrorKind::NotFound {
                    "open (is famfs_rs.ko loaded? its node reads devices bound to fsdev_dax)"
                } else {
                    "open"
                };
                MetaError::io(&node, op, e)
            })?;
        let fd: libc::c_int = dax.as_raw_fd();
        // SAFETY: the argument points to a live c_int, as the ioctl reads.
        let rc = unsafe { libc::ioctl(file.as_raw_fd(), RAW_SET_FD as _, &fd) };
        if rc != 0 {
            let e = std::io::Error::last_os_error();
            return Err(MetaError::io(
                devdax,
                "FAMFS_RS_RAW_SET_FD on /dev/famfs_rs_raw/fsdev",
                e,
            ));
        }
        Ok(RawFile {
            file,
            path: devdax.to_owned(),
            len,
            writable,
            lock: dax,
        })
    }

    /// The file to flock the log on, as on a devdax node.
    pub fn lock_file(&self) -> &File {
        &self.lock
    }

    /// The path it was opened by.
    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Media for RawFile {
    fn len(&self) -> u64 {
        self.len
    }

    fn name(&self) -> String {
        self.path.display().to_string()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        check_range(self, off, buf.len())?;
        self.file
            .read_exact_at(buf, off)
            .map_err(|e| MetaError::io(&self.path, "pread", e))
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        if !self.writable {
            return Err(MetaError::ReadOnly { media: self.name() });
        }
        check_range(self, off, data.len())?;
        self.file
            .write_all_at(data, off)
            .map_err(|e| MetaError::io(&self.path, "pwrite", e))
    }
}
