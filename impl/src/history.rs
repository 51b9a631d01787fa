//! History recording: every call on a port made with [`Config::history`]
//! appends one [`Record`]; [`Port::take_history`] drains them and
//! [`to_jsonl`] writes the versioned JSON Lines format documented in
//! `docs/history-format.md`. Hand-written JSON: no serde in the build.
//!
//! [`Config::history`]: crate::Config::history
//! [`Port::take_history`]: crate::Port::take_history

use std::fmt::Write as _;
use std::io;

use crate::backend::Signal;
use crate::error::Error;
use crate::event::{CancelMode, CancelOutcome, Event, EventKind, Key, Mode, SourceId, SourceKind};
use crate::sync::ThreadToken;

/// Version of the JSON Lines format (`"v"` on every line).
pub const FORMAT_VERSION: u32 = 1;

/// `wait`'s timeout as recorded (deadlines are not replayable instants).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitTimeout {
    /// `Timeout::Poll`.
    Poll,
    /// `Timeout::Block`.
    Block,
    /// `Timeout::Deadline`.
    Deadline,
}

/// A call and its arguments.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[allow(missing_docs)] // Fields are the call's arguments, named as in the API.
pub enum Op {
    AddSource {
        kind: SourceKind,
    },
    Register {
        source: SourceId,
        mode: Mode,
    },
    Submit {
        source: SourceId,
        mode: Mode,
    },
    Modify {
        key: Key,
        mode: Mode,
    },
    Rearm {
        key: Key,
    },
    Cancel {
        key: Key,
        mode: CancelMode,
    },
    Consume {
        source: SourceId,
    },
    Wait {
        max: usize,
        timeout: WaitTimeout,
    },
    Raise {
        source: SourceId,
    },
    Lower {
        source: SourceId,
    },
    Increment {
        source: SourceId,
        n: u64,
    },
    /// Readiness wake-up fed through `Port::signal`.
    Wake {
        source: SourceId,
    },
    Complete {
        source: SourceId,
        result: Option<i64>,
        cancelled: bool,
    },
    StreamItem {
        source: SourceId,
        value: i64,
    },
    Close {
        source: SourceId,
    },
    FutexWake {
        source: SourceId,
        n: u32,
    },
}

impl Op {
    /// How an environment step fed through [`Port::signal`] (or harvested
    /// from the kernel) is recorded.
    ///
    /// [`Port::signal`]: crate::Port::signal
    pub fn from_signal(signal: Signal) -> Self {
        match signal {
            Signal::Wake(source) => Op::Wake { source },
            Signal::Item(source, value) => Op::StreamItem { source, value },
            Signal::Complete {
                source,
                result,
                cancelled,
            } => Op::Complete {
                source,
                result,
                cancelled,
            },
            Signal::Close(source) => Op::Close { source },
            Signal::FutexWake(source, n) => Op::FutexWake { source, n },
        }
    }

    /// The operation's name in the history format.
    pub fn name(&self) -> &'static str {
        match self {
            Self::AddSource { .. } => "add_source",
            Self::Register { .. } => "register",
            Self::Submit { .. } => "submit",
            Self::Modify { .. } => "modify",
            Self::Rearm { .. } => "rearm",
            Self::Cancel { .. } => "cancel",
            Self::Consume { .. } => "consume",
            Self::Wait { .. } => "wait",
            Self::Raise { .. } => "raise",
            Self::Lower { .. } => "lower",
            Self::Increment { .. } => "increment",
            Self::Wake { .. } => "wake",
            Self::Complete { .. } => "complete",
            Self::StreamItem { .. } => "stream_item",
            Self::Close { .. } => "close",
            Self::FutexWake { .. } => "futex_wake",
        }
    }

    /// Whether this is an environment step rather than a thread operation.
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Self::Raise { .. }
                | Self::Lower { .. }
                | Self::Increment { .. }
                | Self::Wake { .. }
                | Self::Complete { .. }
                | Self::StreamItem { .. }
                | Self::Close { .. }
                | Self::FutexWake { .. }
        )
    }
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Ret {
    /// `Ok(())`.
    Unit,
    /// A new source.
    Source(SourceId),
    /// A new key.
    Key(Key),
    /// A cancel's outcome.
    Cancel(CancelOutcome),
    /// `wait`'s batch.
    Events(Vec<Event>),
    /// A count (`futex_wake`: released waiters; `wake`: queued registrations).
    Count(u32),
    /// A refused call.
    Err(Error),
}

