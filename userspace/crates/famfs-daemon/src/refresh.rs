// SPDX-License-Identifier: GPL-2.0
//! Picking up log entries appended after mount, on a thread of its own.
//!
//! The choice (DESIGN.md: the daemon must never deadlock on itself): the
//! refresh thread owns the [`MetaStore`] and the incremental [`Replay`];
//! it is the only code that reads the log. It catches up every
//! `period` (only when asked once the log is read through the mount: an
//! open `.meta/.log` would make umount(2) fail with EBUSY), and whenever
//! the serving thread asks. The serving thread
//! never reads the log and never waits without a bound: on a LOOKUP miss
//! (or a READDIR from the start) it asks for a refresh and waits at most
//! [`Refresher::wait_fresh`]'s bound (200 ms in the daemon), then answers
//! from whatever snapshot is current. Once the log is read through the
//! mount's own `.meta/.log` (whose LOOKUP/GET_FMAP this daemon answers),
//! a refresh that needs the serving thread simply completes after the
//! bounded wait has let the serving thread go on answering.

use std::sync::{Arc, Condvar, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use famfs_host::dlog;
use famfs_meta::store::MetaStore;
use famfs_meta::Replay;

use crate::snapshot::{SbFacts, Snapshot};
use crate::source::MetaSource;

struct State {
    current: Arc<Snapshot>,
    /// Refreshes asked for so far (a ticket counter).
    requested: u64,
    /// The last ticket a finished refresh covered.
    completed: u64,
    /// A new source for the worker (`Some(None)`: read nothing).
    switch: Option<Option<Arc<dyn MetaSource>>>,
    /// Source switches asked for, and applied, so far.
    switch_requested: u64,
    switched: u64,
    stop: bool,
}

struct Shared {
    state: Mutex<State>,
    /// Wakes the refresh thread.
    wake: Condvar,
    /// Wakes waiters when a refresh finished.
    done: Condvar,
}

impl Shared {
    fn lock(&self) -> MutexGuard<'_, State> {
        // A panic elsewhere cannot leave State inconsistent (plain fields).
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// Waits on `done` until `ready`, a stop, or `deadline`.
    fn wait_done<'a>(
        &self,
        mut st: MutexGuard<'a, State>,
        deadline: Instant,
        ready: impl Fn(&State) -> bool,
    ) -> MutexGuard<'a, State> {
        while !ready(&st) && !st.stop {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                break;
            }
            st = self
                .done
                .wait_timeout(st, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        st
    }
}

/// The refresh thread and the current snapshot.
pub struct Refresher {
    shared: Arc<Shared>,
    thread: Option<JoinHandle<()>>,
}

/// What the refresh thread owns.
struct Worker {
    /// `None` while the device changes hands (nothing to read).
    source: Option<Arc<dyn MetaSource>>,
    store: Option<MetaStore>,
    replay: Replay,
    sb: SbFacts,
    generation: u64,
    last_error: Option<String>,
}

impl Worker {
    /// Catches up; returns a new snapshot if the log grew.
    fn refresh(&mut self) -> Option<Snapshot> {
        let source = self.source.clone()?;
        if self.store.is_none() {
            match source.open() {
                Ok(s) => self.store = Some(s),
                Err(e) => {
                    self.note_error(format!("cannot open {}: {e}", source.describe()));
                    return None;
                }
            }
        }
        let r = self.catch_up();
        if source.transient() {
            // Hold nothing open between refreshes (see MetaSource::transient).
            self.store = None;
        }
        r
    }

    /// Replaces the source; the old store (and its mappings) is dropped.
    /// Whether the source is read only on request (see `run`).
    fn on_demand_only(&self) -> bool {
        self.source.as_ref().is_some_and(|s| s.transient())
    }

    fn set_source(&mut self, source: Option<Arc<dyn MetaSource>>) {
        self.store = None;
        dlog!(
            "log source: {}",
            source
                .as_ref()
                .map_or("none (devices changing hands)".into(), |s| s.describe())
        );
        self.source = source;
        self.last_error = None;
    }

    fn catch_up(&mut self) -> Option<Snapshot> {
        let store = self.store.as_ref()?;
        match self.replay.catch_up(store) {
            Ok(applied) if applied.is_empty() => {
                self.last_error = None;
                None
            }
            Ok(applied) => {
                self.last_error = None;
                self.generation += 1;
                dlog!(
                    "log grew: {} new entries replayed (now {} slots, snapshot {})",
                    applied.len(),
                    self.replay.next_index,
                    self.generation
                );
                Some(Snapshot::new(self.replay.clone(), self.sb, self.generation))
            }
            Err(e) => {
                self.note_error(format!("log refresh failed: {e}"));
                // Re-open next time: the media may have been replaced.
                self.store = None;
                None
            }
        }
    }

