//! Thin typed wrappers over the Linux system calls the backend uses. Each
//! wrapper does one call, owns what the call returns (`OwnedFd`), and turns
//! `-1`/`errno` into an [`Error::Os`] naming the call. No policy lives here.
//!
//! This module (with `uring.rs`) is where the crate's `unsafe` is: every
//! block states why it is sound.

use std::ffi::CString;
use std::os::fd::{AsRawFd, BorrowedFd, FromRawFd, OwnedFd, RawFd};
use std::time::Duration;

use crate::error::Error;

/// `r == -1` is an error named `syscall` (errno read at once).
fn check(r: libc::c_int, syscall: &'static str) -> Result<libc::c_int, Error> {
    if r == -1 {
        Err(Error::last_os(syscall))
    } else {
        Ok(r)
    }
}

/// Takes ownership of an fd a successful call returned.
fn owned(r: libc::c_int, syscall: &'static str) -> Result<OwnedFd, Error> {
    let fd = check(r, syscall)?;
    // SAFETY: `fd` was just returned by a successful call that creates a new
    // descriptor; nothing else owns it.
    Ok(unsafe { OwnedFd::from_raw_fd(fd) })
}

fn errno() -> i32 {
    std::io::Error::last_os_error().raw_os_error().unwrap_or(0)
}

// ----- fds ---------------------------------------------------------------

/// `fcntl(F_DUPFD_CLOEXEC)`: the backend's own reference to the caller's
/// file, so that the caller closing (and reusing) its fd number never
/// touches the registration.
pub(crate) fn dup_cloexec(fd: BorrowedFd<'_>) -> Result<OwnedFd, Error> {
    // SAFETY: fcntl on a borrowed (open, for the borrow's lifetime) fd with
    // an integer argument; no memory is passed.
    owned(
        unsafe { libc::fcntl(fd.as_raw_fd(), libc::F_DUPFD_CLOEXEC, 0) },
        "fcntl(F_DUPFD_CLOEXEC)",
    )
}

/// `read(2)` into `buf`; `Ok(None)` on `EAGAIN`.
pub(crate) fn read(fd: BorrowedFd<'_>, buf: &mut [u8]) -> Result<Option<usize>, Error> {
    // SAFETY: `buf` is a live, exclusively borrowed buffer of `buf.len()`
    // bytes for the duration of the call.
    let r = unsafe { libc::read(fd.as_raw_fd(), buf.as_mut_ptr().cast(), buf.len()) };
    if r < 0 {
        let e = errno();
        if e == libc::EAGAIN {
            return Ok(None);
        }
        return Err(Error::Os {
            syscall: "read",
            errno: e,
        });
    }
    Ok(Some(r as usize))
}

/// `write(2)` of `buf`; `Ok(None)` on `EAGAIN`.
pub(crate) fn write(fd: BorrowedFd<'_>, buf: &[u8]) -> Result<Option<usize>, Error> {
    // SAFETY: `buf` is a live buffer of `buf.len()` bytes for the call.
    let r = unsafe { libc::write(fd.as_raw_fd(), buf.as_ptr().cast(), buf.len()) };
    if r < 0 {
        let e = errno();
        if e == libc::EAGAIN {
            return Ok(None);
        }
        return Err(Error::Os {
            syscall: "write",
            errno: e,
        });
    }
    Ok(Some(r as usize))
}

/// Reads one 8-byte counter (eventfd, timerfd); `Ok(0)` if it was zero.
pub(crate) fn read_u64(fd: BorrowedFd<'_>) -> Result<u64, Error> {
    let mut b = [0u8; 8];
    Ok(match read(fd, &mut b)? {
        Some(8) => u64::from_ne_bytes(b),
        _ => 0,
    })
}