/// One call: who, when (logical timestamps from one counter per port, so
/// `call < ret` and a call that returned before another was called has a
/// smaller `ret` than the other's `call`), what, and its result.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Record {
    /// The calling thread, numbered from 0 in order of first call.
    pub thread: u32,
    /// Logical time of the invocation.
    pub call: u64,
    /// Logical time of the response.
    pub ret: u64,
    /// The operation and its arguments.
    pub op: Op,
    /// The result.
    pub result: Ret,
}

#[derive(Debug, Default)]
pub(crate) struct History {
    /// Thread numbers in order of first call; `None` is the kernel, which
    /// performs the environment steps a real backend harvests (they happen
    /// inside other threads' calls, so they get a thread of their own).
    threads: Vec<Option<ThreadToken>>,
    records: Vec<Record>,
}

impl History {
    pub(crate) fn push(&mut self, me: ThreadToken, call: u64, ret: u64, op: Op, result: Ret) {
        self.push_as(Some(me), call, ret, op, result);
    }

    /// Records an environment step performed by the kernel.
    pub(crate) fn push_kernel(&mut self, call: u64, ret: u64, op: Op, result: Ret) {
        self.push_as(None, call, ret, op, result);
    }

    fn push_as(&mut self, me: Option<ThreadToken>, call: u64, ret: u64, op: Op, result: Ret) {
        let thread = match self.threads.iter().position(|t| *t == me) {
            Some(i) => i,
            None => {
                self.threads.push(me);
                self.threads.len() - 1
            }
        } as u32;
        self.records.push(Record {
            thread,
            call,
            ret,
            op,
            result,
        });
    }

    pub(crate) fn take(&mut self) -> Vec<Record> {
        std::mem::take(&mut self.records)
    }
}

fn key_json(out: &mut String, k: Key) {
    let _ = write!(
        out,
        "{{\"index\":{},\"generation\":{}}}",
        k.index, k.generation
    );
}

fn opt_json(out: &mut String, v: Option<i64>) {
    match v {
        Some(v) => {
            let _ = write!(out, "{v}");
        }
        None => out.push_str("null"),
    }
}

fn str_json(out: &mut String, s: &str) {
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
}

fn event_json(out: &mut String, e: &Event) {
    out.push_str("{\"key\":");
    key_json(out, e.key);
    match e.kind {
        EventKind::Ready => out.push_str(",\"kind\":\"ready\""),
        EventKind::Item { value } => {
            let _ = write!(out, ",\"kind\":\"item\",\"value\":{value}");
        }
        EventKind::Final { result, cancelled } => {
            out.push_str(",\"kind\":\"final\",\"result\":");
            opt_json(out, result);
            let _ = write!(out, ",\"cancelled\":{cancelled}");
        }
    }
    out.push('}');
}

