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
//! What a recorded call does is the model's [`Model::recorded`]; this file
//! only searches. The model runs with thread slots, not thread names, and
//! between two calls of a recorded history every thread is idle: what the
//! model knows of a thread then is only which events it holds. So a
//! configuration keeps, per model key, the history threads that hold it
//! ([`Cfg`]), and each step is run on a view of two slots: slot 0 is the
//! calling thread (its holds), slot 1 stands for every other thread (their
//! holds, merged: a step of one thread only asks whether *another* thread
//! holds a key). Any number of threads fit; where the model can hand one
//! key to more than [`HOLDERS`] threads at once (a spec mutant), that branch
//! cannot be represented (see [`Stop::Unrepresentable`]). In a profile
//! where holds are only a ghost (no rule reads them), they are forgotten.
//!
//! A branch the model cannot represent (a queue longer than a state holds,
//! too many holders) is dropped and remembered: a linearization found
//! without it is a verdict; a search that fails after dropping one has
//! none.
//!
//! The memo key is a 128-bit Zobrist hash of the linearized set (updated
//! in O(1) per step, instead of cloning and hashing a bitset of the whole
//! part) and the configuration, in a table with a fast hasher.

use super::alive::{self, Projection};
use super::partition::{PKind, POp, Part, Share};
use super::reduce::{self, Reduction};
use super::room::{self, Frame, Room, ENTRY_BYTES};
use onering_model::{
    Model, OpCancel, Phase, ReadinessCancel, Recorded, Reg, Rejection, Rules, Scenario, State,
    MAX_BATCH, MAX_KEYS, MAX_THREADS,
};
use std::collections::{HashMap, HashSet};
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

/// No thread.
const NOBODY: u32 = u32::MAX;

/// History threads that may hold one key at once (the model hands a key
/// to one thread at a time in every profile where holds matter; a spec
/// mutant may hand it to two).
pub const HOLDERS: usize = 2;
// `Cfg`'s hash packs the two holders of a key in one word.
const _: () = assert!(HOLDERS == 2);

/// A model state (holds cleared) plus the history threads that hold each
/// key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cfg {
    /// The model state, with every key's `holders` cleared (see `hold`).
    pub state: State,
    /// Per key, the history threads holding it (ascending, [`NOBODY`]
    /// last).
    hold: [[u32; HOLDERS]; MAX_KEYS as usize],
}

impl std::hash::Hash for Cfg {
    /// Hashes the state's packed words (as the explorer keys states) and
    /// the holders: a sixth of the derived field-by-field hash's writes,
    /// which took 16% of a 100k-call check.
    fn hash<H: Hasher>(&self, h: &mut H) {
        for w in self.state.pack() {
            h.write_u64(w);
        }
        for k in &self.hold {
            h.write_u64(u64::from(k[0]) << 32 | u64::from(k[1]));
        }
    }
}

impl Cfg {
    /// `state` (ghosts forgotten) with no key held by any thread.
    pub(super) fn free(mut state: State) -> Cfg {
        Model::forget_ghosts(&mut state);
        for k in state.keys.iter_mut() {
            k.holders = 0;
        }
        Cfg {
            state,
            hold: [[NOBODY; HOLDERS]; MAX_KEYS as usize],
        }
    }

    /// Whether no thread holds any key.
    pub(super) fn unheld(&self) -> bool {
        self.hold.iter().flatten().all(|h| *h == NOBODY)
    }

    /// The history threads that hold model key `k`.
    pub fn holders(&self, k: usize) -> impl Iterator<Item = u32> + '_ {
        self.hold[k].iter().copied().filter(|t| *t != NOBODY)
    }
}

/// What checking one part found.
#[derive(Clone, Debug)]
pub struct PartOutcome {
    /// Whether the part is linearizable.
    pub ok: bool,
    /// Op indices (into the part) of the longest partial linearization
    /// found, in order, with the configuration after each (only when asked
    /// for; for a part that linearizes, the linearization found).
    pub longest: Vec<(usize, Cfg)>,
    /// The configuration the longest partial linearization starts from.
    pub start: Option<Cfg>,
    /// Ops the model refused right after the longest partial linearization,
    /// with why (only when asked for).
    pub refused: Vec<(usize, &'static str)>,
    /// Configurations explored.
    pub explored: u64,
    /// A time before which every op's return was passed: some path of the
    /// search placed, at once, every op that returned before it (0: none
    /// known). Every prefix of the part that ends before it therefore
    /// linearizes (`explain` starts its search for the shortest failing
    /// prefix there).
    pub frontier: u64,
}

/// Why a search stopped without a verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// A call whose effect the model cannot hold.
    Unrepresentable {
        /// Index of the call in the whole history.
        call: usize,
        /// Why.
        why: String,
    },
    /// The time budget ran out.
    Time {
        /// Configurations explored by then.
        explored: u64,
    },
    /// The memory budget ran out.
    Memory {
        /// Configurations explored by then.
        explored: u64,
        /// Bytes the memo held.
        bytes: u64,
    },
}

