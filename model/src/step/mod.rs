//! The transition relation: which steps are enabled in a state, what each
//! does under a profile's [`Rules`], and what it shows about the properties.
//!
//! Every step is atomic. Where the real systems are nondeterministic (which
//! blocked waiter a wake-up picks, which futex waiters a wake releases,
//! whether an aio request is cancellable, whether io_uring finds a request
//! cancellable or already running) a step has several outcomes, each its own
//! [`Step`]; the order of a cancel's answer and the target's final event is
//! the interleaving of the `CancelReturn` and `PostFinal` steps.

use crate::action::{Action, Answer, CancelMode, Shown};
use crate::property::{Obs, Property as P};
use crate::rules::{CloseRule, LevelRequeue, OpCancel, Order, ReadinessCancel, Rules};
use crate::scenario::{Bound, BoundError, Mode, Scenario, SourceKind};
use crate::state::{CancelReq, Entry, EventKind, KeyState, Outcome, Phase, Reg, State, MAX_QUEUE};

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
    /// What every key is.
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
}

/// Whether a queued entry can be delivered now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Deliver {
    Yes,
    /// Stays queued (held by another thread in the unified profile).
    Skip,
    /// Stale readiness: dropped at harvest (disarmed, or the condition went
    /// away and the profile re-polls).
    Drop,
}

