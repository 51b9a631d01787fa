//! The adapter of the `mio` crate (tokio-rs) to the kit's [`Harness`]: all
//! of it. What mio promises, and why its histories are judged as `epoll`
//! in `edge` mode, is in `kit/tests/mio.rs`.

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use onering_kit::{Harness, Mode};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Mutex;
use std::time::Duration;

/// The waker's token, outside the driver's.
pub const WAKER: Token = Token(usize::MAX);

/// mio's `Poll` (behind a lock: `poll` takes `&mut self`), its `Registry`
/// and `Waker`, as a [`Harness`].
pub struct Mio {
    poll: Mutex<Poll>,
    registry: Registry,
    waker: Waker,
}

impl Mio {
    /// A fresh poller.
    pub fn new() -> io::Result<Mio> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, WAKER)?;
        Ok(Mio {
            poll: Mutex::new(poll),
            registry,
            waker,
        })
    }
}

impl Harness for Mio {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Edge] // mio is edge-triggered only
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, _: Mode) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.registry
            .register(&mut SourceFd(&raw), Token(token), Interest::READABLE)
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, _: Mode) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.registry
            .reregister(&mut SourceFd(&raw), Token(token), Interest::READABLE)
    }
    fn cancel(&self, fd: BorrowedFd<'_>, _token: usize) -> io::Result<()> {
        self.registry.deregister(&mut SourceFd(&fd.as_raw_fd()))
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        let mut events = Events::with_capacity(max);
        let mut poll = self.poll.lock().unwrap_or_else(|e| e.into_inner());
        poll.poll(&mut events, t)?;
        // The waker's event takes one of the batch's slots.
        let mut room = max;
        for e in events.iter() {
            match e.token() {
                WAKER => room -= 1,
                Token(t) => out.push(t),
            }
        }
        Ok(room)
    }
    fn wake(&self) -> io::Result<()> {
        self.waker.wake()
    }
}
