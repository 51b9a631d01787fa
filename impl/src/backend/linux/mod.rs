//! The Linux backend: one epoll set holding every source, taken from only
//! under the port's lock; an outer epoll set watching it, where waiting
//! threads block; and one io_uring for operations and futex waits, whose
//! completions reach the epoll set through the ring's own fd.
//!
//! # Mechanism per source, and why
//!
//! | source | mechanism | why |
//! |---|---|---|
//! | the caller's pollable fd (socket, pipe, listener, tty), `Dispatch` or `Oneshot` | epoll `EPOLLET`; the re-check at release is one `poll(2)` per released batch | a report goes to one waiting thread (edge-triggered waiters are exclusive) and the port's hold is the disarm; the registration stays armed in the kernel, so a release needs no `EPOLL_CTL_MOD`: the model's re-arm re-check is asked of the kernel by `poll(2)` for the thread's whole batch at once, without the epoll set's mutex (see "Re-arming a pool's releases") |
//! | the caller's fd, `Level` | epoll level-triggered | no re-arm syscall: the kernel re-polls the file at every `epoll_wait`, which is the re-check. In a pool, a held level that stays true wakes the other waiters (they skip it: held), so prefer Dispatch there |
//! | the caller's fd, `Edge` | epoll `EPOLLET` | one report per arrival, nothing to re-arm |
//! | eventfd trigger, timer (one-shot, periodic: timerfd), signal (signalfd), file changes (inotify), process exit (pidfd) | the fd in the epoll set, `EPOLLET`, every mode | the port drains these fds itself, under its lock (`read_count`, `read_signals`, `read_changes`), so its cached condition is exact: a report harvested after the drain is a later arrival. Every mode is then served with no re-arm syscall at all |
//! | read, write, accept, recv (`Single`) | io_uring | completion-based: the kernel does the I/O into the caller's buffer (owned by the port until the final), no readiness round trip |
//! | accept, read, recv (`Multishot`) | io_uring multishot (`IORING_ACCEPT_MULTISHOT`, `IORING_OP_READ_MULTISHOT`, `IORING_RECV_MULTISHOT`) with a provided-buffer ring (`IORING_REGISTER_PBUF_RING`) for the bytes | one SQE streams every fd or chunk, no syscall per item; the kernel picks a buffer per item from the port's pool, the port copies it out at harvest and hands the buffer straight back (`uring.rs`, `bufring.rs`), so a slow consumer never starves the pool; the pool running dry ends the stream with `-ENOBUFS` and the caller re-submits |
//! | futex wait | io_uring `FUTEX_WAIT` | the only way to wait for a futex word through a queue; wakes are `futex(FUTEX_WAKE)` |
//!
//! Why not io_uring for readiness too: io_uring's multishot poll re-arms
//! without a syscall per event, but it has no one-shot-per-thread hand-off:
//! a multishot poll CQE goes to the ring, not to a waiting thread, so
//! Dispatch would need the port's own queue plus a re-check syscall at
//! release anyway. epoll is where several threads can block at once
//! (contract rule 1, in the outer set), and an arrival wakes one of them.
//! The ring's fd sits in the port's set (edge-triggered), so one `take`
//! sees everything.
//!
//! # Re-arming a pool's releases
//!
//! A pool thread releases its whole batch at its next `wait`. Raw
//! `EPOLLONESHOT` servers re-arm each event with an `EPOLL_CTL_MOD`, which
//! takes the epoll set's mutex (the one `epoll_wait` takes to copy events
//! out), so a pool's threads serialize on it; batching the MODs through
//! io_uring (`IORING_OP_EPOLL_CTL`, the previous design) saves the system
//! calls but not the mutex: a MOD that finds it taken is punted to an
//! io-wq worker and the releasing thread sleeps until it ran (measured on
//! Linux 6.18, 4 pool threads on 2 cores: an `iou-wrk` worker appears, and
//! it and every pool thread switch out over a thousand times in the run's
//! first half second). So a caller's fd in
//! `Dispatch` or `Oneshot` is registered `EPOLLET` and stays armed: the
//! port's hold is the disarm, and the re-check that `EPOLL_CTL_MOD` would
//! have done is one `poll(2)` (zero timeout) over the thread's released
//! fds, run without the port's lock (contract rule 5); a fd found ready is
//! handed back as a token, exactly as if `epoll_wait` had reported it. A
//! busy pool then pays one `epoll_wait` and one `poll` per batch, against
//! raw `EPOLLONESHOT`'s `epoll_wait` plus one `epoll_ctl` per event.
//!
//! What `EPOLLET` costs: an arrival while one thread holds the event wakes
//! another waiting thread, which takes it, finds it held and skips it
//! (raw `EPOLLONESHOT` would not wake it). No event is lost or doubled:
//! the hold, not the kernel, hands a registration to one thread at a time,
//! and `epoll_wait` re-polls each reported fd before reporting it, so a
//! report for a fd drained meanwhile is not delivered. Paths without a
//! batch (register, `rearm`, `modify`, and every release once a `poll(2)`
//! has failed) still re-arm with `EPOLL_CTL_MOD`, which re-polls the file
//! and reports it if ready.
//!
//! `modify` of a source's only registration to another trigger class
//! (level-triggered for `Level`; `EPOLLET` for `Edge`; `EPOLLET` re-checked
//! at release for `Dispatch` and `Oneshot`) switches the fd's epoll
//! registration with `EPOLL_CTL_MOD` (F8); with several registrations on
//! one fd it is refused (`ModeMismatch`), as the others depend on the
//! trigger (an `Edge` registration must not take a release's re-check for
//! an arrival).
//!
//! # Where threads block
//!
//! A report that a thread takes out of `epoll_wait` is invisible to every
//! other thread until that thread has the port's lock. When threads
//! blocked in the port's own set, another thread's poll could answer `[]`
//! in that window, and a `cancel` or `consume` meanwhile lost the event
//! for good (F11's last open shape, about 1 run in 12 of `onering conform
//! --backend port-linux --threads 3`). So reports are taken only under the
//! lock ([`LinuxPoller::take`]: `epoll_wait` with a zero timeout, contract
//! rule 2), and a thread with nothing to do sleeps in `epoll_wait` on an
//! *outer* set whose one member is the port's set, `EPOLLET`
//! ([`LinuxPoller::block`]; nested only once two threads block at once,
//! see below). An arrival in the port's set runs its
//! `ep_poll_callback`, which wakes the set's pollers: the outer set queues
//! one report and wakes one of its waiters (epoll waiters are exclusive).
//! That report says only *that* something arrived; the woken thread takes
//! the lock and takes the reports. A level the kernel re-queues after a
//! `take` is no new arrival, so a held level does not keep blocked threads
//! spinning, and a `wait` asks in full batches until it has seen the whole
//! ready list before it sleeps or answers `[]` (`port.rs`, `rounds_for`).
//!
//! What the nesting costs, measured on Linux 6.18 with a C program
//! (eventfd, 200,000 round trips, machine under load): the wake-up path of
//! every arrival runs through the outer set too, about 60-120 ns on a
//! 1,000 ns write-`epoll_wait`-read round trip, *whether or not a thread
//! is blocked* (the outer set's entry sits on the port's set's poll wait
//! queue for as long as it is a member); `EPOLL_CTL_ADD` into a nested set
//! does the kernel's full loop and path check (the global
//! `epnested_mutex`, then `reverse_path_check`), about 150 ns on an
//! `EPOLL_CTL_ADD` + `EPOLL_CTL_DEL` pair of 1,170 ns, whatever the set's
//! size; and the kernel allows one open file at most 500 wake-up paths of
//! depth 1 (`path_limits`), so in a nested set the 501st registration of
//! one fd (or of its dups: the backend dups every fd, and dups share the
//! open file) is refused with `EINVAL` from `epoll_ctl(EPOLL_CTL_ADD)`.
//!
//! So the port's set is nested only when it is needed: the first time a
//! thread is about to block while another is blocked (or while the last
//! `take` left reports in the set: a level held by another thread), under
//! the lock ([`LinuxPoller::prepare_block`]). Until then the one blocked
//! thread sleeps in `poll(2)` on the port's set itself: woken by the set's
//! next arrival, it takes nothing, and no arrival pays for the nesting
//! while nothing blocks (a single-threaded loop whose events are ready
//! when it waits never blocks at all). Once nested, the set stays nested.
//! The condition "the last `take` returned nothing" keeps a lone `poll(2)`
//! sleeper from spinning: `poll(2)` on an epoll set reports it readable
//! while its ready list holds a ready item, and a level the kernel
//! re-queued after a `take` is such an item. What users see:
//! `tests/linux_faults.rs` pins both sides of the path limit, a 501st
//! registration of one open file refused once two threads have blocked at
//! once, and a port that already holds more than 500 when that happens
//! staying un-nested (the kernel refuses the nesting), where every blocked
//! thread sleeps in `poll(2)`, all wake at each arrival, and nothing is
//! lost. Both blocking alternatives without nesting were worse for a
//! pool: `poll(2)` on the port's set wakes *every* blocked thread at each
//! arrival (a poll(2) waiter is not exclusive) and spins while a held
//! level stays ready; one thread in the kernel and the rest on a futex
//! hands every wake-up from one thread to another.
//!
//! # Waking and Dispatch
//!
//! [`LinuxPoller::notify`] writes an eventfd registered `EPOLLET` in the
//! port's set: each write is one arrival, which wakes one thread blocked
//! in the outer set. A thread that harvests more than its batch leaves the
//! rest queued and notifies again (the port's wake-up chain).
//!
//! # Faults
//!
//! * The backend `dup`s every fd it is given: the caller closing its fd, or
//!   the fd number being reused by an unrelated open, never reaches the
//!   registration. Every epoll token carries the source's generation, so a
//!   report for a removed source is dropped at harvest. [`Port::remove`]
//!   closes the backend's reference: the source's registrations become
//!   `Closed` (cancel gives their terminal outcome) and no event follows.
//! * `EMFILE`, `ENOMEM` and every other failure come back as [`Error::Os`]
//!   naming the call (`fcntl(F_DUPFD_CLOEXEC)`, `epoll_ctl(...)`, ...).
//! * `EINTR` in `epoll_wait` is a spurious wake-up: the events stay queued
//!   in the kernel and the next `epoll_wait` returns them.
//! * io_uring unavailable (`ENOSYS`; `EPERM` from `kernel.io_uring_disabled`
//!   or seccomp): readiness, timers, signals, inotify and pidfd still work
//!   through epoll; submitting an operation or futex wait fails with the
//!   typed error from `io_uring_setup` ([`LinuxBackend::io_uring_error`]).
//! * Dropping the port cancels every in-flight operation and waits for all
//!   their final completions before any buffer is freed.
//! * Finding (Linux 6.18): a poll-driven request (`recv`, `accept`, `read`
//!   of a pipe) whose submitting thread has exited is cancelled by the
//!   kernel when it would complete, not when the thread exits: its final
//!   event is `-ECANCELED`, not flagged `cancelled` (the port did not ask),
//!   and nothing was consumed. Submit long-lived operations from threads
//!   that outlive them.
//!
//! # Futex waits and the private futex hash (Linux 6.16+)
//!
//! Since 6.16 a process may get a private futex hash (`PR_FUTEX_HASH`),
//! allocated when it first becomes multi-threaded, or resized. A *private*
//! futex wait armed through io_uring while the process is single-threaded
//! sits in the global hash; a private wake after the process grew threads
//! looks in the new private hash and misses it. The port uses **shared**
//! futexes throughout (`FUTEX2_SIZE_U32` without `FUTEX2_PRIVATE` for the
//! io_uring wait, `FUTEX_WAKE` without `FUTEX_PRIVATE_FLAG` for the wake,
//! [`futex_wake`]): shared futexes always hash globally, so the hazard
//! cannot arise, at the price of a shared-key lookup per call. Other threads
//! waiting on the same word must use shared futexes too ([`futex_wait`]).
//!
//! Finding (Linux 6.18.44, `examples/futex_hash.rs`, pinned by
//! `tests/linux_futex_hash.rs`): arming a *private* io_uring futex wait in a
//! single-threaded process already allocates the private hash (16 slots
//! before any thread exists), so on this kernel the private wake after
//! `pthread_create` is delivered too. The port does not rely on that; the
//! test fails loudly if a kernel stops doing it.
//!
//! # fork without exec
//!
//! Every fd the backend opens is `O_CLOEXEC`. A child of `fork` shares the
//! epoll set and the ring with its parent (they are kernel objects, and the
//! ring's memory is `MAP_SHARED`): it must not use the port. Dropping a port
//! in a process other than the one that built it cancels nothing and
//! leaks the in-flight table instead (the operations are the parent's).
//!
//! # Signals
//!
//! [`Port::add_signal`] blocks the signal in the *calling* thread only.
//! Block it before spawning threads (or in every thread), or the kernel may
//! deliver it to a thread that does not block it.
//!
//! [`Port::remove`]: crate::Port::remove
//! [`Port::add_signal`]: crate::Port::add_signal

