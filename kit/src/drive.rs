//! The runner: a [`Workload`] on a [`Harness`] over real pipes, sockets,
//! eventfds and hung-up pipes, on real threads, recorded. Workloads are in
//! [`crate::workload`], checking many runs in [`crate::campaign`]; both are
//! re-exported here, so `drive` is the one module a test needs.
//!
//! Each source is *owned* by one thread (source `i` by thread
//! `i % threads`, unless [`Workload::owners`] says otherwise), which alone registers,
//! modifies and cancels it; every thread waits, drains and raises any
//! source. A step that does not fit the owner's state is adapted the same
//! way every time (register when registered becomes a re-arm, modify when
//! unregistered a register, cancel when unregistered nothing), so a script
//! means the same after shrinking.
//!
//! A run ends when every thread has finished its script, or when the
//! threads still running have all sat in a wait for a while, or
//! at the run's budget. The history is taken at that moment (calls still
//! open are never-returned); only then are blocked waiters woken.

pub use crate::campaign::{
    campaign, judge, judge_with, prop_check, Counterexample, Judgement, Tally,
};
pub use crate::workload::{workload, workload_of_seed, Shape, Step, WaitFor, Workload};

use crate::fd::{FdKind, FdSource};
use crate::harness::Harness;
use crate::history::{CancelAnswer, Event, History, Key, Op, Outcome, Refusal, Timeout};
use crate::recorder::Recorder;
use onering_model::{CancelMode, Mode};
use std::io;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Limits of one run.
#[derive(Clone, Copy, Debug)]
pub struct RunLimits {
    /// Wall-clock budget of the run.
    pub budget: Duration,
    /// How long every running thread must have been inside a wait before
    /// the run is ended (those waits are then written as never-returned).
    pub settle: Duration,
}

impl Default for RunLimits {
    fn default() -> Self {
        RunLimits {
            budget: Duration::from_secs(2),
            settle: Duration::from_millis(20),
        }
    }
}

fn refusal(e: &io::Error) -> Outcome {
    let r = match e.kind() {
        io::ErrorKind::NotFound => Refusal::UnknownKey,
        _ => Refusal::InvalidStep,
    };
    Outcome::Refused(r, e.to_string())
}

struct Run<'a, H: Harness> {
    h: &'a H,
    rec: &'a Recorder,
    sources: Vec<FdSource>,
    /// Per source: its live registration (token, mode), set by its owner.
    regs: Mutex<Vec<Option<(usize, Mode)>>>,
    next_token: AtomicUsize,
    stop: AtomicBool,
    blocked: AtomicUsize,
    running: AtomicUsize,
    owners: Vec<usize>,
}

