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
}

impl FdKind {
    /// Every kind.
    pub const ALL: [FdKind; 3] = [FdKind::Pipe, FdKind::Socket, FdKind::EventFd];

    /// The model's kind of source.
    pub fn source_kind(self) -> onering_model::SourceKind {
        match self {
            FdKind::Pipe | FdKind::Socket => onering_model::SourceKind::Level,
            FdKind::EventFd => onering_model::SourceKind::Counter,
        }
    }
}

/// One source: the registered descriptor and the one the environment writes.
#[derive(Debug)]
pub struct FdSource {
    kind: FdKind,
    watched: OwnedFd,
    /// The write side (the eventfd itself for `EventFd`).
    feed: Option<OwnedFd>,
}

fn errno(e: Errno) -> io::Error {
    io::Error::from_raw_os_error(e.raw_os_error())
}

impl FdSource {
    /// Creates a non-blocking source of `kind`.
    pub fn new(kind: FdKind) -> io::Result<FdSource> {
        let flags = PipeFlags::NONBLOCK | PipeFlags::CLOEXEC;
        let (watched, feed) = match kind {
            FdKind::Pipe => {
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
            feed,
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

    /// Makes it ready: one byte written (pipe, socket) or the count
    /// increased by one (eventfd). Every raise is a wake-up in Linux
    /// (pipe writes always wake readers; eventfd writes always do).
    pub fn raise(&self) -> io::Result<()> {
        let (fd, buf): (BorrowedFd<'_>, &[u8]) = match &self.feed {
            Some(w) => (w.as_fd(), &[1u8]),
            None => (self.watched.as_fd(), &1u64.to_ne_bytes()),
        };
        rustix::io::write(fd, buf).map(|_| ()).map_err(errno)
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
