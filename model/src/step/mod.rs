//! The transition relation: which steps are enabled in a state, what each
//! does under a profile's [`Rules`], and what it shows about the properties.
//!
//! Every step is atomic. Where the real systems are nondeterministic (which
//! blocked waiter a wake-up picks, which futex waiters a wake releases,
//! whether an aio request is cancellable, whether io_uring finds a request
//! cancellable or already running) a step has several outcomes, each its own
//! [`Step`]; the order of a cancel's answer and the target's final event is
//! the interleaving of the `CancelReturn` and `PostFinal` steps.
//!
//! This module holds the model ([`Model`]), the enabledness of every action
//! ([`Model::apply`]) and the step builder; the rules themselves are split by
//! area:
//!
//! * `readiness`: register, modify, rearm, and the environment's steps on a
//!   readiness source;
//! * `delivery`: wait, harvest, release, and what delivery does to a
//!   registration;
//! * `cancellation`: cancel modes, each mechanism's answer, the answer's
//!   arrival and the kernel's final event;
//! * `futex`: `futex_wake`;
//! * `operations`: a request's items and final event;
//! * `judge`: state invariants and quiescence judgements;
//! * `reduce`: dead-variable and partial-order reductions (symmetry is
//!   [`crate::symmetry`]);
//! * `liveness`: the dead-ghost and dead-source reductions (what no later
//!   step or judgement can read, found by a liveness argument per field).

mod cancellation;
mod delivery;
mod futex;
mod judge;
mod liveness;
mod operations;
mod readiness;
mod reduce;

use crate::precondition;
use delivery::Deliver;

use crate::action::{Action, CancelMode, Shown};
use crate::mix::KeySpec;
use crate::property::{Obs, Property as P};
use crate::rules::{CloseRule, Rules};
use crate::scenario::{Bound, BoundError, Mode, Scenario, SourceKind};
use crate::state::{CancelReq, Entry, EventKind, KeyState, Phase, Reg, State, MAX_QUEUE};

/// One successor of a state.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// What was done.
    pub action: Action,
    /// What it showed (batch, answer, wake-ups).
    pub shown: Shown,
    /// The state after it.
    pub next: State,
    /// What the transition shows about the properties.
    pub obs: Obs,
    /// The step needed more queue slots than a state holds; `next` is not
    /// a faithful successor. Never set within a validated bound; the history
    /// checker reports it as an error.
    pub overflow: bool,
}

/// A bounded instance of the specification under one profile and scenario.
#[derive(Clone, Copy, Debug)]
pub struct Model {
    /// The profile's rules.
    pub rules: Rules,
    /// What every key is ([`Model::key_spec`] gives key `k`'s).
    pub scenario: Scenario,
    /// The bound.
    pub bound: Bound,
    /// Whether thread operations and environment steps use up the bound's
    /// budgets. Off for checking recorded histories, whose length is
    /// whatever was recorded.
    pub budgets: bool,
    /// Dead-variable reduction: clear what no later step or judgement can
    /// read (see `forget_dead`). On by default; off only to measure it.
    pub dead_variables: bool,
    /// Dead-ghost reduction: clear the ghost records of readiness cancels
    /// that no later delivery can be judged against (see `forget_ghosts`).
    /// On by default; off only to measure it.
    pub dead_ghosts: bool,
    /// Dead-source reduction: clear what is left of a source that no later
    /// step can reach (see `forget_sources`). On by default; off only to
    /// measure it.
    pub dead_sources: bool,
}

