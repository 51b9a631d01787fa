//! Real event sources on real file descriptors, and the environment steps
//! on them: a pipe, a Unix stream socket pair and an eventfd. Each has a
//! side a library registers (`watched`, non-blocking) and a way to make it
//! ready (`raise`: write one byte / add 1) and not ready (`drain`: read
//! until `EAGAIN`). All through `rustix`'s and `std`'s safe wrappers.

use rustix::event::{eventfd, EventfdFlags};
use rustix::fd::{AsFd, BorrowedFd, OwnedFd};
use rustix::io::Errno;
use rustix::pipe::{pipe_with, PipeFlags};
use std::io;
use std::os::unix::net::UnixStream;
use std::sync::Mutex;

/// Which kind of descriptor.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FdKind {
    /// `pipe2(O_NONBLOCK)`: readable while bytes are buffered (a `level` source).
    Pipe,
    /// `socketpair(AF_UNIX, SOCK_STREAM)`: readable while bytes are buffered (`level`).
    Socket,
    /// `eventfd(0, EFD_NONBLOCK)`: readable while the count is non-zero;
    /// increments coalesce, a read clears it (a `counter` source).
    EventFd,
    /// A pipe's read end whose write end is closed by `raise`: readable
    /// (end of file, `EPOLLHUP`) for good after that (a `sticky` source).
    HangUp,
}

impl FdKind {
    /// Every kind.
    pub const ALL: [FdKind; 4] = [
        FdKind::Pipe,
        FdKind::Socket,
        FdKind::EventFd,
        FdKind::HangUp,
    ];

    /// The model's kind of source.
    pub fn source_kind(self) -> onering_model::SourceKind {
        match self {
            FdKind::Pipe | FdKind::Socket => onering_model::SourceKind::Level,
            FdKind::EventFd => onering_model::SourceKind::Counter,
            FdKind::HangUp => onering_model::SourceKind::Sticky,
        }
    }
}

/// One source: the registered descriptor and the one the environment writes.
#[derive(Debug)]
pub struct FdSource {
    kind: FdKind,
    watched: OwnedFd,
    /// The write side (none for `EventFd`, which is written itself; taken
    /// and closed by the one `raise` of `HangUp`).
    feed: Mutex<Option<OwnedFd>>,
}

fn errno(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

impl FdSource {
    /// Creates a non-blocking source of `kind`.
    pub fn new(kind: FdKind) -> io::Result<FdSource> {
        let flags = PipeFlags::NONBLOCK | PipeFlags::CLOEXEC;
        let (watched, feed) = match kind {
            FdKind::Pipe | FdKind::HangUp => {
                let (r, w) = pipe_with(flags).map_err(errno)?;
                (r, Some(w))
            }
            FdKind::Socket => {
                let (a, b) = UnixStream::pair()?;
                a.set_nonblocking(true)?;
                b.set_nonblocking(true)?;
                (OwnedFd::from(a), Some(OwnedFd::from(b)))
            }
            FdKind::EventFd => (
                eventfd(0, EventfdFlags::NONBLOCK | EventfdFlags::CLOEXEC).map_err(errno)?,
                None,
            ),
        };
        Ok(FdSource {
            kind,
            watched,
            feed: Mutex::new(feed),
        })
    }

    /// Its kind.
    pub fn kind(&self) -> FdKind {
        self.kind
    }

    /// The descriptor a library registers.
    pub fn fd(&self) -> BorrowedFd<'_> {
        self.watched.as_fd()
    }

    /// Makes it ready: one byte written (pipe, socket), the count
    /// increased by one (eventfd), the write end closed (hang-up; a second
    /// raise fails with `EPIPE`). Every raise is a wake-up in Linux (pipe
    /// writes always wake readers; eventfd writes always do).
    pub fn raise(&self) -> io::Result<()> {
        let mut feed = self.feed.lock().unwrap_or_else(|e| e.into_inner());
        match (self.kind, feed.as_ref()) {
            (FdKind::EventFd, _) => rustix::io::write(self.watched.as_fd(), &1u64.to_ne_bytes())
                .map(|_| ())
                .map_err(errno),
            (FdKind::HangUp, Some(_)) => {
                drop(feed.take());
                Ok(())
            }
            (_, Some(w)) => rustix::io::write(w.as_fd(), &[1u8])
                .map(|_| ())
                .map_err(errno),
            (_, None) => Err(errno(Errno::PIPE)),
        }
    }

    /// Makes it not ready: reads until `EAGAIN`. Returns the bytes (pipe,
    /// socket) or the count (eventfd) taken.
    pub fn drain(&self) -> io::Result<u64> {
        let mut taken = 0;
        let mut buf = [0u8; 256];
        loop {
            match rustix::io::read(self.watched.as_fd(), &mut buf) {
                Ok(0) => return Ok(taken),
                Ok(n) if self.kind == FdKind::EventFd => {
                    let mut word = [0u8; 8];
                    word.copy_from_slice(&buf[..8.min(n)]);
                    taken += u64::from_ne_bytes(word);
                }
                Ok(n) => taken += n as u64,
                Err(Errno::AGAIN) => return Ok(taken),
                Err(Errno::INTR) => continue,
                Err(e) => return Err(errno(e)),
            }
        }
    }
}
