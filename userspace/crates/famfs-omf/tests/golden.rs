// SPDX-License-Identifier: GPL-2.0
//! Golden bytes: each structure is built here field by field from the
//! offsets in famfs-facts.md §2 (not from the Rust types), then compared
//! with what the types encode.

use famfs_omf::*;
use uuid::Uuid;
use zerocopy::IntoBytes;

fn put(buf: &mut [u8], off: usize, bytes: &[u8]) {
    buf[off..off + bytes.len()].copy_from_slice(bytes);
}

fn uuids() -> (Uuid, Uuid, Uuid) {
    (
        Uuid::from_u128(0x0011_2233_4455_6677_8899_aabb_ccdd_eeff),
        Uuid::from_u128(0x1021_3243_5465_7687_98a9_bacb_dced_fe0f),
        Uuid::from_u128(0xfeed_face_dead_beef_0102_0304_0506_0708),
    )
}

#[test]
fn superblock_matches_table() {
    let (fs, dev, sys) = uuids();
    let sb = OmfSuperblock::new(
        SbRole::Primary,
        fs,
        dev,
        sys,
        0x1_0000_0000,
        "dax0.0",
        LOG_LEN_DEFAULT,
    );
    let mut want = [0u8; 200];
    put(&mut want, 0, &0x87b2_82ffu64.to_le_bytes());
    put(&mut want, 8, &48u64.to_le_bytes());
    put(&mut want, 16, &0x20_0000u64.to_le_bytes());
    put(&mut want, 24, &0x80_0000u64.to_le_bytes());
    put(&mut want, 32, &0x20_0000u64.to_le_bytes());
    put(&mut want, 40, &2u32.to_le_bytes());
    put(&mut want, 44, &2u32.to_le_bytes());
    put(&mut want, 48, fs.as_bytes());
    put(&mut want, 64, dev.as_bytes());
    put(&mut want, 80, sys.as_bytes());
    let crc = crc32fast::hash(&want[..96]) as u64;
    put(&mut want, 96, &crc.to_le_bytes());
    put(&mut want, 104, &1u32.to_le_bytes());
    put(&mut want, 112, &0x1_0000_0000u64.to_le_bytes());
    put(&mut want, 120, dev.as_bytes());
    put(&mut want, 136, b"dax0.0");
    assert_eq!(sb.as_bytes(), &want[..]);
    let parsed = OmfSuperblock::parse(&want).unwrap();
    assert_eq!(parsed.fs_uuid(), fs);
    assert_eq!(parsed.system_uuid(), sys);
    assert_eq!(parsed.dev_name(), "dax0.0");
    assert_eq!(parsed.role(), SbRole::Primary);
}

#[test]
fn superblock_detects_damage() {
    let (fs, dev, sys) = uuids();
    let sb = OmfSuperblock::new(SbRole::Primary, fs, dev, sys, 1 << 32, "x", LOG_LEN_DEFAULT);
    let good = sb.as_bytes().to_vec();
    for i in 0..96 {
        let mut b = good.clone();
        b[i] ^= 0x40;
        assert!(OmfSuperblock::parse(&b).is_err(), "flip at {i} not caught");
    }
    let mut b = good.clone();
    b[0] ^= 1;
    assert!(matches!(
        OmfSuperblock::parse(&b),
        Err(OmfError::BadMagic { .. })
    ));
    let mut b = good;
    b[50] ^= 1;
    assert!(matches!(
        OmfSuperblock::parse(&b),
        Err(OmfError::BadCrc { .. })
    ));
    assert!(matches!(
        OmfSuperblock::parse(&[0u8; 10]),
        Err(OmfError::Truncated { .. })
    ));
}

/// A superblock as upstream's mkfs leaves it: `ts_sb_flags`, bytes
/// 108..112 and `dd_uuid` never written, so 0 on clean media or whatever
/// was there before (none of it CRC-covered).
fn upstream_style(fill: u8) -> Vec<u8> {
    let (fs, dev, sys) = uuids();
    let sb = OmfSuperblock::new(SbRole::Primary, fs, dev, sys, 1 << 32, "x", LOG_LEN_DEFAULT);
    let mut b = sb.as_bytes().to_vec();
    b[104..112].fill(fill);
    b[120..136].fill(fill);
    b
}

