//! A thin typed driver over one io_uring instance (the `io-uring` crate):
//! ring set-ups, typed submissions whose memory the driver keeps alive until
//! the kernel is done with it, copying completions out, and the synchronous
//! cancel of `IORING_REGISTER_SYNC_CANCEL`.

use io_uring::types::{CancelBuilder, SubmitArgs, Timespec};
use io_uring::{cqueue, opcode, squeue, types, IoUring};
use std::collections::HashMap;
use std::io;
use std::os::fd::RawFd;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::{Duration, Instant};

/// How the ring is set up (the choices a user makes at `io_uring_setup`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Setup {
    /// No flags.
    Default,
    /// `IORING_SETUP_COOP_TASKRUN`: no IPI; task work runs at the next enter.
    Coop,
    /// `IORING_SETUP_DEFER_TASKRUN | IORING_SETUP_SINGLE_ISSUER`: completions
    /// are posted only when the submitting task enters with `GETEVENTS`.
    Defer,
    /// `IORING_SETUP_SQPOLL`: a kernel thread consumes the submission queue.
    Sqpoll,
}

impl Setup {
    /// Every set-up, in report order.
    pub const ALL: [Setup; 4] = [Setup::Default, Setup::Coop, Setup::Defer, Setup::Sqpoll];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            Setup::Default => "default",
            Setup::Coop => "coop",
            Setup::Defer => "defer",
            Setup::Sqpoll => "sqpoll",
        }
    }

    /// The set-up with this [`Setup::name`].
    pub fn from_name(s: &str) -> Option<Setup> {
        Self::ALL.into_iter().find(|x| x.name() == s)
    }
}

/// One completion copied out of the completion queue.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cqe {
    /// The request's `user_data`.
    pub user_data: u64,
    /// `res`: a count, a mask or `-errno`.
    pub res: i32,
    /// `IORING_CQE_F_MORE`: the (multishot) request will post more.
    pub more: bool,
}

/// A request to submit.
#[derive(Debug)]
pub enum Request {
    /// `IORING_OP_POLL_ADD` for `POLLIN`, single-shot or multishot.
    PollAdd {
        /// Polled descriptor.
        fd: RawFd,
        /// `IORING_POLL_ADD_MULTI`.
        multi: bool,
    },
    /// `IORING_OP_READ` of up to 64 bytes into a buffer the driver owns.
    Read {
        /// Read descriptor.
        fd: RawFd,
    },
    /// `IORING_OP_READ_MULTISHOT` from provided-buffer group `group`.
    ReadMulti {
        /// Read descriptor (must be pollable: a pipe or socket).
        fd: RawFd,
        /// The buffer group given by [`Ring::provide_buffers`].
        group: u16,
    },
    /// `IORING_OP_ACCEPT` with `IORING_ACCEPT_MULTISHOT`.
    AcceptMulti {
        /// Listening socket.
        fd: RawFd,
    },
    /// `IORING_OP_TIMEOUT` after `after`, completing also after `count`
    /// other completions (0: only by expiry or removal).
    Timeout {
        /// Relative expiry.
        after: Duration,
        /// Completion count.
        count: u32,
    },
    /// `IORING_OP_FUTEX_WAIT` on a 32-bit word expected to hold `expected`.
    FutexWait {
        /// The word (kept alive by the driver while the wait is pending).
        word: Arc<AtomicU32>,
        /// Expected value.
        expected: u32,
        /// `FUTEX2_PRIVATE` (process-private hash) instead of a shared futex.
        private: bool,
    },
    /// `IORING_OP_FUTEX_WAKE` of at most `n` waiters.
    FutexWake {
        /// The word.
        word: Arc<AtomicU32>,
        /// Most waiters to wake.
        n: u32,
    },
    /// `IORING_OP_ASYNC_CANCEL` of the request with `user_data == target`.
    AsyncCancel {
        /// Target's user data.
        target: u64,
    },
    /// `IORING_OP_POLL_REMOVE` of the poll request `target`.
    PollRemove {
        /// Target's user data.
        target: u64,
    },
    /// `IORING_OP_NOP`.
    Nop,
}

/// Memory a pending request points into; dropped after its final CQE.
#[allow(dead_code)] // held only to keep the memory alive
#[derive(Debug)]
enum Owned {
    None,
    Buf(Box<[u8; 64]>),
    Time(Box<Timespec>),
    Word(Arc<AtomicU32>),
}

/// `FUTEX2_SIZE_U32` (futex2 flags).
const FUTEX2_SIZE_U32: u32 = 0x02;
/// `FUTEX2_PRIVATE`: the process-private futex hash.
const FUTEX2_PRIVATE: u32 = 128;

