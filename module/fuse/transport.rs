// SPDX-License-Identifier: GPL-2.0

//! The FUSE transport of one daemon connection: requests queued by the file
//! system, read by the daemon from `/dev/famfs_rs`, answered by its writes.
//!
//! - At most [`MAX_IN_FLIGHT`] requests wait for a reply at once (a fixed
//!   slot table: the 6.12 `KVec` cannot remove from the middle); callers
//!   beyond that wait for room. FORGETs and INTERRUPTs need no reply and no
//!   slot: they are queued apart and sent first. RELEASE and RELEASEDIR,
//!   which nobody waits for, take no slot either and never sleep: they go
//!   on the background queue (`background.rs`).
//! - Every reply is checked by the shared core (`core::wire::check_reply`)
//!   against the request it answers before any caller sees it. A malformed
//!   reply fails its request (EIO, or EPROTO for a version mismatch) and the
//!   daemon's `write` (EINVAL), with a rate-limited log line.
//! - A signal withdraws a request the daemon has not read yet (the system
//!   call restarts). One it has read is interrupted (an INTERRUPT names it)
//!   and still waited for, as FUSE does: the daemon answers it, or says
//!   EINTR. Only a fatal signal (or a mount's time bound) ends that wait;
//!   the request is then withdrawn and a late reply fails with ENOENT.
//! - Closing the device aborts the connection: every waiter and every later
//!   call gets ENOTCONN. An unmount shuts it down: the daemon's next read
//!   gets ENODEV.

#![forbid(unsafe_code)]

use crate::core_logic::famfs_core::abi::{
    fuse_forget_one, fuse_interrupt_in, fuse_out_header, Opcode, IN_HEADER_LEN, MAX_REPLY,
    OUT_HEADER_LEN,
};
use crate::core_logic::famfs_core::codec::Field;
use crate::core_logic::famfs_core::wire::{
    self, encode_batch_forget, encode_request, Pending, ReplyBody, ReplyError, RequestHeader,
    WireError,
};
use crate::fuse::background::{Background, BackgroundQueue};
use crate::kapi::completion::{Completion, Waited};
use crate::kapi::errno::etimedout;
use crate::kapi::poll::{PollQueue, PollTable, POLL_ERROR, POLL_READABLE, POLL_WRITABLE};
use crate::kapi::time::{jiffies, time_before};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::uaccess::{UserSliceReader, UserSliceWriter};
use kernel::{new_condvar, new_mutex};

/// Requests awaiting a reply, per connection.
pub(crate) const MAX_IN_FLIGHT: usize = 64;

/// The smallest read buffer a daemon may use (FUSE's 8 KiB): every request
/// fits, and a BATCH_FORGET is cut to fit.
pub(crate) const MIN_READ_BUFFER: usize = 8192;

/// The largest request the module builds (a LOOKUP of a 255-byte name).
const MAX_REQUEST: usize = 512;

/// FORGETs sent in one BATCH_FORGET.
const MAX_BATCH: usize = (MIN_READ_BUFFER - IN_HEADER_LEN - 8) / fuse_forget_one::SIZE;

/// FUSE marks an INTERRUPT's unique with this bit (request uniques are even).
const INTERRUPT_BIT: u64 = 1;

/// The errno of a reply the core refused or a daemon error.
pub(crate) fn reply_error(e: ReplyError) -> Error {
    Error::from_errno(-e.errno())
}

/// The errno of a framing error.
pub(crate) fn wire_error(e: WireError) -> Error {
    Error::from_errno(-e.errno())
}

/// A reply the core has accepted for `pending`.
pub(crate) struct Reply {
    message: KVec<u8>,
    pending: Pending,
}

impl Reply {
    /// The validated body (checked once more: cheap, and the view borrows
    /// the message).
    pub(crate) fn body(&self) -> Result<ReplyBody<'_>> {
        wire::check_reply(self.pending, &self.message, MAX_REPLY).map_err(reply_error)
    }
}

/// One request awaiting its reply.
#[pin_data]
struct Request {
    unique: u64,
    pending: Pending,
    /// The whole message: FUSE in-header and body.
    message: KVec<u8>,
    #[pin]
    reply: Mutex<Option<Result<KVec<u8>>>>,
    /// Completed once `reply` holds the result.
    #[pin]
    answered: Completion,
}

