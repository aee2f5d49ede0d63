// SPDX-License-Identifier: GPL-2.0
//! The hostile channel: sits between the real famfs server and the
//! control device. Every correct reply the server writes may be held
//! back and sent later (out of order), mutated (then followed by the
//! correct reply if the kernel still waits for it), sent twice, or
//! followed by a probe that must find the request settled. Every write
//! is judged against the kernel's verdict ([`famfs_daemon::verdict`]);
//! any difference is a mismatch, counted and described.

use std::collections::{HashMap, HashSet, VecDeque};
use std::fs::File;
use std::io::{self, Write};
use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::time::{Duration, Instant};

use famfs_core::abi::MAX_REPLY;
use famfs_core::abi::{fuse_in_header, fuse_interrupt_in, Opcode, OUT_HEADER_LEN};
use famfs_core::codec::Field;
use famfs_core::init::request_flags;
use famfs_core::wire::{check_reply, decode_request, encode_error, Op, Pending, ReplyBody};
use famfs_daemon::channel::{Channel, DevChannel, Recv, Sent};
use famfs_daemon::verdict::{verdict, Expect};

use crate::judge::{compare, Got, Outcome};
use crate::mutate::{self, Ctx, Pool};
use crate::rng::Rng;
use crate::tally::Tally;

/// How hostile to be (percentages of replies).
#[derive(Clone, Copy, Debug)]
pub struct Knobs {
    /// Replies replaced by a mutant first.
    pub mutate: u64,
    /// Replies held back and sent 1..40 ms later.
    pub hold: u64,
    /// Correct replies sent twice.
    pub duplicate: u64,
    /// Settled requests probed with one more reply (must be ENOENT).
    pub probe: u64,
    /// Whether INIT is mutated (always, then; the mount may fail).
    pub init: bool,
    /// A deliberately wrong oracle (says the kernel must take what the
    /// core refuses), to show that mismatches are caught.
    pub sabotage: bool,
}

/// Progress lines go out every this many replies.
const PROGRESS_EVERY: u64 = 200;
/// Uniques remembered for the replies sent after the connection ended.
const RECENT: usize = 4;

struct Held {
    due: Instant,
    unique: u64,
    good: Vec<u8>,
}

struct State {
    rng: Rng,
    pool: Pool,
    outstanding: HashMap<u64, Pending>,
    interrupted: HashSet<u64>,
    /// Requests the kernel withdrew (ENOENT to our reply), with the
    /// reply's name and the request's opcode.
    withdrawn: HashMap<u64, String>,
    held: Vec<Held>,
    /// What the INIT the kernel took agreed: GET_DAXDEV by number.
    by_number: bool,
    /// ... and maps with LOOKUP replies.
    lookup_fmap: bool,
    /// The last uniques read, for replies after the connection ended.
    recent: VecDeque<u64>,
    closed: bool,
    /// DESTROY was read: the kernel ends the connection once it is
    /// answered, and takes every request still waiting with it.
    destroyed: bool,
    stopping: bool,
    finished: bool,
    tally: Tally,
    report: Option<File>,
}

/// See the module documentation.
pub struct Hostile {
    dev: Arc<DevChannel>,
    knobs: Knobs,
    state: Mutex<State>,
    wake: Condvar,
}

