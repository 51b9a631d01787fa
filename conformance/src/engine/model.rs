//! The model itself as an engine: each step takes the model's first
//! outcome. Runs the corpus's exact expectations against the model, so a
//! case that states something the profile does not say fails here first.

use super::{Engine, EngineError};
use crate::case::{Case, Step, WaitFor};
use crate::observe::Observed;
use crate::stepper;
use onering_model::{Action, CancelMode, Model, Phase, Rules, Scenario, State, Step as MStep};
use std::sync::Mutex;

pub struct ModelEngine {
    model: Model,
    state: Mutex<State>,
}

impl ModelEngine {
    pub fn new(case: &Case, rules: Rules) -> Result<Self, EngineError> {
        if case.threads.len() > 1 {
            return Err(EngineError::NotApplicable(
                "the model engine runs single-threaded cases (the explorer covers every interleaving: onering check)".into(),
            ));
        }
        let model = Model::for_histories(rules, Scenario::new(case.kind, case.mode), 1, case.keys)
            .map_err(|e| EngineError::NotApplicable(e.to_string()))?;
        Ok(ModelEngine {
            state: Mutex::new(model.init_free()),
            model,
        })
    }

    fn first(&self, s: &State, a: Action) -> Option<MStep> {
        let mut out = Vec::new();
        self.model.apply(s, a, &mut out);
        out.into_iter().next()
    }
}

impl Engine for ModelEngine {
    fn step(&self, _thread: usize, step: &Step) -> Observed {
        let mut guard = self.state.lock().unwrap_or_else(|p| p.into_inner());
        let s = *guard;
        let a = match *step {
            Step::Register(k) => Action::Register { thread: 0, key: k },
            Step::Modify(k, mode) => Action::Modify {
                thread: 0,
                key: k,
                mode,
            },
            Step::Rearm(k) => Action::Rearm { thread: 0, key: k },
            Step::Cancel(k, how) => Action::Cancel {
                thread: 0,
                key: k,
                mode: if how == crate::case::CancelHow::Reap {
                    CancelMode::Reap
                } else if self.model.is_request() {
                    CancelMode::Async
                } else {
                    CancelMode::Sync
                },
            },
            Step::Consume(k) => Action::Consume { thread: 0, key: k },
            Step::Wait(max, how) => Action::Wait {
                thread: 0,
                max,
                block: how != WaitFor::Poll,
            },
            Step::Raise(k) => Action::Raise { key: k },
            Step::Lower(k) => Action::Lower { key: k },
            Step::Close(k) => Action::Close { key: k },
            Step::Complete(k) => Action::Complete { key: k },
            Step::StreamItem(k) => Action::StreamItem { key: k },
            Step::FutexWake(n) => Action::FutexWake { n },
            Step::FutexChange | Step::Sleep(_) => return Observed::Ok,
        };
        let Some(st) = self.first(&s, a) else {
            return Observed::Refused("not enabled in the model".into());
        };
        let seen = stepper::show(&s, step, &st.shown);
        let mut next = st.next;
        // The kernel posts a cancelled operation's final, then the cancel's
        // answer arrives; a parked single thread times out.
        if let Step::Cancel(k, _) = step {
            if let Some(p) = self.first(&next, Action::PostFinal { key: *k }) {
                next = p.next;
            }
            if matches!(next.threads[0].phase, Phase::Cancelling(..)) {
                if let Some(r) = self.first(&next, Action::CancelReturn { thread: 0 }) {
                    next = r.next;
                }
            }
        }
        if let Phase::Blocked(_) = next.threads[0].phase {
            if let Step::Wait(_, WaitFor::For(_)) = step {
                if let Some(t) = self.first(&next, Action::Timeout { thread: 0 }) {
                    next = t.next;
                }
            }
        }
        *guard = next;
        seen
    }
}
