//! From the wire to the checker: the lines `onering-history` read, in the
//! model's terms (answers resolved against the profile, the Port's several
//! words for one step folded into one). A construct of format version 2
//! that the model cannot check yet is a [`NotModelled`], never a guess.

use super::v2::{self, V2};
pub use onering_history::KeyRef;
use onering_history::{CallResult, Event, Line, ReadError, Timeout, WaitEnd};
use onering_model::{Answer, CancelMode, Mode, Outcome, Rules, SourceKind};
use std::fmt;

/// The thread of a step no user thread made (a kernel completion).
pub const NO_THREAD: u32 = u32::MAX;

/// What kind of event a wait returned: the model's [`EventKind`](onering_model::EventKind).
pub use onering_model::EventKind as EvKind;

/// One event of a wait's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Ev {
    /// Whose.
    pub key: KeyRef,
    /// What.
    pub kind: EvKind,
}

/// A recorded operation with its arguments.
#[derive(Clone, Debug, PartialEq)]
pub enum Op {
    /// The simulated backend created a source, or a kernel history declared
    /// its kind (`declare`, which names the source).
    AddSource { kind: SourceKind },
    /// The kind of `source`, declared.
    Declare { source: u32, kind: SourceKind },
    /// `register`, or (`submit`) `submit` of a request.
    Register {
        source: u32,
        mode: Mode,
        submit: bool,
    },
    /// `modify(key, mode)`.
    Modify { key: KeyRef, mode: Mode },
    /// `rearm(key)`.
    Rearm { key: KeyRef },
    /// v2 `disable(key)`: interest switched off, the registration kept.
    Disable { key: KeyRef },
    /// `cancel(key, mode)`.
    Cancel { key: KeyRef, mode: CancelMode },
    /// `consume(source)`.
    Consume { source: u32 },
    /// `wait(max, timeout)`; `block` unless the timeout was `poll`.
    Wait { max: u32, block: bool },
    /// A readiness wake-up (`raise`, `increment`, `wake`).
    Raise { source: u32 },
    /// A level drops.
    Lower { source: u32 },
    /// An operation completes, with its own result or (`cancelled`) because
    /// its cancel won.
    Complete { source: u32, cancelled: bool },
    /// A multishot item.
    StreamItem { source: u32 },
    /// The source's descriptor is closed.
    Close { source: u32 },
    /// `futex_wake(n)`.
    FutexWake { source: u32, n: u32 },
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq)]
pub enum Res {
    /// Success without a value.
    Ok,
    /// A new source.
    Source(u32),
    /// A new key.
    Key(KeyRef),
    /// A cancel's answer.
    Cancel(Answer),
    /// A wait's batch. An empty one says nothing was deliverable at some
    /// point of the call: a poll, or a wait whose deadline passed (v2
    /// `"end": "deadline"`, or a version-1 blocking wait). This is what
    /// catches a lost wake-up: a waiter left asleep, then timed out, while
    /// an event it could take stayed deliverable for its whole interval.
    Events(Vec<Ev>),
    /// v2: a wait interrupted (`"end": "interrupted"`: a signal, the
    /// library's own interruption) without events. It released the
    /// caller's holds and took nothing, and says nothing of what was
    /// deliverable.
    Interrupted,
    /// A count (futex waiters released, ...).
    Count(u32),
    /// The call was refused and changed nothing.
    Error(String),
}

/// One recorded call.
#[derive(Clone, Debug, PartialEq)]
pub struct Call {
    /// 1-based line in the input.
    pub line: usize,
    /// The port (poller) the call was made on.
    pub port: u32,
    /// Calling thread ([`NO_THREAD`] for a step no user thread made).
    pub thread: u32,
    /// Invocation time.
    pub call: u64,
    /// Response time; `None` if the call never returned (a thread that timed
    /// out or crashed): it may or may not have taken effect.
    pub ret: Option<u64>,
    /// The operation.
    pub op: Op,
    /// The result; `None` if unknown.
    pub result: Option<Res>,
}

#[cfg(test)]
impl Call {
    /// For unit tests: a wait of `thread` on `port` (`max` 2, blocking or a
    /// poll) invoked at `call`, returned at `ret` with `result`.
    pub(crate) fn test_wait(
        port: u32,
        thread: u32,
        (call, ret): (u64, Option<u64>),
        block: bool,
        result: Option<Res>,
    ) -> Call {
        Call {
            line: 0,
            port,
            thread,
            call,
            ret,
            op: Op::Wait { max: 2, block },
            result,
        }
    }
}

