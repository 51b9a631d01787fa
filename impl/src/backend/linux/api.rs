//! `Port<LinuxBackend>`: adding real sources, and the helpers that drain
//! them. Every source is added under the port's lock; each helper is one
//! recorded port call where the model has one (`consume`, `close`).

use std::os::fd::{AsFd, BorrowedFd};
use std::path::Path;
use std::time::Duration;

use super::{sys, BufferPool, Drained, LinuxBackend, OpSpec, What};
use crate::error::Error;
use crate::event::{Key, Mode, SourceId};
use crate::history::{Op, Ret};
use crate::port::{Config, Port};
use crate::sync::os::{Arc, AtomicU32};

/// A port over the Linux backend.
pub type LinuxPort = Port<LinuxBackend>;

/// Which readiness of an fd a source reports. Register the same fd twice
/// (two sources) for separate readable and writable keys.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Interest {
    /// Readable (and peer hang-up).
    Readable,
    /// Writable.
    Writable,
    /// Either.
    Both,
}

impl Interest {
    fn bits(self) -> u32 {
        use super::EpollFlags as F;
        match self {
            Self::Readable => F::IN | F::RDHUP,
            Self::Writable => F::OUT,
            Self::Both => F::IN | F::RDHUP | F::OUT,
        }
    }
}

/// A shared 32-bit futex word: the port's futex sources wait on it, other
/// threads may [`futex_wait`] on it, [`futex_wake`] wakes both. Clones name
/// the same word; its memory lives while any clone, or any wait the kernel
/// still holds, does.
#[derive(Clone, Debug, Default)]
pub struct FutexWord(pub(crate) Arc<AtomicU32>);

impl FutexWord {
    /// A word holding `v`.
    pub fn new(v: u32) -> Self {
        Self(Arc::new(AtomicU32::new(v)))
    }

    /// The word's value.
    pub fn load(&self) -> u32 {
        self.0.load(std::sync::atomic::Ordering::SeqCst)
    }

    /// Stores `v` (then [`futex_wake`] to wake waiters).
    pub fn store(&self, v: u32) {
        self.0.store(v, std::sync::atomic::Ordering::SeqCst);
    }

    /// Adds `v`, returning the previous value.
    pub fn fetch_add(&self, v: u32) -> u32 {
        self.0.fetch_add(v, std::sync::atomic::Ordering::SeqCst)
    }
}

/// A handle that raises a trigger source from any thread without taking
/// the port's lock (one `write` to its eventfd). It keeps the eventfd open:
/// after the source is removed, firing is harmless and reaches nobody.
#[derive(Clone, Debug)]
pub struct Trigger(Arc<std::os::fd::OwnedFd>);

impl Trigger {
    /// Adds `n` to the trigger's count.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `write`.
    pub fn fire(&self, n: u64) -> Result<(), Error> {
        sys::eventfd_add(self.0.as_fd(), n)
    }
}

/// Wakes at most `n` threads or port registrations waiting on the shared
/// futex `word`; returns how many the kernel woke. The port's waits see the
/// wake as their final event, each posted at its own time (the kernel posts
/// each released io_uring wait's completion by its submitter's task work:
/// [`onering_model::Rules::deferred_futex_finals`], finding F15).
///
/// # Errors
///
/// [`Error::Os`] from `futex(FUTEX_WAKE)`.
pub fn futex_wake(word: &FutexWord, n: u32) -> Result<u32, Error> {
    sys::futex_wake(&word.0, n)
}

/// Blocks the calling thread while the shared futex `word` holds
/// `expected` (returns on a wake, a mismatch or a signal: re-check).
///
/// # Errors
///
/// [`Error::Os`] from `futex(FUTEX_WAIT)`.
pub fn futex_wait(word: &FutexWord, expected: u32) -> Result<(), Error> {
    sys::futex_wait(&word.0, expected)
}

impl Port<LinuxBackend> {
    /// A port over a new epoll set (and io_uring, if the kernel allows).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `epoll_create1` or `eventfd`.
    pub fn linux() -> Result<Self, Error> {
        Self::linux_with(Config::default())
    }

