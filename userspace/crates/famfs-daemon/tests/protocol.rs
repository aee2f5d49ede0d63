// SPDX-License-Identifier: GPL-2.0
//! The daemon's protocol, request by request, every reply judged by the
//! kernel's own validation (the famfs_core functions famfs_rs.ko runs).

mod common;

use std::time::{Duration, Instant};

use common::*;
use famfs_core::abi::{
    fuse_attr_out, fuse_forget_in, fuse_forget_one, fuse_in_header, fuse_init_out, fuse_statfs_out,
    FamfsFileType, Opcode, FUSE_DAX_FMAP, FUSE_NO_OPEN_SUPPORT, MAX_REPLY, PROTO_WORD, ROOT_ID,
};
use famfs_core::attr::FileKind;
use famfs_core::codec::Field;
use famfs_core::dirent::Dirents;
use famfs_core::fmap::FmapRef;
use famfs_core::init::build_init_in;
use famfs_core::wire::{check_reply, encode_batch_forget, Pending, ReplyBody};
use famfs_daemon::nodes::{META_DIR_ID, META_LOG_ID, META_SB_ID};
use famfs_daemon::server::{Config, Mode};
use famfs_meta::{Layout, NodeKind};
use uuid::Uuid;

fn ino(fs: &Fs, path: &str) -> u64 {
    fs.fs.namespace().lookup(path).unwrap().ino
}