/// What a search may spend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    /// Stop at this instant.
    pub deadline: Option<Instant>,
    /// Stop when the memo would hold more than this many bytes.
    pub max_bytes: Option<u64>,
}

/// FxHash-style hasher: the memo's keys are already well mixed in part
/// (the Zobrist half), and SipHash cost two thirds of the instructions.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// The memo's hasher.
pub type Fx = BuildHasherDefault<FxHasher>;

/// Entries the memo keeps per generation without a memory budget (about
/// 200 MB each at the entry size of a part's configuration).
const MEMO_KEPT: usize = 1 << 21;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The Zobrist value of op `i`: 128 random-looking bits.
fn zobrist(i: usize) -> u128 {
    let a = splitmix(i as u64);
    ((a as u128) << 64) | splitmix(a ^ 0x5555_5555_5555_5555) as u128
}

/// The model step of a part's op.
fn recorded(k: &PKind) -> Recorded<'_> {
    match k {
        PKind::Register {
            slot, gen, mode, ..
        } => Recorded::Register {
            key: *slot,
            gen: *gen,
            mode: *mode,
        },
        PKind::Modify { slot, gen, mode } => Recorded::Modify {
            key: *slot,
            gen: *gen,
            mode: *mode,
        },
        PKind::Disable { slot, gen } => Recorded::Disable {
            key: *slot,
            gen: *gen,
        },
        PKind::Rearm { slot, gen } => Recorded::Rearm {
            key: *slot,
            gen: *gen,
        },
        PKind::Cancel {
            slot,
            gen,
            mode,
            answer,
        } => Recorded::Cancel {
            key: *slot,
            gen: *gen,
            mode: *mode,
            answer: *answer,
        },
        PKind::Consume => Recorded::Consume,
        PKind::Release => Recorded::Release,
        PKind::Harvest {
            events,
            full,
            max,
            release,
            alone,
        } => Recorded::Harvest {
            events: events.as_deref(),
            full: *full,
            max: *max,
            release: *release,
            alone: *alone,
        },
        PKind::Raise => Recorded::Raise,
        PKind::Lower => Recorded::Lower,
        PKind::Complete { cancelled } => Recorded::Complete {
            cancelled: *cancelled,
        },
        PKind::StreamItem => Recorded::StreamItem,
        PKind::Close => Recorded::Close,
        PKind::FutexWake { n, count, share } => match share {
            Share::Whole => Recorded::FutexWake {
                n: *n,
                count: *count,
            },
            Share::Of(m) => Recorded::FutexWakeShare {
                n: *n,
                count: *count,
                mine: Some(*m),
                others: 0,
            },
            Share::Any { others } => Recorded::FutexWakeShare {
                n: *n,
                count: *count,
                mine: None,
                others: *others,
            },
        },
    }
}

pub(super) struct Ctx {
    model: Model,
    /// Whether any rule reads holds (else they are a ghost, forgotten).
    holds_matter: bool,
    /// The model's answers already computed (see [`Steps`]).
    steps: std::cell::RefCell<Steps>,
}

/// A cache of the model's steps: what a recorded call (by kind, and
/// whether its result is unknown) leads to from a view, kernel closure
/// taken and ghosts forgotten, or why it is refused. A part's calls repeat
/// few kinds from few states, and one model step (with its allocations)
/// cost about ten times a look-up: 10.8 G instructions of a 100k-call
/// check went mostly to `Model::recorded`, a quarter of them malloc and
/// free. The model is a function of (state, call), so a cached answer is
/// the answer. Bounded: emptied when it holds [`STEPS_KEPT`] answers.
#[derive(Default)]
struct Steps {
    /// Each kind of call seen, numbered (by whether its result is
    /// unknown).
    kinds: [HashMap<PKind, u32, Fx>; 2],
    /// Kinds numbered.
    numbered: u32,
    answers: HashMap<StepKey, Answer, Fx>,
    /// States whose keys are all `Free` in which a quiet harvest was found
    /// to stutter ([`Ctx::free_stutters`]).
    free_checked: HashSet<State, Fx>,
}

/// What a step is cached under: the view and the call's kind. Hashed by
/// the view's packed words, as [`Cfg`] is (the derived hash wrote each of
/// the state's seventy-odd fields: 5% of the 1M-call, 64-source check),
/// compared whole.
#[derive(Clone, Copy, PartialEq, Eq)]
struct StepKey(State, u32);

impl std::hash::Hash for StepKey {
    fn hash<H: Hasher>(&self, h: &mut H) {
        for w in self.0.pack() {
            h.write_u64(w);
        }
        h.write_u32(self.1);
    }
}

/// A cached step: the states, or why the model refuses the call.
type Answer = Result<std::rc::Rc<[State]>, &'static str>;

/// Answers the step cache keeps before it is emptied.
const STEPS_KEPT: usize = 1 << 18;