impl<H: Harness> Run<'_, H> {
    fn reg(&self, src: usize) -> Option<(usize, Mode)> {
        self.regs.lock().unwrap_or_else(|e| e.into_inner())[src]
    }

    fn set_reg(&self, src: usize, r: Option<(usize, Mode)>) {
        self.regs.lock().unwrap_or_else(|e| e.into_inner())[src] = r;
    }

    fn register(&self, src: usize, mode: Mode) {
        let token = self.next_token.fetch_add(1, Ordering::Relaxed);
        let fd = self.sources[src].fd();
        let p = self.rec.begin(Op::Register {
            source: src as u32,
            mode,
        });
        match self.h.register(fd, token, mode) {
            Ok(()) => {
                p.end(Outcome::Key(Key::new(token as u32)));
                self.set_reg(src, Some((token, mode)));
            }
            Err(e) => p.end(refusal(&e)),
        }
    }

    fn modify(&self, src: usize, token: usize, mode: Mode) {
        let key = Key::new(token as u32);
        let p = self.rec.begin(Op::Modify { key, mode });
        match self.h.modify(self.sources[src].fd(), token, mode) {
            Ok(()) => {
                p.end(Outcome::Ok);
                self.set_reg(src, Some((token, mode)));
            }
            Err(e) => p.end(refusal(&e)),
        }
    }

    fn rearm(&self, src: usize, token: usize, mode: Mode) {
        let key = Key::new(token as u32);
        let p = self.rec.begin(Op::Rearm { key });
        match self.h.rearm(self.sources[src].fd(), token, mode) {
            Ok(()) => p.end(Outcome::Ok),
            Err(e) => p.end(refusal(&e)),
        }
    }

    fn cancel(&self, src: usize, token: usize) {
        let key = Key::new(token as u32);
        let p = self.rec.begin(Op::Cancel {
            key,
            mode: CancelMode::Sync,
        });
        match self.h.cancel(self.sources[src].fd(), token) {
            Ok(()) => p.end(Outcome::Cancel(CancelAnswer::Removed(None))),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {
                p.end(Outcome::Cancel(CancelAnswer::NotFound))
            }
            Err(e) => p.end(refusal(&e)),
        }
        self.set_reg(src, None);
    }

    fn wait(&self, max: u8, t: WaitFor) {
        let (timeout, dur) = match t {
            WaitFor::Poll => (Timeout::Poll, Some(Duration::ZERO)),
            WaitFor::Block => (Timeout::Block, None),
            WaitFor::Deadline(ms) => (Timeout::Deadline, Some(Duration::from_millis(ms.into()))),
        };
        let mut tokens = Vec::new();
        // Any wait counts as possibly blocked: even a poll may sit behind a
        // library's lock held by a blocked waiter (mio's `&mut Poll`).
        self.blocked.fetch_add(1, Ordering::SeqCst);
        let p = self.rec.begin(Op::Wait {
            max: max.into(),
            timeout,
        });
        match self.h.wait(max.into(), dur, &mut tokens) {
            // Every slot went to the library's own wake-ups: what the batch
            // could have held is unknown.
            Ok(0) if tokens.is_empty() => p.end_unknown(),
            Ok(room) => {
                // The batch was full if its registrations' slots were.
                let max = room.max(tokens.len()) as u32;
                let events = tokens
                    .iter()
                    .map(|t| Event::Ready(Key::new(*t as u32)))
                    .collect();
                p.end_as(Op::Wait { max, timeout }, Outcome::Events(events));
            }
            Err(e) => p.end(refusal(&e)),
        }
        self.blocked.fetch_sub(1, Ordering::SeqCst);
    }

    fn drain(&self, src: usize, op: Op) {
        let p = self.rec.begin(op);
        match self.sources[src].drain() {
            Ok(_) => p.end(Outcome::Ok),
            Err(e) => p.end(refusal(&e)),
        }
    }

    fn step(&self, me: usize, s: Step) {
        let owned: Vec<usize> = (0..self.sources.len())
            .filter(|i| self.owners[*i] == me)
            .collect();
        let own = |src: u8| (!owned.is_empty()).then(|| owned[src as usize % owned.len()]);
        let modes = self.h.modes();
        let mode = |m: u8| modes[m as usize % modes.len()];
        let any = |src: u8| src as usize % self.sources.len();
        match s {
            Step::Register { src, mode: m } | Step::Modify { src, mode: m } => {
                let Some(src) = own(src) else { return };
                match self.reg(src) {
                    None => self.register(src, mode(m)),
                    Some((token, cur)) => {
                        let to = if matches!(s, Step::Register { .. }) {
                            cur
                        } else {
                            mode(m)
                        };
                        self.modify(src, token, to)
                    }
                }
            }
            Step::Rearm { src } => {
                let Some(src) = own(src) else { return };
                match self.reg(src) {
                    None => self.register(src, modes[0]),
                    Some((token, cur)) if self.h.has_rearm() => self.rearm(src, token, cur),
                    Some((token, cur)) => self.modify(src, token, cur),
                }
            }
            Step::Cancel { src } => {
                let Some(src) = own(src) else { return };
                if let Some((token, _)) = self.reg(src) {
                    self.cancel(src, token);
                }
            }
            Step::Wait { max, timeout } => {
                if me == 0 || self.h.concurrent_waits() {
                    self.wait(max.max(1), timeout);
                }
            }
            Step::Consume { src } => {
                let src = any(src);
                self.drain(src, Op::Consume { source: src as u32 });
            }
            Step::Lower { src } => {
                let src = any(src);
                let op = match self.sources[src].kind() {
                    FdKind::Pipe | FdKind::Socket => Op::Lower { source: src as u32 },
                    // No environment lower for counters or hang-ups.
                    FdKind::EventFd | FdKind::HangUp => Op::Consume { source: src as u32 },
                };
                self.drain(src, op);
            }
            Step::Pause { ms } => std::thread::sleep(Duration::from_millis(ms.into())),
            Step::Raise { src } => {
                let src = any(src);
                let source = src as u32;
                let op = match self.sources[src].kind() {
                    FdKind::EventFd => Op::Increment { source, n: 1 },
                    _ => Op::Raise { source },
                };
                let p = self.rec.begin(op);
                match self.sources[src].raise() {
                    Ok(()) => p.end(Outcome::Ok),
                    Err(e) => p.end(refusal(&e)),
                }
            }
        }
    }
}

