// SPDX-License-Identifier: GPL-2.0
//! Request dispatch: one decoded request in, the replies to send out.
//!
//! The server never touches the channel: [`Server::handle`] returns the
//! messages, [`crate::serve`] writes them. That keeps the protocol logic
//! testable in-process, message by message, against the kernel's own
//! validation (`famfs_core::wire::check_reply`).

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use famfs_core::abi::{
    fuse_in_header, fuse_kstatfs, fuse_open_out, fuse_read_in, fuse_statfs_out, Opcode,
    FAMFS_RS_INIT_LOOKUP_FMAP, FOPEN_KEEP_CACHE, FUSE_NO_OPEN_SUPPORT, LOOKUP_FMAP_MAX, MAX_REPLY,
    NAME_MAX, OUT_HEADER_LEN,
};
use famfs_core::codec::Field;
use famfs_core::init::request_flags;
use famfs_core::wire::{decode_request, encode_error, encode_reply, finish_reply, Op};
use famfs_host::dlog;
use famfs_meta::FM_ALL_HOSTS_RO;
use famfs_omf::ALLOC_UNIT;
use uuid::Uuid;

use crate::attrs::{Attr, AttrPolicy};
use crate::devices::Devices;
use crate::misbehave::{self, Bad, Case, Trigger, FOLLOW_UP_ERRNO, TRIGGER_DEVINDEX};
use crate::nodes::{self, LookupCounts, MetaFile, Target, META_DIR_ID, META_DIR_NAME};
use crate::nodes::{META_LOG_ID, META_LOG_NAME, META_SB_ID, META_SB_NAME};
use crate::refresh::Refresher;
use crate::snapshot::Snapshot;

/// Which kernel client the daemon serves.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    /// famfs_rs.ko over `/dev/famfs_rs`: file data is mapped by the kernel
    /// from the fmaps (GET_FMAP/GET_DAXDEV); READ never comes.
    Famfs,
    /// The kernel's FUSE over `/dev/fuse` ("slow mode"): no fmaps, no
    /// dax. File data goes through the daemon, READ by READ, copied from
    /// the devices; mmap is the page cache's, so one host's stores are not
    /// seen by another host through a mapping, and nothing can be written
    /// (files open read-only). It exists so famfs files can be read on a
    /// machine without famfs_rs.ko.
    Plain,
}

/// Server settings.
#[derive(Clone, Debug)]
pub struct Config {
    /// famfs_rs or plain FUSE.
    pub mode: Mode,
    /// Cache time of positive names.
    pub entry_ttl: Duration,
    /// Cache time of attributes.
    pub attr_ttl: Duration,
    /// Longest wait for a log refresh on a LOOKUP miss or a READDIR.
    pub refresh_wait: Duration,
    /// List "." and ".." in READDIR replies.
    pub dots: bool,
    /// Armed misbehave cases (test mode).
    pub misbehave: Vec<&'static Case>,
    /// This host's system UUID; the host whose UUID the superblock names
    /// is the master. `None` (unknown) counts as a client.
    pub host: Option<Uuid>,
    /// The newest famfs_rs protocol version to speak (older ones test
    /// compatibility with older modules).
    pub proto: u16,
    /// Take OPEN of files even when the kernel offers FUSE's no-open
    /// protocol (comparisons, and the fuzzer, which wants OPEN and
    /// RELEASE replies to mutate).
    pub keep_open: bool,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            mode: Mode::Famfs,
            entry_ttl: Duration::from_secs(5),
            attr_ttl: Duration::from_secs(5),
            refresh_wait: Duration::from_millis(200),
            dots: true,
            misbehave: Vec::new(),
            host: None,
            proto: famfs_core::init::PROTO_VERSION,
            keep_open: false,
        }
    }
}

/// Where snapshots come from (the refresh thread, or a test's fake).
pub trait View: Send + Sync {
    /// The current snapshot, at once.
    fn current(&self) -> Arc<Snapshot>;
    /// A refresh, waited for at most `bound`.
    fn fresh(&self, bound: Duration) -> Arc<Snapshot>;
}

impl View for Refresher {
    fn current(&self) -> Arc<Snapshot> {
        Refresher::current(self)
    }
    fn fresh(&self, bound: Duration) -> Arc<Snapshot> {
        self.wait_fresh(bound)
    }
}

