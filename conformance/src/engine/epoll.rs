//! Raw epoll, judged by the `epoll` profile. Each key is one source's
//! descriptor registered with `data = key | generation << 8`.

use super::{errno_name, io_err, Engine, EngineError};
use crate::case::{CancelHow, Case, Step, WaitFor};
use crate::drivers::sys::{Ctl, Epoll};
use crate::observe::{Ev, Observed};
use crate::source::Source;
use onering_model::{Answer, EventKind, Mode};
use std::sync::Mutex;

struct Slot {
    source: Source,
    /// The case's mode: what every new registration starts in.
    initial: Mode,
    /// Registrations so far (the current one's generation is `gen - 1`).
    gen: u32,
    mode: Mode,
}

pub struct EpollEngine {
    ep: Epoll,
    slots: Vec<Mutex<Slot>>,
}

fn mask(mode: Mode) -> Option<u32> {
    let base = (libc::EPOLLIN | libc::EPOLLRDHUP) as u32;
    match mode {
        Mode::Level => Some(base),
        Mode::Edge => Some(base | libc::EPOLLET as u32),
        Mode::Oneshot => Some(base | libc::EPOLLONESHOT as u32),
        _ => None,
    }
}

impl EpollEngine {
    pub fn new(case: &Case) -> Result<Self, EngineError> {
        if !case.backing.is_fd() {
            return Err(EngineError::NotApplicable(format!(
                "epoll watches descriptors; `{}` is an io_uring request",
                case.backing.name()
            )));
        }
        if mask(case.mode).is_none() {
            return Err(EngineError::NotApplicable(format!(
                "epoll has no `{}` mode",
                case.mode.name()
            )));
        }
        let ep = Epoll::new().map_err(io_err)?;
        let mut slots = Vec::new();
        for _ in 0..case.keys {
            slots.push(Mutex::new(Slot {
                source: Source::new(case.backing).map_err(io_err)?,
                gen: 0,
                initial: case.mode,
                mode: case.mode,
            }));
        }
        Ok(EpollEngine { ep, slots })
    }

    fn slot(&self, k: u8) -> std::sync::MutexGuard<'_, Slot> {
        self.slots[k as usize]
            .lock()
            .unwrap_or_else(|p| p.into_inner())
    }

    fn ctl(&self, k: u8, op: Ctl, mode: Mode) -> std::io::Result<()> {
        let s = self.slot(k);
        let data = u64::from(k) | (u64::from(s.gen.wrapping_sub(1)) << 8);
        self.ep
            .ctl(op, s.source.fd(), mask(mode).unwrap_or(0), data)
    }
}

fn env(r: std::io::Result<()>) -> Observed {
    match r {
        Ok(()) => Observed::Ok,
        Err(e) => Observed::Refused(errno_name(&e)),
    }
}

impl Engine for EpollEngine {
    fn step(&self, _thread: usize, step: &Step) -> Observed {
        match *step {
            Step::Register(k) => {
                let mode = {
                    // A new registration is in the case's mode, whatever an
                    // earlier one was modified to.
                    let mut s = self.slot(k);
                    s.gen += 1;
                    s.mode = s.initial;
                    s.mode
                };
                match self.ctl(k, Ctl::Add, mode) {
                    Ok(()) => Observed::Ok,
                    Err(e) => {
                        self.slot(k).gen -= 1;
                        Observed::Refused(errno_name(&e))
                    }
                }
            }
            Step::Modify(k, mode) => {
                if mask(mode).is_none() {
                    return Observed::Unsupported("epoll has only level, edge, oneshot");
                }
                let r = self.ctl(k, Ctl::Mod, mode);
                if r.is_ok() {
                    self.slot(k).mode = mode;
                }
                env(r)
            }
            Step::Rearm(k) => {
                let mode = self.slot(k).mode;
                if mode != Mode::Oneshot {
                    return Observed::Unsupported("epoll re-arms only oneshot registrations");
                }
                env(self.ctl(k, Ctl::Mod, mode))
            }
            Step::Cancel(k, CancelHow::Default) => match self.ctl(k, Ctl::Del, Mode::Level) {
                Ok(()) => Observed::Answer {
                    answer: Answer::Removed,
                    raw: "0".into(),
                    final_first: None,
                },
                Err(e) if e.raw_os_error() == Some(libc::ENOENT) => Observed::Answer {
                    answer: Answer::NotFound,
                    raw: "ENOENT".into(),
                    final_first: None,
                },
                Err(e) => Observed::Refused(errno_name(&e)),
            },
            Step::Cancel(..) => Observed::Unsupported("epoll has only EPOLL_CTL_DEL"),
            Step::Consume(k) => env(self.slot(k).source.consume()),
            Step::Wait(max, how) => {
                let ms = match how {
                    WaitFor::Poll => 0,
                    WaitFor::For(d) => d.as_millis().min(60_000) as i32,
                    // Bounded: a wait that never returns is reported as an
                    // empty return after a minute, which no blocking wait
                    // in the model shows.
                    WaitFor::Block => 60_000,
                };
                match self.ep.wait(max as usize, ms) {
                    Ok(evs) => Observed::Events(
                        evs.iter()
                            .map(|e| {
                                let k = (e.data & 0xff) as u8;
                                let gen = (e.data >> 8) as u32;
                                let current = self
                                    .slots
                                    .get(k as usize)
                                    .is_some_and(|_| self.slot(k).gen.wrapping_sub(1) == gen);
                                Ev {
                                    key: k,
                                    current,
                                    gen,
                                    kind: EventKind::Ready,
                                }
                            })
                            .collect(),
                    ),
                    Err(e) => Observed::Refused(errno_name(&e)),
                }
            }
            Step::Raise(k) => env(self.slot(k).source.raise()),
            Step::Lower(k) => env(self.slot(k).source.consume()),
            Step::Close(k) => env(self.slot(k).source.close()),
            Step::Complete(_) | Step::StreamItem(_) => {
                Observed::Unsupported("epoll has no operations")
            }
            Step::FutexWake(_) | Step::FutexChange => Observed::Unsupported("epoll has no futex"),
            Step::Sleep(d) => {
                std::thread::sleep(d);
                Observed::Ok
            }
        }
    }
}
