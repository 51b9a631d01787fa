//! The kit's records in the history format: each [`Record`] becomes an
//! `onering_history::Line`, and `onering-history`'s writer (the one
//! implementation of the format) writes them. Nothing here knows JSON.

use crate::history::{CancelAnswer, Completion, Event, Key, Op, Outcome, Record, Refusal, Timeout};
use onering_history as wire;

/// The format version written (the oldest that can express the records).
pub const VERSION: u32 = wire::FIRST_VERSION;

fn key(k: Key) -> wire::KeyRef {
    wire::KeyRef {
        index: k.index,
        generation: k.generation,
    }
}

fn completion(c: Completion) -> wire::Completion {
    wire::Completion {
        result: c.result,
        cancelled: c.cancelled,
    }
}

/// The format's name of a refusal.
pub fn refusal_name(r: Refusal) -> &'static str {
    match r {
        Refusal::UnknownKey => "unknown-key",
        Refusal::StaleKey => "stale-key",
        Refusal::UnknownSource => "unknown-source",
        Refusal::Closed => "closed",
        Refusal::ModeMismatch => "mode-mismatch",
        Refusal::CancelModeMismatch => "cancel-mode-mismatch",
        Refusal::InvalidStep => "invalid-step",
        Refusal::AlreadySubmitted => "already-submitted",
        Refusal::NotInFlight => "not-in-flight",
        Refusal::ZeroMax => "zero-max",
        Refusal::Cancelling => "cancelling",
    }
}

fn op(o: &Op) -> wire::Op {
    use wire::Op as W;
    match *o {
        Op::AddSource { kind, .. } => W::AddSource { kind },
        Op::Register { source, mode } => W::Register {
            source,
            mode,
            interest: None,
            edge: false,
        },
        Op::Submit { source, mode } => W::Submit { source, mode },
        Op::Modify { key: k, mode } => W::Modify {
            key: key(k),
            mode,
            interest: None,
            edge: false,
        },
        Op::Rearm { key: k } => W::Rearm { key: key(k) },
        Op::Cancel { key: k, mode } => W::Cancel { key: key(k), mode },
        Op::Consume { source } => W::Consume { source },
        Op::Wait { max, timeout } => W::Wait {
            max,
            timeout: match timeout {
                Timeout::Poll => wire::Timeout::Poll,
                Timeout::Block => wire::Timeout::Block,
                Timeout::Deadline => wire::Timeout::Deadline,
            },
        },
        Op::Raise { source } => W::Raise { source },
        Op::Lower { source } => W::Lower { source },
        Op::Increment { source, n } => W::Increment { source, n },
        Op::Complete {
            source,
            result,
            cancelled,
        } => W::Complete {
            source,
            result,
            cancelled,
        },
        Op::StreamItem { source, value } => W::StreamItem { source, value },
        Op::Close { source } => W::Close { source },
        Op::FutexWake { source, n } => W::FutexWake { source, n },
        Op::Wake { source } => W::Wake { source },
    }
}

fn event(e: &Event) -> wire::Event {
    match *e {
        Event::Ready(k) => wire::Event::Ready {
            key: key(k),
            interest: None,
        },
        Event::Item(k, value) => wire::Event::Item { key: key(k), value },
        Event::Final(k, c) => wire::Event::Final {
            key: key(k),
            result: c.result,
            cancelled: c.cancelled,
        },
    }
}

fn answer(cancel: &str, completion: Option<wire::Completion>) -> wire::CallResult {
    wire::CallResult::Cancel {
        cancel: cancel.to_string(),
        completion,
    }
}

fn outcome(o: &Outcome) -> wire::CallResult {
    use wire::CallResult as W;
    match o {
        Outcome::Ok => W::OK,
        Outcome::Key(k) => W::Key { key: key(*k) },
        Outcome::Count(n) => W::Count { count: *n as u64 },
        Outcome::Events(evs) => W::Events {
            events: evs.iter().map(event).collect(),
            end: None,
        },
        Outcome::Refused(r, message) => W::Error {
            error: refusal_name(*r).to_string(),
            message: Some(message.clone()),
            errno: None,
        },
        Outcome::Cancel(a) => match a {
            CancelAnswer::Removed(c) => answer("removed", c.map(completion)),
            CancelAnswer::Pending => answer("pending", None),
            CancelAnswer::NotFound => answer("not-found", None),
            CancelAnswer::Cancelled => answer("cancelled", None),
            CancelAnswer::InProgress => answer("in-progress", None),
            CancelAnswer::TooLate => answer("too-late", None),
        },
    }
}

/// One record as a line of the format. A call that never returned has no
/// `ret` and no `result`; a call whose result is unknown has no `result`.
pub fn record(r: &Record) -> wire::Line {
    // `add_source` returns the source it names.
    let result = match (&r.op, &r.result) {
        (Op::AddSource { source, .. }, Some(Outcome::Ok)) => {
            Some(wire::CallResult::Source { source: *source })
        }
        (_, res) => res.as_ref().map(outcome),
    };
    let mut l = wire::Line {
        v: VERSION,
        port: None,
        thread: Some(r.thread),
        call: r.call,
        ret: r.ret,
        op: op(&r.op),
        result: r.ret.and(result),
    };
    l.v = l.needs_version();
    l
}

/// Records, one line each, in the order given.
pub fn to_jsonl(records: &[Record]) -> String {
    let lines: Vec<wire::Line> = records.iter().map(record).collect();
    wire::to_jsonl(&lines)
}
