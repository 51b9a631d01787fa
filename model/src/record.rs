//! How a **recorded call** maps to model steps: what a history checker
//! asks of the model, so that it only searches and restates nothing.
//!
//! A recorded history names sources and registrations as the implementation
//! does; a checker splits it into one part per source and gives each live
//! registration of the source a model key (see `onering-check`'s
//! `history::partition`). Within a part, every model key stands for one
//! registration of the **same** source, so the source's condition is kept
//! on every key alike. Then:
//!
//! * **Several registrations of one source.** An environment step on the
//!   source acts on every key: [`Recorded::Raise`] queues each armed
//!   registration, in every order (the order in which one wake-up queues
//!   several registrations is unspecified); [`Recorded::Lower`] and
//!   [`Recorded::Close`] act on every key where the model enables them (a
//!   key whose source is already gone is left as it is: raising a closed
//!   source wakes nobody). [`Recorded::Complete`] and
//!   [`Recorded::StreamItem`] act on **one** in-flight key, any of them.
//! * **A source split over several parts.** A checker may split a source
//!   with more registrations alive at once than a state has keys into
//!   parts of at most [`crate::MAX_KEYS`] registrations. A completion or
//!   stream item it gives to one part is [`Recorded::Complete`] or
//!   [`Recorded::StreamItem`] there; one it gives to any part is the same
//!   with its result unknown (it may have acted on another part's
//!   registration). A futex wake is [`Recorded::FutexWakeShare`] in every
//!   part: its released waiters shared among the parts, under the
//!   profile's rule for the whole wake.
//! * **`consume(source)`** drains the condition on every key. Draining a
//!   condition that is false changes nothing (an empty read), nor does
//!   reading a `sticky` source (a hung-up pipe reads end-of-file and stays
//!   hung up). A consume of a closed source, or of a kind that has no
//!   condition at all (`futex`, `operation`), is refused: a recorded success
//!   is wrong there.
//! * **`rearm(key)`** is the model's `Rearm` where the model enables it (a
//!   `Disarmed` registration, or in `unified` one the caller holds). On any
//!   other live registration (`Armed`, `CancelPending`, `Closed`, not held
//!   by the caller) it changes nothing, as the API says ("re-arm if
//!   disarmed"). On a registration that has ended (`Free`) it is refused:
//!   the implementation must answer `stale-key`.
//! * **`wait`** is two points of its interval: [`Recorded::Release`] (the
//!   caller's holds are released) and then [`Recorded::Harvest`] (the batch
//!   is taken). A poll does both at once. A harvest must return exactly the
//!   recorded batch; a batch with room must have taken every deliverable
//!   event of the part, a full batch may have left some. The ready queue is
//!   one FIFO across sources, so a batch that filled up with other sources'
//!   events may also have scanned (and, where the profile drops stale
//!   readiness at harvest, dropped) a prefix of this part's entries that
//!   holds nothing deliverable: every such prefix is an outcome.
//! * **The io_uring cancel answer's arrival.** A cancel of a profile whose
//!   answer arrives as a separate step (io_uring) is recorded as one call
//!   that returns the answer: the answer's arrival ([`Action::CancelReturn`])
//!   is taken within the same call.
//! * **Kernel steps no call records.** An operation whose cancel won posts
//!   its final event at any point, and so does a completion a wake-up
//!   decided where the profile defers it (a futex wait a `futex_wake`
//!   released, [`crate::Rules::deferred_futex_finals`]) ([`Action::PostFinal`]):
//!   [`Model::kernel_closure`] adds every such step after each call.
//! * **Ghosts.** Fields that only judge properties (thread snapshots, the
//!   terminal counts, owed finals, cancelled generations, overtakers) are
//!   cleared by [`Model::forget_ghosts`], so that equal configurations are
//!   recognised as equal; no rule reads them.
//! * **What the model cannot hold** (a queue longer than a state has room
//!   for, a batch larger than [`crate::MAX_BATCH`]) is
//!   [`Rejection::Unrepresentable`]: the checker has no verdict then, rather
//!   than a wrong one.

use crate::action::{Action, Answer, CancelMode};
use crate::scenario::{Mode, Scenario, SourceKind, MAX_BATCH};
use crate::state::{EventKind, Phase, Reg, State};
use crate::step::{Model, Step};