/// Whether `fd` is readable now (`poll(2)` with a zero timeout): the
/// re-check of a source the backend drains itself, at its registration.
pub(crate) fn readable_now(fd: BorrowedFd<'_>) -> Result<bool, Error> {
    let mut p = libc::pollfd {
        fd: fd.as_raw_fd(),
        events: libc::POLLIN,
        revents: 0,
    };
    loop {
        // SAFETY: `p` is one valid pollfd for the duration of the call, and
        // `fd` is borrowed, so open, throughout.
        let r = unsafe { libc::poll(&mut p, 1, 0) };
        if r >= 0 {
            return Ok(r > 0 && p.revents & libc::POLLIN != 0);
        }
        let errno = std::io::Error::last_os_error().raw_os_error().unwrap_or(0);
        if errno != libc::EINTR {
            return Err(Error::Os {
                syscall: "poll",
                errno,
            });
        }
    }
}

/// The `poll(2)` events matching epoll interest bits (the same values).
pub(crate) fn poll_events(interest: u32) -> i16 {
    (interest & (EpollFlags::IN | EpollFlags::OUT | EpollFlags::RDHUP)) as i16
}

/// `poll(2)` with a zero timeout: fills each entry's `revents`.
pub(crate) fn poll_now(fds: &mut [libc::pollfd]) -> Result<(), Error> {
    loop {
        // SAFETY: `fds` is a valid array of `fds.len()` pollfds for the
        // duration of the call; the caller keeps every fd open throughout.
        let r = unsafe { libc::poll(fds.as_mut_ptr(), fds.len() as libc::nfds_t, 0) };
        if r >= 0 {
            return Ok(());
        }
        let errno = errno();
        if errno != libc::EINTR {
            return Err(Error::Os {
                syscall: "poll",
                errno,
            });
        }
    }
}

/// A timeout in whole milliseconds for `poll(2)` and `epoll_wait`, rounded
/// up so that a short deadline is not a busy loop; `None` is `-1`. (u64
/// arithmetic: a u128 division costs more than the rest of a non-blocking
/// wait's user-space work.)
#[inline]
fn timeout_ms(timeout: Option<Duration>) -> libc::c_int {
    match timeout {
        None => -1,
        Some(d) => {
            let ms = d
                .as_secs()
                .saturating_mul(1000)
                .saturating_add(u64::from(d.subsec_nanos().div_ceil(1_000_000)));
            ms.min(i32::MAX as u64) as libc::c_int
        }
    }
}

// ----- epoll -------------------------------------------------------------

/// An epoll instance.
#[derive(Debug)]
pub(crate) struct Epoll(OwnedFd);

/// What an epoll registration reports and how it re-arms.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct EpollFlags(pub(crate) u32);

impl EpollFlags {
    pub(crate) const IN: u32 = libc::EPOLLIN as u32;
    pub(crate) const OUT: u32 = libc::EPOLLOUT as u32;
    pub(crate) const RDHUP: u32 = libc::EPOLLRDHUP as u32;
    pub(crate) const ET: u32 = libc::EPOLLET as u32;
}

impl AsRawFd for Epoll {
    fn as_raw_fd(&self) -> RawFd {
        self.0.as_raw_fd()
    }
}

impl Epoll {
    /// `epoll_create1(EPOLL_CLOEXEC)`.
    pub(crate) fn new() -> Result<Self, Error> {
        // SAFETY: no pointers; returns a new fd or -1.
        owned(
            unsafe { libc::epoll_create1(libc::EPOLL_CLOEXEC) },
            "epoll_create1",
        )
        .map(Self)
    }

    fn ctl(
        &self,
        op: libc::c_int,
        fd: RawFd,
        flags: EpollFlags,
        token: u64,
        name: &'static str,
    ) -> Result<(), Error> {
        let mut ev = libc::epoll_event {
            events: flags.0,
            u64: token,
        };
        // SAFETY: `ev` is a valid epoll_event on our stack for the call; the
        // kernel copies it.
        check(
            unsafe { libc::epoll_ctl(self.0.as_raw_fd(), op, fd, &mut ev) },
            name,
        )
        .map(drop)
    }