/// What an outgoing message is.
#[derive(Clone, Copy, Debug)]
pub enum OutKind {
    /// A reply.
    Reply,
    /// A deliberately malformed message (test mode).
    Malformed(&'static Case),
    /// The error reply sent after a malformed one.
    FollowUp(&'static Case),
}

/// One message to write.
#[derive(Clone, Debug)]
pub struct Out {
    /// The bytes.
    pub bytes: Vec<u8>,
    /// What it is.
    pub kind: OutKind,
    /// The request it answers.
    pub unique: u64,
    /// The request's opcode (raw).
    pub opcode: u32,
}

/// Counters, for the log and for cross-checks with the kernel's count.
#[derive(Clone, Debug, Default)]
pub struct Stats {
    /// Requests read, by opcode.
    pub requests: BTreeMap<u32, u64>,
    /// Malformed messages sent (test mode).
    pub malformed: u64,
}

impl Stats {
    /// Requests read in all.
    pub fn total(&self) -> u64 {
        self.requests.values().sum()
    }
}

/// The answer to "what is child `name` of `parent`".
enum Child {
    Found(Attr),
    Trigger(&'static Case),
    Missing,
    NotDir,
    NoParent,
}

/// The protocol state of one connection.
pub struct Server {
    cfg: Config,
    view: Arc<dyn View>,
    devices: Devices,
    counts: LookupCounts,
    policy: AttrPolicy,
    armed_statfs: Option<&'static Case>,
    armed_daxdev: Option<&'static Case>,
    /// The famfs_rs protocol version agreed at INIT (0 before, and in
    /// plain mode).
    proto_version: u16,
    /// OPEN of a file is answered ENOSYS: famfs_rs.ko offered FUSE's
    /// no-open protocol, and this daemon keeps no state per open file, so
    /// the kernel then opens and closes files without a request (a cold
    /// open is LOOKUP and GET_FMAP). Not in plain mode, whose OPEN refuses
    /// writers and keeps the page cache; not when misbehave cases are
    /// armed (some are played on OPEN).
    no_open: bool,
    /// FAMFS_RS_INIT_LOOKUP_FMAP was agreed: a LOOKUP reply for a file
    /// carries its map (when it fits), so a cold open needs no GET_FMAP.
    lookup_fmap: bool,
    /// Counters.
    pub stats: Stats,
}

fn err_msg(unique: u64, errno: i32) -> Vec<u8> {
    let mut b = vec![0u8; OUT_HEADER_LEN];
    // errno values used here are all in 1..=511.
    let _ = encode_error(&mut b, unique, errno);
    b
}

fn ok_msg<B: Field>(unique: u64, body: &B) -> Vec<u8> {
    let mut b = vec![0u8; OUT_HEADER_LEN + B::SIZE];
    let _ = encode_reply(&mut b, unique, body);
    b
}

fn bytes_msg(unique: u64, body: &[u8]) -> Vec<u8> {
    let mut b = vec![0u8; OUT_HEADER_LEN];
    b.extend_from_slice(body);
    let _ = finish_reply(&mut b, unique, body.len());
    b
}

fn trigger_attr(c: &Case) -> Attr {
    let id = nodes::trigger_id(c);
    if c.is_dir() {
        Attr::dir(id, 0o555, 0, 0)
    } else {
        let size = c.trigger_size(ALLOC_UNIT);
        Attr::file(id, size, ALLOC_UNIT, misbehave::TRIGGER_FILE_MODE, 0, 0)
    }
}

impl Server {
    /// A server answering from `view`, with the devices `devices`.
    pub fn new(cfg: Config, view: Arc<dyn View>, devices: Devices) -> Self {
        let policy = AttrPolicy {
            entry_ttl: cfg.entry_ttl,
            attr_ttl: cfg.attr_ttl,
        };
        Server {
            cfg,
            view,
            devices,
            counts: LookupCounts::default(),
            policy,
            armed_statfs: None,
            armed_daxdev: None,
            proto_version: 0,
            no_open: false,
            lookup_fmap: false,
            stats: Stats::default(),
        }
    }

    /// Lookup counts the kernel holds.
    pub fn lookups(&self) -> &LookupCounts {
        &self.counts
    }

    /// Handles one request; returns the messages to send, in order.
    pub fn handle(&mut self, msg: &[u8]) -> Vec<Out> {
        let Some(h) = fuse_in_header::get(msg) else {
            dlog!(
                "ignoring a request of {} bytes: shorter than its header",
                msg.len()
            );
            return Vec::new();
        };
        *self.stats.requests.entry(h.opcode).or_default() += 1;
        let wrap = |bytes: Vec<u8>| {
            vec![Out {
                bytes,
                kind: OutKind::Reply,
                unique: h.unique,
                opcode: h.opcode,
            }]
        };
        let req = match decode_request(msg) {
            Ok(r) => r,
            Err(e) => {
                dlog!(
                    "undecodable request (opcode {}, unique {}): {e:?}",
                    h.opcode,
                    h.unique
                );
                let replies = Opcode::from_raw(h.opcode).map_or(true, |o| o.has_reply());
                return if replies {
                    wrap(err_msg(h.unique, e.errno()))
                } else {
                    Vec::new()
                };
            }
        };
        let (unique, nodeid) = (h.unique, h.nodeid);
        let outs = match req.op {
            Op::Forget(f) => {
                self.forget(nodeid, f.nlookup);
                return Vec::new();
            }
            Op::BatchForget(list) => {
                for f in list.iter() {
                    self.forget(f.nodeid, f.nlookup);
                }
                return Vec::new();
            }
            // Replies are synchronous: there is nothing to interrupt, and
            // an INTERRUPT gets no reply of its own.
            Op::Interrupt(_) => return Vec::new(),
            Op::Init(i) => self.init(unique, &i),
            Op::Lookup(name) => self.lookup(unique, nodeid, name),
            Op::GetAttr(_) => self.getattr(unique, nodeid),
            Op::OpenDir(_) => self.opendir(unique, nodeid),
            Op::ReadDir(r) => self.readdir(unique, nodeid, &r),
            Op::ReleaseDir(_) | Op::Release(_) if self.releases_unanswered() => return Vec::new(),
            Op::ReleaseDir(_) | Op::Release(_) => wrap(ok_msg(unique, &())),
            Op::Open(o) => self.open(unique, nodeid, o.flags),
            Op::Read(r) => wrap(self.read(unique, nodeid, &r)),
            Op::Statfs => self.statfs(unique, nodeid),
            Op::Destroy => {
                dlog!(
                    "DESTROY: the mount is going away ({} nodeids still looked up)",
                    self.counts.live()
                );
                wrap(ok_msg(unique, &()))
            }
            Op::GetFmap => self.get_fmap(unique, nodeid),
            Op::GetDaxdev(index) => self.get_daxdev(unique, index),
            Op::Other(..) => wrap(err_msg(unique, libc::ENOSYS)),
        };
        outs.into_iter()
            .map(|mut o| {
                o.opcode = h.opcode;
                o
            })
            .collect()
    }

    fn one(&self, unique: u64, bytes: Vec<u8>) -> Vec<Out> {
        vec![Out {
            bytes,
            kind: OutKind::Reply,
            unique,
            opcode: 0,
        }]
    }

    fn error(&self, unique: u64, errno: i32) -> Vec<Out> {
        self.one(unique, err_msg(unique, errno))
    }

    /// The malformed message for `case` plus its follow-up (see
    /// [`crate::misbehave`]).
    fn misbehave(
        &mut self,
        case: &'static Case,
        unique: u64,
        good: Vec<u8>,
        size: u32,
        index: u64,
    ) -> Vec<Out> {
        self.stats.malformed += 1;
        let bad = misbehave::malformed(case, unique, &good, size, index);
        let out = |bytes, kind| Out {
            bytes,
            kind,
            unique,
            opcode: 0,
        };
        match case.bad {
            Bad::Duplicate => vec![
                out(good, OutKind::Reply),
                out(bad, OutKind::Malformed(case)),
            ],
            Bad::UnknownUnique => vec![
                out(bad, OutKind::Malformed(case)),
                out(good, OutKind::Reply),
            ],
            _ => vec![
                out(bad, OutKind::Malformed(case)),
                out(err_msg(unique, FOLLOW_UP_ERRNO), OutKind::FollowUp(case)),
            ],
        }
    }

    /// `release-unanswered` is armed: RELEASE and RELEASEDIR are read and
    /// never answered.
    fn releases_unanswered(&self) -> bool {
        self.cfg
            .misbehave
            .iter()
            .any(|c| c.trigger == Trigger::Release)
    }

    fn armed(&self, name: &str) -> Option<&'static Case> {
        let case = name.strip_prefix("bad-")?;
        self.cfg
            .misbehave
            .iter()
            .copied()
            .find(|c| c.runtime() && c.name == case)
    }

    fn forget(&mut self, nodeid: u64, n: u64) {
        if !self.counts.forget(nodeid, n) {
            dlog!("FORGET of {n} lookups of nodeid {nodeid:#x}, more than it was given");
        }
    }

    fn init(&mut self, unique: u64, i: &famfs_core::abi::fuse_init_in) -> Vec<Out> {
        famfs_host::faults::point("init");
        let body = match self.cfg.mode {
            Mode::Famfs => crate::init::famfs(i, self.cfg.proto, self.rs_wanted()).map(
                |(body, version, rs_flags)| {
                    self.proto_version = version;
                    self.lookup_fmap = rs_flags & FAMFS_RS_INIT_LOOKUP_FMAP != 0;
                    self.no_open = request_flags(i) & u64::from(FUSE_NO_OPEN_SUPPORT) != 0
                        && self.cfg.misbehave.is_empty()
                        && !self.cfg.keep_open;
                    body
                },
            ),
            Mode::Plain => crate::init::plain(i),
        };
        let good = match body {
            Ok(b) => bytes_msg(unique, &b),
            Err(e) => return self.error(unique, e),
        };
        let init_case = self
            .cfg
            .misbehave
            .iter()
            .copied()
            .find(|c| c.trigger == Trigger::Init);
        match init_case {
            Some(c) => self.misbehave(c, unique, good, 0, 0),
            None => self.one(unique, good),
        }
    }

    /// The attributes of what `nodeid` names in `snap`.
    fn attr_of(&self, snap: &Snapshot, t: Target<'_>) -> Attr {
        match t {
            Target::Log(n) => Attr::of_node(n),
            Target::MetaDir => Attr::dir(META_DIR_ID, 0o700, 0, 0),
            Target::Meta(f) => {
                let id = match f {
                    MetaFile::Superblock => META_SB_ID,
                    MetaFile::Log => META_LOG_ID,
                };
                Attr::of_meta(id, f, &snap.sb)
            }
            Target::Trigger(c) => trigger_attr(c),
        }
    }

    fn child(&self, snap: &Snapshot, parent: u64, name: &str) -> Child {
        let ns = &snap.replay.ns;
        match nodes::resolve(ns, parent) {
            None => Child::NoParent,
            Some(Target::Log(dir)) if dir.is_dir() => {
                if dir.ino == famfs_meta::ROOT_INO {
                    if name == META_DIR_NAME {
                        return Child::Found(self.attr_of(snap, Target::MetaDir));
                    }
                    if let Some(c) = self.armed(name) {
                        return Child::Trigger(c);
                    }
                }
                match ns.lookup_child(dir.ino, name) {
                    Some(n) => Child::Found(Attr::of_node(n)),
                    None => Child::Missing,
                }
            }
            Some(Target::MetaDir) => match name {
                META_SB_NAME => {
                    Child::Found(self.attr_of(snap, Target::Meta(MetaFile::Superblock)))
                }
                META_LOG_NAME => Child::Found(self.attr_of(snap, Target::Meta(MetaFile::Log))),
                _ => Child::Missing,
            },
            // Every name in it: the case's (see `lookup`).
            Some(Target::Trigger(c)) if c.trigger == Trigger::LookupIn => Child::Trigger(c),
            Some(Target::Trigger(c)) if c.is_dir() => Child::Missing,
            Some(_) => Child::NotDir,
        }
    }

    /// The famfs_rs INIT flags this daemon takes when offered.
    fn rs_wanted(&self) -> u32 {
        if misbehave::declines_lookup_fmap(&self.cfg.misbehave) {
            0
        } else {
            FAMFS_RS_INIT_LOOKUP_FMAP
        }
    }

    fn lookup(&mut self, unique: u64, parent: u64, name: &[u8]) -> Vec<Out> {
        let Ok(name) = std::str::from_utf8(name) else {
            return self.error(unique, libc::ENOENT);
        };
        let mut snap = self.view.current();
        let mut found = self.child(&snap, parent, name);
        if matches!(found, Child::Missing | Child::NoParent) {
            // Maybe another process or host appended it: catch up, briefly.
            snap = self.view.fresh(self.cfg.refresh_wait);
            found = self.child(&snap, parent, name);
        }
        match found {
            Child::Found(a) => {
                self.counts.add(a.ino);
                let mut msg = ok_msg(unique, &self.policy.entry(&a));
                if self.append_lookup_fmap(&snap, &a, &mut msg) {
                    let body = msg.len() - OUT_HEADER_LEN;
                    let _ = finish_reply(&mut msg, unique, body);
                }
                self.one(unique, msg)
            }
            Child::Trigger(c) => {
                let a = if c.bad == Bad::AliasDir {
                    self.attr_of(&self.view.current(), Target::MetaDir)
                } else {
                    trigger_attr(c)
                };
                let zero = Duration::ZERO;
                let good = ok_msg(unique, &self.policy.entry_with(&a, zero, zero));
                // LookupIn cases misbehave on names in the trigger
                // directory, not on the trigger's own name.
                let inside = parent == nodes::trigger_id(c);
                if (c.trigger == Trigger::Lookup) || (c.trigger == Trigger::LookupIn && inside) {
                    if c.succeeds() {
                        self.counts.add(a.ino);
                    }
                    return self.misbehave(c, unique, good, 0, 0);
                }
                if c.trigger == Trigger::Statfs {
                    self.armed_statfs = Some(c);
                }
                self.counts.add(a.ino);
                self.one(unique, good)
            }
            Child::Missing => self.error(unique, libc::ENOENT),
            Child::NotDir => self.error(unique, libc::ENOTDIR),
            Child::NoParent => {
                dlog!("LOOKUP in unknown nodeid {parent:#x}");
                self.error(unique, libc::ESTALE)
            }
        }
    }

    /// The snapshot and what `nodeid` names in it (refreshing once if the
    /// current snapshot does not know it).
    fn target(&self, nodeid: u64) -> (Arc<Snapshot>, bool) {
        let snap = self.view.current();
        if nodes::resolve(&snap.replay.ns, nodeid).is_some() {
            return (snap, true);
        }
        let snap = self.view.fresh(self.cfg.refresh_wait);
        let ok = nodes::resolve(&snap.replay.ns, nodeid).is_some();
        (snap, ok)
    }

    fn getattr(&mut self, unique: u64, nodeid: u64) -> Vec<Out> {
        let (snap, ok) = self.target(nodeid);
        let Some(t) = ok
            .then(|| nodes::resolve(&snap.replay.ns, nodeid))
            .flatten()
        else {
            return self.error(unique, libc::ESTALE);
        };
        let a = self.attr_of(&snap, t);
        if let Target::Trigger(c) = t {
            let good = ok_msg(unique, &self.policy.attr_out(&a, Duration::ZERO));
            if c.trigger == Trigger::GetAttr {
                return self.misbehave(c, unique, good, 0, 0);
            }
            return self.one(unique, good);
        }
        self.one(
            unique,
            ok_msg(unique, &self.policy.attr_out(&a, self.cfg.attr_ttl)),
        )
    }

    fn opendir(&mut self, unique: u64, nodeid: u64) -> Vec<Out> {
        let (snap, _) = self.target(nodeid);
        match nodes::resolve(&snap.replay.ns, nodeid) {
            None => self.error(unique, libc::ESTALE),
            Some(t) if self.attr_of(&snap, t).is_dir() => {
                let o = fuse_open_out {
                    fh: 0,
                    open_flags: 0,
                    backing_id: 0,
                };
                self.one(unique, ok_msg(unique, &o))
            }
            Some(_) => self.error(unique, libc::ENOTDIR),
        }
    }

    fn readdir(&mut self, unique: u64, nodeid: u64, r: &fuse_read_in) -> Vec<Out> {
        if r.offset != 0 {
            famfs_host::faults::point("readdir-more");
        }
        // A listing from the start is a good moment to catch up.
        let snap = if r.offset == 0 {
            self.view.fresh(self.cfg.refresh_wait)
        } else {
            self.view.current()
        };
        let Some(t) = nodes::resolve(&snap.replay.ns, nodeid) else {
            return self.error(unique, libc::ESTALE);
        };
        if let Target::Trigger(c) = t {
            if c.trigger == Trigger::ReadDir {
                let good = bytes_msg(unique, &[]);
                // Only the first page misbehaves: a kernel that takes the
                // bad entries and reads on then sees the end (no loop).
                if r.offset != 0 {
                    return self.one(unique, good);
                }
                return self.misbehave(c, unique, good, r.size, 0);
            }
        }
        if !self.attr_of(&snap, t).is_dir() {
            return self.error(unique, libc::ENOTDIR);
        }
        let entries = crate::readdir::list(&snap.replay.ns, t, self.cfg.dots, &self.triggers());
        let cap = (r.size as usize).min(MAX_REPLY - OUT_HEADER_LEN);
        let mut buf = vec![0u8; cap];
        match crate::readdir::fill(&entries, r.offset, &mut buf) {
            Ok(n) => self.one(unique, bytes_msg(unique, &buf[..n])),
            Err(e) => {
                dlog!("READDIR of nodeid {nodeid:#x}: {e:?}");
                self.error(unique, e.errno())
            }
        }
    }

    fn triggers(&self) -> Vec<&'static Case> {
        self.cfg
            .misbehave
            .iter()
            .copied()
            .filter(|c| c.runtime())
            .collect()
    }

    fn open(&mut self, unique: u64, nodeid: u64, flags: u32) -> Vec<Out> {
        let (snap, _) = self.target(nodeid);
        let Some(t) = nodes::resolve(&snap.replay.ns, nodeid) else {
            return self.error(unique, libc::ESTALE);
        };
        if self.attr_of(&snap, t).is_dir() {
            return self.error(unique, libc::EISDIR);
        }
        if self.no_open {
            return self.error(unique, libc::ENOSYS);
        }
        let write = flags & (libc::O_ACCMODE as u32) != libc::O_RDONLY as u32;
        if self.cfg.mode == Mode::Plain && write {
            return self.error(unique, libc::EROFS);
        }
        let o = fuse_open_out {
            fh: 0,
            // Files never change: keep their pages (plain mode).
            open_flags: match self.cfg.mode {
                Mode::Plain => FOPEN_KEEP_CACHE,
                Mode::Famfs => 0,
            },
            backing_id: 0,
        };
        let good = ok_msg(unique, &o);
        match t {
            Target::Trigger(c) if c.trigger == Trigger::Open => {
                self.misbehave(c, unique, good, 0, 0)
            }
            _ => self.one(unique, good),
        }
    }

    fn statfs(&mut self, unique: u64, nodeid: u64) -> Vec<Out> {
        let snap = self.view.current();
        let u = snap.usage;
        let st = fuse_kstatfs {
            blocks: u.total / ALLOC_UNIT,
            bfree: u.free / ALLOC_UNIT,
            bavail: u.free / ALLOC_UNIT,
            files: u.slots,
            ffree: u.slots.saturating_sub(u.slots_used),
            bsize: ALLOC_UNIT as u32,
            namelen: NAME_MAX as u32,
            frsize: ALLOC_UNIT as u32,
            padding: 0,
            spare: [0; 6],
        };
        let good = ok_msg(unique, &fuse_statfs_out { st });
        let by_node = match nodes::resolve(&snap.replay.ns, nodeid) {
            Some(Target::Trigger(c)) if c.trigger == Trigger::Statfs => Some(c),
            _ => None,
        };
        match by_node.or(self.armed_statfs.take()) {
            Some(c) => self.misbehave(c, unique, good, 0, 0),
            None => self.one(unique, good),
        }
    }

    /// Whether this host is the file system's master (may write the log).
    pub fn is_master(&self, snap: &Snapshot) -> bool {
        self.cfg.host == Some(snap.sb.master)
    }

    /// GET_FMAP. The map says the file is read-only on this host (which
    /// the kernel enforces) for the `.meta` files on a client and for
    /// all-hosts-read-only files everywhere.
    fn get_fmap(&mut self, unique: u64, nodeid: u64) -> Vec<Out> {
        let (snap, _) = self.target(nodeid);
        let t = nodes::resolve(&snap.replay.ns, nodeid);
        if let Some(Target::Trigger(c)) = t {
            return self.trigger_fmap(unique, c, &snap);
        }
        if matches!(t, Some(Target::Log(n)) if !n.is_dir()) {
            famfs_host::faults::point("get-fmap");
        }
        let body = match t.map(|t| self.fmap_body(&snap, t)) {
            None => return self.error(unique, libc::ESTALE),
            Some(None) => return self.error(unique, libc::EISDIR),
            Some(Some(b)) => b,
        };
        match body {
            Ok(b) => self.one(unique, bytes_msg(unique, &b)),
            Err(e) => {
                dlog!("GET_FMAP of nodeid {nodeid:#x}: cannot encode its map: {e:?}");
                self.error(unique, libc::EIO)
            }
        }
    }

    /// The map body of the file `t` names (`None`: a directory, or a
    /// trigger, whose maps are built apart).
    fn fmap_body(
        &self,
        snap: &Snapshot,
        t: Target<'_>,
    ) -> Option<Result<Vec<u8>, famfs_core::fmap::FmapError>> {
        match t {
            Target::Log(n) => {
                match &n.kind {
                    famfs_meta::NodeKind::File { size, fmap, flags } => Some(
                        crate::fmap::encode_file(*size, fmap, flags & FM_ALL_HOSTS_RO != 0),
                    ),
                    famfs_meta::NodeKind::Dir { .. } => None,
                }
            }
            Target::Meta(f) => Some(crate::fmap::encode_meta(f, &snap.sb, !self.is_master(snap))),
            Target::MetaDir | Target::Trigger(_) => None,
        }
    }

    /// Appends to the LOOKUP reply `msg` the map of `a`, when agreed at
    /// INIT, for a regular file whose map fits (a larger one, or one that
    /// cannot be encoded, is left to GET_FMAP); whether it did. The map
    /// is built in the reply itself: this is every cold open's work.
    fn append_lookup_fmap(&self, snap: &Snapshot, a: &Attr, msg: &mut Vec<u8>) -> bool {
        if !self.lookup_fmap || a.is_dir() {
            return false;
        }
        let Some(t) = nodes::resolve(&snap.replay.ns, a.ino) else {
            return false;
        };
        let start = msg.len();
        let ok = match t {
            Target::Log(n) => match &n.kind {
                famfs_meta::NodeKind::File { size, fmap, flags } => {
                    // Where a file's map is built for the kernel, as in GET_FMAP.
                    famfs_host::faults::point("get-fmap");
                    let ro = flags & FM_ALL_HOSTS_RO != 0;
                    crate::fmap::append_file(msg, *size, fmap, ro).is_ok()
                }
                famfs_meta::NodeKind::Dir { .. } => false,
            },
            _ => match self.fmap_body(snap, t) {
                Some(Ok(b)) => {
                    msg.extend_from_slice(&b);
                    true
                }
                _ => false,
            },
        };
        if ok && msg.len() - start <= LOOKUP_FMAP_MAX {
            return true;
        }
        msg.truncate(start);
        false
    }

    /// Trigger files are one 2 MiB unit, the device's last (no real
    /// file's bytes are there on a test device, and trigger files are
    /// read-only); the GET_DAXDEV cases' map names device
    /// [`TRIGGER_DEVINDEX`] instead, `fmap-overlaps-log` and `fmap-in-log`
    /// the log, `fmap-in-superblock` the superblock, `fmap-overlaps-file`
    /// the first unit after the log.
    fn trigger_fmap(&mut self, unique: u64, c: &'static Case, snap: &Snapshot) -> Vec<Out> {
        if c.is_dir() {
            return self.error(unique, libc::EISDIR);
        }
        let primary_size = snap.replay.devices.first().map_or(0, |d| d.size);
        let last_unit = (primary_size / ALLOC_UNIT).saturating_sub(1) * ALLOC_UNIT;
        let (dev, offset) = match (c.trigger, c.bad) {
            (Trigger::GetDaxdev, _) => {
                self.armed_daxdev = Some(c);
                (TRIGGER_DEVINDEX, 0)
            }
            (_, Bad::FmapOverlapsLog) => (0, snap.sb.log_offset),
            (_, Bad::FmapInSuperblock) => (0, 0),
            (_, Bad::FmapOverlapsFile) => (0, snap.sb.log_offset + snap.sb.log_len),
            (_, Bad::FmapInLog) => (
                0,
                (snap.sb.log_offset + snap.sb.log_len).saturating_sub(ALLOC_UNIT),
            ),
            _ => (0, last_unit),
        };
        let ext = famfs_core::fmap::SimpleExt {
            devindex: dev,
            offset,
            len: ALLOC_UNIT,
        };
        let mut b = vec![0u8; 64];
        let good = match famfs_core::fmap::encode_simple(
            &mut b,
            famfs_core::abi::FamfsFileType::Regular,
            ALLOC_UNIT,
            &[ext],
        ) {
            Ok(n) => bytes_msg(unique, &b[..n]),
            Err(_) => return self.error(unique, libc::EIO),
        };
        if c.trigger == Trigger::GetFmap {
            return self.misbehave(c, unique, good, 0, 0);
        }
        self.one(unique, good)
    }

    /// Whether GET_DAXDEV replies may carry the device's number.
    fn daxdev_by_number(&self) -> bool {
        self.proto_version >= famfs_core::init::PROTO_DAXDEV_BY_NUMBER
    }

    /// The GET_DAXDEV reply naming device `index` as `name` and, when the
    /// protocol allows, `number`.
    fn daxdev_reply(
        &self,
        unique: u64,
        index: u16,
        name: &str,
        number: Option<(u32, u32)>,
    ) -> Result<Vec<u8>, famfs_core::daxdev::DaxdevError> {
        let number = number.filter(|_| self.daxdev_by_number());
        let mut b = vec![0u8; famfs_core::daxdev::DAXDEV_REPLY_LEN];
        let n = famfs_core::daxdev::encode_daxdev_reply(&mut b, index, name.as_bytes(), number)?;
        Ok(bytes_msg(unique, &b[..n]))
    }

    fn get_daxdev(&mut self, unique: u64, index: u64) -> Vec<Out> {
        if index == u64::from(TRIGGER_DEVINDEX) {
            if let Some(c) = self.armed_daxdev {
                // Well-formed replies that name the wrong device, or the
                // device /dev/null with no number.
                let (name, number) = misbehave::daxdev_target(c.bad);
                let good = self
                    .daxdev_reply(unique, TRIGGER_DEVINDEX as u16, name, number)
                    .unwrap_or_else(|_| err_msg(unique, libc::EIO));
                return self.misbehave(c, unique, good, 0, index);
            }
        }
        let mut snap = self.view.current();
        if index >= snap.replay.devices.len() as u64 {
            snap = self.view.fresh(self.cfg.refresh_wait);
        }
        let Ok(idx16) = u16::try_from(index) else {
            return self.error(unique, libc::EINVAL);
        };
        let Some(name) = self.devices.name(index, &snap.replay.devices) else {
            dlog!("GET_DAXDEV {index}: no such device on this host");
            return self.error(unique, libc::ENODEV);
        };
        // The module finds the device by this number, with no path lookup
        // of its own (protocol 3); an image file has none.
        let number = crate::devices::node_number(std::path::Path::new(&name));
        match self.daxdev_reply(unique, idx16, &name, number) {
            Ok(reply) => self.one(unique, reply),
            Err(e) => {
                dlog!("GET_DAXDEV {index}: device name {name:?} cannot be sent: {e:?}");
                self.error(unique, libc::ENAMETOOLONG)
            }
        }
    }

    /// READ (plain mode): copies file bytes from the devices.
    fn read(&mut self, unique: u64, nodeid: u64, r: &fuse_read_in) -> Vec<u8> {
        let (snap, _) = self.target(nodeid);
        match crate::read::read(&snap, &mut self.devices, nodeid, r.offset, r.size) {
            Ok(data) => bytes_msg(unique, &data),
            Err(e) => err_msg(unique, e),
        }
    }
}
