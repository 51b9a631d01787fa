//! Splitting a history into independent parts, one per source.
//!
//! Every profile of the model makes sources independent except through the
//! order of the ready queue and the size of a batch. A part keeps every call
//! that names its source or one of its registrations, and every `wait` that
//! can say something of it (see `wait_sources`; a wait with room while none
//! of the source's registrations is alive says nothing: `alive.rs`),
//! projected onto its registrations: the events of this source, and whether
//! the batch was full (a full batch may have left this source's events
//! queued; a batch with room must have taken every deliverable one).
//! Cross-source order (`no-starvation`) is therefore not checked here.
//!
//! Within a part, registrations take model key slots (at most
//! [`onering_model::MAX_KEYS`] at once), in order of invocation:
//!
//! 1. a slot whose previous registration had visibly ended (a terminal
//!    answer or final event returned) and was last mentioned before the new
//!    one was invoked;
//! 2. else a new slot;
//! 3. else the slot of a registration that is never mentioned again and
//!    whose last mention left it disarmed (a one-shot or dispatch event
//!    delivered): the new registration **evicts** it ([`PKind::Register`]'s
//!    `evict`), which the search allows only where the model shows it can
//!    no longer do anything ([`onering_model::Model::retire`]);
//! 4. else a new **group**: the source's part is split into groups of at
//!    most [`MAX_KEYS`] registrations each, every group with the source's
//!    environment steps and waits. Registrations of one source interact
//!    only through the order of the ready queue and the size of a batch,
//!    which a group sees as a part sees other sources' events (see above),
//!    and through the steps that act on the source: a readiness step
//!    (`raise`, `lower`, `close`, `consume`) acts on every registration
//!    alike, so every group carries it; a step that **picks** registrations
//!    (an `operation` source's completion or stream item, a `futex`
//!    source's wake) acted on some of them, so it is given to the groups it
//!    acted on, as the history's finals and items show, with a second,
//!    relaxed pass where that fails (`attribute.rs` states both
//!    passes and why each verdict they give is sound, and what is left
//!    without a verdict).
//!
//! There is no fixed limit of registrations alive at once: a source takes
//! as many groups as it needs.
//!
//! Each registration of a slot is the slot's next generation (mod 4: the
//! model only compares generations for equality).
//!
//! # When a group could end, and why groups run to the end
//!
//! A group's part keeps the source's environment steps and waits to the
//! end of the history, even after the last call naming one of its
//! registrations. Leaving out that suffix (cutting at a quiescent point
//! `c` after the last mention) keeps the verdict only if, in every state
//! `s` a linearization of the ops before `c` reaches, the suffix
//! linearizes from `s`. The suffix names none of the group's
//! registrations, but its waits still speak of them: a wait whose batch
//! had room claims that nothing of the group was deliverable. So a cut is
//! sound where each registration of the group is, in every such `s`,
//!
//! * `Free` (a terminal cancel answer or a final event linearized before
//!   `c`: nothing queued, in flight or held, and only a `register` makes a
//!   key live again, which the suffix does not have), or
//! * inert as [`onering_model::Model::retire`] states it (`Disarmed` or
//!   `Closed`, held by no thread, nothing queued but readiness a harvest
//!   drops: only a call naming it could make it deliver),
//!
//! *and* the suffix's environment steps are accepted from `s` (a `consume`
//! after a `close` is refused through the keys' `closed` flag, which a
//! retired key keeps). A registration that is merely never named again is
//! not enough: a leaked `Level` or `Dispatch` registration re-reports a
//! raised level at every later wait, and a wait with room that omits it is
//! a lost wake-up (`check/tests/history_leaked.rs` pins one in a later
//! group, and fails with that group's empty harvests left out).
//!
//! Inert registrations never mentioned again are already evicted in place
//! (rule 3 above) and take no new group, so the groups that run to the end
//! are those holding registrations that can still act, whose checking
//! needs the suffix. The one case left, a group all of whose registrations
//! visibly ended while other groups go on, costs at most the source's
//! largest number of registrations alive at once over 4 times the history
//! (linear), and is not cut here.

use super::alive::Alive;
use super::attribute::{attribute, of_group, Attribution, Pick};
use super::by_source::BySource;
use super::linearize::{Budget, Fx, Stop};
use super::parse::{Call, Ev, EvKind, KeyRef, Op, ParseError, Res};
use onering_model::{Answer, CancelMode, Mode, SourceKind, MAX_KEYS};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::time::Instant;

/// A projected event: model key, model generation, kind.
pub use onering_model::RecordedEvent as PEv;

/// An operation of one part.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum PKind {
    /// `register`/`submit` returning the registration `slot`/`gen`;
    /// `evict`: the slot's previous registration is never mentioned again
    /// and must be forgotten first (it must be unable to act).
    Register {
        slot: u8,
        gen: u8,
        mode: Mode,
        evict: bool,
    },
    /// `modify`.
    Modify { slot: u8, gen: u8, mode: Mode },
    /// `rearm`.
    Rearm { slot: u8, gen: u8 },
    /// v2 `disable`.
    Disable { slot: u8, gen: u8 },
    /// `cancel` with its answer, if known.
    Cancel {
        slot: u8,
        gen: u8,
        mode: CancelMode,
        answer: Option<Answer>,
    },
    /// `consume(source)`.
    Consume,
    /// The first half of a blocking wait: release the caller's holds.
    Release,
    /// A wait's harvest (for a poll wait, the release too): the events of
    /// this part, and whether the whole batch was full. `None`: unknown.
    Harvest {
        events: Option<Vec<PEv>>,
        full: bool,
        max: u32,
        release: bool,
        /// A blocking wait no other thread's blocking wait overlaps
        /// (`overlap.rs`; read by the model's guard on an empty one).
        alone: bool,
    },
    /// Environment steps on the source.
    Raise,
    /// A level drops.
    Lower,
    /// An operation completes (`cancelled`: its cancel won).
    Complete { cancelled: bool },
    /// A multishot item.
    StreamItem,
    /// Close.
    Close,
    /// `futex_wake(n)` releasing `count`, if known; `share`: how many of
    /// them were this part's.
    FutexWake {
        n: u32,
        count: Option<u32>,
        share: Share,
    },
}