/// One event of a recorded batch, on a model key.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct RecordedEvent {
    /// Model key.
    pub key: u8,
    /// Model generation of the key (2 bits: generations are only compared).
    pub gen: u8,
    /// What.
    pub kind: EventKind,
}

/// A recorded call of one source's part, in model terms. `key`/`gen` name
/// the registration's model key and generation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Recorded<'a> {
    /// `register`/`submit` that returned the registration `key`/`gen`.
    Register {
        /// Model key.
        key: u8,
        /// Its generation after the call.
        gen: u8,
        /// The recorded mode.
        mode: Mode,
    },
    /// `modify(key, mode)`.
    Modify {
        /// Model key.
        key: u8,
        /// Generation named.
        gen: u8,
        /// The new mode.
        mode: Mode,
    },
    /// `rearm(key)`.
    Rearm {
        /// Model key.
        key: u8,
        /// Generation named.
        gen: u8,
    },
    /// v2 `disable(key)`: see [`Model::disabled`].
    Disable {
        /// Model key.
        key: u8,
        /// Generation named.
        gen: u8,
    },
    /// `cancel(key, mode)` and its answer, if known.
    Cancel {
        /// Model key.
        key: u8,
        /// Generation named.
        gen: u8,
        /// How.
        mode: CancelMode,
        /// The recorded answer (`None`: unknown).
        answer: Option<Answer>,
    },
    /// `consume(source)`.
    Consume,
    /// The first point of a blocking wait: the caller releases its holds.
    Release,
    /// A wait's harvest: this part's events of the batch (`None`: unknown),
    /// whether the whole batch was full, the wait's `max`, and whether the
    /// release happens here too (a poll).
    Harvest {
        /// This part's events of the batch, in order.
        events: Option<&'a [RecordedEvent]>,
        /// The batch (of every part) had `max` events.
        full: bool,
        /// The wait's `max`.
        max: u32,
        /// Release the caller's holds first.
        release: bool,
        /// No other thread's blocking wait on the port overlaps this one in
        /// time (a checker's reading of the history). Only a blocking wait
        /// that returned empty reads it: see `Model::task_work_due`'s
        /// guard in [`Model::recorded`].
        alone: bool,
    },
    /// A wake-up of the source (`raise`, `increment`, `wake`).
    Raise,
    /// A level drops.
    Lower,
    /// An operation completes (`cancelled`: flagged cancelled, its cancel
    /// having won).
    Complete {
        /// Flagged cancelled.
        cancelled: bool,
    },
    /// A multishot item.
    StreamItem,
    /// The source's descriptor is closed.
    Close,
    /// `futex_wake(n)` that released `count` waiters, if known.
    FutexWake {
        /// Asked for.
        n: u32,
        /// Released, if known.
        count: Option<u32>,
    },
    /// `futex_wake(n)` that released `count` waiters of the source (if
    /// known), of which `mine` were this part's, for a checker that split
    /// the source's waiters into several parts (`None`: any number up to
    /// what the wake released less `others`, a relaxation every split of
    /// the wake satisfies, where `others` of the released waiters were, as
    /// the history shows, other parts'). The part releases `mine` of its
    /// waiting keys, in any subset and order, within the profile's rule for
    /// the whole wake: where it releases every waiter (a profile without
    /// `futex_wake_exact`, or a wake that released fewer than `n`, so found
    /// no more), every waiting key of the part is released; else any
    /// `mine` of them, and at most `min(n, count)`.
    FutexWakeShare {
        /// Asked for.
        n: u32,
        /// Released in all, if known.
        count: Option<u32>,
        /// Released of this part, if known.
        mine: Option<u32>,
        /// Released of other parts, at least (bounds an unknown `mine`).
        others: u32,
    },
}

/// Why a recorded call cannot take effect in a state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Rejection {
    /// The model does not allow it here, or none of its outcomes returns
    /// what was recorded. The text says which.
    Refused(&'static str),
    /// Following it would need more than a state holds: no verdict.
    Unrepresentable(&'static str),
}

impl Rejection {
    /// The reason, in words.
    pub fn why(self) -> &'static str {
        match self {
            Rejection::Refused(w) | Rejection::Unrepresentable(w) => w,
        }
    }
}

