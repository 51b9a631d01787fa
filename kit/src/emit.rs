//! The only place that knows the wire format: typed [`Record`]s to JSON
//! Lines, version 1 of `docs/history-format.md`. Everything goes through
//! `serde_json` (no hand-written JSON). When the `onering-history` crate's
//! writer lands, this module is what switches to it.

use crate::history::{CancelAnswer, Completion, Event, Key, Op, Outcome, Record, Refusal, Timeout};
use serde_json::{json, Value};

/// The format version written.
pub const VERSION: u32 = 1;

fn key(k: Key) -> Value {
    json!({"index": k.index, "generation": k.generation})
}

fn completion(c: Completion) -> Value {
    json!({"result": c.result, "cancelled": c.cancelled})
}

fn timeout(t: Timeout) -> &'static str {
    match t {
        Timeout::Poll => "poll",
        Timeout::Block => "block",
        Timeout::Deadline => "deadline",
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

/// `op` name and `args` object.
fn op(o: &Op) -> (&'static str, Value) {
    match *o {
        Op::AddSource { kind, .. } => ("add_source", json!({"kind": kind.name()})),
        Op::Register { source, mode } => {
            ("register", json!({"source": source, "mode": mode.name()}))
        }
        Op::Submit { source, mode } => ("submit", json!({"source": source, "mode": mode.name()})),
        Op::Modify { key: k, mode } => ("modify", json!({"key": key(k), "mode": mode.name()})),
        Op::Rearm { key: k } => ("rearm", json!({"key": key(k)})),
        Op::Cancel { key: k, mode } => ("cancel", json!({"key": key(k), "mode": mode.name()})),
        Op::Consume { source } => ("consume", json!({"source": source})),
        Op::Wait { max, timeout: t } => ("wait", json!({"max": max, "timeout": timeout(t)})),
        Op::Raise { source } => ("raise", json!({"source": source})),
        Op::Lower { source } => ("lower", json!({"source": source})),
        Op::Increment { source, n } => ("increment", json!({"source": source, "n": n})),
        Op::Complete {
            source,
            result,
            cancelled,
        } => (
            "complete",
            json!({"source": source, "result": result, "cancelled": cancelled}),
        ),
        Op::StreamItem { source, value } => {
            ("stream_item", json!({"source": source, "value": value}))
        }
        Op::Close { source } => ("close", json!({"source": source})),
        Op::FutexWake { source, n } => ("futex_wake", json!({"source": source, "n": n})),
        Op::Wake { source } => ("wake", json!({"source": source})),
    }
}

fn event(e: &Event) -> Value {
    match *e {
        Event::Ready(k) => json!({"key": key(k), "kind": "ready"}),
        Event::Item(k, value) => json!({"key": key(k), "kind": "item", "value": value}),
        Event::Final(k, c) => json!({
            "key": key(k), "kind": "final", "result": c.result, "cancelled": c.cancelled,
        }),
    }
}

fn outcome(o: &Outcome) -> Value {
    match o {
        Outcome::Ok => json!({"ok": true}),
        Outcome::Key(k) => json!({"key": key(*k)}),
        Outcome::Count(n) => json!({"count": n}),
        Outcome::Events(evs) => json!({"events": evs.iter().map(event).collect::<Vec<_>>()}),
        Outcome::Refused(r, message) => json!({"error": refusal_name(*r), "message": message}),
        Outcome::Cancel(a) => match a {
            CancelAnswer::Removed(c) => {
                json!({"cancel": "removed", "completion": c.map(completion)})
            }
            CancelAnswer::Pending => json!({"cancel": "pending"}),
            CancelAnswer::NotFound => json!({"cancel": "not-found"}),
            CancelAnswer::Cancelled => json!({"cancel": "cancelled"}),
            CancelAnswer::InProgress => json!({"cancel": "in-progress"}),
            CancelAnswer::TooLate => json!({"cancel": "too-late"}),
        },
    }
}

/// One record as a JSON object. A call that never returned has no `ret`
/// and no `result`; a call whose result is unknown has no `result`.
pub fn record(r: &Record) -> Value {
    let (name, args) = op(&r.op);
    // `add_source` returns the source it names.
    let result = match (&r.op, &r.result) {
        (Op::AddSource { source, .. }, Some(Outcome::Ok)) => Some(json!({"source": source})),
        (_, res) => res.as_ref().map(outcome),
    };
    let mut v = json!({"v": VERSION, "thread": r.thread, "call": r.call, "op": name, "args": args});
    if let Some(ret) = r.ret {
        v["ret"] = json!(ret);
        if let Some(res) = result {
            v["result"] = res;
        }
    }
    v
}

/// Records, one JSON object per line, each ended by `\n`, in the order given.
pub fn to_jsonl(records: &[Record]) -> String {
    let mut out = String::new();
    for r in records {
        out.push_str(&record(r).to_string());
        out.push('\n');
    }
    out
}
