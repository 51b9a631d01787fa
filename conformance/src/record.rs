//! Recording a multi-threaded run as a history (JSON Lines, version 1,
//! `docs/history-format.md`): timestamps from one counter, taken
//! immediately before and after each engine call (one syscall, or the few
//! a cancel needs to see its own completion).

use crate::case::{Backing, CancelHow, Case, Step, WaitFor};
use crate::observe::Observed;
use onering_history::{CallResult, Completion, Event, KeyRef, Line, Op, Timeout, Writer};
use onering_model::{Answer, CancelMode, EventKind, Outcome};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// The recorder writes version 1: it uses nothing version 2 added.
const V: u32 = 1;

/// What a call names, read as it starts.
#[derive(Debug, Clone)]
pub struct Named {
    op: Op,
    /// The call names a key before its first registration.
    unnamed: bool,
}

/// A history being recorded.
#[derive(Debug)]
pub struct Recorder {
    clock: AtomicU64,
    lines: Mutex<Vec<Line>>,
    /// Per key: the generation of its current registration (+1; 0 = none).
    gens: Vec<AtomicU64>,
    backing: Backing,
    request: bool,
    mode: onering_model::Mode,
}

fn key(k: u8, gen: u64) -> KeyRef {
    KeyRef {
        index: u32::from(k),
        generation: u32::try_from(gen).expect("a case registers a key fewer than 2^32 times"),
    }
}

fn line(thread: usize, call: u64, ret: u64, op: Op, result: CallResult) -> Line {
    Line {
        v: V,
        port: None,
        thread: Some(u32::try_from(thread).expect("a case has few threads")),
        call,
        ret: Some(ret),
        op,
        result: Some(result),
    }
}

/// A cancel's answer as the format names it (kebab case of the model's
/// name, `docs/history-format.md`).
fn cancel(answer: Answer) -> CallResult {
    let (word, completion) = match answer {
        Answer::Removed => ("removed", None),
        Answer::RemovedWith(o) => (
            "removed",
            Some(Completion {
                result: None,
                cancelled: o == Outcome::Cancelled,
            }),
        ),
        Answer::Pending => ("pending", None),
        Answer::NotFound => ("not-found", None),
        Answer::Cancelled => ("cancelled", None),
        Answer::InProgress => ("in-progress", None),
        Answer::TooLate => ("too-late", None),
    };
    CallResult::Cancel {
        cancel: word.into(),
        completion,
    }
}

impl Recorder {
    /// A recorder for `case`; `request`: the profile treats its
    /// registrations as submitted requests ([`onering_model::Model::is_request`]).
    /// Writes one `add_source` per source first.
    pub fn new(case: &Case, request: bool) -> Recorder {
        let r = Recorder {
            clock: AtomicU64::new(1),
            lines: Mutex::new(Vec::new()),
            gens: (0..case.keys).map(|_| AtomicU64::new(0)).collect(),
            backing: case.backing,
            request,
            mode: case.mode,
        };
        let sources = if case.backing == Backing::Futex {
            1
        } else {
            case.keys
        };
        for s in 0..sources {
            let c = r.tick();
            let t = r.tick();
            r.push(line(
                0,
                c,
                t,
                Op::AddSource { kind: case.kind },
                CallResult::Source {
                    source: u32::from(s),
                },
            ));
        }
        r
    }

    /// One reading of the counter.
    pub fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn push(&self, l: Line) {
        self.lines.lock().unwrap_or_else(|p| p.into_inner()).push(l);
    }

    fn source(&self, k: u8) -> u32 {
        if self.backing == Backing::Futex {
            0
        } else {
            u32::from(k)
        }
    }

    fn gen(&self, k: u8) -> u64 {
        self.gens[k as usize]
            .load(Ordering::SeqCst)
            .saturating_sub(1)
    }

