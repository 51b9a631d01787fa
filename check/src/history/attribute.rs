//! Which group of a split `operation` or `futex` source each completion,
//! stream item and futex wake acted on.
//!
//! A readiness source's environment steps act on every registration alike,
//! so its groups all carry them ([`super::partition`], rule 4). A
//! completion or a stream item acts on **one** in-flight registration of
//! its source, and `futex_wake(n)` releases **some** of its waiters
//! ([`onering_model::Recorded::Complete`],
//! [`onering_model::Recorded::FutexWake`]); the history names the source,
//! not the registration. Splitting such a source into groups of at most
//! [`onering_model::MAX_KEYS`] registrations is therefore only exact once
//! each such step is given to the group (for a wake: to the groups, with
//! how many of each) it acted on. This module guesses that from the
//! history's own evidence and the checker then judges in two passes:
//!
//! 1. **Attributed.** Every registration's evidence of a step (a final
//!    event `Done` or an item returned by a wait, a cancel answering
//!    `removed` with a `Done` completion) is matched to a step of the
//!    source that can have produced it: invoked before the evidence's call
//!    returned, returned after the registration's `register` was invoked.
//!    Evidences are taken by deadline (their call's return) and each gets
//!    the eligible step that returned first (the greedy order that is
//!    optimal for matching intervals to points). A wake may release as
//!    many as its recorded count, each waiter once. What a step has left
//!    (a completion no final shows, waiters released whose final the
//!    history never delivers) goes to registrations with no evidence that
//!    can be in flight then: first those that never visibly end (one whose
//!    cancel was answered, or whose final was flagged cancelled, was most
//!    likely not completed), then in order of registration. Each completion or item is then
//!    an operation of its group's part only; each wake is one of every
//!    group's part, releasing that group's share
//!    ([`onering_model::Recorded::FutexWakeShare`]), the shares summing to
//!    its count. If every group linearizes so, the history is
//!    linearizable: the per-group linearizations are one of the whole
//!    source in which each step acts on the registrations it was given,
//!    composed as the groups of a readiness source are (they meet only in
//!    the ready queue's order and a batch's size, which each group sees as
//!    it sees other sources' events), and each wake releases its recorded
//!    count in all, under the profile's rule (where a wake releases every
//!    waiter, every group's waiters are released).
//! 2. **Relaxed**, only where pass 1 failed or found no attribution: each
//!    group's part carries **every** such step of the source, a completion
//!    or item as optional (it may have acted on another group), a wake
//!    releasing any number of the group's waiters up to `min(n, count)`
//!    (or all of them, where the profile's rule releases every waiter).
//!    One thing is taken out: what another group's evidence shows a step
//!    acted on. An evidence that only one step can have produced, by time
//!    alone (the step invoked before the evidence's call returned and
//!    returned after the registration was invoked, no other such step of
//!    its kind), was produced by that step in every linearization; so a
//!    completion or item forced so for another group is not in this
//!    group's part, and a wake's bound here is less the other groups'
//!    waiters forced on it. Every linearization of the whole source
//!    projects onto each group as one of these, so a group that fails here
//!    fails the whole history: not linearizable, with that group's
//!    failure.
//!
//! A history that passes pass 2 but not pass 1 gets no verdict (exit 2,
//! saying so): no attribution found makes every group linearize, yet no
//! group alone refutes it. This is the one place a guess is left: pass 1
//! tries one attribution, not every one. Its cases are a step whose group
//! the greedy match got wrong while another match works (several
//! completions of overlapping intervals, each of which could have
//! produced several finals), and a history whose steps produced more in
//! all than their counts, where each evidence could have come from more
//! than one step and no group alone saw more than the steps could give it
//! (`check/tests/history_many_registrations.rs` pins one: two wakes of
//! one, three finals after both).

use super::linearize::Fx;
use super::parse::{Call, EvKind, KeyRef, Op, Res};
use onering_model::{Answer, Outcome};
use std::collections::HashMap;

/// What a picking step of a split source acted on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(super) enum Pick {
    /// A completion or stream item: the group of the registration.
    Group(u32),
    /// A futex wake: how many waiters of each group it released (groups
    /// not named: none), by group.
    Shares(Vec<(u32, u32)>),
}

