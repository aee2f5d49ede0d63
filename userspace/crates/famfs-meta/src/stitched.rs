// SPDX-License-Identifier: GPL-2.0
//! A whole-device view of a mounted famfs, stitched from the pieces that
//! are reachable while mounted: the `.meta/.superblock` file at offset 0
//! and the `.meta/.log` file at the log offset. Everything else (file
//! data) is only reachable through the mounted files themselves, so
//! accesses there fail with a message that says so.
//!
//! With no pieces at all it is a device of known size and no bytes: what
//! the allocator needs to know about a device it cannot map.

use std::sync::Arc;

use crate::media::Media;
use crate::store::MetaStore;
use crate::MetaError;

/// Device-sized media made of pieces at fixed offsets.
pub struct Stitched {
    len: u64,
    label: String,
    /// (device offset, piece), sorted by offset, not overlapping.
    pieces: Vec<(u64, Arc<dyn Media>)>,
}

impl Stitched {
    /// `len` bytes named `label`, none of them reachable.
    pub fn absent(len: u64, label: &str) -> Self {
        Stitched {
            len,
            label: label.to_owned(),
            pieces: Vec::new(),
        }
    }

    /// Adds `piece` at device offset `off`; refuses overlaps and pieces
    /// that stick out of the device.
    pub fn with(mut self, off: u64, piece: Arc<dyn Media>) -> Result<Self, MetaError> {
        let end = off.checked_add(piece.len()).filter(|&e| e <= self.len);
        let overlaps = self
            .pieces
            .iter()
            .any(|(o, p)| off < o + p.len() && *o < off + piece.len());
        if end.is_none() || overlaps {
            return Err(MetaError::Invalid {
                media: self.label.clone(),
                msg: format!(
                    "{} ({:#x} bytes) does not fit at {off:#x} of {:#x} bytes",
                    piece.name(),
                    piece.len(),
                    self.len
                ),
            });
        }
        self.pieces.push((off, piece));
        self.pieces.sort_by_key(|(o, _)| *o);
        Ok(self)
    }

    /// The piece wholly holding `off..off+len`, and the offset in it.
    fn piece(&self, off: u64, len: usize) -> Result<(&dyn Media, u64), MetaError> {
        let end = off.checked_add(len as u64);
        for (o, p) in &self.pieces {
            if off >= *o && end.is_some_and(|e| e <= o + p.len()) {
                return Ok((p.as_ref(), off - o));
            }
        }
        if !matches!(end, Some(e) if e <= self.len) {
            return Err(MetaError::OutOfRange {
                media: self.label.clone(),
                offset: off,
                len: len as u64,
                size: self.len,
            });
        }
        Err(MetaError::Invalid {
            media: self.label.clone(),
            msg: format!(
                "bytes {off:#x}+{len:#x} are file data, reachable only through the mounted \
                 files (open them under the mount point)"
            ),
        })
    }
}

/// The whole-device view of `store` (a mounted famfs's `.meta` files):
/// superblock at 0, log at its offset, the device's size from the
/// superblock. What fsck reads.
pub fn whole_of(store: &MetaStore) -> Result<Stitched, MetaError> {
    let sb = store.superblock()?;
    Stitched::absent(sb.dev_size(), store.name())
        .with(0, store.sb.clone())?
        .with(sb.log_offset(), store.log.clone())
}

impl Media for Stitched {
    fn len(&self) -> u64 {
        self.len
    }

    fn name(&self) -> String {
        self.label.clone()
    }

    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), MetaError> {
        let (p, at) = self.piece(off, buf.len())?;
        p.read_at(at, buf)
    }

    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), MetaError> {
        let (p, at) = self.piece(off, data.len())?;
        p.write_at(at, data)
    }

    fn sync(&self) -> Result<(), MetaError> {
        self.pieces.iter().try_for_each(|(_, p)| p.sync())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::media::MemMedia;

    #[test]
    fn reads_pieces_and_refuses_the_rest() {
        let a: Arc<dyn Media> = Arc::new(MemMedia::from_vec(vec![1u8; 16], "a"));
        let b: Arc<dyn Media> = Arc::new(MemMedia::from_vec(vec![2u8; 16], "b"));
        let s = Stitched::absent(64, "dev")
            .with(0, a)
            .unwrap()
            .with(32, b)
            .unwrap();
        let mut buf = [0u8; 4];
        s.read_at(34, &mut buf).unwrap();
        assert_eq!(buf, [2; 4]);
        s.read_at(0, &mut buf).unwrap();
        assert_eq!(buf, [1; 4]);
        let e = s.read_at(14, &mut buf).unwrap_err().to_string();
        assert!(e.contains("mounted files"), "{e}");
        assert!(matches!(
            s.read_at(62, &mut buf),
            Err(MetaError::OutOfRange { .. })
        ));
        s.write_at(40, &[9, 9]).unwrap();
        s.read_at(40, &mut buf[..2]).unwrap();
        assert_eq!(&buf[..2], &[9, 9]);
    }

    #[test]
    fn refuses_overlaps() {
        let a: Arc<dyn Media> = Arc::new(MemMedia::from_vec(vec![0u8; 16], "a"));
        let s = Stitched::absent(32, "dev").with(8, a.clone()).unwrap();
        assert!(s.with(16, a.clone()).is_err());
        assert!(Stitched::absent(20, "dev").with(8, a).is_err());
    }
}
