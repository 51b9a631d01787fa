//! Thin typed wrappers over the libc calls the drivers need: owned
//! descriptors, pipes, socket pairs, eventfd, timerfd, signalfd, inotify,
//! pidfd, epoll and futex wake. Each wrapper returns `io::Result` and does
//! nothing but the call; semantics are the kernel's.

use std::io;
use std::os::fd::{AsRawFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

fn check(r: libc::c_int) -> io::Result<libc::c_int> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r)
    }
}

fn check_size(r: libc::ssize_t) -> io::Result<usize> {
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as usize)
    }
}

fn own(fd: libc::c_int) -> io::Result<OwnedFd> {
    let fd = check(fd)?;
    // SAFETY: `fd` was just returned by a successful syscall that creates a
    // new descriptor; nobody else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

/// `pipe2(O_NONBLOCK | O_CLOEXEC)`: (read end, write end).
pub fn pipe() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for the kernel to fill.
    check(unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) })?;
    // SAFETY: pipe2 succeeded, so both are new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC)`.
pub fn socketpair() -> io::Result<(OwnedFd, OwnedFd)> {
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: `fds` is a valid array of two ints for the kernel to fill.
    check(unsafe {
        libc::socketpair(
            libc::AF_UNIX,
            libc::SOCK_STREAM | libc::SOCK_NONBLOCK | libc::SOCK_CLOEXEC,
            0,
            fds.as_mut_ptr(),
        )
    })?;
    // SAFETY: socketpair succeeded, so both are new descriptors we own.
    Ok(unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) })
}

/// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
pub fn eventfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; creates a new descriptor.
    own(unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) })
}

/// `dup(fd)` with close-on-exec.
pub fn dup(fd: RawFd) -> io::Result<OwnedFd> {
    // SAFETY: no pointers; a bad `fd` is answered with EBADF.
    own(unsafe { libc::fcntl(fd, libc::F_DUPFD_CLOEXEC, 0) })
}

/// `close(fd)` of a descriptor the caller was handed and owns (a
/// connection accepted for it); errors are ignored, as `OwnedFd`'s drop does.
pub fn close_owned(fd: RawFd) {
    // SAFETY: no pointers; the caller owns `fd` (nothing else closes or
    // uses it), so closing it cannot pull a descriptor from under anyone.
    unsafe { libc::close(fd) };
}

/// `write(fd, bytes)`.
pub fn write(fd: RawFd, bytes: &[u8]) -> io::Result<usize> {
    // SAFETY: `bytes` is valid for reads of its length.
    check_size(unsafe { libc::write(fd, bytes.as_ptr().cast(), bytes.len()) })
}

/// `read(fd, buf)`.
pub fn read(fd: RawFd, buf: &mut [u8]) -> io::Result<usize> {
    // SAFETY: `buf` is valid for writes of its length.
    check_size(unsafe { libc::read(fd, buf.as_mut_ptr().cast(), buf.len()) })
}

/// Reads until `EAGAIN` (or end of file); returns the bytes read.
pub fn drain(fd: RawFd) -> io::Result<usize> {
    let mut buf = [0u8; 4096];
    let mut total = 0;
    loop {
        match read(fd, &mut buf) {
            Ok(0) => return Ok(total),
            Ok(n) => total += n,
            Err(e) if e.kind() == io::ErrorKind::WouldBlock => return Ok(total),
            Err(e) => return Err(e),
        }
    }
}

/// `poll(2)` on one descriptor for `POLLIN`, up to `timeout`: whether it
/// became readable. The drivers use it to wait until an environment step
/// (a timer expiry, a child's exit) has reached the kernel.
pub fn readable_within(fd: RawFd, timeout: Duration) -> io::Result<bool> {
    let mut p = libc::pollfd {
        fd,
        events: libc::POLLIN,
        revents: 0,
    };
    let ms = timeout.as_millis().min(i32::MAX as u128) as libc::c_int;
    // SAFETY: `p` is one valid pollfd.
    let n = check(unsafe { libc::poll(&mut p, 1, ms) })?;
    Ok(n == 1)
}

/// `timerfd_create(CLOCK_MONOTONIC, TFD_NONBLOCK | TFD_CLOEXEC)`.
pub fn timerfd() -> io::Result<OwnedFd> {
    // SAFETY: no pointers; creates a new descriptor.
    own(unsafe {
        libc::timerfd_create(
            libc::CLOCK_MONOTONIC,
            libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
        )
    })
}

/// Arms a timerfd to expire once, `after` from now.
pub fn timerfd_arm(fd: RawFd, after: Duration) -> io::Result<()> {
    let spec = libc::itimerspec {
        it_interval: libc::timespec {
            tv_sec: 0,
            tv_nsec: 0,
        },
        it_value: libc::timespec {
            tv_sec: after.as_secs() as libc::time_t,
            tv_nsec: after.subsec_nanos().max(1) as libc::c_long,
        },
    };
    // SAFETY: `spec` is a valid itimerspec; the old value is not requested.
    check(unsafe { libc::timerfd_settime(fd, 0, &spec, std::ptr::null_mut()) }).map(drop)
}

/// The signal the signalfd sources use.
pub const SIGNAL: libc::c_int = libc::SIGUSR2;

/// Blocks [`SIGNAL`] in the calling thread (it then stays pending for the
/// signalfd instead of running its default action, which terminates).
pub fn block_signal() -> io::Result<()> {
    // SAFETY: `set` is a valid sigset_t initialised by sigemptyset before use.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, SIGNAL);
        let r = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if r != 0 {
            return Err(io::Error::from_raw_os_error(r));
        }
    }
    Ok(())
}