#[test]
fn init_negotiates_famfs_mode() {
    let fs = Fs::new();
    let mut h = Harness::new(fs.server(Config::default()));
    let x = h.init(OFFERED);
    match check_reply(Pending::Init { offered: OFFERED }, x.ok(), MAX_REPLY).unwrap() {
        ReplyBody::Init(p) => assert!(p.famfs(), "FUSE_DAX_FMAP accepted"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn init_refuses_a_protocol_version_it_cannot_speak() {
    use famfs_core::init::{proto_word, PROTO_MIN_VERSION};
    let fs = Fs::new();
    let mut h = Harness::new(fs.server(Config::default()));
    let mut i = build_init_in(OFFERED, 0);
    // Older than the oldest we speak.
    i.famfs_rs_proto = proto_word(PROTO_MIN_VERSION - 1);
    let x = h.request(
        Opcode::Init,
        0,
        &i,
        Some(Pending::Init { offered: OFFERED }),
    );
    assert_eq!(x.errno(), libc::EPROTO);
    // A newer module is answered with our version, which it may take.
    i.famfs_rs_proto = PROTO_WORD + 1;
    let x = h.request(
        Opcode::Init,
        0,
        &i,
        Some(Pending::Init { offered: OFFERED }),
    );
    assert_eq!(x.errno(), 0);
    i.famfs_rs_proto = 0;
    let x = h.request(
        Opcode::Init,
        0,
        &i,
        Some(Pending::Init { offered: OFFERED }),
    );
    assert_eq!(x.errno(), libc::EPROTO);
}

#[test]
fn init_plain_fuse_never_offers_dax_fmap() {
    let fs = Fs::new();
    let cfg = Config {
        mode: Mode::Plain,
        ..Config::default()
    };
    let mut h = Harness::new(fs.server(cfg));
    // The kernel's FUSE: no protocol word; pretend it offered everything.
    let mut i = build_init_in(u64::MAX >> 1, 1 << 17);
    i.famfs_rs_proto = 0;
    i.minor = 39;
    let x = h.request(Opcode::Init, 0, &i, None);
    let b = &x.verdicts[0].bytes;
    assert_eq!(b.len(), 16 + 64);
    let o = fuse_init_out::get(&b[16..]).unwrap();
    assert_eq!((o.major, o.minor), (7, 39));
    let flags = famfs_core::init::reply_flags(&o);
    assert_eq!(flags & FUSE_DAX_FMAP, 0);
    assert_eq!(o.famfs_rs_proto, 0);
    // An old kernel gets the old, short reply.
    i.minor = 22;
    let x = h.request(Opcode::Init, 0, &i, None);
    assert_eq!(x.verdicts[0].bytes.len(), 16 + 24);
}

#[test]
fn lookup_and_getattr_show_the_log() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let dir = entry(&h.lookup(ROOT_ID, "dir"));
    assert_eq!(dir.nodeid, ino(&fs, "dir"));
    assert_eq!(dir.attr.mode, 0o040750);
    assert_eq!((dir.attr.uid, dir.attr.gid, dir.attr.nlink), (1000, 100, 2));
    let b = h.lookup(dir.nodeid, "b");
    // INIT agreed FAMFS_RS_INIT_LOOKUP_FMAP: the file's map comes along.
    assert!(h.lookup_fmap);
    match check_reply(Pending::LookupFmap, b.ok(), MAX_REPLY).unwrap() {
        ReplyBody::EntryFmap(e, fmap) => {
            assert_eq!(fmap.file_size(), 1);
            assert_eq!(e.kind, FileKind::Regular);
            assert_eq!(e.raw.attr.size, 1);
            assert_eq!(e.raw.attr.mode, 0o100600);
            assert_eq!(e.raw.attr.ino, e.raw.nodeid);
            assert!(e.entry_timeout.secs > 0);
        }
        other => panic!("{other:?}"),
    }
    let a = h.getattr(entry(&b).nodeid);
    let attr = fuse_attr_out::get(a.body()).unwrap();
    assert_eq!(attr.attr, entry(&b).attr);
    let root = h.getattr(ROOT_ID);
    assert_eq!(fuse_attr_out::get(root.body()).unwrap().attr.mode, 0o040755);
    assert_eq!(h.lookup(ROOT_ID, "nope").errno(), libc::ENOENT);
    assert_eq!(h.lookup(entry(&b).nodeid, "x").errno(), libc::ENOTDIR);
    assert_eq!(h.getattr(12345).errno(), libc::ESTALE);
    assert_eq!(h.server.lookups().get(dir.nodeid), 1);
}

#[test]
fn files_created_after_start_are_found_on_a_miss() {
    let mut fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    assert_eq!(h.lookup(ROOT_ID, "late").errno(), libc::ENOENT);
    fs.fs
        .creat("late", 5 << 20, attrs(0o644), Layout::default())
        .unwrap();
    let e = entry(&h.lookup(ROOT_ID, "late"));
    assert_eq!(e.nodeid, ino(&fs, "late"));
    assert_eq!(e.attr.size, 5 << 20);
    // Nodeids stay what they were.
    assert_eq!(entry(&h.lookup(ROOT_ID, "a")).nodeid, ino(&fs, "a"));
}

fn list_all(h: &mut Harness, nodeid: u64, size: u32) -> Vec<(String, u64, FileKind)> {
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let x = h.readdir(nodeid, offset, size);
        let body = x.body().to_vec();
        assert!(body.len() <= size as usize);
        let d = Dirents::parse(&body, offset).unwrap();
        if d.is_empty() {
            return out;
        }
        for e in d.iter() {
            out.push((String::from_utf8(e.name.to_vec()).unwrap(), e.ino, e.kind));
            offset = e.off;
        }
    }
}

#[test]
fn readdir_lists_in_stable_pages() {
    let mut fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let names = |v: &[(String, u64, FileKind)]| v.iter().map(|e| e.0.clone()).collect::<Vec<_>>();
    let root = list_all(&mut h, ROOT_ID, 4096);
    assert_eq!(names(&root), [".", "..", ".meta", "dir", "a"]);
    assert_eq!(root[2].1, META_DIR_ID);
    assert_eq!(
        root[3],
        ("dir".into(), ino(&fs, "dir"), FileKind::Directory)
    );
    // One entry per page (32-byte records) gives the same listing.
    assert_eq!(list_all(&mut h, ROOT_ID, 40), root);
    // A file created mid-listing shows up at the end, nothing repeats.
    let first = h.readdir(ROOT_ID, 0, 100);
    let d = Dirents::parse(first.body(), 0).unwrap();
    let last = d.iter().last().unwrap().off;
    fs.fs
        .creat("zz", 1, attrs(0o644), Layout::default())
        .unwrap();
    let rest = h.readdir(ROOT_ID, last, 4096);
    // The refresh happens on offset 0 or on a lookup miss; this page may
    // or may not see "zz", but a fresh listing does.
    Dirents::parse(rest.body(), last).unwrap();
    let again = names(&list_all(&mut h, ROOT_ID, 4096));
    assert_eq!(again, [".", "..", ".meta", "dir", "a", "zz"]);
    let sub = names(&list_all(&mut h, ino(&fs, "dir"), 4096));
    assert_eq!(sub, [".", "..", "sub", "b"]);
    let meta = names(&list_all(&mut h, META_DIR_ID, 4096));
    assert_eq!(meta, [".", "..", ".superblock", ".log"]);
    assert_eq!(h.readdir(ino(&fs, "a"), 0, 4096).errno(), libc::ENOTDIR);
}

#[test]
fn readdir_without_dots() {
    let fs = Fs::new();
    let cfg = Config {
        dots: false,
        ..Config::default()
    };
    let mut h = Harness::famfs(&fs, cfg);
    let v = list_all(&mut h, ROOT_ID, 4096);
    assert_eq!(v.len(), 3);
    assert_eq!(v[0].0, ".meta");
}

#[test]
fn open_opendir_release() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let a = ino(&fs, "a");
    assert_eq!(h.open(a, libc::O_RDWR as u32, false).errno(), 0);
    assert_eq!(h.open(a, 0, true).errno(), libc::ENOTDIR);
    assert_eq!(h.open(ROOT_ID, 0, false).errno(), libc::EISDIR);
    assert_eq!(h.open(ROOT_ID, 0, true).errno(), 0);
    let r = famfs_core::abi::fuse_release_in {
        fh: 0,
        flags: 0,
        release_flags: 0,
        lock_owner: 0,
    };
    let x = h.request(Opcode::Release, a, &r, Some(Pending::Release));
    assert_eq!(x.errno(), 0);
    let x = h.request(Opcode::ReleaseDir, ROOT_ID, &r, Some(Pending::ReleaseDir));
    assert_eq!(x.errno(), 0);
}

