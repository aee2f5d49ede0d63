// SPDX-License-Identifier: GPL-2.0
//! Test harness: a famfs in memory, a daemon server over it, and a kernel
//! model (famfs_daemon::testchan::MemChannel) that judges every reply as
//! famfs_rs.ko does.

#![allow(dead_code)]

use std::sync::Arc;
use std::time::Duration;

use famfs_core::abi::{
    fuse_getattr_in, fuse_open_in, fuse_read_in, Opcode, FUSE_ASYNC_READ, FUSE_DAX_FMAP, MAX_REPLY,
};
use famfs_core::codec::Field;
use famfs_core::init::build_init_in;
use famfs_core::wire::{
    check_reply, encode_lookup, encode_request, Pending, ReplyBody, RequestHeader,
};
use famfs_daemon::channel::Channel;
use famfs_daemon::devices::Devices;
use famfs_daemon::refresh::Refresher;
use famfs_daemon::server::{Config, Out, Server};
use famfs_daemon::snapshot::Snapshot;
use famfs_daemon::source::{MediaSource, MetaSource};
use famfs_daemon::testchan::{MemChannel, Verdict};
use famfs_meta::store::MetaStore;
use famfs_meta::{mkfs, Attrs, Famfs, Layout, Media, MkfsOptions, SparseMedia};
use uuid::Uuid;

pub const HOST: Uuid = Uuid::from_u128(0x1111_2222_3333_4444_5555_6666_7777_8888);
pub const DEV_SIZE: u64 = 1 << 30;
/// INIT flags the module offers in these tests.
pub const OFFERED: u64 = FUSE_DAX_FMAP | FUSE_ASYNC_READ as u64;

/// A formatted in-memory device with a writer on it.
pub struct Fs {
    pub whole: Arc<dyn Media>,
    pub fs: Famfs,
}

pub fn attrs(mode: u32) -> Attrs {
    Attrs {
        mode,
        uid: 1000,
        gid: 100,
    }
}

impl Fs {
    /// mkfs, then `dir/`, `dir/sub/`, files `a` (3 MiB), `dir/b` (1 byte),
    /// `dir/sub/c` (interleaved, 8 MiB).
    pub fn new() -> Self {
        let whole: Arc<dyn Media> = Arc::new(SparseMedia::new(DEV_SIZE, "mem0"));
        mkfs(whole.as_ref(), &MkfsOptions::new(HOST, "mem0")).unwrap();
        let store = MetaStore::on_media(whole.clone()).unwrap();
        let mut fs = Famfs::open(store, whole.clone(), HOST).unwrap();
        fs.mkdir("dir/sub", attrs(0o750), true).unwrap();
        fs.creat("a", 3 << 20, attrs(0o644), Layout::default())
            .unwrap();
        fs.creat("dir/b", 1, attrs(0o600), Layout::default())
            .unwrap();
        fs.creat(
            "dir/sub/c",
            8 << 20,
            attrs(0o640),
            Layout::Interleaved {
                devices: vec![0],
                params: famfs_meta::InterleaveParams {
                    nstrips: 2,
                    chunk_size: 2 << 20,
                    nbuckets: 2,
                },
            },
        )
        .unwrap();
        Fs { whole, fs }
    }

    pub fn refresher(&self) -> Refresher {
        let source: Arc<dyn MetaSource> = Arc::new(MediaSource::new(self.whole.clone()));
        let store = source.open().unwrap();
        let (replay, sb) = Snapshot::load(&store).unwrap();
        Refresher::start(source, store, replay, sb, Duration::from_secs(3600)).unwrap()
    }

    /// A server over this file system.
    pub fn server(&self, cfg: Config) -> Server {
        let plain = cfg.mode == famfs_daemon::server::Mode::Plain;
        let devices = Devices::new(
            self.fs.superblock().fs_uuid(),
            std::path::Path::new("/dev/dax0.0"),
            plain.then(|| self.whole.clone()),
            Vec::new(),
        );
        Server::new(cfg, Arc::new(self.refresher()), devices)
    }
}

/// A server plus the kernel model, driven synchronously.
pub struct Harness {
    pub server: Server,
    pub chan: MemChannel,
    pub unique: u64,
    /// INIT agreed maps with LOOKUP replies (the kernel model checks them
    /// as the module then does).
    pub lookup_fmap: bool,
}

/// What one request brought back.
pub struct Exchange {
    pub unique: u64,
    pub outs: Vec<Out>,
    pub verdicts: Vec<Verdict>,
}

impl Exchange {
    /// The single reply, which the kernel model accepted.
    pub fn ok(&self) -> &[u8] {
        assert_eq!(self.verdicts.len(), 1, "expected one reply");
        assert_eq!(self.verdicts[0].result, Ok(()), "reply refused");
        &self.verdicts[0].bytes
    }

    /// The reply's error (0 for success).
    pub fn errno(&self) -> i32 {
        let b = self.ok();
        -i32::from_ne_bytes(b[4..8].try_into().unwrap())
    }

    /// The single reply's body.
    pub fn body(&self) -> &[u8] {
        &self.ok()[16..]
    }
}

pub fn header(opcode: Opcode, unique: u64, nodeid: u64) -> RequestHeader {
    RequestHeader {
        opcode,
        unique,
        nodeid,
        uid: 0,
        gid: 0,
        pid: 1,
    }
}