impl Request {
    fn complete(&self, result: Result<KVec<u8>>) {
        let mut reply = self.reply.lock();
        if reply.is_none() {
            *reply = Some(result);
        }
        drop(reply);
        self.answered.complete_all();
    }

    /// The result of a request a reply (or the abort) has taken out of the
    /// table: the wait is short, `complete` follows the removal.
    fn settled(&self) -> Result<Reply> {
        self.answered.wait();
        self.result()
    }

    /// The result, once `answered` is complete.
    fn result(&self) -> Result<Reply> {
        let message = self.reply.lock().take().unwrap_or(Err(EIO))?;
        Ok(Reply {
            message,
            pending: self.pending,
        })
    }
}

struct Slot {
    request: Arc<Request>,
    /// Read by the daemon: now awaiting its reply.
    sent: bool,
    /// An INTERRUPT for it was queued.
    interrupted: bool,
}

struct State {
    /// `None` while connected; afterwards the errno callers get.
    closed: Option<Error>,
    slots: KVec<Option<Slot>>,
    in_flight: usize,
    /// Slots not read by the daemon yet: with none, the daemon's read
    /// needs no walk over the slots (see `BackgroundQueue::unread`).
    unsent: usize,
    /// FORGETs not yet read: (node id, lookup count). Grown with
    /// GFP_NOWAIT only: eviction (which queues them) may run in reclaim,
    /// and nothing may allocate with reclaim allowed under this lock.
    forgets: KVec<fuse_forget_one>,
    /// Uniques of sent requests the caller gave up on (a fixed array: no
    /// allocation under the lock).
    interrupts: [u64; MAX_IN_FLIGHT],
    n_interrupts: usize,
    /// RELEASEs and RELEASEDIRs: no slot, no waiting.
    background: BackgroundQueue,
}

impl State {
    /// The oldest call not yet read. Uniques grow, so it has the
    /// smallest unique among the unsent.
    fn oldest_unsent(&self) -> Option<usize> {
        if self.unsent == 0 {
            return None;
        }
        let mut best: Option<(usize, u64)> = None;
        for (i, slot) in self.slots.iter().enumerate() {
            if let Some(s) = slot {
                if !s.sent && best.map_or(true, |(_, u)| s.request.unique < u) {
                    best = Some((i, s.request.unique));
                }
            }
        }
        best.map(|(i, _)| i)
    }

    fn find(&self, unique: u64) -> Option<usize> {
        self.slots
            .iter()
            .position(|s| s.as_ref().is_some_and(|s| s.request.unique == unique))
    }

    /// Takes the request `unique` out if the daemon has read it (only
    /// those can be answered).
    fn take_sent(&mut self, unique: u64) -> Option<Slot> {
        let index = self.find(unique)?;
        if !self.slots.get(index)?.as_ref()?.sent {
            return None;
        }
        self.take(index)
    }

    fn take(&mut self, index: usize) -> Option<Slot> {
        let slot = self.slots.get_mut(index)?.take();
        if let Some(s) = &slot {
            self.in_flight -= 1;
            if !s.sent {
                self.unsent = self.unsent.saturating_sub(1);
            }
        }
        slot
    }

    fn has_work(&self) -> bool {
        !self.forgets.is_empty()
            || self.n_interrupts > 0
            || self.oldest_unsent().is_some()
            || self.background.oldest_unread().is_some()
    }
}

/// What a `read` hands the daemon (taken under the lock without
/// allocating; the message is built after the lock is dropped).
enum Outgoing {
    Request(Arc<Request>),
    Interrupt(u64),
    Forgets(KVec<fuse_forget_one>),
    Background(u64, KVec<u8>),
}

/// Where a request was when its caller was signalled or gave up.
enum Withdrawn {
    /// Not read by the daemon: gone without a trace.
    Unsent,
    /// Read by the daemon, which has been sent an INTERRUPT for it.
    Sent,
    /// A reply (or the abort) already took it: its result is coming.
    Owned,
}