/// A kernel that offers FUSE's no-open protocol is told ENOSYS for OPEN
/// of a file (the daemon keeps no state per open file), and then sends
/// none; directories are opened as before. Not in plain mode (its OPEN
/// refuses writers), nor with misbehave cases armed, nor with keep_open.
#[test]
fn no_open_when_offered() {
    let fs = Fs::new();
    let a = ino(&fs, "a");
    let offered = OFFERED | u64::from(FUSE_NO_OPEN_SUPPORT);
    let mut h = Harness::new(fs.server(Config::default()));
    assert_eq!(h.init(offered).errno(), 0);
    assert_eq!(h.open(a, libc::O_RDWR as u32, false).errno(), libc::ENOSYS);
    assert_eq!(h.open(ROOT_ID, 0, true).errno(), 0);
    assert_eq!(h.open(ROOT_ID, 0, false).errno(), libc::EISDIR);
    let mut h = Harness::new(fs.server(Config::default()));
    assert_eq!(h.init(OFFERED).errno(), 0);
    assert_eq!(h.open(a, 0, false).errno(), 0);
    let cfg = Config {
        misbehave: famfs_daemon::misbehave::CASES
            .iter()
            .filter(|c| c.trigger == famfs_daemon::misbehave::Trigger::Open)
            .take(1)
            .collect(),
        ..Config::default()
    };
    let mut h = Harness::new(fs.server(cfg));
    assert_eq!(h.init(offered).errno(), 0);
    assert_eq!(h.open(a, 0, false).errno(), 0);
    let cfg = Config {
        keep_open: true,
        ..Config::default()
    };
    let mut h = Harness::new(fs.server(cfg));
    assert_eq!(h.init(offered).errno(), 0);
    assert_eq!(h.open(a, 0, false).errno(), 0);
}

