//! [`Port`]: the thread-safe unified event queue. One lock guards the core;
//! threads with nothing deliverable block in the backend's [`Poller`] (in
//! the kernel itself, on Linux) without the lock.

use std::fmt;
use std::time::{Duration, Instant};

use crate::backend::sim::SimBackend;
use crate::backend::{Backend, Marks, Poller, PreArm, Signal};
use crate::core::{Core, StateName};
use crate::error::Error;
use crate::event::{CancelMode, CancelOutcome, Events, Key, Mode, SourceId, SourceKind, Timeout};
use crate::history::{Op, Record, Ret, WaitTimeout};
use crate::mutant::Mutant;
use crate::sync::{self, AtomicU64, Mutex, MutexGuard, Ordering, ThreadToken};

/// Kernel reports a `wait` takes, at most, when it asks the kernel for a
/// re-check left to its report (F12): that report may sit behind others.
const RECHECK_BATCH: usize = 64;

/// Asks of the kernel one `wait` makes in a row while each fills its batch
/// with nothing deliverable (F11), at least: a held `Level` registration
/// of a level-triggered fd is reported at every ask and put back at the
/// tail of the kernel's ready list, so a later arrival sits behind every
/// such report. The bound is raised to one pass over every registration
/// ([`rounds_for`]), so the wait has seen the whole ready list before it
/// answers `[]` or sleeps (the outer set does not wake it for a report
/// the kernel put back, contract rule 1).
const ZERO_POLL_ROUNDS: usize = 4;

/// Full batches a `wait` asks for in a row, at most, with `live`
/// registrations: one more than the kernel's ready list can hold in full
/// batches (each registration's fd is one kernel registration at most,
/// plus the port's wake-up eventfd and ring).
fn rounds_for(live: usize) -> usize {
    ZERO_POLL_ROUNDS.max((live + 2) / RECHECK_BATCH + 1)
}

/// How a port is built.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Config {
    /// Record every call (see [`crate::history`]).
    pub history: bool,
    /// Switch on a known bug (tests only).
    pub mutant: Option<Mutant>,
}

/// A unified event queue implementing the `unified` profile (DESIGN §3.4).
///
/// Threads call [`wait`](Port::wait) and receive batches. A thread *holds*
/// each event `wait` returned to it until its next `wait`, or its `rearm` or
/// `cancel` of that key; a registration is handed to one thread at a time.
/// Share a port between threads with an `Arc`.
///
/// # Examples
///
/// ```
/// use onering::{Events, Mode, Port, SourceKind, Timeout, EventKind};
///
/// let port = Port::new();
/// let fd = port.add_source(SourceKind::Level);
/// let key = port.register(fd, Mode::Dispatch).unwrap();
/// port.raise(fd).unwrap();
/// let mut events = Events::new();
/// assert_eq!(port.wait(&mut events, 8, Timeout::Poll).unwrap(), 1);
/// assert_eq!(events.as_slice()[0].key, key);
/// assert_eq!(events.as_slice()[0].kind, EventKind::Ready);
/// ```
pub struct Port<B: Backend = SimBackend> {
    core: Mutex<Core<B>>,
    poller: B::Poller,
    clock: AtomicU64,
    recording: bool,
    mutant: Option<Mutant>,
}

impl<B: Backend> fmt::Debug for Port<B> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Port")
            .field("recording", &self.recording)
            .field("mutant", &self.mutant)
            .finish_non_exhaustive()
    }
}

impl Default for Port<SimBackend> {
    fn default() -> Self {
        Self::new()
    }
}

impl Port<SimBackend> {
    /// A port over an empty simulated backend.
    pub fn new() -> Self {
        Self::with_config(SimBackend::new(), Config::default())
    }

    /// A simulated port that records its history.
    pub fn with_history() -> Self {
        Self::with_config(
            SimBackend::new(),
            Config {
                history: true,
                mutant: None,
            },
        )
    }

    /// A simulated port with a known bug switched on (tests only).
    pub fn with_mutant(mutant: Mutant) -> Self {
        Self::with_config(
            SimBackend::new(),
            Config {
                history: false,
                mutant: Some(mutant),
            },
        )
    }

