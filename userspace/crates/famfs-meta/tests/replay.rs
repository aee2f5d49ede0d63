// SPDX-License-Identifier: GPL-2.0
//! Round trips through the log: what is created is what replay sees, on
//! this handle, on a fresh one, and incrementally on a second one.

mod common;

use common::*;
use famfs_meta::{InterleaveParams, Layout, MetaError, NodeKind, ROOT_INO};
use famfs_omf::Fmap;

#[test]
fn creat_and_mkdir_replay_identically() {
    let (m, mut fs) = fresh();
    fs.mkdir("a/b", ATTRS, true).unwrap();
    let f1 = fs
        .creat("a/b/f1", 5 << 20, ATTRS, Layout::default())
        .unwrap();
    let params = InterleaveParams {
        nstrips: 3,
        chunk_size: 4 << 20,
        nbuckets: 6,
    };
    fs.creat(
        "a/s",
        30 << 20,
        ATTRS,
        Layout::Interleaved {
            devices: vec![0],
            params,
        },
    )
    .unwrap();

    let again = open_as(&m, CLIENT);
    let (a, b) = (fs.namespace(), again.namespace());
    assert_eq!(a.nodes().len(), b.nodes().len());
    for (x, y) in a.nodes().iter().zip(b.nodes()) {
        assert_eq!(
            (x.ino, &x.path, x.mode, x.uid, x.gid),
            (y.ino, &y.path, y.mode, y.uid, y.gid)
        );
    }
    let n = again.namespace().lookup("/a/b/f1/").unwrap();
    assert_eq!(n.ino, f1);
    let NodeKind::File { size, fmap, .. } = &n.kind else {
        panic!("not a file")
    };
    assert_eq!(*size, 5 << 20);
    assert_eq!(fmap.data_bytes(), 6 << 20, "rounded up to 2 MiB units");
    let s = again.namespace().lookup("a/s").unwrap();
    let NodeKind::File {
        fmap: Fmap::Interleaved(ie),
        ..
    } = &s.kind
    else {
        panic!()
    };
    assert_eq!(ie[0].strips.len(), 3);
    assert_eq!(
        ie[0].strips[0].len,
        12 << 20,
        "30 MiB over 3 strips of 4 MiB chunks"
    );
    assert!(
        again.replay().findings.is_empty(),
        "{:?}",
        again.replay().findings
    );
    // Lookup by inode, as a FUSE server would.
    let a_ino = again.namespace().lookup_child(ROOT_INO, "a").unwrap().ino;
    let names: Vec<_> = again
        .namespace()
        .children(a_ino)
        .map(|n| n.name().to_owned())
        .collect();
    assert_eq!(names, ["b", "s"]);
}

#[test]
fn replay_is_incremental() {
    let (m, mut writer) = fresh();
    let mut reader = open_as(&m, CLIENT);
    assert_eq!(reader.refresh().unwrap(), 0);
    writer.mkdir("d", ATTRS, false).unwrap();
    writer.creat("d/x", 1, ATTRS, Layout::default()).unwrap();
    assert_eq!(reader.refresh().unwrap(), 2);
    assert!(reader.namespace().lookup("d/x").is_some());
    assert_eq!(reader.refresh().unwrap(), 0);
    assert_eq!(reader.replay().next_index, 2);
}

#[test]
fn data_round_trips_through_fmaps() {
    let (_m, mut fs) = fresh();
    let params = InterleaveParams {
        nstrips: 4,
        chunk_size: 2 << 20,
        nbuckets: 4,
    };
    let ino = fs
        .creat(
            "s",
            17 << 20,
            ATTRS,
            Layout::Interleaved {
                devices: vec![0],
                params,
            },
        )
        .unwrap();
    let data: Vec<u8> = (0..17u32 << 20).map(|i| (i * 7 + i / 4096) as u8).collect();
    fs.write_file(ino, 0, &data).unwrap();
    let mut back = vec![0u8; data.len()];
    fs.read_file(ino, 0, &mut back).unwrap();
    assert!(back == data);
    let mut part = vec![0u8; 3 << 20];
    fs.read_file(ino, (5 << 20) + 3, &mut part).unwrap();
    assert!(part[..] == data[(5 << 20) + 3..(8 << 20) + 3]);
    assert!(matches!(
        fs.read_file(ino, 17 << 20, &mut [0u8; 1]),
        Err(MetaError::BadRequest { .. })
    ));
}

#[test]
fn namespace_errors_name_the_path() {
    let (_m, mut fs) = fresh();
    fs.creat("f", 1, ATTRS, Layout::default()).unwrap();
    let e = fs.creat("f", 1, ATTRS, Layout::default()).unwrap_err();
    assert!(matches!(e, MetaError::Exists { .. }), "{e}");
    assert!(e.to_string().contains("f: already exists"));
    let e = fs.creat("nope/g", 1, ATTRS, Layout::default()).unwrap_err();
    assert!(e.to_string().contains("nope: no such file"), "{e}");
    let e = fs.creat("f/g", 1, ATTRS, Layout::default()).unwrap_err();
    assert!(e.to_string().contains("not a directory"), "{e}");
    let e = fs.mkdir("a/../b", ATTRS, true).unwrap_err();
    assert!(e.to_string().contains("'..'"), "{e}");
    let long = "x".repeat(80);
    assert!(fs.mkdir(&long, ATTRS, false).is_err());
    fs.mkdir("p/q", ATTRS, true).unwrap();
    fs.mkdir("p/q", ATTRS, true).unwrap();
    assert!(fs.mkdir("p/q", ATTRS, false).is_err());
    assert!(fs.mkdir("f/x", ATTRS, true).is_err());
}

#[test]
fn secondary_devices_are_found_by_uuid() {
    let (m, mut fs) = fresh();
    let sec: std::sync::Arc<dyn famfs_meta::Media> =
        std::sync::Arc::new(famfs_meta::SparseMedia::new(1 << 30, "second"));
    let idx = fs
        .begin()
        .unwrap()
        .add_daxdev(sec.clone(), "second")
        .unwrap();
    assert_eq!(idx, 1);
    let ino = fs
        .creat("on1", 4 << 20, ATTRS, Layout::Simple { devindex: 1 })
        .unwrap();
    fs.write_file(ino, 0, &[9u8; 4096]).unwrap();
    // Another host: the primary alone cannot reach the data...
    let mut other = open_as(&m, CLIENT);
    assert_eq!(other.replay().devices.len(), 2);
    assert!(other.read_file(ino, 0, &mut [0u8; 1]).is_err());
    // ...until the secondary is attached, whatever its name there.
    let sec2 = sec.clone();
    assert_eq!(other.attach_device(sec).unwrap(), 1);
    let mut b = [0u8; 4096];
    other.read_file(ino, 0, &mut b).unwrap();
    assert_eq!(b, [9u8; 4096]);
    assert!(famfs_meta::fsck(m).is_clean());
    let r = famfs_meta::fsck(sec2);
    assert!(
        r.findings[0].message.contains("secondary device"),
        "{:?}",
        r.findings
    );
}