#[test]
fn statfs_is_consistent() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let x = h.statfs(ROOT_ID);
    match check_reply(Pending::Statfs, x.ok(), MAX_REPLY).unwrap() {
        ReplyBody::Statfs(s) => {
            assert_eq!(s.bsize, 2 << 20);
            let data = (DEV_SIZE - (10 << 20)) / (2 << 20);
            assert_eq!(s.blocks, data);
            // a: 2 units, b: 1, c: 4.
            assert_eq!(s.bfree, data - 7);
            assert_eq!(s.files, 15420);
            assert_eq!(s.ffree, 15420 - 5);
        }
        other => panic!("{other:?}"),
    }
    let _ = fuse_statfs_out::get(x.body()).unwrap();
}

#[test]
fn get_fmap_matches_the_log() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    for path in ["a", "dir/b", "dir/sub/c"] {
        let node = fs.fs.namespace().lookup(path).unwrap();
        let NodeKind::File { size, fmap, .. } = &node.kind else {
            panic!()
        };
        let x = h.get_fmap(node.ino);
        let body = x.body().to_vec();
        let f = FmapRef::parse(&body).unwrap();
        assert_eq!(f.file_size(), *size);
        assert_eq!(f.file_type(), FamfsFileType::Regular);
        let mut off = 0;
        while off < *size {
            let r = f.resolve(off).unwrap();
            let (dev, dev_off, _) = fmap.resolve(off).unwrap();
            assert_eq!(
                (u64::from(r.devindex), r.dev_offset),
                (dev, dev_off),
                "{path}@{off}"
            );
            off += 1 << 20;
        }
    }
    assert_eq!(h.get_fmap(ROOT_ID).errno(), libc::EISDIR);
}

#[test]
fn meta_files() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let m = entry(&h.lookup(ROOT_ID, ".meta"));
    assert_eq!(
        (m.nodeid, m.attr.mode, m.attr.uid),
        (META_DIR_ID, 0o040700, 0)
    );
    let sb = entry(&h.lookup(META_DIR_ID, ".superblock"));
    let log = entry(&h.lookup(META_DIR_ID, ".log"));
    assert_eq!((sb.nodeid, sb.attr.size), (META_SB_ID, 2 << 20));
    assert_eq!((log.nodeid, log.attr.size), (META_LOG_ID, 8 << 20));
    let x = h.get_fmap(META_LOG_ID);
    let body = x.body().to_vec();
    let f = FmapRef::parse(&body).unwrap();
    assert_eq!(f.file_type(), FamfsFileType::Log);
    assert_eq!(f.resolve(0).unwrap().dev_offset, 2 << 20);
    let x = h.get_fmap(META_SB_ID);
    let body = x.body().to_vec();
    let f = FmapRef::parse(&body).unwrap();
    assert_eq!(f.file_type(), FamfsFileType::Superblock);
    assert_eq!(f.resolve(0).unwrap().dev_offset, 0);
    assert_eq!(h.lookup(META_DIR_ID, "other").errno(), libc::ENOENT);
}