/// A malformed history: what the format or the model's words refuse.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line (0: the history as a whole).
    pub line: usize,
    /// The offending field (`args.mode`), if one is to blame.
    pub field: Option<String>,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ParseError {}

impl From<ReadError> for ParseError {
    fn from(e: ReadError) -> Self {
        ParseError {
            line: e.line,
            field: e.field,
            message: e.message,
        }
    }
}

/// A construct the history format expresses and the model cannot check yet
/// (the first one met): the checker gives no verdict rather than misjudge.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotModelled {
    /// 1-based line.
    pub line: usize,
    /// What it is, in a few words.
    pub construct: &'static str,
}

impl fmt::Display for NotModelled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "line {}: {} is not modelled", self.line, self.construct)
    }
}

/// A parsed history: the calls, or the first construct not modelled.
#[derive(Clone, Debug)]
pub struct Parsed {
    /// The calls, in the order of the input.
    pub calls: Vec<Call>,
    /// The first construct the model cannot check, if any.
    pub not_modelled: Option<NotModelled>,
}

fn perr(line: usize, field: &str, message: String) -> ParseError {
    ParseError {
        line,
        field: Some(field.to_string()),
        message,
    }
}

/// Every answer of the model (the wire spells them in kebab case).
const ANSWERS: [Answer; 6] = [
    Answer::Removed,
    Answer::Pending,
    Answer::NotFound,
    Answer::Cancelled,
    Answer::InProgress,
    Answer::TooLate,
];

/// The model's name of an answer as the wire spells it: `NotFound` is
/// `not-found`.
pub fn wire_answer_name(a: Answer) -> String {
    let mut out = String::new();
    for (i, c) in a
        .name()
        .chars()
        .take_while(|c| c.is_alphanumeric())
        .enumerate()
    {
        if c.is_uppercase() && i > 0 {
            out.push('-');
        }
        out.extend(c.to_lowercase());
    }
    out
}

/// The answer a cancel result names: the model's name or the profile's own.
fn answer(
    line: usize,
    cancel: &str,
    completion: Option<onering_history::Completion>,
    rules: &Rules,
) -> Result<Answer, ParseError> {
    let found = ANSWERS
        .into_iter()
        .find(|a| wire_answer_name(*a) == cancel)
        .or_else(|| {
            ANSWERS
                .into_iter()
                .find(|a| rules.answer_name(*a) == cancel)
        })
        .ok_or_else(|| {
            let model: Vec<String> = ANSWERS.into_iter().map(wire_answer_name).collect();
            let mut own: Vec<&str> = ANSWERS
                .into_iter()
                .map(|a| rules.answer_name(a))
                .filter(|n| !n.chars().next().is_some_and(char::is_uppercase))
                .collect();
            own.dedup();
            perr(
                line,
                "result.cancel",
                format!(
                    "unknown cancel answer `{cancel}`; the model's answers are {}{}",
                    model.join(", "),
                    if own.is_empty() {
                        String::new()
                    } else {
                        format!(", and profile {} also says {}", rules.name, own.join(", "))
                    }
                ),
            )
        })?;
    Ok(match (found, completion) {
        (Answer::Removed, Some(c)) => Answer::RemovedWith(if c.cancelled {
            Outcome::Cancelled
        } else {
            Outcome::Done
        }),
        (a, _) => a,
    })
}

fn event(line: usize, i: usize, e: &Event) -> Result<Result<Ev, &'static str>, ParseError> {
    let _ = (line, i);
    Ok(match e {
        Event::Ready {
            interest: Some(_), ..
        } => Err("an event of one half (read or write) of a descriptor's interest"),
        Event::Ready { key, .. } => Ok(Ev {
            key: *key,
            kind: EvKind::Ready,
        }),
        Event::Item { key, .. } => Ok(Ev {
            key: *key,
            kind: EvKind::Item,
        }),
        Event::Final { key, cancelled, .. } => Ok(Ev {
            key: *key,
            kind: EvKind::Final(if *cancelled {
                Outcome::Cancelled
            } else {
                Outcome::Done
            }),
        }),
        // Taken apart by `call` (see `super::v2`).
        Event::Notify {} => Err("the library's own wake-up (notify) in a batch"),
        Event::CancelAnswer { .. } => Err("a cancel's own completion event"),
    })
}