#[test]
fn superblock_as_upstream_writes_it_is_a_primary() {
    for fill in [0x00, 0xa5, 0xff] {
        let b = upstream_style(fill);
        let sb = OmfSuperblock::parse(&b).unwrap_or_else(|e| panic!("fill {fill:#x}: {e}"));
        assert_eq!(sb.role(), SbRole::Primary, "fill {fill:#x}");
    }
    // Only the secondary marker makes a secondary.
    let mut b = upstream_style(0);
    b[104] = 2;
    assert_eq!(OmfSuperblock::parse(&b).unwrap().role(), SbRole::Secondary);
}

#[test]
fn superblock_versions_and_units_upstream_accepts() {
    let reseal = |b: &mut Vec<u8>| {
        let crc = crc32fast::hash(&b[..96]) as u64;
        b[96..104].copy_from_slice(&crc.to_le_bytes());
    };
    // Alloc unit 4 KiB: accepted (upstream accepts it), reported by value.
    let mut b = upstream_style(0);
    b[32..40].copy_from_slice(&4096u64.to_le_bytes());
    reseal(&mut b);
    assert_eq!(OmfSuperblock::parse(&b).unwrap().alloc_unit(), 4096);
    // Any other unit is refused.
    b[32..40].copy_from_slice(&8192u64.to_le_bytes());
    reseal(&mut b);
    assert!(matches!(
        OmfSuperblock::parse(&b),
        Err(OmfError::BadGeometry { .. })
    ));
    // Another OMF minor: accepted; another major or ts_version: refused.
    let mut b = upstream_style(0);
    b[44..48].copy_from_slice(&7u32.to_le_bytes());
    reseal(&mut b);
    assert_eq!(OmfSuperblock::parse(&b).unwrap().omf_version(), (2, 7));
    b[40..44].copy_from_slice(&3u32.to_le_bytes());
    reseal(&mut b);
    assert!(matches!(
        OmfSuperblock::parse(&b),
        Err(OmfError::BadVersion { .. })
    ));
    let mut b = upstream_style(0);
    b[8..16].copy_from_slice(&47u64.to_le_bytes());
    reseal(&mut b);
    assert!(matches!(
        OmfSuperblock::parse(&b),
        Err(OmfError::BadVersion { .. })
    ));
}

#[test]
fn log_header_matches_table() {
    let h = OmfLogHeader::new(LOG_LEN_DEFAULT);
    let mut want = [0u8; 48];
    put(&mut want, 0, &0x0bad_cafe_f00du64.to_le_bytes());
    put(&mut want, 8, &0x80_0000u64.to_le_bytes());
    put(&mut want, 16, &15_419u64.to_le_bytes());
    let crc = crc32fast::hash(&want[..24]) as u64;
    put(&mut want, 24, &crc.to_le_bytes());
    assert_eq!(h.as_bytes(), &want[..]);
    assert_eq!(log_slots(LOG_LEN_DEFAULT), 15_420);
    assert_eq!(OmfLogHeader::parse(&want).unwrap().slots(), 15_420);
}