/// The meta files are read-only on a client (this host is not the one
/// the superblock names) and writable on the master; an all-hosts
/// read-only file is read-only on both; others on neither. The kernel
/// enforces what these maps say.
#[test]
fn read_only_where_this_host_may_not_write() {
    let mut fs = Fs::new();
    fs.fs
        .begin()
        .unwrap()
        .creat_with_flags(
            "frozen",
            1,
            attrs(0o644),
            Layout::default(),
            famfs_meta::FM_ALL_HOSTS_RO,
        )
        .unwrap();
    let frozen = fs.fs.namespace().lookup("frozen").unwrap().ino;
    let plain = fs.fs.namespace().lookup("a").unwrap().ino;
    let client = Uuid::from_u128(7);
    for (host, is_master) in [(Some(HOST), true), (Some(client), false), (None, false)] {
        let mut h = Harness::famfs(
            &fs,
            Config {
                host,
                ..Config::default()
            },
        );
        let mut read_only = |nodeid| {
            let x = h.get_fmap(nodeid);
            FmapRef::parse(x.body()).unwrap().read_only()
        };
        for meta in [META_LOG_ID, META_SB_ID] {
            assert_eq!(read_only(meta), !is_master, "meta {meta} on {host:?}");
        }
        assert!(read_only(frozen), "frozen on {host:?}");
        assert!(!read_only(plain), "a on {host:?}");
    }
}

#[test]
fn get_daxdev() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let x = h.get_daxdev(0);
    let pending = Pending::GetDaxdev {
        index: 0,
        with_dev: true,
    };
    match check_reply(pending, x.ok(), MAX_REPLY).unwrap() {
        // The test devices are image files: no node number to send.
        ReplyBody::Daxdev(d) => assert_eq!((d.name, d.dev), (&b"/dev/dax0.0"[..], None)),
        other => panic!("{other:?}"),
    }
    assert_eq!(h.get_daxdev(3).errno(), libc::ENODEV);
}

#[test]
fn protocol_versions_are_negotiated() {
    use famfs_core::init::{proto_word, PROTO_MIN_VERSION, PROTO_VERSION};
    let fs = Fs::new();
    // The newest kernel and daemon: the newest version.
    let mut h = Harness::new(fs.server(Config::default()));
    let o = fuse_init_out::get(h.init(FUSE_DAX_FMAP).ok().get(16..).unwrap()).unwrap();
    assert_eq!(o.famfs_rs_proto, proto_word(PROTO_VERSION));
    // A daemon told to speak an older version answers with it.
    let cfg = Config {
        proto: PROTO_MIN_VERSION,
        ..Config::default()
    };
    let mut h = Harness::new(fs.server(cfg));
    let o = fuse_init_out::get(h.init(FUSE_DAX_FMAP).ok().get(16..).unwrap()).unwrap();
    assert_eq!(o.famfs_rs_proto, proto_word(PROTO_MIN_VERSION));
    // No famfs_rs flags before protocol 4: LOOKUP replies are bare entries.
    assert_eq!(o.famfs_rs_flags, 0);
    assert!(!h.lookup_fmap);
    assert_eq!(h.lookup(ROOT_ID, "a").ok().len(), 16 + 128);
    // An older module: the daemon speaks its version.
    let mut i = build_init_in(FUSE_DAX_FMAP, 0);
    i.famfs_rs_proto = proto_word(PROTO_MIN_VERSION);
    let (_, agreed, rs) = famfs_daemon::init::famfs(&i, PROTO_VERSION, u32::MAX).unwrap();
    assert_eq!(rs, 0, "no famfs_rs flags before protocol 4");
    assert_eq!(agreed, PROTO_MIN_VERSION);
    // One older than we speak is refused.
    i.famfs_rs_proto = proto_word(PROTO_MIN_VERSION - 1);
    assert_eq!(
        famfs_daemon::init::famfs(&i, PROTO_VERSION, u32::MAX),
        Err(libc::EPROTO)
    );
}

#[test]
fn device_nodes_have_numbers() {
    assert_eq!(
        famfs_daemon::devices::node_number(std::path::Path::new("/dev/null")),
        Some((1, 3))
    );
    assert_eq!(
        famfs_daemon::devices::node_number(std::path::Path::new("/")),
        None
    );
}