/// How many of a futex wake's released waiters were a part's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Share {
    /// All of them: the part holds every registration of the source.
    Whole,
    /// This many (an attributed group of a split source, see
    /// `attribute`).
    Of(u32),
    /// Any number, up to what the wake released less `others`, the
    /// released waiters the history shows were other groups' (a relaxed
    /// group, see `attribute`).
    Any { others: u32 },
}

/// One operation of a part.
#[derive(Clone, Debug)]
pub struct POp {
    /// Index of the call in the whole history.
    pub call: usize,
    /// Calling thread.
    pub thread: u32,
    /// Invocation time.
    pub start: u64,
    /// Response time (`u64::MAX`: never returned).
    pub end: u64,
    /// Whether the result is unknown (any outcome, or none, is allowed).
    pub unknown: bool,
    /// What.
    pub kind: PKind,
    /// An operation of this part that must be linearized first (a wait's
    /// release before its harvest).
    pub after: Option<usize>,
}

/// One source's part of the history.
#[derive(Clone, Debug)]
pub struct Part {
    /// The source.
    pub source: u32,
    /// Which group of the source's registrations (0 unless the source has
    /// more than [`MAX_KEYS`] registrations alive at once).
    pub group: u32,
    /// Its kind.
    pub kind: SourceKind,
    /// The mode of its first registration.
    pub first_mode: Mode,
    /// Model key slots in use.
    pub slots: u8,
    /// The operations.
    pub ops: Vec<POp>,
    /// The model states the part may start from (empty: the model's
    /// initial state). A part whose first operations were left out (see
    /// `trim`) starts from every state they can have led to.
    pub starts: Vec<onering_model::State>,
    /// The operations left out of a later group's part, until the checker
    /// computes its starts (only from [`partition_trimmed`]).
    pub left_out: Option<LeftOut>,
}

/// The source's operations that every group sees before its first
/// registration (its environment steps and waits), shared by the groups
/// whose parts leave them out: a group's part keeps only its operations
/// invoked at or after `cut`, and every one of `tape` invoked before `cut`
/// returned before it (a quiescent cut).
#[derive(Clone, Debug)]
pub struct LeftOut {
    /// The source's shared operations, up to the latest group's cut, in
    /// the order of the history (`after` indexes into it).
    pub tape: std::rc::Rc<Vec<POp>>,
    /// The cut.
    pub cut: u64,
}

/// The group of a source's shared operations (see [`LeftOut`]).
pub(super) const TAPE: u32 = u32::MAX;

#[derive(Default)]
struct SourceInfo {
    kind: Option<SourceKind>,
    first_mode: Option<Mode>,
    /// Per group, per model key slot: its latest registration and how
    /// many it has had.
    groups: Vec<Vec<(KeyRef, u8)>>,
}

fn err(line: usize, message: String) -> ParseError {
    ParseError {
        line,
        field: None,
        message,
    }
}

/// When each registration is known to have ended, and when it was last
/// mentioned: a model key slot can pass to a new registration only after
/// both.
#[derive(Default, Clone, Copy)]
struct Life {
    finished: Option<u64>,
    last_mention: u64,
    /// The last mention delivered an event that disarms it (a one-shot or
    /// dispatch registration's readiness).
    disarmed: bool,
    /// Its mode (the register's, then each modify's).
    mode: Option<Mode>,
    /// A mention ended it and left its model key free: a cancel answered
    /// `removed` (with a completion or not) or a final event returned (not
    /// `not-found`, which the model may answer for a live key). See
    /// `alive.rs`.
    removed: bool,
}

/// Why a history cannot be split into parts.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionError {
    /// The lines contradict each other (a key no register returned, ...).
    /// (A source with more registrations alive at once than a model state
    /// has keys is split into groups, rule 4: it is no error.)
    Malformed(ParseError),
}

impl From<ParseError> for PartitionError {
    fn from(e: ParseError) -> Self {
        PartitionError::Malformed(e)
    }
}