/// One ring and the memory of its pending requests.
pub struct Ring {
    ring: IoUring,
    setup: Setup,
    owned: HashMap<u64, Owned>,
    /// Provided-buffer groups (kept alive for the ring's life).
    groups: Vec<Box<[u8]>>,
}

impl std::fmt::Debug for Ring {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Ring")
            .field("setup", &self.setup)
            .field("pending", &self.owned.len())
            .finish()
    }
}

/// `GETEVENTS`: an enter that runs (deferred) task work and reaps.
const GETEVENTS: u32 = 1;

impl Ring {
    /// `io_uring_setup` with `setup`'s flags and 256 entries.
    pub fn new(setup: Setup) -> io::Result<Ring> {
        let mut b = IoUring::builder();
        match setup {
            Setup::Default => {}
            Setup::Coop => {
                b.setup_coop_taskrun();
            }
            Setup::Defer => {
                b.setup_defer_taskrun().setup_single_issuer();
            }
            Setup::Sqpoll => {
                b.setup_sqpoll(50);
            }
        }
        Ok(Ring {
            ring: b.build(256)?,
            setup,
            owned: HashMap::new(),
            groups: Vec::new(),
        })
    }

    /// The set-up this ring was built with.
    pub fn setup(&self) -> Setup {
        self.setup
    }

    /// Pushes one request with `user_data` and submits it. Under SQPOLL,
    /// waits (up to a second) until the kernel thread consumed it, so a
    /// later step finds it submitted.
    pub fn submit(&mut self, req: Request, user_data: u64) -> io::Result<()> {
        let (entry, owned) = match req {
            Request::PollAdd { fd, multi } => (
                opcode::PollAdd::new(types::Fd(fd), libc::POLLIN as u32)
                    .multi(multi)
                    .build(),
                Owned::None,
            ),
            Request::Read { fd } => {
                let mut buf = Box::new([0u8; 64]);
                let e = opcode::Read::new(types::Fd(fd), buf.as_mut_ptr(), 64).build();
                (e, Owned::Buf(buf))
            }
            Request::ReadMulti { fd, group } => (
                opcode::ReadMulti::new(types::Fd(fd), 0, group).build(),
                Owned::None,
            ),
            Request::AcceptMulti { fd } => {
                (opcode::AcceptMulti::new(types::Fd(fd)).build(), Owned::None)
            }
            Request::Timeout { after, count } => {
                let ts = Box::new(
                    Timespec::new()
                        .sec(after.as_secs())
                        .nsec(after.subsec_nanos()),
                );
                let e = opcode::Timeout::new(&*ts as *const Timespec)
                    .count(count)
                    .build();
                (e, Owned::Time(ts))
            }
            Request::FutexWait {
                word,
                expected,
                private,
            } => {
                let flags = FUTEX2_SIZE_U32 | if private { FUTEX2_PRIVATE } else { 0 };
                let e = opcode::FutexWait::new(
                    word.as_ptr().cast_const(),
                    u64::from(expected),
                    u64::from(u32::MAX),
                    flags,
                )
                .build();
                (e, Owned::Word(word))
            }
            Request::FutexWake { word, n } => {
                let e = opcode::FutexWake::new(
                    word.as_ptr().cast_const(),
                    u64::from(n),
                    u64::from(u32::MAX),
                    FUTEX2_SIZE_U32,
                )
                .build();
                (e, Owned::Word(word))
            }
            Request::AsyncCancel { target } => {
                (opcode::AsyncCancel::new(target).build(), Owned::None)
            }
            Request::PollRemove { target } => {
                (opcode::PollRemove::new(target).build(), Owned::None)
            }
            Request::Nop => (opcode::Nop::new().build(), Owned::None),
        };
        self.push(entry.user_data(user_data))?;
        self.owned.insert(user_data, owned);
        self.ring.submit()?;
        self.settle()
    }

    fn push(&mut self, e: squeue::Entry) -> io::Result<()> {
        // SAFETY: every pointer in `e` points into memory this driver owns
        // (`owned`, `groups`) and keeps until the request's final CQE (or
        // leaks it, see Drop), or into the caller's descriptors, whose
        // misuse the kernel answers with an error CQE.
        unsafe { self.ring.submission().push(&e) }
            .map_err(|_| io::Error::other("submission queue full"))
    }