#[test]
fn file_entry_matches_table() {
    let rec = LogRecord::File(FileCreation {
        path: "dir/file".into(),
        size: 0x30_0000,
        flags: 2,
        uid: 1000,
        gid: 100,
        mode: 0o644,
        fmap: Fmap::Simple(vec![
            Extent {
                devindex: 0,
                offset: 0xa0_0000,
                len: 0x20_0000,
            },
            Extent {
                devindex: 1,
                offset: 0x40_0000,
                len: 0x20_0000,
            },
        ]),
    });
    let e = OmfLogEntry::encode(7, &rec).unwrap();
    let mut want = [0u8; 544];
    put(&mut want, 0, &7u64.to_le_bytes());
    put(&mut want, 8, &0u32.to_le_bytes());
    let b = 16;
    put(&mut want, b, &0x30_0000u64.to_le_bytes());
    put(&mut want, b + 8, &2u32.to_le_bytes());
    put(&mut want, b + 12, &1000u32.to_le_bytes());
    put(&mut want, b + 16, &100u32.to_le_bytes());
    put(&mut want, b + 20, &0o644u32.to_le_bytes());
    put(&mut want, b + 24, b"dir/file");
    let f = b + 104;
    put(&mut want, f, &0u32.to_le_bytes());
    put(&mut want, f + 8, &2u32.to_le_bytes());
    put(&mut want, f + 16, &0u64.to_le_bytes());
    put(&mut want, f + 24, &0xa0_0000u64.to_le_bytes());
    put(&mut want, f + 32, &0x20_0000u64.to_le_bytes());
    put(&mut want, f + 40, &1u64.to_le_bytes());
    put(&mut want, f + 48, &0x40_0000u64.to_le_bytes());
    put(&mut want, f + 56, &0x20_0000u64.to_le_bytes());
    let crc = crc32fast::hash(&want[..536]) as u64;
    put(&mut want, 536, &crc.to_le_bytes());
    assert_eq!(e.as_bytes(), &want[..]);
    assert_eq!(OmfLogEntry::view(&want).unwrap().decode().unwrap(), rec);
}

#[test]
fn interleaved_entry_matches_table() {
    let strips: Vec<Extent> = (0..3)
        .map(|i| Extent {
            devindex: 0,
            offset: (10 + i) << 21,
            len: 4 << 21,
        })
        .collect();
    let rec = LogRecord::File(FileCreation {
        path: "striped".into(),
        size: 12 << 21,
        flags: 2,
        uid: 0,
        gid: 0,
        mode: 0o600,
        fmap: Fmap::Interleaved(vec![Interleave {
            chunk_size: 2 << 21,
            strips: strips.clone(),
        }]),
    });
    let e = OmfLogEntry::encode(0, &rec).unwrap();
    let bytes = e.as_bytes();
    let f = 16 + 104;
    let rd = |o: usize| u64::from_le_bytes(bytes[o..o + 8].try_into().unwrap());
    assert_eq!(u32::from_le_bytes(bytes[f..f + 4].try_into().unwrap()), 1);
    assert_eq!(
        u32::from_le_bytes(bytes[f + 8..f + 12].try_into().unwrap()),
        1
    );
    assert_eq!(rd(f + 16), 3, "nstrips");
    assert_eq!(rd(f + 24), 2 << 21, "chunk_size");
    for (i, s) in strips.iter().enumerate() {
        let o = f + 32 + i * 24;
        assert_eq!((rd(o), rd(o + 8), rd(o + 16)), (0, s.offset, s.len));
    }
    assert_eq!(e.decode().unwrap(), rec);
}

#[test]
fn mkdir_and_daxdev_entries_match_table() {
    let rec = LogRecord::Mkdir(MkdirRecord {
        path: "a/b".into(),
        uid: 5,
        gid: 6,
        mode: 0o755,
    });
    let e = OmfLogEntry::encode(3, &rec).unwrap();
    let b = e.as_bytes();
    assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 1);
    assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 5);
    assert_eq!(u32::from_le_bytes(b[20..24].try_into().unwrap()), 6);
    assert_eq!(u32::from_le_bytes(b[24..28].try_into().unwrap()), 0o755);
    assert_eq!(&b[28..32], b"a/b\0");
    assert_eq!(e.decode().unwrap(), rec);

    let uuid = Uuid::from_u128(42);
    let rec = LogRecord::AddDaxdev(AddDaxdev {
        size: 1 << 34,
        uuid,
        index: 1,
    });
    let e = OmfLogEntry::encode(4, &rec).unwrap();
    let b = e.as_bytes();
    assert_eq!(u32::from_le_bytes(b[8..12].try_into().unwrap()), 3);
    assert_eq!(u64::from_le_bytes(b[16..24].try_into().unwrap()), 1 << 34);
    assert_eq!(&b[24..40], uuid.as_bytes());
    assert_eq!(u32::from_le_bytes(b[40..44].try_into().unwrap()), 1);
    assert_eq!(e.decode().unwrap(), rec);
}