/// Whether a rule of `r` reads which threads hold a key: the exclusive
/// hold, and the unified cancels (a cancel answers `pending` while another
/// thread holds the event). An operation cancel rule with no operation
/// cancel mode is never applied.
fn holds_matter(r: &Rules) -> bool {
    r.exclusive_hold
        || r.readiness_cancel == ReadinessCancel::Unified
        || (r.op_cancel == OpCancel::Unified && !r.op_cancel_modes.is_empty())
}

impl Ctx {
    /// The context of `part`'s search and the model's initial
    /// configuration (`call`: the call to blame if the part's bounds do not
    /// fit a model).
    pub(super) fn new(part: &Part, rules: &Rules, call: usize) -> Result<(Ctx, Cfg), Stop> {
        let model = Model::for_histories(
            *rules,
            Scenario::new(part.kind, part.first_mode),
            MAX_THREADS,
            part.slots.max(1),
        )
        .map_err(|e| Stop::Unrepresentable {
            call,
            why: e.to_string(),
        })?;
        let mut init = model.init_free();
        Model::forget_ghosts(&mut init);
        let cx = Ctx {
            model,
            holds_matter: holds_matter(rules),
            steps: Default::default(),
        };
        let init = Cfg::free(init);
        cx.free_stutters(&cx.view(&init, None))
            .map_err(|why| Stop::Unrepresentable {
                call,
                why: why.to_string(),
            })?;
        Ok((cx, init))
    }

    /// The model state of `cfg` seen by `thread`: its holds on slot 0,
    /// everyone else's on slot 1.
    fn view(&self, cfg: &Cfg, thread: Option<u32>) -> State {
        let mut st = cfg.state;
        if self.holds_matter {
            for (k, ks) in st.keys.iter_mut().enumerate() {
                let mut bits = 0u8;
                for h in cfg.holders(k) {
                    bits |= if Some(h) == thread { 1 } else { 2 };
                }
                ks.holders = bits;
            }
        }
        st
    }