/// What request `op` waits for; `by_number`: the agreed protocol lets a
/// GET_DAXDEV reply name the device by number; `lookup_fmap`: a LOOKUP
/// reply carry a map.
fn pending_of(op: &Op<'_>, by_number: bool, lookup_fmap: bool) -> Option<Pending> {
    Some(match op {
        Op::Init(i) => Pending::Init {
            offered: request_flags(i),
        },
        Op::Lookup(_) if lookup_fmap => Pending::LookupFmap,
        Op::Lookup(_) => Pending::Lookup,
        Op::GetAttr(_) => Pending::GetAttr,
        Op::Open(_) => Pending::Open,
        Op::OpenDir(_) => Pending::OpenDir,
        Op::Read(r) => Pending::Read { size: r.size },
        Op::Statfs => Pending::Statfs,
        Op::Release(_) => Pending::Release,
        Op::ReleaseDir(_) => Pending::ReleaseDir,
        Op::ReadDir(r) => Pending::ReadDir {
            size: r.size,
            offset: r.offset,
        },
        Op::Destroy => Pending::Destroy,
        Op::GetFmap => Pending::GetFmap,
        Op::GetDaxdev(i) => Pending::GetDaxdev {
            index: *i,
            with_dev: by_number,
        },
        Op::Forget(_) | Op::BatchForget(_) | Op::Interrupt(_) | Op::Other(..) => return None,
    })
}

fn raw_write(fd: i32, msg: &[u8]) -> Got {
    // SAFETY: a write from our own buffer, exactly its length.
    let n = unsafe { libc::write(fd, msg.as_ptr().cast(), msg.len()) };
    if n >= 0 {
        Got::Ok
    } else {
        Got::Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
    }
}