#[test]
fn entry_crc_catches_every_flip() {
    let rec = LogRecord::Mkdir(MkdirRecord {
        path: "d".into(),
        uid: 0,
        gid: 0,
        mode: 0o700,
    });
    let good = OmfLogEntry::encode(0, &rec).unwrap().as_bytes().to_vec();
    for i in 0..544 {
        let mut b = good.clone();
        b[i] ^= 0x01;
        assert!(
            OmfLogEntry::view(&b).unwrap().decode().is_err(),
            "flip at {i}"
        );
    }
}

#[test]
fn encode_refuses_what_cannot_be_stored() {
    let long = "x".repeat(80);
    let rec = LogRecord::Mkdir(MkdirRecord {
        path: long,
        uid: 0,
        gid: 0,
        mode: 0,
    });
    assert!(matches!(
        OmfLogEntry::encode(0, &rec),
        Err(OmfError::BadPath(_))
    ));
    let rec = LogRecord::Mkdir(MkdirRecord {
        path: "a/../b".into(),
        uid: 0,
        gid: 0,
        mode: 0,
    });
    assert!(OmfLogEntry::encode(0, &rec).is_err());
    let ext = Extent {
        devindex: 0,
        offset: 0,
        len: 1 << 21,
    };
    let rec = LogRecord::File(FileCreation {
        path: "f".into(),
        size: 1,
        flags: 0,
        uid: 0,
        gid: 0,
        mode: 0,
        fmap: Fmap::Simple(vec![ext; 17]),
    });
    assert!(matches!(
        OmfLogEntry::encode(0, &rec),
        Err(OmfError::BadFmap(_))
    ));
}

#[test]
fn interleave_resolution_follows_the_formula() {
    // 3 strips of 4 chunks each, 2 MiB chunks.
    let c = 2u64 << 20;
    let strips: Vec<Extent> = (0..3)
        .map(|i| Extent {
            devindex: 0,
            offset: (100 + 10 * i) * c,
            len: 4 * c,
        })
        .collect();
    let fmap = Fmap::Interleaved(vec![Interleave {
        chunk_size: c,
        strips: strips.clone(),
    }]);
    assert_eq!(fmap.data_bytes(), 12 * c);
    for off in (0..12 * c).step_by(c as usize / 3) {
        let chunk = off / c;
        let (stripe, strip) = (chunk / 3, (chunk % 3) as usize);
        let want = strips[strip].offset + stripe * c + off % c;
        let (dev, got, contig) = fmap.resolve(off).unwrap();
        assert_eq!((dev, got), (0, want), "offset {off:#x}");
        assert_eq!(contig, c - off % c);
    }
    assert_eq!(fmap.resolve(12 * c), None);
    let segs = fmap.segments(5 * c + 7);
    assert_eq!(segs.len(), 6);
    assert_eq!(segs[5].len, 7);
    assert_eq!(segs.iter().map(|s| s.len).sum::<u64>(), 5 * c + 7);
    assert!(fmap.check(12 * c).is_ok());
    assert!(matches!(
        fmap.check(12 * c + 1),
        Err(FmapProblem::TooSmall { .. })
    ));
}

/// An allocation unit read from damaged media (0, not a power of two)
/// must not panic the check (fsck reads such superblocks unchecked).
#[test]
fn fmap_check_survives_a_bogus_unit() {
    let f = Fmap::Simple(vec![Extent {
        devindex: 0,
        offset: 2 << 20,
        len: 2 << 20,
    }]);
    for unit in [0, 3, 4096, 2 << 20] {
        assert!(f.check_in_units(10, unit).is_ok(), "unit {unit}");
    }
}