const UNREPRESENTABLE_QUEUE: Rejection =
    Rejection::Unrepresentable("it would queue more events than a model state holds (MAX_QUEUE)");

impl Model {
    /// The same model with registrations made in `mode`.
    fn in_mode(&self, mode: Mode) -> Model {
        Model {
            scenario: Scenario::new(self.scenario.source, mode),
            ..*self
        }
    }

    /// The steps of `a`, or [`Rejection::Unrepresentable`] if one of them
    /// overflows the state (the one place overflow is looked at).
    fn faithful(&self, s: &State, a: Action, out: &mut Vec<Step>) -> Result<(), Rejection> {
        out.clear();
        self.apply(s, a, out);
        if out.iter().any(|x| x.overflow) {
            return Err(UNREPRESENTABLE_QUEUE);
        }
        Ok(())
    }

    /// `a` from every state of `from`; where `a` is not enabled the state is
    /// kept when `optional`, else dropped.
    fn each(
        &self,
        from: Vec<State>,
        a: impl Fn(u8) -> Action,
        key: u8,
        optional: bool,
        out: &mut Vec<Step>,
    ) -> Result<Vec<State>, Rejection> {
        let mut next = Vec::with_capacity(from.len());
        for s in from {
            self.faithful(&s, a(key), out)?;
            if out.is_empty() && optional {
                next.push(s);
            }
            next.extend(out.iter().map(|x| x.next));
        }
        Ok(next)
    }

