//! The io_uring half of the Linux backend: one ring, and the table of
//! everything the kernel may still touch.
//!
//! Ownership rule (why this module can offer a safe API): every buffer, fd
//! and futex word an SQE points at is *moved into* [`Ring`]'s in-flight
//! table when the SQE is pushed, and moved out only by [`Ring::reap`] when
//! the operation's final CQE (one without `IORING_CQE_F_MORE`) arrives.
//! Nothing else can reach that memory meanwhile, and [`Ring`]'s `Drop`
//! cancels every in-flight operation and waits for all their final CQEs
//! before the table (and the ring's mappings) are freed.
//!
//! Multishot `read` and `recv` write into the provided-buffer ring
//! ([`BufRing`]), not into a caller's buffer: each item's bytes are copied
//! out when its CQE is reaped and the buffer goes straight back to the
//! kernel, so the pool is never exhausted by items the caller has not taken
//! yet, only by the kernel outrunning the port's harvest (`-ENOBUFS`).

use std::collections::HashMap;
use std::os::fd::{AsRawFd, OwnedFd, RawFd};

use io_uring::{cqueue, opcode, squeue, types, IoUring};

use super::bufring::{BufRing, BufferPool};
use crate::error::Error;
use crate::sync::os::{Arc, AtomicU32};

/// The one buffer group of the port's ring.
const GROUP: u16 = 0;

/// Tag bit of the user_data of cancel requests (their own CQEs carry no
/// operation's result and are dropped).
const CANCEL_TAG: u64 = 1 << 63;

/// What an operation needs the kernel to see.
#[derive(Debug)]
pub(crate) enum Start {
    /// `read` at `offset` (`u64::MAX`: the file position) into `buf`.
    Read {
        fd: Arc<OwnedFd>,
        buf: Vec<u8>,
        offset: u64,
    },
    /// `write` of `buf` at `offset` (`u64::MAX`: the file position).
    Write {
        fd: Arc<OwnedFd>,
        buf: Vec<u8>,
        offset: u64,
    },
    /// `recv` into `buf`.
    Recv { fd: Arc<OwnedFd>, buf: Vec<u8> },
    /// Multishot `read` (`IORING_OP_READ_MULTISHOT`, Linux 6.7+; pollable
    /// files only) into buffers of the pool, one item per buffer.
    ReadMulti { fd: Arc<OwnedFd>, offset: u64 },
    /// Multishot `recv` (Linux 6.0+) into buffers of the pool.
    RecvMulti { fd: Arc<OwnedFd> },
    /// `accept`; `multishot` streams one accepted fd per CQE.
    Accept { fd: Arc<OwnedFd>, multishot: bool },
    /// A wait on a shared 32-bit futex word while it holds `expected`.
    FutexWait { word: Arc<AtomicU32>, expected: u32 },
}

/// Kept alive for the kernel until the final CQE.
#[derive(Debug)]
struct Pinned {
    _fd: Option<Arc<OwnedFd>>,
    buf: Option<Vec<u8>>,
    _word: Option<Arc<AtomicU32>>,
}

/// One CQE, as the backend sees it.
#[derive(Debug)]
pub(crate) struct Cqe {
    pub(crate) token: u64,
    pub(crate) result: i32,
    /// More CQEs follow for this token (a multishot item).
    pub(crate) more: bool,
    /// The operation's buffer, handed back with its final CQE.
    pub(crate) buf: Option<Vec<u8>>,
    /// Where in [`Ring::arena`] the bytes of the provided buffer this CQE
    /// names (multishot read and recv) were copied; the buffer itself is the
    /// kernel's again.
    pub(crate) data: Option<std::ops::Range<usize>>,
}

/// One io_uring instance and its in-flight table.
pub(crate) struct Ring {
    ring: IoUring,
    in_flight: HashMap<u64, Pinned>,
    /// The provided-buffer ring, registered at the first multishot read or
    /// recv (a port that never streams bytes maps nothing).
    bufs: Option<BufRing>,
    pool: BufferPool,
    /// The bytes of the provided buffers the last [`reap`](Self::reap)
    /// handed back, back to back (reused: no allocation per item).
    pub(crate) arena: Vec<u8>,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("fd", &self.ring.as_raw_fd())
            .field("in_flight", &self.in_flight.len())
            .field("bufs", &self.bufs)
            .finish()
    }
}