mod api;
#[allow(unsafe_code)]
mod bufring;
#[allow(unsafe_code)]
mod sys;
#[cfg(test)]
#[allow(unsafe_code)]
mod tests;
#[allow(unsafe_code)]
mod uring;

use std::collections::VecDeque;
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::time::Duration;

pub use self::api::{futex_wait, futex_wake, FutexWord, Interest, LinuxPort, Trigger};
pub use self::bufring::BufferPool;
use self::sys::{Epoll, EpollFlags};
use self::uring::{Cqe, Ring, Start};
use crate::backend::{Backend, CancelAnswer, Marks, Poller, PreArm, Recheck, Signal};
use crate::error::Error;
use crate::event::{Mode, SourceId, SourceKind};
use crate::sync::os::{Arc, AtomicU32, Counter, Flag};

/// Token of the wake-up eventfd.
const NOTIFY_TOKEN: u64 = 1 << 62;
/// Token of the ring's fd.
const RING_TOKEN: u64 = (1 << 62) | 1;
/// Generations are kept to 30 bits so tokens never reach the tags above.
const GEN_MASK: u32 = (1 << 30) - 1;

fn token(source: SourceId, gen: u32) -> u64 {
    (u64::from(gen & GEN_MASK) << 32) | u64::from(source.0)
}

