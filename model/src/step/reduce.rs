//! Reductions the model proves sound: dead variables (clear what nothing
//! later reads) and partial order (independent keys at the tail). Symmetry
//! (renaming threads, keys and generations) is [`crate::symmetry`].

use super::Ctx;
use crate::rules::CloseRule;
use crate::scenario::SourceKind;
use crate::state::{Phase, State};
use crate::{Model, Step};

impl Model {
    /// Partial-order reduction over independent keys: the key whose steps
    /// alone need exploring from `s`, given its enabled `steps`, if any.
    ///
    /// Once no thread will wait again (every thread idle with no operations
    /// left), what remains are environment and kernel steps, each acting on
    /// one key: its condition, its registration, its own queue entries. The
    /// queue's order is dead then (the dead-variable reduction keeps it
    /// sorted), so steps of different keys commute, neither enables nor
    /// disables the other, and every judgement made from here on (coalescing,
    /// terminal outcomes at quiescence) is per key. The steps of one key form
    /// a persistent set: exploring the lowest key's steps first, then the
    /// next key's, reaches every per-key configuration (the state graph is
    /// acyclic, so no cycle proviso is needed). `futex_wake` acts on every
    /// waiter at once, so scenarios with a futex key are not reduced, nor
    /// are scenarios where one source stands behind several keys (a step on
    /// it acts on all of them).
    pub fn independent_key(&self, s: &State, steps: &[Step]) -> Option<u8> {
        if !self.budgets
            || !self.dead_variables
            || self.keys().any(|k| self.kind(k) == SourceKind::Futex)
            || self.scenario.has_shared_source()
            || !s.all_done()
        {
            return None;
        }
        let mut first: Option<u8> = None;
        for st in steps {
            let k = st.action.env_key()?;
            first = Some(first.map_or(k, |f| f.min(k)));
        }
        first
    }
}

impl Ctx<'_> {
    /// Dead-variable reduction: clears what no later step or judgement can
    /// read, so that states differing only there are one state.
    ///
    /// * A thread that is idle with no operations left never waits again:
    ///   its wait snapshot (read only when an event is delivered to it) is
    ///   dead.
    /// * A closed source whose registration went with it takes no more
    ///   environment steps: its budget is dead.
    /// * When no thread will ever wait again, nothing reads the queue's
    ///   order any more (later steps and judgements only ask what is queued,
    ///   never in which order): the queue is kept sorted, and overtaking
    ///   counts are dead.
    pub(super) fn forget_dead(&mut self) {
        let mut all_done = true;
        for t in self.m.threads() {
            let th = &mut self.s.threads[t as usize];
            if th.phase == Phase::Idle && th.ops_left == 0 {
                th.snapshot = 0;
            } else {
                all_done = false;
            }
        }
        // A closed source whose registration went with it takes no more
        // environment steps (raise, lower and close are all disabled): its
        // budget is dead.
        if self.r.close != CloseRule::Survives {
            for k in self.m.keys() {
                let readiness = self.m.kind(k).is_readiness();
                let ks = &mut self.s.keys[k as usize];
                if readiness && ks.closed {
                    ks.env_left = 0;
                }
            }
        }
        if all_done {
            self.s.sort_queue();
            for k in self.s.keys.iter_mut() {
                k.overtakers = 0;
            }
        }
    }
}
