//! Splitting a history into independent parts, one per source.
//!
//! Every profile of the model makes sources independent except through the
//! order of the ready queue and the size of a batch. A part keeps every call
//! that names its source or one of its registrations, and every `wait`,
//! projected onto its registrations: the events of this source, and whether
//! the batch was full (a full batch may have left this source's events
//! queued; a batch with room must have taken every deliverable one).
//! Cross-source order (`no-starvation`) is therefore not checked here.
//!
//! Within a part, registrations take model key slots (at most
//! [`onering_model::MAX_KEYS`] alive at once): in order of invocation, a
//! registration takes over a slot whose previous registration had visibly
//! ended (a terminal answer or final event returned) before it was invoked,
//! else a new slot. Each registration of a slot is the slot's next
//! generation (mod 4: the model only compares generations for equality).

use super::parse::{Call, Ev, EvKind, KeyRef, Op, ParseError, Res};
use onering_model::{Answer, CancelMode, Mode, SourceKind, MAX_KEYS};
use std::collections::{BTreeMap, HashMap};

/// A projected event: model key, model generation, kind.
pub use onering_model::RecordedEvent as PEv;

/// An operation of one part.
#[derive(Clone, Debug, PartialEq)]
pub enum PKind {
    /// `register`/`submit` returning the registration `slot`/`gen`.
    Register { slot: u8, gen: u8, mode: Mode },
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
    /// `futex_wake(n)` releasing `count`, if known.
    FutexWake { n: u32, count: Option<u32> },
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
    /// Its kind.
    pub kind: SourceKind,
    /// The mode of its first registration.
    pub first_mode: Mode,
    /// Model key slots in use.
    pub slots: u8,
    /// The operations.
    pub ops: Vec<POp>,
}

#[derive(Default)]
struct SourceInfo {
    kind: Option<SourceKind>,
    first_mode: Option<Mode>,
    /// Per model key slot: its latest registration and how many it has had.
    slots: Vec<(KeyRef, u8)>,
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
}

/// Why a history cannot be split into parts.
#[derive(Clone, Debug, PartialEq)]
pub enum PartitionError {
    /// The lines contradict each other (a key no register returned, ...).
    Malformed(ParseError),
    /// A source has more registrations alive at once than a model state
    /// has keys ([`MAX_KEYS`]): no verdict.
    Unrepresentable {
        /// Index of the call.
        call: usize,
        /// Why.
        why: String,
    },
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
/// not as long as every wait of the history.
fn wait_sources(calls: &[Call], key_source: &HashMap<KeyRef, u32>) -> Vec<Option<Vec<u32>>> {
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
                    _ => None,
                };
            }
            _ => {
                held.insert(c.thread, None);
            }
        }
    }
    out
}