    /// Back from a view after a step of `thread`: who holds each key.
    fn unview(&self, cfg: &Cfg, thread: Option<u32>, mut st: State) -> Result<Cfg, &'static str> {
        let mut hold = [[NOBODY; HOLDERS]; MAX_KEYS as usize];
        if st.threads.iter().any(|t| t.phase != Phase::Idle) {
            return Err("a call left its thread inside the model (not idle)");
        }
        for (k, ks) in st.keys.iter_mut().enumerate() {
            let bits = std::mem::take(&mut ks.holders);
            if !self.holds_matter {
                continue;
            }
            if bits & !3 != 0 {
                return Err("a step gave a hold to a thread that made no call");
            }
            // At most one new holder (the caller) beside the others.
            let mut who = [NOBODY; HOLDERS + 1];
            let mut n = 0;
            if bits & 1 != 0 {
                if let Some(t) = thread {
                    who[n] = t;
                    n += 1;
                }
            }
            if bits & 2 != 0 {
                for h in cfg.holders(k).filter(|h| Some(*h) != thread) {
                    who[n] = h;
                    n += 1;
                }
            }
            if n > HOLDERS {
                return Err(
                    "more threads hold one registration at once than the checker keeps (HOLDERS)",
                );
            }
            who[..n].sort_unstable();
            hold[k].copy_from_slice(&who[..HOLDERS]);
        }
        Ok(Cfg { state: st, hold })
    }

    /// What `op` leads to from `view` (the model's states, kernel closure
    /// taken, ghosts forgotten), or why it is refused: from the cache
    /// ([`Steps`]) or the model.
    fn step(&self, view: &State, op: &POp, kind: u32) -> Result<Answer, Stop> {
        let unrepresentable = |why: &str| Stop::Unrepresentable {
            call: op.call,
            why: why.to_string(),
        };
        let mut steps = self.steps.borrow_mut();
        if let Some(a) = steps.answers.get(&StepKey(*view, kind)) {
            return Ok(a.clone());
        }
        // The calling thread is slot 0; an environment step uses none.
        let answer = match self
            .model
            .recorded(view, 0, &recorded(&op.kind), op.unknown)
        {
            Ok(states) => {
                let mut all: Vec<State> = Vec::with_capacity(states.len());
                for st in states {
                    let closed = self
                        .model
                        .kernel_closure(st)
                        .map_err(|r| unrepresentable(r.why()))?;
                    for mut st in closed {
                        Model::forget_ghosts(&mut st);
                        if !all.contains(&st) {
                            all.push(st);
                        }
                    }
                }
                if reduce::current() != Reduction::Off
                    && reduce::quiet_harvest(op, view.keys.iter().all(|k| k.holders & 1 == 0))
                {
                    self.silent(view, &all).map_err(&unrepresentable)?;
                }
                drop(steps);
                if alive::projection() != Projection::Off {
                    for st in &all {
                        self.free_stutters(st).map_err(&unrepresentable)?;
                    }
                    // Only a call whose result is known ends its
                    // registration: one that never returned (or returns
                    // after an explanation's prefix) may not have taken
                    // effect, and its recorded answer binds nothing.
                    if !op.unknown {
                        self.terminal_frees(&op.kind, &all)
                            .map_err(&unrepresentable)?;
                    }
                }
                steps = self.steps.borrow_mut();
                Ok(std::rc::Rc::from(all))
            }
            Err(Rejection::Refused(why)) => Err(why),
            Err(Rejection::Unrepresentable(why)) => return Err(unrepresentable(why)),
        };
        if steps.answers.len() >= STEPS_KEPT {
            steps.answers.clear();
        }
        steps.answers.insert(StepKey(*view, kind), answer.clone());
        Ok(answer)
    }

    /// The tripwire of [`reduce`]'s lemma: every outcome of a quiet harvest
    /// from `view` is a state of `view`'s kernel closure (ghosts
    /// forgotten). Asked once per cached answer.
    fn silent(&self, view: &State, outcomes: &[State]) -> Result<(), &'static str> {
        let broken = "a harvest that returned nothing changed more than a silent kernel step can, which the search's reduction assumes it cannot (check/src/history/reduce.rs)";
        let mut closure = self.model.kernel_closure(*view).map_err(|_| broken)?;
        for st in closure.iter_mut() {
            Model::forget_ghosts(st);
        }
        if outcomes.iter().all(|o| closure.contains(o)) {
            Ok(())
        } else {
            Err(broken)
        }
    }

    /// The tripwire of [`super::alive`]'s projection: in a state `st` (a
    /// view) whose keys are all `Free`, a harvest with room that returns
    /// nothing, by a thread that holds nothing, may leave `st` as it is
    /// (blocking or poll, any batch size). Asked once per such state.
    fn free_stutters(&self, st: &State) -> Result<(), &'static str> {
        if st.keys.iter().any(|k| k.reg != Reg::Free)
            || self.steps.borrow().free_checked.contains(st)
        {
            return Ok(());
        }
        let broken = "a harvest that returned nothing, with no registration of the source alive, changed the state, which the partition assumes it cannot when it leaves such waits out of a part (check/src/history/alive.rs)";
        // The harvester holds nothing: every hold is another thread's.
        let mut v = *st;
        for k in v.keys.iter_mut() {
            if k.holders != 0 {
                k.holders = 2;
            }
        }
        for release in [false, true] {
            for max in [1, u32::from(MAX_BATCH)] {
                let call = Recorded::Harvest {
                    events: Some(&[]),
                    full: false,
                    max,
                    release,
                    alone: false,
                };
                let outs = self
                    .model
                    .recorded(&v, 0, &call, false)
                    .map_err(|_| broken)?;
                let mut stutters = false;
                for o in outs {
                    for mut c in self.model.kernel_closure(o).map_err(|_| broken)? {
                        Model::forget_ghosts(&mut c);
                        stutters |= c == v;
                    }
                }
                if !stutters {
                    return Err(broken);
                }
            }
        }
        self.steps.borrow_mut().free_checked.insert(*st);
        Ok(())
    }

    /// The other half of [`super::alive`]'s tripwire: a call the partition
    /// takes as ending its registration (a cancel answered `removed`, a
    /// final event returned), its result known, leaves that registration's
    /// key `Free` in every outcome, as the projection's argument assumes.
    /// (Not a call whose result is unknown: one that never returned, or
    /// that returns after the cut of an explanation's prefix, may not have
    /// taken effect, so its outcomes include the key still live.)
    fn terminal_frees(&self, kind: &PKind, outcomes: &[State]) -> Result<(), &'static str> {
        let broken = "a call that ends its registration (a cancel answered removed, a final event) left its model key live, which the partition assumes it cannot when it leaves waits out of a part (check/src/history/alive.rs)";
        let free = |slot: u8| {
            outcomes
                .iter()
                .all(|st| st.keys[usize::from(slot)].reg == Reg::Free)
        };
        let ok = match kind {
            PKind::Cancel {
                slot,
                answer:
                    Some(onering_model::Answer::Removed) | Some(onering_model::Answer::RemovedWith(_)),
                ..
            } => free(*slot),
            PKind::Harvest {
                events: Some(evs), ..
            } => evs
                .iter()
                .filter(|e| matches!(e.kind, onering_model::EventKind::Final(_)))
                .all(|e| free(e.key)),
            _ => true,
        };
        if ok {
            Ok(())
        } else {
            Err(broken)
        }
    }

    /// The number of `op`'s kind of call in the step cache (by kind, and
    /// whether its result is unknown): what a step is cached under.
    pub(super) fn kind_of(&self, op: &POp) -> u32 {
        let mut steps = self.steps.borrow_mut();
        let next = steps.numbered;
        let kinds = &mut steps.kinds[usize::from(op.unknown)];
        match kinds.get(&op.kind) {
            Some(k) => *k,
            None => {
                kinds.insert(op.kind.clone(), next);
                steps.numbered += 1;
                next
            }
        }
    }

    /// The configurations `op` can lead to from `cfg`, agreeing with its
    /// recorded result; `Ok(Err(why))` if the model refuses it here.
    pub(super) fn apply(
        &self,
        op: &POp,
        cfg: &Cfg,
    ) -> Result<Result<Vec<Cfg>, &'static str>, Stop> {
        self.apply_kind(op, self.kind_of(op), cfg)
    }

    /// [`Ctx::apply`] with `op`'s kind already numbered ([`Ctx::kind_of`]).
    fn apply_kind(
        &self,
        op: &POp,
        kind: u32,
        cfg: &Cfg,
    ) -> Result<Result<Vec<Cfg>, &'static str>, Stop> {
        let thread_step = !matches!(
            op.kind,
            PKind::Raise
                | PKind::Lower
                | PKind::Complete { .. }
                | PKind::StreamItem
                | PKind::Close
                | PKind::FutexWake { .. }
        );
        let thread = thread_step.then_some(op.thread);
        let unrepresentable = |why: &str| Stop::Unrepresentable {
            call: op.call,
            why: why.to_string(),
        };
        let evicted;
        let cfg = match op.kind {
            PKind::Register {
                slot, evict: true, ..
            } => {
                // The slot's previous registration is never mentioned
                // again: forget it, if it cannot act unseen.
                let retired = (cfg.holders(slot as usize).next().is_none())
                    .then(|| self.model.retire(&cfg.state, slot))
                    .flatten();
                let Some(state) = retired else {
                    return Err(unrepresentable(
                        "it needs the model key of an earlier registration of its source that is never mentioned again but could still deliver (more registrations alive at once than a model state holds)",
                    ));
                };
                evicted = Cfg { state, ..*cfg };
                &evicted
            }
            _ => cfg,
        };
        let view = self.view(cfg, thread);
        let states = match self.step(&view, op, kind)? {
            Ok(s) => s,
            Err(why) => return Ok(Err(why)),
        };
        let mut out: Vec<Cfg> = Vec::with_capacity(states.len());
        for st in states.iter() {
            let c = self.unview(cfg, thread, *st).map_err(&unrepresentable)?;
            if !out.contains(&c) {
                out.push(c);
            }
        }
        Ok(Ok(out))
    }
}

