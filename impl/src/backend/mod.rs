//! The backend contract: what the port's core asks of the thing that owns the
//! real (or simulated) sources, where waiting threads block, and the signals
//! a backend feeds back.
//!
//! A backend has two halves, because they live on two sides of the port's
//! one lock:
//!
//! * [`Backend`]: the source table. It lives *inside* the port's lock and is
//!   only ever called with that lock held, so it takes `&mut self` and needs
//!   no synchronization of its own. Every method must be quick (at most one
//!   non-blocking system call) and must not call back into the port.
//! * [`Poller`]: the place where waiting threads block. The port holds it
//!   *outside* its lock and calls it without the lock held: a thread with
//!   nothing deliverable sleeps in the kernel itself (`epoll_wait`,
//!   `io_uring_enter`; a condition variable in the simulator), never on a
//!   port-owned condition variable and never through a helper thread.
//!
//! # The contract
//!
//! This is the whole of what the core relies on; a backend that keeps these
//! promises gets the `unified` profile from the core unchanged (loom and
//! shuttle prove the core over [`SimBackend`](sim::SimBackend), which keeps
//! them the simplest way).
//!
//! 1. **Blocking.** [`Poller::block`] blocks the calling thread until at
//!    least one of: the kernel may have a report for [`Poller::take`] (one
//!    arrived since the thread last returned, or was left by a `take` that
//!    filled its batch), [`Poller::notify`] was called since the thread
//!    last returned from `block` (a *permit*), the timeout passed, or a
//!    spurious wake-up (the core takes, re-checks and blocks again). It
//!    takes no report. Several threads may be inside `block` at once.
//!    (Linux: `epoll_wait` on an outer epoll set whose one member is the
//!    port's set, edge-triggered: it wakes at each arrival in the port's
//!    set and copies nothing out of it. Until a second thread blocks
//!    ([`Poller::prepare_block`]), the one blocked thread sleeps in
//!    `poll(2)` on the port's set instead, which copies nothing out either
//!    and costs the arrivals nothing while no thread blocks.)
//! 2. **Taking reports, under the lock.** [`Poller::take`] appends the
//!    tokens of the kernel's reports without blocking, and is called only
//!    with the port's lock held; the core harvests them (rule 4) in that
//!    same lock hold. So a kernel report never leaves the kernel outside
//!    the lock: there is no moment at which one thread holds a report the
//!    others cannot see. That moment was F11's last open shape: a thread
//!    blocked in the port's own `epoll_wait` took a report, and until it
//!    had the lock another thread's poll answered `[]` and a `cancel` or
//!    `consume` meanwhile lost the event. A report is taken once: two
//!    `take`s never both receive the token of one kernel report (Linux:
//!    every readiness source is `EPOLLET`, but a caller's fd in `Level`
//!    mode, which the kernel re-polls at every report).
//! 3. **Wake-up.** [`Poller::notify`] may be called from any thread, with or
//!    without the port's lock. It makes at least one thread that is inside
//!    `block`, or the next one to enter, return. Permits may coalesce: the
//!    core wakes one poller per enqueue, and every poller that leaves a
//!    deliverable event behind notifies again (a wake-up chain), so one
//!    permit per burst is enough. (Linux: an eventfd in the port's set,
//!    edge-triggered; its arrival wakes one waiter of the outer set, whose
//!    waiters are exclusive.)
//! 4. **Harvest.** Tokens are turned into [`Signal`]s by
//!    [`Backend::harvest`], under the lock. A token that no longer names a
//!    live kernel registration (its source was closed, or the fd number was
//!    reused) yields nothing: tokens carry a generation. Tokens from
//!    [`Poller::take`] are harvested in the lock hold that took them; the
//!    one kind a thread carries from the kernel to the lock is a
//!    [`PreArm`] batch's `poll(2)` answer (rule 5), and only for sources
//!    the thread holds, which no other wait can be handed meanwhile. For
//!    those the core passes the [`Marks`] of the batch (the backend's reset
//!    count before it began and right after it returned), so a report taken
//!    before a reset of its source's cached condition (a `consume`, a
//!    re-arm) is dropped, and one taken while a reset happened is
//!    re-checked (Linux: F11). A `take`'s marks are equal (nothing can
//!    reset in between), which makes every one of its reports fresh.
//! 5. **Arming and the re-check.** Whenever a readiness registration becomes
//!    armed with nobody holding it (register, `modify`, `rearm`, a Dispatch
//!    or Level release), the core calls [`Backend::arm`]. The answer is a
//!    [`Recheck`]: `Now` means [`Backend::is_ready`] is the true condition
//!    and the core re-checks it at once (the simulator); `Deferred` means the
//!    kernel re-checks: the backend has re-armed the kernel registration
//!    (`EPOLL_CTL_MOD` re-polls the file) and reset its cached condition,
//!    and a [`Signal::Wake`] will follow if the condition holds. No event is
//!    lost either way: the kernel's re-poll at re-arm is the model's
//!    `rearm` re-check, performed by the kernel.
//!    **Re-checking outside the lock.** A kernel re-check is a system
//!    call, and a pool of threads releasing their events must not queue up
//!    behind it on the port's lock. So before a thread's `wait` releases
//!    its held Dispatch events, the core asks [`Backend::prearm`] for each;
//!    the backend resets its cached condition (as for `Deferred`) and hands
//!    back a [`PreArm`] which the thread runs *without* the lock, for its
//!    whole batch at once ([`PreArm::run_all`]), after one
//!    [`Poller::take`] in the lock hold that prepared them and harvested
//!    there (a kernel report since the re-check was prepared already
//!    answers it, and the batch skips its source). It appends the token of
//!    every source it found ready, which the thread harvests with the
//!    batch's [`Marks`] (rule 4) *after* the core has released the holds;
//!    [`Backend::arm`] then answers `Now`, since the re-check is done and
//!    any report harvested since has set the cached condition. (Linux:
//!    the registration stays armed, `EPOLLET`, and the re-check is one
//!    `poll(2)` over the batch.) A `PreArm` must stay harmless if the
//!    source is closed or re-registered meanwhile: it keeps its fd open,
//!    and its token carries the source's generation (rule 4).
//!    **A level-triggered release, re-checked by the ask before it.** A
//!    wait that holds a `Level` or `Edge` registration asks the poller once
//!    without blocking *before* it releases its holds (F13). For a kernel
//!    registration the kernel re-polls at every report (epoll
//!    level-triggered: `ep_send_events` polls each item of the ready list
//!    and puts a still-ready level item back), that ask can be the
//!    release's re-check, saving the report after the release. The core
//!    calls [`Backend::prepare_level_recheck`] for each held `Level`
//!    registration, under the lock, before the ask: the backend resets its
//!    cached condition (recorded as `lower`) and remembers the source. If
//!    the ask then came back *complete* (fewer reports than it asked for,
//!    no error: the kernel's scan reached the end of its ready list, so a
//!    level not reported was not ready when the scan began), the core
//!    harvests it and releases in the *same lock hold*, inside
//!    [`Backend::set_level_rechecked`]`(true)` … `(false)`, and
//!    [`Backend::arm`] answers `Now` for a prepared source: the cached
//!    condition is the reset followed by reports from scans that began
//!    after it. Otherwise (a full batch, an error, or a release that needs
//!    the lock dropped again, as a Dispatch batch's re-check does) `arm`
//!    answers `Deferred` as before. Why no thread can observe the gap
//!    between the kernel's scan and the release: (a) every port call runs
//!    under the lock, and until the release the registration is held by
//!    the releasing thread, so no wait can be handed it, whatever the
//!    cached condition says in between; (b) the reset comes after the
//!    holder's last drain (the holder is inside `wait`), so the release
//!    never answers from a report older than that drain, the stale
//!    `Ready` that skipping the reset gives; (c) the ask and the release
//!    are one lock hold (rule 2), so no port call and no other thread's
//!    harvest comes between; a read of the fd behind the port's back
//!    after the scan is concurrent with the wait, so it may be ordered
//!    after it, and the entry it leaves queued is re-checked by the wait
//!    whose batch reaches it (`recheck_queued`); nothing is
//!    lost and the recorded history (the `lower`, the kernel's `wake`) stays
//!    what the port did; (d) a raise after the scan is concurrent with
//!    the wait, so it may be ordered after it, and it is not lost: the
//!    level-triggered kernel registration stays on the kernel's ready list
//!    until the fd is drained, and the next wait asks the kernel before
//!    serving a batch with room (F13) or when its queue is empty.
//!    `impl/tests/linux_level_recheck.rs`
//!    fails with the reset skipped (a drained fd is delivered again) and
//!    with a full batch taken as complete by the wait (a ready fd is left
//!    behind, F14). With the reset done, `Now` after an incomplete ask
//!    would differ from `Deferred` only in the flag
//!    ([`Backend::take_deferred_recheck`]) that makes the next wait ask
//!    before serving its queue; the completeness condition keeps that
//!    flag, and no test separates the two.
//!    **Changing mode.** `modify` calls [`Backend::remode`] instead, saying
//!    whether the registration is the source's only one: a backend whose
//!    kernel registration has one trigger per source (epoll: level,
//!    `EPOLLET` or `EPOLLONESHOT`) may then switch it, since no other
//!    registration depends on the old trigger.
//! 6. **Operations.** [`Backend::submit`] starts an operation or futex wait.
//!    [`Backend::cancel_op`] asks it to stop and answers
//!    [`CancelAnswer::Stopped`] (it stopped now; the core posts its cancelled
//!    final completion) or [`CancelAnswer::Requested`] (asynchronous: exactly
//!    one final [`Signal::Complete`] follows, with `cancelled` set if the
//!    cancel won, exactly as the `unified` profile's `Async` cancel says).
//!    A backend must produce exactly one final completion per submission.
//!    Memory the kernel may write (buffers, futex words) stays owned by the
//!    backend until that final completion has been harvested; memory the
//!    kernel picks per item (a provided-buffer pool) is owned by the
//!    backend for the pool's whole life, and an item's bytes are copied
//!    out before its buffer goes back to the kernel. A `Multishot`
//!    operation's items ([`Signal::Item`]) all precede its one final.
//!    A completion the kernel has already posted is *known*: before a
//!    `Reap` cancel decides, the core takes every posted completion through
//!    [`Backend::harvest_posted`] (non-blocking), so `Reap` answers
//!    `Removed` with it instead of `Pending`.
//! 7. **Release.** [`Backend::unregister`] is called once the last live
//!    registration of a source ends; the backend may drop the kernel
//!    registration then.
//! 8. **Errors.** A failing system call is an [`Error::Os`] naming the
//!    call; `poll` treats `EINTR` as a spurious wake-up (no events lost: the
//!    kernel keeps them queued).
//! 9. **Source ids** are small dense integers (the core indexes its
//!    per-source table by them); both backends allocate them from 0.
//!
//! Everything the environment does outside the kernel queue (the
//! simulator's steps, a test's injected signals) reaches the core as a
//! [`Signal`] through [`Port::signal`](crate::Port::signal), under the lock,
//! from any thread; the core then notifies a poller.