    /// Under SQPOLL: waits until the kernel thread has consumed the queue.
    fn settle(&mut self) -> io::Result<()> {
        if self.setup != Setup::Sqpoll {
            return Ok(());
        }
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            let mut sq = self.ring.submission();
            sq.sync();
            if sq.is_empty() {
                // Consumed is not yet issued; give the thread a moment.
                std::thread::sleep(Duration::from_micros(200));
                return Ok(());
            }
            drop(sq);
            if Instant::now() > deadline {
                return Err(io::Error::other("SQPOLL thread did not consume the queue"));
            }
            self.ring.submit()?;
            std::thread::yield_now();
        }
    }

    /// Provides `count` buffers of `size` bytes as group `group`
    /// (`IORING_OP_PROVIDE_BUFFERS`); waits for its completion.
    pub fn provide_buffers(&mut self, group: u16, count: u16, size: i32) -> io::Result<()> {
        let mut mem = vec![0u8; count as usize * size as usize].into_boxed_slice();
        let e = opcode::ProvideBuffers::new(mem.as_mut_ptr(), size, count, group, 0)
            .build()
            .user_data(u64::MAX);
        self.groups.push(mem);
        self.push(e)?;
        self.ring.submit_and_wait(1)?;
        self.settle()?;
        let deadline = Instant::now() + Duration::from_secs(1);
        loop {
            for c in self.reap()? {
                if c.user_data == u64::MAX {
                    return if c.res < 0 {
                        Err(io::Error::from_raw_os_error(-c.res))
                    } else {
                        Ok(())
                    };
                }
            }
            if Instant::now() > deadline {
                return Err(io::Error::other("PROVIDE_BUFFERS did not complete"));
            }
        }
    }

    /// Enters with `GETEVENTS` and no minimum (runs pending task work, also
    /// the deferred kind), then copies every completion out.
    pub fn reap(&mut self) -> io::Result<Vec<Cqe>> {
        // SAFETY: no argument pointer; `GETEVENTS` with min_complete 0 only
        // runs task work and returns.
        let r = unsafe {
            self.ring
                .submitter()
                .enter::<libc::sigset_t>(0, 0, GETEVENTS, None)
        };
        match r {
            Ok(_) => {}
            Err(e) if e.raw_os_error() == Some(libc::EINTR) => {}
            Err(e) => return Err(e),
        }
        Ok(self.copy_out())
    }

    /// Waits up to `timeout` for at least one completion (`None`: no
    /// limit), then copies every completion out. An expired wait is an
    /// empty list, not an error.
    pub fn wait(&mut self, timeout: Option<Duration>) -> io::Result<Vec<Cqe>> {
        let got = self.copy_out();
        if !got.is_empty() {
            return Ok(got);
        }
        let r = match timeout {
            Some(t) => {
                let ts = Timespec::new().sec(t.as_secs()).nsec(t.subsec_nanos());
                let args = SubmitArgs::new().timespec(&ts);
                self.ring.submitter().submit_with_args(1, &args)
            }
            None => self.ring.submit_and_wait(1),
        };
        match r {
            Ok(_) => {}
            Err(e) if matches!(e.raw_os_error(), Some(libc::ETIME) | Some(libc::EINTR)) => {}
            Err(e) => return Err(e),
        }
        Ok(self.copy_out())
    }

    fn copy_out(&mut self) -> Vec<Cqe> {
        let mut out = Vec::new();
        let mut cq = self.ring.completion();
        cq.sync();
        for c in &mut cq {
            let more = cqueue::more(c.flags());
            out.push(Cqe {
                user_data: c.user_data(),
                res: c.result(),
                more,
            });
        }
        drop(cq);
        for c in &out {
            if !c.more {
                self.owned.remove(&c.user_data);
            }
        }
        out
    }

    /// `IORING_REGISTER_SYNC_CANCEL` of `target` (waits until the target
    /// is cancelled; the target still posts its own CQE). `Ok` for
    /// cancelled, the kernel's error (`ENOENT`, `EALREADY`, ...) otherwise.
    pub fn sync_cancel(&mut self, target: u64, timeout: Duration) -> io::Result<()> {
        let ts = Timespec::new()
            .sec(timeout.as_secs())
            .nsec(timeout.subsec_nanos());
        self.ring
            .submitter()
            .register_sync_cancel(Some(ts), CancelBuilder::user_data(target))
    }
}

impl Drop for Ring {
    fn drop(&mut self) {
        // Cancel everything and wait for it, so that no request still points
        // into memory we free; what is still pending after that is leaked
        // rather than freed under the kernel.
        let _ = self
            .ring
            .submitter()
            .register_sync_cancel(Some(Timespec::new().sec(1)), CancelBuilder::any().all());
        let _ = self.reap();
        for (_, owned) in self.owned.drain() {
            std::mem::forget(owned);
        }
        for g in self.groups.drain(..) {
            std::mem::forget(g);
        }
    }
}