impl Model {
    /// A model, if the bound is representable.
    /// A scenario with a key whose mode does not fit its source kind
    /// ([`Rules::mode_fits`]) is refused too, and so is a mixed scenario
    /// whose number of keys is not the bound's (see
    /// [`Scenario::bound_for`]).
    pub fn new(rules: Rules, scenario: Scenario, bound: Bound) -> Result<Model, BoundError> {
        bound.validate()?;
        if scenario.key_count().is_some_and(|n| n != bound.keys) {
            return Err(BoundError::KeyCount {
                scenario,
                keys: bound.keys,
            });
        }
        for k in 0..bound.keys {
            let spec = scenario.key(k);
            if let Err(refusal) = rules.mode_fits(spec.source, spec.mode) {
                return Err(BoundError::Scenario {
                    scenario,
                    profile: rules.name,
                    refusal,
                });
            }
        }
        // Each key queues at most one readiness event (or, without
        // coalescing, one per environment step), plus two finals.
        let per_key = bound.env as usize + 3;
        if per_key * bound.keys as usize > MAX_QUEUE {
            return Err(BoundError::QueueSlots {
                keys: bound.keys,
                env: bound.env,
                slots: per_key * bound.keys as usize,
                max: MAX_QUEUE,
            });
        }
        Ok(Model {
            rules,
            scenario,
            bound,
            budgets: true,
            dead_variables: true,
            dead_ghosts: true,
            dead_sources: true,
        })
    }

    /// A model for checking recorded histories: `threads` thread slots,
    /// `keys` registrations, no budgets, every key starting `Free` (see
    /// [`Model::init_free`]).
    pub fn for_histories(
        rules: Rules,
        scenario: Scenario,
        threads: u8,
        keys: u8,
    ) -> Result<Model, BoundError> {
        let bound = Bound {
            threads,
            keys,
            ops: 1,
            env: 1,
            batch: crate::scenario::MAX_BATCH,
        };
        bound.validate()?;
        Ok(Model {
            rules,
            scenario,
            bound,
            budgets: false,
            dead_variables: false,
            dead_ghosts: false,
            dead_sources: false,
        })
    }

    /// The initial state with nothing registered or submitted: what a
    /// recorded history starts from.
    pub fn init_free(&self) -> State {
        let mut s = self.init();
        for k in self.keys() {
            s.keys[k as usize].reg = Reg::Free;
        }
        s
    }

    fn threads(&self) -> std::ops::Range<u8> {
        0..self.bound.threads
    }

    fn keys(&self) -> std::ops::Range<u8> {
        0..self.bound.keys
    }

    /// Whether registrations in this scenario are requests that complete
    /// (operations, futex waits, poll requests, multishot polls) rather than
    /// persistent readiness registrations. In a mixed scenario: key 0's
    /// ([`Model::is_request_of`] is each key's).
    pub fn is_request(&self) -> bool {
        self.is_request_of(0)
    }

    /// Whether key `k`'s registration is a request that completes (see
    /// [`Model::is_request`]).
    pub fn is_request_of(&self, k: u8) -> bool {
        let spec = self.scenario.key(k);
        self.rules.is_request(spec.source, spec.mode)
    }

    /// What stands behind key `k`: its source's kind, its registration
    /// mode, whether its source is an earlier key's.
    pub fn key_spec(&self, k: u8) -> KeySpec {
        self.scenario.key(k)
    }

    /// The kind of key `k`'s source.
    pub fn kind(&self, k: u8) -> SourceKind {
        self.scenario.key(k).source
    }

    /// The keys bound to key `k`'s source, first key first (just `k` unless
    /// a source is shared; see [`crate::mix`]).
    fn source_keys(&self, k: u8) -> Small<u8> {
        let mut out = Small::default();
        if !self.scenario.has_shared_source() {
            out.push(k);
            return out;
        }
        let owner = self.scenario.owner(k);
        for j in self.keys() {
            if self.scenario.owner(j) == owner {
                out.push(j);
            }
        }
        out
    }

    /// Keys with the same class are interchangeable (for
    /// [`crate::symmetry::Symmetry::key_classes`]): the same kind and
    /// initial mode, each on a source of its own. A key on a shared source
    /// is in a class of its own. Every key of a uniform scenario is in
    /// class 0.
    pub fn key_classes(&self) -> [u8; crate::scenario::MAX_KEYS as usize] {
        let mut class = [0u8; crate::scenario::MAX_KEYS as usize];
        let sc = &self.scenario;
        let shared =
            |k: u8| sc.key(k).shares.is_some() || self.keys().any(|j| sc.key(j).shares == Some(k));
        for k in self.keys() {
            class[k as usize] = self
                .keys()
                .find(|&j| !shared(j) && !shared(k) && sc.key(j) == sc.key(k))
                .unwrap_or(k);
        }
        class
    }

