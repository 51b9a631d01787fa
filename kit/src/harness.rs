//! The trait an event library implements so that the kit's scenario
//! generator can drive it ([`crate::drive`]). It speaks in file
//! descriptors and tokens: the driver creates the sources ([`crate::fd`]),
//! picks a fresh token for every registration (never reused within a run,
//! so every event names exactly one registration) and records every call;
//! the harness only forwards to the library.
//!
//! Calls come from several threads at once: `register`, `modify` and
//! `cancel` of one descriptor from its owning thread only, `wait` from any
//! thread (or only from thread 0 when [`Harness::concurrent_waits`] is
//! false), environment steps from any thread.

use crate::library::LibraryRules;
use onering_model::Mode;
use rustix::fd::BorrowedFd;
use std::io;
use std::time::Duration;

/// An event library under test.
pub trait Harness: Sync {
    /// Registration modes the library offers, as the model names them
    /// (`Mode::Oneshot` for `EPOLLONESHOT`, `Mode::Edge` for `EPOLLET`, ...).
    fn modes(&self) -> &'static [Mode];

    /// Whether several threads may wait at once with the library's
    /// promises intact. If not, only one thread waits.
    fn concurrent_waits(&self) -> bool {
        true
    }

    /// What the library documents doing on its own between its caller and
    /// the kernel ([`LibraryRules`]), for the campaign to check its
    /// histories against the profile with these rules. None by default.
    fn library_rules(&self) -> LibraryRules {
        LibraryRules::NONE
    }

    /// Registers `fd` for readability under `token` in `mode`.
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()>;

    /// Changes the registration of `fd` to `mode` (with its current mode:
    /// re-arms it, re-checking readiness).
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()>;

    /// Re-arms the registration of `fd` after a oneshot delivery. By
    /// default a `modify` with the current mode, which is what
    /// `EPOLL_CTL_MOD` is (recorded as `modify(key, mode)`: it re-checks
    /// readiness whether or not the registration was disarmed).
    fn rearm(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.modify(fd, token, mode)
    }

    /// Whether [`Harness::rearm`] is a re-arm of the library's own
    /// (recorded as `rearm(key)`, which changes nothing on an armed
    /// registration) rather than a `modify`.
    fn has_rearm(&self) -> bool {
        false
    }

    /// Removes the registration of `fd`. `Err(NotFound)` (`ENOENT`) means
    /// it was not registered.
    fn cancel(&self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()>;

    /// Waits for at most `max` events (`timeout`: `Some(ZERO)` polls,
    /// `None` blocks) and appends the tokens of the registrations they report. Returns how
    /// many of the batch's slots were open to registrations: the capacity,
    /// less the slots the library may have used for its own wake-ups (a
    /// waker, a timer), so that the checker knows whether the batch was full.
    fn wait(
        &self,
        max: usize,
        timeout: Option<Duration>,
        tokens: &mut Vec<usize>,
    ) -> io::Result<usize>;

    /// Wakes blocked waiters (the library's notify or waker). Used only to
    /// end a run, after its history was taken.
    fn wake(&self) -> io::Result<()>;
}