fn untoken(t: u64) -> (SourceId, u32) {
    (SourceId(t as u32), (t >> 32) as u32)
}

/// What a readiness fd is, for draining it in `consume`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum What {
    /// The caller's fd (dup'd): the caller drains it.
    Plain,
    /// An eventfd or timerfd: `consume` reads the counter.
    Counter,
    /// A signalfd: `consume` reads the pending signals.
    Signal,
    /// An inotify fd: `consume` reads the events.
    Inotify,
    /// A pidfd: nothing to drain.
    Pidfd,
}

/// How the source's fd is registered in the epoll set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kernel {
    None,
    /// `EPOLLET`, re-checked at release by `poll(2)` (or re-armed by
    /// `EPOLL_CTL_MOD`): Dispatch and Oneshot on the caller's fds (module
    /// docs, "Re-arming a pool's releases").
    Oneshot,
    /// Level-triggered: Level on the caller's fds (no re-arm syscall; the
    /// kernel re-polls at every `epoll_wait`).
    Level,
    /// `EPOLLET`: Edge, and every mode on fds the backend drains itself.
    Edge,
}

#[derive(Debug)]
enum Body {
    Fd {
        fd: Option<Arc<OwnedFd>>,
        what: What,
        interest: u32,
        kernel: Kernel,
        /// The condition as the kernel last reported it (contract rule 5).
        ready: bool,
        /// [`LinuxBackend::resets`] when `ready` was last reset (or set by
        /// a re-check of the backend's own): a report carried by a poll
        /// that began before it may predate the reset ([`Backend::harvest`]).
        reset_at: u64,
        /// A [`LinuxPreArm`] was handed out and its `arm` has not come yet.
        prearmed: bool,
        /// A held `Level` release will take the wait's ask before it as
        /// its re-check (contract rule 5); the cached condition was reset.
        level_prepared: bool,
        /// What the last `consume` drained (counter value, signals, names).
        drained: Drained,
    },
    Futex {
        word: Arc<AtomicU32>,
        expected: u32,
        in_flight: bool,
        cancel: bool,
    },
    Op {
        fd: Arc<OwnedFd>,
        pending: Option<OpSpec>,
        in_flight: bool,
        cancel: bool,
        /// The buffer, handed back with the final completion.
        done: Option<Vec<u8>>,
        /// Bytes of multishot read/recv items (and of a final that
        /// carried data), oldest first, until the caller takes them. Boxed:
        /// every source's table entry is as large as the largest body.
        chunks: Box<Chunks>,
    },
}

/// The bytes of a multishot read or recv not yet taken: one byte queue and
/// the items' lengths, so an item costs no allocation of its own.
#[derive(Debug, Default)]
pub(crate) struct Chunks {
    bytes: VecDeque<u8>,
    lens: VecDeque<usize>,
}

impl Chunks {
    fn push(&mut self, data: &[u8]) {
        self.bytes.extend(data);
        self.lens.push_back(data.len());
    }

    fn pop_into(&mut self, out: &mut Vec<u8>) -> Option<usize> {
        let n = self.lens.pop_front()?;
        // Two slice copies, not a byte at a time.
        let (a, b) = self.bytes.as_slices();
        let k = n.min(a.len());
        out.extend_from_slice(&a[..k]);
        out.extend_from_slice(&b[..n - k]);
        self.bytes.drain(..n);
        Some(n)
    }
}

/// What `consume` drained last.
#[derive(Debug, Default, Clone)]
pub(crate) enum Drained {
    #[default]
    Nothing,
    Count(u64),
    Signals(Vec<u32>),
    Changes(Vec<(u32, String)>),
}

/// An operation before submission.
#[derive(Debug)]
pub(crate) enum OpSpec {
    Read { buf: Vec<u8>, offset: u64 },
    Write { buf: Vec<u8>, offset: u64 },
    Recv { buf: Vec<u8> },
    Accept,
}

#[derive(Debug)]
struct Src {
    gen: u32,
    body: Body,
}

/// The Linux source table (see the module docs). Build a port over it with
/// [`Port::linux`](crate::Port::linux).
#[derive(Debug)]
pub struct LinuxBackend {
    epoll: Arc<Epoll>,
    /// The poller's outer set (contract rule 1), kept for `poller()`.
    outer: Arc<Epoll>,
    /// The poller's nesting state, kept for `poller()`.
    nesting: Arc<Nesting>,
    /// Set when a [`LinuxPreArm`] batch's `poll(2)` failed: from then on
    /// every release also re-arms under the lock (`EPOLL_CTL_MOD`, which
    /// re-polls and reports), where its error reaches a caller.
    prearm_failed: Arc<Flag>,
    notify: Arc<OwnedFd>,
    ring: Option<Ring>,
    ring_error: Option<Error>,
    sources: Vec<Option<Src>>,
    /// Next generation per source index (indices are never reused, but a
    /// generation still guards tokens of a removed source).
    next_gen: u32,
    /// The process that built the backend (fork detection in `Drop`).
    pid: u32,
    /// An `arm` answered `Recheck::Deferred` (the kernel re-polls the file
    /// at its next report): the next `wait` must poll before serving the
    /// queue (F9).
    deferred_recheck: bool,
    /// Inside a release whose wait's ask was complete and harvested in this
    /// lock hold: a prepared `Level` source is re-checked (contract rule 5).
    level_rechecked: bool,
    /// Resets of a cached condition so far (`Body::Fd::reset_at`; the
    /// value of [`Backend::poll_mark`] and [`Poller::mark`]). Bumped
    /// *before* the reset's action (the drain, the re-arm), so a poll that
    /// read a smaller value after it returned took its reports before it.
    resets: Arc<Counter>,
    /// Scratch for [`Backend::harvest_posted`] (no allocation per reap).
    cqes: Vec<Cqe>,
}

/// The Linux poller: `take` is a zero-timeout `epoll_wait` on the port's
/// epoll set, under the port's lock; `block` sleeps in `epoll_wait` on an
/// outer set whose one member is the port's set (edge-triggered), so a
/// blocked thread learns *that* something arrived and takes it under the
/// lock (contract rules 1 and 2); `notify` writes the wake-up eventfd.
#[derive(Debug)]
pub struct LinuxPoller {
    epoll: Arc<Epoll>,
    outer: Arc<Epoll>,
    nesting: Arc<Nesting>,
    notify: Arc<OwnedFd>,
    prearm_failed: Arc<Flag>,
    resets: Arc<Counter>,
}

/// Whether the port's set is a member of the poller's outer set (set once,
/// under the port's lock; read by blocking threads without it).
#[derive(Debug, Default)]
struct Nesting {
    nested: Flag,
    /// The kernel refused the nesting: threads block in `poll(2)` for good.
    refused: Flag,
}