    /// [`Port::linux`] with a [`Config`] (e.g. recording its history).
    ///
    /// # Errors
    ///
    /// As [`Port::linux`].
    pub fn linux_with(config: Config) -> Result<Self, Error> {
        Ok(Self::with_config(LinuxBackend::new()?, config))
    }

    /// [`Port::linux_with`] with the provided-buffer pool that multishot
    /// reads and receives share ([`BufferPool`]; default 64 x 4 KiB).
    ///
    /// # Errors
    ///
    /// As [`Port::linux`].
    pub fn linux_with_pool(config: Config, pool: BufferPool) -> Result<Self, Error> {
        Ok(Self::with_config(LinuxBackend::with_pool(pool)?, config))
    }

    /// Why io_uring is unavailable to this port, if it is.
    pub fn io_uring_error(&self) -> Option<Error> {
        self.with_backend(|b| b.io_uring_error())
    }

    /// Operations the kernel may still write to.
    pub fn in_flight(&self) -> usize {
        self.with_backend(|b| b.in_flight())
    }

    fn add_with(
        &self,
        f: impl FnOnce(&mut LinuxBackend) -> Result<SourceId, Error>,
    ) -> Result<SourceId, Error> {
        self.with_backend(f)
    }

    /// Any pollable fd (socket, pipe, listener, tty, eventfd): a readiness
    /// source for `interest`. The port keeps its own duplicate of `fd`, so
    /// closing `fd` later does not affect the source (see the backend docs).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `fcntl(F_DUPFD_CLOEXEC)` (e.g. `EMFILE`).
    pub fn add_fd(&self, fd: BorrowedFd<'_>, interest: Interest) -> Result<SourceId, Error> {
        let dup = sys::dup_cloexec(fd)?;
        self.add_with(|b| Ok(b.add_fd(dup, What::Plain, interest.bits())))
    }

    /// A user trigger (an eventfd): [`trigger`](Self::trigger) raises it,
    /// [`read_count`](Self::read_count) drains it.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `eventfd`.
    pub fn add_trigger(&self) -> Result<SourceId, Error> {
        let fd = sys::eventfd()?;
        self.add_with(|b| Ok(b.add_fd(fd, What::Counter, Interest::Readable.bits())))
    }

    /// A lock-free handle for raising trigger `source` ([`Trigger::fire`]).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`], [`Error::InvalidStep`] for a non-fd source.
    pub fn trigger_handle(&self, source: SourceId) -> Result<Trigger, Error> {
        self.with_backend(|b| b.fd_of(source)).map(Trigger)
    }

    /// Adds `n` to trigger `source` (from any thread).
    ///
    /// # Errors
    ///
    /// [`Error::Closed`], [`Error::InvalidStep`], [`Error::Os`] from `write`.
    pub fn trigger(&self, source: SourceId, n: u64) -> Result<(), Error> {
        let fd = self.with_backend(|b| b.fd_of(source))?;
        sys::eventfd_add(fd.as_fd(), n)
    }

    /// A timer (timerfd, `CLOCK_MONOTONIC`) that fires after `first`, then
    /// every `period` if given. Expirations coalesce; drain them with
    /// [`read_count`](Self::read_count).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `timerfd_create` or `timerfd_settime`.
    pub fn add_timer(&self, first: Duration, period: Option<Duration>) -> Result<SourceId, Error> {
        let fd = sys::timerfd(first, period)?;
        self.add_with(|b| Ok(b.add_fd(fd, What::Counter, Interest::Readable.bits())))
    }

    /// Signal `signo` as a source (signalfd). Blocks it in the calling
    /// thread: call before spawning threads (backend docs, "Signals").
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `pthread_sigmask` or `signalfd`.
    pub fn add_signal(&self, signo: i32) -> Result<SourceId, Error> {
        let fd = sys::signalfd(signo)?;
        self.add_with(|b| Ok(b.add_fd(fd, What::Signal, Interest::Readable.bits())))
    }

