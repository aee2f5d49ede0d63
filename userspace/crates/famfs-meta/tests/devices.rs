// SPDX-License-Identifier: GPL-2.0
//! Files on secondary devices: strips spread over several devices, each
//! device's space accounted for on its own, and clear refusals for
//! devices that are not in the log or not reachable.

mod common;

use std::sync::Arc;

use common::*;
use famfs_meta::alloc::{AllocError, Allocator, InterleaveParams};
use famfs_meta::{fsck, DaxdevInfo, Layout, Media, MetaError, NodeKind, SparseMedia};
use famfs_omf::{Extent, Fmap, ALLOC_UNIT};

const PRIMARY: u64 = 1 << 30;
const SECONDARY: u64 = 256 << 20;

fn two_devices() -> Vec<DaxdevInfo> {
    vec![
        DaxdevInfo {
            index: 0,
            uuid: uuid::Uuid::from_u128(1),
            size: PRIMARY,
            reserved: 10 << 20,
        },
        DaxdevInfo {
            index: 1,
            uuid: uuid::Uuid::from_u128(2),
            size: SECONDARY,
            reserved: 2 << 20,
        },
    ]
}

fn params(nstrips: u32, nbuckets: u32) -> InterleaveParams {
    InterleaveParams {
        nstrips,
        chunk_size: ALLOC_UNIT,
        nbuckets,
    }
}

fn strips(f: Fmap) -> Vec<Extent> {
    match f {
        Fmap::Interleaved(ie) => ie[0].strips.clone(),
        Fmap::Simple(_) => panic!("not interleaved"),
    }
}

#[test]
fn strips_alternate_devices_each_in_its_own_bucket() {
    let mut a = Allocator::new(&two_devices(), &[PRIMARY, SECONDARY]);
    let (free0, free1) = (a.free_bytes(0), a.free_bytes(1));
    // 64 MiB over 4 strips: 16 MiB each, two per device.
    let s = strips(
        a.alloc_interleaved(&[0, 1], 64 << 20, params(4, 4))
            .unwrap(),
    );
    let devs: Vec<u64> = s.iter().map(|e| e.devindex).collect();
    assert_eq!(devs, [0, 1, 0, 1]);
    assert!(s.iter().all(|e| e.len == 16 << 20));
    let bucket = |e: &Extent| {
        let size = if e.devindex == 0 { PRIMARY } else { SECONDARY };
        e.offset / (size / 4)
    };
    // The emptiest buckets: bucket 0 of each device holds its superblock
    // (and the primary's log), so buckets 1 and 2 come first.
    assert_eq!(s[0].offset, PRIMARY / 4);
    assert_eq!(s[1].offset, SECONDARY / 4);
    assert_eq!((bucket(&s[2]), bucket(&s[3])), (2, 2));
    assert_ne!(bucket(&s[0]), bucket(&s[2]));
    assert_ne!(bucket(&s[1]), bucket(&s[3]));
    assert_eq!(a.free_bytes(0), free0 - (32 << 20));
    assert_eq!(a.free_bytes(1), free1 - (32 << 20));
    // A second file does not overlap the first on either device.
    let t = strips(a.alloc_interleaved(&[1, 0], 8 << 20, params(2, 2)).unwrap());
    assert_eq!(t[0].devindex, 1);
    assert_eq!(t[1].devindex, 0);
    for n in &t {
        for o in s.iter().filter(|o| o.devindex == n.devindex) {
            assert!(n.offset >= o.offset + o.len || o.offset >= n.offset + n.len);
        }
    }
}