/// Which sources' parts each wait must be in (`None`: every source's).
///
/// A wait says something about a source's part if it returned an event of
/// it, if it released a hold on one (its thread's previous wait returned
/// one), or if its batch had room (then it claims nothing of the source was
/// deliverable) or its result is unknown. A full batch with none of the
/// source's events, from a thread that held none, is the same as no call
/// in that part: leaving it out makes each part as long as its own calls,
/// not as long as every wait of the history. So is a batch with room that
/// returned none of them while the source was dead (no registration of it
/// alive: see `alive.rs`), from a thread that held none.
fn wait_sources(
    calls: &[Call],
    key_source: &HashMap<KeyRef, u32, Fx>,
    alive: &Alive,
) -> Vec<Option<Vec<u32>>> {
    let mut out = vec![None; calls.len()];
    let mut waits: Vec<usize> = (0..calls.len())
        .filter(|&i| {
            matches!(calls[i].op, Op::Wait { .. })
                && !matches!(calls[i].result, Some(Res::Error(_)))
        })
        .collect();
    waits.sort_by_key(|&i| (calls[i].thread, calls[i].call));
    // Per thread: the sources its last wait returned events of (`None`:
    // unknown, so any).
    let mut held: HashMap<u32, Option<Vec<u32>>> = HashMap::new();
    // Waits with room whose thread's holds are known: (call index, span).
    let mut room: Vec<(usize, u64, u64)> = Vec::new();
    for i in waits {
        let c = &calls[i];
        let Op::Wait { max, .. } = c.op else {
            unreachable!("filtered above")
        };
        let prev = held.get(&c.thread).cloned().unwrap_or(Some(Vec::new()));
        match &c.result {
            Some(Res::Events(evs)) => {
                let mut mine: Vec<u32> = evs
                    .iter()
                    .filter_map(|e| key_source.get(&e.key).copied())
                    .collect();
                mine.sort_unstable();
                mine.dedup();
                held.insert(c.thread, Some(mine.clone()));
                out[i] = match prev {
                    Some(p) if evs.len() == max as usize => {
                        mine.extend(p);
                        mine.sort_unstable();
                        mine.dedup();
                        Some(mine)
                    }
                    Some(p) => {
                        // Room: the sources it names or its thread held,
                        // and (below) those alive throughout it.
                        room.push((i, c.call, c.ret.unwrap_or(u64::MAX)));
                        mine.extend(p);
                        Some(mine)
                    }
                    None => None,
                };
            }
            _ => {
                held.insert(c.thread, None);
            }
        }
    }
    alive.add_alive(&mut room, &mut out);
    out
}

/// Splits `calls` into parts, one per source that has a registration.
///
/// # Errors
///
/// A [`PartitionError`].
pub fn partition(calls: &[Call]) -> Result<Vec<Part>, PartitionError> {
    partition_cut(calls, false)
}

/// [`partition`], but each group after a source's first leaves out what
/// comes before the quiescent cut before its first registration
/// ([`Part::left_out`]; the checker's `trim` restores it as start states).
///
/// # Errors
///
/// A [`PartitionError`].
pub fn partition_trimmed(calls: &[Call]) -> Result<Vec<Part>, PartitionError> {
    partition_cut(calls, true)
}

fn partition_cut(calls: &[Call], trimmed: bool) -> Result<Vec<Part>, PartitionError> {
    let unbounded = Budget::default();
    let plan = Plan::new(calls, trimmed, &unbounded).map_err(BuildError::into_partition)?;
    let mut ids = plan.ids();
    ids.extend(plan.tape_end.keys().map(|&s| (s, TAPE)));
    let mut parts = plan
        .build(calls, &ids, true, &unbounded)
        .map_err(BuildError::into_partition)?;
    let tapes: HashMap<u32, std::rc::Rc<Vec<POp>>> = ids
        .iter()
        .filter(|id| id.1 == TAPE)
        .filter_map(|id| Some((id.0, std::rc::Rc::new(parts.remove(id)?))))
        .collect();
    Ok(parts
        .into_iter()
        .filter_map(|((source, group), ops)| {
            let mut part = plan.skeleton(source, group, &tapes)?;
            part.ops = ops;
            Some(part)
        })
        .collect())
}

/// Why building parts stopped.
#[derive(Clone, Debug)]
pub(super) enum BuildError {
    /// The history cannot be split ([`PartitionError`]).
    Partition(PartitionError),
    /// A budget ran out (time, or the parts' memory).
    Stop(Stop),
}

impl From<PartitionError> for BuildError {
    fn from(e: PartitionError) -> Self {
        BuildError::Partition(e)
    }
}

impl From<ParseError> for BuildError {
    fn from(e: ParseError) -> Self {
        BuildError::Partition(PartitionError::Malformed(e))
    }
}

impl BuildError {
    /// Without a budget only a [`PartitionError`] can stop a build.
    fn into_partition(self) -> PartitionError {
        match self {
            BuildError::Partition(e) => e,
            BuildError::Stop(s) => unreachable!("no budget, yet stopped: {s:?}"),
        }
    }
}

/// Calls between two looks at the clock while splitting.
const CHECK_EVERY: usize = 4096;

/// `Err` once the deadline has passed.
fn on_time(budget: &Budget) -> Result<(), BuildError> {
    if budget.deadline.is_some_and(|d| Instant::now() >= d) {
        Err(BuildError::Stop(Stop::Time { explored: 0 }))
    } else {
        Ok(())
    }
}

/// Bytes the ops of a part hold (each op and each harvest's
/// events).
pub(super) fn ops_bytes(ops: &[POp]) -> u64 {
    let events: usize = ops
        .iter()
        .map(|o| match &o.kind {
            PKind::Harvest {
                events: Some(e), ..
            } => e.capacity(),
            _ => 0,
        })
        .sum();
    (std::mem::size_of_val(ops) + events * std::mem::size_of::<PEv>()) as u64
}

