// SPDX-License-Identifier: GPL-2.0
//! The log as a shared, append-only resource: it fills up, only the master
//! writes it, and concurrent appenders neither lose nor duplicate slots.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use common::*;
use famfs_meta::{fsck, mkfs, DaxDevice, Famfs, Layout, MetaError, MkfsOptions, NodeKind};

#[test]
fn log_full_is_a_clear_error() {
    let (m, mut fs) = fresh();
    let slots = famfs_omf::log_slots(famfs_omf::LOG_LEN_DEFAULT);
    assert_eq!(slots, 15_420);
    {
        let mut tx = fs.begin().unwrap();
        for i in 0..slots {
            tx.mkdir(&format!("d{i}"), ATTRS, false).unwrap();
        }
    }
    let e = fs.mkdir("one-more", ATTRS, false).unwrap_err();
    assert!(matches!(e, MetaError::LogFull { slots: 15_420, .. }), "{e}");
    assert!(e.to_string().contains("log full"), "{e}");
    let e = fs.creat("f", 1, ATTRS, Layout::default()).unwrap_err();
    assert!(matches!(e, MetaError::LogFull { .. }));
    // The refused creat's allocation was rolled back.
    assert_eq!(fs.allocator().free_bytes(0), (4 << 30) - (10 << 20));
    let r = fsck(m);
    assert!(r.is_clean(), "{:?}", r.findings);
    assert_eq!(r.directories, 15_420);
}

#[test]
fn client_refuses_to_write() {
    let (m, mut master) = fresh();
    master.mkdir("d", ATTRS, false).unwrap();
    let mut client = open_as(&m, CLIENT);
    assert!(!client.is_master());
    let e = client
        .creat("d/f", 1, ATTRS, Layout::default())
        .unwrap_err();
    let msg = e.to_string();
    assert!(matches!(e, MetaError::NotMaster { .. }));
    assert!(
        msg.contains("is a client") && msg.contains(&CLIENT.to_string()),
        "{msg}"
    );
    assert!(msg.contains(&MASTER.to_string()), "{msg}");
    assert!(client.mkdir("x", ATTRS, true).is_err());
    // Nothing was written.
    assert_eq!(open_as(&m, MASTER).replay().next_index, 1);
    // Reading is fine.
    assert!(client.namespace().lookup("d").is_some());
}

#[test]
fn read_only_files_carry_the_all_hosts_ro_flag() {
    let (m, mut fs) = fresh();
    fs.begin()
        .unwrap()
        .creat_with_flags(
            "ro",
            1,
            ATTRS,
            Layout::default(),
            famfs_meta::FM_ALL_HOSTS_RO,
        )
        .unwrap();
    fs.creat("rw", 1, ATTRS, Layout::default()).unwrap();
    // As every host replays it.
    let client = open_as(&m, CLIENT);
    let flags = |p: &str| match &client.namespace().lookup(p).unwrap().kind {
        NodeKind::File { flags, .. } => *flags,
        NodeKind::Dir { .. } => panic!("{p} is a directory"),
    };
    assert_eq!(flags("ro"), famfs_meta::FM_ALL_HOSTS_RO);
    assert_eq!(flags("rw"), famfs_meta::FM_ALL_HOSTS_RW);
    assert!(fsck(m).is_clean());
}

/// Several threads, each with its own open of the image (own descriptor,
/// so flock really arbitrates), create files at once.
#[test]
fn concurrent_appends_lose_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let img = dir.path().join("fs.img");
    std::fs::File::create(&img)
        .unwrap()
        .set_len(1 << 30)
        .unwrap();
    {
        let dev = DaxDevice::open(&img, true).unwrap();
        mkfs(dev.map.as_ref(), &MkfsOptions::new(MASTER, "fs.img")).unwrap();
    }
    const THREADS: usize = 4;
    const EACH: usize = 25;
    let img = Arc::new(img);
    let handles: Vec<_> = (0..THREADS)
        .map(|t| {
            let img = img.clone();
            std::thread::spawn(move || {
                let mut fs = Famfs::open_path(&img, true, MASTER).unwrap();
                for i in 0..EACH {
                    fs.creat(&format!("t{t}-{i}"), 2 << 20, ATTRS, Layout::default())
                        .unwrap();
                }
            })
        })
        .collect();
    for h in handles {
        h.join().unwrap();
    }
    let fs = Famfs::open_path(&img, false, MASTER).unwrap();
    assert_eq!(fs.replay().next_index, (THREADS * EACH) as u64);
    let (files, _) = fs.namespace().counts();
    assert_eq!(files, THREADS * EACH);
    let mut offsets = HashSet::new();
    for n in fs.namespace().nodes() {
        if let NodeKind::File { fmap, .. } = &n.kind {
            for e in fmap.ranges() {
                assert!(offsets.insert(e.offset), "{} shares space", n.path);
            }
        }
    }
    let dev = DaxDevice::open(&img, false).unwrap();
    let r = fsck(dev.map);
    assert!(r.is_clean(), "{:?}", r.findings);
}

#[test]
fn mkfs_refuses_existing_fs_without_force() {
    let (m, _) = fresh();
    let e = mkfs(m.as_ref(), &MkfsOptions::new(MASTER, "x")).unwrap_err();
    assert!(matches!(e, MetaError::AlreadyFormatted { .. }), "{e}");
    let mut opts = MkfsOptions::new(CLIENT, "x");
    opts.force = true;
    let sb = mkfs(m.as_ref(), &opts).unwrap();
    assert_eq!(sb.system_uuid(), CLIENT);
    assert_eq!(open_as(&m, CLIENT).replay().next_index, 0);
    opts.log_len = 12 << 20;
    assert!(
        mkfs(m.as_ref(), &opts).is_err(),
        "log length not a power of two"
    );
    famfs_meta::kill_superblock(m.as_ref()).unwrap();
    assert!(!fsck(m).is_clean());
}

/// The mounted-mode store: superblock and log as two files (standing in
/// for `<mnt>/.meta/.superblock` and `<mnt>/.meta/.log`), same replay and
/// append code, byte-identical log.
#[test]
fn meta_files_store_is_the_same_log() {
    use famfs_meta::MetaStore;
    let (m, mut fs) = fresh();
    fs.mkdir("before", ATTRS, false).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let meta = dir.path().join(".meta");
    std::fs::create_dir(&meta).unwrap();
    let mut sb = vec![0u8; 2 << 20];
    m.read_at(0, &mut sb).unwrap();
    std::fs::write(meta.join(".superblock"), &sb).unwrap();
    let mut log = vec![0u8; 8 << 20];
    m.read_at(2 << 20, &mut log).unwrap();
    std::fs::write(meta.join(".log"), &log).unwrap();

    let store = MetaStore::on_meta_files(&meta, true).unwrap();
    let mut mounted = Famfs::open(store, m.clone(), MASTER).unwrap();
    assert!(mounted.namespace().lookup("before").is_some());
    mounted
        .creat("before/f", 5 << 20, ATTRS, Layout::default())
        .unwrap();
    drop(mounted);

    // The log file now holds what the raw log would: put it back and fsck.
    let log = std::fs::read(meta.join(".log")).unwrap();
    m.write_at(2 << 20, &log).unwrap();
    let r = fsck(m.clone());
    assert!(r.is_clean(), "{:?}", r.findings);
    assert_eq!(r.files, 1);
    let again = Famfs::open(MetaStore::on_meta_files(&meta, false).unwrap(), m, CLIENT).unwrap();
    assert!(again.namespace().lookup("before/f").is_some());
}