/// One daemon connection's request queue.
#[pin_data]
pub(crate) struct Transport {
    #[pin]
    state: Mutex<State>,
    /// Daemon readers wait here for requests.
    #[pin]
    readable: CondVar,
    /// Callers wait here for a free slot.
    #[pin]
    room: CondVar,
    #[pin]
    pollers: PollQueue,
    next_unique: AtomicU64,
    /// Requests queued, FORGETs and INTERRUPTs included: the single
    /// counting point for the upcall counters.
    upcalls: AtomicU64,
    /// Malformed replies refused.
    bad_replies: AtomicU64,
    /// RELEASEs and RELEASEDIRs dropped: the background queue was full of
    /// requests the daemon had not read.
    releases_dropped: AtomicU64,
}

impl Transport {
    /// A connected transport with an empty queue.
    pub(crate) fn new() -> impl PinInit<Self, Error> {
        try_pin_init!(Self {
            state <- new_mutex!(State {
                closed: None,
                slots: empty_slots()?,
                in_flight: 0,
                unsent: 0,
                forgets: KVec::new(),
                interrupts: [0; MAX_IN_FLIGHT],
                n_interrupts: 0,
                background: BackgroundQueue::new()?,
            }),
            readable <- new_condvar!(),
            room <- new_condvar!(),
            pollers <- PollQueue::new(),
            next_unique: AtomicU64::new(2),
            upcalls: AtomicU64::new(0),
            bad_replies: AtomicU64::new(0),
            releases_dropped: AtomicU64::new(0),
        }? Error)
    }

    /// Requests queued so far (INTERRUPTs and FORGETs included).
    pub(crate) fn upcalls_counter(&self) -> &AtomicU64 {
        &self.upcalls
    }

    /// Malformed replies refused so far.
    pub(crate) fn bad_replies_counter(&self) -> &AtomicU64 {
        &self.bad_replies
    }

    /// RELEASEs and RELEASEDIRs dropped so far.
    pub(crate) fn releases_dropped_counter(&self) -> &AtomicU64 {
        &self.releases_dropped
    }

    fn wake_reader(&self) {
        self.readable.notify_one();
        self.pollers.wake();
    }

    /// Builds a request with `encode` (given the header with its unique),
    /// queues it, and waits for the reply, which the core has checked
    /// against `pending`. A signal before the daemon reads the request
    /// restarts the system call; after, only a fatal one ends the wait
    /// (EINTR).
    pub(crate) fn call(
        &self,
        pending: Pending,
        header: RequestHeader,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
    ) -> Result<Reply> {
        self.call_within(pending, header, encode, None)
    }

    /// As [`Transport::call`], giving up with ETIMEDOUT after `timeout`
    /// jiffies if given.
    pub(crate) fn call_within(
        &self,
        pending: Pending,
        header: RequestHeader,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
        timeout: Option<u64>,
    ) -> Result<Reply> {
        let request = self.build(pending, header, encode)?;
        self.enqueue(&request)?;
        let deadline = timeout.map(|t| jiffies().wrapping_add(t));
        match request.answered.wait_interruptible(timeout) {
            Waited::Done => return request.result(),
            Waited::Timeout => return self.give_up(&request, etimedout()),
            Waited::Signal => {}
        }
        // A signal. Unread by the daemon, the request just goes and the
        // system call restarts; read, the daemon is told and answered for.
        match self.withdraw(&request, false) {
            Withdrawn::Unsent => return Err(ERESTARTSYS),
            Withdrawn::Owned => return request.settled(),
            Withdrawn::Sent => {}
        }
        let left = deadline.map(|d| {
            let now = jiffies();
            if time_before(now, d) {
                d.wrapping_sub(now)
            } else {
                1
            }
        });
        match request.answered.wait_killable(left) {
            Waited::Done => request.result(),
            Waited::Timeout => self.give_up(&request, etimedout()),
            Waited::Signal => self.give_up(&request, EINTR),
        }
    }

    /// Ends the wait for `request` with `error`, unless a reply already
    /// took it: then it did happen, and its result is the answer.
    fn give_up(&self, request: &Request, error: Error) -> Result<Reply> {
        match self.withdraw(request, true) {
            Withdrawn::Unsent | Withdrawn::Sent => Err(error),
            Withdrawn::Owned => request.settled(),
        }
    }