    /// How many keys are futex waits (`futex_wake` acts on them only).
    fn futex_keys(&self) -> u8 {
        self.keys()
            .filter(|&k| self.kind(k) == SourceKind::Futex)
            .count() as u8
    }

    /// The initial state: every key registered (or submitted) in the
    /// scenario's mode; every condition false.
    pub fn init(&self) -> State {
        let mut s = State {
            threads: Default::default(),
            keys: Default::default(),
            queue: [Entry::new(0, 0, EventKind::Ready); MAX_QUEUE],
            qlen: 0,
            futex_env: 0,
        };
        if self.futex_keys() > 0 {
            s.futex_env = self.bound.env;
        }
        s.queue = [Entry::new(0, 0, EventKind::Ready); MAX_QUEUE];
        for t in self.threads() {
            s.threads[t as usize].ops_left = self.bound.ops;
        }
        for k in self.keys() {
            let spec = self.key_spec(k);
            let request = self.is_request_of(k);
            let ks = &mut s.keys[k as usize];
            ks.mode = spec.mode.code();
            // A second registration of a source takes its environment steps
            // through the source's first key.
            ks.env_left = if spec.shares.is_some() {
                0
            } else {
                self.bound.env
            };
            ks.reg = if request { Reg::InFlight } else { Reg::Armed };
        }
        s
    }

    /// Every enabled step of `s`, appended to `out`: every candidate action
    /// the profile offers, passed through [`Model::apply`].
    pub fn successors(&self, s: &State, out: &mut Vec<Step>) {
        let r = &self.rules;
        let maxes = [1, self.bound.batch];
        let distinct = if self.bound.batch > 1 { 2 } else { 1 };
        for t in self.threads() {
            let thread = t;
            let th = s.threads[t as usize];
            // Only an idle thread with operations left starts one (apply
            // would refuse the rest; skipping them here is only faster).
            match th.phase {
                Phase::Idle if th.ops_left > 0 || !self.budgets => {}
                Phase::Idle => continue,
                Phase::Woken(_) => {
                    self.apply(s, Action::Harvest { thread }, out);
                    self.apply(s, Action::Timeout { thread }, out);
                    continue;
                }
                Phase::Blocked(_) => {
                    self.apply(s, Action::Timeout { thread }, out);
                    continue;
                }
                Phase::Cancelling(..) => {
                    self.apply(s, Action::CancelReturn { thread }, out);
                    continue;
                }
            }
            for &max in &maxes[..distinct] {
                for block in [false, true] {
                    self.apply(s, Action::Wait { thread, max, block }, out);
                }
            }
            for key in self.keys() {
                self.apply(s, Action::Register { thread, key }, out);
                let current = s.keys[key as usize].mode();
                if r.modify_modes.contains(&current) {
                    for &mode in r.modify_modes.iter().filter(|m| **m != current) {
                        self.apply(s, Action::Modify { thread, key, mode }, out);
                    }
                }
                // A no-op `rearm` (of an armed registration nobody holds)
                // only stutters: every behaviour after it is one without it,
                // so the explorer does not take it (apply enables it, for
                // recorded histories).
                let ks = s.keys[key as usize];
                if !(ks.reg == Reg::Armed && ks.holders == 0) {
                    self.apply(s, Action::Rearm { thread, key }, out);
                }
                self.apply(s, Action::Consume { thread, key }, out);
                for &mode in self.cancel_modes_of(key) {
                    self.apply(s, Action::Cancel { thread, key, mode }, out);
                }
            }
        }
        for key in self.keys() {
            self.apply(s, Action::PostFinal { key }, out);
            self.apply(s, Action::Raise { key }, out);
            self.apply(s, Action::Lower { key }, out);
            self.apply(s, Action::Close { key }, out);
            self.apply(s, Action::Complete { key }, out);
            self.apply(s, Action::StreamItem { key }, out);
        }
        self.apply(s, Action::FutexWake { n: 1 }, out);
        let waiters = self.futex_keys();
        if waiters > 1 {
            self.apply(s, Action::FutexWake { n: waiters }, out);
        }
    }