    fn note_error(&mut self, msg: String) {
        if self.last_error.as_deref() != Some(msg.as_str()) {
            dlog!("{msg} (serving the last good snapshot)");
            self.last_error = Some(msg);
        }
    }
}

impl Refresher {
    /// Starts the refresh thread over `store` (already replayed into
    /// `replay`), catching up every `period` and on request.
    pub fn start(
        source: Arc<dyn MetaSource>,
        store: MetaStore,
        replay: Replay,
        sb: SbFacts,
        period: Duration,
    ) -> std::io::Result<Self> {
        let first = Arc::new(Snapshot::new(replay.clone(), sb, 0));
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                current: first,
                requested: 0,
                completed: 0,
                switch: None,
                switch_requested: 0,
                switched: 0,
                stop: false,
            }),
            wake: Condvar::new(),
            done: Condvar::new(),
        });
        let mut worker = Worker {
            source: Some(source),
            store: Some(store),
            replay,
            sb,
            generation: 0,
            last_error: None,
        };
        let sh = shared.clone();
        let thread = std::thread::Builder::new()
            .name("famfs-refresh".into())
            .spawn(move || run(&sh, &mut worker, period))?;
        Ok(Refresher {
            shared,
            thread: Some(thread),
        })
    }

    /// The current snapshot (never waits for a refresh).
    pub fn current(&self) -> Arc<Snapshot> {
        self.shared.lock().current.clone()
    }

    /// Makes the refresh thread read from `source` from now on (`None`:
    /// read nothing), dropping whatever it holds of the old one. Waits at
    /// most `bound` for the thread to let go of the old source (a refresh
    /// in progress finishes first); returns whether it did. The new
    /// source is first read right after, on the refresh thread.
    pub fn set_source(&self, source: Option<Arc<dyn MetaSource>>, bound: Duration) -> bool {
        let deadline = Instant::now() + bound;
        let mut st = self.shared.lock();
        st.switch = Some(source);
        st.switch_requested += 1;
        let ticket = st.switch_requested;
        self.shared.wake.notify_one();
        let st = self
            .shared
            .wait_done(st, deadline, |s| s.switched >= ticket);
        st.switched >= ticket
    }

    /// Asks for a refresh and waits for it at most `bound`; returns the
    /// snapshot current then (the old one if the refresh is slower).
    pub fn wait_fresh(&self, bound: Duration) -> Arc<Snapshot> {
        let deadline = Instant::now() + bound;
        let mut st = self.shared.lock();
        st.requested += 1;
        let ticket = st.requested;
        self.shared.wake.notify_one();
        let st = self
            .shared
            .wait_done(st, deadline, |s| s.completed >= ticket);
        st.current.clone()
    }
}

fn worker_completed(shared: &Shared) -> u64 {
    shared.lock().completed
}

fn run(shared: &Shared, worker: &mut Worker, period: Duration) {
    loop {
        let (ticket, switch) = {
            let mut st = shared.lock();
            if st.completed >= st.requested && st.switch.is_none() && !st.stop {
                st = shared
                    .wake
                    .wait_timeout(st, period)
                    .unwrap_or_else(|p| p.into_inner())
                    .0;
            }
            if st.stop {
                return;
            }
            (
                st.requested,
                st.switch.take().map(|s| (s, st.switch_requested)),
            )
        };
        if let Some((source, n)) = switch {
            worker.set_source(source);
            let mut st = shared.lock();
            st.switched = st.switched.max(n);
            shared.done.notify_all();
        }
        // The mount's own .meta/.log is read only when asked (a LOOKUP
        // miss, a listing): each read opens a file under the mount, and
        // umount(2) fails with EBUSY while one is open, so no timer may
        // open it behind the administrator's back.
        let asked = ticket > worker_completed(shared);
        if worker.on_demand_only() && !asked {
            let mut st = shared.lock();
            st.completed = st.completed.max(ticket);
            shared.done.notify_all();
            continue;
        }
        let new = worker.refresh();
        let mut st = shared.lock();
        if let Some(s) = new {
            st.current = Arc::new(s);
        }
        st.completed = st.completed.max(ticket);
        shared.done.notify_all();
    }
}

impl Drop for Refresher {
    fn drop(&mut self) {
        self.shared.lock().stop = true;
        self.shared.wake.notify_all();
        self.shared.done.notify_all();
        if let Some(t) = self.thread.take() {
            // The thread only fails to join if it panicked; nothing to do.
            let _ = t.join();
        }
    }
}