    /// `EPOLL_CTL_ADD`.
    pub(crate) fn add(&self, fd: RawFd, flags: EpollFlags, token: u64) -> Result<(), Error> {
        self.ctl(
            libc::EPOLL_CTL_ADD,
            fd,
            flags,
            token,
            "epoll_ctl(EPOLL_CTL_ADD)",
        )
    }

    /// `EPOLL_CTL_MOD`: re-arms (and re-polls) the registration.
    pub(crate) fn modify(&self, fd: RawFd, flags: EpollFlags, token: u64) -> Result<(), Error> {
        self.ctl(
            libc::EPOLL_CTL_MOD,
            fd,
            flags,
            token,
            "epoll_ctl(EPOLL_CTL_MOD)",
        )
    }

    /// `EPOLL_CTL_DEL`.
    pub(crate) fn delete(&self, fd: RawFd) -> Result<(), Error> {
        self.ctl(
            libc::EPOLL_CTL_DEL,
            fd,
            EpollFlags(0),
            0,
            "epoll_ctl(EPOLL_CTL_DEL)",
        )
    }

    /// `epoll_wait`: appends at most `max` tokens (at most 64); `EINTR`
    /// returns nothing (the kernel keeps the events queued for the next
    /// call).
    #[inline]
    pub(crate) fn wait(
        &self,
        out: &mut Vec<u64>,
        max: usize,
        timeout: Option<Duration>,
    ) -> Result<(), Error> {
        const CAP: usize = 64;
        let mut evs = [std::mem::MaybeUninit::<libc::epoll_event>::uninit(); CAP];
        let n = self.wait_into(&mut evs[..max.clamp(1, CAP)], timeout)?;
        out.extend(evs[..n].iter().map(|e| {
            // SAFETY: epoll_wait initialised the first `n` entries.
            let e = unsafe { e.assume_init() };
            e.u64
        }));
        Ok(())
    }

    /// `epoll_wait` for one report, which is dropped: for a set whose
    /// members only say *that* something arrived (the outer set of the
    /// Linux poller). `EINTR` returns (a spurious wake-up).
    pub(crate) fn sleep(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let mut ev = [std::mem::MaybeUninit::<libc::epoll_event>::uninit(); 1];
        self.wait_into(&mut ev, timeout).map(drop)
    }

    /// Blocks in `poll(2)` on the set itself until it has a report (without
    /// taking it), the timeout (`None`: none) passes, or a signal
    /// interrupts it (`EINTR` returns: a spurious wake-up).
    pub(crate) fn poll_ready(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let mut p = libc::pollfd {
            fd: self.0.as_raw_fd(),
            events: libc::POLLIN,
            revents: 0,
        };
        // SAFETY: one valid pollfd for the duration of the call; the set's
        // fd is open while `self` lives.
        let r = unsafe { libc::poll(&mut p, 1, timeout_ms(timeout)) };
        if r >= 0 {
            return Ok(());
        }
        match errno() {
            libc::EINTR => Ok(()),
            e => Err(Error::Os {
                syscall: "poll",
                errno: e,
            }),
        }
    }

    /// `epoll_wait` into `evs` (not empty); the number of entries it
    /// initialised. `EINTR` gives 0, except for a zero timeout, which is
    /// asked again.
    #[inline]
    fn wait_into(
        &self,
        evs: &mut [std::mem::MaybeUninit<libc::epoll_event>],
        timeout: Option<Duration>,
    ) -> Result<usize, Error> {
        let ms = timeout_ms(timeout);
        let n = i32::try_from(evs.len()).unwrap_or(i32::MAX);
        loop {
            // SAFETY: `evs` has room for `n` entries and lives across the
            // call; the kernel writes at most `n`.
            let r = unsafe { libc::epoll_wait(self.0.as_raw_fd(), evs.as_mut_ptr().cast(), n, ms) };
            if r >= 0 {
                return Ok(r as usize);
            }
            match errno() {
                // A zero-timeout ask is asked again: the port takes its
                // answer as complete when it returns fewer than `max`
                // (contract rule 5), so an interrupted one must not look
                // like an empty ready list. (It never sleeps, so this
                // cannot delay a signal's handling.)
                libc::EINTR if ms == 0 => continue,
                libc::EINTR => return Ok(0),
                e => {
                    return Err(Error::Os {
                        syscall: "epoll_wait",
                        errno: e,
                    })
                }
            }
        }
    }
}