/// Splits `calls` into parts, one per source that has a registration.
///
/// # Errors
///
/// A [`PartitionError`].
pub fn partition(calls: &[Call]) -> Result<Vec<Part>, PartitionError> {
    let mut sources: BTreeMap<u32, SourceInfo> = BTreeMap::new();
    let mut key_source: HashMap<KeyRef, u32> = HashMap::new();
    let mut life: HashMap<KeyRef, Life> = HashMap::new();
    for c in calls {
        let end = c.ret.unwrap_or(u64::MAX);
        let mut mention = |k: KeyRef, finished: bool| {
            let l = life.entry(k).or_default();
            l.last_mention = l.last_mention.max(end);
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
            (Op::Register { source, .. }, Some(Res::Key(k))) => {
                if key_source.insert(*k, *source).is_some() {
                    return Err(err(
                        c.line,
                        format!("key {k} returned by a second register/submit"),
                    )
                    .into());
                }
                mention(*k, false);
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
                mention(*key, terminal);
            }
            (
                Op::Modify { key, .. }
                | Op::Rearm { key }
                | Op::Disable { key }
                | Op::Cancel { key, .. },
                _,
            ) => {
                mention(*key, false);
            }
            (Op::Wait { .. }, Some(Res::Events(evs))) => {
                for e in evs {
                    mention(e.key, matches!(e.kind, EvKind::Final(_)));
                }
            }
            _ => {}
        }
    }
    // Model key slots: registrations in order of invocation; a registration
    // takes over a slot whose previous registration had visibly ended (and
    // was last mentioned) before it was invoked, else a new slot.
    let mut slot_of: HashMap<KeyRef, (u8, u8)> = HashMap::new();
    let mut regs: Vec<(usize, &Call)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| matches!((&c.op, &c.result), (Op::Register { .. }, Some(Res::Key(_)))))
        .collect();
    regs.sort_by_key(|(_, c)| c.call);
    for (ci, c) in regs {
        let (Op::Register { source, mode, .. }, Some(Res::Key(k))) = (&c.op, &c.result) else {
            unreachable!("filtered above")
        };
        let info = sources.entry(*source).or_default();
        info.first_mode.get_or_insert(*mode);
        let reusable = info.slots.iter().position(|(prev, _)| {
            let l = life.get(prev).copied().unwrap_or_default();
            l.finished.is_some_and(|f| f < c.call) && l.last_mention < c.call
        });
        let slot = match reusable {
            Some(s) => s,
            None => {
                if info.slots.len() == MAX_KEYS as usize {
                    return Err(PartitionError::Unrepresentable {
                        call: ci,
                        why: format!(
                            "source {source} would have more than {MAX_KEYS} registrations alive at once; a model state holds {MAX_KEYS} per source"
                        ),
                    });
                }
                info.slots.push((*k, 0));
                info.slots.len() - 1
            }
        };
        let entry = &mut info.slots[slot];
        entry.0 = *k;
        entry.1 += 1;
        slot_of.insert(*k, (slot as u8, entry.1 & 3));
    }
    let locate = |k: &KeyRef, line: usize| -> Result<(u32, u8, u8), ParseError> {
        let src = *key_source.get(k).ok_or_else(|| {
            err(
                line,
                format!("key {k} was never returned by a register or submit"),
            )
        })?;
        let (slot, gen) = slot_of[k];
        Ok((src, slot, gen))
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

    let relevant = wait_sources(calls, &key_source);
    let mut parts: BTreeMap<u32, Vec<POp>> = sources.keys().map(|s| (*s, Vec::new())).collect();
    for (ci, c) in calls.iter().enumerate() {
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
        let mut push = |src: u32, kind: PKind| {
            parts.get_mut(&src).expect("known source").push(POp {
                kind,
                ..base.clone()
            });
        };
        match &c.op {
            Op::AddSource { .. } | Op::Declare { .. } => {}
            Op::Register { source, mode, .. } => {
                let Some(Res::Key(k)) = &c.result else {
                    unreachable!("checked above")
                };
                let (src, slot, gen) = locate(k, c.line)?;
                debug_assert_eq!(src, *source);
                push(
                    src,
                    PKind::Register {
                        slot,
                        gen,
                        mode: *mode,
                    },
                );
            }
            Op::Modify { key, mode } => {
                let (src, slot, gen) = locate(key, c.line)?;
                push(
                    src,
                    PKind::Modify {
                        slot,
                        gen,
                        mode: *mode,
                    },
                );
            }
            Op::Rearm { key } => {
                let (src, slot, gen) = locate(key, c.line)?;
                push(src, PKind::Rearm { slot, gen });
            }
            Op::Disable { key } => {
                let (src, slot, gen) = locate(key, c.line)?;
                push(src, PKind::Disable { slot, gen });
            }
            Op::Cancel { key, mode } => {
                let (src, slot, gen) = locate(key, c.line)?;
                let answer = match &c.result {
                    Some(Res::Cancel(a)) => Some(*a),
                    _ => None,
                };
                push(
                    src,
                    PKind::Cancel {
                        slot,
                        gen,
                        mode: *mode,
                        answer,
                    },
                );
            }
            Op::Consume { source } => {
                known_source(*source, c.line)?;
                push(*source, PKind::Consume);
            }
            Op::Raise { source } => {
                known_source(*source, c.line)?;
                push(*source, PKind::Raise);
            }
            Op::Lower { source } => {
                known_source(*source, c.line)?;
                push(*source, PKind::Lower);
            }
            Op::Complete { source, cancelled } => {
                known_source(*source, c.line)?;
                push(
                    *source,
                    PKind::Complete {
                        cancelled: *cancelled,
                    },
                );
            }
            Op::StreamItem { source } => {
                known_source(*source, c.line)?;
                push(*source, PKind::StreamItem);
            }
            Op::Close { source } => {
                known_source(*source, c.line)?;
                push(*source, PKind::Close);
            }
            Op::FutexWake { source, n } => {
                known_source(*source, c.line)?;
                let count = match &c.result {
                    Some(Res::Count(n)) => Some(*n),
                    _ => None,
                };
                push(*source, PKind::FutexWake { n: *n, count });
            }
            Op::Wait { max, block } => {
                let events: Option<Vec<(u32, PEv)>> = match &c.result {
                    Some(Res::Events(evs)) => Some(
                        evs.iter()
                            .map(|e: &Ev| {
                                let (src, slot, gen) = locate(&e.key, c.line)?;
                                Ok((
                                    src,
                                    PEv {
                                        key: slot,
                                        gen,
                                        kind: e.kind,
                                    },
                                ))
                            })
                            .collect::<Result<_, ParseError>>()?,
                    ),
                    _ => None,
                };
                if events.as_ref().is_some_and(|e| e.len() > *max as usize) {
                    return Err(err(
                        c.line,
                        format!("wait returned more than max = {max} events"),
                    )
                    .into());
                }
                let full = events.as_ref().is_some_and(|e| e.len() == *max as usize);
                for (src, ops) in parts.iter_mut() {
                    if relevant[ci].as_ref().is_some_and(|r| !r.contains(src)) {
                        continue;
                    }
                    let mine = events.as_ref().map(|e| {
                        e.iter()
                            .filter(|(s, _)| s == src)
                            .map(|(_, p)| *p)
                            .collect::<Vec<_>>()
                    });
                    let harvest = PKind::Harvest {
                        events: mine,
                        full,
                        max: *max,
                        release: !block,
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
    Ok(parts
        .into_iter()
        .filter_map(|(source, ops)| {
            let info = &sources[&source];
            let first_mode = info.first_mode?;
            let kind = info.kind.unwrap_or(match first_mode {
                Mode::Single | Mode::Multishot => SourceKind::Operation,
                _ => SourceKind::Level,
            });
            Some(Part {
                source,
                kind,
                first_mode,
                slots: info.slots.len() as u8,
                ops,
            })
        })
        .collect())
}