/// What splitting a history into parts decides before any part's ops are
/// made: each source's kind and groups, each registration's model key
/// slot, which waits concern which sources, each group's cut. The parts'
/// ops are then made from it one part at a time ([`Plan::build`]), so that
/// a check holds one part's ops, not every group's (a source split into
/// `g` groups has `g` parts, each with the source's steps and waits from
/// its cut to the end of the history).
pub(super) struct Plan {
    sources: BTreeMap<u32, SourceInfo>,
    key_source: HashMap<KeyRef, u32, Fx>,
    slot_of: HashMap<KeyRef, Slot, Fx>,
    relevant: Vec<Option<Vec<u32>>>,
    cuts: HashMap<(u32, u32), u64>,
    tape_end: HashMap<u32, u64>,
    by_source: BySource,
    /// Which group each picking step of a split `operation` or `futex`
    /// source acted on.
    attribution: Attribution,
    /// Sources whose parts are made relaxed (see [`Plan::relax`]).
    relaxed: HashSet<u32>,
    /// Per call: a blocking wait with no other beside it
    /// ([`super::overlap::waits_alone`]).
    alone: Vec<bool>,
}

impl Plan {
    /// The plan of `calls`' parts (`trimmed`: with cuts, see
    /// [`partition_trimmed`]), looking at `budget`'s deadline as it goes.
    pub(super) fn new(calls: &[Call], trimmed: bool, budget: &Budget) -> Result<Plan, BuildError> {
        let mut sources: BTreeMap<u32, SourceInfo> = BTreeMap::new();
        let mut key_source: HashMap<KeyRef, u32, Fx> = HashMap::default();
        let mut life: HashMap<KeyRef, Life, Fx> = HashMap::default();
        for (ci, c) in calls.iter().enumerate() {
            if ci.is_multiple_of(CHECK_EVERY) {
                on_time(budget)?;
            }
            let end = c.ret.unwrap_or(u64::MAX);
            // `disarms`: the mention is an event delivery (whether it disarms);
            // `mode`: the registration's mode from now on.
            let mut mention =
                |k: KeyRef, finished: bool, disarms: Option<bool>, mode: Option<Mode>| {
                    let l = life.entry(k).or_default();
                    if mode.is_some() {
                        l.mode = mode;
                    }
                    if end >= l.last_mention {
                        l.last_mention = end;
                        l.disarmed = disarms.unwrap_or(false)
                            && matches!(l.mode, Some(Mode::Oneshot | Mode::Dispatch));
                    }
                    if finished {
                        l.finished = Some(l.finished.map_or(end, |f| f.min(end)));
                    }
                };
            match (&c.op, &c.result) {
                (Op::AddSource { kind }, Some(Res::Source(s))) => {
                    sources.entry(*s).or_default().kind = Some(*kind);
                }
                (Op::Declare { source, kind }, _) => {
                    sources.entry(*source).or_default().kind = Some(*kind);
                }
                (Op::Register { source, mode, .. }, Some(Res::Key(k))) => {
                    if key_source.insert(*k, *source).is_some() {
                        return Err(err(
                            c.line,
                            format!("key {k} returned by a second register/submit"),
                        )
                        .into());
                    }
                    mention(*k, false, None, Some(*mode));
                }
                (Op::Register { .. }, None) => {
                    return Err(err(
                    c.line,
                    "a register/submit whose result is unknown cannot be attributed to a key; record its result".into(),
                )
                .into());
                }
                (Op::Cancel { key, .. }, Some(Res::Cancel(a))) => {
                    let terminal = matches!(
                        a,
                        Answer::Removed | Answer::RemovedWith(_) | Answer::NotFound
                    );
                    mention(*key, terminal, None, None);
                    if matches!(a, Answer::Removed | Answer::RemovedWith(_)) {
                        life.entry(*key).or_default().removed = true;
                    }
                }
                (Op::Modify { key, mode }, _) => {
                    mention(*key, false, None, Some(*mode));
                }
                (Op::Rearm { key } | Op::Disable { key } | Op::Cancel { key, .. }, _) => {
                    mention(*key, false, None, None);
                }
                (Op::Wait { .. }, Some(Res::Events(evs))) => {
                    for e in evs {
                        let disarms = matches!(e.kind, EvKind::Ready);
                        mention(
                            e.key,
                            matches!(e.kind, EvKind::Final(_)),
                            Some(disarms),
                            None,
                        );
                    }
                    for e in evs.iter().filter(|e| matches!(e.kind, EvKind::Final(_))) {
                        life.entry(e.key).or_default().removed = true;
                    }
                }
                _ => {}
            }
        }
        // Model key slots, in order of invocation (see the module
        // documentation for the order of preference).
        let mut slot_of: HashMap<KeyRef, Slot, Fx> = HashMap::default();
        // Per (source, group): the invocation of its first registration.
        let mut first_reg: HashMap<(u32, u32), u64> = HashMap::new();
        // Per registration: its source and alive interval (see
        // `alive.rs`).
        let mut alive: Vec<(u32, (u64, u64))> = Vec::new();
        let mut regs: Vec<(usize, &Call)> = calls
            .iter()
            .enumerate()
            .filter(|(_, c)| matches!((&c.op, &c.result), (Op::Register { .. }, Some(Res::Key(_)))))
            .collect();
        regs.sort_by_key(|(_, c)| c.call);
        // Split sources whose steps pick registrations (see [`attribute`]).
        let mut picking: HashSet<u32> = HashSet::new();
        for (_, c) in regs {
            let (Op::Register { source, mode, .. }, Some(Res::Key(k))) = (&c.op, &c.result) else {
                unreachable!("filtered above")
            };
            let info = sources.entry(*source).or_default();
            info.first_mode.get_or_insert(*mode);
            let kind = info
                .kind
                .unwrap_or(default_kind(info.first_mode.unwrap_or(*mode)));
            let life_of = |prev: &KeyRef| life.get(prev).copied().unwrap_or_default();
            let ended = |prev: &KeyRef| {
                let l = life_of(prev);
                l.finished.is_some_and(|f| f < c.call) && l.last_mention < c.call
            };
            let silent = |prev: &KeyRef| life_of(prev).last_mention < c.call;
            let find = |groups: &Vec<Vec<(KeyRef, u8)>>, pred: &dyn Fn(&KeyRef) -> bool| {
                groups.iter().enumerate().find_map(|(g, slots)| {
                    slots
                        .iter()
                        .position(|(prev, _)| pred(prev))
                        .map(|s| (g, s))
                })
            };
            let groups = &mut info.groups;
            let (g, slot, evict) = if let Some((g, s)) = find(groups, &ended) {
                (g, s, false)
            } else if let Some(g) = groups.iter().position(|s| s.len() < MAX_KEYS as usize) {
                groups[g].push((*k, 0));
                (g, groups[g].len() - 1, false)
            } else if let Some((g, s)) = find(groups, &|p| silent(p) && life_of(p).disarmed) {
                (g, s, true)
            } else {
                if !groups.is_empty() && matches!(kind, SourceKind::Operation | SourceKind::Futex) {
                    picking.insert(*source);
                }
                groups.push(vec![(*k, 0)]);
                (groups.len() - 1, 0, false)
            };
            let l = life_of(k);
            alive.push((
                *source,
                (c.call, if l.removed { l.last_mention } else { u64::MAX }),
            ));
            let entry = &mut groups[g][slot];
            entry.0 = *k;
            entry.1 += 1;
            first_reg.entry((*source, g as u32)).or_insert(c.call);
            slot_of.insert(
                *k,
                Slot {
                    group: g as u32,
                    slot: slot as u8,
                    gen: entry.1 & 3,
                    evict,
                },
            );
        }
        on_time(budget)?;
        let split: HashMap<u32, u32> = picking
            .iter()
            .map(|s| (*s, sources[s].groups.len() as u32))
            .collect();
        let group_of: HashMap<KeyRef, u32> = slot_of
            .iter()
            .filter(|(k, _)| key_source.get(*k).is_some_and(|s| split.contains_key(s)))
            .map(|(k, at)| (*k, at.group))
            .collect();
        let attribution = attribute(calls, &key_source, &group_of, &split);
        // A source with no attribution is made relaxed at once: it can be
        // refuted, never found linearizable.
        let relaxed: HashSet<u32> = attribution.failed.keys().copied().collect();
        on_time(budget)?;
        let registered: Vec<u32> = sources
            .iter()
            .filter(|(_, i)| i.first_mode.is_some())
            .map(|(s, _)| *s)
            .collect();
        let relevant = wait_sources(calls, &key_source, &Alive::new(alive, &registered));
        on_time(budget)?;
        let by_source = BySource::new(calls, &key_source, &sources, &relevant)?;
        on_time(budget)?;
        // Per (source, group after the first): the quiescent cut before its
        // first registration, and per source the latest (up to which the tape
        // is kept).
        let cuts: HashMap<(u32, u32), u64> = if trimmed {
            group_cuts(calls, &relevant, &sources, &first_reg)
        } else {
            HashMap::new()
        };
        let mut tape_end: HashMap<u32, u64> = HashMap::new();
        for (&(src, _), &cut) in &cuts {
            let e = tape_end.entry(src).or_insert(0);
            *e = (*e).max(cut);
        }
        Ok(Plan {
            sources,
            key_source,
            slot_of,
            relevant,
            cuts,
            tape_end,
            by_source,
            attribution,
            relaxed,
            alone: super::overlap::waits_alone(calls),
        })
    }

