// SPDX-License-Identifier: GPL-2.0
//! Where the daemon reads the superblock and the log: the seam between
//! "raw device" (today) and "the mount's own `.meta/` files" (once the dax
//! data path exists and the raw node is of no use: ENXIO on famfs_rs's
//! own dax driver, no read or mmap on the kernel's fsdev_dax).
//!
//! A [`MetaSource`] only opens a [`MetaStore`]; the refresh thread
//! ([`crate::refresh`]) owns the store and is the only code that reads it,
//! so a source that goes through the mount (`.meta/.log`, whose LOOKUP and
//! GET_FMAP this very daemon answers) never blocks the serving thread.

use std::path::{Path, PathBuf};
use std::sync::Arc;

use famfs_meta::store::MetaStore;
use famfs_meta::{DaxDevice, Media, MetaError};

/// Opens the metadata of one file system.
pub trait MetaSource: Send + Sync {
    /// Opens (or re-opens) the superblock and log.
    fn open(&self) -> Result<MetaStore, MetaError>;
    /// For messages: what is being read.
    fn describe(&self) -> String;
    /// Whether the store must be dropped after each refresh. True for the
    /// mount's own `.meta` files: a file the daemon holds open under the
    /// mount would make every umount(2) fail with EBUSY.
    fn transient(&self) -> bool {
        false
    }
}

/// The raw primary device or image, mapped read-only.
pub struct RawDevice {
    path: PathBuf,
}

impl RawDevice {
    /// The device or image at `path`.
    pub fn new(path: &Path) -> Self {
        RawDevice {
            path: path.to_owned(),
        }
    }
}

impl MetaSource for RawDevice {
    fn open(&self) -> Result<MetaStore, MetaError> {
        let dev = DaxDevice::open(&self.path, false)?;
        MetaStore::on_device(&dev)
    }

    fn describe(&self) -> String {
        format!("{} (raw device)", self.path.display())
    }
}

/// The `.meta/.superblock` and `.meta/.log` files of a mounted famfs,
/// mapped `MAP_SHARED` read-only and sized by stat on every open: where
/// the log is read once the devices belong to famfs_rs.ko (their raw
/// nodes then fail with ENXIO, or, on fsdev_dax, open but neither read
/// nor map). Opened afresh for each refresh and
/// closed after it ([`MetaSource::transient`]), so the daemon never
/// holds the mount busy.
pub struct MountMeta {
    meta_dir: PathBuf,
}

impl MountMeta {
    /// The `.meta` directory of the mount at `mountpoint`.
    pub fn new(mountpoint: &Path) -> Self {
        MountMeta {
            meta_dir: mountpoint.join(crate::nodes::META_DIR_NAME),
        }
    }
}

impl MetaSource for MountMeta {
    fn open(&self) -> Result<MetaStore, MetaError> {
        MetaStore::on_meta_files(&self.meta_dir, false)
    }

    fn describe(&self) -> String {
        format!("{} (mounted .meta files)", self.meta_dir.display())
    }

    fn transient(&self) -> bool {
        true
    }
}

/// Whole-device media in memory (tests).
pub struct MediaSource {
    whole: Arc<dyn Media>,
}

impl MediaSource {
    /// Metadata read from `whole`.
    pub fn new(whole: Arc<dyn Media>) -> Self {
        MediaSource { whole }
    }
}

impl MetaSource for MediaSource {
    fn open(&self) -> Result<MetaStore, MetaError> {
        MetaStore::on_media(self.whole.clone())
    }

    fn describe(&self) -> String {
        self.whole.name()
    }
}
