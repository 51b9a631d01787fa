//! Reading a history: JSON Lines, version 1 (`docs/history-format.md`).
//! Every malformed line is an error naming the line and what was expected;
//! nothing is skipped silently.

use onering_model::{Answer, CancelMode, Mode, Outcome, Rules, SourceKind};
use serde_json::Value;
use std::fmt;

/// A key as the implementation names it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KeyRef {
    /// Registration slot.
    pub index: u32,
    /// Reuse count of the slot.
    pub generation: u32,
}

impl fmt::Display for KeyRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "k{}.{}", self.index, self.generation)
    }
}

/// What kind of event a wait returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EvKind {
    /// A readiness event.
    Ready,
    /// A multishot item.
    Item,
    /// The final event, flagged cancelled or not.
    Final(Outcome),
}

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
    /// The simulated backend created a source.
    AddSource { kind: SourceKind },
    /// `register` (or `submit`, for requests).
    Register { source: u32, mode: Mode },
    /// `modify(key, mode)`.
    Modify { key: KeyRef, mode: Mode },
    /// `rearm(key)`.
    Rearm { key: KeyRef },
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
    /// A wait's batch.
    Events(Vec<Ev>),
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
    /// Calling thread.
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

/// A malformed history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// 1-based line (0: the history as a whole).
    pub line: usize,
    /// What was wrong and what was expected.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

type R<T> = Result<T, String>;

fn field<'a>(v: &'a Value, name: &str) -> R<&'a Value> {
    v.get(name).ok_or_else(|| format!("missing `{name}`"))
}

fn uint(v: &Value, name: &str) -> R<u64> {
    field(v, name)?
        .as_u64()
        .ok_or_else(|| format!("`{name}` must be a non-negative integer"))
}

fn uint32(v: &Value, name: &str) -> R<u32> {
    let n = uint(v, name)?;
    u32::try_from(n).map_err(|_| format!("`{name}` = {n} does not fit in 32 bits"))
}

fn string<'a>(v: &'a Value, name: &str) -> R<&'a str> {
    field(v, name)?
        .as_str()
        .ok_or_else(|| format!("`{name}` must be a string"))
}

fn key(v: &Value, name: &str) -> R<KeyRef> {
    let k = field(v, name)?;
    if !k.is_object() {
        return Err(format!(
            "`{name}` must be an object {{\"index\": u32, \"generation\": u32}}"
        ));
    }
    Ok(KeyRef {
        index: uint32(k, "index").map_err(|e| format!("`{name}`: {e}"))?,
        generation: uint32(k, "generation").map_err(|e| format!("`{name}`: {e}"))?,
    })
}

fn mode(v: &Value, name: &str) -> R<Mode> {
    let s = string(v, name)?;
    Mode::from_name(s).ok_or_else(|| {
        format!("`{name}` is `{s}`; expected level, edge, oneshot, dispatch, single or multishot")
    })
}

fn source_kind(v: &Value, name: &str) -> R<SourceKind> {
    let s = string(v, name)?;
    SourceKind::from_name(s).ok_or_else(|| {
        format!("`{name}` is `{s}`; expected level, counter, sticky, futex or operation")
    })
}

fn cancel_mode(v: &Value, name: &str) -> R<CancelMode> {
    match string(v, name)? {
        "sync" => Ok(CancelMode::Sync),
        "async" => Ok(CancelMode::Async),
        "reap" => Ok(CancelMode::Reap),
        s => Err(format!("`{name}` is `{s}`; expected sync, async or reap")),
    }
}

fn final_outcome(v: &Value) -> R<Outcome> {
    match field(v, "cancelled")?.as_bool() {
        Some(true) => Ok(Outcome::Cancelled),
        Some(false) => Ok(Outcome::Done),
        None => Err("`cancelled` must be true or false".into()),
    }
}

fn event(v: &Value) -> R<Ev> {
    let key = key(v, "key")?;
    let kind = match string(v, "kind")? {
        "ready" => EvKind::Ready,
        "item" => EvKind::Item,
        "final" => EvKind::Final(final_outcome(v)?),
        s => return Err(format!("event kind `{s}`; expected ready, item or final")),
    };
    Ok(Ev { key, kind })
}

fn op(name: &str, args: &Value) -> R<Op> {
    let src = || uint32(args, "source");
    Ok(match name {
        "add_source" => Op::AddSource {
            kind: source_kind(args, "kind")?,
        },
        "register" | "submit" => Op::Register {
            source: src()?,
            mode: mode(args, "mode")?,
        },
        "modify" => Op::Modify {
            key: key(args, "key")?,
            mode: mode(args, "mode")?,
        },
        "rearm" => Op::Rearm {
            key: key(args, "key")?,
        },
        "cancel" => Op::Cancel {
            key: key(args, "key")?,
            mode: cancel_mode(args, "mode")?,
        },
        "consume" => Op::Consume { source: src()? },
        "wait" => {
            let max = uint32(args, "max")?;
            let block = match string(args, "timeout")? {
                "poll" => false,
                "block" | "deadline" => true,
                s => return Err(format!("`timeout` is `{s}`; expected poll, block or deadline")),
            };
            Op::Wait { max, block }
        }
        "raise" | "increment" | "wake" => Op::Raise { source: src()? },
        "lower" => Op::Lower { source: src()? },
        "complete" => Op::Complete {
            source: src()?,
            cancelled: args
                .get("cancelled")
                .map(|c| c.as_bool().ok_or("`cancelled` must be true or false"))
                .transpose()?
                .unwrap_or(false),
        },
        "stream_item" => Op::StreamItem { source: src()? },
        "close" => Op::Close { source: src()? },
        "futex_wake" => Op::FutexWake {
            source: src()?,
            n: uint32(args, "n")?,
        },
        other => {
            return Err(format!(
                "unknown op `{other}`; expected add_source, register, submit, modify, rearm, cancel, consume, wait, raise, lower, increment, wake, complete, stream_item, close or futex_wake"
            ))
        }
    })
}

