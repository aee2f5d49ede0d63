// SPDX-License-Identifier: GPL-2.0
//! Mounted mode against a fake mount: a directory whose `.meta/.superblock`
//! and `.meta/.log` hold a real image's bytes, as famfs_rs.ko serves them.
//! The CLI's code appends there, the daemon's refresh (reading the same
//! files through `MountMeta`) picks the entries up, file data goes through
//! files under the "mount", and fsck reads the stitched view.

use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

use famfs_daemon::refresh::Refresher;
use famfs_daemon::snapshot::Snapshot;
use famfs_daemon::source::{MetaSource, MountMeta};
use famfs_meta::store::{LOG_FILE, SB_FILE};
use famfs_meta::{
    fsck, mkfs, stitched, Attrs, Famfs, Layout, Media, MemMedia, MetaStore, MkfsOptions, NodeKind,
};
use famfs_omf::LOG_OFFSET;
use uuid::Uuid;

use crate::cli::{Devices, LayoutArgs};
use crate::data::Data;
use crate::target::{meta_dir, open_meta};

const DEV: u64 = 64 << 20;

/// A fake mount of a fresh 64 MiB famfs whose master is `host`.
fn fake_mount(dir: &Path, host: Uuid) {
    let img = MemMedia::zeroed(DEV as usize, "img");
    mkfs(&img, &MkfsOptions::new(host, "/dev/dax0.0")).unwrap();
    expose_meta(dir, &img);
}

/// What a mount of the famfs on `img` shows in `dir/.meta`.
fn expose_meta(dir: &Path, img: &dyn Media) {
    let sb = famfs_meta::store::read_superblock(img).unwrap();
    let meta = meta_dir(dir);
    std::fs::create_dir_all(&meta).unwrap();
    let mut buf = vec![0u8; LOG_OFFSET as usize];
    img.read_at(0, &mut buf).unwrap();
    std::fs::write(meta.join(SB_FILE), &buf).unwrap();
    let mut log = vec![0u8; sb.log_len() as usize];
    img.read_at(LOG_OFFSET, &mut log).unwrap();
    std::fs::write(meta.join(LOG_FILE), &log).unwrap();
}

fn attrs() -> Attrs {
    Attrs {
        mode: 0o644,
        uid: 0,
        gid: 0,
    }
}

#[test]
fn cli_appends_through_meta_and_the_daemon_refresh_sees_it() {
    let dir = tempfile::tempdir().unwrap();
    let host = Uuid::new_v4();
    fake_mount(dir.path(), host);
    // The daemon side: snapshot from the .meta files, refresh thread on them.
    let source: Arc<dyn MetaSource> = Arc::new(MountMeta::new(dir.path()));
    assert!(
        source.transient(),
        "the daemon must not hold the mount busy"
    );
    let store = source.open().unwrap();
    let (replay, sb) = Snapshot::load(&store).unwrap();
    drop(store);
    let refresher = Refresher::start(
        source.clone(),
        source.open().unwrap(),
        replay,
        sb,
        Duration::from_millis(20),
    )
    .unwrap();
    // The CLI side: mounted mode, devices as sizes only.
    let mut fs = open_meta(&meta_dir(dir.path()), true, host).unwrap();
    fs.mkdir("d", attrs(), false).unwrap();
    let ino = fs
        .creat("d/f", 4 << 20, attrs(), Layout::default())
        .unwrap();
    assert!(
        fs.write_file(ino, 0, b"x").is_err(),
        "no device is mapped while mounted"
    );
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let snap = refresher.wait_fresh(Duration::from_millis(200));
        if snap.replay.ns.lookup("d/f").is_some() {
            break;
        }
        assert!(Instant::now() < deadline, "the refresh never saw d/f");
    }
    // A second CLI process sees it too, and fsck on the stitched view is clean.
    let again = open_meta(&meta_dir(dir.path()), false, host).unwrap();
    assert!(again.namespace().lookup("d/f").is_some());
    let st = MetaStore::on_meta_files(&meta_dir(dir.path()), false).unwrap();
    let report = fsck(Arc::new(stitched::whole_of(&st).unwrap()));
    assert!(report.is_clean(), "{report:?}");
}