#[cfg(all(target_os = "linux", not(loom)))]
pub mod linux;
pub mod sim;

use std::time::Duration;

use crate::error::Error;
use crate::event::{Mode, SourceId, SourceKind};

/// The source table half of a backend. Called only with the port's lock
/// held: quick, non-blocking, never calls back into the port.
pub trait Backend: Send + 'static {
    /// The lock-free half, where threads block.
    type Poller: Poller;

    /// Whether kernel events can be pending outside the core's queue, so a
    /// non-blocking `wait` must poll once before answering "nothing". `false`
    /// for a backend whose every event arrives through
    /// [`Port::signal`](crate::Port::signal) (the simulator).
    const KERNEL_QUEUE: bool;

    /// A re-check to run without the port's lock (rule 5).
    type PreArm: PreArm<Self::Poller>;

    /// The poller, created once when the port is built.
    fn poller(&mut self) -> Self::Poller;

    /// A held `Dispatch` registration of `source` is about to be released
    /// (rule 5): the re-check to run without the lock, and whether a true
    /// cached condition was reset (recorded as `lower`). `None`: nothing to
    /// do outside the lock (the re-check happens in [`Backend::arm`]).
    fn prearm(&mut self, source: SourceId, mode: Mode) -> Option<(Self::PreArm, bool)>;

    /// What `source` is.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`] or [`Error::Closed`].
    fn kind(&self, source: SourceId) -> Result<SourceKind, Error>;

    /// Whether the condition of readiness source `source` holds, as far as
    /// the backend knows (for a counter: the count is non-zero). `false` for
    /// unknown or closed sources.
    fn is_ready(&self, source: SourceId) -> bool;

    /// A readiness registration of `source` in `mode` became armed and
    /// unheld (see the contract, rule 5).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] if the kernel refused the (re-)arm;
    /// [`Error::ModeMismatch`] if the kernel registration cannot serve
    /// `mode` alongside the source's other registrations.
    fn arm(&mut self, source: SourceId, mode: Mode) -> Result<Recheck, Error>;

    /// `modify` moved a registration of `source` to `mode` (rule 5, as
    /// [`arm`](Backend::arm)); `sole`: it is the source's only live
    /// registration, so the kernel registration may change its trigger
    /// class to serve `mode`. Default: [`arm`](Backend::arm).
    ///
    /// # Errors
    ///
    /// As [`arm`](Backend::arm).
    fn remode(&mut self, source: SourceId, mode: Mode, sole: bool) -> Result<Recheck, Error> {
        let _ = sole;
        self.arm(source, mode)
    }

    /// The last live registration of `source` ended.
    fn unregister(&mut self, source: SourceId);

    /// A thread drains the condition (`Level`: lowers it; `Counter`: clears
    /// the count; `Sticky`: no effect).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], or [`Error::InvalidStep`] for a non-readiness
    /// source.
    fn consume(&mut self, source: SourceId) -> Result<(), Error>;

    /// Starts operation (or futex wait) `source` in `mode`.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] if the kernel refused the submission.
    fn submit(&mut self, source: SourceId, mode: Mode) -> Result<(), Error>;

    /// Asks the in-flight operation `source` to stop (rule 6).
    fn cancel_op(&mut self, source: SourceId) -> CancelAnswer;

    /// Turns a token [`Poller::take`] or a [`PreArm`] returned into signals
    /// (rule 4).
    /// `marks` are [`Backend::poll_mark`] read (under the lock) before the
    /// report was asked for and [`Poller::mark`] read right after the
    /// answer came (equal for a `take`): a source whose cached condition
    /// was reset (a `consume`, a re-arm) after the answer came is named by
    /// a report from before the reset, which the thread carried outside the
    /// lock, and the backend drops it (any later arrival makes a report of
    /// its own); one reset while the question was in the kernel is
    /// re-checked rather than trusted.
    ///
    /// A readiness report, the common one, is returned rather than
    /// appended: `Some(source)` stands for [`Signal::Wake`]`(source)`
    /// (applied before whatever it appended to `out`), so the hot path of
    /// a round trip moves no signal through a buffer.
    fn harvest(&mut self, token: u64, marks: Marks, out: &mut Vec<Signal>) -> Option<SourceId>;

    /// A mark of the cached conditions' resets so far, for
    /// [`Backend::harvest`]. Default: `0` (no kernel reports to carry).
    fn poll_mark(&self) -> u64 {
        0
    }

    /// Appends the signals of completions the kernel has already posted
    /// (an io_uring CQ), without blocking and without waiting for a
    /// [`Poller::take`] token (rule 6): a `Reap` cancel calls it first, so a
    /// final completion that exists is reaped, not promised. Default:
    /// nothing (every completion arrives as a signal).
    fn harvest_posted(&mut self, out: &mut Vec<Signal>) {
        let _ = out;
    }

    /// A wait is about to ask the poller (without blocking) before it
    /// releases a held `Level` registration of `source` (rule 5, "a
    /// level-triggered release"): `Some(lowered)` if the backend will take
    /// that ask's reports as the release's re-check; it has reset its
    /// cached condition (`lowered`: it was true, recorded as `lower`).
    /// Default: `None` (the release re-checks in [`arm`](Backend::arm)).
    fn prepare_level_recheck(&mut self, source: SourceId) -> Option<bool> {
        let _ = source;
        None
    }

    /// `true`: the ask after the [`prepare_level_recheck`] calls came back
    /// complete and was harvested, in this lock hold, and the releases that
    /// follow (until `false`) may answer [`Recheck::Now`] for the prepared
    /// sources (rule 5). Default: nothing.
    ///
    /// [`prepare_level_recheck`]: Backend::prepare_level_recheck
    fn set_level_rechecked(&mut self, on: bool) {
        let _ = on;
    }

    /// Whether an [`arm`](Backend::arm) answered [`Recheck::Deferred`] since
    /// the last call (which clears it). The kernel performs that re-check at
    /// its next report, so the next `wait` asks the poller once (without
    /// blocking) before it serves a batch from the queue alone; otherwise
    /// the registration would wait behind whatever stays queued (a level
    /// that stays true). Default: `false` (re-checks are never deferred).
    fn take_deferred_recheck(&mut self) -> bool {
        false
    }

    /// Re-checks the cached condition of `sources` (readiness sources with
    /// an event queued since an earlier `wait`, which this wait's batch can
    /// deliver), under the lock: the
    /// condition a kernel report gave may have been lowered since, behind
    /// the port's back (another reader drained the caller's fd), and the
    /// event must then be dropped at delivery (the model's
    /// `repoll_at_harvest`; epoll re-polls at every report, but a report
    /// the port queued is not reported again). Resets the cached condition
    /// of each source found not ready and keeps exactly those in `sources`
    /// (the kernel's `lower`, for the history). Default: nothing to
    /// re-check (the cached condition is exact), `sources` emptied.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from the re-check.
    fn recheck_queued(&mut self, sources: &mut Vec<SourceId>) -> Result<(), Error> {
        sources.clear();
        Ok(())
    }
}