impl Poller for LinuxPoller {
    #[inline]
    fn take(&self, out: &mut Vec<u64>, max: usize) -> Result<(), Error> {
        self.epoll.wait(out, max, Some(Duration::ZERO))
    }

    /// The outer set's member is the port's set, `EPOLLET`: every arrival
    /// in the port's set (`ep_poll_callback` wakes the set's own pollers)
    /// queues one report in the outer set and wakes one of its waiters
    /// (epoll waiters are exclusive). A report left by a `take` that filled
    /// its batch, or a level the kernel re-queued, makes no new arrival:
    /// the thread that took the batch notifies (the wake-up chain), and a
    /// held level does not keep the blocked threads spinning. An arrival
    /// between a thread's last `take` and its `epoll_wait` here stays
    /// queued in the outer set, so the wake-up is not lost.
    ///
    /// Until the port's set is nested ([`prepare_block`](Self::prepare_block)),
    /// the one blocked thread sleeps in `poll(2)` on the port's set itself:
    /// it is woken by the set's next arrival and takes nothing.
    fn block(&self, timeout: Option<Duration>) -> Result<(), Error> {
        if self.nesting.nested.get() {
            self.outer.sleep(timeout)
        } else {
            self.epoll.poll_ready(timeout)
        }
    }

    /// Nests the port's set in the outer set the first time a thread blocks
    /// while another is blocked, or while the last `take` left reports in
    /// the port's set (see "Where threads block" in the module docs). Once
    /// nested it stays nested. If the kernel refuses the nesting (`EINVAL`
    /// from `path_limits`: more than 500 registrations of one open file;
    /// `ENOMEM`), the port stays un-nested for good: its blocked threads
    /// all sleep in `poll(2)` and all wake at each arrival, which is slower
    /// but loses nothing.
    fn prepare_block(&self, alone: bool) {
        let n = &*self.nesting;
        if alone || n.nested.get() || n.refused.get() {
            return;
        }
        // Under the port's lock (the contract), so only one thread adds.
        match self.outer.add(
            self.epoll.as_raw_fd(),
            EpollFlags(EpollFlags::IN | EpollFlags::ET),
            0,
        ) {
            Ok(()) => n.nested.set(),
            Err(_) => n.refused.set(),
        }
    }

    fn notify(&self) {
        // Fails only at the counter's ceiling, when a wake-up is pending anyway.
        let _ = sys::eventfd_add(self.notify.as_fd(), 1);
    }

    fn mark(&self) -> u64 {
        self.resets.get()
    }
}

/// A Dispatch release's re-check, prepared under the port's lock and run
/// without it (contract rule 5): the registration stays armed in the kernel
/// (`EPOLLET`), so the release needs no `EPOLL_CTL_MOD`, only the re-check
/// of the condition, which a batch answers with one `poll(2)`. It keeps the
/// fd open, so the number cannot have been reused meanwhile.
///
/// It carries only the source's own fd: the failure flag is reached through
/// the poller, so no reference count shared by every thread is touched per
/// event.
#[derive(Debug)]
pub struct LinuxPreArm {
    fd: Arc<OwnedFd>,
    /// The `poll(2)` events of the source's interest.
    events: i16,
    token: u64,
}

/// Most re-checks in one `poll(2)` (a stack array).
const RECHECK_BATCH: usize = 64;

impl PreArm<LinuxPoller> for LinuxPreArm {
    /// One `poll(2)` (zero timeout) re-checks the whole batch: a pool
    /// thread releasing a batch of 8 makes one system call, which takes no
    /// epoll lock, instead of 8 `EPOLL_CTL_MOD`s serialized on the epoll
    /// set's mutex. A source found ready is handed back as a token, as if
    /// `epoll_wait` had reported it.
    fn run_all(batch: &mut Vec<Self>, poller: &LinuxPoller, ready: &mut Vec<u64>) {
        // A fd the `take` after the batch was prepared reported (in that
        // lock hold, harvested there) needs none: `ep_send_events` re-polls
        // every reported fd and drops it if its condition no longer holds,
        // so that report is a re-check taken after the holder's release
        // began. (A ping-pong over one fd
        // then costs raw `EPOLLONESHOT`'s calls minus its `epoll_ctl`.)
        let reported = ready.len();
        batch.retain(|a| !ready[..reported].contains(&a.token));
        for chunk in batch.chunks(RECHECK_BATCH) {
            recheck(chunk, poller, ready);
        }
        // The fds stay open until the re-check has returned.
        batch.clear();
    }

    fn run(self, poller: &LinuxPoller, ready: &mut Vec<u64>) {
        if !ready.contains(&self.token) {
            recheck(std::slice::from_ref(&self), poller, ready);
        }
    }
}

/// One `poll(2)` over `chunk` (at most [`RECHECK_BATCH`]); appends the
/// tokens of the fds found ready.
fn recheck(chunk: &[LinuxPreArm], poller: &LinuxPoller, ready: &mut Vec<u64>) {
    match poll_batch(chunk.iter().map(|a| (a.fd.as_raw_fd(), a.events))) {
        Ok(fds) => ready.extend(
            fds.iter()
                .zip(chunk)
                .filter(|(p, _)| p.revents != 0)
                .map(|(_, a)| a.token),
        ),
        // No answer: from now on every release re-arms under the lock
        // (`EPOLL_CTL_MOD` re-polls and reports), and so are these
        // (`arm` sees the flag before it answers `Now`).
        Err(_) => poller.prearm_failed.set(),
    }
}

/// One zero-timeout `poll(2)` over at most [`RECHECK_BATCH`] `(fd, events)`
/// pairs (a negative fd is skipped by the kernel: never ready); the
/// entries in order, each with its `revents`. The caller keeps every fd
/// open until it returns.
fn poll_batch(
    fds: impl Iterator<Item = (std::os::fd::RawFd, i16)>,
) -> Result<[libc::pollfd; RECHECK_BATCH], Error> {
    let mut p = [libc::pollfd {
        fd: -1,
        events: 0,
        revents: 0,
    }; RECHECK_BATCH];
    let mut n = 0;
    for (slot, (fd, events)) in p.iter_mut().zip(fds) {
        slot.fd = fd;
        slot.events = events;
        n += 1;
    }
    sys::poll_now(&mut p[..n])?;
    Ok(p)
}

impl LinuxBackend {
    /// An epoll set, its wake-up eventfd, and (if the kernel allows) a ring.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `epoll_create1`, `eventfd` or `epoll_ctl`. A ring
    /// that cannot be set up is not an error here: see
    /// [`io_uring_error`](Self::io_uring_error).
    pub fn new() -> Result<Self, Error> {
        Self::with_pool(BufferPool::default())
    }