    /// The split sources whose steps pick registrations ([`attribute`]):
    /// per source, `Ok` if its picks were attributed, else why not.
    pub(super) fn picking(&self) -> BTreeMap<u32, Result<(), (usize, String)>> {
        self.sources
            .iter()
            .filter(|(_, i)| {
                i.groups.len() > 1
                    && matches!(
                        i.kind.or(i.first_mode.map(default_kind)),
                        Some(SourceKind::Operation | SourceKind::Futex)
                    )
            })
            .map(|(s, _)| {
                let r = match self.attribution.failed.get(s) {
                    Some(why) => Err(why.clone()),
                    None => Ok(()),
                };
                (*s, r)
            })
            .collect()
    }

    /// From now on, `source`'s parts are made relaxed ([`attribute`]'s
    /// pass 2): every picking step in every group, none attributed.
    pub(super) fn relax(&mut self, source: u32) {
        self.relaxed.insert(source);
    }

    /// The parts, one per (source, group); a source without registrations
    /// has none (nothing of it can be observed).
    pub(super) fn ids(&self) -> Vec<(u32, u32)> {
        self.sources
            .iter()
            .filter(|(_, i)| i.first_mode.is_some())
            .flat_map(|(s, i)| (0..i.groups.len() as u32).map(|g| (*s, g)))
            .collect()
    }

