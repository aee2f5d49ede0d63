// SPDX-License-Identifier: GPL-2.0

// DRAFT, not yet part of the build (module/famfs.rs does not declare it):
// written against a guessed wire API; it must be adapted to
// core::wire (encode_request, check_reply, Pending, ReplyBody) first.
//! The FUSE transport of one daemon connection: requests queued by the file
//! system, read by the daemon from `/dev/famfs_rs`, answered by its writes.
//!
//! At most [`MAX_IN_FLIGHT`] requests are queued or awaiting a reply at once;
//! callers beyond that wait for room. Every reply is checked by the shared
//! core (`crate::wire`) before a caller sees it. Closing the device aborts
//! the connection: every waiter and every later call gets `ENOTCONN`.

use crate::poll::{PollQueue, PollTable, POLL_ERROR, POLL_READABLE, POLL_WRITABLE};
use crate::wire::{self, RequestHeader};
use core::sync::atomic::{AtomicU64, Ordering};
use kernel::prelude::*;
use kernel::sync::{Arc, CondVar, Mutex};
use kernel::uaccess::{UserSliceReader, UserSliceWriter};
use kernel::{new_condvar, new_mutex};

/// Requests queued or awaiting a reply, per connection.
pub(crate) const MAX_IN_FLIGHT: usize = 64;

/// The smallest read buffer a daemon may use (as FUSE's 8 KiB): every
/// request famfs_rs sends fits.
pub(crate) const MIN_READ_BUFFER: usize = 8192;

/// One request and, once answered, its reply body.
#[pin_data]
pub(crate) struct Request {
    opcode: u32,
    unique: u64,
    /// The whole message: FUSE in-header and body.
    message: KVec<u8>,
    #[pin]
    reply: Mutex<Option<Result<KVec<u8>>>>,
    #[pin]
    answered: CondVar,
}

impl Request {
    fn complete(&self, result: Result<KVec<u8>>) {
        let mut reply = self.reply.lock();
        if reply.is_none() {
            *reply = Some(result);
        }
        self.answered.notify_all();
    }
}

/// Where a request is.
struct Slot {
    request: Arc<Request>,
    /// Read by the daemon: now awaiting its reply.
    sent: bool,
}

struct State {
    connected: bool,
    /// Requests in flight; a request's index here is fixed while it lives.
    slots: KVec<Option<Slot>>,
    in_flight: usize,
}

impl State {
    /// The oldest request not yet read by the daemon. Uniques grow, so the
    /// smallest unsent unique is the oldest.
    fn oldest_unsent(&self) -> Option<usize> {
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
        self.slots.iter().position(|s| {
            s.as_ref()
                .is_some_and(|s| s.request.unique == unique)
        })
    }

    fn take(&mut self, index: usize) -> Option<Slot> {
        let slot = self.slots.get_mut(index)?.take();
        if slot.is_some() {
            self.in_flight -= 1;
        }
        slot
    }
}

/// One daemon connection's request queue.
#[pin_data]
pub(crate) struct Transport {
    #[pin]
    state: Mutex<State>,
    /// Daemon readers wait here for requests.
    #[pin]
    readable: CondVar,
    /// Callers wait here for room in the queue.
    #[pin]
    room: CondVar,
    #[pin]
    pollers: PollQueue,
    next_unique: AtomicU64,
    /// Requests sent, for the per-mount counters and tests.
    upcalls: AtomicU64,
}

impl Transport {
    /// A connected transport with an empty queue.
    pub(crate) fn new() -> Result<impl PinInit<Self, Error>> {
        let mut slots = KVec::with_capacity(MAX_IN_FLIGHT, GFP_KERNEL)?;
        for _ in 0..MAX_IN_FLIGHT {
            slots.push(None, GFP_KERNEL)?;
        }
        Ok(try_pin_init!(Self {
            state <- new_mutex!(State { connected: true, slots, in_flight: 0 }),
            readable <- new_condvar!(),
            room <- new_condvar!(),
            pollers <- PollQueue::new(),
            next_unique: AtomicU64::new(2),
            upcalls: AtomicU64::new(0),
        }? Error))
    }

    /// Requests sent so far.
    pub(crate) fn upcalls(&self) -> u64 {
        self.upcalls.load(Ordering::Relaxed)
    }

    /// Sends a request and waits for its reply body, which `crate::wire` has
    /// checked against the opcode. A signal while waiting gives `EINTR`.
    pub(crate) fn call(&self, header: &RequestHeader, body: &[u8]) -> Result<KVec<u8>> {
        // Uniques are even: FUSE reserves the low bit for interrupts.
        let unique = self.next_unique.fetch_add(2, Ordering::Relaxed);
        let message = wire::encode_request(header, unique, body)?;
        let request = Arc::pin_init(
            pin_init!(Request {
                opcode: header.opcode,
                unique,
                message,
                reply <- new_mutex!(None),
                answered <- new_condvar!(),
            }),
            GFP_KERNEL,
        )?;
        self.enqueue(&request)?;
        self.upcalls.fetch_add(1, Ordering::Relaxed);
        if !wire::expects_reply(header.opcode) {
            return Ok(KVec::new());
        }
        let mut reply = request.reply.lock();
        loop {
            if let Some(result) = reply.take() {
                return result;
            }
            if request.answered.wait_interruptible(&mut reply) {
                drop(reply);
                self.withdraw(&request);
                reply = request.reply.lock();
                if let Some(result) = reply.take() {
                    return result;
                }
                return Err(EINTR);
            }
        }
    }