    /// The steps `a` takes from `s`, appended to `out` (none if `a` is not
    /// enabled; several where the outcome is nondeterministic). This is the
    /// transition relation; [`Model::successors`] only enumerates candidate
    /// actions. Unlike `successors`, it takes any readiness mode for
    /// `modify` (the same mode again re-arms and re-checks, as
    /// `EPOLL_CTL_MOD` with an unchanged mask does), any count for
    /// `futex_wake` and any batch size for `wait`.
    pub fn apply(&self, s: &State, a: Action, out: &mut Vec<Step>) {
        let r = &self.rules;
        // Key `k`'s kind and initial mode (a key past the bound: key 0's;
        // every action on it is refused below).
        let spec = |k: u8| self.key_spec(if k < self.bound.keys { k } else { 0 });
        let live_thread = |t: u8| t < self.bound.threads;
        let live_key = |k: u8| k < self.bound.keys;
        // A thread that may start a thread operation.
        let idle = |t: u8| {
            live_thread(t)
                && s.threads[t as usize].phase == Phase::Idle
                && (!self.budgets || s.threads[t as usize].ops_left > 0)
        };
        let env = |k: u8| live_key(k) && (!self.budgets || s.keys[k as usize].env_left > 0);
        match a {
            Action::Harvest { thread: t } => {
                if let Some(Phase::Woken(max)) = live_thread(t).then(|| s.threads[t as usize].phase)
                {
                    self.run(s, a, out, |c| c.harvest(t, max, true));
                }
            }
            Action::CancelReturn { thread: t } => {
                if let Some(Phase::Cancelling(k, answer)) =
                    live_thread(t).then(|| s.threads[t as usize].phase)
                {
                    self.run(s, a, out, |c| {
                        c.s.threads[t as usize].phase = Phase::Idle;
                        c.cancel_returned(k, answer);
                    });
                }
            }
            Action::Timeout { thread: t } => {
                // A completion decided by a wake-up is posted (task work
                // runs) before a blocking wait gives up (F3, F15;
                // os §4.11): the kernel's post comes first.
                if let Some(Phase::Blocked(max) | Phase::Woken(max)) = live_thread(t)
                    .then(|| s.threads[t as usize].phase)
                    .filter(|_| !self.task_work_due(s))
                {
                    self.run(s, a, out, |c| c.timeout(t, max));
                }
            }
            Action::Wait {
                thread: t,
                max,
                block,
            } => {
                let fits = precondition::wait_fits(max.into()).is_ok();
                if idle(t) && fits && max <= crate::scenario::MAX_BATCH {
                    let held = self
                        .keys()
                        .filter(|&k| s.keys[k as usize].holders & (1 << t) != 0)
                        .count();
                    if held <= 1 {
                        // One order: no need to enumerate (the hot path).
                        let order: Vec<u8> = Vec::new();
                        let all: [u8; 4] = [0, 1, 2, 3];
                        let keys = if held == 0 {
                            &order[..]
                        } else {
                            &all[..self.bound.keys as usize]
                        };
                        self.run(s, a, out, |c| c.wait(t, keys, max, block));
                    } else {
                        for order in self.release_orders(s, t) {
                            self.run(s, a, out, |c| c.wait(t, &order, max, block));
                        }
                    }
                }
            }
            Action::Register { thread: t, key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                let sp = spec(k);
                if idle(t)
                    && live_key(k)
                    && r.mode_fits(sp.source, sp.mode).is_ok()
                    && ks.reg == Reg::Free
                    && !(sp.source.is_readiness() && ks.closed)
                {
                    self.run(s, a, out, |c| c.register(t, k));
                }
            }
            Action::Modify {
                thread: t,
                key: k,
                mode,
            } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                if idle(t)
                    && live_key(k)
                    && !self.is_request_of(k)
                    && r.readiness_fits(spec(k).source, mode).is_ok()
                    && matches!(ks.reg, Reg::Armed | Reg::Disarmed)
                    && !(ks.closed && r.closed_fd_unnamed())
                {
                    self.run(s, a, out, |c| c.modify(k, mode));
                }
            }
            Action::Rearm { thread: t, key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                let holds = ks.holders & (1 << t) != 0;
                // Unified `rearm` is "release the caller's hold, re-arm if
                // disarmed" (DESIGN §3.1): of an armed registration nobody
                // holds it is a no-op step (F5). Elsewhere re-arm is the
                // mechanism's re-arm call (`EPOLL_CTL_MOD`, `EV_ENABLE`),
                // which this model offers only after a delivery disarmed it.
                let no_op = r.exclusive_hold && ks.reg == Reg::Armed && ks.holders == 0;
                if idle(t)
                    && live_key(k)
                    && !self.is_request_of(k)
                    && r.has_rearm
                    && !(ks.closed && r.closed_fd_unnamed())
                    && (ks.reg == Reg::Disarmed || (holds && r.exclusive_hold) || no_op)
                {
                    self.run(s, a, out, |c| c.rearm(t, k));
                }
            }
            Action::Consume { thread: t, key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                if idle(t)
                    && live_key(k)
                    && precondition::consume_fits(spec(k).source).is_ok()
                    && ks.cond
                    && !(ks.closed && r.close != CloseRule::Survives)
                {
                    // Draining the source drains it for every key bound to it.
                    self.run(s, a, out, |c| {
                        for &j in self.source_keys(k).iter() {
                            c.consume(j);
                        }
                    });
                }
            }
            Action::Cancel {
                thread: t,
                key: k,
                mode,
            } => {
                let sp = spec(k);
                let fits = r.cancel_fits(sp.source, sp.mode, mode).is_ok();
                // `EPOLL_CTL_DEL` of the closed number is refused (`EBADF`,
                // F1): the registration stays, nothing is answered.
                let unnamed = mode == CancelMode::Sync
                    && s.keys.get(k as usize).is_some_and(|ks| ks.closed)
                    && r.closed_fd_unnamed();
                if idle(t) && live_key(k) && fits && !unnamed {
                    let choices = Ctx::new(self, s).cancel_choices(k, mode);
                    for choice in 0..choices {
                        self.run(s, a, out, |c| c.cancel(t, k, mode, choice));
                    }
                }
            }
            Action::PostFinal { key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                if live_key(k) && self.kernel_post_due(ks) {
                    self.run(s, a, out, |c| c.post_final(k));
                }
            }
            Action::Raise { key: k } | Action::Lower { key: k } | Action::Close { key: k } => {
                let sp = spec(k);
                // A shared source takes its steps through its first key.
                if !env(k) || !sp.source.is_readiness() || sp.shares.is_some() {
                    return;
                }
                let ks = s.keys[k as usize];
                let gone = ks.closed && r.close != CloseRule::Survives;
                let bound_to = self.source_keys(k);
                match a {
                    Action::Raise { .. }
                        if !(gone || sp.source == SourceKind::Sticky && ks.cond) =>
                    {
                        if bound_to.len() == 1 {
                            self.run(s, a, out, |c| c.raise(k));
                        } else {
                            // One wake-up queues the source's registrations
                            // in an unspecified order: every order.
                            for order in orders(&bound_to.items[..bound_to.len()]) {
                                self.run(s, a, out, |c| {
                                    c.use_env(k);
                                    for &j in &order {
                                        c.raised(j);
                                    }
                                });
                            }
                        }
                    }
                    Action::Lower { .. } if sp.source == SourceKind::Level && ks.cond && !gone => {
                        self.run(s, a, out, |c| {
                            c.use_env(k);
                            for &j in bound_to.iter() {
                                c.lowered(j);
                            }
                        });
                    }
                    Action::Close { .. } if !ks.closed => {
                        self.run(s, a, out, |c| {
                            c.use_env(k);
                            for &j in bound_to.iter() {
                                c.closed(j);
                            }
                        });
                    }
                    _ => {}
                }
            }
            Action::Complete { key: k } | Action::StreamItem { key: k } => {
                if !env(k) || spec(k).source != SourceKind::Operation {
                    return;
                }
                let ks = s.keys[k as usize];
                // Its outcome is decided already: cancelled, or (F3) a
                // completion waiting for its task work.
                if ks.reg != Reg::InFlight || matches!(ks.cancel, CancelReq::Won | CancelReq::Woken)
                {
                    return;
                }
                match a {
                    Action::Complete { .. } => self.run(s, a, out, |c| c.complete(k)),
                    _ if spec(k).mode == Mode::Multishot => {
                        self.run(s, a, out, |c| c.stream_item(k));
                    }
                    _ => {}
                }
            }
            Action::FutexWake { n } => {
                if self.futex_keys() > 0
                    && (!self.budgets || s.futex_env > 0)
                    && precondition::futex_wake_fits(n.into()).is_ok()
                {
                    self.futex_wake(s, n, out);
                }
            }
        }
    }

    /// Whether the kernel owes registration `ks` a post
    /// ([`Action::PostFinal`]): the final of an operation whose cancel won
    /// or raced, or a completion a wake-up decided (`CancelReq::Woken`).
    /// The one statement of when that kernel step is enabled, which
    /// quiescence reads too.
    pub(crate) fn kernel_post_due(&self, ks: KeyState) -> bool {
        let lost = self.rules.mutant_lost_final && ks.cancel != CancelReq::Woken;
        ks.reg == Reg::InFlight && ks.cancel != CancelReq::None && !lost
    }

    /// Whether a completion a wake-up decided is still to be posted in `s`
    /// (a key `Woken`, under [`Rules::deferred_completion`] or
    /// [`Rules::defers_futex_finals`]): no blocking wait gives up then.
    pub(crate) fn task_work_due(&self, s: &State) -> bool {
        self.keys().any(|k| {
            let ks = s.keys[k as usize];
            ks.reg == Reg::InFlight && ks.cancel == CancelReq::Woken
        })
    }

    /// Runs a step body, then fans out over wake-up choices. A body that
    /// meets binary choices of the kernel ([`Ctx::decide`], at most 8, in
    /// an order that depends only on the earlier choices) is run once per
    /// combination.
    fn run(&self, s: &State, action: Action, out: &mut Vec<Step>, body: impl Fn(&mut Ctx)) {
        let mut alt: u16 = 0;
        let mut most = 0;
        loop {
            let mut c = Ctx::new(self, s);
            c.alt = alt as u8;
            if let Some(t) = action.thread() {
                if matches!(
                    action,
                    Action::Wait { .. }
                        | Action::Register { .. }
                        | Action::Modify { .. }
                        | Action::Rearm { .. }
                        | Action::Cancel { .. }
                        | Action::Consume { .. }
                ) && self.budgets
                {
                    c.s.threads[t as usize].ops_left -= 1;
                }
            }
            body(&mut c);
            most = most.max(c.decisions);
            c.finish(action, out);
            alt += 1;
            if alt >= 1 << most {
                break;
            }
        }
    }
}

