// SPDX-License-Identifier: GPL-2.0
//! Errors of the metadata layer. Each names the device, file or path it is
//! about and says what is wrong; the CLI prints them as they are.

use std::path::Path;

use famfs_omf::OmfError;
use uuid::Uuid;

/// Everything that can go wrong above the on-media format.
#[derive(Debug, thiserror::Error)]
pub enum MetaError {
    #[error("{path}: {op}: {source}")]
    Io {
        path: String,
        op: &'static str,
        source: std::io::Error,
    },
    #[error("{media}: access of {len:#x} bytes at {offset:#x} is beyond its size {size:#x}")]
    OutOfRange {
        media: String,
        offset: u64,
        len: u64,
        size: u64,
    },
    #[error("{media}: opened read-only")]
    ReadOnly { media: String },
    #[error("{media}: {source}")]
    Format { media: String, source: OmfError },
    #[error("{media}: {msg}")]
    Invalid { media: String, msg: String },
    #[error("{device}: this host (system UUID {host}) is a client; only the master ({master}) may write the log. Run the command on the master host, or set FAMFS_SYSTEM_UUID if this host's identity is wrong")]
    NotMaster {
        device: String,
        host: Uuid,
        master: Uuid,
    },
    #[error(
        "{device}: log full ({slots} entries used); no more files or directories can be created"
    )]
    LogFull { device: String, slots: u64 },
    #[error("{device}: no space for {path} on device {devindex} ({need:#x} bytes needed, {free:#x} free, largest free run {largest:#x})")]
    NoSpace {
        device: String,
        path: String,
        devindex: u32,
        need: u64,
        free: u64,
        largest: u64,
    },
    #[error("{device}: {path}: already exists")]
    Exists { device: String, path: String },
    #[error("{device}: {path}: no such file or directory")]
    NotFound { device: String, path: String },
    #[error("{device}: {path}: {msg}")]
    BadRequest {
        device: String,
        path: String,
        msg: String,
    },
    #[error("{device}: already holds a famfs file system (use force to overwrite it)")]
    AlreadyFormatted { device: String },
    #[error("cannot determine this host's system UUID: {0}")]
    NoSystemUuid(String),
}

impl MetaError {
    /// An I/O error on `path` while doing `op`.
    pub fn io(path: &Path, op: &'static str, source: std::io::Error) -> Self {
        MetaError::Io {
            path: path.display().to_string(),
            op,
            source,
        }
    }
}
