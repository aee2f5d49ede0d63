// SPDX-License-Identifier: GPL-2.0
//! What can be wrong with on-media bytes.

use crate::fmap::FmapProblem;

/// A structure could not be decoded or encoded. Messages say which structure
/// and what is wrong with it, so callers only add where (device, log slot).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum OmfError {
    /// Fewer bytes than the structure needs.
    #[error("{what}: truncated ({have} bytes, {need} needed)")]
    Truncated {
        what: &'static str,
        need: usize,
        have: usize,
    },
    /// Magic number mismatch: not famfs, or overwritten.
    #[error("{what}: bad magic {found:#x} (expected {expected:#x})")]
    BadMagic {
        what: &'static str,
        found: u64,
        expected: u64,
    },
    /// Stored CRC does not match the bytes.
    #[error("{what}: bad CRC (stored {stored:#010x}, computed {computed:#010x})")]
    BadCrc {
        what: &'static str,
        stored: u64,
        computed: u64,
    },
    /// Format version this implementation does not speak.
    #[error("superblock: unsupported version {version} / OMF {major}.{minor} (famfs_rs reads ts_version 48, OMF 2.x)")]
    BadVersion {
        version: u64,
        major: u32,
        minor: u32,
    },
    /// A geometry field (offset, length, unit) is impossible.
    #[error("{what}: {msg}")]
    BadGeometry { what: &'static str, msg: String },
    /// Unknown log entry type.
    #[error("log entry: unknown type {0}")]
    UnknownEntryType(u32),
    /// Path field unusable.
    #[error("log entry: bad path: {0}")]
    BadPath(String),
    /// Fmap structurally invalid.
    #[error("log entry: bad fmap: {0}")]
    BadFmap(FmapProblem),
}