/// Every ordering of `items` (at most 4, so at most 24 orderings).
fn orders(items: &[u8]) -> Vec<Vec<u8>> {
    if items.len() <= 1 {
        return vec![items.to_vec()];
    }
    let mut out = Vec::new();
    for i in 0..items.len() {
        let mut rest = items.to_vec();
        let first = rest.remove(i);
        for mut tail in orders(&rest) {
            tail.insert(0, first);
            out.push(tail);
        }
    }
    out
}

/// A fixed-capacity list (a batch, or keys to re-queue): no allocation on
/// the explorer's hot path. Capacity 4 = `MAX_BATCH` = `MAX_KEYS`.
#[derive(Default)]
struct Small<T: Copy + Default> {
    items: [T; 4],
    len: usize,
}

impl<T: Copy + Default> Small<T> {
    fn push(&mut self, x: T) {
        self.items[self.len] = x;
        self.len += 1;
    }
    fn len(&self) -> usize {
        self.len
    }
    fn is_empty(&self) -> bool {
        self.len == 0
    }
    fn iter(&self) -> std::slice::Iter<'_, T> {
        self.items[..self.len].iter()
    }
}

/// Scratch for building one step.
struct Ctx<'m> {
    m: &'m Model,
    r: &'m Rules,
    s: State,
    obs: Obs,
    shown: Shown,
    /// Something became deliverable: wake a blocked waiter at the end.
    wake: bool,
    /// A push found the queue full.
    overflow: bool,
    /// Binary kernel choices met so far in this step ([`Ctx::decide`]).
    decisions: u8,
    /// Which way each choice goes in this run (bit `i`: choice `i`).
    alt: u8,
}

