//! Linearizability of one part against the model: Wing & Gong's search with
//! Lowe's just-in-time list of call and return events and a memo of
//! (linearized set, model configuration), as in porcupine.
//!
//! An operation is tried at the earliest call event still in the list; it
//! linearizes if some outcome of the model's step agrees with the recorded
//! result (the model is nondeterministic: every agreeing outcome is a branch).
//! Reaching a return event means the operations before it could not be
//! ordered: backtrack. Calls that never returned may stay unlinearized.
//!
//! The model runs with thread slots, not thread names: a history thread
//! takes a slot while it holds an event of this part (or is inside a call)
//! and gives it back afterwards, so any number of threads fit as long as at
//! most four hold events of one source at once. Ghost fields, which no rule
//! reads, are cleared so that the memo recognises equal configurations.

use super::parse::EvKind;
use super::partition::{PEv, PKind, POp, Part};
use onering_model::{
    Action, EventKind, Model, Phase, Rules, Scenario, State, Step, MAX_BATCH, MAX_THREADS,
};
use std::collections::HashSet;

const FREE: u32 = u32::MAX;

/// A model state plus which history thread holds each thread slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cfg {
    state: State,
    slots: [u32; MAX_THREADS as usize],
}

/// What checking one part found.
#[derive(Clone, Debug)]
pub struct PartOutcome {
    /// Whether the part is linearizable.
    pub ok: bool,
    /// Op indices (into the part) of the longest partial linearization
    /// found, in order (only when asked for).
    pub longest: Vec<usize>,
    /// Configurations explored.
    pub explored: u64,
}

/// A history the checker cannot represent (not a verdict).
#[derive(Clone, Debug)]
pub struct Unsupported {
    /// Index of the call in the whole history.
    pub call: usize,
    /// Why.
    pub message: String,
}

struct Ctx<'a> {
    rules: Rules,
    part: &'a Part,
    base: Model,
    scratch: Vec<Step>,
}