    /// The states the recorded call `call` of thread `t` can lead to from
    /// `s`, agreeing with what it returned (see the module documentation).
    /// `unknown`: the call's result is unknown (it may also have been
    /// refused and changed nothing). Kernel steps are not included: see
    /// [`Model::kernel_closure`].
    ///
    /// # Errors
    ///
    /// [`Rejection::Refused`] if no outcome is possible here;
    /// [`Rejection::Unrepresentable`] if one would not fit in a state.
    pub fn recorded(
        &self,
        s: &State,
        t: u8,
        call: &Recorded<'_>,
        unknown: bool,
    ) -> Result<Vec<State>, Rejection> {
        let mut out = Vec::new();
        let keys = 0..self.bound.keys;
        let gen_is = |k: u8, g: u8| s.keys.get(k as usize).is_some_and(|x| x.gen == g);
        let stale =
            Rejection::Refused("the key's registration has already ended (another generation)");
        let mut states: Vec<State> = match *call {
            Recorded::Register { key, gen, mode } => {
                self.in_mode(mode)
                    .faithful(s, Action::Register { thread: t, key }, &mut out)?;
                if out.is_empty() {
                    return Err(Rejection::Refused(
                        "the model does not allow this registration here",
                    ));
                }
                out.iter()
                    .filter(|x| x.next.keys[key as usize].gen == gen)
                    .map(|x| x.next)
                    .collect()
            }
            Recorded::Modify { key, gen, mode } => {
                if !gen_is(key, gen) {
                    return Err(stale);
                }
                self.faithful(
                    s,
                    Action::Modify {
                        thread: t,
                        key,
                        mode,
                    },
                    &mut out,
                )?;
                out.iter().map(|x| x.next).collect()
            }
            Recorded::Rearm { key, gen } => {
                if !gen_is(key, gen) {
                    return Err(stale);
                }
                self.faithful(s, Action::Rearm { thread: t, key }, &mut out)?;
                if out.is_empty() && s.keys[key as usize].reg != Reg::Free {
                    vec![*s]
                } else {
                    out.iter().map(|x| x.next).collect()
                }
            }
            Recorded::Disable { key, gen } => {
                if !gen_is(key, gen) {
                    return Err(stale);
                }
                self.disabled(s, key)?
            }
            Recorded::Cancel {
                key,
                gen,
                mode,
                answer,
            } => {
                if !gen_is(key, gen) {
                    return Err(stale);
                }
                self.faithful(
                    s,
                    Action::Cancel {
                        thread: t,
                        key,
                        mode,
                    },
                    &mut out,
                )?;
                let decided: Vec<State> = out
                    .iter()
                    .filter(|x| answer.is_none() || answer == x.shown.answer)
                    .map(|x| x.next)
                    .collect();
                let mut v = Vec::with_capacity(decided.len());
                for n in decided {
                    if let Phase::Cancelling(..) = n.threads[t as usize].phase {
                        // The answer arrives within the same call.
                        self.faithful(&n, Action::CancelReturn { thread: t }, &mut out)?;
                        v.extend(out.iter().map(|x| x.next));
                    } else {
                        v.push(n);
                    }
                }
                v
            }
            Recorded::Consume => {
                if matches!(
                    self.scenario.source,
                    SourceKind::Futex | SourceKind::Operation
                ) {
                    return Err(Rejection::Refused(
                        "a consume of a source with no condition (futex or operation)",
                    ));
                }
                // Under `CloseRule::Survives` a dup keeps the file open and
                // reads through it drive the registration (F2, os §2.7).
                if self.rules.close != crate::rules::CloseRule::Survives
                    && s.keys[..self.bound.keys as usize].iter().any(|k| k.closed)
                {
                    return Err(Rejection::Refused("a consume of a closed source"));
                }
                let mut v = vec![*s];
                for k in keys {
                    v = self.each(
                        v,
                        |key| Action::Consume { thread: t, key },
                        k,
                        true,
                        &mut out,
                    )?;
                }
                v
            }
            Recorded::Release => self.release_holds(s, t),
            Recorded::Harvest {
                events,
                full,
                max,
                release,
                alone,
            } => {
                let released = if release {
                    self.release_holds(s, t)
                } else {
                    vec![*s]
                };
                let limit = max.min(MAX_BATCH as u32) as u8;
                // A blocking wait that returned empty gave up at its
                // deadline, and gives up only once task work decided by a
                // wake-up has posted (F3, F15; os §4.11; the explorer's
                // `Action::Timeout` has the same guard): from a state with
                // such a post due, the post comes first, which the kernel
                // closure offers as another state. Its harvest stands for
                // a point where nothing was deliverable to it, which may
                // come before the post, the giving up after it: the post
                // then woke another waiting thread (one wake-up per event)
                // and left this one blocked. So the guard holds only for a
                // wait `alone` in its interval, which the post would have
                // woken (then it takes the final: `timeout_keeps_wakeup`).
                let gave_up = !release && alone && events.is_some_and(<[_]>::is_empty);
                let mut v = Vec::new();
                for r in released {
                    if gave_up && self.task_work_due(&r) {
                        continue;
                    }
                    v.extend(self.harvest(&r, t, events, full, limit, &mut out)?);
                }
                v
            }
            Recorded::Raise => {
                let mut v: Vec<State> = Vec::new();
                for order in orders(self.bound.keys) {
                    let mut w = vec![*s];
                    for key in order {
                        w = self.each(w, |key| Action::Raise { key }, key, true, &mut out)?;
                    }
                    for x in w {
                        if !v.contains(&x) {
                            v.push(x);
                        }
                    }
                }
                v
            }
            Recorded::Lower | Recorded::Close => {
                let mut v = vec![*s];
                for k in keys {
                    let a = |key| match call {
                        Recorded::Lower => Action::Lower { key },
                        _ => Action::Close { key },
                    };
                    v = self.each(v, a, k, true, &mut out)?;
                }
                v
            }
            Recorded::Complete { .. } | Recorded::StreamItem => {
                let mut v = Vec::new();
                for k in keys {
                    let a = |key| match call {
                        Recorded::Complete { cancelled: true } => Action::PostFinal { key },
                        Recorded::Complete { cancelled: false } => Action::Complete { key },
                        _ => Action::StreamItem { key },
                    };
                    v.extend(self.each(vec![*s], a, k, false, &mut out)?);
                }
                v
            }
            Recorded::FutexWake { n, count } => {
                let n = n.min(255) as u8;
                self.faithful(s, Action::FutexWake { n }, &mut out)?;
                out.iter()
                    .filter(|x| count.is_none_or(|c| x.shown.released.count_ones() == c))
                    .map(|x| x.next)
                    .collect()
            }
            Recorded::FutexWakeShare {
                n,
                count,
                mine,
                others,
            } => self.futex_wake_share(s, (n, count), mine, others, &mut out)?,
        };
        if unknown && !matches!(call, Recorded::Harvest { .. }) {
            // An unknown result may also have been a refusal.
            states.push(*s);
        }
        if states.is_empty() {
            return Err(Rejection::Refused(match call {
                Recorded::Harvest { .. } => "no harvest here returns the recorded batch",
                Recorded::Cancel { .. } => "no cancel here gives the recorded answer",
                Recorded::FutexWake { .. } | Recorded::FutexWakeShare { .. } => {
                    "no futex_wake here releases the recorded count"
                }
                Recorded::Register { .. } => "no registration here returns the recorded key",
                Recorded::Complete { .. } | Recorded::StreamItem => {
                    "no operation of the source is in flight to complete or stream"
                }
                _ => "the model does not allow this call here",
            }));
        }
        Ok(states)
    }