/// When a poll's reports were taken, in resets of the backend's cached
/// conditions ([`Backend::harvest`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Marks {
    /// [`Backend::poll_mark`] before the kernel was asked.
    pub before: u64,
    /// [`Poller::mark`] right after it answered.
    pub after: u64,
}

/// The half of a backend where threads block, shared by every thread of the
/// port. [`take`](Poller::take) is called with the port's lock held,
/// [`block`](Poller::block) without it (rules 1, 2 and 4).
pub trait Poller: Send + Sync + 'static {
    /// Appends the tokens of at most `max` kernel reports, without blocking
    /// (rules 2 and 4). Called only with the port's lock held: a report
    /// leaves the kernel in the lock hold that harvests it.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] naming the failing call (an `EINTR` is asked again:
    /// an interrupted ask must not look like an empty answer).
    fn take(&self, out: &mut Vec<u64>, max: usize) -> Result<(), Error>;

    /// Blocks until the kernel may have a report for [`take`](Poller::take),
    /// a notification, the timeout (`None`: none) or a spurious wake-up
    /// (rule 1). Takes no report. Called without the port's lock.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] naming the failing call (never for `EINTR`).
    fn block(&self, timeout: Option<Duration>) -> Result<(), Error>;

    /// Called with the port's lock held just before a thread leaves it to
    /// [`block`](Poller::block) (rule 1). `alone`: no other thread is
    /// blocked (or about to be), and the last [`take`](Poller::take), in
    /// this lock hold, returned nothing, so the kernel holds no report. A
    /// backend may block such a thread more cheaply. Default: nothing.
    fn prepare_block(&self, alone: bool) {
        let _ = alone;
    }

    /// Makes one thread inside `block` (or the next to enter) return (rule 3).
    fn notify(&self);

    /// [`Backend::poll_mark`], read without the lock right after a
    /// [`PreArm`] batch ran ([`Marks::after`]). Default: `0`.
    fn mark(&self) -> u64 {
        0
    }
}