/// The attribution of a history's picking steps (see the module doc).
#[derive(Default)]
pub(super) struct Attribution {
    /// Per call (index into the history) of a split source's completion,
    /// stream item or wake: what it acted on.
    pub picks: HashMap<usize, Pick>,
    /// Per split source with no attribution: the call it fails at, and
    /// why.
    pub failed: HashMap<u32, (usize, String)>,
    /// Per call of a picking step, per group: how many of the group's
    /// registrations' evidences no other step can have produced (by time
    /// alone), so that in every linearization it acted on them. Pass 2
    /// takes them out of the other groups' share (a completion or item, a
    /// wake's count).
    pub forced: HashMap<usize, Vec<(u32, u32)>>,
}

/// The count of `group` in a sparse per-group list.
pub(super) fn of_group(counts: &[(u32, u32)], group: u32) -> u32 {
    counts.iter().find(|(g, _)| *g == group).map_or(0, |x| x.1)
}

/// Adds one to `group`'s count in a sparse per-group list.
fn add_one(counts: &mut Vec<(u32, u32)>, group: u32) {
    match counts.iter_mut().find(|(g, _)| *g == group) {
        Some(x) => x.1 += 1,
        None => counts.push((group, 1)),
    }
}

/// What a step supplies and an evidence needs.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Debug)]
enum Supply {
    /// A `Done` final: a completion that was not flagged cancelled, or a
    /// futex wake.
    Done,
    /// A stream item.
    Item,
    /// A final flagged cancelled (only a recorded `complete` with
    /// `cancelled`; the kernel may also post one no call records).
    CancelledFinal,
}

/// A step that can act on a registration: its call, interval, what it
/// supplies and how many registrations it may act on.
struct Step {
    call: usize,
    line: usize,
    /// A futex wake (else a completion or item).
    wake: bool,
    start: u64,
    end: u64,
    supply: Supply,
    left: u32,
    /// Registrations it acted on.
    on: Vec<KeyRef>,
}

/// A registration's evidence of a step: the registration, what it needs,
/// and by when (the return of the call that shows it).
struct Evidence {
    call: usize,
    key: KeyRef,
    need: Supply,
    by: u64,
    line: usize,
}