impl Ctx<'_> {
    fn model_for(&self, mode: onering_model::Mode) -> Model {
        Model::for_histories(
            self.rules,
            Scenario::new(self.part.kind, mode),
            MAX_THREADS,
            self.part.slots,
        )
        .expect("bounds checked when partitioning")
    }

    fn steps(&mut self, m: &Model, s: &State, a: Action) -> Vec<Step> {
        self.scratch.clear();
        m.apply(s, a, &mut self.scratch);
        std::mem::take(&mut self.scratch)
    }

    /// Applies `a` to every state; a state where `a` is not enabled is kept
    /// as it is when `optional`.
    fn each(&mut self, states: Vec<State>, a: Action, optional: bool) -> Vec<State> {
        let m = self.base;
        let mut out = Vec::new();
        for s in states {
            let st = self.steps(&m, &s, a);
            if st.is_empty() && optional {
                out.push(s);
            }
            out.extend(st.iter().filter(|x| !x.overflow).map(|x| x.next));
        }
        out
    }

    /// The configurations `op` can lead to from `cfg`, agreeing with its
    /// recorded result.
    fn apply(&mut self, op: &POp, cfg: &Cfg) -> Result<Vec<Cfg>, Unsupported> {
        // The calling thread's slot.
        let t = match cfg.slots.iter().position(|x| *x == op.thread) {
            Some(t) => t,
            None => cfg.slots.iter().position(|x| *x == FREE).ok_or_else(|| Unsupported {
                call: op.call,
                message: format!(
                    "more than {MAX_THREADS} threads hold events of source {} at once; the checker's model has {MAX_THREADS} thread slots",
                    self.part.source
                ),
            })?,
        } as u8;
        let s = cfg.state;
        let base = self.base;
        let key_gen = |k: u8| s.keys[k as usize].gen;
        let mut states: Vec<State> = match &op.kind {
            PKind::Register { slot, gen, mode } => {
                let m = self.model_for(*mode);
                self.steps(
                    &m,
                    &s,
                    Action::Register {
                        thread: t,
                        key: *slot,
                    },
                )
                .into_iter()
                .filter(|x| !x.overflow && x.next.keys[*slot as usize].gen == *gen)
                .map(|x| x.next)
                .collect()
            }
            PKind::Modify { slot, gen, mode } => {
                if key_gen(*slot) != *gen {
                    vec![]
                } else {
                    self.each(
                        vec![s],
                        Action::Modify {
                            thread: t,
                            key: *slot,
                            mode: *mode,
                        },
                        false,
                    )
                }
            }
            PKind::Rearm { slot, gen } => {
                if key_gen(*slot) != *gen {
                    vec![]
                } else {
                    // Re-arming an armed registration the caller does not
                    // hold changes nothing.
                    self.each(
                        vec![s],
                        Action::Rearm {
                            thread: t,
                            key: *slot,
                        },
                        true,
                    )
                }
            }
            PKind::Cancel {
                slot,
                gen,
                mode,
                answer,
            } => {
                if key_gen(*slot) != *gen {
                    vec![]
                } else {
                    let steps = self.steps(
                        &base,
                        &s,
                        Action::Cancel {
                            thread: t,
                            key: *slot,
                            mode: *mode,
                        },
                    );
                    let mut out = Vec::new();
                    for st in steps.iter().filter(|x| !x.overflow) {
                        if answer.is_some_and(|a| Some(a) != st.shown.answer) {
                            continue;
                        }
                        let mut n = st.next;
                        if let Phase::Cancelling(..) = n.threads[t as usize].phase {
                            // The answer of an asynchronous cancel arrives
                            // within the same call.
                            let r = self.steps(&base, &n, Action::CancelReturn { thread: t });
                            n = r[0].next;
                        }
                        out.push(n);
                    }
                    out
                }
            }
            PKind::Consume => {
                let mut v = vec![s];
                for k in 0..self.part.slots {
                    v = self.each(v, Action::Consume { thread: t, key: k }, true);
                }
                v
            }
            PKind::Release => base.release_holds(&s, t),
            PKind::Harvest {
                events,
                full,
                max,
                release,
            } => {
                let released = if *release {
                    base.release_holds(&s, t)
                } else {
                    vec![s]
                };
                let limit = (*max).min(MAX_BATCH as u32) as u8;
                let mut out = Vec::new();
                for s in released {
                    out.extend(self.harvest(op, s, t, events.as_deref(), *full, limit)?);
                }
                out
            }
            // One wake-up of a source with several registrations queues
            // them in an unspecified order: every order is an outcome.
            PKind::Raise => {
                let mut out = Vec::new();
                for order in orders(self.part.slots) {
                    let mut v = vec![s];
                    for key in order {
                        v = self.each(v, Action::Raise { key }, true);
                    }
                    for x in v {
                        if !out.contains(&x) {
                            out.push(x);
                        }
                    }
                }
                out
            }
            PKind::Lower => self.on_every_key(s, |key| Action::Lower { key }),
            PKind::Close => self.on_every_key(s, |key| Action::Close { key }),
            PKind::Complete { cancelled } => self.on_one_key(s, |key| {
                if *cancelled {
                    Action::PostFinal { key }
                } else {
                    Action::Complete { key }
                }
            }),
            PKind::StreamItem => self.on_one_key(s, |key| Action::StreamItem { key }),
            PKind::FutexWake { n, count } => {
                let n = (*n).min(255) as u8;
                self.steps(&base, &s, Action::FutexWake { n })
                    .into_iter()
                    .filter(|x| {
                        !x.overflow && count.is_none_or(|c| x.shown.released.count_ones() == c)
                    })
                    .map(|x| x.next)
                    .collect()
            }
        };
        if op.unknown && !matches!(op.kind, PKind::Harvest { .. }) {
            // An unknown result may also have been a refusal.
            states.push(s);
        }
        // Silent kernel steps: an operation whose cancel won may post its
        // final event at any time.
        let mut closed = Vec::new();
        for st in states {
            closed.extend(self.silent_closure(st));
        }
        let mut out = Vec::with_capacity(closed.len());
        for mut st in closed {
            normalise(&mut st);
            let mut slots = cfg.slots;
            slots[t as usize] = op.thread;
            let idle = st.threads[t as usize].phase == Phase::Idle;
            let holds = st.keys.iter().any(|k| k.holders & (1 << t) != 0);
            if idle && !holds {
                slots[t as usize] = FREE;
            }
            let c = Cfg { state: st, slots };
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(out)
    }

    /// A wait's harvest from `s` (holds already released), agreeing with
    /// the recorded events of this part.
    fn harvest(
        &mut self,
        op: &POp,
        s: State,
        t: u8,
        events: Option<&[PEv]>,
        full: bool,
        limit: u8,
    ) -> Result<Vec<State>, Unsupported> {
        let base = self.base;
        match events {
            None => {
                let mut out = vec![s];
                for m in 1..=limit {
                    out.extend(self.each(
                        vec![s],
                        Action::Wait {
                            thread: t,
                            max: m,
                            block: false,
                        },
                        false,
                    ));
                }
                Ok(out)
            }
            Some(evs) if evs.is_empty() && full => Ok(vec![s]),
            Some(evs) => {
                if evs.len() > MAX_BATCH as usize {
                    return Err(Unsupported {
                        call: op.call,
                        message: format!(
                            "a wait returned {} events of source {}; the checker's model delivers at most {MAX_BATCH} per wait",
                            evs.len(),
                            self.part.source
                        ),
                    });
                }
                let m = if full { evs.len() as u8 } else { limit };
                let steps = self.steps(
                    &base,
                    &s,
                    Action::Wait {
                        thread: t,
                        max: m,
                        block: false,
                    },
                );
                Ok(steps
                    .iter()
                    .filter(|x| !x.overflow && same_batch(x, evs))
                    .map(|x| x.next)
                    .collect())
            }
        }
    }

    fn on_every_key(&mut self, s: State, a: impl Fn(u8) -> Action) -> Vec<State> {
        let mut v = vec![s];
        for k in 0..self.part.slots {
            v = self.each(v, a(k), true);
        }
        v
    }

    fn on_one_key(&mut self, s: State, a: impl Fn(u8) -> Action) -> Vec<State> {
        let mut v = Vec::new();
        for k in 0..self.part.slots {
            v.extend(self.each(vec![s], a(k), false));
        }
        v
    }

    fn silent_closure(&mut self, s: State) -> Vec<State> {
        let mut out = vec![s];
        let mut i = 0;
        while i < out.len() {
            let cur = out[i];
            for k in 0..self.part.slots {
                let base = self.base;
                for st in self.steps(&base, &cur, Action::PostFinal { key: k }) {
                    if !st.overflow && !out.contains(&st.next) {
                        out.push(st.next);
                    }
                }
            }
            i += 1;
        }
        out
    }
}