    /// [`new`](Self::new) with the provided-buffer pool multishot reads and
    /// receives use (mapped and registered at the first such submission).
    ///
    /// # Errors
    ///
    /// As [`new`](Self::new).
    pub fn with_pool(pool: BufferPool) -> Result<Self, Error> {
        let epoll = Epoll::new()?;
        let notify = sys::eventfd()?;
        epoll.add(
            notify.as_raw_fd(),
            EpollFlags(EpollFlags::IN | EpollFlags::ET),
            NOTIFY_TOKEN,
        )?;
        // Where threads block (contract rule 1): the port's set becomes its
        // one member, edge-triggered, when a second thread blocks
        // (`LinuxPoller::prepare_block`).
        let outer = Epoll::new()?;
        let (ring, ring_error) = match Ring::new(256, pool) {
            Ok(r) => {
                epoll.add(
                    r.fd(),
                    EpollFlags(EpollFlags::IN | EpollFlags::ET),
                    RING_TOKEN,
                )?;
                (Some(r), None)
            }
            Err(e) => (None, Some(e)),
        };
        Ok(Self {
            epoll: Arc::new(epoll),
            outer: Arc::new(outer),
            nesting: Arc::new(Nesting::default()),
            prearm_failed: Arc::new(Flag::default()),
            notify: Arc::new(notify),
            ring,
            ring_error,
            sources: Vec::new(),
            next_gen: 0,
            pid: std::process::id(),
            deferred_recheck: false,
            level_rechecked: false,
            resets: Arc::new(Counter::default()),
            cqes: Vec::new(),
        })
    }

    /// Why io_uring is unavailable (`None`: it is available). Operations and
    /// futex waits fail with this error; everything epoll serves works.
    pub fn io_uring_error(&self) -> Option<Error> {
        self.ring_error
    }

    /// Operations the kernel may still write to.
    pub fn in_flight(&self) -> usize {
        self.ring.as_ref().map_or(0, Ring::in_flight)
    }

    fn add(&mut self, body: Body) -> SourceId {
        let id = SourceId(u32::try_from(self.sources.len()).expect("more than u32::MAX sources"));
        let gen = self.next_gen & GEN_MASK;
        self.next_gen = self.next_gen.wrapping_add(1);
        self.sources.push(Some(Src { gen, body }));
        id
    }

    pub(crate) fn add_fd(&mut self, fd: OwnedFd, what: What, interest: u32) -> SourceId {
        self.add(Body::Fd {
            fd: Some(Arc::new(fd)),
            what,
            interest,
            kernel: Kernel::None,
            ready: false,
            reset_at: 0,
            prearmed: false,
            level_prepared: false,
            drained: Drained::Nothing,
        })
    }

    pub(crate) fn add_futex(&mut self, word: Arc<AtomicU32>) -> SourceId {
        self.add(Body::Futex {
            word,
            expected: 0,
            in_flight: false,
            cancel: false,
        })
    }

    pub(crate) fn add_op(&mut self, fd: OwnedFd, spec: OpSpec) -> SourceId {
        self.add(Body::Op {
            fd: Arc::new(fd),
            pending: Some(spec),
            in_flight: false,
            cancel: false,
            done: None,
            chunks: Box::default(),
        })
    }

    fn src(&self, s: SourceId) -> Result<&Src, Error> {
        self.sources
            .get(s.0 as usize)
            .and_then(Option::as_ref)
            .ok_or(Error::UnknownSource(s))
    }

    fn src_mut(&mut self, s: SourceId) -> Result<&mut Src, Error> {
        self.sources
            .get_mut(s.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownSource(s))
    }