/// The attribution of the picking steps of the sources in `split` (each
/// with its number of groups), given each registration's source and group.
pub(super) fn attribute(
    calls: &[Call],
    key_source: &HashMap<KeyRef, u32, Fx>,
    group_of: &HashMap<KeyRef, u32>,
    split: &HashMap<u32, u32>,
) -> Attribution {
    let mut out = Attribution::default();
    if split.is_empty() {
        return out;
    }
    let mut steps: HashMap<u32, Vec<Step>> = HashMap::new();
    let mut evidence: HashMap<u32, Vec<Evidence>> = HashMap::new();
    // Per registration: its register's interval, and when it visibly ended
    // otherwise (a terminal cancel answer, a cancelled final).
    let mut reg: HashMap<KeyRef, (u64, u64)> = HashMap::new();
    let mut ended: HashMap<KeyRef, u64> = HashMap::new();
    let src_of = |k: &KeyRef| key_source.get(k).copied().filter(|s| split.contains_key(s));
    for (ci, c) in calls.iter().enumerate() {
        if matches!(c.result, Some(Res::Error(_))) {
            continue;
        }
        let end = c.ret.unwrap_or(u64::MAX);
        let mut step = |source: u32, supply: Supply, left: u32| {
            if split.contains_key(&source) {
                steps.entry(source).or_default().push(Step {
                    call: ci,
                    line: c.line,
                    wake: matches!(c.op, Op::FutexWake { .. }),
                    start: c.call,
                    end,
                    supply,
                    left,
                    on: Vec::new(),
                });
            }
        };
        match (&c.op, &c.result) {
            (Op::Complete { source, cancelled }, _) => {
                let supply = if *cancelled {
                    Supply::CancelledFinal
                } else {
                    Supply::Done
                };
                step(*source, supply, 1);
            }
            (Op::StreamItem { source }, _) => step(*source, Supply::Item, 1),
            (Op::FutexWake { source, .. }, Some(Res::Count(n))) => {
                step(*source, Supply::Done, *n);
            }
            (Op::FutexWake { source, .. }, _) if split.contains_key(source) => {
                out.failed.entry(*source).or_insert((
                    ci,
                    format!("the futex_wake of line {} has no recorded count", c.line),
                ));
            }
            (Op::Register { .. }, Some(Res::Key(k))) if src_of(k).is_some() => {
                reg.insert(*k, (c.call, end));
            }
            (Op::Cancel { key, .. }, Some(Res::Cancel(a))) => {
                let Some(s) = src_of(key) else { continue };
                match a {
                    Answer::RemovedWith(Outcome::Done) => {
                        evidence.entry(s).or_default().push(Evidence {
                            call: ci,
                            key: *key,
                            need: Supply::Done,
                            by: end,
                            line: c.line,
                        });
                    }
                    Answer::Removed | Answer::RemovedWith(_) | Answer::NotFound => {
                        let e = ended.entry(*key).or_insert(end);
                        *e = (*e).min(end);
                    }
                    _ => {}
                }
            }
            (Op::Wait { .. }, Some(Res::Events(evs))) => {
                for e in evs {
                    let Some(s) = src_of(&e.key) else { continue };
                    let need = match e.kind {
                        EvKind::Final(Outcome::Done) => Supply::Done,
                        EvKind::Final(Outcome::Cancelled) => Supply::CancelledFinal,
                        EvKind::Item => Supply::Item,
                        EvKind::Ready => continue,
                    };
                    if need == Supply::CancelledFinal {
                        let x = ended.entry(e.key).or_insert(end);
                        *x = (*x).min(end);
                    }
                    evidence.entry(s).or_default().push(Evidence {
                        call: ci,
                        key: e.key,
                        need,
                        by: end,
                        line: c.line,
                    });
                }
            }
            _ => {}
        }
    }
    let mut sources: Vec<u32> = split.keys().copied().collect();
    sources.sort_unstable();
    for source in sources {
        if out.failed.contains_key(&source) {
            continue;
        }
        let mut st = steps.remove(&source).unwrap_or_default();
        let mut ev = evidence.remove(&source).unwrap_or_default();
        let mine: HashMap<KeyRef, (u64, u64)> = reg
            .iter()
            .filter(|(k, _)| key_source.get(*k) == Some(&source))
            .map(|(k, r)| (*k, *r))
            .collect();
        ev.sort_by_key(|e| (e.by, e.line));
        forced(&st, &ev, &mine, group_of, &mut out.forced);
        match match_source(&mut st, &ev, &mine, &ended) {
            Ok(()) => {
                for s in st {
                    let pick = if s.wake {
                        let mut shares = Vec::new();
                        for k in &s.on {
                            add_one(&mut shares, group_of[k]);
                        }
                        shares.sort_unstable();
                        Pick::Shares(shares)
                    } else {
                        // `match_source` gave every completion and item one.
                        Pick::Group(s.on.first().map_or(0, |k| group_of[k]))
                    };
                    out.picks.insert(s.call, pick);
                }
            }
            Err(why) => {
                out.failed.insert(source, why);
            }
        }
    }
    out
}

/// Adds to `out` the evidences of one source that only one of its steps
/// can have produced (invoked before the evidence's call returned,
/// returned after the registration was invoked): that step acted on the
/// evidence's registration in every linearization. A final flagged
/// cancelled is left out (the kernel may post it with no recorded step).
fn forced(
    steps: &[Step],
    evidence: &[Evidence],
    reg: &HashMap<KeyRef, (u64, u64)>,
    group_of: &HashMap<KeyRef, u32>,
    out: &mut HashMap<usize, Vec<(u32, u32)>>,
) {
    let mut done: std::collections::HashSet<KeyRef> = Default::default();
    let mut sweep = Sweep::new(steps);
    for e in evidence {
        sweep.open_before(steps, e.by);
        if e.need == Supply::CancelledFinal || e.need == Supply::Done && !done.insert(e.key) {
            continue;
        }
        let from = reg.get(&e.key).map_or(0, |r| r.0);
        let mut can = sweep.eligible(e.need, from);
        if let (Some(only), None) = (can.next(), can.next()) {
            add_one(out.entry(steps[only].call).or_default(), group_of[&e.key]);
        }
    }
}

/// The steps invoked before a deadline that grows (evidences are taken by
/// deadline), by what they supply and when they returned: the steps that
/// can have produced an evidence are a range of it, found in `O(log n)`
/// (a scan of every step per evidence made a history of 100k completions
/// quadratic).
struct Sweep {
    /// Steps by invocation.
    order: Vec<usize>,
    /// Steps of `order` opened so far.
    next: usize,
    /// Open steps: (supply, return, invocation, index).
    open: std::collections::BTreeSet<(Supply, u64, u64, usize)>,
}