/// Every ordering of the keys `0..n`.
fn orders(n: u8) -> Vec<Vec<u8>> {
    let mut out: Vec<Vec<u8>> = vec![vec![]];
    for k in 0..n {
        out = out
            .into_iter()
            .flat_map(|p| {
                (0..=p.len()).map(move |i| {
                    let mut q = p.clone();
                    q.insert(i, k);
                    q
                })
            })
            .collect();
    }
    out
}

fn same_batch(st: &Step, evs: &[PEv]) -> bool {
    let got: Vec<_> = st.shown.batch().collect();
    got.len() == evs.len()
        && got.iter().zip(evs).all(|(e, p)| {
            e.key() == p.slot
                && e.gen() == p.gen
                && match (e.kind(), p.kind) {
                    (EventKind::Ready, EvKind::Ready) => true,
                    (EventKind::Item, EvKind::Item) => true,
                    (EventKind::Final(a), EvKind::Final(b)) => a == b,
                    _ => false,
                }
        })
}

/// Clears fields no rule reads (ghosts and budgets).
fn normalise(s: &mut State) {
    for t in s.threads.iter_mut() {
        t.snapshot = 0;
    }
    for k in s.keys.iter_mut() {
        k.terminals = 0;
        k.owed = false;
        k.cancelled_gens = 0;
        k.overtakers = 0;
    }
}