    /// File-change notifications for `path` (inotify, `mask` of `IN_*`
    /// bits); drain them with [`read_changes`](Self::read_changes).
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `inotify_init1` or `inotify_add_watch`.
    pub fn add_inotify(&self, path: &Path, mask: u32) -> Result<SourceId, Error> {
        let fd = sys::inotify(path, mask)?;
        self.add_with(|b| Ok(b.add_fd(fd, What::Inotify, Interest::Readable.bits())))
    }

    /// The exit of process `pid` (pidfd): readable once it has exited.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `pidfd_open` (`ESRCH` for no such process).
    pub fn add_process(&self, pid: u32) -> Result<SourceId, Error> {
        let fd = sys::pidfd_open(pid as i32)?;
        self.add_with(|b| Ok(b.add_fd(fd, What::Pidfd, Interest::Readable.bits())))
    }

    /// A futex source on the shared word `word` (one wait in flight at a
    /// time per source; add several sources on one word for several waits).
    pub fn add_futex(&self, word: &FutexWord) -> SourceId {
        self.with_backend(|b| b.add_futex(word.0.clone()))
    }

    /// Submits a wait on futex source `source` while its word holds
    /// `expected` (io_uring `FUTEX_WAIT`). Its final event: `Some(0)` once
    /// woken ([`futex_wake`]), `Some(-EAGAIN)` if the word did not hold
    /// `expected`, or cancelled.
    ///
    /// # Errors
    ///
    /// As [`Port::submit`]; [`Error::Os`] if io_uring is unavailable.
    pub fn futex_wait(&self, source: SourceId, expected: u32) -> Result<Key, Error> {
        self.call(
            || Op::Submit {
                source,
                mode: Mode::Single,
            },
            |c| {
                c.backend.expect(source, expected)?;
                c.submit(source, Mode::Single)
            },
            |k| Ret::Key(*k),
        )
    }

    fn add_op(&self, fd: BorrowedFd<'_>, spec: OpSpec) -> Result<SourceId, Error> {
        let dup = sys::dup_cloexec(fd)?;
        self.add_with(|b| Ok(b.add_op(dup, spec)))
    }

    /// An operation: `read` of up to `buf.len()` bytes at `offset`
    /// (`u64::MAX`: the file position). The port owns `buf` from
    /// [`submit`](Port::submit) until the final event; take it back with
    /// [`take_buffer`](Self::take_buffer).
    ///
    /// `Multishot` (Linux 6.7+, pollable files: pipes, sockets, ttys)
    /// streams one item per chunk read, into buffers of the port's
    /// [`BufferPool`] instead of `buf`; see [`add_recv`](Self::add_recv)
    /// for what the items and the final carry.
    ///
    /// # Errors
    ///
    /// [`Error::Os`] from `fcntl(F_DUPFD_CLOEXEC)`.
    pub fn add_read(
        &self,
        fd: BorrowedFd<'_>,
        buf: Vec<u8>,
        offset: u64,
    ) -> Result<SourceId, Error> {
        self.add_op(fd, OpSpec::Read { buf, offset })
    }

    /// An operation: `write` of `buf` at `offset` (`u64::MAX`: the file
    /// position). `Single` only.
    ///
    /// # Errors
    ///
    /// As [`add_read`](Self::add_read).
    pub fn add_write(
        &self,
        fd: BorrowedFd<'_>,
        buf: Vec<u8>,
        offset: u64,
    ) -> Result<SourceId, Error> {
        self.add_op(fd, OpSpec::Write { buf, offset })
    }

    /// An operation: `recv` into `buf` (`Single`).
    ///
    /// `Multishot` (Linux 6.0+) receives into buffers of the port's
    /// [`BufferPool`] (provided-buffer ring), not into `buf`: each item's
    /// value is its byte count, and its bytes are taken, in order, with
    /// [`take_data`](Self::take_data). The stream ends with one final
    /// event: `Some(0)` at end of file, `Some(-errno)` on an error, or
    /// cancelled. `Some(-ENOBUFS)` means the kernel found the pool empty
    /// (it outran the port's harvest) and ended the stream; nothing was
    /// lost, the unread bytes stay in the socket. The port does not re-arm
    /// by itself (a submission has exactly one final event, as `unified`
    /// says): submit the same source again, which reuses the buffers the
    /// harvest already returned.
    ///
    /// # Errors
    ///
    /// As [`add_read`](Self::add_read).
    pub fn add_recv(&self, fd: BorrowedFd<'_>, buf: Vec<u8>) -> Result<SourceId, Error> {
        self.add_op(fd, OpSpec::Recv { buf })
    }