    fn enqueue(&self, request: &Arc<Request>) -> Result {
        let mut state = self.state.lock();
        loop {
            if !state.connected {
                return Err(ENOTCONN);
            }
            if state.in_flight < MAX_IN_FLIGHT {
                break;
            }
            if self.room.wait_interruptible(&mut state) {
                return Err(EINTR);
            }
        }
        let index = state.slots.iter().position(|s| s.is_none()).ok_or(EBUSY)?;
        state.slots[index] = Some(Slot {
            request: request.clone(),
            sent: false,
        });
        state.in_flight += 1;
        drop(state);
        self.readable.notify_one();
        self.pollers.wake();
        Ok(())
    }

    /// Takes an interrupted request out of the queue; a reply that arrives
    /// later finds no request and is refused with `ENOENT`.
    fn withdraw(&self, request: &Request) {
        let mut state = self.state.lock();
        if let Some(index) = state.find(request.unique) {
            state.take(index);
            self.room.notify_one();
        }
    }

    /// `read(2)` on the control device: the next request, whole.
    pub(crate) fn read(&self, mut out: UserSliceWriter, nonblock: bool) -> Result<usize> {
        if out.len() < MIN_READ_BUFFER {
            return Err(EINVAL);
        }
        let mut state = self.state.lock();
        let index = loop {
            if !state.connected {
                return Err(ENODEV);
            }
            if let Some(index) = state.oldest_unsent() {
                break index;
            }
            if nonblock {
                return Err(EAGAIN);
            }
            if self.readable.wait_interruptible(&mut state) {
                return Err(ERESTARTSYS);
            }
        };
        let request = match state.slots.get_mut(index) {
            Some(Some(slot)) => {
                slot.sent = true;
                slot.request.clone()
            }
            _ => return Err(EIO),
        };
        if !wire::expects_reply(request.opcode) {
            state.take(index);
            self.room.notify_one();
        }
        drop(state);
        if let Err(e) = out.write_slice(&request.message) {
            // The daemon will never answer what it could not read.
            self.finish(request.unique, Err(EIO));
            return Err(e);
        }
        Ok(request.message.len())
    }

    /// `write(2)` on the control device: one reply, checked before the
    /// waiting caller sees it. A reply that breaks a rule fails its request
    /// with `EIO` and the write with `EINVAL`.
    pub(crate) fn write(&self, input: UserSliceReader) -> Result<usize> {
        let len = input.len();
        if len < wire::OUT_HEADER_LEN || len > wire::MAX_REPLY_LEN {
            return Err(EINVAL);
        }
        let mut message = KVec::new();
        input.read_all(&mut message, GFP_KERNEL)?;
        let header = wire::decode_reply_header(&message)?;
        let request = {
            let mut state = self.state.lock();
            let index = state.find(header.unique).ok_or(ENOENT)?;
            if !state.slots[index].as_ref().is_some_and(|s| s.sent) {
                return Err(ENOENT);
            }
            let slot = state.take(index).ok_or(ENOENT)?;
            self.room.notify_one();
            slot.request
        };
        let result = wire::check_reply(request.opcode, &header, &message);
        match result {
            Ok(body) => {
                let mut owned = KVec::new();
                owned.extend_from_slice(body, GFP_KERNEL)?;
                request.complete(Ok(owned));
                Ok(len)
            }
            Err(wire::ReplyError::Daemon(e)) => {
                request.complete(Err(e));
                Ok(len)
            }
            Err(wire::ReplyError::Malformed) => {
                pr_warn_ratelimited!("malformed reply to opcode {}\n", request.opcode);
                request.complete(Err(EIO));
                Err(EINVAL)
            }
        }
    }

    fn finish(&self, unique: u64, result: Result<KVec<u8>>) {
        let slot = {
            let mut state = self.state.lock();
            let index = state.find(unique);
            index.and_then(|i| state.take(i))
        };
        if let Some(slot) = slot {
            self.room.notify_one();
            slot.request.complete(result);
        }
    }

    /// `poll(2)` on the control device.
    pub(crate) fn poll(&self, table: &PollTable) -> u32 {
        table.register(&self.pollers);
        let state = self.state.lock();
        if !state.connected {
            return POLL_ERROR | POLL_READABLE;
        }
        let mut events = POLL_WRITABLE;
        if state.oldest_unsent().is_some() {
            events |= POLL_READABLE;
        }
        events
    }

    /// Ends the connection (the daemon closed the device): every waiting
    /// and later call fails with `ENOTCONN`.
    pub(crate) fn abort(&self) {
        let mut state = self.state.lock();
        state.connected = false;
        for i in 0..MAX_IN_FLIGHT {
            if let Some(slot) = state.take(i) {
                slot.request.complete(Err(ENOTCONN));
            }
        }
        drop(state);
        self.readable.notify_all();
        self.room.notify_all();
        self.pollers.wake();
    }

    /// Whether the daemon is still there.
    pub(crate) fn connected(&self) -> bool {
        self.state.lock().connected
    }
}