/// Whether `op` is the release of a blocking wait whose thread holds
/// nothing in `cfg`.
fn idle_release(op: &POp, cfg: &Cfg) -> bool {
    matches!(op.kind, PKind::Release) && !cfg.hold.iter().flatten().any(|h| *h == op.thread)
}

/// If `op` (of step-cache kind `kind`) is forced as a quiet harvest at
/// `cfg` (see [`reduce`]), its outcomes, `cfg` first. `cache`: the answers
/// already found in `cfg`, by kind (a quiet harvest's thread holds nothing
/// and is given nothing, so its view and outcomes are those of any other
/// such thread's harvest of that kind).
fn quiet(
    cx: &Ctx,
    op: &POp,
    kind: u32,
    cfg: &Cfg,
    reduction: Reduction,
    cache: &mut Vec<(u32, Option<std::rc::Rc<[Cfg]>>)>,
) -> Option<std::rc::Rc<[Cfg]>> {
    let holds_nothing = !cfg.hold.iter().flatten().any(|h| *h == op.thread);
    let class = match reduction {
        Reduction::Off => false,
        Reduction::Sound | Reduction::MutantUnchecked => reduce::quiet_harvest(op, holds_nothing),
        Reduction::MutantAnyStutter => true,
    };
    if !class {
        return None;
    }
    if reduction == Reduction::MutantUnchecked {
        return Some(std::rc::Rc::from([*cfg]));
    }
    let shared = reduction == Reduction::Sound;
    if let Some((_, a)) = cache.iter().find(|(k, _)| shared && *k == kind) {
        return a.clone();
    }
    // A call the model cannot represent here is left to the search (which
    // drops that branch and remembers it).
    let answer = match cx.apply_kind(op, kind, cfg) {
        Ok(Ok(mut outs)) => outs
            .iter()
            .position(|c| c == cfg)
            .map(|at| -> std::rc::Rc<[Cfg]> {
                // The placement takes the first outcome.
                outs.swap(0, at);
                std::rc::Rc::from(outs)
            }),
        _ => None,
    };
    let given = |c: &Cfg| c.hold.iter().flatten().any(|h| *h == op.thread);
    if shared && !answer.iter().flat_map(|a| a.iter()).any(given) {
        cache.push((kind, answer.clone()));
    }
    answer
}

/// Checks one part; `track` records the longest partial linearization and
/// the refusals after it.
///
/// # Errors
///
/// A [`Stop`]: no verdict.
pub fn check_part(
    part: &Part,
    ops: &[POp],
    rules: &Rules,
    track: bool,
    budget: Budget,
) -> Result<PartOutcome, Stop> {
    let mut kept = room::take(budget.max_bytes);
    let out = search(part, ops, rules, track, budget, &mut kept);
    room::keep(kept);
    out
}