    /// An operation: `accept` on listener `fd`. `Single`: the final result
    /// is the new fd; `Multishot`: each item is a new fd (the caller owns
    /// it), until cancelled or an error ends it.
    ///
    /// # Errors
    ///
    /// As [`add_read`](Self::add_read).
    pub fn add_accept(&self, fd: BorrowedFd<'_>) -> Result<SourceId, Error> {
        self.add_op(fd, OpSpec::Accept)
    }

    /// The bytes of the oldest multishot read or recv item of operation
    /// `source` not yet taken (`None`: none left). Items are copied out of
    /// the pool when harvested, so taking them late never starves the
    /// kernel of buffers.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`]; [`Error::InvalidStep`] for a source that is
    /// not an operation.
    pub fn take_data(&self, source: SourceId) -> Result<Option<Vec<u8>>, Error> {
        let mut v = Vec::new();
        Ok(self.take_data_into(source, &mut v)?.map(|_| v))
    }

    /// [`take_data`](Self::take_data) appending to `out` (no allocation once
    /// `out` has room): the item's length, `None` if none is left.
    ///
    /// # Errors
    ///
    /// As [`take_data`](Self::take_data).
    pub fn take_data_into(
        &self,
        source: SourceId,
        out: &mut Vec<u8>,
    ) -> Result<Option<usize>, Error> {
        self.with_backend(|b| b.take_data_into(source, out))
    }

    /// The buffer of a finished operation (`None` if taken, or none).
    ///
    /// # Errors
    ///
    /// [`Error::InvalidStep`] while the operation is in flight or for a
    /// source that is not an operation.
    pub fn take_buffer(&self, source: SourceId) -> Result<Option<Vec<u8>>, Error> {
        self.with_backend(|b| b.take_buffer(source))
    }

    /// Drains a trigger or timer: its count (0 if it was zero). A recorded
    /// `consume`.
    ///
    /// # Errors
    ///
    /// As [`Port::consume`]; [`Error::Os`] from `read`.
    pub fn read_count(&self, source: SourceId) -> Result<u64, Error> {
        self.call(
            || Op::Consume { source },
            |c| c.consume_with(source, |b| b.consume_count(source)),
            |_| Ret::Unit,
        )
    }

    /// Drains a signal source: the signal numbers that were pending.
    ///
    /// # Errors
    ///
    /// As [`read_count`](Self::read_count).
    pub fn read_signals(&self, source: SourceId) -> Result<Vec<u32>, Error> {
        self.consume(source)?;
        Ok(match self.with_backend(|b| b.drained(source))? {
            Drained::Signals(v) => v,
            _ => Vec::new(),
        })
    }

    /// Drains an inotify source: `(mask, name)` per change.
    ///
    /// # Errors
    ///
    /// As [`read_count`](Self::read_count).
    pub fn read_changes(&self, source: SourceId) -> Result<Vec<(u32, String)>, Error> {
        self.consume(source)?;
        Ok(match self.with_backend(|b| b.drained(source))? {
            Drained::Changes(v) => v,
            _ => Vec::new(),
        })
    }

    /// Removes readiness source `source`: the port closes its duplicate fd.
    /// Its registrations become `Closed` (queued events purged, none
    /// follow); `cancel` gives each its terminal outcome. A recorded `close`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`] for an operation.
    pub fn remove(&self, source: SourceId) -> Result<(), Error> {
        self.call(
            || Op::Close { source },
            |c| {
                c.backend.close(source)?;
                c.signal(crate::backend::Signal::Close(source)).map(drop)
            },
            |_| Ret::Unit,
        )
    }
}