    /// The states of [`Recorded::FutexWakeShare`] from `s`.
    fn futex_wake_share(
        &self,
        s: &State,
        (n, count): (u32, Option<u32>),
        mine: Option<u32>,
        others: u32,
        out: &mut Vec<Step>,
    ) -> Result<Vec<State>, Rejection> {
        let exact = self.rules.futex_wake_exact;
        // Every waiter was released: the part's too.
        let all = !exact || count.is_some_and(|c| c < n);
        let most = match (exact, count) {
            (true, Some(c)) => c.min(n),
            (true, None) => n,
            (false, c) => c.unwrap_or(u32::MAX),
        }
        .saturating_sub(others);
        let wanted = |m: u32| mine.map_or(m <= most, |x| x == m);
        let released = |x: &Step| x.shown.released.count_ones();
        let mut v = Vec::new();
        if all {
            self.faithful(s, Action::FutexWake { n: u8::MAX }, out)?;
            v.extend(out.iter().filter(|x| wanted(released(x))).map(|x| x.next));
            return Ok(v);
        }
        if wanted(0) {
            v.push(*s);
        }
        for m in 1..=most.min(u32::from(self.bound.keys)) {
            if !wanted(m) {
                continue;
            }
            self.faithful(s, Action::FutexWake { n: m as u8 }, out)?;
            v.extend(out.iter().filter(|x| released(x) == m).map(|x| x.next));
        }
        Ok(v)
    }

    /// A wait's harvest from `s` (holds already released), agreeing with the
    /// recorded events of this part.
    fn harvest(
        &self,
        s: &State,
        t: u8,
        events: Option<&[RecordedEvent]>,
        full: bool,
        limit: u8,
        out: &mut Vec<Step>,
    ) -> Result<Vec<State>, Rejection> {
        match events {
            None => {
                let mut v = vec![*s];
                for max in 1..=limit {
                    let a = |thread| Action::Wait {
                        thread,
                        max,
                        block: false,
                    };
                    v.extend(self.each(vec![*s], a, t, false, out)?);
                }
                Ok(v)
            }
            Some([]) if full => self.pass_over(*s, t, out),
            Some(evs) => {
                if evs.len() > MAX_BATCH as usize {
                    return Err(Rejection::Unrepresentable(
                        "a wait returned more events of one source than the model delivers per wait (MAX_BATCH)",
                    ));
                }
                let max = if full { evs.len() as u8 } else { limit };
                self.faithful(
                    s,
                    Action::Wait {
                        thread: t,
                        max,
                        block: false,
                    },
                    out,
                )?;
                let taken: Vec<State> = out
                    .iter()
                    .filter(|x| same_batch(x, evs))
                    .map(|x| x.next)
                    .collect();
                if !full {
                    return Ok(taken);
                }
                let mut v = Vec::new();
                for n in taken {
                    for x in self.pass_over(n, t, out)? {
                        if !v.contains(&x) {
                            v.push(x);
                        }
                    }
                }
                Ok(v)
            }
        }
    }