fn os(syscall: &'static str, e: std::io::Error) -> Error {
    Error::Os {
        syscall,
        errno: e.raw_os_error().unwrap_or(0),
    }
}

impl Ring {
    /// `io_uring_setup`. `ENOSYS` (no io_uring), `EPERM`
    /// (`kernel.io_uring_disabled`, seccomp) come back as [`Error::Os`].
    pub(crate) fn new(entries: u32, pool: BufferPool) -> Result<Self, Error> {
        let ring = IoUring::builder()
            .setup_clamp()
            .build(entries)
            .map_err(|e| os("io_uring_setup", e))?;
        Ok(Self {
            ring,
            in_flight: HashMap::new(),
            bufs: None,
            pool,
            arena: Vec::new(),
        })
    }

    /// The buffer group, registered on first use.
    fn group(&mut self) -> Result<u16, Error> {
        if self.bufs.is_none() {
            self.bufs = Some(BufRing::new(&self.ring, GROUP, self.pool)?);
        }
        Ok(self.bufs.as_ref().map_or(GROUP, BufRing::group))
    }

    /// The ring's fd: readable (for epoll) while CQEs are pending.
    pub(crate) fn fd(&self) -> RawFd {
        self.ring.as_raw_fd()
    }

    /// Operations the kernel may still be working on.
    pub(crate) fn in_flight(&self) -> usize {
        self.in_flight.len()
    }

    /// Pushes one SQE and submits it.
    fn push(&mut self, entry: squeue::Entry) -> Result<(), Error> {
        // SAFETY: every pointer in `entry` points into memory owned by the
        // in-flight table (inserted by the caller before this call) or, for
        // cancels, at nothing; the table keeps it alive until the final CQE.
        let pushed = unsafe { self.ring.submission().push(&entry) };
        if pushed.is_err() {
            // Full: flush and retry once.
            self.ring.submit().map_err(|e| os("io_uring_enter", e))?;
            // SAFETY: as above.
            unsafe { self.ring.submission().push(&entry) }.map_err(|_| Error::Os {
                syscall: "io_uring_enter",
                errno: libc::EBUSY,
            })?;
        }
        self.ring
            .submit()
            .map_err(|e| os("io_uring_enter", e))
            .map(drop)
    }