    /// The backend's fd of a live readiness source.
    pub(crate) fn fd_of(&self, s: SourceId) -> Result<Arc<OwnedFd>, Error> {
        match &self.src(s)?.body {
            Body::Fd { fd: Some(fd), .. } => Ok(fd.clone()),
            Body::Fd { fd: None, .. } => Err(Error::Closed(s)),
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// Sets the expected value of the next wait on futex source `s`.
    pub(crate) fn expect(&mut self, s: SourceId, value: u32) -> Result<(), Error> {
        match &mut self.src_mut(s)?.body {
            Body::Futex { expected, .. } => {
                *expected = value;
                Ok(())
            }
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// The buffer of a finished operation (once).
    pub(crate) fn take_buffer(&mut self, s: SourceId) -> Result<Option<Vec<u8>>, Error> {
        match &mut self.src_mut(s)?.body {
            Body::Op {
                in_flight: true, ..
            } => Err(Error::InvalidStep(s)),
            Body::Op { done, .. } => Ok(done.take()),
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// Appends the oldest untaken bytes of a multishot read or recv of `s`
    /// to `out`; their length (`None`: nothing left).
    pub(crate) fn take_data_into(
        &mut self,
        s: SourceId,
        out: &mut Vec<u8>,
    ) -> Result<Option<usize>, Error> {
        match &mut self.src_mut(s)?.body {
            Body::Op { chunks, .. } => Ok(chunks.pop_into(out)),
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// [`Backend::consume`] of `s` returning the counter value it drained
    /// (0 if it drained no counter) rather than keeping it, in one look-up
    /// of the source: `read_count` runs once per trigger or timer round
    /// trip.
    pub(crate) fn consume_count(&mut self, s: SourceId) -> Result<u64, Error> {
        let (drained, kept) = self.drain(s)?;
        // Nothing is kept (a counter's `Drained` owns nothing to drop).
        if !matches!(kept, Drained::Nothing) {
            *kept = Drained::Nothing;
        }
        Ok(match drained {
            Drained::Count(n) => n,
            _ => 0,
        })
    }

    /// The drain behind [`Backend::consume`]: reads what readiness source
    /// `s` holds, resets its cached condition, and returns what it read
    /// with the source's slot for it (`consume` keeps it there).
    #[inline(always)]
    fn drain(&mut self, s: SourceId) -> Result<(Drained, &mut Drained), Error> {
        // One borrow of the entry, the fd borrowed (not its reference count
        // cloned) across the read: this runs for every drained trigger.
        let stamp = self.resets.bump();
        let Body::Fd {
            fd,
            what,
            ready,
            reset_at,
            drained: d,
            ..
        } = &mut self.src_mut(s)?.body
        else {
            return Err(Error::InvalidStep(s));
        };
        let fd = fd.as_ref().ok_or(Error::Closed(s))?;
        let drained = match *what {
            What::Plain | What::Pidfd => Drained::Nothing,
            What::Counter => Drained::Count(sys::read_u64(fd.as_fd())?),
            What::Signal => {
                let mut v = Vec::new();
                while let Some(s) = sys::read_signal(fd.as_fd())? {
                    v.push(s);
                }
                Drained::Signals(v)
            }
            What::Inotify => Drained::Changes(sys::read_inotify(fd.as_fd())?),
        };
        *ready = false;
        *reset_at = stamp;
        Ok((drained, d))
    }

    /// What the last `consume` of `s` drained.
    pub(crate) fn drained(&mut self, s: SourceId) -> Result<Drained, Error> {
        match &mut self.src_mut(s)?.body {
            Body::Fd { drained, .. } => Ok(std::mem::take(drained)),
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// Closes the backend's reference to readiness source `s`: no report
    /// follows (its token's generation is retired with it).
    pub(crate) fn close(&mut self, s: SourceId) -> Result<(), Error> {
        let epoll = self.epoll.clone();
        let src = self.src_mut(s)?;
        match &mut src.body {
            Body::Fd {
                fd, kernel, ready, ..
            } => {
                if let Some(f) = fd.take() {
                    if *kernel != Kernel::None {
                        let _ = epoll.delete(f.as_raw_fd());
                    }
                }
                *kernel = Kernel::None;
                *ready = false;
                // Reports already harvested but not applied carry this
                // generation: retire it.
                src.gen = src.gen.wrapping_add(1 << 29) & GEN_MASK;
                Ok(())
            }
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// `arm` (contract rule 5); `may_switch`: the registration is the
    /// source's only one and `modify` moved it, so the fd's epoll trigger
    /// may change class (F8): `EPOLL_CTL_MOD` to the new trigger, which
    /// re-polls the file like any re-arm.
    ///
    /// The two releases of a `Level` loop are answered here, inlined into
    /// the caller, without [`Self::arm_general`] and its reset stamp (a
    /// locked add that neither uses):
    /// * a trigger, timer or other fd the backend drains itself, on its
    ///   edge-triggered kernel registration: its cached condition is
    ///   exact, so the core re-checks it now;
    /// * a level-triggered fd prepared for this release
    ///   ([`Backend::prepare_level_recheck`]), released by a wait whose ask
    ///   before the release was complete: that ask was the kernel's re-poll,
    ///   after the reset (rule 5).
    ///
    /// Both clear the prepared flags (neither can be set on an
    /// edge-triggered registration: both are set only on other triggers,
    /// and a prepared re-check refuses a trigger switch).
    #[inline]
    fn arm_as(&mut self, source: SourceId, mode: Mode, may_switch: bool) -> Result<Recheck, Error> {
        let level_rechecked = self.level_rechecked;
        if let Some(Some(Src {
            body:
                Body::Fd {
                    fd: Some(_),
                    what,
                    kernel,
                    prearmed,
                    level_prepared,
                    ..
                },
            ..
        })) = self.sources.get_mut(source.0 as usize)
        {
            // The kernel trigger this mode wants is the one it has (see
            // `arm_general`'s `want`; only the caller's plain fds are ever
            // level-triggered).
            let now = if *kernel == Kernel::Edge {
                *what != What::Plain || mode == Mode::Edge
            } else {
                *kernel == Kernel::Level
                    && *level_prepared
                    && level_rechecked
                    && mode == Mode::Level
            };
            if now {
                *prearmed = false;
                *level_prepared = false;
                return Ok(Recheck::Now);
            }
        }
        self.arm_general(source, mode, may_switch)
    }

    /// [`Self::arm_as`] past its two re-check-now cases.
    fn arm_general(
        &mut self,
        source: SourceId,
        mode: Mode,
        may_switch: bool,
    ) -> Result<Recheck, Error> {
        // Borrowed, not cloned: this runs for every released event, and the
        // epoll set's reference count is shared by every thread.
        let epoll = &*self.epoll;
        let src = self
            .sources
            .get_mut(source.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownSource(source))?;
        let tok = token(source, src.gen);
        let Body::Fd {
            fd,
            what,
            interest,
            kernel,
            ready,
            reset_at,
            prearmed,
            level_prepared,
            ..
        } = &mut src.body
        else {
            return Err(Error::InvalidStep(source));
        };
        let Some(fd) = fd.as_ref() else {
            return Err(Error::Closed(source));
        };
        // Sources the backend drains itself (under the lock) are always
        // edge-triggered: the cached condition is exact there. The
        // caller's own fds get the trigger their mode needs.
        let want = match (*what, mode) {
            (What::Plain, Mode::Edge)
            | (What::Counter | What::Signal | What::Inotify | What::Pidfd, _) => Kernel::Edge,
            (What::Plain, Mode::Level) => Kernel::Level,
            (What::Plain, _) => Kernel::Oneshot,
        };
        let prearm_failed = self.prearm_failed.get();
        let flags = EpollFlags(
            *interest
                | match want {
                    Kernel::Edge => EpollFlags::ET,
                    Kernel::Oneshot => EpollFlags::ET,
                    Kernel::Level | Kernel::None => 0,
                },
        );
        let was_prearmed = std::mem::take(prearmed);
        // A preparation `arm_as` did not answer is spent (its wait's ask
        // was not complete, or the mode moved): re-checked below.
        *level_prepared = false;
        if was_prearmed && *kernel == want && !prearm_failed {
            // Re-checked without the lock already (`poll(2)`, the kernel
            // registration stayed armed): a ready answer is a token the
            // port harvests right after this release, and anything the
            // kernel reported since has set the cached condition.
            return Ok(Recheck::Now);
        }
        // Before any reset below (`resets`); the answers above reset
        // nothing.
        let stamp = self.resets.bump();
        match *kernel {
            Kernel::None if *what != What::Plain && mode != Mode::Edge => {
                // A source the backend drains itself: its re-check is done
                // now (`poll(2)`), so a raised source is queued at its
                // registration, as unified's `Register` says, not after the
                // wait that harvests the ADD's report (F9). The report still
                // comes and only re-sets the same condition: a level,
                // one-shot or dispatch registration that is queued or held
                // ignores it. (Edge is left to the report: the ADD's report
                // and a later raise coalesce into one, so it cannot be told
                // apart from a new edge.)
                epoll.add(fd.as_raw_fd(), flags, tok)?;
                *kernel = want;
                *ready = sys::readable_now(fd.as_fd())?;
                *reset_at = stamp;
                return Ok(Recheck::Now);
            }
            Kernel::None => {
                // The kernel polls the file at ADD: its report is the re-check.
                epoll.add(fd.as_raw_fd(), flags, tok)?;
                *kernel = want;
            }
            k if k != want => {
                // One epoll registration per fd: its trigger serves one
                // class of modes at a time. A sole registration may move
                // it (F8), unless a re-check prepared for its holder's
                // release is still to run without the lock (kept refused:
                // that release's `poll(2)` answer was taken for the old
                // trigger).
                if !may_switch || was_prearmed {
                    *prearmed = was_prearmed;
                    return Err(Error::ModeMismatch {
                        kind: SourceKind::Level,
                        mode,
                    });
                }
                epoll.modify(fd.as_raw_fd(), flags, tok)?;
                *kernel = want;
            }
            // Exact cached condition: the core re-checks it now (`arm_as`
            // answers this case before the call; kept for the match).
            Kernel::Edge => return Ok(Recheck::Now),
            // Level-triggered (not prepared and re-polled: `arm_as`): the
            // next epoll_wait re-polls the file.
            Kernel::Level => {}
            // One-shot: EPOLL_CTL_MOD re-arms and re-polls.
            Kernel::Oneshot => epoll.modify(fd.as_raw_fd(), flags, tok)?,
        }
        let lowered = std::mem::take(ready);
        *reset_at = stamp;
        self.deferred_recheck = true;
        Ok(Recheck::Deferred { lowered })
    }

    fn finish(&mut self, cqe: Cqe, arena: &[u8], out: &mut Vec<Signal>) {
        let (source, gen) = untoken(cqe.token);
        let Ok(src) = self.src_mut(source) else {
            return;
        };
        if src.gen != gen {
            return;
        }
        match &mut src.body {
            Body::Op {
                in_flight,
                cancel,
                done,
                chunks,
                ..
            } => {
                if let Some(d) = cqe.data.clone() {
                    chunks.push(&arena[d]);
                }
                if cqe.more {
                    out.push(Signal::Item(source, i64::from(cqe.result)));
                    return;
                }
                *in_flight = false;
                *done = cqe.buf;
                let cancelled = *cancel && cqe.result == -libc::ECANCELED;
                out.push(Signal::Complete {
                    source,
                    result: (!cancelled).then_some(i64::from(cqe.result)),
                    cancelled,
                });
            }
            Body::Futex {
                in_flight, cancel, ..
            } => {
                *in_flight = false;
                let cancelled = *cancel && cqe.result == -libc::ECANCELED;
                if cqe.result == 0 {
                    // Woken: the model's futex wake of this one waiter.
                    out.push(Signal::FutexWake(source, 1));
                } else {
                    // Cancelled, or the word did not hold the expected value
                    // (`-EAGAIN`): the wait's final completion.
                    out.push(Signal::Complete {
                        source,
                        result: (!cancelled).then_some(i64::from(cqe.result)),
                        cancelled,
                    });
                }
            }
            Body::Fd { .. } => {}
        }
    }
}

impl Backend for LinuxBackend {
    type Poller = LinuxPoller;
    type PreArm = LinuxPreArm;

    fn prearm(&mut self, source: SourceId, _mode: Mode) -> Option<(LinuxPreArm, bool)> {
        let stamp = self.resets.bump();
        let src = self.src_mut(source).ok()?;
        let token = token(source, src.gen);
        match &mut src.body {
            Body::Fd {
                fd: Some(fd),
                interest,
                kernel: Kernel::Oneshot,
                ready,
                reset_at,
                prearmed,
                ..
            } => {
                *prearmed = true;
                let lowered = std::mem::take(ready);
                *reset_at = stamp;
                let a = LinuxPreArm {
                    fd: fd.clone(),
                    events: sys::poll_events(*interest),
                    token,
                };
                Some((a, lowered))
            }
            _ => None,
        }
    }

    const KERNEL_QUEUE: bool = true;

    fn poller(&mut self) -> LinuxPoller {
        LinuxPoller {
            epoll: self.epoll.clone(),
            outer: self.outer.clone(),
            nesting: self.nesting.clone(),
            notify: self.notify.clone(),
            prearm_failed: self.prearm_failed.clone(),
            resets: self.resets.clone(),
        }
    }

    fn kind(&self, source: SourceId) -> Result<SourceKind, Error> {
        Ok(match &self.src(source)?.body {
            // Every fd condition is a level the kernel raises and lowers; the
            // history checker learns readiness sources as `Level`.
            Body::Fd { fd: None, .. } => return Err(Error::Closed(source)),
            Body::Fd { .. } => SourceKind::Level,
            Body::Futex { .. } => SourceKind::Futex,
            Body::Op { .. } => SourceKind::Operation,
        })
    }

    fn is_ready(&self, source: SourceId) -> bool {
        matches!(
            self.src(source).map(|s| &s.body),
            Ok(Body::Fd {
                fd: Some(_),
                ready: true,
                ..
            })
        )
    }

    #[inline]
    fn arm(&mut self, source: SourceId, mode: Mode) -> Result<Recheck, Error> {
        self.arm_as(source, mode, false)
    }

    fn remode(&mut self, source: SourceId, mode: Mode, sole: bool) -> Result<Recheck, Error> {
        self.arm_as(source, mode, sole)
    }

    fn take_deferred_recheck(&mut self) -> bool {
        std::mem::take(&mut self.deferred_recheck)
    }

    fn prepare_level_recheck(&mut self, source: SourceId) -> Option<bool> {
        // Only a level-triggered kernel registration is prepared; the rest
        // (a trigger, a timer: exact cached conditions) reset nothing, so
        // they take no stamp (a locked add on every `Level` round trip).
        let resets = &self.resets;
        match self.sources.get_mut(source.0 as usize) {
            Some(Some(Src {
                body:
                    Body::Fd {
                        fd: Some(_),
                        kernel: Kernel::Level,
                        ready,
                        reset_at,
                        level_prepared,
                        ..
                    },
                ..
            })) => {
                // Bumped before the reset, a reset like any other
                // (`resets`): a report another thread carried across it is
                // from before it.
                *reset_at = resets.bump();
                *level_prepared = true;
                Some(std::mem::take(ready))
            }
            _ => None,
        }
    }

    fn set_level_rechecked(&mut self, on: bool) {
        self.level_rechecked = on;
    }

    /// One `poll(2)` (zero timeout) per `RECHECK_BATCH` (64) of the caller's
    /// fds among `sources` whose cached condition is true; the fds the
    /// backend drains itself have an exact cached condition and are left
    /// out. Under the lock, so no harvest can interleave: a report that
    /// comes after the `poll(2)` is a later arrival (F11).
    fn recheck_queued(&mut self, sources: &mut Vec<SourceId>) -> Result<(), Error> {
        sources.retain(|&s| {
            matches!(
                self.src(s).map(|s| &s.body),
                Ok(Body::Fd {
                    fd: Some(_),
                    what: What::Plain,
                    ready: true,
                    ..
                })
            )
        });
        let mut lowered = 0;
        let mut start = 0;
        while start < sources.len() {
            let end = sources.len().min(start + RECHECK_BATCH);
            // The fds are the backend's own (dup'd), open while the lock
            // is held. The stamp comes first (`resets`). Every source here
            // was just kept as an open fd; the `-1` arm only makes the
            // match total (the kernel skips a negative fd).
            let stamp = self.resets.bump();
            let fds = poll_batch(sources[start..end].iter().map(|&s| match self.src(s) {
                Ok(Src {
                    body:
                        Body::Fd {
                            fd: Some(fd),
                            interest,
                            ..
                        },
                    ..
                }) => (fd.as_raw_fd(), sys::poll_events(*interest)),
                _ => (-1, 0),
            }))?;
            for (j, p) in fds[..end - start].iter().enumerate() {
                let s = sources[start + j];
                if p.revents == 0 {
                    if let Ok(Src {
                        body:
                            Body::Fd {
                                ready, reset_at, ..
                            },
                        ..
                    }) = self.src_mut(s)
                    {
                        *ready = false;
                        *reset_at = stamp;
                    }
                    sources[lowered] = s;
                    lowered += 1;
                }
            }
            start = end;
        }
        sources.truncate(lowered);
        Ok(())
    }

    fn unregister(&mut self, source: SourceId) {
        let epoll = self.epoll.clone();
        let stamp = self.resets.bump();
        if let Ok(Src {
            body:
                Body::Fd {
                    fd: Some(fd),
                    kernel,
                    ready,
                    reset_at,
                    prearmed,
                    level_prepared,
                    ..
                },
            ..
        }) = self.src_mut(source)
        {
            if *kernel != Kernel::None {
                let _ = epoll.delete(fd.as_raw_fd());
                *kernel = Kernel::None;
                *ready = false;
                *reset_at = stamp;
                *prearmed = false;
                *level_prepared = false;
            }
        }
    }

    fn consume(&mut self, source: SourceId) -> Result<(), Error> {
        let (drained, kept) = self.drain(source)?;
        *kept = drained;
        Ok(())
    }

    fn submit(&mut self, source: SourceId, mode: Mode) -> Result<(), Error> {
        let ring_error = self.ring_error;
        if self.ring.is_none() && !matches!(self.src(source)?.body, Body::Fd { .. }) {
            // Refused before anything is taken: the call changes nothing.
            return Err(ring_error.unwrap_or(Error::Os {
                syscall: "io_uring_setup",
                errno: libc::ENOSYS,
            }));
        }
        let src = self
            .sources
            .get_mut(source.0 as usize)
            .and_then(Option::as_mut)
            .ok_or(Error::UnknownSource(source))?;
        let tok = token(source, src.gen);
        let start = match &mut src.body {
            Body::Futex {
                word,
                expected,
                in_flight,
                ..
            } => {
                if *in_flight {
                    return Err(Error::AlreadySubmitted(source));
                }
                Start::FutexWait {
                    word: word.clone(),
                    expected: *expected,
                }
            }
            Body::Op {
                in_flight: true, ..
            } => return Err(Error::AlreadySubmitted(source)),
            // Multishot read and recv use the pool, not the spec's buffer:
            // the spec stays, so the source can be submitted again after
            // its final (e.g. after `-ENOBUFS`).
            Body::Op {
                fd,
                pending: Some(OpSpec::Read { offset, .. }),
                ..
            } if mode == Mode::Multishot => Start::ReadMulti {
                fd: fd.clone(),
                offset: *offset,
            },
            Body::Op {
                fd,
                pending: Some(OpSpec::Recv { .. }),
                ..
            } if mode == Mode::Multishot => Start::RecvMulti { fd: fd.clone() },
            Body::Op { fd, pending, .. } => match (pending.take(), mode) {
                (None, _) => return Err(Error::AlreadySubmitted(source)),
                (Some(OpSpec::Accept), m) => Start::Accept {
                    fd: fd.clone(),
                    multishot: m == Mode::Multishot,
                },
                (Some(s), Mode::Multishot) => {
                    *pending = Some(s);
                    return Err(Error::ModeMismatch {
                        kind: SourceKind::Operation,
                        mode,
                    });
                }
                (Some(OpSpec::Read { buf, offset }), _) => Start::Read {
                    fd: fd.clone(),
                    buf,
                    offset,
                },
                (Some(OpSpec::Write { buf, offset }), _) => Start::Write {
                    fd: fd.clone(),
                    buf,
                    offset,
                },
                (Some(OpSpec::Recv { buf }), _) => Start::Recv {
                    fd: fd.clone(),
                    buf,
                },
            },
            Body::Fd { .. } => return Err(Error::InvalidStep(source)),
        };
        let Some(ring) = self.ring.as_mut() else {
            return Err(ring_error.unwrap_or(Error::Os {
                syscall: "io_uring_setup",
                errno: libc::ENOSYS,
            }));
        };
        // On failure the Start (and its buffer) is dropped: the kernel never
        // saw it. A failed submission cannot be retried (AlreadySubmitted).
        ring.start(tok, start)?;
        match &mut self.src_mut(source)?.body {
            Body::Futex {
                in_flight, cancel, ..
            }
            | Body::Op {
                in_flight, cancel, ..
            } => {
                *in_flight = true;
                *cancel = false;
            }
            Body::Fd { .. } => {}
        }
        Ok(())
    }

    fn cancel_op(&mut self, source: SourceId) -> CancelAnswer {
        let Ok(src) = self.src_mut(source) else {
            return CancelAnswer::Requested;
        };
        let tok = token(source, src.gen);
        if let Body::Op { cancel, .. } | Body::Futex { cancel, .. } = &mut src.body {
            *cancel = true;
        }
        if let Some(ring) = self.ring.as_mut() {
            // If the request itself cannot be queued the operation still
            // ends with its own completion: exactly one final either way.
            let _ = ring.cancel(tok);
        }
        CancelAnswer::Requested
    }

    /// Drains the ring's CQ (non-blocking; the port's lock is held, so no
    /// other thread reaps at the same time). The ring fd's edge in the
    /// epoll set may still be reported later: its harvest finds nothing.
    fn harvest_posted(&mut self, out: &mut Vec<Signal>) {
        let mut cqes = std::mem::take(&mut self.cqes);
        let mut arena = Vec::new();
        if let Some(r) = self.ring.as_mut() {
            r.reap(&mut cqes);
            // Borrowed out while the sources take their bytes, then kept.
            arena = std::mem::take(&mut r.arena);
        }
        for c in cqes.drain(..) {
            self.finish(c, &arena, out);
        }
        self.cqes = cqes;
        if let Some(r) = self.ring.as_mut() {
            r.arena = arena;
        }
    }

    fn poll_mark(&self) -> u64 {
        self.resets.get()
    }

    fn harvest(&mut self, t: u64, marks: Marks, out: &mut Vec<Signal>) -> Option<SourceId> {
        match t {
            NOTIFY_TOKEN => {
                let _ = sys::read_u64(self.notify.as_fd());
                None
            }
            RING_TOKEN => {
                self.harvest_posted(out);
                None
            }
            t => {
                let (source, gen) = untoken(t);
                if let Ok(Src {
                    gen: g,
                    body:
                        Body::Fd {
                            fd: Some(fd),
                            interest,
                            ready,
                            reset_at,
                            ..
                        },
                }) = self.src_mut(source)
                {
                    if *g != gen {
                        return None;
                    }
                    // The condition was reset (a `consume`, a re-arm, a
                    // release's re-check) after this poll returned: the
                    // report was taken before the reset, and the thread
                    // carried it outside the lock since. Any arrival after
                    // the reset makes a report of its own (epoll queues the
                    // file again), so this one is dropped (F11: a pipe
                    // consumed while another thread carried its report was
                    // delivered again; a trigger's edge came twice).
                    if *reset_at > marks.after {
                        return None;
                    }
                    // Reset while the poll was in the kernel: the report
                    // may be from before the reset or carry a later arrival
                    // (epoll coalesces them); the condition decides. A
                    // failed re-check trusts the report (spurious, never
                    // lost).
                    if *reset_at > marks.before {
                        let mut p = [libc::pollfd {
                            fd: fd.as_raw_fd(),
                            events: sys::poll_events(*interest),
                            revents: 0,
                        }];
                        if sys::poll_now(&mut p).is_ok() && p[0].revents == 0 {
                            return None;
                        }
                    }
                    *ready = true;
                    return Some(source);
                }
                None
            }
        }
    }
}

impl Drop for LinuxBackend {
    fn drop(&mut self) {
        if std::process::id() != self.pid {
            // A forked child: the ring's operations are the parent's.
            if let Some(r) = self.ring.take() {
                std::mem::forget(r);
            }
        }
    }
}