    /// Creates a simulated source.
    pub fn add_source(&self, kind: SourceKind) -> SourceId {
        self.call(
            || Op::AddSource { kind },
            |c| Ok(c.backend.add(kind)),
            |s| Ret::Source(*s),
        )
        .expect("add_source cannot fail")
    }

    /// Environment: raises a `Level` condition (a wake-up even if it already
    /// held) or, once, a `Sticky` one.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::InvalidStep`].
    pub fn raise(&self, source: SourceId) -> Result<(), Error> {
        self.call(
            || Op::Raise { source },
            |c| {
                c.backend.raise(source)?;
                c.signal(Signal::Wake(source)).map(drop)
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: lowers a `Level` condition. A level-triggered
    /// registration queued meanwhile is dropped at delivery (its condition is
    /// re-checked then); an `Edge` stays reported.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`].
    pub fn lower(&self, source: SourceId) -> Result<(), Error> {
        self.call(
            || Op::Lower { source },
            |c| c.backend.lower(source),
            |_| Ret::Unit,
        )
    }

    /// Environment: increments a `Counter` by `n`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::InvalidStep`].
    pub fn increment(&self, source: SourceId, n: u64) -> Result<(), Error> {
        self.call(
            || Op::Increment { source, n },
            |c| {
                c.backend.increment(source, n)?;
                c.signal(Signal::Wake(source)).map(drop)
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: the operation `source` completes with `result`.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStep`] if not an operation, [`Error::NotInFlight`] if it
    /// has no live submission or already finished (e.g. its cancel won).
    pub fn complete(&self, source: SourceId, result: i64) -> Result<(), Error> {
        let (result, cancelled) = (Some(result), false);
        self.call(
            || Op::Complete {
                source,
                result,
                cancelled,
            },
            |c| {
                c.backend.expect_kind(source, SourceKind::Operation)?;
                c.signal(Signal::Complete {
                    source,
                    result,
                    cancelled,
                })?;
                // The completion won any deferred cancel.
                c.backend.take_cancel_request(source);
                Ok(())
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: a deferred cancel of operation `source` takes effect
    /// (backend built [`SimBackend::with_deferred_cancel`]); its final event
    /// is `Final { result: None, cancelled: true }`. Recorded as `complete`
    /// with `cancelled: true`.
    ///
    /// # Errors
    ///
    /// [`Error::NotInFlight`] if no cancel of `source` is pending (never
    /// requested, or the operation's completion won).
    pub fn cancel_lands(&self, source: SourceId) -> Result<(), Error> {
        let (result, cancelled) = (None, true);
        self.call(
            || Op::Complete {
                source,
                result,
                cancelled,
            },
            |c| {
                if !c.backend.take_cancel_request(source) {
                    return Err(Error::NotInFlight(source));
                }
                c.signal(Signal::Complete {
                    source,
                    result,
                    cancelled,
                })
                .map(drop)
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: the `Multishot` operation `source` streams an item.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStep`] (not an operation, or a `Single` submission),
    /// [`Error::NotInFlight`].
    pub fn stream_item(&self, source: SourceId, value: i64) -> Result<(), Error> {
        self.call(
            || Op::StreamItem { source, value },
            |c| {
                c.backend.expect_kind(source, SourceKind::Operation)?;
                c.signal(Signal::Item(source, value)).map(drop)
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: closes `source`. Its queued readiness events are purged
    /// and none follow; a later `cancel` still gives the terminal outcome.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`].
    pub fn close(&self, source: SourceId) -> Result<(), Error> {
        self.call(
            || Op::Close { source },
            |c| {
                c.backend.close(source)?;
                c.signal(Signal::Close(source)).map(drop)
            },
            |_| Ret::Unit,
        )
    }

    /// Environment: `wake(word, n)` on futex source `source`; releases
    /// `min(n, waiting)` waiters, oldest first, and returns how many.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`] if not a futex,
    /// [`Error::ZeroWake`] if `n == 0` (the model's precondition,
    /// [`onering_model::futex_wake_fits`]).
    pub fn futex_wake(&self, source: SourceId, n: u32) -> Result<u32, Error> {
        self.call(
            || Op::FutexWake { source, n },
            |c| {
                c.backend.expect_kind(source, SourceKind::Futex)?;
                c.signal(Signal::FutexWake(source, n))
            },
            |n| Ret::Count(*n),
        )
    }

    /// The value of a simulated counter.
    pub fn count(&self, source: SourceId) -> u64 {
        self.core.lock().backend.count(source)
    }
}

impl<B: Backend> Port<B> {
    /// A port over `backend`.
    pub fn with_config(mut backend: B, config: Config) -> Self {
        let poller = backend.poller();
        Self {
            core: Mutex::new(Core::new(backend, config.mutant, config.history)),
            poller,
            clock: AtomicU64::new(0),
            recording: config.history,
            mutant: config.mutant,
        }
    }

    /// The logical clock, read only when recording.
    fn stamp(&self) -> u64 {
        if self.recording {
            self.clock.fetch_add(1, Ordering::SeqCst)
        } else {
            0
        }
    }

    /// Wakes one blocked waiter if something was queued (contract rule 3).
    fn wake(&self, core: &mut Core<B>) {
        if std::mem::take(&mut core.enqueued)
            && core.parked > 0
            && self.mutant != Some(Mutant::MissingWakeup)
        {
            self.poller.notify();
        }
    }

    /// Records the environment steps the kernel performed in this lock hold
    /// on the kernel's history thread.
    #[inline]
    fn record_kernel(&self, core: &mut Core<B>) {
        if !core.kernel_steps.is_empty() {
            self.record_kernel_steps(core);
        }
    }

    #[cold]
    fn record_kernel_steps(&self, core: &mut Core<B>) {
        for (op, ret) in std::mem::take(&mut core.kernel_steps) {
            let call = self.stamp();
            let done = self.stamp();
            if let Some(h) = core.history.as_mut() {
                h.push_kernel(call, done, op, ret);
            }
        }
    }

    fn record(
        &self,
        core: &mut Core<B>,
        me: impl FnOnce() -> ThreadToken,
        call: u64,
        op: impl FnOnce() -> Op,
        ret: impl FnOnce() -> Ret,
    ) {
        if core.history.is_some() {
            let ts = self.stamp();
            let (me, op, ret) = (me(), op(), ret());
            if let Some(h) = core.history.as_mut() {
                h.push(me, call, ts, op, ret);
            }
        }
    }

    /// Runs `f` under the backend's lock (not recorded).
    #[cfg_attr(any(loom, not(target_os = "linux")), allow(dead_code))]
    pub(crate) fn with_backend<R>(&self, f: impl FnOnce(&mut B) -> R) -> R {
        f(&mut self.core.lock().backend)
    }

    /// One recorded call: `f` runs under the lock, then a blocked waiter is
    /// woken if `f` queued something.
    /// (The caller's thread is looked up only by the calls that need it,
    /// and when recording: not on a `read_count` round trip.)
    pub(crate) fn call<R>(
        &self,
        op: impl FnOnce() -> Op,
        f: impl FnOnce(&mut Core<B>) -> Result<R, Error>,
        ret: impl FnOnce(&R) -> Ret,
    ) -> Result<R, Error> {
        let call = self.stamp();
        let mut core = self.core.lock();
        let r = f(&mut core);
        self.wake(&mut core);
        self.record_kernel(&mut core);
        self.record(&mut core, sync::current_thread, call, op, || match &r {
            Ok(v) => ret(v),
            Err(e) => Ret::Err(*e),
        });
        r
    }

    fn lock(&self) -> MutexGuard<'_, Core<B>> {
        self.core.lock()
    }

    /// A [`PreArm`](crate::backend::PreArm) batch's [`Marks`]: `before` as
    /// read under the lock, `after` now (right after the batch ran, without
    /// the lock).
    fn marks(&self, before: u64) -> Marks {
        Marks {
            before,
            after: self.poller.mark(),
        }
    }

    /// Takes at most `batch` kernel reports, without blocking and with the
    /// lock held (contract rule 2), and harvests them in this lock hold; a
    /// failure is kept for the `wait` to return. Says whether the ask was
    /// *complete*: no error and fewer reports than `batch`, so the kernel's
    /// scan reached the end of its ready list (contract rule 5).
    fn ask_kernel(&self, core: &mut Core<B>, batch: usize) -> bool {
        let mut tokens = std::mem::take(&mut core.ask_tokens);
        let taken = self.take_and_harvest(core, &mut tokens, batch);
        let complete = taken.is_ok() && tokens.len() < batch;
        tokens.clear();
        core.ask_tokens = tokens;
        if let Err(e) = taken {
            core.deferred_error.get_or_insert(e);
        }
        complete
    }

    /// Takes at most `batch` kernel reports into `tokens` (empty) with the
    /// lock held, and harvests them in this lock hold (contract rule 2);
    /// the tokens stay in `tokens` for the caller.
    fn take_and_harvest(
        &self,
        core: &mut Core<B>,
        tokens: &mut Vec<u64>,
        batch: usize,
    ) -> Result<(), Error> {
        let taken = self.poller.take(tokens, batch);
        core.quiet_take = tokens.is_empty();
        // Equal marks: nothing reset between the ask and its harvest.
        let mark = core.backend.poll_mark();
        core.harvest(
            tokens,
            Marks {
                before: mark,
                after: mark,
            },
        );
        taken
    }

    /// Registers readiness source `source` in `mode` (`Level`, `Edge`,
    /// `Oneshot` or `Dispatch`). If the condition already holds, an event is
    /// queued.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::ModeMismatch`].
    pub fn register(&self, source: SourceId, mode: Mode) -> Result<Key, Error> {
        self.call(
            || Op::Register { source, mode },
            |c| c.register(source, mode),
            |k| Ret::Key(*k),
        )
    }

    /// Submits operation `source` (`Single` or `Multishot`), or a wait on
    /// futex source `source` (`Single`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::ModeMismatch`],
    /// [`Error::AlreadySubmitted`].
    pub fn submit(&self, source: SourceId, mode: Mode) -> Result<Key, Error> {
        self.call(
            || Op::Submit { source, mode },
            |c| c.submit(source, mode),
            |k| Ret::Key(*k),
        )
    }

    /// Changes a readiness registration's mode, arms it and re-checks the
    /// level. Does not end the caller's hold.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::StaleKey`], [`Error::ModeMismatch`],
    /// [`Error::Closed`].
    pub fn modify(&self, key: Key, mode: Mode) -> Result<(), Error> {
        self.call(
            || Op::Modify { key, mode },
            |c| c.modify(key, mode),
            |_| Ret::Unit,
        )
    }

    /// Ends the caller's hold of `key` and re-arms a disarmed registration,
    /// re-checking the level.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::StaleKey`], [`Error::ModeMismatch`]
    /// for an operation.
    pub fn rearm(&self, key: Key) -> Result<(), Error> {
        self.call(
            || Op::Rearm { key },
            |c| c.rearm(sync::current_thread(), key),
            |_| Ret::Unit,
        )
    }

    /// Cancels `key` (DESIGN §3.2). Ends the caller's hold of it.
    ///
    /// * `Sync` (readiness): purges the queued event; `Removed` if no other
    ///   thread holds the key, else `Pending` and one final cancelled event
    ///   when the holder releases.
    /// * `Async` (operations): `Pending`; one final completion follows.
    /// * `Reap` (operations): `Removed { completion }` if the final completion
    ///   was queued and not delivered, else as `Async`.
    /// * `NotFound` once the terminal outcome was delivered.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::CancelModeMismatch`].
    pub fn cancel(&self, key: Key, mode: CancelMode) -> Result<CancelOutcome, Error> {
        self.call(
            || Op::Cancel { key, mode },
            |c| c.cancel(sync::current_thread(), key, mode),
            |o| Ret::Cancel(*o),
        )
    }

    /// A thread drains `source`'s condition (`Level`: lowers; `Counter`:
    /// clears).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`].
    pub fn consume(&self, source: SourceId) -> Result<(), Error> {
        self.call(
            || Op::Consume { source },
            |c| c.consume(source),
            |_| Ret::Unit,
        )
    }

    /// Feeds an environment step from a backend.
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStep`], [`Error::NotInFlight`].
    pub fn signal(&self, signal: Signal) -> Result<u32, Error> {
        self.call(
            move || Op::from_signal(signal),
            |c| c.signal(signal),
            |n| Ret::Count(*n),
        )
    }

    /// Releases everything the caller holds, then fills `events` with at most
    /// `max` events (oldest first, never one key twice), blocking as
    /// `timeout` allows while nothing is deliverable. Returns how many.
    ///
    /// A thread with nothing deliverable blocks in the backend's poller
    /// without the port's lock (on Linux: in `epoll_wait` on the outer set
    /// that watches the port's own); woken, it takes the kernel's reports
    /// under the lock (contract rule 2), applies them to the queue, and
    /// takes its batch from the queue, oldest first.
    ///
    /// # Errors
    ///
    /// [`Error::ZeroMax`]; [`Error::Os`] if the kernel refused a poll or a
    /// re-arm (after the caller's holds were released).
    pub fn wait(&self, events: &mut Events, max: usize, timeout: Timeout) -> Result<usize, Error> {
        events.clear();
        let me = sync::current_thread();
        let call = self.stamp();
        let mut core = self.lock();
        // Entries queued after this mark were re-checked in this call.
        let mark = core.queue_mark();
        let r = if onering_model::wait_fits(max).is_err() {
            Err(Error::ZeroMax)
        } else {
            // Kernel re-checks of the events this thread releases run
            // without the lock (contract rule 5), then the holds are
            // released. Every ask of the kernel is made, and harvested,
            // under the lock (rule 2).
            let mut polled = false;
            // Whether the kernel was asked before the releases below, and
            // that ask was complete (it did not fill its batch).
            let mut asked_before_release = false;
            let mut asked_complete = false;
            // Whether a held `Level` registration's release may take that
            // ask as its re-check (contract rule 5).
            let mut level_rechecked = false;
            // Whether the lock was dropped after this call's asks (a
            // Dispatch batch's re-check runs without it): an answer `[]`
            // must then ask again, in the lock hold that decides it.
            let mut relocked = false;
            let ask = core.prepare_release_ask(me);
            // `|` not `||`: the deferred re-check is taken either way.
            if B::KERNEL_QUEUE && (core.backend.take_deferred_recheck() | ask.holds_level_or_edge) {
                // A registration (or modify, or re-arm) since this thread's
                // last wait left its re-check to the kernel's report: take
                // it *before* releasing this thread's holds, so it is
                // queued ahead of what the releases queue (a re-arrival
                // held until now), as unified orders them (F12). The
                // report sits behind everything the kernel queued before
                // it, hence a full batch rather than `max`. (Not `polled`:
                // the releases below may re-arm, and their re-checks come
                // after this poll.) Likewise for a thread holding a `Level`
                // or `Edge` registration, whose release queues it again: an
                // arrival the kernel reported meanwhile came first (F13).
                // A held `Level` registration of a level-triggered kernel
                // registration was prepared above (its cached condition
                // reset): a complete ask re-polled it after the reset, so
                // the release takes it as its re-check, and the round trip
                // makes one `epoll_wait`, not two (contract rule 5).
                let complete = self.ask_kernel(&mut core, RECHECK_BATCH);
                asked_before_release = true;
                asked_complete = complete;
                level_rechecked = ask.prepared && complete;
            }
            // Entries queued from here to the last release are the
            // releases' (and a Dispatch batch's answers).
            let released_from = core.queue_mark();
            // Only a Dispatch hold takes the scratch (no moves otherwise).
            let mut prearms = Vec::new();
            if ask.dispatch {
                prearms = std::mem::take(&mut core.spare_prearms);
                core.prearms(me, &mut prearms);
            }
            if prearms.is_empty() {
                if ask.dispatch {
                    core.spare_prearms = prearms;
                }
                // The releases below run in the lock hold that harvested
                // the ask (rule 5: nothing can come between).
                if level_rechecked {
                    core.backend.set_level_rechecked(true);
                }
            } else {
                let mut tokens = core.spare_tokens.pop().unwrap_or_default();
                // The kernel first, in this lock hold (rule 2): a report it
                // gives now for a source being released is that source's
                // re-check already (contract rule 5), so the batch
                // re-checks only the rest. Harvested here, not carried.
                if let Err(e) = self.take_and_harvest(&mut core, &mut tokens, max) {
                    core.deferred_error.get_or_insert(e);
                }
                let reported = tokens.len();
                let mark = core.backend.poll_mark();
                drop(core);
                B::PreArm::run_all(&mut prearms, &self.poller, &mut tokens);
                let marks = self.marks(mark);
                polled = true;
                relocked = true;
                core = self.lock();
                core.spare_prearms = prearms;
                core.release_all(me);
                // Only the batch's answers: the reports before them were
                // harvested above.
                core.harvest(&tokens[reported..], marks);
                tokens.clear();
                core.spare_tokens.push(tokens);
            }
            core.release_all(me);
            // Only this thread's releases can queue a pending edge that
            // needs it (F16); entries the kernel reported in this lock
            // hold were re-checked by its report.
            if B::KERNEL_QUEUE && ask.holds_edge {
                let to = core.queue_mark();
                core.recheck_released_edges(released_from, to);
            }
            if level_rechecked {
                core.backend.set_level_rechecked(false);
            }
            let deferred = B::KERNEL_QUEUE && core.backend.take_deferred_recheck();
            if deferred && core.has_ready() {
                // A registration or re-arm (also one of the releases just
                // done) whose re-check the kernel does at its next report:
                // ask it now, or a batch served from the queue alone (a
                // level that stays true is always queued) leaves that
                // registration behind (F9).
                polled = true;
                self.ask_kernel(&mut core, max);
            } else if deferred {
                // The same with nothing queued: the loop below must ask the
                // kernel even if the Dispatch releases' poll above did (it
                // came before these re-checks). A `modify` of a held
                // registration to `Dispatch` re-arms it at this release with
                // `EPOLL_CTL_MOD`, and a poll wait returned `[]` while it
                // stayed readable (F11, seed 27).
                polled = false;
            } else if asked_before_release && asked_complete {
                // The ask before the releases saw every arrival the kernel
                // had when this call began (F13), and the releases left no
                // re-check to the kernel: asking again would only repeat
                // it, a second `epoll_wait` per round trip of a `Level`
                // ping-pong. Not after a full batch: the kernel may hold
                // more behind it (F11), and the loop below asks again.
                polled = true;
            }
            // `polled`: whether the kernel was asked since this thread last
            // took the lock (an answer of this lock hold: rule 2).
            // `more_in_kernel`: a zero-timeout ask filled its batch and gave
            // nothing deliverable, so the kernel may hold more behind it.
            let mut more_in_kernel = false;
            let mut zero_rounds = 0;
            if !polled && B::KERNEL_QUEUE && core.has_ready() {
                // The queue holds entries from before this call and the
                // kernel was not asked in it: ask *before* serving them.
                // An arrival the kernel holds is deliverable too (F13); and
                // a report for a queued registration (an `Edge` raised again
                // while queued) must coalesce with its entry, not come
                // after its delivery as a second edge (F11, seeds 45, 49).
                polled = true;
                self.ask_kernel(&mut core, RECHECK_BATCH);
            }
            if B::KERNEL_QUEUE {
                // An entry queued before this call was re-checked by the
                // kernel when it reported it, not since: one drained behind
                // the port's back meanwhile is dropped, as epoll's re-poll
                // at report would (F11, seed 10).
                core.recheck_queued_before(mark, max);
            }
            loop {
                if let Some(e) = core.deferred_error.take() {
                    break Err(e);
                }
                core.collect(me, max, &mut events.buf);
                if !events.is_empty() {
                    break Ok(events.len());
                }
                if B::KERNEL_QUEUE
                    && (!polled
                        || std::mem::take(&mut relocked)
                        || std::mem::take(&mut more_in_kernel))
                {
                    // Nothing deliverable, and the kernel was not asked in
                    // this lock hold (or filled its batch with nothing
                    // deliverable: a held `Level` registration of a
                    // level-triggered fd is reported at every ask, ahead
                    // of a later arrival, F11). Ask it, a full batch, under
                    // the lock: an answer `[]` (or a sleep) is then decided
                    // with every report the kernel had in sight, none
                    // carried by another thread (rule 2), not even one that
                    // arrived while a Dispatch batch's re-check ran without
                    // the lock.
                    polled = true;
                    zero_rounds += 1;
                    let full = !self.ask_kernel(&mut core, RECHECK_BATCH);
                    more_in_kernel = full && zero_rounds < rounds_for(core.live_registrations());
                    continue;
                }
                let remaining = match timeout {
                    Timeout::Block => None,
                    Timeout::Poll => Some(Duration::ZERO),
                    Timeout::Deadline(d) => Some(d.saturating_duration_since(Instant::now())),
                };
                if remaining == Some(Duration::ZERO) {
                    break Ok(0);
                }
                // Every path here asked the kernel in this lock hold (the
                // loop above), so `quiet_take` says what the kernel holds.
                self.poller
                    .prepare_block(core.parked == 0 && core.quiet_take);
                core.parked += 1;
                drop(core);
                let blocked = self.poller.block(remaining);
                core = self.lock();
                core.parked -= 1;
                // Woken: what woke it is taken under the lock, next round.
                polled = false;
                zero_rounds = 0;
                if let Err(e) = blocked {
                    break Err(e);
                }
            }
        };
        // What this call queued (releases, harvests) or left (a full batch)
        // may be for another blocked thread: the wake-up chain.
        core.enqueued = false;
        if core.has_ready() && core.parked > 0 && self.mutant != Some(Mutant::MissingWakeup) {
            self.poller.notify();
        }
        self.record_kernel(&mut core);
        self.record(
            &mut core,
            || me,
            call,
            || Op::Wait {
                max,
                timeout: match timeout {
                    Timeout::Poll => WaitTimeout::Poll,
                    Timeout::Block => WaitTimeout::Block,
                    Timeout::Deadline(_) => WaitTimeout::Deadline,
                },
            },
            || match &r {
                Ok(_) => Ret::Events(events.buf.clone()),
                Err(e) => Ret::Err(*e),
            },
        );
        r
    }

    /// Moves what the kernel has reported so far into the queue without
    /// delivering anything or releasing any hold (a non-blocking poll of at
    /// most `max` kernel events); returns how many were harvested. For
    /// callers that inspect [`state`](Self::state), e.g. before a `Reap`.
    /// Not a call of the model: it only performs the kernel's steps, which
    /// are recorded as such.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from the poller.
    pub fn pump(&self, max: usize) -> Result<usize, Error> {
        let mut core = self.lock();
        if !B::KERNEL_QUEUE {
            return Ok(0);
        }
        let mut tokens = std::mem::take(&mut core.ask_tokens);
        let r = self.take_and_harvest(&mut core, &mut tokens, max.max(1));
        let n = tokens.len();
        tokens.clear();
        core.ask_tokens = tokens;
        self.wake(&mut core);
        self.record_kernel(&mut core);
        r.map(|()| n)
    }

    /// Entries of the core's hold table (tests only).
    #[cfg(all(test, not(loom), not(feature = "shuttle")))]
    pub(crate) fn hold_entries(&self) -> usize {
        self.lock().hold_entries()
    }

    /// Drains the recorded history (empty unless built with
    /// [`Config::history`]).
    pub fn take_history(&self) -> Vec<Record> {
        self.lock()
            .history
            .as_mut()
            .map(|h| h.take())
            .unwrap_or_default()
    }

    /// Threads currently blocked in `wait`.
    pub fn waiting(&self) -> usize {
        self.lock().parked
    }

    /// The model state of a live key (for tests and harnesses).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::StaleKey`].
    pub fn state(&self, key: Key) -> Result<StateName, Error> {
        self.lock().state_of(key)
    }

    /// Whether some thread holds an event of `key`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownKey`], [`Error::StaleKey`].
    pub fn is_held(&self, key: Key) -> Result<bool, Error> {
        self.lock().is_held(key)
    }

    /// The mutant this port was built with.
    pub fn mutant(&self) -> Option<Mutant> {
        self.mutant
    }
}