/// A kernel re-check (or re-arm) prepared under the port's lock and run
/// without it, on the port's poller (rule 5).
pub trait PreArm<P>: Send + Sized {
    /// Performs it (errors are the backend's to ignore or report later);
    /// appends to `ready` the token of its source if the re-check found
    /// the condition true (harvested like [`Poller::take`]'s). `ready`
    /// already holds the tokens [`Poller::take`] returned since the
    /// re-check was prepared: a backend whose kernel reports a source only
    /// while its condition holds may skip a source found there.
    fn run(self, poller: &P, ready: &mut Vec<u64>);

    /// Performs a whole batch (one thread's release) and empties it; a
    /// backend may re-check the batch with one system call.
    fn run_all(batch: &mut Vec<Self>, poller: &P, ready: &mut Vec<u64>) {
        for a in batch.drain(..) {
            a.run(poller, ready);
        }
    }
}

/// A backend with nothing to re-arm outside the lock.
#[derive(Debug)]
pub enum NoPreArm {}

impl<P> PreArm<P> for NoPreArm {
    fn run(self, _poller: &P, _ready: &mut Vec<u64>) {
        match self {}
    }
}

/// How the core learns the condition after arming (rule 5).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recheck {
    /// [`Backend::is_ready`] is the condition now; the core re-checks it.
    Now,
    /// The kernel re-checks and will signal a wake-up if the condition holds.
    Deferred {
        /// The backend's cached condition was true and is now reset: the
        /// core records this as a `lower` environment step, followed by the
        /// kernel's `wake` if the condition still holds.
        lowered: bool,
    },
}

/// What [`Backend::cancel_op`] answered (rule 6).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelAnswer {
    /// The operation stopped now; the core posts its cancelled final event.
    Stopped,
    /// The cancel was requested; exactly one final [`Signal::Complete`]
    /// follows (cancelled, or the operation's own result if it won).
    Requested,
}

/// An environment step, as a backend reports it to the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A wake-up of a readiness source: its condition was raised (again), or
    /// its counter incremented.
    Wake(SourceId),
    /// A `Multishot` operation streamed an item.
    Item(SourceId, i64),
    /// An operation produced its final completion.
    Complete {
        /// The operation.
        source: SourceId,
        /// Its result (`None` if it has none, e.g. it was cancelled).
        result: Option<i64>,
        /// The cancel won the race.
        cancelled: bool,
    },
    /// The source was closed: no further readiness events for it.
    Close(SourceId),
    /// `wake(word, n)`: release at most `n` (and at least `min(n, waiting)`)
    /// waiters on futex source `source`.
    FutexWake(SourceId, u32),
}