// ----- eventfd, timerfd, signalfd, inotify, pidfd -------------------------

/// `eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC)`.
pub(crate) fn eventfd() -> Result<OwnedFd, Error> {
    // SAFETY: no pointers.
    owned(
        unsafe { libc::eventfd(0, libc::EFD_NONBLOCK | libc::EFD_CLOEXEC) },
        "eventfd",
    )
}

/// Adds `n` to an eventfd (`EAGAIN` at the counter's ceiling is ignored: the
/// counter is already non-zero, so the waiter will see it).
pub(crate) fn eventfd_add(fd: BorrowedFd<'_>, n: u64) -> Result<(), Error> {
    write(fd, &n.to_ne_bytes()).map(drop)
}

/// `timerfd_create(CLOCK_MONOTONIC)` armed to fire after `first`, then every
/// `period` (if any).
pub(crate) fn timerfd(first: Duration, period: Option<Duration>) -> Result<OwnedFd, Error> {
    // SAFETY: no pointers.
    let fd = owned(
        unsafe {
            libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            )
        },
        "timerfd_create",
    )?;
    let ts = |d: Duration| libc::timespec {
        tv_sec: d.as_secs() as libc::time_t,
        tv_nsec: d.subsec_nanos() as libc::c_long,
    };
    // A zero `it_value` would disarm the timer: fire after 1 ns instead.
    let first = first.max(Duration::from_nanos(1));
    let spec = libc::itimerspec {
        it_interval: ts(period.unwrap_or_default()),
        it_value: ts(first),
    };
    // SAFETY: `spec` is a valid itimerspec for the call; the old value is not
    // requested (null).
    check(
        unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) },
        "timerfd_settime",
    )?;
    Ok(fd)
}

/// Blocks `signo` in the calling thread and opens a signalfd for it.
pub(crate) fn signalfd(signo: i32) -> Result<OwnedFd, Error> {
    // SAFETY: `set` is a zeroed sigset_t initialised by sigemptyset before
    // use; the calls only read and write it.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        if libc::sigaddset(&mut set, signo) == -1 {
            return Err(Error::last_os("sigaddset"));
        }
        let r = libc::pthread_sigmask(libc::SIG_BLOCK, &set, std::ptr::null_mut());
        if r != 0 {
            return Err(Error::Os {
                syscall: "pthread_sigmask",
                errno: r,
            });
        }
        owned(
            libc::signalfd(-1, &set, libc::SFD_NONBLOCK | libc::SFD_CLOEXEC),
            "signalfd",
        )
    }
}

/// Reads one `signalfd_siginfo`: the signal number, if one was pending.
pub(crate) fn read_signal(fd: BorrowedFd<'_>) -> Result<Option<u32>, Error> {
    let mut b = [0u8; std::mem::size_of::<libc::signalfd_siginfo>()];
    Ok(match read(fd, &mut b)? {
        // ssi_signo is the first u32 of the struct.
        Some(n) if n == b.len() => Some(u32::from_ne_bytes([b[0], b[1], b[2], b[3]])),
        _ => None,
    })
}