    /// The ops of the parts `ids` (a source's [`TAPE`] too), each from its
    /// cut on if `use_cuts`, else from the start; stops when `budget`'s
    /// deadline passes or the ops would hold more than its bytes.
    pub(super) fn build(
        &self,
        calls: &[Call],
        ids: &[(u32, u32)],
        use_cuts: bool,
        budget: &Budget,
    ) -> Result<BTreeMap<(u32, u32), Vec<POp>>, BuildError> {
        let Plan {
            sources,
            key_source,
            slot_of,
            relevant,
            cuts,
            tape_end,
            by_source,
            attribution,
            relaxed,
            alone,
        } = self;
        let locate = |k: &KeyRef, line: usize| -> Result<(u32, Slot), ParseError> {
            let src = *key_source.get(k).ok_or_else(|| {
                err(
                    line,
                    format!("key {k} was never returned by a register or submit"),
                )
            })?;
            Ok((src, slot_of[k]))
        };
        let known_source = |s: u32, line: usize| -> Result<(), ParseError> {
            if sources.contains_key(&s) {
                Ok(())
            } else {
                Err(err(
                    line,
                    format!("source {s} was never created or registered"),
                ))
            }
        };

        if ids.is_empty() {
            // No part to make (a history without tapes): walking every
            // call for none (a twelfth of the walks of the 1M-call,
            // 64-source history) could find only what `BySource::new`
            // refused already, when the plan was made.
            return Ok(BTreeMap::new());
        }
        let mut parts: BTreeMap<(u32, u32), Vec<POp>> =
            ids.iter().map(|&id| (id, Vec::new())).collect();
        // Whether `(src, group)`'s part leaves out an op invoked at `start`.
        let left_out = |id: &(u32, u32), start: u64| {
            if id.1 == TAPE {
                tape_end.get(&id.0).is_none_or(|&e| start >= e)
            } else {
                use_cuts && cuts.get(id).is_some_and(|&c| start < c)
            }
        };
        let groups_of = |src: u32| sources.get(&src).map_or(0, |i| i.groups.len() as u32);
        let srcs: Vec<u32> = ids.iter().map(|id| id.0).collect();
        let walk = by_source.calls_of(&srcs);
        if let [id] = ids {
            // One part: at most one op per call walked, two for a blocking
            // wait (a few in ten), so that the part is not copied as it
            // grows.
            if let Some(ops) = parts.get_mut(id) {
                ops.reserve(walk.len() + walk.len() / 4);
            }
        }
        for (walked, ci) in walk.into_iter().enumerate() {
            let c = &calls[ci];
            if walked.is_multiple_of(CHECK_EVERY) {
                on_time(budget)?;
                let held: usize = parts.values().map(|o| o.capacity()).sum();
                let bytes = (held * std::mem::size_of::<POp>()) as u64;
                if budget.max_bytes.is_some_and(|m| bytes > m) {
                    return Err(BuildError::Stop(Stop::Memory { explored: 0, bytes }));
                }
            }
            if matches!(c.result, Some(Res::Error(_))) {
                // A refused call changed nothing.
                continue;
            }
            let unknown = c.result.is_none();
            let base = POp {
                call: ci,
                thread: c.thread,
                start: c.call,
                end: c.ret.unwrap_or(u64::MAX),
                unknown,
                kind: PKind::Raise,
                after: None,
            };
            // A call on one registration: its group's part.
            let mut push_one = |src: u32, group: u32, kind: PKind| {
                if let Some(ops) = parts.get_mut(&(src, group)) {
                    ops.push(POp {
                        kind,
                        ..base.clone()
                    });
                }
            };
            // A step on the source: every group's part (a source the
            // history never created is a malformed line).
            let env = |parts: &mut BTreeMap<(u32, u32), Vec<POp>>,
                       src: u32,
                       kind: PKind|
             -> Result<(), ParseError> {
                known_source(src, c.line)?;
                for g in (0..groups_of(src)).chain([TAPE]) {
                    if left_out(&(src, g), base.start) {
                        continue;
                    }
                    if let Some(ops) = parts.get_mut(&(src, g)) {
                        ops.push(POp {
                            kind: kind.clone(),
                            ..base.clone()
                        });
                    }
                }
                Ok(())
            };
            // A step that picks registrations of a split `operation` or
            // `futex` source ([`attribute`]): only in the groups it acted
            // on, never in the tape (no group's pick comes before its
            // cut), or, relaxed, in every group and the tape, optional (a
            // wake: any share). `false`: not such a step.
            let pick = |parts: &mut BTreeMap<(u32, u32), Vec<POp>>,
                        src: u32,
                        kind: PKind|
             -> Result<bool, ParseError> {
                let relax = relaxed.contains(&src);
                let chosen = attribution.picks.get(&ci);
                if !relax && chosen.is_none() {
                    return Ok(false);
                }
                known_source(src, c.line)?;
                for g in (0..groups_of(src)).chain([TAPE]) {
                    if left_out(&(src, g), base.start) {
                        continue;
                    }
                    let mine = match (chosen, &kind) {
                        _ if relax => Some(kind.clone()),
                        _ if g == TAPE => None,
                        (Some(Pick::Group(h)), _) => (*h == g).then(|| kind.clone()),
                        (Some(Pick::Shares(v)), PKind::FutexWake { n, count, .. }) => {
                            Some(PKind::FutexWake {
                                n: *n,
                                count: *count,
                                share: Share::Of(of_group(v, g)),
                            })
                        }
                        _ => None,
                    };
                    // Relaxed, what other groups' evidence shows a step
                    // acted on is taken out of this group's part.
                    let others = match attribution.forced.get(&ci) {
                        Some(f) => f.iter().filter(|(h, _)| *h != g).map(|(_, n)| n).sum(),
                        None => 0,
                    };
                    let mine = match mine {
                        Some(PKind::FutexWake { n, count, .. }) if relax => PKind::FutexWake {
                            n,
                            count,
                            share: Share::Any { others },
                        },
                        // A completion or item that acted on another
                        // group's registration.
                        Some(_) if relax && others > 0 => continue,
                        Some(k) => k,
                        None => continue,
                    };
                    // Relaxed, a completion or item may have acted on
                    // another group: optional, as an unknown result is.
                    let optional = relax && !matches!(mine, PKind::FutexWake { .. });
                    if let Some(ops) = parts.get_mut(&(src, g)) {
                        ops.push(POp {
                            kind: mine,
                            unknown: base.unknown || optional,
                            ..base.clone()
                        });
                    }
                }
                Ok(true)
            };
            match &c.op {
                Op::AddSource { .. } | Op::Declare { .. } => {}
                Op::Register { source, mode, .. } => {
                    let Some(Res::Key(k)) = &c.result else {
                        unreachable!("checked above")
                    };
                    let (src, at) = locate(k, c.line)?;
                    debug_assert_eq!(src, *source);
                    push_one(
                        src,
                        at.group,
                        PKind::Register {
                            slot: at.slot,
                            gen: at.gen,
                            mode: *mode,
                            evict: at.evict,
                        },
                    );
                }
                Op::Modify { key, mode } => {
                    let (src, at) = locate(key, c.line)?;
                    push_one(
                        src,
                        at.group,
                        PKind::Modify {
                            slot: at.slot,
                            gen: at.gen,
                            mode: *mode,
                        },
                    );
                }
                Op::Rearm { key } => {
                    let (src, at) = locate(key, c.line)?;
                    push_one(
                        src,
                        at.group,
                        PKind::Rearm {
                            slot: at.slot,
                            gen: at.gen,
                        },
                    );
                }
                Op::Disable { key } => {
                    let (src, at) = locate(key, c.line)?;
                    push_one(
                        src,
                        at.group,
                        PKind::Disable {
                            slot: at.slot,
                            gen: at.gen,
                        },
                    );
                }
                Op::Cancel { key, mode } => {
                    let (src, at) = locate(key, c.line)?;
                    let answer = match &c.result {
                        Some(Res::Cancel(a)) => Some(*a),
                        _ => None,
                    };
                    push_one(
                        src,
                        at.group,
                        PKind::Cancel {
                            slot: at.slot,
                            gen: at.gen,
                            mode: *mode,
                            answer,
                        },
                    );
                }
                Op::Consume { source } => {
                    env(&mut parts, *source, PKind::Consume)?;
                }
                Op::Raise { source } => {
                    env(&mut parts, *source, PKind::Raise)?;
                }
                Op::Lower { source } => {
                    env(&mut parts, *source, PKind::Lower)?;
                }
                Op::Complete { source, cancelled } => {
                    let kind = PKind::Complete {
                        cancelled: *cancelled,
                    };
                    if !pick(&mut parts, *source, kind.clone())? {
                        env(&mut parts, *source, kind)?;
                    }
                }
                Op::StreamItem { source } => {
                    if !pick(&mut parts, *source, PKind::StreamItem)? {
                        env(&mut parts, *source, PKind::StreamItem)?;
                    }
                }
                Op::Close { source } => {
                    env(&mut parts, *source, PKind::Close)?;
                }
                Op::FutexWake { source, n } => {
                    let count = match &c.result {
                        Some(Res::Count(n)) => Some(*n),
                        _ => None,
                    };
                    let kind = PKind::FutexWake {
                        n: *n,
                        count,
                        share: Share::Whole,
                    };
                    if !pick(&mut parts, *source, kind.clone())? {
                        env(&mut parts, *source, kind)?;
                    }
                }
                Op::Wait { max, block } => {
                    // Only the events of the parts being made are located
                    // (a malformed key anywhere was refused by `BySource`).
                    let events: Option<Vec<((u32, u32), PEv)>> = match &c.result {
                        Some(Res::Events(evs)) => Some(
                            evs.iter()
                                .filter(|e| {
                                    key_source.get(&e.key).is_some_and(|s| srcs.contains(s))
                                })
                                .map(|e: &Ev| {
                                    let (src, at) = locate(&e.key, c.line)?;
                                    Ok((
                                        (src, at.group),
                                        PEv {
                                            key: at.slot,
                                            gen: at.gen,
                                            kind: e.kind,
                                        },
                                    ))
                                })
                                .collect::<Result<_, ParseError>>()?,
                        ),
                        _ => None,
                    };
                    let returned = match &c.result {
                        Some(Res::Events(evs)) => Some(evs.len()),
                        _ => None,
                    };
                    if returned.is_some_and(|n| n > *max as usize) {
                        return Err(err(
                            c.line,
                            format!("wait returned more than max = {max} events"),
                        )
                        .into());
                    }
                    let full = returned == Some(*max as usize);
                    if matches!(c.result, Some(Res::Interrupted)) {
                        // It released the caller's holds and took nothing.
                        for (id, ops) in parts.iter_mut() {
                            if left_out(id, base.start) {
                                continue;
                            }
                            ops.push(POp {
                                kind: PKind::Release,
                                ..base.clone()
                            });
                        }
                        continue;
                    }
                    for (id, ops) in parts.iter_mut() {
                        if relevant[ci]
                            .as_ref()
                            .is_some_and(|r| r.binary_search(&id.0).is_err())
                            || left_out(id, base.start)
                        {
                            continue;
                        }
                        let mine = events.as_ref().map(|e| {
                            e.iter()
                                .filter(|(s, _)| s == id)
                                .map(|(_, p)| *p)
                                .collect::<Vec<_>>()
                        });
                        let harvest = PKind::Harvest {
                            events: mine,
                            full,
                            max: *max,
                            release: !block,
                            alone: alone[ci],
                        };
                        if *block {
                            ops.push(POp {
                                kind: PKind::Release,
                                ..base.clone()
                            });
                            let after = Some(ops.len() - 1);
                            ops.push(POp {
                                kind: harvest,
                                after,
                                ..base.clone()
                            });
                        } else {
                            ops.push(POp {
                                kind: harvest,
                                ..base.clone()
                            });
                        }
                    }
                }
            }
        }
        Ok(parts)
    }