    /// Queues a request whose reply nobody waits for (RELEASE and
    /// RELEASEDIR: the last close must not block on the daemon, and may
    /// run in a kernel worker). It is built here, before any lock, and
    /// queued without sleeping and without a call slot; when the queue is
    /// full of requests the daemon has not read, it is dropped, counted
    /// and logged (rate-limited): see `background.rs` for why.
    pub(crate) fn send_background(
        &self,
        pending: Pending,
        header: RequestHeader,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
    ) -> Result {
        let (unique, message) = self.encode(header, encode)?;
        let mut state = self.state.lock();
        if let Some(e) = state.closed {
            return Err(e);
        }
        let queued = state.background.push(unique, pending, message);
        drop(state);
        if queued.is_err() {
            self.releases_dropped.fetch_add(1, Ordering::Relaxed);
            if crate::kapi::log::ratelimit_ok() {
                pr_warn!(
                    "the daemon reads no requests: {:?} dropped ({} queued unread)\n",
                    pending.opcode(),
                    crate::fuse::background::MAX_BACKGROUND
                );
            }
            return Err(EAGAIN);
        }
        self.upcalls.fetch_add(1, Ordering::Relaxed);
        self.wake_reader();
        Ok(())
    }

    /// Gives `header` the next unique and encodes the message with
    /// `encode`.
    fn encode(
        &self,
        mut header: RequestHeader,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
    ) -> Result<(u64, KVec<u8>)> {
        header.unique = self.next_unique.fetch_add(2, Ordering::Relaxed);
        let mut buf = [0u8; MAX_REQUEST];
        let len = encode(&mut buf, &header).map_err(wire_error)?;
        let mut message = KVec::with_capacity(len, GFP_KERNEL)?;
        message.extend_from_slice(buf.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
        Ok((header.unique, message))
    }

    fn build(
        &self,
        pending: Pending,
        header: RequestHeader,
        encode: impl FnOnce(&mut [u8], &RequestHeader) -> core::result::Result<usize, WireError>,
    ) -> Result<Arc<Request>> {
        let (unique, message) = self.encode(header, encode)?;
        Arc::pin_init(
            pin_init!(Request {
                unique,
                pending,
                message,
                reply <- new_mutex!(None),
                answered <- Completion::new(),
            }),
            GFP_KERNEL,
        )
    }

    fn enqueue(&self, request: &Arc<Request>) -> Result {
        let mut state = self.state.lock();
        loop {
            if let Some(e) = state.closed {
                return Err(e);
            }
            if state.in_flight < MAX_IN_FLIGHT {
                break;
            }
            if self.room.wait_interruptible(&mut state) {
                // Nothing was queued: the system call may be restarted.
                return Err(ERESTARTSYS);
            }
        }
        let slot = state.slots.iter_mut().find(|s| s.is_none()).ok_or(EBUSY)?;
        *slot = Some(Slot {
            request: request.clone(),
            sent: false,
            interrupted: false,
        });
        state.in_flight += 1;
        state.unsent += 1;
        drop(state);
        self.upcalls.fetch_add(1, Ordering::Relaxed);
        self.wake_reader();
        Ok(())
    }

    /// Queues a FORGET of `nlookup` lookups of `nodeid` (no reply). Dropped
    /// when the connection is gone: the daemon forgets everything then.
    /// Never allocates with reclaim allowed: eviction calls this.
    pub(crate) fn forget(&self, nodeid: u64, nlookup: u64) {
        let mut state = self.state.lock();
        if state.closed.is_some() {
            return;
        }
        let item = fuse_forget_one { nodeid, nlookup };
        // Eviction may run under memory reclaim: do not wait for memory.
        if state.forgets.push(item, GFP_NOWAIT).is_err() {
            // The daemon keeps a node id it could drop: harmless (node ids
            // are never reused), and there is nobody to report to.
            return;
        }
        drop(state);
        self.upcalls.fetch_add(1, Ordering::Relaxed);
        self.wake_reader();
    }

    /// After a signal (`remove` false) or when its caller gives up
    /// (`remove` true): a request the daemon has not read is taken out; one
    /// it has read gets an INTERRUPT (once), and is taken out only with
    /// `remove`, after which its reply is refused with ENOENT.
    fn withdraw(&self, request: &Request, remove: bool) -> Withdrawn {
        let mut state = self.state.lock();
        let Some(index) = state.find(request.unique) else {
            return Withdrawn::Owned;
        };
        let (sent, interrupted) = match state.slots.get_mut(index) {
            Some(Some(slot)) => {
                let was = (slot.sent, slot.interrupted);
                slot.interrupted |= slot.sent;
                was
            }
            _ => return Withdrawn::Owned,
        };
        if sent && !interrupted && state.closed.is_none() && state.n_interrupts < MAX_IN_FLIGHT {
            let n = state.n_interrupts;
            state.interrupts[n] = request.unique;
            state.n_interrupts = n + 1;
            self.upcalls.fetch_add(1, Ordering::Relaxed);
        }
        let removed = (remove || !sent) && state.take(index).is_some();
        drop(state);
        if removed {
            self.room.notify_one();
        }
        self.wake_reader();
        if sent {
            Withdrawn::Sent
        } else {
            Withdrawn::Unsent
        }
    }

    /// The next message for the daemon: INTERRUPTs, then FORGETs, then the
    /// oldest request, call or background. Allocates nothing.
    fn next_outgoing(&self, state: &mut State) -> Option<Outgoing> {
        if state.n_interrupts > 0 {
            state.n_interrupts -= 1;
            return Some(Outgoing::Interrupt(state.interrupts[state.n_interrupts]));
        }
        if !state.forgets.is_empty() {
            return Some(Outgoing::Forgets(core::mem::take(&mut state.forgets)));
        }
        let call = state.oldest_unsent();
        let call_unique = call
            .and_then(|i| state.slots.get(i)?.as_ref())
            .map(|s| s.request.unique);
        if let Some(unique) = state.background.oldest_unread() {
            if call_unique.map_or(true, |u| unique < u) {
                let message = state.background.take_message(unique)?;
                return Some(Outgoing::Background(unique, message));
            }
        }
        let index = call?;
        match state.slots.get_mut(index) {
            Some(Some(slot)) => {
                slot.sent = true;
                let request = slot.request.clone();
                state.unsent = state.unsent.saturating_sub(1);
                Some(Outgoing::Request(request))
            }
            _ => None,
        }
    }

    /// Puts FORGETs that did not fit in one BATCH_FORGET back (with any
    /// queued meanwhile). Without memory, the newer ones are dropped:
    /// harmless, node ids are never reused.
    fn requeue_forgets(&self, mut rest: KVec<fuse_forget_one>) {
        let mut state = self.state.lock();
        if state.closed.is_some() {
            return;
        }
        for item in core::mem::take(&mut state.forgets) {
            let _ = rest.push(item, GFP_NOWAIT);
        }
        state.forgets = rest;
    }

    /// The BATCH_FORGET for the last items of `all` (at most what fits in
    /// the smallest read buffer); the rest is queued again.
    fn forget_message(&self, mut all: KVec<fuse_forget_one>) -> Result<KVec<u8>> {
        let n = all.len();
        let k = n.min(MAX_BATCH);
        let unique = self.next_unique.fetch_add(2, Ordering::Relaxed);
        let message = match all
            .get(n - k..)
            .map(|items| build_batch_forget(unique, items))
        {
            Some(Ok(m)) => m,
            Some(Err(e)) => {
                self.requeue_forgets(all);
                return Err(e);
            }
            None => return Err(EINVAL),
        };
        crate::kapi::vec::truncate(&mut all, n - k);
        if !all.is_empty() {
            self.requeue_forgets(all);
        }
        Ok(message)
    }

    /// `read(2)` on the control device: the next request, whole.
    pub(crate) fn read(&self, mut out: UserSliceWriter, nonblock: bool) -> Result<usize> {
        if out.len() < MIN_READ_BUFFER {
            return Err(EINVAL);
        }
        let mut state = self.state.lock();
        let outgoing = loop {
            if state.closed.is_some() {
                return Err(ENODEV);
            }
            if let Some(o) = self.next_outgoing(&mut state) {
                break o;
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if self.readable.wait_interruptible(&mut state) {
                return Err(ERESTARTSYS);
            }
        };
        drop(state);
        let message = match outgoing {
            Outgoing::Interrupt(unique) => build_interrupt(unique)?,
            Outgoing::Forgets(all) => self.forget_message(all)?,
            Outgoing::Background(unique, message) => {
                if let Err(e) = out.write_slice(&message) {
                    // Never answered: forget it.
                    drop(self.state.lock().background.take_read(unique));
                    return Err(e);
                }
                return Ok(message.len());
            }
            Outgoing::Request(request) => {
                if let Err(e) = out.write_slice(&request.message) {
                    // The daemon will never answer what it could not read.
                    self.finish(request.unique, Err(EIO));
                    return Err(e);
                }
                return Ok(request.message.len());
            }
        };
        out.write_slice(&message)?;
        Ok(message.len())
    }

    /// `write(2)` on the control device: one reply, checked by the core
    /// before the waiting caller sees it.
    pub(crate) fn write(&self, input: UserSliceReader) -> Result<usize> {
        let len = input.len();
        let mut head = [0u8; OUT_HEADER_LEN];
        if len < OUT_HEADER_LEN {
            return Err(self.refuse(None, ReplyError::ShortHeader));
        }
        input.clone_reader().read_slice(&mut head)?;
        let unique = fuse_out_header::get(&head).map(|h| h.unique);
        if len > MAX_REPLY {
            // Not copied at all: fail the request it names, if any.
            return Err(self.refuse(unique, ReplyError::TooLong));
        }
        let mut message = KVec::with_capacity(len, GFP_KERNEL)?;
        input.read_all(&mut message, GFP_KERNEL)?;
        let (header, _) = match wire::parse_reply_header(&message, MAX_REPLY) {
            Ok(h) => h,
            Err(e) => return Err(self.refuse(unique, e)),
        };
        let mut state = self.state.lock();
        let slot = state.take_sent(header.unique);
        let background = match slot {
            Some(_) => None,
            None => state.background.take_read(header.unique),
        };
        drop(state);
        let Some(slot) = slot else {
            return self.background_reply(background.ok_or(ENOENT)?, &message);
        };
        self.room.notify_one();
        let request = slot.request;
        match wire::check_reply(request.pending, &message, MAX_REPLY) {
            Ok(_) => {
                request.complete(Ok(message));
                Ok(len)
            }
            Err(ReplyError::Daemon(e)) => {
                request.complete(Err(Error::from_errno(-e)));
                Ok(len)
            }
            Err(e) => {
                self.note_bad_reply(Some(request.pending.opcode()), e);
                request.complete(Err(reply_error(e)));
                Err(EINVAL)
            }
        }
    }

    /// The reply to a RELEASE or RELEASEDIR, which nobody waits for: checked
    /// like any reply; the daemon's errno goes nowhere (the handle is gone
    /// either way).
    fn background_reply(&self, request: Background, message: &[u8]) -> Result<usize> {
        match wire::check_reply(request.pending, message, MAX_REPLY) {
            Ok(_) | Err(ReplyError::Daemon(_)) => Ok(message.len()),
            Err(e) => {
                self.note_bad_reply(Some(request.pending.opcode()), e);
                Err(EINVAL)
            }
        }
    }

    /// Refuses a reply whose header is unusable: the request it names (if
    /// it is one awaiting a reply) fails with EIO; the write gets EINVAL.
    fn refuse(&self, unique: Option<u64>, e: ReplyError) -> Error {
        self.note_bad_reply(None, e);
        let slot = unique.and_then(|u| {
            let mut state = self.state.lock();
            let slot = state.take_sent(u);
            if slot.is_none() {
                // A background request's: nothing waits, it just goes.
                drop(state.background.take_read(u));
            }
            slot
        });
        if let Some(slot) = slot {
            self.room.notify_one();
            slot.request.complete(Err(EIO));
        }
        EINVAL
    }

    /// Counts a malformed reply and logs it (rate-limited); `opcode` when
    /// the request it answers is known.
    fn note_bad_reply(&self, opcode: Option<Opcode>, e: ReplyError) {
        self.count_bad_reply();
        if !crate::kapi::log::ratelimit_ok() {
            return;
        }
        match opcode {
            Some(op) => pr_warn!("bad reply to {:?}: {:?}\n", op, e),
            None => pr_warn!("refused a reply from the daemon: {:?}\n", e),
        }
    }

    /// Counts a reply that passed the core's checks but that the file
    /// system refused (it contradicts what the mount already knows).
    pub(crate) fn count_bad_reply(&self) {
        self.bad_replies.fetch_add(1, Ordering::Relaxed);
    }

    fn finish(&self, unique: u64, result: Result<KVec<u8>>) {
        let mut state = self.state.lock();
        let slot = state.find(unique).and_then(|i| state.take(i));
        drop(state);
        if let Some(slot) = slot {
            self.room.notify_one();
            slot.request.complete(result);
        }
    }

    /// `poll(2)` on the control device.
    pub(crate) fn poll(&self, table: &PollTable) -> u32 {
        table.register(&self.pollers);
        let state = self.state.lock();
        if state.closed.is_some() {
            return POLL_ERROR | POLL_READABLE;
        }
        if state.has_work() {
            POLL_WRITABLE | POLL_READABLE
        } else {
            POLL_WRITABLE
        }
    }

    /// Ends the connection: every waiting and later call fails with
    /// `errno`; the daemon's reads fail with ENODEV. The first reason
    /// sticks.
    pub(crate) fn close(&self, errno: Error) {
        // Reserved before the lock, so that moving the requests out cannot
        // fail; if even this fails, they are completed under the lock.
        let mut taken: KVec<Arc<Request>> =
            KVec::with_capacity(MAX_IN_FLIGHT, GFP_KERNEL).unwrap_or_default();
        let mut state = self.state.lock();
        if state.closed.is_none() {
            state.closed = Some(errno);
        }
        for i in 0..MAX_IN_FLIGHT {
            if let Some(slot) = state.take(i) {
                if taken.len() < taken.capacity() {
                    // Within the reserved capacity: does not allocate.
                    let _ = taken.push(slot.request, GFP_ATOMIC);
                } else {
                    slot.request.complete(Err(errno));
                }
            }
        }
        state.forgets = KVec::new();
        state.n_interrupts = 0;
        state.background.clear();
        drop(state);
        for request in taken {
            request.complete(Err(errno));
        }
        self.readable.notify_all();
        self.room.notify_all();
        self.pollers.wake();
    }

    /// Whether the connection still carries requests.
    pub(crate) fn is_open(&self) -> bool {
        self.state.lock().closed.is_none()
    }
}

fn empty_slots() -> Result<KVec<Option<Slot>>> {
    let mut slots = KVec::with_capacity(MAX_IN_FLIGHT, GFP_KERNEL)?;
    for _ in 0..MAX_IN_FLIGHT {
        slots.push(None, GFP_KERNEL)?;
    }
    Ok(slots)
}

fn build_interrupt(unique: u64) -> Result<KVec<u8>> {
    let header = RequestHeader {
        opcode: Opcode::Interrupt,
        unique: unique | INTERRUPT_BIT,
        nodeid: 0,
        uid: 0,
        gid: 0,
        pid: 0,
    };
    let mut buf = [0u8; IN_HEADER_LEN + fuse_interrupt_in::SIZE];
    let len = encode_request(&mut buf, &header, &fuse_interrupt_in { unique }, &[])
        .map_err(wire_error)?;
    let mut message = KVec::with_capacity(len, GFP_KERNEL)?;
    message.extend_from_slice(buf.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
    Ok(message)
}

fn build_batch_forget(unique: u64, items: &[fuse_forget_one]) -> Result<KVec<u8>> {
    let header = RequestHeader {
        opcode: Opcode::BatchForget,
        unique,
        nodeid: 0,
        uid: 0,
        gid: 0,
        pid: 0,
    };
    let mut message = KVec::from_elem(0u8, MIN_READ_BUFFER, GFP_KERNEL)?;
    let len = encode_batch_forget(&mut message, &header, items).map_err(wire_error)?;
    let mut exact = KVec::with_capacity(len, GFP_KERNEL)?;
    exact.extend_from_slice(message.get(..len).ok_or(EINVAL)?, GFP_KERNEL)?;
    Ok(exact)
}
