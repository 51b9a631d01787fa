//! Recording a multi-threaded run as a history (JSON Lines, version 1,
//! `docs/history-format.md`): timestamps from one counter, taken
//! immediately before and after each engine call (one syscall, or the few
//! a cancel needs to see its own completion).

use crate::case::{Backing, CancelHow, Case, Step, WaitFor};
use crate::observe::Observed;
use onering_model::{Answer, EventKind, Outcome};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;

/// What a call names, read as it starts.
#[derive(Debug, Clone)]
pub struct Named {
    op: &'static str,
    args: Value,
    /// The call names a key before its first registration.
    unnamed: bool,
}

/// A history being recorded.
#[derive(Debug)]
pub struct Recorder {
    clock: AtomicU64,
    lines: Mutex<Vec<(u64, String)>>,
    /// Per key: the generation of its current registration (+1; 0 = none).
    gens: Vec<AtomicU64>,
    backing: Backing,
    request: bool,
    mode: onering_model::Mode,
}

fn key(k: u8, gen: u64) -> Value {
    json!({"index": k, "generation": gen})
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
            r.push(
                t,
                json!({"v": 1, "thread": 0, "call": c, "ret": t, "op": "add_source",
                       "args": {"kind": case.kind.name()}, "result": {"source": s}}),
            );
        }
        r
    }

    /// One reading of the counter.
    pub fn tick(&self) -> u64 {
        self.clock.fetch_add(1, Ordering::SeqCst)
    }

    fn push(&self, ret: u64, v: Value) {
        self.lines
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .push((ret, v.to_string()));
    }

    fn source(&self, k: u8) -> u8 {
        if self.backing == Backing::Futex {
            0
        } else {
            k
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
        let (op, args) = match *step {
            Step::Register(k) => (
                if self.request { "submit" } else { "register" },
                json!({"source": self.source(k), "mode": self.mode.name()}),
            ),
            Step::Modify(k, m) => (
                "modify",
                json!({"key": key(k, self.gen(k)), "mode": m.name()}),
            ),
            Step::Rearm(k) => ("rearm", json!({"key": key(k, self.gen(k))})),
            Step::Cancel(k, how) => {
                let mode = if how == CancelHow::Reap {
                    "reap"
                } else if self.request {
                    "async"
                } else {
                    "sync"
                };
                ("cancel", json!({"key": key(k, self.gen(k)), "mode": mode}))
            }
            Step::Consume(k) => ("consume", json!({"source": self.source(k)})),
            Step::Wait(max, how) => (
                "wait",
                json!({"max": max, "timeout": match how {
                    WaitFor::Poll => "poll",
                    WaitFor::For(_) => "deadline",
                    WaitFor::Block => "block",
                }}),
            ),
            Step::Raise(k) => ("raise", json!({"source": self.source(k)})),
            Step::Lower(k) => ("lower", json!({"source": self.source(k)})),
            Step::Close(k) => ("close", json!({"source": self.source(k)})),
            Step::Complete(k) => (
                "complete",
                json!({"source": self.source(k), "result": 0, "cancelled": false}),
            ),
            Step::StreamItem(k) => ("stream_item", json!({"source": self.source(k), "value": 1})),
            Step::FutexWake(n) => ("futex_wake", json!({"source": 0, "n": n})),
            Step::FutexChange | Step::Sleep(_) => return None,
        };
        Some(Named { op, args, unnamed })
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
        let Some(Named { op, args, unnamed }) = named else {
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
            Observed::Refused(e) => json!({"error": e, "message": e}),
            Observed::Events(evs) => json!({"events": evs.iter().map(|e| {
                // Engines number a key's registrations from 0, as this
                // recorder does; the engine knows which one an event is for.
                let k = key(e.key, u64::from(e.gen));
                match e.kind {
                    EventKind::Ready => json!({"key": k, "kind": "ready"}),
                    EventKind::Item => json!({"key": k, "kind": "item", "value": 1}),
                    EventKind::Final(o) => json!({"key": k, "kind": "final", "result": null,
                        "cancelled": o == Outcome::Cancelled}),
                }
            }).collect::<Vec<_>>()}),
            Observed::Answer { answer, .. } => match answer {
                Answer::Removed => json!({"cancel": "removed", "completion": null}),
                Answer::RemovedWith(o) => json!({"cancel": "removed",
                    "completion": {"result": null, "cancelled": *o == Outcome::Cancelled}}),
                Answer::Pending => json!({"cancel": "pending"}),
                Answer::NotFound => json!({"cancel": "not-found"}),
                Answer::Cancelled => json!({"cancel": "cancelled"}),
                Answer::InProgress => json!({"cancel": "in-progress"}),
                Answer::TooLate => json!({"cancel": "too-late"}),
            },
            Observed::Count(n) => json!({"count": n}),
            Observed::Ok if matches!(step, Step::Register(_)) => {
                let k = match step {
                    Step::Register(k) => *k,
                    _ => 0,
                };
                json!({"key": key(k, self.gen(k))})
            }
            Observed::Ok | Observed::Unsupported(_) => json!({"ok": true}),
        };
        self.push(
            ret,
            json!({"v": 1, "thread": thread, "call": call, "ret": ret, "op": op,
                   "args": args, "result": result}),
        );
    }

    /// The history, lines in the order of `ret`.
    pub fn finish(&self) -> String {
        let mut lines = self.lines.lock().unwrap_or_else(|p| p.into_inner()).clone();
        lines.sort_by_key(|l| l.0);
        let mut out = String::new();
        for (_, l) in lines {
            out.push_str(&l);
            out.push('\n');
        }
        out
    }
}
