// SPDX-License-Identifier: GPL-2.0

//! The superblock and log area: the first bytes of the primary device
//! (index 0), which only the `.meta` files may map.
//!
//! The on-media format fixes where the area starts and ends: the
//! superblock's 2 MiB region at offset 0, the log right after it, as long
//! as the log's length (a power of two, at least 8 MiB). A file that
//! mapped any of it could overwrite the log every host replays; so:
//! - a regular file's map has no piece on device 0 below the area's end;
//! - `.meta/.superblock`'s map says superblock and `.meta/.log`'s says log,
//!   every piece on device 0 inside the area; no other file's map says
//!   superblock or log.
//!
//! The module learns the log's length from the size of `.meta/.log`
//! ([`MetaArea::from_log_len`]); without one, the smallest area the format
//! allows ([`MetaArea::MINIMAL`]) is still refused to regular files.

use super::abi::FamfsFileType;
use super::fmap::{FmapError, FmapRef};

/// Length of the superblock's region, which is also the log's offset.
pub const SB_REGION_LEN: u64 = 2 << 20;
/// Shortest log the format allows.
pub const MIN_LOG_LEN: u64 = 8 << 20;

/// The bytes `0..end` of device 0: the superblock and the log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MetaArea {
    end: u64,
}

impl MetaArea {
    /// The smallest area: a superblock and an 8 MiB log.
    pub const MINIMAL: Self = Self {
        end: SB_REGION_LEN + MIN_LOG_LEN,
    };

    /// The area of a file system whose log is `log_len` bytes; `None` if
    /// no log can be that long (not a power of two of at least 8 MiB).
    pub fn from_log_len(log_len: u64) -> Option<Self> {
        if !log_len.is_power_of_two() || log_len < MIN_LOG_LEN {
            return None;
        }
        Some(Self {
            end: SB_REGION_LEN.checked_add(log_len)?,
        })
    }

    /// One past the area's last byte on device 0.
    pub fn end(&self) -> u64 {
        self.end
    }

    /// Checks `fmap`, the map of a file that is `role` (a regular file,
    /// or `.meta/.superblock` or `.meta/.log`), against the area.
    pub fn check(&self, fmap: &FmapRef<'_>, role: FamfsFileType) -> Result<(), FmapError> {
        if fmap.file_type() != role {
            return Err(FmapError::WrongFileType);
        }
        let inside = |p: &super::fmap::SimpleExt| p.devindex == 0 && p.end() <= self.end;
        match role {
            FamfsFileType::Regular => {
                if fmap
                    .pieces()
                    .any(|p| p.devindex == 0 && p.offset < self.end)
                {
                    return Err(FmapError::InMetaArea);
                }
            }
            FamfsFileType::Superblock | FamfsFileType::Log => {
                if !fmap.pieces().all(|p| inside(&p)) {
                    return Err(FmapError::OutsideMetaArea);
                }
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fmap::{encode_simple, SimpleExt};

    const MB2: u64 = 2 << 20;

    /// A one-piece map of type `ty`, `(device, offset, length)`, checked
    /// as the map of a `role` file.
    fn check(
        area: MetaArea,
        ty: FamfsFileType,
        role: FamfsFileType,
        (devindex, offset, len): (u32, u64, u64),
    ) -> Result<(), FmapError> {
        let mut buf = [0u8; 64];
        let piece = SimpleExt {
            devindex,
            offset,
            len,
        };
        let n = encode_simple(&mut buf, ty, len, &[piece]).unwrap();
        area.check(&FmapRef::parse(&buf[..n]).unwrap(), role)
    }

    #[test]
    fn log_lengths() {
        assert_eq!(MetaArea::from_log_len(8 << 20).unwrap().end(), 10 << 20);
        assert_eq!(MetaArea::from_log_len(32 << 20).unwrap().end(), 34 << 20);
        assert_eq!(MetaArea::from_log_len(8 << 20), Some(MetaArea::MINIMAL));
        for bad in [0, 1, 4 << 20, 12 << 20, u64::MAX] {
            assert_eq!(MetaArea::from_log_len(bad), None, "{bad}");
        }
        assert!(MetaArea::from_log_len(1 << 63).is_some());
    }

    #[test]
    fn regular_files_stay_out() {
        use FamfsFileType::*;
        let area = MetaArea::from_log_len(32 << 20).unwrap();
        // The superblock, the log's first and last units: refused.
        for off in [0, MB2, 32 << 20] {
            assert_eq!(
                check(area, Regular, Regular, (0, off, MB2)),
                Err(FmapError::InMetaArea)
            );
        }
        // Right after the log, or the same offsets on another device: fine.
        assert!(check(area, Regular, Regular, (0, 34 << 20, MB2)).is_ok());
        assert!(check(area, Regular, Regular, (1, 0, MB2)).is_ok());
        // A piece that starts inside and runs past the end: refused.
        assert_eq!(
            check(area, Regular, Regular, (0, 32 << 20, 2 * MB2 + MB2)),
            Err(FmapError::InMetaArea)
        );
        // Below the minimal area even when the log's length is unknown.
        assert_eq!(
            check(MetaArea::MINIMAL, Regular, Regular, (0, 8 << 20, MB2)),
            Err(FmapError::InMetaArea)
        );
    }

    #[test]
    fn file_types_match_roles() {
        use FamfsFileType::*;
        let area = MetaArea::MINIMAL;
        // A regular file whose map says log or superblock, and back.
        assert_eq!(
            check(area, Log, Regular, (0, 20 << 20, MB2)),
            Err(FmapError::WrongFileType)
        );
        assert_eq!(
            check(area, Superblock, Regular, (0, 0, MB2)),
            Err(FmapError::WrongFileType)
        );
        assert_eq!(
            check(area, Regular, Log, (0, MB2, 8 << 20)),
            Err(FmapError::WrongFileType)
        );
        assert_eq!(
            check(area, Log, Superblock, (0, 0, MB2)),
            Err(FmapError::WrongFileType)
        );
        // The .meta files inside the area, and not outside it.
        assert!(check(area, Superblock, Superblock, (0, 0, MB2)).is_ok());
        assert!(check(area, Log, Log, (0, MB2, 8 << 20)).is_ok());
        assert_eq!(
            check(area, Log, Log, (0, MB2, 16 << 20)),
            Err(FmapError::OutsideMetaArea)
        );
        assert_eq!(
            check(area, Log, Log, (1, MB2, 8 << 20)),
            Err(FmapError::OutsideMetaArea)
        );
    }
}