/// Runs `w` once on `h`, returns its history.
pub fn run<H: Harness>(h: &H, w: &Workload, limits: RunLimits) -> io::Result<History> {
    let rec = Recorder::new();
    let mut sources = Vec::new();
    for (i, k) in w.sources.iter().enumerate() {
        sources.push(FdSource::new(*k)?);
        // Declares the kind: the checker cannot tell an eventfd from a pipe.
        rec.begin(Op::AddSource {
            kind: k.source_kind(),
            source: i as u32,
        })
        .end(Outcome::Ok);
    }
    let run = Run {
        h,
        rec: &rec,
        regs: Mutex::new(vec![None; sources.len()]),
        sources,
        next_token: AtomicUsize::new(1),
        stop: AtomicBool::new(false),
        blocked: AtomicUsize::new(0),
        running: AtomicUsize::new(w.threads.len()),
        owners: match &w.owners {
            Some(o) => o.clone(),
            None => (0..w.sources.len()).map(|i| i % w.threads.len()).collect(),
        },
    };
    let history = std::thread::scope(|scope| {
        for (me, script) in w.threads.iter().enumerate() {
            let run = &run;
            scope.spawn(move || {
                for s in script {
                    if run.stop.load(Ordering::SeqCst) {
                        break;
                    }
                    run.step(me, *s);
                }
                run.running.fetch_sub(1, Ordering::SeqCst);
            });
        }
        let start = Instant::now();
        let mut settled_since: Option<Instant> = None;
        loop {
            std::thread::sleep(Duration::from_millis(1));
            let running = run.running.load(Ordering::SeqCst);
            if running == 0 || start.elapsed() > limits.budget {
                break;
            }
            if run.blocked.load(Ordering::SeqCst) >= running {
                let since = *settled_since.get_or_insert_with(Instant::now);
                if since.elapsed() >= limits.settle {
                    break;
                }
            } else {
                settled_since = None;
            }
        }
        let history = rec.history();
        run.stop.store(true, Ordering::SeqCst);
        while run.running.load(Ordering::SeqCst) > 0 {
            let _ = h.wake();
            std::thread::sleep(Duration::from_millis(1));
        }
        history
    });
    // Registrations still live are removed before their descriptors close
    // (some libraries require it); not recorded.
    let regs = run.regs.lock().unwrap_or_else(|e| e.into_inner()).clone();
    for (src, r) in regs.iter().enumerate() {
        if let Some((token, _)) = r {
            let _ = h.cancel(run.sources[src].fd(), *token);
        }
    }
    Ok(history)
}
