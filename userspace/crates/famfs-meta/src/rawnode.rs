// SPDX-License-Identifier: GPL-2.0
//! A devdax device bound to famfs_rs.ko's dax driver between mounts (`famfs
//! bind`), read and written through its raw node
//! `/dev/famfs_rs_raw/daxX.Y` with `pread`/`pwrite`: its `/dev/daxX.Y`
//! fails with ENXIO there. The module copies machine-check-safely and
//! evicts stale cache lines on reads, and bypasses the caches on writes,
//! so this layer needs no cache flushing of its own. Writes are refused
//! (EBUSY) while a mount holds the device.

use std::fs::{File, OpenOptions};
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::media::{check_range, Media};
use crate::MetaError;

/// Where the raw nodes are (`FAMFS_RS_RAW_DIR` of include/famfs_rs_abi.h,
/// under /dev).
pub const RAW_NODE_DIR: &str = "/dev/famfs_rs_raw";

/// The raw node of dax bus device `name` (`daxX.Y`).
pub fn raw_node(name: &str) -> PathBuf {
    Path::new(RAW_NODE_DIR).join(name)
}

/// A raw node opened for `pread`/`pwrite`.
pub struct RawFile {
    file: File,
    path: PathBuf,
    len: u64,
    writable: bool,
}

impl RawFile {
    /// Opens the raw node `path` of a device of `len` usable bytes.
    pub fn open(path: &Path, len: u64, writable: bool) -> Result<Self, MetaError> {
        let file = OpenOptions::new()
            .read(true)
            .write(writable)
            .open(path)
            .map_err(|e| MetaError::io(path, "open", e))?;
        Ok(RawFile {
            file,
            path: path.to_owned(),
            len,
            writable,
        })
    }

    /// The open node (flock the log through it, as through a devdax node).
    pub fn file(&self) -> &File {
        &self.file
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