#[test]
fn forgets_and_interrupts_get_no_reply() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let a = entry(&h.lookup(ROOT_ID, "a")).nodeid;
    entry(&h.lookup(ROOT_ID, "a"));
    let d = entry(&h.lookup(ROOT_ID, "dir")).nodeid;
    assert_eq!(h.server.lookups().get(a), 2);
    let x = h.request(Opcode::Forget, a, &fuse_forget_in { nlookup: 1 }, None);
    assert!(x.outs.is_empty());
    assert_eq!(h.server.lookups().get(a), 1);
    let unique = h.next_unique();
    let mut buf = vec![0u8; 4096];
    let items = [
        fuse_forget_one {
            nodeid: a,
            nlookup: 1,
        },
        fuse_forget_one {
            nodeid: d,
            nlookup: 1,
        },
    ];
    let n = encode_batch_forget(&mut buf, &header(Opcode::BatchForget, unique, 0), &items).unwrap();
    buf.truncate(n);
    let x = h.exchange(buf, unique, None);
    assert!(x.outs.is_empty());
    assert_eq!(h.server.lookups().live(), 0);
    let i = famfs_core::abi::fuse_interrupt_in { unique: 2 };
    assert!(h.request(Opcode::Interrupt, 0, &i, None).outs.is_empty());
    assert_eq!(h.chan.outstanding(), 0);
}

#[test]
fn unknown_opcodes_get_enosys_and_destroy_an_empty_reply() {
    let fs = Fs::new();
    let mut h = Harness::famfs(&fs, Config::default());
    let unique = h.next_unique();
    let mut msg = vec![0u8; 40 + 8];
    fuse_in_header {
        len: 48,
        opcode: 34, // ACCESS
        unique,
        nodeid: ROOT_ID,
        uid: 0,
        gid: 0,
        pid: 0,
        total_extlen: 0,
        padding: 0,
    }
    .put(&mut msg)
    .unwrap();
    let x = h.exchange(msg, unique, Some(Pending::Destroy));
    assert_eq!(x.errno(), libc::ENOSYS);
    let x = h.request(Opcode::Destroy, 0, &(), Some(Pending::Destroy));
    assert_eq!(x.errno(), 0);
    assert!(x.body().is_empty());
}

#[test]
fn plain_mode_reads_file_data() {
    let fs = Fs::new();
    let node = fs.fs.namespace().lookup("dir/sub/c").unwrap().clone();
    let data: Vec<u8> = (0..8 << 20).map(|i: u32| (i % 251) as u8).collect();
    fs.fs.write_file(node.ino, 0, &data).unwrap();
    let cfg = Config {
        mode: Mode::Plain,
        ..Config::default()
    };
    let mut h = Harness::new(fs.server(cfg));
    let mut i = build_init_in(0, 1 << 17);
    i.famfs_rs_proto = 0;
    h.request(Opcode::Init, 0, &i, None);
    // Across the 2 MiB chunk boundary between the two strips.
    let off = (2 << 20) - 1000;
    let x = h.read(node.ino, off, 5000);
    assert_eq!(x.body(), &data[off as usize..off as usize + 5000]);
    // Short at end of file, empty past it.
    let x = h.read(node.ino, (8 << 20) - 10, 4096);
    assert_eq!(x.body().len(), 10);
    assert!(h.read(node.ino, 9 << 20, 4096).body().is_empty());
    // The superblock through .meta.
    let x = h.read(META_SB_ID, 0, 8);
    assert_eq!(x.body(), &0x87b2_82ffu64.to_le_bytes());
    // Writes are refused in plain mode.
    assert_eq!(
        h.open(node.ino, libc::O_WRONLY as u32, false).errno(),
        libc::EROFS
    );
}