    /// What a call's record names, read when the call starts (the key a
    /// thread names is the one current when it calls): `None` for steps
    /// that are not calls (pauses, futex word changes).
    pub fn begin(&self, step: &Step) -> Option<Named> {
        let unnamed = match *step {
            Step::Modify(k, _) | Step::Rearm(k) | Step::Cancel(k, _) => {
                self.gens[k as usize].load(Ordering::SeqCst) == 0
            }
            _ => false,
        };
        let op = match *step {
            Step::Register(k) if self.request => Op::Submit {
                source: self.source(k),
                mode: self.mode,
            },
            Step::Register(k) => Op::Register {
                source: self.source(k),
                mode: self.mode,
                interest: None,
                edge: false,
            },
            Step::Modify(k, m) => Op::Modify {
                key: key(k, self.gen(k)),
                mode: m,
                interest: None,
                edge: false,
            },
            Step::Rearm(k) => Op::Rearm {
                key: key(k, self.gen(k)),
            },
            Step::Cancel(k, how) => Op::Cancel {
                key: key(k, self.gen(k)),
                mode: if how == CancelHow::Reap {
                    CancelMode::Reap
                } else if self.request {
                    CancelMode::Async
                } else {
                    CancelMode::Sync
                },
            },
            Step::Consume(k) => Op::Consume {
                source: self.source(k),
            },
            Step::Wait(max, how) => Op::Wait {
                max: u32::from(max),
                timeout: match how {
                    WaitFor::Poll => Timeout::Poll,
                    WaitFor::For(_) => Timeout::Deadline,
                    WaitFor::Block => Timeout::Block,
                },
            },
            Step::Raise(k) => Op::Raise {
                source: self.source(k),
            },
            Step::Lower(k) => Op::Lower {
                source: self.source(k),
            },
            Step::Close(k) => Op::Close {
                source: self.source(k),
            },
            Step::Complete(k) => Op::Complete {
                source: self.source(k),
                result: Some(0),
                cancelled: false,
            },
            Step::StreamItem(k) => Op::StreamItem {
                source: self.source(k),
                value: 1,
            },
            Step::FutexWake(n) => Op::FutexWake {
                source: 0,
                n: u32::from(n),
            },
            Step::FutexChange | Step::Sleep(_) => return None,
        };
        Some(Named { op, unnamed })
    }

    /// Records one call of `thread` over `[call, ret]`, named by what
    /// [`Recorder::begin`] read.
    pub fn record(
        &self,
        thread: usize,
        call: u64,
        ret: u64,
        step: &Step,
        named: Option<Named>,
        obs: &Observed,
    ) {
        let Some(Named { op, unnamed }) = named else {
            return;
        };
        if matches!(obs, Observed::Unsupported(_)) {
            return;
        }
        // A key nobody was handed yet cannot be named by a real caller; a
        // call on it that changed nothing is left out of the history.
        let nothing = matches!(
            obs,
            Observed::Refused(_)
                | Observed::Answer {
                    answer: Answer::NotFound,
                    ..
                }
        );
        if unnamed && nothing {
            return;
        }
        if let (Step::Register(k), Observed::Ok) = (step, obs) {
            self.gens[*k as usize].fetch_add(1, Ordering::SeqCst);
        }
        let result = match obs {
            Observed::Refused(e) => CallResult::Error {
                error: e.clone(),
                message: Some(e.clone()),
                errno: None,
            },
            Observed::Events(evs) => CallResult::Events {
                events: evs
                    .iter()
                    .map(|e| {
                        // Engines number a key's registrations from 0, as
                        // this recorder does; the engine knows which one
                        // an event is for.
                        let k = key(e.key, u64::from(e.gen));
                        match e.kind {
                            EventKind::Ready => Event::Ready {
                                key: k,
                                interest: None,
                            },
                            EventKind::Item => Event::Item { key: k, value: 1 },
                            EventKind::Final(o) => Event::Final {
                                key: k,
                                result: None,
                                cancelled: o == Outcome::Cancelled,
                            },
                        }
                    })
                    .collect(),
                end: None,
            },
            Observed::Answer { answer, .. } => cancel(*answer),
            Observed::Count(n) => CallResult::Count {
                count: u64::from(*n),
            },
            Observed::Ok => match step {
                Step::Register(k) => CallResult::Key {
                    key: key(*k, self.gen(*k)),
                },
                _ => CallResult::OK,
            },
            Observed::Unsupported(_) => CallResult::OK,
        };
        self.push(line(thread, call, ret, op, result));
    }

    /// The history, lines in the order of `ret`, written by
    /// [`onering_history::Writer`].
    pub fn finish(&self) -> String {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
        lines.sort_by_key(|l| l.ret);
        let mut w = Writer::new(Vec::new());
        for l in &lines {
            w.write(l).expect("writing to a Vec cannot fail");
        }
        String::from_utf8(w.into_inner()).expect("the writer writes UTF-8")
    }
}
