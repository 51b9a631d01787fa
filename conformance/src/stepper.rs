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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::observe::Ev;
    use onering_model::{EventKind, Outcome, EPOLL, IO_URING, UNIFIED};

    fn ready(key: u8) -> Observed {
        Observed::Events(vec![Ev {
            key,
            current: true,
            gen: 0,
            kind: EventKind::Ready,
        }])
    }

    fn none() -> Observed {
        Observed::Events(Vec::new())
    }

    const POLL: Step = Step::Wait(4, WaitFor::Poll);

    #[test]
    fn a_level_that_still_holds_is_reported_again_by_the_next_wait() {
        // epoll re-queues at delivery, unified at the holder's next wait:
        // one thread sees the same in both.
        for rules in [EPOLL, UNIFIED] {
            let mut s = Stepper::new(rules, SourceKind::Level, Mode::Level, 1).unwrap();
            s.step(&Step::Register(0), &Observed::Ok).unwrap();
            s.step(&Step::Raise(0), &Observed::Ok).unwrap();
            s.step(&POLL, &ready(0)).unwrap();
            s.step(&POLL, &ready(0)).unwrap();
            assert!(s.step(&POLL, &none()).is_err(), "{}", rules.name);
        }
    }

    #[test]
    fn a_consumed_level_is_not_reported_again() {
        let mut s = Stepper::new(EPOLL, SourceKind::Level, Mode::Level, 1).unwrap();
        s.step(&Step::Register(0), &Observed::Ok).unwrap();
        s.step(&Step::Raise(0), &Observed::Ok).unwrap();
        s.step(&Step::Consume(0), &Observed::Ok).unwrap();
        let m = s.step(&POLL, &ready(0)).unwrap_err();
        assert_eq!(m.allowed, vec!["[]".to_string()]);
    }

    #[test]
    fn a_lost_wakeup_in_a_timed_wait_is_rejected() {
        // The event is deliverable when the wait starts: returning empty
        // after the timeout is a lost wake-up, not a timeout.
        let mut s = Stepper::new(EPOLL, SourceKind::Level, Mode::Edge, 1).unwrap();
        s.step(&Step::Register(0), &Observed::Ok).unwrap();
        s.step(&Step::Raise(0), &Observed::Ok).unwrap();
        let timed = Step::Wait(1, WaitFor::For(std::time::Duration::from_millis(5)));
        assert!(s.step(&timed, &none()).is_err());
    }

    #[test]
    fn io_uring_cancel_of_a_woken_poll_may_still_find_it_while_its_task_work_is_pending() {
        // F3, now in the profile: a woken poll whose completion is still
        // task work answers -ENOENT (decided), or 0 / -EALREADY (the
        // cancel still finds it). An answer io_uring never gives (Removed,
        // the unified Sync answer) is refused.
        let woken = || {
            let mut s = Stepper::new(IO_URING, SourceKind::Level, Mode::Oneshot, 1).unwrap();
            s.step(&Step::Register(0), &Observed::Ok).unwrap();
            s.step(&Step::Raise(0), &Observed::Ok).unwrap();
            s
        };
        let answer = |answer, raw: &str| Observed::Answer {
            answer,
            raw: raw.into(),
            final_first: Some(false),
        };
        for (a, raw) in [
            (onering_model::Answer::Cancelled, "0"),
            (onering_model::Answer::TooLate, "-ENOENT"),
        ] {
            woken()
                .step(&Step::Cancel(0, CancelHow::Default), &answer(a, raw))
                .unwrap_or_else(|m| panic!("{raw} refused: {:?}", m.allowed));
        }
        let m = woken()
            .step(
                &Step::Cancel(0, CancelHow::Default),
                &answer(onering_model::Answer::Removed, "removed"),
            )
            .unwrap_err();
        assert!(
            !m.allowed.iter().any(|a| a.starts_with("Removed")),
            "{:?}",
            m.allowed
        );
    }

    #[test]
    fn a_cancelled_final_may_arrive_in_a_later_wait() {
        let mut s = Stepper::new(IO_URING, SourceKind::Level, Mode::Oneshot, 1).unwrap();
        s.step(&Step::Register(0), &Observed::Ok).unwrap();
        let cancelled = Observed::Answer {
            answer: onering_model::Answer::Cancelled,
            raw: "0".into(),
            final_first: Some(false),
        };
        s.step(&Step::Cancel(0, CancelHow::Default), &cancelled)
            .unwrap();
        let fin = Observed::Events(vec![Ev {
            key: 0,
            current: true,
            gen: 0,
            kind: EventKind::Final(Outcome::Cancelled),
        }]);
        s.step(&POLL, &fin).unwrap();
        assert!(s.step(&POLL, &fin).is_err(), "exactly one final");
    }
}