impl Hostile {
    /// A hostile channel over `dev`, seeded with `seed`, reporting
    /// progress and its final tally on `report`.
    pub fn new(dev: Arc<DevChannel>, knobs: Knobs, seed: u64, report: Option<File>) -> Arc<Self> {
        let h = Arc::new(Hostile {
            dev,
            knobs,
            state: Mutex::new(State {
                rng: Rng::new(seed),
                pool: Pool::default(),
                outstanding: HashMap::new(),
                interrupted: HashSet::new(),
                withdrawn: HashMap::new(),
                held: Vec::new(),
                by_number: false,
                lookup_fmap: false,
                recent: VecDeque::new(),
                closed: false,
                destroyed: false,
                stopping: false,
                finished: false,
                tally: Tally::default(),
                report,
            }),
            wake: Condvar::new(),
        });
        let flusher = h.clone();
        // Held replies must go out even when no new request comes (their
        // callers may be all the requests there are).
        let _ = std::thread::Builder::new()
            .name("hostile-flush".into())
            .spawn(move || flusher.flush_loop());
        h
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn flush_loop(&self) {
        let mut s = self.lock();
        loop {
            let now = Instant::now();
            let all = s.stopping;
            let (due, later): (Vec<Held>, Vec<Held>) =
                s.held.drain(..).partition(|h| all || h.due <= now);
            s.held = later;
            for h in due {
                self.deliver(&mut s, h.unique, h.good);
            }
            if s.stopping && s.held.is_empty() {
                return;
            }
            s = self
                .wake
                .wait_timeout(s, Duration::from_millis(5))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    /// Writes `msg` and judges the result; `what` names it.
    fn write_judged(&self, s: &mut State, msg: &[u8], what: &str) -> Outcome {
        let mut v = verdict(msg, &s.outstanding);
        if self.knobs.sabotage && v.expect == Expect::Refused {
            v.expect = Expect::Taken;
        }
        let init = v
            .settles
            .and_then(|u| s.outstanding.get(&u).copied())
            .filter(|p| matches!(p, Pending::Init { .. }))
            .and_then(|p| match check_reply(p, msg, MAX_REPLY) {
                Ok(ReplyBody::Init(params)) => Some(params),
                _ => None,
            });
        let got = raw_write(self.dev.raw_fd(), msg);
        if let (Some(params), Got::Ok) = (init, got) {
            s.by_number = params.daxdev_by_number();
            s.lookup_fmap = params.lookup_fmap();
        }
        let outcome = if s.closed {
            // Replies after the connection ended: nobody may take them.
            match got {
                Got::Ok => Outcome::Mismatch,
                Got::Err(_) => Outcome::Closed,
            }
        } else {
            compare(&v, got)
        };
        s.tally.add("writes", 1);
        match outcome {
            Outcome::AsExpected => {
                s.tally.add(
                    match v.expect {
                        Expect::Taken => "taken",
                        Expect::Refused => "refused",
                        Expect::NoSuchRequest => "enoent",
                    },
                    1,
                );
            }
            // After DESTROY the kernel may have shut the connection down
            // (its waiting requests failed) before our read sees it.
            Outcome::Withdrawn if s.destroyed => s.tally.add("after_close", 1),
            Outcome::Withdrawn => {
                s.tally.add("withdrawn", 1);
                if let Some(u) = v.settles {
                    let op = s.outstanding.get(&u).map(|p| p.opcode());
                    s.withdrawn
                        .insert(u, format!("{what} to {op:?} unique {u}"));
                }
            }
            Outcome::Closed => {
                s.tally
                    .add(if s.closed { "after_close" } else { "closed" }, 1);
                s.closed = true;
            }
            Outcome::Mismatch => {
                let op = v
                    .settles
                    .and_then(|u| s.outstanding.get(&u))
                    .map(|p| format!("{:?}", p.opcode()))
                    .unwrap_or_else(|| "-".into());
                let head: Vec<String> = msg.iter().take(48).map(|b| format!("{b:02x}")).collect();
                s.tally.mismatch(format!(
                    "{what}: {op} expected {:?} ({:?}), got {got:?}; {} bytes: {}",
                    v.expect,
                    v.why,
                    msg.len(),
                    head.join("")
                ));
            }
        }
        if let (Some(u), Got::Ok | Got::Err(libc::EINVAL | libc::ENOENT)) = (v.settles, got) {
            s.outstanding.remove(&u);
        }
        outcome
    }

    /// Sends the reply `good` to `unique`, as the knobs and the dice say.
    fn deliver(&self, s: &mut State, unique: u64, mut good: Vec<u8>) {
        let Some(&p) = s.outstanding.get(&unique) else {
            // Nothing we know waits (the server answering a request we
            // could not decode): send it as is.
            self.write_judged(s, &good, "unmatched");
            return;
        };
        s.tally.add("replies", 1);
        s.tally.add(&format!("op.{:?}", p.opcode()), 1);
        let ok = good.get(4..8).and_then(i32::get) == Some(0);
        if ok {
            let State { rng, pool, .. } = s;
            pool.learn(rng, p, &good);
            if rng.chance(50) {
                mutate::no_cache(&mut good, p);
            }
        }
        // A mount whose INIT is to be mutated always gets a mutant (the
        // kernel may still take it: then the mount goes on).
        let mutate = match p {
            Pending::Init { .. } => self.knobs.init,
            _ => s.rng.chance(self.knobs.mutate),
        };
        if mutate {
            let others: Vec<u64> = s
                .outstanding
                .keys()
                .copied()
                .filter(|&u| u != unique)
                .collect();
            let (bad, name) = {
                let State { rng, pool, .. } = &mut *s;
                mutate::mutate(
                    rng,
                    &good,
                    p,
                    &Ctx {
                        pool,
                        others: &others,
                    },
                )
            };
            s.tally.add("mutated", 1);
            s.tally.add(&format!("m.{name}"), 1);
            self.write_judged(s, &bad, name);
        }
        if s.outstanding.contains_key(&unique) {
            self.write_judged(s, &good, "correct");
            if s.rng.chance(self.knobs.duplicate) {
                s.tally.add("duplicates", 1);
                self.write_judged(s, &good, "duplicate");
            }
        } else if s.rng.chance(self.knobs.probe) {
            let mut e = vec![0u8; OUT_HEADER_LEN];
            let _ = encode_error(&mut e, unique, libc::EREMOTEIO);
            s.tally.add("probes", 1);
            self.write_judged(s, &e, "probe-after-settled");
        }
        let n = s.tally.get("replies");
        if n % PROGRESS_EVERY == 0 {
            self.report(s, false);
        }
    }

    fn report(&self, s: &mut State, last: bool) {
        let line = if last {
            let unexplained: Vec<String> = s
                .withdrawn
                .iter()
                .filter(|(u, _)| !s.interrupted.contains(u))
                .map(|(_, w)| format!("withdrawn with no INTERRUPT: {w}"))
                .collect();
            s.tally
                .add("withdrawn_unexplained", unexplained.len() as u64);
            for w in unexplained {
                s.tally.describe(w);
            }
            format!("tally {}", s.tally.to_line())
        } else {
            format!("progress {}", s.tally.get("replies"))
        };
        if let Some(f) = s.report.as_mut() {
            let _ = writeln!(f, "{line}");
        }
    }

    fn note_request(&self, msg: &[u8]) {
        let Some(h) = fuse_in_header::get(msg) else {
            return;
        };
        let mut s = self.lock();
        s.tally.add("requests", 1);
        match Opcode::from_raw(h.opcode) {
            Some(op) => s.tally.add(&format!("req.{op:?}"), 1),
            None => s.tally.add(&format!("req.{}", h.opcode), 1),
        }
        s.destroyed |= Opcode::from_raw(h.opcode) == Some(Opcode::Destroy);
        if Opcode::from_raw(h.opcode) == Some(Opcode::Interrupt) {
            s.tally.add("interrupts", 1);
            if let Some(i) = msg.get(40..).and_then(fuse_interrupt_in::get) {
                s.interrupted.insert(i.unique);
            }
        }
        if let Ok(r) = decode_request(msg) {
            if let Some(p) = pending_of(&r.op, s.by_number, s.lookup_fmap) {
                s.outstanding.insert(h.unique, p);
            }
        }
        if s.recent.len() == RECENT {
            s.recent.pop_front();
        }
        s.recent.push_back(h.unique);
    }

    /// Ends the session: held replies go out (the connection is over, so
    /// none may be taken), and the tally is reported.
    pub fn finish(&self) {
        let mut s = self.lock();
        if s.finished {
            return;
        }
        s.finished = true;
        s.stopping = true;
        self.wake.notify_all();
        while !s.held.is_empty() {
            s = self
                .wake
                .wait_timeout(s, Duration::from_millis(5))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        if s.closed {
            // Replies after the end, to the last requests read (answered
            // or not): the connection must take none of them.
            let recent: Vec<u64> = s.recent.iter().copied().collect();
            for u in recent {
                let mut e = vec![0u8; OUT_HEADER_LEN];
                let _ = encode_error(&mut e, u, libc::EIO);
                self.write_judged(&mut s, &e, "reply-after-close");
            }
        }
        self.report(&mut s, true);
    }
}

impl Channel for Hostile {
    fn recv(&self, buf: &mut [u8]) -> io::Result<Recv> {
        let r = self.dev.recv(buf)?;
        match r {
            Recv::Msg(n) => self.note_request(&buf[..n]),
            Recv::Closed => {
                let mut s = self.lock();
                s.closed = true;
                drop(s);
                self.finish();
            }
        }
        Ok(r)
    }

    fn send(&self, msg: &[u8]) -> io::Result<Sent> {
        let mut s = self.lock();
        let unique = msg.get(8..).and_then(u64::get).unwrap_or(0);
        if !s.closed && s.rng.chance(self.knobs.hold) {
            let delay = 1 + s.rng.below(40);
            s.tally.add("held", 1);
            s.held.push(Held {
                due: Instant::now() + Duration::from_millis(delay),
                unique,
                good: msg.to_vec(),
            });
            self.wake.notify_all();
            return Ok(Sent::Ok);
        }
        self.deliver(&mut s, unique, msg.to_vec());
        if !s.closed {
            return Ok(Sent::Ok);
        }
        drop(s);
        self.finish();
        Ok(Sent::Closed)
    }
}