    /// The part `(source, group)` without its ops: its kind, slots, and
    /// what it leaves out (its cut, and its source's tape from `tapes`).
    pub(super) fn skeleton(
        &self,
        source: u32,
        group: u32,
        tapes: &HashMap<u32, std::rc::Rc<Vec<POp>>>,
    ) -> Option<Part> {
        let info = self.sources.get(&source)?;
        let first_mode = info.first_mode?;
        let kind = info.kind.unwrap_or(default_kind(first_mode));
        Some(Part {
            source,
            group,
            kind,
            first_mode,
            slots: info.groups.get(group as usize)?.len() as u8,
            ops: Vec::new(),
            starts: Vec::new(),
            left_out: self.cuts.get(&(source, group)).and_then(|&cut| {
                Some(LeftOut {
                    tape: std::rc::Rc::clone(tapes.get(&source)?),
                    cut,
                })
            }),
        })
    }

    /// The sources with a tape (groups that leave ops out).
    pub(super) fn tape_sources(&self) -> Vec<u32> {
        let mut s: Vec<u32> = self.tape_end.keys().copied().collect();
        s.sort_unstable();
        s
    }
}

/// The kind of a source no line declared: what its first registration's
/// mode implies.
fn default_kind(first_mode: Mode) -> SourceKind {
    match first_mode {
        Mode::Single | Mode::Multishot => SourceKind::Operation,
        _ => SourceKind::Level,
    }
}