impl Sweep {
    fn new(steps: &[Step]) -> Sweep {
        let mut order: Vec<usize> = (0..steps.len()).collect();
        order.sort_by_key(|&i| steps[i].start);
        Sweep {
            order,
            next: 0,
            open: Default::default(),
        }
    }

    /// Opens every step invoked before `by` that can act on one (a wake
    /// that released none cannot).
    fn open_before(&mut self, steps: &[Step], by: u64) {
        while let Some(&i) = self.order.get(self.next) {
            if steps[i].start >= by {
                break;
            }
            if steps[i].left > 0 {
                self.open
                    .insert((steps[i].supply, steps[i].end, steps[i].start, i));
            }
            self.next += 1;
        }
    }

    /// The open steps supplying `need` that returned after `from`, the
    /// first returned first.
    fn eligible(&self, need: Supply, from: u64) -> impl Iterator<Item = usize> + '_ {
        self.open
            .range((need, from.saturating_add(1), 0, 0)..=(need, u64::MAX, u64::MAX, usize::MAX))
            .map(|x| x.3)
    }

    /// Closes step `i` (nothing left of it).
    fn close(&mut self, steps: &[Step], i: usize) {
        self.open
            .remove(&(steps[i].supply, steps[i].end, steps[i].start, i));
    }
}

/// Matches one source's evidences to its steps (see the module doc),
/// then gives what steps have left to registrations with no evidence.
fn match_source(
    steps: &mut [Step],
    evidence: &[Evidence],
    reg: &HashMap<KeyRef, (u64, u64)>,
    ended: &HashMap<KeyRef, u64>,
) -> Result<(), (usize, String)> {
    let registered = |k: &KeyRef| reg.get(k).map_or(0, |r| r.0);
    // Registrations with a `Done` evidence already matched: a `Done` comes
    // once (a second one is the group search's to refuse).
    let mut done: std::collections::HashSet<KeyRef> = Default::default();
    let mut sweep = Sweep::new(steps);
    for e in evidence.iter() {
        sweep.open_before(steps, e.by);
        if e.need == Supply::Done && !done.insert(e.key) {
            continue;
        }
        // Steps with nothing left are closed, so the first eligible one
        // has room.
        let best = sweep.eligible(e.need, registered(&e.key)).next();
        match best {
            Some(i) => {
                let s = &mut steps[i];
                s.left -= 1;
                s.on.push(e.key);
                if s.left == 0 {
                    sweep.close(steps, i);
                }
            }
            // A final flagged cancelled may come from the kernel alone.
            None if e.need == Supply::CancelledFinal => {}
            None => {
                return Err((e.call, format!(
                    "no completion or wake of the source can have produced the {} of key {} returned at line {}",
                    match e.need {
                        Supply::Item => "item",
                        _ => "final event",
                    },
                    e.key,
                    e.line
                )));
            }
        }
    }
    // What is left: to registrations with no evidence that can be in
    // flight at the step, first those that never visibly ended (a
    // registration cancelled, or whose final was flagged cancelled, was
    // most likely not the one completed or released), then by order of
    // registration.
    let mut quiet: Vec<(bool, u64, KeyRef)> = reg
        .keys()
        .filter(|k| !done.contains(k))
        .map(|k| (ended.contains_key(k), registered(k), *k))
        .collect();
    quiet.sort_unstable();
    let mut used: std::collections::HashSet<KeyRef> = Default::default();
    for s in steps.iter_mut() {
        while s.left > 0 {
            let alive =
                |k: &KeyRef| registered(k) < s.end && ended.get(k).is_none_or(|&e| e > s.start);
            let found = quiet
                .iter()
                .map(|(_, _, k)| *k)
                .find(|k| alive(k) && (s.supply == Supply::Item || !used.contains(k)));
            match found {
                Some(k) => {
                    if s.supply != Supply::Item {
                        used.insert(k);
                    }
                    s.left -= 1;
                    s.on.push(k);
                }
                None => {
                    return Err((s.call, format!(
                        "the {} of line {} acted on more registrations than the history shows can have been in flight then",
                        if s.wake {
                            "futex wake"
                        } else {
                            "completion or item"
                        },
                        s.line
                    )));
                }
            }
        }
    }
    Ok(())
}