/// Checks one part; `track` records the longest partial linearization.
/// Past `deadline` the search stops without a verdict (an [`Unsupported`]
/// whose `call` is `usize::MAX`).
pub fn check_part(
    part: &Part,
    ops: &[POp],
    rules: &Rules,
    track: bool,
    deadline: Option<std::time::Instant>,
) -> Result<PartOutcome, Unsupported> {
    let base = Model::for_histories(
        *rules,
        Scenario::new(part.kind, part.first_mode),
        MAX_THREADS,
        part.slots.max(1),
    )
    .map_err(|e| Unsupported {
        call: ops.first().map_or(0, |o| o.call),
        message: e.to_string(),
    })?;
    let mut cx = Ctx {
        rules: *rules,
        part,
        base,
        scratch: Vec::new(),
    };
    let mut init = base.init_free();
    normalise(&mut init);
    let mut cfg = Cfg {
        state: init,
        slots: [FREE; MAX_THREADS as usize],
    };

    // The event list: (time, op, is_call), linked through `next`/`prev`;
    // index 0 is the head sentinel, n+1 the tail sentinel.
    let n = ops.len();
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        events.push((op.start, i, true));
        events.push((op.end, i, false));
    }
    // Calls before returns at equal times (only never-returned calls share
    // the time u64::MAX).
    events.sort_by_key(|&(t, i, call)| (t, !call, i));
    let len = events.len();
    let mut next: Vec<usize> = (1..=len + 1).collect();
    let mut prev: Vec<usize> = (0..=len).map(|i| i.saturating_sub(1)).collect();
    next.push(len + 1);
    prev.push(len);
    let mut call_at = vec![0; n];
    let mut ret_at = vec![0; n];
    for (pos, &(_, i, call)) in events.iter().enumerate() {
        if call {
            call_at[i] = pos + 1;
        } else {
            ret_at[i] = pos + 1;
        }
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = q;
        prev[q] = p;
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = e;
        prev[q] = e;
    };

    let words = n.div_ceil(64);
    let mut linearized = vec![0u64; words];
    let mut memo: HashSet<(Vec<u64>, Cfg)> = HashSet::new();
    struct Frame {
        op: usize,
        prev: Cfg,
        alts: Vec<Cfg>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut longest: Vec<usize> = Vec::new();
    let mut explored = 0u64;
    let mut cur = next[0];
    let tail = len + 1;
    loop {
        if cur == tail {
            return Ok(PartOutcome {
                ok: true,
                longest: stack.iter().map(|f| f.op).collect(),
                explored,
            });
        }
        let (_, i, is_call) = events[cur - 1];
        if is_call {
            let blocked = ops[i]
                .after
                .is_some_and(|a| linearized[a / 64] & (1 << (a % 64)) == 0);
            if blocked {
                cur = next[cur];
                continue;
            }
            let outs = cx.apply(&ops[i], &cfg)?;
            explored += 1;
            if explored.is_multiple_of(256)
                && deadline.is_some_and(|d| std::time::Instant::now() >= d)
            {
                return Err(Unsupported {
                    call: usize::MAX,
                    message: format!(
                        "no verdict within the time budget ({explored} configurations of source {} explored)",
                        part.source
                    ),
                });
            }
            linearized[i / 64] |= 1 << (i % 64);
            let mut alts = outs.into_iter();
            let mut chosen = None;
            for c in alts.by_ref() {
                if memo.insert((linearized.clone(), c)) {
                    chosen = Some(c);
                    break;
                }
            }
            match chosen {
                Some(c) => {
                    stack.push(Frame {
                        op: i,
                        prev: cfg,
                        alts: alts.collect(),
                    });
                    unlink(&mut next, &mut prev, call_at[i]);
                    unlink(&mut next, &mut prev, ret_at[i]);
                    cfg = c;
                    if track && stack.len() > longest.len() {
                        longest = stack.iter().map(|f| f.op).collect();
                    }
                    cur = next[0];
                }
                None => {
                    linearized[i / 64] &= !(1 << (i % 64));
                    cur = next[cur];
                }
            }
        } else {
            if ops[i].end == u64::MAX {
                // Only calls that never returned are left.
                return Ok(PartOutcome {
                    ok: true,
                    longest: stack.iter().map(|f| f.op).collect(),
                    explored,
                });
            }
            // Backtrack: undo the last linearized operation and try its
            // next outcome, or else the calls after it.
            let Some(mut frame) = stack.pop() else {
                return Ok(PartOutcome {
                    ok: false,
                    longest,
                    explored,
                });
            };
            let op = frame.op;
            relink(&mut next, &mut prev, ret_at[op]);
            relink(&mut next, &mut prev, call_at[op]);
            cfg = frame.prev;
            let mut chosen = None;
            while let Some(c) = frame.alts.pop() {
                if memo.insert((linearized.clone(), c)) {
                    chosen = Some(c);
                    break;
                }
            }
            if let Some(c) = chosen {
                unlink(&mut next, &mut prev, call_at[op]);
                unlink(&mut next, &mut prev, ret_at[op]);
                stack.push(Frame {
                    op,
                    prev: cfg,
                    alts: frame.alts,
                });
                cfg = c;
                cur = next[0];
            } else {
                linearized[op / 64] &= !(1 << (op % 64));
                cur = next[call_at[op]];
            }
        }
    }
}
