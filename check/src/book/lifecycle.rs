//! One key's life under a profile, read off the model's own transitions: a
//! profile's scenario is explored exhaustively at [`SMALL`] (no reductions,
//! so every transition of every reachable state is seen) and every step is
//! projected onto the one key's [`Reg`]. What the profile pages' step tables
//! and the lifecycle diagrams show comes from here, not from prose.

use onering_model::{Action, Bound, BoundError, EventKind, Model, Reg, Rules, Scenario, State};
use std::collections::{BTreeMap, BTreeSet, HashSet, VecDeque};

/// The small bound: two threads (so holds, `Pending` and races appear), one
/// key (so every step is about it), three operations per thread, two
/// environment steps, batches of one.
pub const SMALL: Bound = Bound {
    threads: 2,
    keys: 1,
    ops: 3,
    env: 2,
    batch: 1,
};

/// What one kind of step was seen to do to the key.
#[derive(Clone, Debug, Default)]
pub struct StepFacts {
    /// Registration states in which the step was enabled.
    pub pre: BTreeSet<Reg>,
    /// Registration changes it made (`from`, `to`), self-moves included.
    pub moves: BTreeSet<(Reg, Reg)>,
    /// What it returned, in the mechanism's words (answers, batches).
    pub results: BTreeSet<String>,
    /// What it did to the key's queued events (`queues ready`, `removes final(done)`).
    pub queue: BTreeSet<String>,
}

/// One scenario's projected lifecycle.
#[derive(Clone, Debug)]
pub struct Lifecycle {
    /// The scenario explored.
    pub scenario: Scenario,
    /// Whether the key is a request (submission) rather than a persistent
    /// registration ([`Model::is_request`]).
    pub request: bool,
    /// The key's state in the initial state.
    pub initial: Reg,
    /// Distinct states explored.
    pub states: usize,
    /// Per step name (model vocabulary, no thread or key index).
    pub steps: BTreeMap<String, StepFacts>,
    /// Diagram edges: (from, to) → step name → results.
    pub edges: BTreeMap<(Reg, Reg), BTreeMap<String, BTreeSet<String>>>,
}

/// The model's name of a step, without thread or key: `wait`,
/// `cancel(sync)`, `modify(level)`, `raise`, ...
pub fn step_name(a: &Action, request: bool) -> String {
    match *a {
        Action::Wait { .. } => "wait".into(),
        Action::Harvest { .. } => "woken wait returns".into(),
        Action::Register { .. } if request => "submit".into(),
        Action::Register { .. } => "register".into(),
        Action::Modify { mode, .. } => format!("modify({})", mode.name()),
        Action::Rearm { .. } => "rearm".into(),
        Action::Cancel { mode, .. } => format!("cancel({})", mode.name()),
        Action::Consume { .. } => "consume".into(),
        Action::CancelReturn { .. } => "cancel answer arrives".into(),
        Action::Raise { .. } => "raise".into(),
        Action::Lower { .. } => "lower".into(),
        Action::Complete { .. } => "complete".into(),
        Action::StreamItem { .. } => "stream_item".into(),
        Action::Close { .. } => "close".into(),
        Action::FutexWake { .. } => "futex_wake".into(),
        Action::Timeout { .. } => "timeout_expires".into(),
        Action::PostFinal { .. } => "kernel posts final".into(),
    }
}

/// An event kind as the mechanism reports it.
pub fn event_name(rules: &Rules, k: EventKind) -> String {
    match k {
        EventKind::Ready => "ready".into(),
        EventKind::Item => "item".into(),
        EventKind::Final(o) => format!("final({})", rules.outcome_name(o)),
    }
}

fn queue_counts(rules: &Rules, s: &State) -> BTreeMap<String, usize> {
    let mut m = BTreeMap::new();
    for e in s.queue().iter().filter(|e| e.key() == 0) {
        *m.entry(event_name(rules, e.kind())).or_insert(0) += 1;
    }
    m
}