/// `signalfd(-1, {SIGNAL}, SFD_NONBLOCK | SFD_CLOEXEC)`.
pub fn signalfd() -> io::Result<OwnedFd> {
    // SAFETY: `set` is a valid sigset_t initialised by sigemptyset.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        libc::sigaddset(&mut set, SIGNAL);
        own(libc::signalfd(
            -1,
            &set,
            libc::SFD_NONBLOCK | libc::SFD_CLOEXEC,
        ))
    }
}

/// Sends [`SIGNAL`] to the calling thread only (`tgkill`), so that it stays
/// pending on this thread, where this thread's signalfd reads it.
pub fn signal_self() -> io::Result<()> {
    // SAFETY: plain syscalls without pointers.
    let r = unsafe { libc::syscall(libc::SYS_tgkill, libc::getpid(), libc::gettid(), SIGNAL) };
    check(r as libc::c_int).map(drop)
}

/// `inotify_init1(IN_NONBLOCK | IN_CLOEXEC)` watching `dir` for `IN_CREATE`.
pub fn inotify(dir: &std::path::Path) -> io::Result<OwnedFd> {
    use std::os::unix::ffi::OsStrExt;
    // SAFETY: no pointers; creates a new descriptor.
    let fd = own(unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) })?;
    let mut path = dir.as_os_str().as_bytes().to_vec();
    path.push(0);
    // SAFETY: `path` is NUL-terminated and lives across the call.
    check(unsafe {
        libc::inotify_add_watch(fd.as_raw_fd(), path.as_ptr().cast(), libc::IN_CREATE)
    })?;
    Ok(fd)
}

/// `pidfd_open(pid, 0)`.
pub fn pidfd_open(pid: u32) -> io::Result<OwnedFd> {
    // SAFETY: plain syscall without pointers.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid as libc::pid_t, 0) };
    own(r as libc::c_int)
}

/// `futex(FUTEX_WAKE)` on a shared (not private) word: how many waiters
/// were woken. Shared futexes sidestep the per-process private futex hash
/// of kernels 6.16+ (see FINDINGS.md).
pub fn futex_wake(word: &std::sync::atomic::AtomicU32, n: u32) -> io::Result<u32> {
    futex_wake_op(word, n, libc::FUTEX_WAKE)
}

/// `futex(FUTEX_WAKE_PRIVATE)`: the process-private hash.
pub fn futex_wake_private(word: &std::sync::atomic::AtomicU32, n: u32) -> io::Result<u32> {
    futex_wake_op(word, n, libc::FUTEX_WAKE | libc::FUTEX_PRIVATE_FLAG)
}

fn futex_wake_op(word: &std::sync::atomic::AtomicU32, n: u32, op: libc::c_int) -> io::Result<u32> {
    // SAFETY: `word` is a valid, aligned u32 that outlives the call.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            op,
            n.min(i32::MAX as u32) as libc::c_int,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        )
    };
    if r < 0 {
        Err(io::Error::last_os_error())
    } else {
        Ok(r as u32)
    }
}

/// An epoll instance.
#[derive(Debug)]
pub struct Epoll {
    fd: OwnedFd,
}

/// One event `epoll_wait` returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EpollEvent {
    /// `EPOLLIN`, `EPOLLHUP`, ...
    pub events: u32,
    /// The registration's data word.
    pub data: u64,
}

/// `EPOLL_CTL_*`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ctl {
    /// `EPOLL_CTL_ADD`
    Add,
    /// `EPOLL_CTL_MOD`
    Mod,
    /// `EPOLL_CTL_DEL`
    Del,
}

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    pub fn new() -> io::Result<Epoll> {
        // SAFETY: no pointers; creates a new descriptor.
        Ok(Epoll {
            fd: own(unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) })?,
        })
    }

    /// `epoll_ctl(op, fd, {events, data})`.
    pub fn ctl(&self, op: Ctl, fd: RawFd, events: u32, data: u64) -> io::Result<()> {
        let mut ev = libc::epoll_event { events, u64: data };
        let op = match op {
            Ctl::Add => libc::EPOLL_CTL_ADD,
            Ctl::Mod => libc::EPOLL_CTL_MOD,
            Ctl::Del => libc::EPOLL_CTL_DEL,
        };
        // SAFETY: `ev` is a valid epoll_event for the duration of the call.
        check(unsafe { libc::epoll_ctl(self.fd.as_raw_fd(), op, fd, &mut ev) }).map(drop)
    }

    /// `epoll_wait(max, timeout_ms)` (`-1` blocks); `EINTR` is returned as
    /// an error, not retried (an interrupted wait is its own outcome).
    pub fn wait(&self, max: usize, timeout_ms: i32) -> io::Result<Vec<EpollEvent>> {
        let mut buf = vec![libc::epoll_event { events: 0, u64: 0 }; max.max(1)];
        // SAFETY: `buf` has room for `max` events.
        let n = check(unsafe {
            libc::epoll_wait(
                self.fd.as_raw_fd(),
                buf.as_mut_ptr(),
                buf.len() as libc::c_int,
                timeout_ms,
            )
        })?;
        Ok(buf[..n as usize]
            .iter()
            .map(|e| EpollEvent {
                events: e.events,
                data: e.u64,
            })
            .collect())
    }
}
