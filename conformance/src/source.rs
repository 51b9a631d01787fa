//! The real event sources behind a case's keys (pipes, sockets, eventfd,
//! timerfd, signalfd, inotify, pidfd) and the environment steps on them.
//! Shared by the epoll and io_uring engines.

use crate::case::Backing;
use crate::drivers::sys;
use std::io;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};
use std::time::Duration;

/// How long an environment step may wait for the kernel to see it.
const SETTLE: Duration = Duration::from_secs(2);

/// One source.
#[derive(Debug)]
pub struct Source {
    backing: Backing,
    /// The descriptor registered (or read, or accepted on); `None` once
    /// closed by a `close` step.
    reg: Option<OwnedFd>,
    /// Its number, which stays the registration's name after a close.
    reg_raw: RawFd,
    /// A dup of `reg` taken at `close`, through which reads continue.
    dup: Option<OwnedFd>,
    /// The other end (pipes, sockets) that the environment writes to.
    peer: Option<OwnedFd>,
    /// inotify: the watched directory and a file counter.
    dir: Option<std::path::PathBuf>,
    files: u32,
    /// pidfd: the child.
    child: Option<std::process::Child>,
    /// accept: the listening address and the clients connected so far.
    addr: Option<std::path::PathBuf>,
    clients: Vec<std::os::unix::net::UnixStream>,
}

fn unique_path(tag: &str) -> std::path::PathBuf {
    use std::sync::atomic::{AtomicU64, Ordering};
    static N: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "onering-conform-{}-{tag}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ))
}

impl Source {
    /// Creates the source.
    pub fn new(backing: Backing) -> io::Result<Source> {
        let mut s = Source {
            backing,
            reg: None,
            reg_raw: -1,
            dup: None,
            peer: None,
            dir: None,
            files: 0,
            child: None,
            addr: None,
            clients: Vec::new(),
        };
        let reg = match backing {
            Backing::Pipe | Backing::Read | Backing::ReadMulti => {
                let (r, w) = sys::pipe()?;
                s.peer = Some(w);
                Some(r)
            }
            Backing::Socket => {
                let (a, b) = sys::socketpair()?;
                s.peer = Some(b);
                Some(a)
            }
            Backing::Eventfd => Some(sys::eventfd()?),
            Backing::Timerfd => Some(sys::timerfd()?),
            Backing::Signalfd => {
                sys::block_signal()?;
                Some(sys::signalfd()?)
            }
            Backing::Inotify => {
                let dir = unique_path("inotify");
                std::fs::create_dir(&dir)?;
                let fd = sys::inotify(&dir)?;
                s.dir = Some(dir);
                Some(fd)
            }
            Backing::Pidfd => {
                let child = std::process::Command::new("sleep")
                    .arg("600")
                    .stdin(std::process::Stdio::null())
                    .spawn()?;
                let fd = sys::pidfd_open(child.id())?;
                s.child = Some(child);
                Some(fd)
            }
            Backing::AcceptMulti => {
                let addr = unique_path("accept");
                let l = std::os::unix::net::UnixListener::bind(&addr)?;
                l.set_nonblocking(true)?;
                s.addr = Some(addr);
                Some(OwnedFd::from(l))
            }
            Backing::Futex | Backing::Timeout => None,
        };
        if let Some(r) = &reg {
            s.reg_raw = r.as_raw_fd();
        }
        s.reg = reg;
        Ok(s)
    }

    /// The registered descriptor's number (still the name after a close).
    pub fn fd(&self) -> RawFd {
        self.reg_raw
    }

    /// The registered descriptor (`None` once a `close` step closed it).
    pub fn as_fd(&self) -> Option<std::os::fd::BorrowedFd<'_>> {
        use std::os::fd::AsFd;
        self.reg.as_ref().map(|f| f.as_fd())
    }

    /// The descriptor reads go through: the registered one, or its dup
    /// once that was closed.
    fn read_fd(&self) -> RawFd {
        self.reg
            .as_ref()
            .or(self.dup.as_ref())
            .map_or(-1, |f| f.as_raw_fd())
    }

    fn peer(&self) -> io::Result<RawFd> {
        self.peer
            .as_ref()
            .map(|f| f.as_raw_fd())
            .ok_or_else(|| io::Error::other("no writable end"))
    }

    /// Environment: a wake-up (new data, an expiry, a signal, a record, an
    /// exit).
    pub fn raise(&mut self) -> io::Result<()> {
        match self.backing {
            Backing::Pipe | Backing::Socket | Backing::Read | Backing::ReadMulti => {
                sys::write(self.peer()?, b"x").map(drop)
            }
            Backing::Eventfd => sys::write(self.read_fd(), &1u64.to_ne_bytes()).map(drop),
            Backing::Timerfd => {
                sys::timerfd_arm(self.read_fd(), Duration::from_nanos(1))?;
                self.settle()
            }
            Backing::Signalfd => {
                sys::signal_self()?;
                self.settle()
            }
            Backing::Inotify => {
                let dir = self
                    .dir
                    .as_ref()
                    .ok_or_else(|| io::Error::other("no dir"))?;
                self.files += 1;
                std::fs::write(dir.join(format!("f{}", self.files)), b"")?;
                self.settle()
            }
            Backing::Pidfd => {
                if let Some(c) = &mut self.child {
                    c.kill()?;
                }
                self.settle()
            }
            Backing::AcceptMulti => self.connect(),
            Backing::Futex | Backing::Timeout => Err(io::Error::other("not a readiness source")),
        }
    }

    /// Accept sources: connects one more client.
    pub fn connect(&mut self) -> io::Result<()> {
        let addr = self
            .addr
            .as_ref()
            .ok_or_else(|| io::Error::other("no address"))?;
        self.clients
            .push(std::os::unix::net::UnixStream::connect(addr)?);
        Ok(())
    }

    /// Waits until the wake-up reached the descriptor (timers, signals and
    /// exits arrive asynchronously).
    fn settle(&self) -> io::Result<()> {
        if sys::readable_within(self.read_fd(), SETTLE)? {
            Ok(())
        } else {
            Err(io::Error::other("the wake-up did not reach the descriptor"))
        }
    }

    /// A thread (or another reader) drains the condition.
    pub fn consume(&mut self) -> io::Result<()> {
        match self.backing {
            Backing::Pidfd => Err(io::Error::other("a process exit cannot be consumed")),
            Backing::Signalfd => {
                // A signalfd read of a thread-directed signal must come from
                // the thread it is pending on: the caller.
                sys::drain(self.read_fd()).map(drop)
            }
            _ => sys::drain(self.read_fd()).map(drop),
        }
    }

    /// Closes the registered descriptor, first keeping a dup of it open:
    /// the open file description lives on.
    pub fn close(&mut self) -> io::Result<()> {
        let reg = self
            .reg
            .take()
            .ok_or_else(|| io::Error::other("already closed"))?;
        self.dup = Some(sys::dup(reg.as_raw_fd())?);
        drop(reg);
        Ok(())
    }
}

impl Drop for Source {
    fn drop(&mut self) {
        // A signal left pending on this thread would make the next
        // signalfd readable at once.
        if self.backing == Backing::Signalfd {
            let _ = sys::drain(self.read_fd());
        }
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
        if let Some(a) = &self.addr {
            let _ = std::fs::remove_file(a);
        }
    }
}
