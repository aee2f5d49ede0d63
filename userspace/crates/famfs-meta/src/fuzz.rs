// SPDX-License-Identifier: GPL-2.0
//! The fuzzing entry point: arbitrary bytes as a superblock and a log,
//! through fsck, open (replay), and creat/mkdir on top.
//!
//! Input layout: one flags byte, then the 200 superblock bytes, then the
//! log (header and entries). The flags ask the harness to repair CRCs (and
//! to keep `next_index` within the given entries) so that mutated inputs
//! reach past the checksums into the decoders, replay and allocator.
//!
//! Oracle, beyond "no panic": a file system that fsck finds clean must
//! still be clean after a successful mkdir and creat on it.

use std::sync::Arc;

use famfs_omf::{OmfLogEntry, OmfLogHeader, OmfSuperblock, LOG_OFFSET};
use zerocopy::FromBytes;

use crate::fs::{Attrs, Famfs, Layout};
use crate::media::{Media, SparseMedia};
use crate::store::MetaStore;
use crate::{fsck, InterleaveParams};

/// Flag: recompute the superblock CRC.
pub const FIX_SB_CRC: u8 = 1;
/// Flag: recompute the log header CRC.
pub const FIX_HEADER_CRC: u8 = 2;
/// Flag: recompute every entry's CRC.
pub const FIX_ENTRY_CRCS: u8 = 4;
/// Flag: clamp `next_index` to the entries present (plus two).
pub const CLAMP_NEXT: u8 = 8;
/// Flag: try writes (mkdir, creat) after replay.
pub const TRY_WRITES: u8 = 16;

/// Size of the virtual device fuzz inputs are placed on.
pub const FUZZ_DEVICE_SIZE: u64 = 1 << 30;
const SB_LEN: usize = size_of::<OmfSuperblock>();

/// Build the fuzz input that encodes `image`'s superblock and first
/// `entries` log slots (for seeding a corpus from real images).
pub fn input_from_media(media: &dyn Media, entries: u64, flags: u8) -> Vec<u8> {
    let mut sb = vec![0u8; SB_LEN];
    let log_len = OmfLogHeader::SIZE + entries as usize * OmfLogEntry::SIZE;
    let mut log = vec![0u8; log_len];
    let _ = media.read_at(0, &mut sb);
    let _ = media.read_at(LOG_OFFSET, &mut log);
    let mut out = vec![flags];
    out.extend_from_slice(&sb);
    out.extend_from_slice(&log);
    out
}

/// How far an input got: a fuzzer stuck at the checksums is useless, so
/// the bounded run checks that inputs reach replay and the allocator.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Depth {
    /// Rejected before the superblock was accepted.
    Nothing,
    /// fsck accepted the superblock and the log header.
    Parsed,
    /// Opened: the log was replayed and the allocator built.
    Replayed,
    /// At least one mkdir or creat succeeded on it.
    Wrote,
}

/// Run one input. Panics only when the oracle is violated (a bug).
pub fn fuzz_one(data: &[u8]) -> Depth {
    let Some((&flags, rest)) = data.split_first() else {
        return Depth::Nothing;
    };
    let (sb_bytes, log_bytes) = rest.split_at(rest.len().min(SB_LEN));
    let mut sb = sb_bytes.to_vec();
    let mut log = log_bytes.to_vec();
    sb.resize(SB_LEN, 0);
    if flags & FIX_SB_CRC != 0 {
        if let Ok(s) = OmfSuperblock::mut_from_bytes(&mut sb[..]) {
            s.seal();
        }
    }
    fix_log(&mut log, flags);
    let media = Arc::new(SparseMedia::new(FUZZ_DEVICE_SIZE, "fuzz-image"));
    let placed = media
        .write_at(0, &sb)
        .and_then(|_| media.write_at(LOG_OFFSET, &log));
    if placed.is_err() {
        return Depth::Nothing;
    }
    let whole: Arc<dyn Media> = media;
    let before = fsck(whole.clone());
    if before.superblock.is_none() || before.log.is_none() {
        return Depth::Nothing;
    }
    let Ok(store) = MetaStore::on_media(whole.clone()) else {
        return Depth::Parsed;
    };
    let Ok(sbv) = store.superblock() else {
        return Depth::Parsed;
    };
    let Ok(mut fs) = Famfs::open(store, whole.clone(), sbv.system_uuid()) else {
        return Depth::Parsed;
    };
    if flags & TRY_WRITES == 0 {
        return Depth::Replayed;
    }
    let attrs = Attrs {
        mode: 0o644,
        uid: 0,
        gid: 0,
    };
    let mut wrote = fs.mkdir("fuzz-dir", attrs, true).is_ok();
    wrote |= fs
        .creat("fuzz-dir/f", 3 << 20, attrs, Layout::default())
        .is_ok();
    let params = InterleaveParams {
        nstrips: 2,
        chunk_size: 2 << 20,
        nbuckets: 4,
    };
    let layout = Layout::Interleaved {
        devices: vec![0],
        params,
    };
    wrote |= fs.creat("fuzz-dir/s", 9 << 20, attrs, layout).is_ok();
    if !wrote {
        return Depth::Replayed;
    }
    if before.is_clean() {
        let after = fsck(whole);
        assert!(
            after.is_clean(),
            "clean file system became unclean after writes: {:?}",
            after.findings
        );
    }
    Depth::Wrote
}

fn fix_log(log: &mut [u8], flags: u8) {
    if log.len() < OmfLogHeader::SIZE {
        return;
    }
    let present = ((log.len() - OmfLogHeader::SIZE) / OmfLogEntry::SIZE) as u64;
    if flags & FIX_ENTRY_CRCS != 0 {
        for slot in log[OmfLogHeader::SIZE..].chunks_exact_mut(OmfLogEntry::SIZE) {
            if let Ok(e) = OmfLogEntry::mut_from_bytes(slot) {
                e.crc = e.computed_crc().into();
            }
        }
    }
    let Ok((h, _)) = OmfLogHeader::mut_from_prefix(&mut log[..]) else {
        return;
    };
    if flags & CLAMP_NEXT != 0 && h.next_index.get() > present + 2 {
        h.next_index = (present + 2).into();
    }
    if flags & FIX_HEADER_CRC != 0 {
        h.crc = h.computed_crc().into();
    }
}

use core::mem::size_of;
