//! Raw io_uring, judged by the `io_uring` profile. Each key is one request
//! (`user_data = key | generation << 8`): a poll of the key's descriptor
//! (single-shot for `oneshot`, multishot for `multishot`), a futex wait, a
//! read, a multishot read or accept, or a timeout. Completions are copied
//! out of the ring in order into one FIFO that `wait` takes from, so the
//! CQ's order is the queue's order.

use super::{errno_name, io_err, Engine, EngineError, Setup};
use crate::case::{Backing, CancelHow, Case, Step, WaitFor};
use crate::drivers::sys;
use crate::drivers::uring::{Cqe, Request, Ring};
use crate::observe::{Ev, Observed};
use crate::source::Source;
use onering_model::{Answer, EventKind, Mode, Outcome};
use std::collections::VecDeque;
use std::sync::atomic::{AtomicU32, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

const CANCEL: u64 = 1 << 48;
const INTERNAL: u64 = 1 << 49;

struct Slot {
    source: Option<Source>,
    /// Submissions so far (the current one's generation is `gen - 1`).
    gen: u32,
    /// Submitted and its final CQE not yet delivered by a wait.
    pending: bool,
    /// A cancel of the current submission won (answered 0).
    cancelled: bool,
}

struct Queue {
    ring: Ring,
    fifo: VecDeque<Cqe>,
}

pub struct UringEngine {
    q: Mutex<Queue>,
    slots: Vec<Mutex<Slot>>,
    backing: Backing,
    mode: Mode,
    word: Arc<AtomicU32>,
}

fn ud(k: u8, gen: u32) -> u64 {
    u64::from(k) | (u64::from(gen) << 8)
}

impl UringEngine {
    pub fn new(case: &Case, setup: Setup) -> Result<Self, EngineError> {
        let ok_mode = match case.backing {
            b if b.is_fd() => matches!(case.mode, Mode::Oneshot | Mode::Multishot),
            Backing::Futex | Backing::Read | Backing::Timeout => case.mode == Mode::Single,
            Backing::ReadMulti | Backing::AcceptMulti => case.mode == Mode::Multishot,
            _ => false,
        };
        if !ok_mode {
            return Err(EngineError::NotApplicable(format!(
                "io_uring has no `{}` request on `{}` (poll requests are oneshot or multishot)",
                case.mode.name(),
                case.backing.name()
            )));
        }
        let mut ring = Ring::new(setup)
            .map_err(|e| EngineError::Refused(super::describe_setup_error(setup, &e)))?;
        let mut slots = Vec::new();
        for k in 0..case.keys {
            let source = match case.backing {
                Backing::Futex | Backing::Timeout => None,
                b => Some(Source::new(b).map_err(io_err)?),
            };
            if case.backing == Backing::ReadMulti {
                ring.provide_buffers(u16::from(k), 64, 16).map_err(io_err)?;
            }
            slots.push(Mutex::new(Slot {
                source,
                gen: 0,
                pending: false,
                cancelled: false,
            }));
        }
        Ok(UringEngine {
            q: Mutex::new(Queue {
                ring,
                fifo: VecDeque::new(),
            }),
            slots,
            backing: case.backing,
            mode: case.mode,
            word: Arc::new(AtomicU32::new(0)),
        })
    }

    fn slot(&self, k: u8) -> std::sync::MutexGuard<'_, Slot> {
        self.slots[k as usize]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn queue(&self) -> std::sync::MutexGuard<'_, Queue> {
        self.q.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn request(&self, k: u8) -> Result<Request, Observed> {
        let s = self.slot(k);
        let fd = s.source.as_ref().map_or(-1, |s| s.fd());
        Ok(match self.backing {
            b if b.is_fd() => Request::PollAdd {
                fd,
                multi: self.mode == Mode::Multishot,
            },
            Backing::Futex => Request::FutexWait {
                word: self.word.clone(),
                // The value the waiter believes the word holds: 0 until a
                // `futex_change` step changes the word behind its back.
                expected: 0,
                private: false,
            },
            Backing::Read => Request::Read { fd },
            Backing::ReadMulti => Request::ReadMulti {
                fd,
                group: u16::from(k),
            },
            Backing::AcceptMulti => Request::AcceptMulti { fd },
            Backing::Timeout => Request::Timeout {
                after: Duration::from_secs(60),
                count: 1,
            },
            _ => return Err(Observed::Unsupported("no such request")),
        })
    }

    fn event(&self, c: &Cqe) -> Ev {
        let k = (c.user_data & 0xff) as u8;
        let gen = ((c.user_data >> 8) & 0xffff_ffff) as u32;
        let mut s = self.slot(k);
        let current = s.gen.wrapping_sub(1) == gen;
        let kind = if c.more {
            EventKind::Item
        } else {
            if current {
                s.pending = false;
            }
            if c.res == -libc::ECANCELED {
                EventKind::Final(Outcome::Cancelled)
            } else {
                EventKind::Final(Outcome::Done)
            }
        };
        Ev {
            key: k,
            current,
            gen,
            kind,
        }
    }

    /// Whether key `k`'s request is still in flight: submitted, its cancel
    /// did not win, and its final CQE is not in the ring (reaped into the
    /// FIFO first, which is the queue's continuation).
    fn in_flight(&self, k: u8) -> bool {
        let (pending, cancelled, target) = {
            let s = self.slot(k);
            (s.pending, s.cancelled, ud(k, s.gen.wrapping_sub(1)))
        };
        if !pending || cancelled {
            return false;
        }
        let mut q = self.queue();
        if let Ok(got) = q.ring.reap() {
            Self::take(&mut q, got);
        }
        !q.fifo.iter().any(|c| c.user_data == target && !c.more)
    }

    /// Moves completions into the FIFO, dropping the driver's own.
    fn take(q: &mut Queue, cqes: Vec<Cqe>) {
        q.fifo
            .extend(cqes.into_iter().filter(|c| c.user_data & INTERNAL == 0));
    }

    fn cancel(&self, k: u8, how: CancelHow) -> Observed {
        let target = {
            let s = self.slot(k);
            ud(k, s.gen.wrapping_sub(1))
        };
        let is_target = |c: &Cqe| c.user_data == target && !c.more;
        let mut q = self.queue();
        let before = q.fifo.iter().any(is_target);
        let res = match how {
            CancelHow::Default | CancelHow::PollRemove => {
                let me = target | CANCEL;
                let req = if how == CancelHow::PollRemove {
                    Request::PollRemove { target }
                } else {
                    Request::AsyncCancel { target }
                };
                if let Err(e) = q.ring.submit(req, me) {
                    return Observed::Refused(errno_name(&e));
                }
                let deadline = Instant::now() + Duration::from_secs(2);
                let mut answer = None;
                while answer.is_none() && Instant::now() < deadline {
                    let got = match q.ring.wait(Some(Duration::from_millis(100))) {
                        Ok(g) => g,
                        Err(e) => return Observed::Refused(errno_name(&e)),
                    };
                    for c in got {
                        if c.user_data == me {
                            let first = q.fifo.iter().any(is_target);
                            answer = Some((c.res, first));
                        } else if c.user_data & INTERNAL == 0 {
                            q.fifo.push_back(c);
                        }
                    }
                }
                match answer {
                    Some(a) => a,
                    None => return Observed::Refused("no CQE for the cancel within 2s".into()),
                }
            }
            CancelHow::SyncRegister => {
                let r = q.ring.sync_cancel(target, Duration::from_secs(2));
                let res = match r {
                    Ok(()) => 0,
                    Err(e) => -e.raw_os_error().unwrap_or(libc::EIO),
                };
                // The target's CQE is posted by the time the call returns.
                let got = q.ring.reap().unwrap_or_default();
                Self::take(&mut q, got);
                (res, q.fifo.iter().any(is_target))
            }
            CancelHow::Reap => return Observed::Unsupported("io_uring has no reap"),
        };
        let (res, first) = res;
        let answer = match res {
            0 => Answer::Cancelled,
            // io_uring answers a futex wait's cancel with a count of
            // cancelled requests (FINDINGS.md L1): one request, cancelled.
            1 => Answer::Cancelled,
            r if r == -libc::EALREADY => Answer::InProgress,
            r if r == -libc::ENOENT => Answer::TooLate,
            r => return Observed::Refused(errno_name(&std::io::Error::from_raw_os_error(-r))),
        };
        if answer == Answer::Cancelled {
            self.slot(k).cancelled = true;
        }
        let raw = match res {
            0 | 1 => res.to_string(),
            r => format!("-{}", errno_name(&std::io::Error::from_raw_os_error(-r))),
        };
        // Which CQE came first: the target's (already posted, or posted
        // during the cancel before the cancel's own), or the cancel's when
        // the answer promises a final still to come. A too-late cancel of a
        // request whose final was already delivered has no pair.
        let final_first = if before || first {
            Some(true)
        } else if answer.promises_final() {
            Some(false)
        } else {
            None
        };
        Observed::Answer {
            answer,
            raw,
            final_first,
        }
    }
}

fn env(r: std::io::Result<()>) -> Observed {
    match r {
        Ok(()) => Observed::Ok,
        Err(e) => Observed::Refused(errno_name(&e)),
    }
}

impl Engine for UringEngine {
    fn step(&self, _thread: usize, step: &Step) -> Observed {
        let with_source = |k: u8, f: &dyn Fn(&mut Source) -> std::io::Result<()>| {
            let mut s = self.slot(k);
            match s.source.as_mut() {
                Some(src) => env(f(src)),
                None => Observed::Unsupported("no descriptor behind this request"),
            }
        };
        match *step {
            Step::Register(k) => {
                if self.slot(k).pending {
                    return Observed::Refused("already-submitted".into());
                }
                let req = match self.request(k) {
                    Ok(r) => r,
                    Err(o) => return o,
                };
                let user = {
                    let mut s = self.slot(k);
                    s.gen += 1;
                    s.pending = true;
                    s.cancelled = false;
                    ud(k, s.gen - 1)
                };
                match self.queue().ring.submit(req, user) {
                    Ok(()) => Observed::Ok,
                    Err(e) => {
                        let mut s = self.slot(k);
                        s.gen -= 1;
                        s.pending = false;
                        Observed::Refused(errno_name(&e))
                    }
                }
            }
            Step::Modify(..) | Step::Rearm(_) => {
                Observed::Unsupported("io_uring requests are re-submitted, not re-armed")
            }
            Step::Cancel(k, how) => self.cancel(k, how),
            Step::Wait(max, how) => {
                let mut q = self.queue();
                let limit = match how {
                    WaitFor::Poll => None,
                    WaitFor::For(d) => Some(d),
                    WaitFor::Block => Some(Duration::from_secs(60)),
                };
                let deadline = limit.map(|d| Instant::now() + d);
                loop {
                    let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
                    let got = match left {
                        _ if !q.fifo.is_empty() => q.ring.reap(),
                        None => q.ring.reap(),
                        Some(l) => q.ring.wait(Some(l)),
                    };
                    match got {
                        Ok(g) => Self::take(&mut q, g),
                        Err(e) => return Observed::Refused(errno_name(&e)),
                    }
                    // The driver's own completions (a timeout's count) do
                    // not end a wait: only a CQE the case can see does.
                    if !q.fifo.is_empty() || deadline.is_none_or(|d| Instant::now() >= d) {
                        break;
                    }
                }
                let n = q.fifo.len().min(max as usize);
                let batch: Vec<Cqe> = q.fifo.drain(..n).collect();
                drop(q);
                Observed::Events(batch.iter().map(|c| self.event(c)).collect())
            }
            Step::Raise(k) => with_source(k, &|s| s.raise()),
            Step::Lower(k) | Step::Consume(k) => with_source(k, &|s| s.consume()),
            Step::Close(k) => with_source(k, &|s| s.close()),
            // With nothing in flight, data or a connection would only wait
            // for the next submission, which the model's operations cannot
            // say (an operation has no condition): not a step here.
            Step::Complete(k) | Step::StreamItem(k) if !self.in_flight(k) => {
                Observed::Unsupported("nothing in flight to complete")
            }
            Step::Complete(k) => match self.backing {
                Backing::Read => with_source(k, &|s| s.raise()),
                Backing::Timeout => {
                    // Another completion reaches the timeout's count of 1.
                    let mut q = self.queue();
                    env(q.ring.submit(Request::Nop, INTERNAL))
                }
                _ => Observed::Unsupported("complete applies to reads and timeouts"),
            },
            Step::StreamItem(k) => match self.backing {
                Backing::ReadMulti | Backing::AcceptMulti => with_source(k, &|s| s.raise()),
                _ => Observed::Unsupported("stream_item applies to multishot reads and accepts"),
            },
            Step::FutexWake(n) => match sys::futex_wake(&self.word, u32::from(n)) {
                Ok(c) => Observed::Count(c),
                Err(e) => Observed::Refused(errno_name(&e)),
            },
            Step::FutexChange => {
                self.word.fetch_add(1, Ordering::SeqCst);
                Observed::Ok
            }
            Step::Sleep(d) => {
                std::thread::sleep(d);
                Observed::Ok
            }
        }
    }
}