#[test]
fn serve_loop_over_the_channel_ends_when_closed() {
    use famfs_daemon::serve::{serve, End};
    use famfs_daemon::testchan::MemChannel;
    use std::sync::Arc;
    let fs = Fs::new();
    let mut server = fs.server(Config::default());
    let chan = Arc::new(MemChannel::new());
    let c2 = chan.clone();
    let t = std::thread::spawn(move || {
        let r = serve(c2.as_ref(), &mut server, 1 << 16);
        (r.unwrap(), server.stats)
    });
    let i = build_init_in(OFFERED, 0);
    let mut buf = vec![0u8; 512];
    let n =
        famfs_core::wire::encode_request(&mut buf, &header(Opcode::Init, 2, 0), &i, &[]).unwrap();
    chan.push(
        buf[..n].to_vec(),
        2,
        Some(Pending::Init { offered: OFFERED }),
    );
    let n = famfs_core::wire::encode_lookup(&mut buf, &header(Opcode::Lookup, 4, ROOT_ID), b"a")
        .unwrap();
    chan.push(buf[..n].to_vec(), 4, Some(Pending::LookupFmap));
    let v = chan.wait_verdicts(2, Duration::from_secs(10));
    assert_eq!(v.len(), 2);
    assert!(v.iter().all(|v| v.result.is_ok()));
    chan.close();
    let (end, stats) = t.join().unwrap();
    assert_eq!(end, End::Closed);
    assert_eq!(stats.total(), 2);
}

/// Media whose reads stall while `slow` is set: a log refresh that takes
/// long (as one through the mount itself could) must not hold up the
/// serving thread beyond its bound.
struct Slow {
    inner: std::sync::Arc<dyn famfs_meta::Media>,
    slow: std::sync::Arc<std::sync::atomic::AtomicBool>,
}

impl famfs_meta::Media for Slow {
    fn len(&self) -> u64 {
        self.inner.len()
    }
    fn name(&self) -> String {
        "slow".into()
    }
    fn read_at(&self, off: u64, buf: &mut [u8]) -> Result<(), famfs_meta::MetaError> {
        while self.slow.load(std::sync::atomic::Ordering::SeqCst) {
            std::thread::sleep(Duration::from_millis(10));
        }
        self.inner.read_at(off, buf)
    }
    fn write_at(&self, off: u64, data: &[u8]) -> Result<(), famfs_meta::MetaError> {
        self.inner.write_at(off, data)
    }
}

#[test]
fn a_stalled_refresh_does_not_stall_lookups() {
    use famfs_daemon::refresh::Refresher;
    use famfs_daemon::snapshot::Snapshot;
    use famfs_daemon::source::{MediaSource, MetaSource};
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let mut fs = Fs::new();
    let slow = Arc::new(AtomicBool::new(false));
    let media: Arc<dyn famfs_meta::Media> = Arc::new(Slow {
        inner: fs.whole.clone(),
        slow: slow.clone(),
    });
    let source: Arc<dyn MetaSource> = Arc::new(MediaSource::new(media));
    let store = source.open().unwrap();
    let (replay, sb) = Snapshot::load(&store).unwrap();
    let r =
        Arc::new(Refresher::start(source, store, replay, sb, Duration::from_secs(3600)).unwrap());
    let devices =
        famfs_daemon::devices::Devices::new(sb.fs_uuid, std::path::Path::new("x"), None, vec![]);
    let server = famfs_daemon::server::Server::new(Config::default(), r.clone(), devices);
    let mut h = Harness::new(server);
    h.init(OFFERED);
    slow.store(true, Ordering::SeqCst);
    fs.fs
        .creat("late", 1, attrs(0o644), Layout::default())
        .unwrap();
    let t0 = Instant::now();
    assert_eq!(h.lookup(ROOT_ID, "late").errno(), libc::ENOENT);
    assert_eq!(entry(&h.lookup(ROOT_ID, "a")).nodeid, ino(&fs, "a"));
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    slow.store(false, Ordering::SeqCst);
    // Once the media answers, the file shows up.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        if h.lookup(ROOT_ID, "late").errno() == 0 {
            break;
        }
        assert!(Instant::now() < deadline, "late never appeared");
    }
}