    /// What a harvest whose batch filled up with other sources' events may
    /// have done to this part's queue: scanned a prefix of it that holds
    /// nothing deliverable, dropping its stale entries (the queue is one
    /// FIFO across sources, whose interleaving a part does not know). One
    /// state per prefix length, the empty prefix (nothing scanned) first.
    fn pass_over(&self, s: State, t: u8, out: &mut Vec<Step>) -> Result<Vec<State>, Rejection> {
        let mut v = vec![s];
        for j in 1..=s.qlen as usize {
            let mut head = s;
            head.qlen = j as u8;
            self.faithful(
                &head,
                Action::Wait {
                    thread: t,
                    max: MAX_BATCH,
                    block: false,
                },
                out,
            )?;
            let Some(scanned) = out.iter().find(|x| x.shown.batch().next().is_none()) else {
                // Something in the first j is deliverable: a harvest would
                // have taken it, so it stopped before.
                break;
            };
            let mut n = scanned.next;
            for e in &s.queue[j..s.qlen as usize] {
                n.queue[n.qlen as usize] = *e;
                n.qlen += 1;
            }
            if !v.contains(&n) {
                v.push(n);
            }
        }
        Ok(v)
    }

    /// `s` and every state the silent steps lead to from it: an operation
    /// whose cancel won posts its final event at any point (a kernel step
    /// no call records), and another part's wait may have scanned this
    /// part's leading entries that hold nothing deliverable (dropping the
    /// stale ones: see [`Recorded::Harvest`]), since a checker leaves out
    /// of a part the waits that returned none of its events.
    ///
    /// # Errors
    ///
    /// [`Rejection::Unrepresentable`] if such a step would overflow.
    pub fn kernel_closure(&self, s: State) -> Result<Vec<State>, Rejection> {
        let mut all = vec![s];
        let mut out = Vec::new();
        let mut i = 0;
        while i < all.len() {
            let cur = all[i];
            for key in 0..self.bound.keys {
                self.faithful(&cur, Action::PostFinal { key }, &mut out)?;
                for st in &out {
                    if !all.contains(&st.next) {
                        all.push(st.next);
                    }
                }
            }
            // A scan by a thread that holds nothing here.
            let scanner = (0..self.bound.threads).find(|&t| {
                cur.threads[t as usize].phase == Phase::Idle
                    && cur.keys.iter().all(|k| k.holders & (1 << t) == 0)
            });
            if let (Some(t), true) = (scanner, cur.qlen > 0) {
                for st in self.pass_over(cur, t, &mut out)? {
                    if !all.contains(&st) {
                        all.push(st);
                    }
                }
            }
            i += 1;
        }
        Ok(all)
    }

    /// Forgets the registration under `key`, for a checker that needs its
    /// key for another registration of the source and knows the history
    /// never mentions this one again: the state with the key `Free` (the
    /// source's condition kept), or `None` if the registration could still
    /// act unseen. It can not if it is `Free`, `Disarmed` or `Closed` (only
    /// a call naming it could make it deliver again), no thread holds it,
    /// and nothing of it is queued but readiness a harvest drops.
    pub fn retire(&self, s: &State, key: u8) -> Option<State> {
        let ks = s.keys.get(key as usize)?;
        let inert = matches!(ks.reg, Reg::Free | Reg::Disarmed | Reg::Closed) && ks.holders == 0;
        let only_stale = s
            .queue()
            .iter()
            .all(|e| e.key() != key || e.kind() == EventKind::Ready);
        if !inert || !only_stale {
            return None;
        }
        let mut n = *s;
        let mut i = 0;
        while i < n.qlen as usize {
            if n.queue[i].key() == key {
                n.remove_at(i);
            } else {
                i += 1;
            }
        }
        let k = &mut n.keys[key as usize];
        k.reg = Reg::Free;
        k.pending_edge = false;
        k.cancel = crate::state::CancelReq::None;
        Some(n)
    }

    /// Clears the ghost fields (which only judge properties; no rule reads
    /// them), so that a checker's memo recognises equal configurations.
    pub fn forget_ghosts(s: &mut State) {
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
}

fn same_batch(st: &Step, evs: &[RecordedEvent]) -> bool {
    let mut got = st.shown.batch();
    evs.iter().all(|p| {
        got.next()
            .is_some_and(|e| e.key() == p.key && e.gen() == p.gen && e.kind() == p.kind)
    }) && got.next().is_none()
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