    /// Starts `op` under `token` (which must not be in flight).
    pub(crate) fn start(&mut self, token: u64, op: Start) -> Result<(), Error> {
        debug_assert!(token & CANCEL_TAG == 0 && !self.in_flight.contains_key(&token));
        let (entry, pinned) = match op {
            Start::Read {
                fd,
                mut buf,
                offset,
            } => {
                let e = opcode::Read::new(
                    types::Fd(fd.as_raw_fd()),
                    buf.as_mut_ptr(),
                    buf.len() as u32,
                )
                .offset(offset)
                .build();
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: Some(buf),
                        _word: None,
                    },
                )
            }
            Start::Write { fd, buf, offset } => {
                let e =
                    opcode::Write::new(types::Fd(fd.as_raw_fd()), buf.as_ptr(), buf.len() as u32)
                        .offset(offset)
                        .build();
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: Some(buf),
                        _word: None,
                    },
                )
            }
            Start::Recv { fd, mut buf } => {
                let e = opcode::Recv::new(
                    types::Fd(fd.as_raw_fd()),
                    buf.as_mut_ptr(),
                    buf.len() as u32,
                )
                .build();
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: Some(buf),
                        _word: None,
                    },
                )
            }
            Start::ReadMulti { fd, offset } => {
                let group = self.group()?;
                // len 0: up to the selected buffer's size.
                let e = opcode::ReadMulti::new(types::Fd(fd.as_raw_fd()), 0, group)
                    .offset(offset)
                    .build();
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: None,
                        _word: None,
                    },
                )
            }
            Start::RecvMulti { fd } => {
                let group = self.group()?;
                let e = opcode::RecvMulti::new(types::Fd(fd.as_raw_fd()), group).build();
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: None,
                        _word: None,
                    },
                )
            }
            Start::Accept { fd, multishot } => {
                let raw = types::Fd(fd.as_raw_fd());
                let e = if multishot {
                    opcode::AcceptMulti::new(raw)
                        .flags(libc::SOCK_CLOEXEC)
                        .build()
                } else {
                    opcode::Accept::new(raw, std::ptr::null_mut(), std::ptr::null_mut())
                        .flags(libc::SOCK_CLOEXEC)
                        .build()
                };
                (
                    e,
                    Pinned {
                        _fd: Some(fd),
                        buf: None,
                        _word: None,
                    },
                )
            }
            Start::FutexWait { word, expected } => {
                // Shared (no FUTEX2_PRIVATE): see the backend docs on the
                // private futex hash.
                let e = opcode::FutexWait::new(
                    word.as_ptr().cast_const(),
                    u64::from(expected),
                    u64::from(u32::MAX), // FUTEX_BITSET_MATCH_ANY
                    0x02,                // FUTEX2_SIZE_U32
                )
                .build();
                (
                    e,
                    Pinned {
                        _fd: None,
                        buf: None,
                        _word: Some(word),
                    },
                )
            }
        };
        self.in_flight.insert(token, pinned);
        if let Err(e) = self.push(entry.user_data(token)) {
            // Not submitted: the kernel never saw the pointers.
            self.in_flight.remove(&token);
            return Err(e);
        }
        Ok(())
    }

    /// Asks the kernel to cancel `token` (`IORING_OP_ASYNC_CANCEL`); its
    /// final CQE follows (`-ECANCELED`, or its own result if it won).
    pub(crate) fn cancel(&mut self, token: u64) -> Result<(), Error> {
        let e = opcode::AsyncCancel::new(token)
            .build()
            .user_data(token | CANCEL_TAG);
        self.push(e)
    }

    /// Drains the completion queue; the final CQE of a token hands its
    /// buffer back and removes it from the in-flight table.
    pub(crate) fn reap(&mut self, out: &mut Vec<Cqe>) {
        self.arena.clear();
        let mut cq = self.ring.completion();
        cq.sync();
        for cqe in &mut cq {
            let token = cqe.user_data();
            if token & CANCEL_TAG != 0 {
                continue;
            }
            let more = cqueue::more(cqe.flags());
            let buf = if more {
                None
            } else {
                self.in_flight.remove(&token).and_then(|p| p.buf)
            };
            // A CQE naming a provided buffer hands it back: copy the bytes
            // out, return the buffer to the kernel.
            let data = match (cqueue::buffer_select(cqe.flags()), self.bufs.as_mut()) {
                (Some(bid), Some(b)) => {
                    let start = self.arena.len();
                    let len = usize::try_from(cqe.result()).unwrap_or(0);
                    let copied = b.take_into(bid, len, &mut self.arena);
                    copied.then_some(start..self.arena.len())
                }
                _ => None,
            };
            out.push(Cqe {
                token,
                result: cqe.result(),
                more,
                buf,
                data,
            });
        }
    }
}

impl Drop for Ring {
    /// Cancels everything in flight and waits for every final CQE, so no
    /// buffer or word is freed while the kernel may still write it.
    fn drop(&mut self) {
        if self.in_flight.is_empty() {
            if let Some(b) = self.bufs.take() {
                b.unregister(&self.ring);
            }
            return;
        }
        let all = opcode::AsyncCancel2::new(types::CancelBuilder::any())
            .build()
            .user_data(CANCEL_TAG);
        let _ = self.push(all);
        let mut sink = Vec::new();
        while !self.in_flight.is_empty() {
            if self.ring.submit_and_wait(1).is_err() {
                // EINTR: just wait again. Any other failure leaves us no way
                // to learn that the kernel is done: leak the memory rather
                // than free it under the kernel.
                if std::io::Error::last_os_error().raw_os_error() != Some(libc::EINTR) {
                    std::mem::forget(std::mem::take(&mut self.in_flight));
                    std::mem::forget(self.bufs.take());
                    return;
                }
            }
            self.reap(&mut sink);
            sink.clear();
        }
        // No request can select a buffer any more.
        if let Some(b) = self.bufs.take() {
            b.unregister(&self.ring);
        }
    }
}