impl Model {
    /// A model, if the bound is representable.
    pub fn new(rules: Rules, scenario: Scenario, bound: Bound) -> Result<Model, BoundError> {
        bound.validate()?;
        // Each key queues at most one readiness event (or, without
        // coalescing, one per environment step), plus two finals.
        let per_key = bound.env as usize + 3;
        if per_key * bound.keys as usize > MAX_QUEUE {
            return Err(BoundError(format!(
                "--keys {} with --env {} could need {} queue slots; a state holds {MAX_QUEUE}",
                bound.keys,
                bound.env,
                per_key * bound.keys as usize
            )));
        }
        Ok(Model {
            rules,
            scenario,
            bound,
            budgets: true,
            dead_variables: true,
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

    /// The first half of `wait`: thread `t` releases every event it holds
    /// (and, in the unified profile, what that release re-queues or
    /// re-arms). A recorded wait linearizes its release and its harvest at
    /// two points of its interval.
    ///
    /// Releasing several registrations re-queues them in an unspecified
    /// order: one state per order of the held keys.
    pub fn release_holds(&self, s: &State, t: u8) -> Vec<State> {
        self.release_orders(s, t)
            .into_iter()
            .map(|order| {
                let mut c = Ctx::new(self, s);
                for k in order {
                    c.release(t, k, true);
                }
                c.s
            })
            .collect()
    }

    /// Every order in which thread `t` may release the keys it holds.
    fn release_orders(&self, s: &State, t: u8) -> Vec<Vec<u8>> {
        let held: Vec<u8> = self
            .keys()
            .filter(|&k| s.keys[k as usize].holders & (1 << t) != 0)
            .collect();
        orders(&held)
    }

    fn threads(&self) -> std::ops::Range<u8> {
        0..self.bound.threads
    }

    fn keys(&self) -> std::ops::Range<u8> {
        0..self.bound.keys
    }

    /// Whether registrations in this scenario are requests that complete
    /// (operations, futex waits, poll requests, multishot polls) rather than
    /// persistent readiness registrations.
    pub fn is_request(&self) -> bool {
        let s = self.scenario;
        !s.source.is_readiness() || s.mode == Mode::Multishot || self.rules.poll_request(s.mode)
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
        if self.scenario.source == SourceKind::Futex {
            s.futex_env = self.bound.env;
        }
        s.queue = [Entry::new(0, 0, EventKind::Ready); MAX_QUEUE];
        for t in self.threads() {
            s.threads[t as usize].ops_left = self.bound.ops;
        }
        for k in self.keys() {
            let ks = &mut s.keys[k as usize];
            ks.mode = self.scenario.mode.code();
            ks.env_left = self.bound.env;
            ks.reg = if self.is_request() {
                Reg::InFlight
            } else {
                Reg::Armed
            };
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
                self.apply(s, Action::Rearm { thread, key }, out);
                self.apply(s, Action::Consume { thread, key }, out);
                for &mode in self.cancel_modes() {
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
        if self.bound.keys > 1 {
            self.apply(s, Action::FutexWake { n: self.bound.keys }, out);
        }
    }

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
    /// waiter at once, so futex scenarios are not reduced.
    pub fn independent_key(&self, s: &State, steps: &[Step]) -> Option<u8> {
        if !self.budgets
            || !self.dead_variables
            || self.scenario.source == SourceKind::Futex
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

    /// The cancel modes this profile offers for the scenario's registrations.
    pub fn cancel_modes(&self) -> &'static [CancelMode] {
        let sc = self.scenario;
        let r = &self.rules;
        if !self.is_request()
            || (sc.source.is_readiness() && r.readiness_cancel == ReadinessCancel::Dissociate)
        {
            &[CancelMode::Sync]
        } else if sc.source.is_readiness() {
            &[CancelMode::Async]
        } else {
            r.op_cancel_modes
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
        let sc = self.scenario;
        let r = &self.rules;
        let request = self.is_request();
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
                if let Some(Phase::Blocked(max) | Phase::Woken(max)) =
                    live_thread(t).then(|| s.threads[t as usize].phase)
                {
                    self.run(s, a, out, |c| c.timeout(t, max));
                }
            }
            Action::Wait {
                thread: t,
                max,
                block,
            } => {
                if idle(t) && (1..=crate::scenario::MAX_BATCH).contains(&max) {
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
                if idle(t)
                    && live_key(k)
                    && ks.reg == Reg::Free
                    && !(sc.source.is_readiness() && ks.closed)
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
                    && !request
                    && Mode::READINESS.contains(&mode)
                    && matches!(ks.reg, Reg::Armed | Reg::Disarmed)
                {
                    self.run(s, a, out, |c| c.modify(k, mode));
                }
            }
            Action::Rearm { thread: t, key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                let holds = ks.holders & (1 << t) != 0;
                if idle(t)
                    && live_key(k)
                    && !request
                    && r.has_rearm
                    && (ks.reg == Reg::Disarmed || (holds && r.exclusive_hold))
                {
                    self.run(s, a, out, |c| c.rearm(t, k));
                }
            }
            Action::Consume { thread: t, key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                if idle(t)
                    && live_key(k)
                    && matches!(sc.source, SourceKind::Level | SourceKind::Counter)
                    && ks.cond
                    && !ks.closed
                {
                    self.run(s, a, out, |c| c.key(k).cond = false);
                }
            }
            Action::Cancel {
                thread: t,
                key: k,
                mode,
            } => {
                if idle(t) && live_key(k) && self.cancel_modes().contains(&mode) {
                    let choices = Ctx::new(self, s).cancel_choices(k, mode);
                    for choice in 0..choices {
                        self.run(s, a, out, |c| c.cancel(t, k, mode, choice));
                    }
                }
            }
            Action::PostFinal { key: k } => {
                let ks = s.keys.get(k as usize).copied().unwrap_or_default();
                if live_key(k)
                    && ks.reg == Reg::InFlight
                    && ks.cancel != CancelReq::None
                    && !r.mutant_lost_final
                {
                    self.run(s, a, out, |c| c.post_final(k));
                }
            }
            Action::Raise { key: k } | Action::Lower { key: k } | Action::Close { key: k } => {
                if !env(k) || !sc.source.is_readiness() {
                    return;
                }
                let ks = s.keys[k as usize];
                let gone = ks.closed && r.close != CloseRule::Survives;
                match a {
                    Action::Raise { .. }
                        if !(gone || sc.source == SourceKind::Sticky && ks.cond) =>
                    {
                        self.run(s, a, out, |c| c.raise(k));
                    }
                    Action::Lower { .. } if sc.source == SourceKind::Level && ks.cond && !gone => {
                        self.run(s, a, out, |c| {
                            c.use_env(k);
                            c.key(k).cond = false;
                        });
                    }
                    Action::Close { .. } if !ks.closed => {
                        self.run(s, a, out, |c| c.close(k));
                    }
                    _ => {}
                }
            }
            Action::Complete { key: k } | Action::StreamItem { key: k } => {
                if !env(k) || sc.source != SourceKind::Operation {
                    return;
                }
                let ks = s.keys[k as usize];
                if ks.reg != Reg::InFlight || ks.cancel == CancelReq::Won {
                    return;
                }
                match a {
                    Action::Complete { .. } => self.run(s, a, out, |c| {
                        c.use_env(k);
                        c.post(k, EventKind::Final(Outcome::Done));
                    }),
                    _ if sc.mode == Mode::Multishot => self.run(s, a, out, |c| {
                        c.use_env(k);
                        c.post(k, EventKind::Item);
                    }),
                    _ => {}
                }
            }
            Action::FutexWake { n } => {
                if sc.source == SourceKind::Futex && (!self.budgets || s.futex_env > 0) && n >= 1 {
                    self.futex_wake(s, n, out);
                }
            }
        }
    }

    /// Runs a deterministic step body, then fans out over wake-up choices.
    fn run(&self, s: &State, action: Action, out: &mut Vec<Step>, body: impl FnOnce(&mut Ctx)) {
        let mut c = Ctx::new(self, s);
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
        c.finish(action, out);
    }

    fn futex_wake(&self, s: &State, n: u8, out: &mut Vec<Step>) {
        let mut waiting = [0u8; crate::scenario::MAX_KEYS as usize];
        let mut w = 0u8;
        for k in self.keys() {
            let ks = s.keys[k as usize];
            if ks.reg == Reg::InFlight && ks.cancel != CancelReq::Won {
                waiting[w as usize] = k;
                w += 1;
            }
        }
        let waiting = &waiting[..w as usize];
        let release = if self.rules.futex_wake_exact {
            n.min(w)
        } else {
            w
        };
        // Every subset of `waiting` of size `release`, released in every
        // order: futex(2) promises no order (os §4.7), and the order decides
        // the order of the final events in the queue.
        for mask in 0u32..(1 << waiting.len()) {
            if mask.count_ones() as u8 != release {
                continue;
            }
            let mut chosen = [0u8; crate::scenario::MAX_KEYS as usize];
            let mut c = 0;
            for (i, &k) in waiting.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    chosen[c] = k;
                    c += 1;
                }
            }
            for order in orders(&chosen[..c]) {
                self.run(s, Action::FutexWake { n }, out, |c| {
                    if c.m.budgets {
                        c.s.futex_env -= 1;
                    }
                    let mut released = 0u8;
                    for &k in &order {
                        c.post(k, EventKind::Final(Outcome::Done));
                        released |= 1 << k;
                    }
                    c.shown.released = released;
                    let r = released.count_ones() as u8;
                    c.obs.check(P::FutexWakeCount, r <= n && r >= n.min(w));
                    c.obs.witness_if(P::FutexWakeCount, w > 0);
                });
            }
        }
    }

    /// What a state shows by itself: invariants, and at quiescence (no thread
    /// or kernel step enabled) what must eventually have happened.
    pub fn state_obs(&self, s: &State) -> Obs {
        let mut obs = Obs::default();
        if self.scenario.source.is_readiness() {
            for k in self.keys() {
                let n = s
                    .queue()
                    .iter()
                    .filter(|e| {
                        e.key() == k && matches!(e.kind(), EventKind::Ready | EventKind::Item)
                    })
                    .count();
                obs.check(P::Coalesced, n <= 1);
            }
        }
        if self.quiescent(s) {
            let c = Ctx::new(self, s);
            let blocked: Vec<u8> = self
                .threads()
                .filter(|&t| matches!(s.threads[t as usize].phase, Phase::Blocked(_)))
                .collect();
            for &t in &blocked {
                let stuck = s
                    .queue()
                    .iter()
                    .any(|e| c.deliverable(t, *e) == Deliver::Yes);
                obs.check(P::NoLostWakeup, !stuck);
            }
            for k in self.keys() {
                let ks = s.keys[k as usize];
                if ks.owed {
                    let queued = s.queued(k, |e| {
                        e.gen() == ks.gen && matches!(e.kind(), EventKind::Final(_))
                    });
                    let awaiting_release = ks.reg == Reg::CancelPending && ks.holders != 0;
                    obs.check(P::ExactlyOneTerminal, queued || awaiting_release);
                }
            }
        }
        obs
    }

    /// No thread or kernel step is enabled (environment steps may be).
    pub fn quiescent(&self, s: &State) -> bool {
        let threads_still = self.threads().all(|t| {
            let th = s.threads[t as usize];
            match th.phase {
                Phase::Idle => th.ops_left == 0,
                Phase::Blocked(_) => true,
                Phase::Woken(_) | Phase::Cancelling(..) => false,
            }
        });
        let kernel_still = self.keys().all(|k| {
            let ks = s.keys[k as usize];
            !(ks.reg == Reg::InFlight
                && ks.cancel != CancelReq::None
                && !self.rules.mutant_lost_final)
        });
        threads_still && kernel_still
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
        }
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

    /// Whether `e` can be delivered to thread `t` now.
    fn deliverable(&self, t: u8, e: Entry) -> Deliver {
        let ks = self.s.keys[e.key() as usize];
        if e.gen() != ks.gen {
            // An event of an earlier registration that was not purged.
            return Deliver::Yes;
        }
        let others = ks.holders & !(1 << t);
        match e.kind() {
            EventKind::Ready => {
                if ks.reg != Reg::Armed || (self.r.repoll_at_harvest && !ks.cond) {
                    Deliver::Drop
                } else if self.r.exclusive_hold && others != 0 && !self.r.mutant_dispatch_requeue {
                    Deliver::Skip
                } else {
                    Deliver::Yes
                }
            }
            EventKind::Item | EventKind::Final(_) => {
                if self.r.exclusive_hold && others != 0 {
                    Deliver::Skip
                } else {
                    Deliver::Yes
                }
            }
        }
    }

    /// Queues a readiness event for `k` (coalescing if the profile does).
    fn enqueue_ready(&mut self, k: u8) {
        let already = self.s.queued(k, |e| e.kind() == EventKind::Ready);
        self.obs.witness_if(P::Coalesced, already);
        // A coalesced wake-up still wakes a waiter (ep_poll_callback wakes
        // whether or not the item was already linked): the queued entry may
        // have been skipped by a waiter that parked since.
        self.wake = true;
        if already && self.r.coalesce {
            return;
        }
        let gen = self.s.keys[k as usize].gen;
        self.push_entry(Entry::new(k, gen, EventKind::Ready));
        self.wake = true;
    }

    /// Posts an item or a final event for a request.
    fn post(&mut self, k: u8, kind: EventKind) {
        let gen = self.s.keys[k as usize].gen;
        if kind == EventKind::Item && self.m.scenario.source.is_readiness() {
            let already = self.s.queued(k, |e| e.kind() == EventKind::Item);
            self.obs.witness_if(P::Coalesced, already);
            self.wake = true;
            if already && self.r.coalesce {
                return;
            }
        }
        self.push_entry(Entry::new(k, gen, kind));
        if let EventKind::Final(_) = kind {
            let ks = self.key(k);
            ks.reg = Reg::Finishing;
        }
        self.wake = true;
    }

    /// After a (re-)arm of `k`: queue if the condition holds and the profile
    /// re-checks; judge `rearm-rechecks-level`.
    fn rearmed(&mut self, k: u8) {
        let ks = self.s.keys[k as usize];
        let cond = self.cond(k);
        self.obs.witness_if(P::RearmRechecksLevel, cond);
        if !cond {
            return;
        }
        if self.r.rearm_rechecks {
            match ks.reg {
                // Held by another thread (unified): the re-check is reported
                // when the holder releases; an `Edge` registration keeps it
                // as its pending edge.
                Reg::Armed
                    if self.r.exclusive_hold && ks.holders != 0 && ks.mode() == Mode::Edge =>
                {
                    self.key(k).pending_edge = true;
                }
                Reg::Armed if self.r.exclusive_hold && ks.holders != 0 => {}
                Reg::Armed => self.enqueue_ready(k),
                Reg::InFlight if ks.mode() == Mode::Multishot => self.post(k, EventKind::Item),
                Reg::InFlight => self.post(k, EventKind::Final(Outcome::Done)),
                _ => {}
            }
        }
        let ks = self.s.keys[k as usize];
        let due = match ks.reg {
            Reg::Armed => !(self.r.exclusive_hold && ks.holders != 0),
            Reg::InFlight => true,
            _ => false,
        };
        let queued = self.s.queued(k, |e| e.gen() == ks.gen);
        self.obs.check(P::RearmRechecksLevel, !due || queued);
    }

    /// Thread `t` releases its hold on `k` (its next wait, rearm or cancel).
    fn release(&mut self, t: u8, k: u8, at_wait: bool) {
        let ks = self.s.keys[k as usize];
        if ks.holders & (1 << t) == 0 {
            return;
        }
        self.key(k).holders &= !(1 << t);
        if !self.r.exclusive_hold || self.s.keys[k as usize].holders != 0 {
            return;
        }
        match ks.reg {
            Reg::CancelPending => {
                self.post(k, EventKind::Final(Outcome::Cancelled));
            }
            Reg::Armed => match ks.mode() {
                Mode::Edge => {
                    if ks.pending_edge {
                        self.key(k).pending_edge = false;
                        self.enqueue_ready(k);
                    }
                }
                _ => {
                    if self.cond(k) {
                        self.enqueue_ready(k);
                    }
                }
            },
            Reg::Disarmed => {
                if ks.mode() == Mode::Dispatch && at_wait && self.r.dispatch_rearm_on_wait {
                    self.key(k).reg = Reg::Armed;
                    self.rearmed(k);
                }
            }
            Reg::InFlight | Reg::Finishing => {
                // Items or the final event held back behind this hold.
                self.wake = true;
            }
            Reg::Free | Reg::Closed => {}
        }
    }

    /// `wait`: release the held keys in `order`, then harvest or park.
    fn wait(&mut self, t: u8, order: &[u8], max: u8, block: bool) {
        for &k in order {
            self.release(t, k, true);
        }
        let mut snapshot = 0u16;
        for k in self.m.keys() {
            snapshot |= u16::from(self.s.keys[k as usize].cancelled_gens) << (4 * k);
        }
        self.s.threads[t as usize].snapshot = snapshot;
        self.obs.witness_if(P::NoEventAfterCancel, snapshot != 0);
        let any = self
            .s
            .queue()
            .iter()
            .any(|e| self.deliverable(t, *e) == Deliver::Yes);
        if block && !any {
            self.s.threads[t as usize].phase = Phase::Blocked(max);
        } else {
            self.harvest(t, max, false);
        }
    }

    fn timeout(&mut self, t: u8, max: u8) {
        let woken = matches!(self.s.threads[t as usize].phase, Phase::Woken(_));
        if woken && self.r.timeout_keeps_wakeup {
            self.harvest(t, max, false);
        } else {
            self.s.threads[t as usize].phase = Phase::Idle;
            self.shown.returned = true;
        }
    }

    /// Takes up to `max` deliverable events for thread `t`. A woken waiter
    /// that finds nothing parks again (`park_if_empty`).
    fn harvest(&mut self, t: u8, max: u8, park_if_empty: bool) {
        let mut batch: Small<Entry> = Small::default();
        let mut requeue: Small<u8> = Small::default();
        let mut i: usize = match self.r.order {
            Order::Fifo => 0,
            Order::Lifo => self.s.qlen as usize,
        };
        loop {
            let idx = match self.r.order {
                Order::Fifo => {
                    if i >= self.s.qlen as usize {
                        break;
                    }
                    i
                }
                Order::Lifo => {
                    if i == 0 {
                        break;
                    }
                    i - 1
                }
            };
            let e = self.s.queue[idx];
            let verdict = match self.deliverable(t, e) {
                // Unified: never the same key twice in one batch.
                Deliver::Yes
                    if self.r.exclusive_hold && batch.iter().any(|b| b.key() == e.key()) =>
                {
                    Deliver::Skip
                }
                v => v,
            };
            match verdict {
                Deliver::Skip => {
                    self.advance(&mut i);
                }
                Deliver::Drop => {
                    self.s.remove_at(idx);
                    if self.r.order == Order::Lifo {
                        i -= 1;
                    }
                }
                Deliver::Yes if batch.len() < max as usize => {
                    self.overtaking(t, idx, e);
                    self.s.remove_at(idx);
                    if self.r.order == Order::Lifo {
                        i -= 1;
                    }
                    self.deliver(t, e, &mut requeue);
                    batch.push(e);
                }
                Deliver::Yes => break,
            }
        }
        for &k in requeue.iter() {
            if self.cond(k) {
                self.enqueue_ready(k);
            }
        }
        let mut seen = 0u8;
        let mut twice = false;
        for e in batch.iter() {
            twice |= seen & (1 << e.key()) != 0;
            seen |= 1 << e.key();
        }
        self.obs
            .check(P::BatchBounds, batch.len() <= max as usize && !twice);
        self.obs
            .witness_if(P::BatchBounds, batch.len() == max as usize && max > 1);
        if batch.is_empty() && park_if_empty {
            self.s.threads[t as usize].phase = Phase::Blocked(max);
            return;
        }
        for (slot, e) in self.shown.batch.iter_mut().zip(batch.iter()) {
            *slot = Some(*e);
        }
        self.shown.returned = true;
        self.s.threads[t as usize].phase = Phase::Idle;
        // ep_done_scan: leftovers wake the next waiter.
        let left = self
            .s
            .queue()
            .iter()
            .any(|e| self.deliverable(t, *e) == Deliver::Yes);
        if left {
            self.wake = true;
        }
    }

    fn advance(&self, i: &mut usize) {
        match self.r.order {
            Order::Fifo => *i += 1,
            Order::Lifo => *i -= 1,
        }
    }

    /// no-starvation: `e`, at queue position `idx`, is about to be delivered
    /// to `t`. Every other key whose first deliverable event is queued ahead
    /// of it is overtaken; being overtaken twice by the same key is a
    /// violation.
    fn overtaking(&mut self, t: u8, idx: usize, e: Entry) {
        let k = e.key();
        for j in self.m.keys() {
            if j == k {
                continue;
            }
            let first = self
                .s
                .queue()
                .iter()
                .position(|x| x.key() == j && self.deliverable(t, *x) == Deliver::Yes);
            if let Some(pj) = first {
                self.obs.witness(P::NoStarvation);
                if pj < idx {
                    let o = self.s.keys[j as usize].overtakers;
                    self.obs.check(P::NoStarvation, o & (1 << k) == 0);
                    self.s.keys[j as usize].overtakers |= 1 << k;
                }
            }
        }
        self.s.keys[k as usize].overtakers = 0;
    }

    /// Hands `e` to thread `t`.
    fn deliver(&mut self, t: u8, e: Entry, requeue: &mut Small<u8>) {
        let k = e.key();
        let ks = self.s.keys[k as usize];
        let th = self.s.threads[t as usize];
        let others = ks.holders & !(1 << t);
        let kind = e.kind();
        let final_event = matches!(kind, EventKind::Final(_));

        // A poll request's final event is its readiness report.
        let readiness_report = kind != EventKind::Final(Outcome::Cancelled);
        if self.m.scenario.source.is_readiness() && readiness_report {
            self.obs.check(P::CloseRemoves, !ks.closed);
        }
        if !final_event {
            self.obs.check(P::NoDuplicateDelivery, others == 0);
            let someone_waits = self.m.threads().any(|u| {
                u != t
                    && matches!(
                        self.s.threads[u as usize].phase,
                        Phase::Blocked(_) | Phase::Woken(_)
                    )
            });
            self.obs
                .witness_if(P::NoDuplicateDelivery, others != 0 || someone_waits);
        }
        if th.snapshot & (1 << (4 * k + e.gen())) != 0
            && kind != EventKind::Final(Outcome::Cancelled)
        {
            self.obs.check(P::NoEventAfterCancel, false);
        }

        if e.gen() != ks.gen {
            // An event of an earlier registration (only reachable when a
            // rule fails to purge): it says nothing to the current one.
            return;
        }
        match kind {
            EventKind::Ready => {
                let dispatch_requeue = self.r.mutant_dispatch_requeue;
                let ks = &mut self.s.keys[k as usize];
                ks.holders |= 1 << t;
                match ks.mode() {
                    Mode::Level if self.r.level_requeue == LevelRequeue::AfterDelivery => {
                        requeue.push(k);
                    }
                    Mode::Oneshot => ks.reg = Reg::Disarmed,
                    Mode::Dispatch => {
                        if dispatch_requeue {
                            requeue.push(k);
                        } else {
                            ks.reg = Reg::Disarmed;
                        }
                    }
                    _ => {}
                }
            }
            EventKind::Item => {
                self.key(k).holders |= 1 << t;
            }
            EventKind::Final(_) => {
                if e.gen() == ks.gen {
                    self.terminal_reaches(t, k);
                    let ks = self.key(k);
                    if ks.reg == Reg::Finishing {
                        ks.reg = Reg::Free;
                    }
                }
            }
        }
    }

    /// The terminal outcome of `k` reaches thread `t`.
    fn terminal_reaches(&mut self, t: u8, k: u8) {
        let ks = self.s.keys[k as usize];
        self.obs.check(P::ExactlyOneTerminal, ks.terminals == 0);
        self.obs.witness(P::ExactlyOneTerminal);
        self.obs.check(P::TeardownSafe, ks.holders & !(1 << t) == 0);
        let ks = self.key(k);
        ks.terminals = (ks.terminals + 1).min(2);
        ks.owed = false;
    }

    fn raise(&mut self, k: u8) {
        self.use_env(k);
        self.key(k).cond = true;
        let ks = self.s.keys[k as usize];
        match ks.reg {
            Reg::Armed => {
                if self.r.exclusive_hold && ks.holders != 0 {
                    if ks.mode() == Mode::Edge {
                        self.key(k).pending_edge = true;
                    }
                } else {
                    self.enqueue_ready(k);
                }
            }
            Reg::InFlight if ks.cancel != CancelReq::Won => {
                if ks.mode() == Mode::Multishot {
                    self.post(k, EventKind::Item);
                } else {
                    self.post(k, EventKind::Final(Outcome::Done));
                }
            }
            _ => {}
        }
    }

    fn close(&mut self, k: u8) {
        self.use_env(k);
        self.obs
            .witness_if(P::CloseRemoves, self.s.keys[k as usize].reg != Reg::Free);
        self.key(k).closed = true;
        match self.r.close {
            CloseRule::Survives => {}
            CloseRule::Removes => {
                self.s.purge(k, |_| true);
                let ks = self.key(k);
                ks.reg = Reg::Free;
                ks.pending_edge = false;
            }
            CloseRule::RemovesKeepsTerminal => {
                self.s.purge(k, |e| e.kind() == EventKind::Ready);
                let ks = self.key(k);
                ks.pending_edge = false;
                if matches!(ks.reg, Reg::Armed | Reg::Disarmed) {
                    ks.reg = Reg::Closed;
                }
            }
        }
    }

    fn register(&mut self, _t: u8, k: u8) {
        let request = self.m.is_request();
        let mode = self.m.scenario.mode.code();
        let ks = &mut self.s.keys[k as usize];
        ks.gen = (ks.gen + 1) & 3;
        // The generation number is reused: forget its old cancel.
        ks.cancelled_gens &= !(1 << ks.gen);
        ks.terminals = 0;
        ks.owed = false;
        ks.cancel = CancelReq::None;
        ks.pending_edge = false;
        ks.mode = mode;
        ks.reg = if request { Reg::InFlight } else { Reg::Armed };
        if self.m.scenario.source.is_readiness() {
            self.rearmed(k);
        }
    }

    fn modify(&mut self, k: u8, m: Mode) {
        let ks = self.key(k);
        ks.mode = m.code();
        // The re-check below decides afresh whether an edge is pending.
        ks.pending_edge = false;
        ks.reg = Reg::Armed;
        self.rearmed(k);
    }

    fn rearm(&mut self, t: u8, k: u8) {
        self.release(t, k, false);
        if self.s.keys[k as usize].reg == Reg::Disarmed {
            self.key(k).reg = Reg::Armed;
            self.rearmed(k);
        }
    }

    fn post_final(&mut self, k: u8) {
        self.post(k, EventKind::Final(Outcome::Cancelled));
        if self.r.mutant_double_final {
            let gen = self.s.keys[k as usize].gen;
            self.s
                .push(Entry::new(k, gen, EventKind::Final(Outcome::Cancelled)));
        }
    }

    /// How many outcomes a cancel has (nondeterministic kernels).
    fn cancel_choices(&self, k: u8, mode: CancelMode) -> u8 {
        let ks = self.s.keys[k as usize];
        if mode == CancelMode::Sync || ks.reg != Reg::InFlight || ks.cancel != CancelReq::None {
            return 1;
        }
        let plain_op = self.m.scenario.source == SourceKind::Operation;
        match self.r.op_cancel {
            // A plain aio read/write is not cancellable; IOCB_CMD_POLL is.
            OpCancel::LinuxAio if plain_op => 2,
            // An io_uring request may already be running (-EALREADY).
            OpCancel::IoUring if plain_op => 2,
            _ => 1,
        }
    }

    fn cancel(&mut self, t: u8, k: u8, mode: CancelMode, choice: u8) {
        self.release(t, k, false);
        let before = self.s.keys[k as usize];
        let others = before.holders & !(1 << t);
        self.obs.witness_if(P::TeardownSafe, others != 0);
        let contested = others != 0
            || matches!(before.reg, Reg::InFlight | Reg::Finishing)
            || self.s.queued(k, |_| true);
        self.obs.witness_if(P::HonestCancel, contested);
        let readiness = self.m.scenario.source.is_readiness();
        let answer = if mode == CancelMode::Sync {
            self.cancel_readiness(k)
        } else {
            self.cancel_op(k, mode, choice)
        };
        self.shown.answer = Some(answer);
        let deferred = self.r.op_cancel == OpCancel::IoUring && mode != CancelMode::Sync;
        if readiness && !deferred {
            self.cancel_returned(k, answer);
        }

        // honest-cancel: judge the answer's claim against the truth when it
        // was decided.
        let after = self.s.keys[k as usize];
        let live_queued = self.s.queued(k, |e| e.gen() == after.gen);
        let honest = match answer {
            Answer::Removed => others == 0 && !live_queued && after.reg == Reg::Free,
            Answer::RemovedWith(_) => before.reg == Reg::Finishing && others == 0,
            Answer::Pending => before.reg != Reg::Free,
            Answer::NotFound => before.reg == Reg::Free,
            Answer::Cancelled | Answer::InProgress => before.reg == Reg::InFlight,
            Answer::TooLate => matches!(before.reg, Reg::Finishing | Reg::Free),
        };
        self.obs.check(P::HonestCancel, honest);

        if answer.is_terminal() {
            self.terminal_reaches(t, k);
        }
        if answer.promises_final() {
            self.key(k).owed = true;
        }
        if deferred {
            self.s.threads[t as usize].phase = Phase::Cancelling(k, answer);
        }
    }

    /// A readiness cancel's answer has reached the caller: from now on a
    /// wait that starts must not yield a readiness event of this generation.
    fn cancel_returned(&mut self, k: u8, answer: Answer) {
        if !self.m.scenario.source.is_readiness() {
            return;
        }
        if matches!(
            answer,
            Answer::Removed | Answer::Pending | Answer::Cancelled | Answer::InProgress
        ) {
            let gen = self.s.keys[k as usize].gen;
            self.key(k).cancelled_gens |= 1 << gen;
        }
    }

    fn cancel_readiness(&mut self, k: u8) -> Answer {
        let ks = self.s.keys[k as usize];
        match self.r.readiness_cancel {
            ReadinessCancel::Purge | ReadinessCancel::AsOperation => {
                if ks.reg == Reg::Free || (ks.closed && self.r.close == CloseRule::Survives) {
                    // The fd number no longer names the registration (EBADF).
                    return Answer::NotFound;
                }
                self.s.purge(k, |_| true);
                self.key(k).reg = Reg::Free;
                Answer::Removed
            }
            ReadinessCancel::Dissociate => match ks.reg {
                Reg::Free => Answer::NotFound,
                _ => {
                    self.s.purge(k, |_| true);
                    self.key(k).reg = Reg::Free;
                    Answer::Removed
                }
            },
            ReadinessCancel::Unified => match ks.reg {
                Reg::Free => Answer::NotFound,
                Reg::CancelPending | Reg::Finishing | Reg::InFlight => Answer::Pending,
                Reg::Armed | Reg::Disarmed | Reg::Closed => {
                    if !self.r.mutant_no_purge {
                        self.s.purge(k, |e| e.kind() == EventKind::Ready);
                    }
                    let removed_while_held = self.r.mutant_removed_while_held;
                    let ks = &mut self.s.keys[k as usize];
                    ks.pending_edge = false;
                    if ks.holders != 0 && !removed_while_held {
                        ks.reg = Reg::CancelPending;
                        Answer::Pending
                    } else {
                        ks.reg = Reg::Free;
                        Answer::Removed
                    }
                }
            },
        }
    }

    fn cancel_op(&mut self, k: u8, mode: CancelMode, choice: u8) -> Answer {
        let ks = self.s.keys[k as usize];
        let racing = |c: &mut Self| {
            let ks = c.key(k);
            if ks.cancel == CancelReq::None {
                ks.cancel = CancelReq::Racing;
            }
        };
        match self.r.op_cancel {
            OpCancel::Unified => match ks.reg {
                Reg::InFlight => {
                    racing(self);
                    Answer::Pending
                }
                Reg::Finishing => {
                    let others = ks.holders != 0;
                    if self.r.mutant_lying_cancel {
                        Answer::Removed
                    } else if mode == CancelMode::Reap
                        && !others
                        && self.s.queue().iter().filter(|e| e.key() == k).count() == 1
                    {
                        // Only the final is queued: nothing else of this
                        // submission can follow the terminal outcome.
                        let mut outcome = Outcome::Done;
                        let gen = ks.gen;
                        for e in self.s.queue() {
                            if e.key() == k && e.gen() == gen {
                                if let EventKind::Final(o) = e.kind() {
                                    outcome = o;
                                }
                            }
                        }
                        self.s.purge(k, |e| {
                            e.gen() == gen && matches!(e.kind(), EventKind::Final(_))
                        });
                        self.key(k).reg = Reg::Free;
                        Answer::RemovedWith(outcome)
                    } else {
                        Answer::Pending
                    }
                }
                _ => Answer::NotFound,
            },
            OpCancel::LinuxAio => match ks.reg {
                Reg::InFlight if ks.cancel == CancelReq::None && choice == 0 => {
                    self.key(k).cancel = CancelReq::Won;
                    Answer::InProgress
                }
                // Not on active_reqs: completed, or never cancellable.
                _ => Answer::TooLate,
            },
            OpCancel::IoUring => match ks.reg {
                Reg::InFlight if ks.cancel == CancelReq::None => {
                    if choice == 0 {
                        self.key(k).cancel = CancelReq::Won;
                        Answer::Cancelled
                    } else {
                        racing(self);
                        Answer::InProgress
                    }
                }
                Reg::InFlight => Answer::InProgress,
                _ => Answer::TooLate,
            },
            OpCancel::Iocp => match ks.reg {
                Reg::InFlight => {
                    racing(self);
                    Answer::InProgress
                }
                _ => Answer::TooLate,
            },
        }
    }

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
    fn forget_dead(&mut self) {
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
        if self.m.scenario.source.is_readiness() && self.r.close != CloseRule::Survives {
            for k in self.m.keys() {
                let ks = &mut self.s.keys[k as usize];
                if ks.closed {
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

    /// Clears bookkeeping that no longer matters, then emits one step per
    /// choice of woken waiter.
    fn finish(mut self, action: Action, out: &mut Vec<Step>) {
        // Overtaking only counts while a key has something queued.
        for k in self.m.keys() {
            if !self.s.queued(k, |_| true) {
                self.s.keys[k as usize].overtakers = 0;
            }
        }
        if self.m.budgets && self.m.dead_variables {
            self.forget_dead();
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