/// [`check_part`] in `room` (empty: an earlier search's, or new).
fn search(
    part: &Part,
    ops: &[POp],
    rules: &Rules,
    track: bool,
    budget: Budget,
    room: &mut Room,
) -> Result<PartOutcome, Stop> {
    let (cx, init) = Ctx::new(part, rules, ops.first().map_or(0, |o| o.call))?;
    // Where the search starts: the model's initial state, or the states a
    // trimmed part's left-out prefix can have led to (`Part::starts`, see
    // `trim`), tried one after the other. The memo is shared: a
    // configuration that cannot be completed cannot be from any start.
    let mut starts: Vec<Cfg> = if part.starts.is_empty() {
        vec![init]
    } else {
        part.starts.iter().map(|s| Cfg::free(*s)).collect()
    };
    starts.reverse();
    let mut cfg = starts.pop().unwrap_or(init);
    let mut start_cfg = cfg;
    let mut longest_start = cfg;

    // The event list: (time, op, is_call), linked through `next`/`prev`;
    // index 0 is the head sentinel, n+1 the tail sentinel.
    let n = ops.len();
    // Sorted as one integer each, (time, is a return, op), which compares
    // in one instruction. Calls before returns at equal times (only
    // never-returned calls share the time u64::MAX).
    if u32::try_from(n).is_err() {
        return Err(Stop::Unrepresentable {
            call: ops[0].call,
            why: "a part with more than 2^32 operations".to_string(),
        });
    }
    // Calls and returns are sorted apart and merged: a part's ops come in
    // the order of the history's lines (of return), so the returns are
    // sorted already (found in one pass) and the calls nearly so, where
    // one sort of both cost 8% of a 100k-call check.
    let mut calls: Vec<u128> = Vec::with_capacity(n);
    let mut rets: Vec<u128> = Vec::with_capacity(n);
    for (i, op) in ops.iter().enumerate() {
        calls.push(u128::from(op.start) << 33 | i as u128);
        rets.push(u128::from(op.end) << 33 | 1 << 32 | i as u128);
    }
    calls.sort_unstable();
    rets.sort_unstable();
    let event = |k: u128| {
        (
            (k >> 33) as u64,
            (k & 0xffff_ffff) as usize,
            k & 1 << 32 == 0,
        )
    };
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * n);
    let (mut a, mut b) = (0, 0);
    while a < n || b < n {
        if b == n || (a < n && calls[a] < rets[b]) {
            events.push(event(calls[a]));
            a += 1;
        } else {
            events.push(event(rets[b]));
            b += 1;
        }
    }
    drop((calls, rets));
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

    let mut linearized = vec![false; n];
    let mut lin_hash: u128 = 0;
    let entry_bytes = ENTRY_BYTES;
    // The memo takes at most a quarter of the memory budget (both
    // generations),
    // or `MEMO_KEPT` entries without one; it and the stack are the room
    // an earlier part's search left ([`room`]).
    let memo = &mut room.memo;
    memo.cap = budget
        .max_bytes
        .map_or(MEMO_KEPT, |b| (b / 8 / entry_bytes).max(1024) as usize);
    // Each op is placed at most once on the stack: its room at once, not
    // grown (and copied) by doubling.
    let stack = &mut room.stack;
    stack.reserve(n);
    // The alternatives' room held by the stack's frames, kept as frames
    // come and go: summing it over the stack at each look at the budget
    // walked a million frames every 256 steps of a 1M-call part (the
    // 1M x 2 x 1 row's time went three quarters to that sum).
    let mut alts_held = 0usize;
    // The linearization on the stack, each op with the configuration after
    // it (`cfg`: after the top).
    let witness = |stack: &[Frame], cfg: Cfg| -> Vec<(usize, Cfg)> {
        (0..stack.len())
            .map(|j| (stack[j].op, stack.get(j + 1).map_or(cfg, |f| f.prev)))
            .collect()
    };
    let mut longest: Vec<(usize, Cfg)> = Vec::new();
    let mut refused: Vec<(usize, &'static str)> = Vec::new();
    let mut explored = 0u64;
    let mut dropped: Option<Stop> = None;
    let tail = len + 1;
    // Frames below `dirty` are the same as when `longest` was last taken.
    let mut dirty = 0usize;
    // The earliest return still in the list at a point of the search: every
    // op returning before it is placed there (a lower bound: points placed
    // from `pending` do not look).
    let mut frontier = 0u64;
    let done =
        |explored: u64, ok: bool, start: Cfg, longest: Vec<(usize, Cfg)>, refused, frontier| {
            PartOutcome {
                ok,
                longest,
                start: Some(start),
                refused,
                explored,
                frontier,
            }
        };
    // Candidates (the calls invoked before the first return still in the
    // list) are tried earliest return first: a call that must be placed
    // soon before one that may wait, so that a long-open call is placed as
    // late as the others let it ("just in time"). `after`: at this point,
    // candidates up to this position were tried already (`usize::MAX`:
    // all). With the quiet-harvest reduction (`reduce`), against order of
    // invocation, this explored 0.66M configurations instead of 2.30M on
    // the bench's 100k x 64 x 1 history and as many or fewer (within 1%)
    // on its other rows up to 100k calls; before the reduction it was
    // worse on the Port's 8-thread histories (418k against 327k).
    let order = |j: usize| ret_at[j];
    let mut after = 0usize;
    let reduction = reduce::current();
    // Whether an op is forced as a quiet harvest depends on the
    // configuration only: `quiet_seen[j] == cfg_gen` means it was asked in
    // this configuration and is not (a forced quiet harvest leaves the
    // configuration as it was, so the others need not be asked again).
    let mut quiet_seen = vec![u64::MAX; n];
    let mut quiet_cache: Vec<(u32, Option<std::rc::Rc<[Cfg]>>)> = Vec::new();
    let mut cfg_gen = 0u64;
    // `cfg_gen` moves on when `cfg` is set (`changed`) to another value; a
    // forced quiet harvest's first outcome is `cfg` itself.
    let mut changed = false;
    let mut pending: Vec<(usize, std::rc::Rc<[Cfg]>)> = Vec::new();
    let mut seen_cfg = cfg;
    // Each op's kind in the step cache; neighbouring ops are mostly of a
    // few kinds (a blocking wait's release and harvest, quiet polls), so
    // the last few numbered are compared before the kind is hashed.
    let mut recent: [Option<(&PKind, bool, u32)>; 4] = [None; 4];
    let mut oldest = 0;
    let kinds: Vec<u32> = ops
        .iter()
        .map(|op| {
            let seen = recent
                .iter()
                .flatten()
                .find(|(k, u, _)| *u == op.unknown && **k == op.kind);
            match seen {
                Some(&(_, _, k)) => k,
                None => {
                    let k = cx.kind_of(op);
                    recent[oldest] = Some((&op.kind, op.unknown, k));
                    oldest = (oldest + 1) % recent.len();
                    k
                }
            }
        })
        .collect();
    loop {
        if std::mem::take(&mut changed) && cfg != seen_cfg {
            seen_cfg = cfg;
            cfg_gen += 1;
            quiet_cache.clear();
            pending.clear();
        }
        let mut e = next[0];
        let mut best: Option<usize> = None;
        let mut forced: Option<usize> = None;
        // A forced quiet harvest's outcomes, already asked of the model.
        let mut forced_outs: Option<std::rc::Rc<[Cfg]>> = None;
        // Quiet harvests found forced by the last scan, in a configuration
        // that is still this one (a forced quiet harvest leaves it as it
        // is, and each stays a candidate while others are placed): placed
        // without scanning the open calls again, which made a chain of k of
        // them cost k scans.
        let from_pending = pending.pop().map(|(j, outs)| {
            forced = Some(j);
            forced_outs = Some(outs);
        });
        let first_ret = if from_pending.is_some() {
            None
        } else {
            Some(loop {
                if e == tail {
                    break None;
                }
                let (_, j, is_call) = events[e - 1];
                if !is_call {
                    break Some(j);
                }
                let blocked = ops[j].after.is_some_and(|a| !linearized[a]);
                if !blocked {
                    // Past a forced quiet harvest, the other quiet ones are
                    // gathered too (`pending`).
                    if after != usize::MAX && (forced.is_none() || forced_outs.is_some()) {
                        if forced.is_none() && idle_release(&ops[j], &cfg) {
                            forced = Some(j);
                        } else if quiet_seen[j] != cfg_gen {
                            match quiet(&cx, &ops[j], kinds[j], &cfg, reduction, &mut quiet_cache) {
                                Some(outs) if forced.is_none() => {
                                    forced = Some(j);
                                    forced_outs = Some(outs);
                                }
                                Some(outs) => pending.push((j, outs)),
                                None => quiet_seen[j] = cfg_gen,
                            }
                        }
                    }
                    if order(j) > after && best.is_none_or(|b| order(j) < order(b)) {
                        best = Some(j);
                    }
                }
                e = next[e];
            })
        };
        // A release by a thread that holds nothing here changes nothing,
        // now or at any point before its harvest (only the thread's own
        // calls give it holds, and it is inside this wait): placing it now
        // loses no linearization, so it is placed at once and not tried
        // elsewhere. So is a quiet harvest that can change nothing here
        // (see `reduce`).
        let best = if after == usize::MAX {
            None
        } else {
            forced.or(best)
        };
        let found = |stack: &[Frame], cfg: Cfg| {
            if track {
                witness(stack, cfg)
            } else {
                Vec::new()
            }
        };
        if let Some(first_ret) = first_ret {
            let Some(first_ret) = first_ret else {
                let lin = found(stack, cfg);
                return Ok(done(explored, true, start_cfg, lin, refused, u64::MAX));
            };
            if ops[first_ret].end == u64::MAX {
                // Only calls that never returned are left.
                let lin = found(stack, cfg);
                return Ok(done(explored, true, start_cfg, lin, refused, u64::MAX));
            }
            frontier = frontier.max(ops[first_ret].end);
        }
        if let Some(i) = best {
            let forced_outs = forced_outs.take().filter(|_| Some(i) == forced);
            // A forced quiet harvest is not looked up in the memo: its
            // placement is decided by the configuration before it, which
            // the memo holds (or a start, or an outcome tried once), so each
            // is made once per such entry.
            let unmemoized = forced_outs.is_some();
            // A forced harvest's outcomes are shared with the quiet cache (not
            // copied: most placements of a many-thread history are these).
            let shared: Option<std::rc::Rc<[Cfg]>>;
            let asked = match forced_outs {
                Some(outs) => {
                    shared = Some(outs);
                    Ok(Ok(Vec::new()))
                }
                None => {
                    shared = None;
                    cx.apply_kind(&ops[i], kinds[i], &cfg)
                }
            };
            let outs = match asked {
                Ok(o) => o,
                Err(stop) => {
                    // This branch cannot be followed: drop it, and have no
                    // verdict if no other branch linearizes.
                    dropped.get_or_insert(stop);
                    Err("cannot be represented")
                }
            };
            explored += 1;
            if explored.is_multiple_of(256) {
                if budget.deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(Stop::Time { explored });
                }
                let bytes = memo.capacity() as u64 * entry_bytes
                    + (stack.capacity() * std::mem::size_of::<Frame>()) as u64
                    + alts_held as u64 * std::mem::size_of::<Cfg>() as u64;
                if budget.max_bytes.is_some_and(|m| bytes > m) {
                    return Err(Stop::Memory { explored, bytes });
                }
            }
            let outs = match outs {
                Ok(o) => o,
                Err(why) => {
                    if track && stack.len() == longest.len() {
                        refused.push((i, why));
                    }
                    Vec::new()
                }
            };
            let h = lin_hash ^ zobrist(i);
            let outs: &[Cfg] = shared.as_deref().unwrap_or(&outs);
            let mut chosen = None;
            let mut tried = 0;
            while let Some(&c) = outs.get(tried) {
                tried += 1;
                if unmemoized || memo.insert((h, c)) {
                    chosen = Some(c);
                    break;
                }
            }
            match chosen {
                Some(c) => {
                    linearized[i] = true;
                    lin_hash = h;
                    let alts: Vec<Cfg> = outs[tried..].to_vec();
                    alts_held += alts.capacity();
                    stack.push(Frame {
                        op: i,
                        prev: cfg,
                        alts,
                        forced: Some(i) == forced,
                    });
                    unlink(&mut next, &mut prev, call_at[i]);
                    unlink(&mut next, &mut prev, ret_at[i]);
                    cfg = c;
                    changed |= !unmemoized;
                    if track && stack.len() > longest.len() {
                        // Each entry's configuration is the one after it.
                        longest.truncate(dirty.saturating_sub(1));
                        for j in longest.len()..stack.len() {
                            let after = stack.get(j + 1).map_or(cfg, |f| f.prev);
                            longest.push((stack[j].op, after));
                        }
                        dirty = stack.len();
                        longest_start = start_cfg;
                        refused.clear();
                    }
                    after = 0;
                }
                None if Some(i) == forced => {
                    // Seen before with this configuration: the point has
                    // nothing else to try.
                    after = usize::MAX;
                }
                None => after = order(i),
            }
        } else {
            // Backtrack: undo the last linearized operation and try its
            // next outcome, or else the candidates after it (none after a
            // forced one: undo the one before it too).
            pending.clear();
            loop {
                let Some(mut frame) = stack.pop() else {
                    if let Some(next) = starts.pop() {
                        // Nothing from this start: the next one.
                        cfg = next;
                        changed = true;
                        start_cfg = next;
                        after = 0;
                        break;
                    }
                    if let Some(stop) = dropped {
                        return Err(stop);
                    }
                    return Ok(done(
                        explored,
                        false,
                        longest_start,
                        longest,
                        refused,
                        frontier,
                    ));
                };
                alts_held -= frame.alts.capacity();
                let op = frame.op;
                dirty = dirty.min(stack.len());
                relink(&mut next, &mut prev, ret_at[op]);
                relink(&mut next, &mut prev, call_at[op]);
                cfg = frame.prev;
                changed = true;
                let mut chosen = None;
                while let Some(c) = frame.alts.pop() {
                    if memo.insert((lin_hash, c)) {
                        chosen = Some(c);
                        break;
                    }
                }
                if let Some(c) = chosen {
                    unlink(&mut next, &mut prev, call_at[op]);
                    unlink(&mut next, &mut prev, ret_at[op]);
                    alts_held += frame.alts.capacity();
                    stack.push(Frame {
                        op,
                        prev: cfg,
                        alts: frame.alts,
                        forced: frame.forced,
                    });
                    cfg = c;
                    changed = true;
                    after = 0;
                    break;
                }
                linearized[op] = false;
                lin_hash ^= zobrist(op);
                if !frame.forced {
                    after = order(op);
                    break;
                }
            }
        }
    }
}
