// SPDX-License-Identifier: GPL-2.0
//! Properties of the format: every encodable record decodes to itself, and
//! no byte string makes a decoder panic.

use famfs_omf::*;
use proptest::prelude::*;
use uuid::Uuid;

fn path() -> impl Strategy<Value = String> {
    proptest::collection::vec("[a-zA-Z0-9_.-]{1,12}", 1..5)
        .prop_map(|v| v.join("/"))
        .prop_filter("no . or ..", |p| {
            p.split('/').all(|c| c != "." && c != "..")
        })
        .prop_filter("fits", |p| p.len() < RELPATH_LEN)
}

fn extent() -> impl Strategy<Value = Extent> {
    (0u64..4, any::<u64>(), any::<u64>()).prop_map(|(devindex, offset, len)| Extent {
        devindex,
        offset,
        len,
    })
}

fn fmap() -> impl Strategy<Value = Fmap> {
    prop_oneof![
        proptest::collection::vec(extent(), 0..=MAX_SIMPLE_EXTENTS).prop_map(Fmap::Simple),
        (
            any::<u64>(),
            proptest::collection::vec(extent(), 1..=MAX_STRIPS)
        )
            .prop_map(|(chunk_size, strips)| Fmap::Interleaved(vec![Interleave {
                chunk_size,
                strips
            }])),
    ]
}

fn record() -> impl Strategy<Value = LogRecord> {
    prop_oneof![
        (path(), any::<u64>(), any::<(u32, u32, u32, u32)>(), fmap()).prop_map(
            |(path, size, (flags, uid, gid, mode), fmap)| LogRecord::File(FileCreation {
                path,
                size,
                flags,
                uid,
                gid,
                mode,
                fmap
            })
        ),
        (path(), any::<(u32, u32, u32)>()).prop_map(|(path, (uid, gid, mode))| {
            LogRecord::Mkdir(MkdirRecord {
                path,
                uid,
                gid,
                mode,
            })
        }),
        Just(LogRecord::Delete),
        (any::<u64>(), any::<u128>(), any::<u32>()).prop_map(|(size, u, index)| {
            LogRecord::AddDaxdev(AddDaxdev {
                size,
                uuid: Uuid::from_u128(u),
                index,
            })
        }),
    ]
}

proptest! {
    #[test]
    fn records_round_trip(seq in any::<u64>(), rec in record()) {
        let e = OmfLogEntry::encode(seq, &rec).unwrap();
        prop_assert_eq!(e.seqnum.get(), seq);
        prop_assert_eq!(e.decode().unwrap(), rec);
    }

    #[test]
    fn entry_decode_never_panics(bytes in proptest::collection::vec(any::<u8>(), 0..600), fix_crc in any::<bool>()) {
        let mut bytes = bytes;
        if fix_crc && bytes.len() >= OmfLogEntry::SIZE {
            let crc = u64::from(crc32fast::hash(&bytes[..536]));
            bytes[536..544].copy_from_slice(&crc.to_le_bytes());
        }
        if let Ok(e) = OmfLogEntry::view(&bytes) {
            if let Ok(LogRecord::File(f)) = e.decode() {
                let _ = f.fmap.check(f.size);
                let _ = f.fmap.resolve(f.size / 2);
                let _ = f.fmap.segments(f.size.min(1 << 24));
            }
        }
    }

    #[test]
    fn superblock_and_header_parse_never_panic(bytes in proptest::collection::vec(any::<u8>(), 0..260)) {
        let _ = OmfSuperblock::parse(&bytes);
        let _ = OmfLogHeader::parse(&bytes);
    }

    #[test]
    fn resolve_stays_inside_the_extents(f in fmap(), off in any::<u64>()) {
        if let Some((dev, at, contig)) = f.resolve(off) {
            prop_assert!(contig > 0);
            let inside = f.ranges().iter().any(|r| {
                r.devindex == dev
                    && at >= r.offset
                    && r.end().is_some_and(|e| at.checked_add(contig).is_some_and(|x| x <= e))
            });
            prop_assert!(inside, "{off:#x} -> {dev}:{at:#x}+{contig:#x} outside {f:?}");
        }
    }
}