impl Record {
    /// This record as one JSON object (no trailing newline).
    pub fn to_json(&self) -> String {
        let mut o = String::with_capacity(128);
        let _ = write!(
            o,
            "{{\"v\":{FORMAT_VERSION},\"thread\":{},\"call\":{},\"ret\":{},\"op\":\"{}\",\"args\":{{",
            self.thread,
            self.call,
            self.ret,
            self.op.name()
        );
        match self.op {
            Op::AddSource { kind } => {
                let _ = write!(o, "\"kind\":\"{}\"", kind.name());
            }
            Op::Register { source, mode } | Op::Submit { source, mode } => {
                let _ = write!(o, "\"source\":{},\"mode\":\"{}\"", source.0, mode.name());
            }
            Op::Modify { key, mode } => {
                o.push_str("\"key\":");
                key_json(&mut o, key);
                let _ = write!(o, ",\"mode\":\"{}\"", mode.name());
            }
            Op::Rearm { key } => {
                o.push_str("\"key\":");
                key_json(&mut o, key);
            }
            Op::Cancel { key, mode } => {
                o.push_str("\"key\":");
                key_json(&mut o, key);
                let _ = write!(o, ",\"mode\":\"{}\"", mode.name());
            }
            Op::Wait { max, timeout } => {
                let t = match timeout {
                    WaitTimeout::Poll => "poll",
                    WaitTimeout::Block => "block",
                    WaitTimeout::Deadline => "deadline",
                };
                let _ = write!(o, "\"max\":{max},\"timeout\":\"{t}\"");
            }
            Op::Consume { source }
            | Op::Raise { source }
            | Op::Lower { source }
            | Op::Wake { source }
            | Op::Close { source } => {
                let _ = write!(o, "\"source\":{}", source.0);
            }
            Op::Increment { source, n } => {
                let _ = write!(o, "\"source\":{},\"n\":{n}", source.0);
            }
            Op::FutexWake { source, n } => {
                let _ = write!(o, "\"source\":{},\"n\":{n}", source.0);
            }
            Op::Complete {
                source,
                result,
                cancelled,
            } => {
                let _ = write!(o, "\"source\":{},\"result\":", source.0);
                opt_json(&mut o, result);
                let _ = write!(o, ",\"cancelled\":{cancelled}");
            }
            Op::StreamItem { source, value } => {
                let _ = write!(o, "\"source\":{},\"value\":{value}", source.0);
            }
        }
        o.push_str("},\"result\":{");
        match &self.result {
            Ret::Unit => o.push_str("\"ok\":true"),
            Ret::Source(s) => {
                let _ = write!(o, "\"source\":{}", s.0);
            }
            Ret::Key(k) => {
                o.push_str("\"key\":");
                key_json(&mut o, *k);
            }
            Ret::Cancel(c) => match c {
                CancelOutcome::Removed { completion } => {
                    o.push_str("\"cancel\":\"removed\",\"completion\":");
                    match completion {
                        Some(c) => {
                            o.push_str("{\"result\":");
                            opt_json(&mut o, c.result);
                            let _ = write!(o, ",\"cancelled\":{}}}", c.cancelled);
                        }
                        None => o.push_str("null"),
                    }
                }
                CancelOutcome::Pending => o.push_str("\"cancel\":\"pending\""),
                CancelOutcome::NotFound => o.push_str("\"cancel\":\"not-found\""),
            },
            Ret::Events(evs) => {
                o.push_str("\"events\":[");
                for (i, e) in evs.iter().enumerate() {
                    if i > 0 {
                        o.push(',');
                    }
                    event_json(&mut o, e);
                }
                o.push(']');
            }
            Ret::Count(n) => {
                let _ = write!(o, "\"count\":{n}");
            }
            Ret::Err(e) => {
                o.push_str("\"error\":");
                str_json(&mut o, e.name());
                o.push_str(",\"message\":");
                str_json(&mut o, &e.to_string());
            }
        }
        o.push_str("}}");
        o
    }
}

/// The records as JSON Lines: one object per line, each with `"v":1`.
pub fn to_jsonl(records: &[Record]) -> String {
    let mut s = String::new();
    for r in records {
        s.push_str(&r.to_json());
        s.push('\n');
    }
    s
}

/// Writes the records as JSON Lines.
///
/// # Errors
///
/// Whatever `w` returns.
pub fn write_jsonl<W: io::Write>(records: &[Record], mut w: W) -> io::Result<()> {
    for r in records {
        w.write_all(r.to_json().as_bytes())?;
        w.write_all(b"\n")?;
    }
    Ok(())
}
