//! The adapter of the `polling` crate (smol-rs) to the kit's [`Harness`]:
//! all of it. What polling promises, and why its histories are judged as
//! `epoll+polling`, is in `kit/tests/polling.rs`.

use onering_kit::{Harness, LibraryRules, Mode};
use polling::{Event, Events, PollMode, Poller};
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

/// polling's `Poller` as a [`Harness`].
pub struct Polling(pub Poller);

impl Polling {
    /// A fresh poller.
    pub fn new() -> io::Result<Polling> {
        Ok(Polling(Poller::new()?))
    }
}

fn poll_mode(m: Mode) -> PollMode {
    match m {
        Mode::Level => PollMode::Level,
        Mode::Edge => PollMode::Edge,
        _ => PollMode::Oneshot,
    }
}

impl Harness for Polling {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Oneshot, Mode::Level, Mode::Edge]
    }
    fn library_rules(&self) -> LibraryRules {
        // "If another thread is already in wait(), concurrent calls to this
        // method will return immediately with no new events."
        LibraryRules::POLLING
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        // SAFETY: the driver deletes every registration before its fd closes.
        unsafe {
            self.0
                .add_with_mode(fd.as_raw_fd(), Event::readable(token), poll_mode(mode))
        }
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0
            .modify_with_mode(fd, Event::readable(token), poll_mode(mode))
    }
    fn cancel(&self, fd: BorrowedFd<'_>, _token: usize) -> io::Result<()> {
        self.0.delete(fd)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        // polling's notifier and timerfd share the batch with the fds and
        // are filtered out of `iter()`: two extra slots keep `max` open.
        let mut events = Events::with_capacity(NonZeroUsize::new(max + 2).expect("max + 2 > 0"));
        self.0.wait(&mut events, t)?;
        out.extend(events.iter().map(|e| e.key));
        Ok(max)
    }
    fn wake(&self) -> io::Result<()> {
        self.0.notify()
    }
}