impl<'m> Ctx<'m> {
    fn new(m: &'m Model, s: &State) -> Ctx<'m> {
        Ctx {
            m,
            r: &m.rules,
            s: *s,
            obs: Obs::default(),
            shown: Shown::default(),
            wake: false,
            overflow: false,
            decisions: 0,
            alt: 0,
        }
    }

    /// A binary choice of the kernel within one step: `false` in the
    /// first run of the body, and each combination in a run of its own
    /// (see [`Model::run`]).
    fn decide(&mut self) -> bool {
        let i = self.decisions;
        self.decisions += 1;
        self.alt & (1 << i) != 0
    }

    /// Whether the completion of request `k` that a wake-up just decided
    /// is left to the kernel's task work (F3): a choice where the profile
    /// has `deferred_completion`.
    fn defer_completion(&mut self) -> bool {
        self.r.deferred_completion && self.decide()
    }

    /// Whether the final of a futex wait that a `futex_wake` just released
    /// is left to a later kernel step: a choice where the profile defers
    /// futex finals ([`Rules::defers_futex_finals`]; F3, F15).
    fn defer_futex_final(&mut self) -> bool {
        self.r.defers_futex_finals() && self.decide()
    }

    fn push_entry(&mut self, e: Entry) {
        if (self.s.qlen as usize) < MAX_QUEUE {
            self.s.push(e);
        } else {
            self.overflow = true;
        }
    }

    fn key(&mut self, k: u8) -> &mut KeyState {
        &mut self.s.keys[k as usize]
    }

    fn use_env(&mut self, k: u8) {
        if !self.m.budgets {
            return;
        }
        let ks = self.key(k);
        assert!(ks.env_left > 0, "environment step without budget");
        ks.env_left -= 1;
    }

    fn cond(&self, k: u8) -> bool {
        self.s.keys[k as usize].cond
    }

    /// Clears bookkeeping that no longer matters, then emits one step per
    /// choice of woken waiter.
    fn finish(mut self, action: Action, out: &mut Vec<Step>) {
        // Overtaking only counts while a key has something queued.
        for k in self.m.keys() {
            if !self.s.queued(k, |_| true) {
                self.s.keys[k as usize].overtakers = 0;
            }
        }
        // The reductions of `reduce` and `liveness` (as `Model::forget`).
        if self.m.budgets && self.m.dead_variables {
            self.forget_dead();
        }
        if self.m.budgets && self.m.dead_ghosts {
            self.forget_ghosts();
        }
        if self.m.budgets && self.m.dead_sources {
            self.forget_sources();
        }
        let someone_woken = self
            .m
            .threads()
            .any(|t| matches!(self.s.threads[t as usize].phase, Phase::Woken(_)));
        let deliverable = |c: &Self, t: u8| {
            c.s.queue()
                .iter()
                .any(|e| c.deliverable(t, *e) == Deliver::Yes)
        };
        let wake = self.wake && self.r.wake_on_queue && !someone_woken;
        let mut candidates = 0u8;
        if wake {
            for t in self.m.threads() {
                if matches!(self.s.threads[t as usize].phase, Phase::Blocked(_))
                    && deliverable(&self, t)
                {
                    candidates |= 1 << t;
                }
            }
        }
        if candidates == 0 {
            out.push(Step {
                action,
                shown: self.shown,
                next: self.s,
                obs: self.obs,
                overflow: self.overflow,
            });
            return;
        }
        for t in self.m.threads().filter(|t| candidates & (1 << t) != 0) {
            let mut s = self.s;
            if let Phase::Blocked(max) = s.threads[t as usize].phase {
                s.threads[t as usize].phase = Phase::Woken(max);
            }
            let mut obs = self.obs;
            obs.witness(P::NoLostWakeup);
            let mut shown = self.shown;
            shown.woke = 1 << t;
            out.push(Step {
                action,
                shown,
                next: s,
                obs,
                overflow: self.overflow,
            });
        }
    }
}