#[test]
fn a_full_device_fails_the_whole_file_and_takes_nothing() {
    let mut a = Allocator::new(&two_devices(), &[PRIMARY, SECONDARY]);
    a.alloc_simple(1, SECONDARY - (4 << 20)).unwrap();
    assert_eq!(a.free_bytes(1), 2 << 20);
    let free0 = a.free_bytes(0);
    match a.alloc_interleaved(&[0, 1], 16 << 20, params(2, 2)) {
        Err(AllocError::NoSpace { dev: 1, .. }) => {}
        other => panic!("{other:?}"),
    }
    assert_eq!(a.free_bytes(0), free0, "device 0 untouched");
    assert_eq!(
        a.alloc_interleaved(&[0, 2], 1, params(2, 2)),
        Err(AllocError::NoDevice(2))
    );
    assert_eq!(a.free_bytes(0), free0);
    match a.alloc_interleaved(&[0, 1], 1, params(1, 1)) {
        Err(AllocError::BadParams(m)) => assert!(m.contains("2 devices"), "{m}"),
        other => panic!("{other:?}"),
    }
    // Buckets are cut per device: 256 MiB strips overflow the secondary's.
    match a.alloc_interleaved(&[0, 1], 512 << 20, params(2, 2)) {
        Err(AllocError::BadParams(m)) => assert!(m.contains("device 1"), "{m}"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn files_on_a_secondary_replay_read_back_and_fsck_clean() {
    let (m, mut fs) = fresh();
    let sec: Arc<dyn Media> = Arc::new(SparseMedia::new(SECONDARY, "second"));
    fs.begin()
        .unwrap()
        .add_daxdev(sec.clone(), "second")
        .unwrap();
    let striped = Layout::Interleaved {
        devices: vec![0, 1],
        params: params(2, 2),
    };
    let ino = fs.creat("s", 9 << 20, ATTRS, striped.clone()).unwrap();
    let one = fs
        .creat("one", 3 << 20, ATTRS, Layout::Simple { devindex: 1 })
        .unwrap();
    let data: Vec<u8> = (0..9u32 << 20).map(|i| (i / 4093) as u8).collect();
    fs.write_file(ino, 0, &data).unwrap();
    fs.write_file(one, 0, &[5u8; 4096]).unwrap();
    // Another process replays the same layout and reads through it.
    let mut other = open_as(&m, MASTER);
    other.attach_device(sec.clone()).unwrap();
    let node = other.namespace().get(ino).unwrap();
    let NodeKind::File { fmap, .. } = &node.kind else {
        panic!()
    };
    let devs: Vec<u64> = fmap.ranges().iter().map(|r| r.devindex).collect();
    assert_eq!(devs, [0, 1]);
    let mut back = vec![0u8; data.len()];
    other.read_file(ino, 0, &mut back).unwrap();
    assert!(back == data, "striped data reads back");
    // Space on device 1 is accounted for across processes.
    let free1 = other.allocator().free_bytes(1);
    assert_eq!(free1, SECONDARY - (2 << 20) - (6 << 20) - (4 << 20));
    let report = fsck(m.clone());
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.devices.len(), 2);
    // Out of room on device 1: the error says so, nothing is logged.
    let before = other.replay().next_index;
    let e = other
        .creat("big", SECONDARY, ATTRS, Layout::Simple { devindex: 1 })
        .unwrap_err();
    assert!(matches!(e, MetaError::NoSpace { devindex: 1, .. }), "{e}");
    assert!(e.to_string().contains("on device 1"), "{e}");
    assert_eq!(other.replay().next_index, before);
}

#[test]
fn unknown_or_absent_devices_are_refused_with_a_way_out() {
    let (m, mut fs) = fresh();
    let e = fs
        .creat("x", 1, ATTRS, Layout::Simple { devindex: 1 })
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("no device with index 1") && e.contains("adddev"),
        "{e}"
    );
    let sec: Arc<dyn Media> = Arc::new(SparseMedia::new(SECONDARY, "second"));
    fs.begin().unwrap().add_daxdev(sec, "second").unwrap();
    // A process without the secondary: found in the log, not reachable.
    let mut other = open_as(&m, MASTER);
    let layout = Layout::Interleaved {
        devices: vec![0, 1],
        params: params(2, 2),
    };
    let e = other.creat("x", 1, ATTRS, layout).unwrap_err().to_string();
    assert!(e.contains("device 1") && e.contains("--daxdev"), "{e}");
    let e = other
        .creat("x", 1, ATTRS, Layout::Simple { devindex: 7 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("no device with index 7"), "{e}");
    assert_eq!(other.replay().next_index, 1, "only the ADD_DAXDEV entry");
    assert!(fsck(m).is_clean());
}
