//! Single-threaded checking: every observed result, step by step, against
//! the set of model states the profile allows so far.
//!
//! The model is nondeterministic (which outcome a cancel has, when the
//! kernel posts a cancelled operation's final event), so the checker keeps
//! every state consistent with what was observed; a step whose observation
//! no state allows is a divergence. Kernel steps no call records (an
//! operation whose cancel won posting its final event) may happen between
//! any two steps.

use crate::case::{CancelHow, Step, WaitFor};
use crate::observe::{Ev, Observed};
use onering_model::{
    Action, BoundError, CancelMode, Mode, Model, Phase, Rules, Scenario, Shown, SourceKind, State,
};

/// The model states consistent with a run so far.
#[derive(Clone, Debug)]
pub struct Stepper {
    model: Model,
    states: Vec<State>,
}

/// A step whose observation the profile does not allow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mismatch {
    /// What the model allows instead (one line per distinct outcome).
    pub allowed: Vec<String>,
}

const T: u8 = 0;

impl Stepper {
    /// A checker for one thread and `keys` keys of `kind` in `mode`.
    pub fn new(rules: Rules, kind: SourceKind, mode: Mode, keys: u8) -> Result<Self, BoundError> {
        let model = Model::for_histories(rules, Scenario::new(kind, mode), 1, keys)?;
        let mut s = Stepper {
            states: vec![model.init_free()],
            model,
        };
        s.close_kernel();
        Ok(s)
    }

    /// How many model states are still consistent.
    pub fn width(&self) -> usize {
        self.states.len()
    }

    fn apply(&self, s: &State, a: Action) -> Vec<(Shown, State)> {
        let mut out = Vec::new();
        self.model.apply(s, a, &mut out);
        out.into_iter().map(|st| (st.shown, st.next)).collect()
    }

    /// Adds every state reachable by silent kernel steps.
    fn close_kernel(&mut self) {
        let mut i = 0;
        while i < self.states.len() {
            let s = self.states[i];
            for k in 0..self.model.bound.keys {
                for (_, n) in self.apply(&s, Action::PostFinal { key: k }) {
                    if !self.states.contains(&n) {
                        self.states.push(n);
                    }
                }
            }
            i += 1;
        }
    }

    fn cancel_mode(&self, how: CancelHow) -> CancelMode {
        if how == CancelHow::Reap {
            CancelMode::Reap
        } else if self.model.is_request() {
            CancelMode::Async
        } else {
            CancelMode::Sync
        }
    }

    /// The outcomes of `step` from `s`: (what was shown, the state after).
    /// `None`: the model has no such step (the step is not modelled).
    fn outcomes(&self, s: &State, step: &Step) -> Option<Vec<(Shown, State)>> {
        let a = match *step {
            Step::Register(k) => Action::Register { thread: T, key: k },
            Step::Modify(k, mode) => Action::Modify {
                thread: T,
                key: k,
                mode,
            },
            Step::Rearm(k) => Action::Rearm { thread: T, key: k },
            Step::Cancel(k, how) => {
                let first = self.apply(
                    s,
                    Action::Cancel {
                        thread: T,
                        key: k,
                        mode: self.cancel_mode(how),
                    },
                );
                // An asynchronous answer arrives within the call; the
                // target's final may be posted before it.
                let mut out = Vec::new();
                for (shown, n) in first {
                    let mut frontier = vec![n];
                    for (_, p) in self.apply(&n, Action::PostFinal { key: k }) {
                        frontier.push(p);
                    }
                    for f in frontier {
                        if matches!(f.threads[T as usize].phase, Phase::Cancelling(..)) {
                            for (_, r) in self.apply(&f, Action::CancelReturn { thread: T }) {
                                out.push((shown, r));
                            }
                        } else {
                            out.push((shown, f));
                        }
                    }
                }
                return Some(out);
            }
            Step::Consume(k) => Action::Consume { thread: T, key: k },
            Step::Wait(max, how) => {
                let block = how != WaitFor::Poll;
                let first = self.apply(
                    s,
                    Action::Wait {
                        thread: T,
                        max,
                        block,
                    },
                );
                let mut out = Vec::new();
                for (shown, n) in first {
                    match n.threads[T as usize].phase {
                        Phase::Blocked(_) if how != WaitFor::Block => {
                            out.extend(self.apply(&n, Action::Timeout { thread: T }));
                        }
                        Phase::Blocked(_) => {} // blocks forever: no return
                        _ => out.push((shown, n)),
                    }
                }
                return Some(out);
            }
            Step::Raise(k) => Action::Raise { key: k },
            Step::Lower(k) => Action::Lower { key: k },
            Step::Close(k) => Action::Close { key: k },
            Step::Complete(k) => Action::Complete { key: k },
            Step::StreamItem(k) => Action::StreamItem { key: k },
            Step::FutexWake(n) => Action::FutexWake { n },
            Step::FutexChange | Step::Sleep(_) => return None,
        };
        Some(self.apply(s, a))
    }

    /// Checks one observation; on success the state set moves on.
    pub fn step(&mut self, step: &Step, obs: &Observed) -> Result<(), Mismatch> {
        if let Observed::Unsupported(_) = obs {
            return Ok(());
        }
        let mut next: Vec<State> = Vec::new();
        let mut allowed: Vec<String> = Vec::new();
        for s in &self.states {
            let Some(outs) = self.outcomes(s, step) else {
                // Not modelled (a pause, a futex word change): nothing moves.
                next.push(*s);
                continue;
            };
            if outs.is_empty() {
                // Draining a source with nothing to drain is a read that
                // finds nothing (EAGAIN): a no-op, which the model's
                // vocabulary has no step for.
                let noop =
                    matches!(step, Step::Consume(_) | Step::Lower(_)) && *obs == Observed::Ok;
                if noop || matches!(obs, Observed::Refused(_)) {
                    next.push(*s);
                } else {
                    allowed.push("refused (the model has no such step here)".into());
                }
                continue;
            }
            for (shown, n) in outs {
                let seen = show(s, step, &shown);
                if agrees(&seen, obs) {
                    if !next.contains(&n) {
                        next.push(n);
                    }
                } else {
                    allowed.push(seen.to_string());
                }
            }
        }
        if next.is_empty() {
            allowed.sort();
            allowed.dedup();
            return Err(Mismatch { allowed });
        }
        self.states = next;
        self.close_kernel();
        Ok(())
    }
}

/// What the model showed, as an observation.
pub fn show(pre: &State, step: &Step, shown: &Shown) -> Observed {
    match step {
        Step::Wait(..) => Observed::Events(
            shown
                .batch()
                .map(|e| Ev {
                    key: e.key(),
                    current: e.gen() == pre.keys[e.key() as usize].gen,
                    gen: u32::from(e.gen()),
                    kind: e.kind(),
                })
                .collect(),
        ),
        Step::Cancel(..) => match shown.answer {
            Some(a) => Observed::Answer {
                answer: a,
                raw: String::new(),
                final_first: None,
            },
            None => Observed::Ok,
        },
        Step::FutexWake(_) => Observed::Count(shown.released.count_ones()),
        _ => Observed::Ok,
    }
}

/// Whether an engine's observation agrees with the model's.
fn agrees(model: &Observed, engine: &Observed) -> bool {
    match (model, engine) {
        (Observed::Answer { answer: a, .. }, Observed::Answer { answer: b, .. }) => a == b,
        (Observed::Ok, Observed::Count(_)) => true,
        (a, b) => a == b,
    }
}