#[test]
fn data_goes_through_the_mounted_file() {
    let dir = tempfile::tempdir().unwrap();
    let host = Uuid::new_v4();
    fake_mount(dir.path(), host);
    let mut fs = open_meta(&meta_dir(dir.path()), true, host).unwrap();
    let size = 3 << 20;
    let ino = fs.creat("f", size, attrs(), Layout::default()).unwrap();
    // What the kernel would present: a file of the logged size.
    std::fs::write(dir.path().join("f"), vec![0u8; size as usize]).unwrap();
    let data = Data::Mount(dir.path().to_owned());
    let w = data.open(&fs, ino, "f", true).unwrap();
    crate::creat::randomize(&w, size, 7).unwrap();
    let bytes = std::fs::read(dir.path().join("f")).unwrap();
    assert_eq!(bytes.len() as u64, size, "writes stay inside the file");
    assert_eq!(
        famfs_meta::pattern::Pattern::new(7).first_mismatch(&bytes),
        None
    );
    let r = data.open(&fs, ino, "/f", false).unwrap();
    let mut buf = vec![0u8; 4096];
    r.read_at(size - 4096, &mut buf).unwrap();
    let tail = famfs_meta::pattern::bytes(7, size as usize);
    assert_eq!(&buf[..], &tail[tail.len() - 4096..]);
    assert!(r.read_at(size - 1, &mut buf).is_err(), "past the end");
}

#[test]
fn strips_go_on_secondaries_sized_from_the_log() {
    let dir = tempfile::tempdir().unwrap();
    let host = Uuid::new_v4();
    // The famfs as it was before the mount: a secondary of 32 MiB added.
    let img: Arc<dyn Media> = Arc::new(MemMedia::zeroed(DEV as usize, "img"));
    mkfs(img.as_ref(), &MkfsOptions::new(host, "/dev/dax0.0")).unwrap();
    let sec: Arc<dyn Media> = Arc::new(MemMedia::zeroed(32 << 20, "/dev/dax1.0"));
    let mut offline =
        Famfs::open(MetaStore::on_media(img.clone()).unwrap(), img.clone(), host).unwrap();
    offline
        .begin()
        .unwrap()
        .add_daxdev(sec, "/dev/dax1.0")
        .unwrap();
    drop(offline);
    expose_meta(dir.path(), img.as_ref());
    // Mounted: no device is mapped, the secondary counts by its logged size.
    let mut fs = open_meta(&meta_dir(dir.path()), true, host).unwrap();
    assert_eq!(fs.allocator().free_bytes(1), 30 << 20);
    let args = LayoutArgs {
        nstrips: Some(2),
        nbuckets: None,
        chunksize: None,
        devices: Some(Devices::All),
    };
    let layout = crate::commands::layout(&args, &fs).unwrap();
    let ino = fs.creat("s", 8 << 20, attrs(), layout).unwrap();
    let NodeKind::File { fmap, .. } = &fs.namespace().get(ino).unwrap().kind else {
        panic!()
    };
    let devs: Vec<u64> = fmap.ranges().iter().map(|r| r.devindex).collect();
    assert_eq!(devs, [0, 1]);
    assert_eq!(fs.allocator().free_bytes(1), 26 << 20);
    let e = fs
        .creat("big", 28 << 20, attrs(), Layout::Simple { devindex: 1 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("on device 1"), "{e}");
    let e = fs
        .creat("x", 1, attrs(), Layout::Simple { devindex: 2 })
        .unwrap_err()
        .to_string();
    assert!(e.contains("no device with index 2"), "{e}");
    let st = MetaStore::on_meta_files(&meta_dir(dir.path()), false).unwrap();
    let report = fsck(Arc::new(stitched::whole_of(&st).unwrap()));
    assert!(report.is_clean(), "{report:?}");
    assert_eq!(report.devices.len(), 2);
}