/// Explores `scenario` under `rules` at [`SMALL`] and projects every
/// transition onto key 0.
pub fn explore(rules: Rules, scenario: Scenario) -> Result<Lifecycle, BoundError> {
    let mut model = Model::new(rules, scenario, SMALL)?;
    model.dead_variables = false;
    let request = model.is_request();
    let init = model.init();
    let mut seen: HashSet<State> = HashSet::new();
    let mut todo = VecDeque::new();
    seen.insert(init);
    todo.push_back(init);
    let mut lc = Lifecycle {
        scenario,
        request,
        initial: init.keys[0].reg,
        states: 0,
        steps: BTreeMap::new(),
        edges: BTreeMap::new(),
    };
    let mut out = Vec::new();
    while let Some(s) = todo.pop_front() {
        lc.states += 1;
        out.clear();
        model.successors(&s, &mut out);
        let before = queue_counts(&rules, &s);
        for st in &out {
            let name = step_name(&st.action, request);
            let (from, to) = (s.keys[0].reg, st.next.keys[0].reg);
            let mut results = BTreeSet::new();
            if let Some(a) = st.shown.answer {
                // After `close` the fd number may no longer name the
                // registration, which the key's Reg alone does not show.
                let closed = if s.keys[0].closed {
                    " (source closed)"
                } else {
                    ""
                };
                results.insert(format!("`{}`{closed}", rules.answer_name(a)));
            }
            if st.shown.returned {
                let batch: Vec<String> = st
                    .shown
                    .batch()
                    .filter(|e| e.key() == 0)
                    .map(|e| event_name(&rules, e.kind()))
                    .collect();
                results.insert(if batch.is_empty() {
                    "returns nothing".into()
                } else {
                    format!("returns {}", batch.join(", "))
                });
            } else if matches!(st.action, Action::Wait { block: true, .. }) {
                results.insert("parks".into());
            }
            if st.shown.released & 1 != 0 {
                results.insert("releases the waiter".into());
            }
            let after = queue_counts(&rules, &st.next);
            let mut queue = BTreeSet::new();
            for k in before.keys().chain(after.keys()) {
                let (b, a) = (before.get(k).copied(), after.get(k).copied());
                match a.unwrap_or(0).cmp(&b.unwrap_or(0)) {
                    std::cmp::Ordering::Greater => queue.insert(format!("queues {k}")),
                    std::cmp::Ordering::Less => queue.insert(format!("removes {k}")),
                    std::cmp::Ordering::Equal => false,
                };
            }
            // A wait that took nothing but removed an event dropped it as
            // stale (disarmed, or the condition went away).
            if st.shown.returned && st.shown.batch().all(|e| e.key() != 0) {
                for q in queue.iter().filter_map(|q| q.strip_prefix("removes ")) {
                    results.insert(format!("drops a stale {q}"));
                }
            }
            // Holds (a rule in `unified`, a ghost elsewhere): a thread is
            // done with its event at its next wait, rearm or cancel.
            let (h0, h1) = (s.keys[0].holders, st.next.keys[0].holders);
            if h0 & !h1 != 0 {
                results.insert("releases a hold".into());
            }
            let facts = lc.steps.entry(name.clone()).or_default();
            facts.pre.insert(from);
            facts.moves.insert((from, to));
            facts.results.extend(results.iter().cloned());
            facts.queue.extend(queue.iter().cloned());
            // A self-loop is drawn only when the step did something to the
            // registration: returned, queued or removed one of its events,
            // answered, or changed its mode, generation or cancel request
            // (not the source's condition or who holds it, which the table
            // shows).
            let (a, b) = (s.keys[0], st.next.keys[0]);
            let about_key = from != to
                || results.iter().any(|r| {
                    !matches!(r.as_str(), "returns nothing" | "parks" | "releases a hold")
                })
                || !queue.is_empty()
                || (a.mode, a.gen, a.cancel, a.pending_edge)
                    != (b.mode, b.gen, b.cancel, b.pending_edge);
            if about_key {
                let labels = lc.edges.entry((from, to)).or_default();
                let r = labels.entry(name).or_default();
                r.extend(results.into_iter().filter(|r| {
                    !matches!(r.as_str(), "returns nothing" | "parks" | "releases a hold")
                }));
            }
            if seen.insert(st.next) {
                todo.push_back(st.next);
            }
        }
    }
    Ok(lc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use onering_model::{Mode, SourceKind, EPOLL, IO_URING, UNIFIED};

    fn lc(r: Rules, s: SourceKind, m: Mode) -> Lifecycle {
        explore(r, Scenario::new(s, m)).unwrap()
    }

    #[test]
    fn epoll_ctl_del_answers_0_or_enoent_and_frees_the_key() {
        let l = lc(EPOLL, SourceKind::Level, Mode::Level);
        let del = &l.steps["cancel(sync)"];
        assert!(del.results.contains("`0`"), "{:?}", del.results);
        assert!(del.results.iter().any(|r| r.starts_with("`ENOENT`")));
        assert!(del.moves.contains(&(Reg::Armed, Reg::Free)));
        // No CancelPending in epoll: DEL never waits for a holder.
        assert!(!l.edges.keys().any(|(_, t)| *t == Reg::CancelPending));
    }

    #[test]
    fn unified_cancel_while_held_goes_through_cancel_pending() {
        let l = lc(UNIFIED, SourceKind::Level, Mode::Dispatch);
        let e = &l.edges[&(Reg::Armed, Reg::CancelPending)];
        assert!(e["cancel(sync)"].contains("`Pending`"), "{e:?}");
        assert!(l.edges[&(Reg::CancelPending, Reg::Free)].contains_key("wait"));
    }

    #[test]
    fn io_uring_cancel_answers_in_its_own_words() {
        let l = lc(IO_URING, SourceKind::Operation, Mode::Single);
        assert!(l.request && l.initial == Reg::InFlight);
        let c = &l.steps["cancel(async)"].results;
        for want in ["`0`", "`-EALREADY`", "`-ENOENT`"] {
            assert!(c.contains(want), "{want} not in {c:?}");
        }
    }
}