/// The answer a cancel result names: the model's names (`removed`,
/// `pending`, `not-found`, ...) or the profile's own (`-ENOENT`, `0`, ...).
fn answer(v: &Value, rules: &Rules) -> R<Answer> {
    let s = string(v, "cancel")?;
    let completion = v.get("completion").filter(|c| !c.is_null());
    match s {
        "removed" => Ok(match completion {
            Some(c) => Answer::RemovedWith(final_outcome(c).map_err(|e| format!("`completion`: {e}"))?),
            None => Answer::Removed,
        }),
        "pending" => Ok(Answer::Pending),
        "not-found" => Ok(Answer::NotFound),
        "cancelled" => Ok(Answer::Cancelled),
        "in-progress" => Ok(Answer::InProgress),
        "too-late" => Ok(Answer::TooLate),
        other => [
            Answer::Removed,
            Answer::Pending,
            Answer::NotFound,
            Answer::Cancelled,
            Answer::InProgress,
            Answer::TooLate,
        ]
        .into_iter()
        .find(|a| rules.answer_name(*a) == other)
        .ok_or_else(|| {
            format!("cancel answer `{other}`; expected removed, pending, not-found, cancelled, in-progress, too-late or the profile's own name")
        }),
    }
}

fn result(op: &Op, v: &Value, rules: &Rules) -> R<Res> {
    if !v.is_object() {
        return Err("`result` must be an object".into());
    }
    if let Some(e) = v.get("error") {
        return Ok(Res::Error(
            e.as_str().ok_or("`error` must be a string")?.to_string(),
        ));
    }
    Ok(match op {
        Op::AddSource { .. } => Res::Source(uint32(v, "source")?),
        Op::Register { .. } => Res::Key(key(v, "key")?),
        Op::Cancel { .. } => Res::Cancel(answer(v, rules)?),
        Op::Wait { .. } => {
            let evs = field(v, "events")?
                .as_array()
                .ok_or("`events` must be an array")?;
            Res::Events(
                evs.iter()
                    .enumerate()
                    .map(|(i, e)| event(e).map_err(|m| format!("event {}: {m}", i + 1)))
                    .collect::<R<_>>()?,
            )
        }
        Op::FutexWake { .. } => Res::Count(uint32(v, "count")?),
        _ => Res::Ok,
    })
}

fn call(line: usize, text: &str, rules: &Rules) -> R<Call> {
    let v: Value = serde_json::from_str(text).map_err(|e| format!("not JSON: {e}"))?;
    if !v.is_object() {
        return Err("expected a JSON object".into());
    }
    let version = uint(&v, "v")?;
    if version != 1 {
        return Err(format!(
            "version {version} is not known; this reader knows version 1"
        ));
    }
    let thread = uint32(&v, "thread")?;
    let call_t = uint(&v, "call")?;
    let ret = match v.get("ret") {
        None | Some(Value::Null) => None,
        Some(_) => Some(uint(&v, "ret")?),
    };
    if ret.is_some_and(|r| r <= call_t) {
        return Err(format!(
            "`ret` ({}) must be greater than `call` ({call_t})",
            ret.unwrap_or(0)
        ));
    }
    let name = string(&v, "op")?;
    let args = field(&v, "args")?;
    if !args.is_object() {
        return Err("`args` must be an object".into());
    }
    let op = op(name, args)?;
    let result = match (ret, v.get("result")) {
        (_, None) | (_, Some(Value::Null)) => None,
        (None, Some(_)) => return Err("a call without `ret` cannot have a `result`".into()),
        (Some(_), Some(r)) => Some(result(&op, r, rules).map_err(|e| format!("`result`: {e}"))?),
    };
    if matches!(op, Op::Wait { max: 0, .. }) && !matches!(result, Some(Res::Error(_))) {
        return Err("a wait with `max` 0 must be refused (an `error` result)".into());
    }
    Ok(Call {
        line,
        thread,
        call: call_t,
        ret,
        op,
        result,
    })
}

/// Parses a whole history. Blank lines are allowed; anything else that is
/// not a version-1 call is an error.
pub fn parse_jsonl(text: &str, rules: &Rules) -> Result<Vec<Call>, ParseError> {
    let mut calls = Vec::new();
    for (i, line) in text.lines().enumerate() {
        if line.trim().is_empty() {
            continue;
        }
        calls.push(call(i + 1, line, rules).map_err(|message| ParseError {
            line: i + 1,
            message,
        })?);
    }
    let mut times = std::collections::HashMap::new();
    for c in &calls {
        for t in std::iter::once(c.call).chain(c.ret) {
            if let Some(other) = times.insert(t, c.line) {
                return Err(ParseError {
                    line: c.line,
                    message: format!("timestamp {t} is used again (also on line {other}); every reading of the counter is unique"),
                });
            }
        }
    }
    Ok(calls)
}