/// One line in the checker's terms: `Ok(None)` for a line with no model
/// step (an `exit`), `Err` for a construct not modelled.
fn call(
    n: usize,
    l: &Line,
    rules: &Rules,
    v2: &mut V2,
) -> Result<Result<Option<Call>, &'static str>, ParseError> {
    use onering_history::Op as W;
    // Edge-oneshot and interest halves (v2), in the model's terms.
    let mut interest = None;
    let mode_of = |mode: &Mode, edge: bool| -> Result<Mode, &'static str> {
        if edge {
            rules
                .edge_oneshot_mode(*mode)
                .ok_or("edge-oneshot (in a profile without a oneshot registration)")
        } else {
            Ok(*mode)
        }
    };
    let op = match &l.op {
        W::AddSource { kind } => Op::AddSource { kind: *kind },
        W::Declare { source, kind } => Op::Declare {
            source: *source,
            kind: *kind,
        },
        W::Register {
            source,
            mode,
            interest: i,
            edge,
        } => {
            interest = *i;
            Op::Register {
                source: *source,
                mode: match mode_of(mode, *edge) {
                    Ok(m) => m,
                    Err(c) => return Ok(Err(c)),
                },
                submit: false,
            }
        }
        W::Submit { source, mode } => Op::Register {
            source: *source,
            mode: *mode,
            submit: true,
        },
        W::Modify {
            key,
            mode,
            interest: i,
            edge,
        } => {
            if let Some(i) = i {
                if let Err(c) = v2.modify_interest(*key, *i) {
                    return Ok(Err(c));
                }
            }
            Op::Modify {
                key: *key,
                mode: match mode_of(mode, *edge) {
                    Ok(m) => m,
                    Err(c) => return Ok(Err(c)),
                },
            }
        }
        W::Rearm { key } => Op::Rearm { key: *key },
        W::Disable { key } => Op::Disable { key: *key },
        W::Cancel { key, mode } => Op::Cancel {
            key: *key,
            mode: *mode,
        },
        W::Consume { source } => Op::Consume { source: *source },
        W::Wait { max, timeout } => Op::Wait {
            max: *max,
            block: *timeout != Timeout::Poll,
        },
        // No model step: it only ends a wait, whose batch says so.
        W::Notify {} => {
            v2.notify_call(l.call);
            return Ok(Ok(None));
        }
        W::Exit {} => return Ok(Ok(None)),
        W::Raise { source } | W::Increment { source, .. } | W::Wake { source } => {
            Op::Raise { source: *source }
        }
        W::Lower { source } => Op::Lower { source: *source },
        W::Complete {
            source, cancelled, ..
        } => Op::Complete {
            source: *source,
            cancelled: *cancelled,
        },
        W::StreamItem { source, .. } => Op::StreamItem { source: *source },
        W::Close { source } => Op::Close { source: *source },
        W::FutexWake { source, n } => Op::FutexWake {
            source: *source,
            n: *n,
        },
    };
    // Batch slots the library's own wake-ups and cancel completions took.
    let mut library_slots = 0u32;
    let result = match &l.result {
        None => None,
        Some(CallResult::Error { error, .. }) => Some(Res::Error(error.clone())),
        Some(r) => Some(match (&op, r) {
            (Op::AddSource { .. }, CallResult::Source { source }) => Res::Source(*source),
            (Op::Register { .. }, CallResult::Key { key }) => Res::Key(*key),
            (Op::Cancel { .. }, CallResult::Cancel { cancel, completion }) => {
                Res::Cancel(answer(n, cancel, *completion, rules)?)
            }
            (Op::Cancel { .. }, CallResult::Count { count }) => {
                match v2::count_answer(rules, *count) {
                    Some(a) => Res::Cancel(a),
                    None => return Ok(Err(
                        "a cancel answer that is a count (of several requests, or in a profile whose cancels do not count)",
                    )),
                }
            }
            (
                Op::Wait { .. },
                CallResult::Events {
                    end: Some(WaitEnd::Early),
                    events,
                },
            ) if events.is_empty() => return Ok(Err("a wait that returned early without events")),
            (
                Op::Wait { .. },
                CallResult::Events {
                    end: Some(WaitEnd::Interrupted),
                    events,
                },
            ) if events.is_empty() => Res::Interrupted,
            (Op::Wait { .. }, CallResult::Events { events, .. }) => {
                let mut evs = Vec::with_capacity(events.len());
                let mut notifies = 0;
                for (i, e) in events.iter().enumerate() {
                    match e {
                        Event::Notify {} => {
                            notifies += 1;
                            library_slots += 1;
                            continue;
                        }
                        Event::CancelAnswer { key, answer: a } => {
                            let resolved = match answer(n, a, None, rules) {
                                Ok(x) => x,
                                Err(e) => {
                                    match a.parse().ok().and_then(|c| v2::count_answer(rules, c)) {
                                        Some(x) => x,
                                        None => return Err(e),
                                    }
                                }
                            };
                            v2.cancel_answer(n, *key, resolved);
                            library_slots += 1;
                            continue;
                        }
                        Event::Ready {
                            key,
                            interest: Some(half),
                        } => {
                            if let Err(c) = v2.event_interest(n, *key, *half)? {
                                return Ok(Err(c));
                            }
                            evs.push(Ev {
                                key: *key,
                                kind: EvKind::Ready,
                            });
                            continue;
                        }
                        _ => {}
                    }
                    match event(n, i, e)? {
                        Ok(ev) => evs.push(ev),
                        Err(construct) => return Ok(Err(construct)),
                    }
                }
                if notifies > 0 {
                    v2.notified(n, l.ret, notifies);
                }
                Res::Events(evs)
            }
            (Op::FutexWake { .. }, CallResult::Count { count }) => {
                Res::Count(u32::try_from(*count).map_err(|_| {
                    perr(
                        n,
                        "result.count",
                        format!("{count} does not fit in 32 bits"),
                    )
                })?)
            }
            (_, CallResult::Ok { .. } | CallResult::Count { .. }) => Res::Ok,
            (_, other) => {
                return Err(perr(
                    n,
                    "result",
                    format!("`{}` cannot return {other:?}", l.op.name()),
                ))
            }
        }),
    };
    if matches!(op, Op::Wait { max: 0, .. }) && !matches!(result, Some(Res::Error(_))) {
        return Err(perr(
            n,
            "args.max",
            "is 0; a wait with `max` 0 must be refused (an `error` result)".into(),
        ));
    }
    // The model's batch is what is left of the wait's `max` once the
    // library's own slots are taken: full stays full, room stays room.
    let op = match op {
        Op::Wait { max, block } => Op::Wait {
            max: max.saturating_sub(library_slots),
            block,
        },
        other => other,
    };
    if let (Some(i), Op::Register { source, .. }) = (interest, &op) {
        let key = match &result {
            Some(Res::Key(k)) => Some(*k),
            _ => None,
        };
        if let Err(c) = v2.register_interest(*source, key, i) {
            return Ok(Err(c));
        }
    }
    Ok(Ok(Some(Call {
        line: n,
        port: l.port.unwrap_or(0),
        thread: l.thread.unwrap_or(NO_THREAD),
        call: l.call,
        ret: l.ret,
        op,
        result,
    })))
}