/// Where a registration lives in the parts of its source.
#[derive(Clone, Copy, Debug)]
struct Slot {
    group: u32,
    slot: u8,
    gen: u8,
    /// It evicts the slot's previous registration.
    evict: bool,
}

/// Per (source, group after the first): the last quiescent cut of the
/// source's shared ops (environment steps and the waits in its parts) at
/// or before the group's first registration; groups with none (0) are left
/// out of the map.
fn group_cuts(
    calls: &[Call],
    relevant: &[Option<Vec<u32>>],
    sources: &BTreeMap<u32, SourceInfo>,
    first_reg: &HashMap<(u32, u32), u64>,
) -> HashMap<(u32, u32), u64> {
    let mut shared: HashMap<u32, Vec<(u64, u64)>> = HashMap::new();
    let wanted: Vec<u32> = sources
        .iter()
        .filter(|(_, i)| i.groups.len() > 1)
        .map(|(s, _)| *s)
        .collect();
    if wanted.is_empty() {
        return HashMap::new();
    }
    for (ci, c) in calls.iter().enumerate() {
        if matches!(c.result, Some(Res::Error(_))) {
            continue;
        }
        let span = (c.call, c.ret.unwrap_or(u64::MAX));
        let on = |s: u32, shared: &mut HashMap<u32, Vec<(u64, u64)>>| {
            if wanted.contains(&s) {
                shared.entry(s).or_default().push(span);
            }
        };
        match &c.op {
            Op::Consume { source }
            | Op::Raise { source }
            | Op::Lower { source }
            | Op::Complete { source, .. }
            | Op::StreamItem { source }
            | Op::Close { source }
            | Op::FutexWake { source, .. } => on(*source, &mut shared),
            Op::Wait { .. } => {
                let interrupted = matches!(c.result, Some(Res::Interrupted));
                for &s in &wanted {
                    if interrupted || relevant[ci].as_ref().is_none_or(|r| r.contains(&s)) {
                        on(s, &mut shared);
                    }
                }
            }
            _ => {}
        }
    }
    let mut out = HashMap::new();
    for (src, mut spans) in shared {
        spans.sort_unstable();
        // Quiescent times: invocations every earlier op returned before.
        let mut quiet = Vec::new();
        let mut max_end = 0u64;
        let mut prefix_end = Vec::with_capacity(spans.len());
        for (i, &(start, end)) in spans.iter().enumerate() {
            if i > 0 && max_end < start {
                quiet.push(start);
            }
            max_end = max_end.max(end);
            prefix_end.push(max_end);
        }
        let groups = sources[&src].groups.len() as u32;
        for g in 1..groups {
            let Some(&t0) = first_reg.get(&(src, g)) else {
                continue;
            };
            // The last quiet time at or before the registration; a
            // registration invoked after every shared op returned cuts at
            // its own invocation.
            let before = spans.partition_point(|&(start, _)| start < t0);
            let cut = if before == 0 {
                None
            } else if prefix_end[before - 1] < t0 {
                Some(t0)
            } else {
                quiet
                    .partition_point(|&q| q <= t0)
                    .checked_sub(1)
                    .map(|i| quiet[i])
            };
            if let Some(cut) = cut {
                out.insert((src, g), cut);
            }
        }
    }
    out
}