/// `inotify_init1` with one watch on `path` for `mask`.
pub(crate) fn inotify(path: &std::path::Path, mask: u32) -> Result<OwnedFd, Error> {
    use std::os::unix::ffi::OsStrExt;
    let c = CString::new(path.as_os_str().as_bytes()).map_err(|_| Error::Os {
        syscall: "inotify_add_watch",
        errno: libc::EINVAL,
    })?;
    // SAFETY: no pointers.
    let fd = owned(
        unsafe { libc::inotify_init1(libc::IN_NONBLOCK | libc::IN_CLOEXEC) },
        "inotify_init1",
    )?;
    // SAFETY: `c` is a NUL-terminated path alive for the call.
    check(
        unsafe { libc::inotify_add_watch(fd.as_raw_fd(), c.as_ptr(), mask) },
        "inotify_add_watch",
    )?;
    Ok(fd)
}

/// Drains an inotify fd: `(mask, name)` per event.
pub(crate) fn read_inotify(fd: BorrowedFd<'_>) -> Result<Vec<(u32, String)>, Error> {
    let mut out = Vec::new();
    let mut buf = vec![0u8; 4096];
    while let Some(n) = read(fd, &mut buf)? {
        let mut off = 0;
        // struct inotify_event { int wd; u32 mask; u32 cookie; u32 len; char name[]; }
        while off + 16 <= n {
            let u = |i: usize| u32::from_ne_bytes(buf[off + i..off + i + 4].try_into().unwrap());
            let (mask, len) = (u(4), u(12) as usize);
            let name = &buf[off + 16..(off + 16 + len).min(n)];
            let name = name.split(|&b| b == 0).next().unwrap_or(&[]);
            out.push((mask, String::from_utf8_lossy(name).into_owned()));
            off += 16 + len;
        }
        if n == 0 {
            break;
        }
    }
    Ok(out)
}

/// `pidfd_open(pid, PIDFD_NONBLOCK)`: readable once the process exits.
pub(crate) fn pidfd_open(pid: i32) -> Result<OwnedFd, Error> {
    // SAFETY: raw syscall with integer arguments only.
    let r = unsafe { libc::syscall(libc::SYS_pidfd_open, pid, libc::O_NONBLOCK) };
    owned(r as libc::c_int, "pidfd_open")
}

// ----- futex ---------------------------------------------------------------

/// `futex(FUTEX_WAKE)` on a *shared* futex word (no `FUTEX_PRIVATE_FLAG`):
/// wakes at most `n` waiters, returns how many. Shared, so it meets io_uring
/// futex waits in the global futex hash whatever the process's private hash
/// (`PR_FUTEX_HASH`, Linux 6.16+) did meanwhile; see the backend docs.
pub(crate) fn futex_wake(word: &std::sync::atomic::AtomicU32, n: u32) -> Result<u32, Error> {
    // SAFETY: `word` is a live, aligned u32 for the call; FUTEX_WAKE only
    // uses its address as a key.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAKE,
            n.min(i32::MAX as u32) as libc::c_int,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        )
    };
    if r < 0 {
        return Err(Error::last_os("futex(FUTEX_WAKE)"));
    }
    Ok(r as u32)
}

/// `futex(FUTEX_WAIT)` on a shared word (for threads outside the port, e.g.
/// the example's hand-off); returns when woken, on a value mismatch, or on
/// `EINTR`.
pub(crate) fn futex_wait(word: &std::sync::atomic::AtomicU32, expected: u32) -> Result<(), Error> {
    // SAFETY: `word` is a live, aligned u32; no timeout.
    let r = unsafe {
        libc::syscall(
            libc::SYS_futex,
            word.as_ptr(),
            libc::FUTEX_WAIT,
            expected,
            std::ptr::null::<libc::timespec>(),
            std::ptr::null::<u32>(),
            0u32,
        )
    };
    if r < 0 {
        let e = errno();
        if e != libc::EAGAIN && e != libc::EINTR {
            return Err(Error::Os {
                syscall: "futex(FUTEX_WAIT)",
                errno: e,
            });
        }
    }
    Ok(())
}