/// Parses a whole history with `onering-history`'s reader, then resolves
/// it against the profile's words.
pub fn parse_history(text: &str, rules: &Rules) -> Result<Parsed, ParseError> {
    let lines = onering_history::read_numbered(text)?;
    from_lines(&lines, rules)
}

/// [`parse_history`] of lines already read (each with its line number).
pub fn from_lines(lines: &[(usize, Line)], rules: &Rules) -> Result<Parsed, ParseError> {
    let mut calls = Vec::with_capacity(lines.len());
    let mut not_modelled = None;
    let mut v2 = V2::default();
    for (n, l) in lines {
        match call(*n, l, rules, &mut v2)? {
            Ok(Some(c)) => calls.push(c),
            Ok(None) => {}
            Err(construct) => {
                not_modelled.get_or_insert(NotModelled {
                    line: *n,
                    construct,
                });
            }
        }
    }
    v2.finish(&mut calls)?;
    Ok(Parsed {
        calls,
        not_modelled,
    })
}

/// Parses a history whose every construct is modelled (tests, tools):
/// a construct not modelled is an error here.
pub fn parse_jsonl(text: &str, rules: &Rules) -> Result<Vec<Call>, ParseError> {
    let p = parse_history(text, rules)?;
    match p.not_modelled {
        Some(nm) => Err(ParseError {
            line: nm.line,
            field: None,
            message: format!("{} is not modelled", nm.construct),
        }),
        None => Ok(p.calls),
    }
}