impl Harness {
    pub fn new(server: Server) -> Self {
        Harness {
            server,
            chan: MemChannel::new(),
            unique: 0,
            lookup_fmap: false,
        }
    }

    /// An initialised famfs-mode harness over `fs`.
    pub fn famfs(fs: &Fs, cfg: Config) -> Self {
        let mut h = Harness::new(fs.server(cfg));
        let x = h.init(OFFERED);
        assert_eq!(x.errno(), 0);
        h
    }

    pub fn next_unique(&mut self) -> u64 {
        self.unique += 2;
        self.unique
    }

    /// Sends `msg` (with `unique`) expecting `expect`.
    pub fn exchange(&mut self, msg: Vec<u8>, unique: u64, expect: Option<Pending>) -> Exchange {
        let before = self.chan.wait_verdicts(0, Duration::ZERO).len();
        self.chan.push(msg.clone(), unique, expect);
        let mut buf = vec![0u8; 1 << 16];
        let n = match self.chan.recv(&mut buf).unwrap() {
            famfs_daemon::channel::Recv::Msg(n) => n,
            other => panic!("{other:?}"),
        };
        let outs = self.server.handle(&buf[..n]);
        for o in &outs {
            self.chan.send(&o.bytes).unwrap();
        }
        let all = self
            .chan
            .wait_verdicts(before + outs.len(), Duration::from_secs(1));
        Exchange {
            unique,
            outs,
            verdicts: all[before..].to_vec(),
        }
    }

    pub fn request<B: Field>(
        &mut self,
        opcode: Opcode,
        nodeid: u64,
        body: &B,
        expect: Option<Pending>,
    ) -> Exchange {
        let unique = self.next_unique();
        let mut buf = vec![0u8; 4096];
        let n = encode_request(&mut buf, &header(opcode, unique, nodeid), body, &[]).unwrap();
        buf.truncate(n);
        self.exchange(buf, unique, expect)
    }

    pub fn init(&mut self, offered: u64) -> Exchange {
        let i = build_init_in(offered, 1 << 20);
        let pending = Pending::Init { offered };
        let x = self.request(Opcode::Init, 0, &i, Some(pending));
        if let Some(Ok(ReplyBody::Init(p))) = x
            .outs
            .first()
            .map(|o| check_reply(pending, &o.bytes, MAX_REPLY))
        {
            self.lookup_fmap = p.lookup_fmap();
        }
        x
    }

    pub fn lookup(&mut self, parent: u64, name: &str) -> Exchange {
        let unique = self.next_unique();
        let mut buf = vec![0u8; 4096];
        let n = encode_lookup(
            &mut buf,
            &header(Opcode::Lookup, unique, parent),
            name.as_bytes(),
        )
        .unwrap();
        buf.truncate(n);
        let pending = if self.lookup_fmap {
            Pending::LookupFmap
        } else {
            Pending::Lookup
        };
        self.exchange(buf, unique, Some(pending))
    }

    pub fn getattr(&mut self, nodeid: u64) -> Exchange {
        let g = fuse_getattr_in {
            getattr_flags: 0,
            dummy: 0,
            fh: 0,
        };
        self.request(Opcode::GetAttr, nodeid, &g, Some(Pending::GetAttr))
    }

    pub fn open(&mut self, nodeid: u64, flags: u32, dir: bool) -> Exchange {
        let o = fuse_open_in {
            flags,
            open_flags: 0,
        };
        if dir {
            self.request(Opcode::OpenDir, nodeid, &o, Some(Pending::OpenDir))
        } else {
            self.request(Opcode::Open, nodeid, &o, Some(Pending::Open))
        }
    }

    pub fn read_in(offset: u64, size: u32) -> fuse_read_in {
        fuse_read_in {
            fh: 0,
            offset,
            size,
            read_flags: 0,
            lock_owner: 0,
            flags: 0,
            padding: 0,
        }
    }

    pub fn readdir(&mut self, nodeid: u64, offset: u64, size: u32) -> Exchange {
        let r = Self::read_in(offset, size);
        self.request(
            Opcode::ReadDir,
            nodeid,
            &r,
            Some(Pending::ReadDir { size, offset }),
        )
    }

    pub fn read(&mut self, nodeid: u64, offset: u64, size: u32) -> Exchange {
        let r = Self::read_in(offset, size);
        self.request(Opcode::Read, nodeid, &r, Some(Pending::Read { size }))
    }

    pub fn statfs(&mut self, nodeid: u64) -> Exchange {
        self.request(Opcode::Statfs, nodeid, &(), Some(Pending::Statfs))
    }

    pub fn get_fmap(&mut self, nodeid: u64) -> Exchange {
        self.request(Opcode::GetFmap, nodeid, &(), Some(Pending::GetFmap))
    }

    pub fn get_daxdev(&mut self, index: u64) -> Exchange {
        self.request(
            Opcode::GetDaxdev,
            index,
            &(),
            // The harness's INIT offers the newest protocol, which names
            // devices by number too.
            Some(Pending::GetDaxdev {
                index,
                with_dev: true,
            }),
        )
    }
}

/// nodeid from a LOOKUP reply body.
pub fn entry(x: &Exchange) -> famfs_core::abi::fuse_entry_out {
    famfs_core::abi::fuse_entry_out::get(x.body()).unwrap()
}
