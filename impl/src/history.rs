//! History recording: every call on a port made with [`Config::history`]
//! appends one [`Record`]; [`Port::take_history`] drains them and
//! [`to_jsonl`] writes the versioned JSON Lines format documented in
//! `docs/history-format.md` with the `onering-history` crate's writer (the
//! one implementation of the format).
//!
//! [`Config::history`]: crate::Config::history
//! [`Port::take_history`]: crate::Port::take_history

use onering_history as wire;
use std::io;

use crate::backend::Signal;
use crate::error::Error;
use crate::event::{CancelMode, CancelOutcome, Event, EventKind, Key, Mode, SourceId, SourceKind};
use crate::sync::ThreadToken;

/// Version of the JSON Lines format the Port writes (`"v"` on every line):
/// the oldest that can express its records.
pub const FORMAT_VERSION: u32 = wire::FIRST_VERSION;

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

/// The model's word for one of the Port's (the names are the model's, so
/// this is a lookup, not a translation).
fn vocab<T: Copy>(name: &str, all: &[T], model_name: impl Fn(T) -> &'static str) -> T {
    all.iter()
        .copied()
        .find(|x| model_name(*x) == name)
        .expect("the Port's vocabulary uses the model's names")
}

fn kind(k: SourceKind) -> onering_model::SourceKind {
    vocab(k.name(), &onering_model::SourceKind::ALL, |x| x.name())
}

fn mode(m: Mode) -> onering_model::Mode {
    vocab(m.name(), &onering_model::Mode::ALL, |x| x.name())
}

fn cancel_mode(m: CancelMode) -> onering_model::CancelMode {
    use onering_model::CancelMode as C;
    vocab(m.name(), &[C::Sync, C::Async, C::Reap], |x| x.name())
}

fn key(k: Key) -> wire::KeyRef {
    wire::KeyRef {
        index: k.index,
        generation: k.generation,
    }
}

fn event(e: &Event) -> wire::Event {
    let k = key(e.key);
    match e.kind {
        EventKind::Ready => wire::Event::Ready {
            key: k,
            interest: None,
        },
        EventKind::Item { value } => wire::Event::Item { key: k, value },
        EventKind::Final { result, cancelled } => wire::Event::Final {
            key: k,
            result,
            cancelled,
        },
    }
}

impl Op {
    /// The call in the history format.
    pub fn to_wire(&self) -> wire::Op {
        use wire::Op as W;
        match *self {
            Op::AddSource { kind: k } => W::AddSource { kind: kind(k) },
            Op::Register { source, mode: m } => W::Register {
                source: source.0,
                mode: mode(m),
                interest: None,
                edge: false,
            },
            Op::Submit { source, mode: m } => W::Submit {
                source: source.0,
                mode: mode(m),
            },
            Op::Modify { key: k, mode: m } => W::Modify {
                key: key(k),
                mode: mode(m),
                interest: None,
                edge: false,
            },
            Op::Rearm { key: k } => W::Rearm { key: key(k) },
            Op::Cancel { key: k, mode: m } => W::Cancel {
                key: key(k),
                mode: cancel_mode(m),
            },
            Op::Consume { source } => W::Consume { source: source.0 },
            Op::Wait { max, timeout } => W::Wait {
                max: u32::try_from(max).unwrap_or(u32::MAX),
                timeout: match timeout {
                    WaitTimeout::Poll => wire::Timeout::Poll,
                    WaitTimeout::Block => wire::Timeout::Block,
                    WaitTimeout::Deadline => wire::Timeout::Deadline,
                },
            },
            Op::Raise { source } => W::Raise { source: source.0 },
            Op::Lower { source } => W::Lower { source: source.0 },
            Op::Increment { source, n } => W::Increment {
                source: source.0,
                n,
            },
            Op::Wake { source } => W::Wake { source: source.0 },
            Op::Complete {
                source,
                result,
                cancelled,
            } => W::Complete {
                source: source.0,
                result,
                cancelled,
            },
            Op::StreamItem { source, value } => W::StreamItem {
                source: source.0,
                value,
            },
            Op::Close { source } => W::Close { source: source.0 },
            Op::FutexWake { source, n } => W::FutexWake {
                source: source.0,
                n,
            },
        }
    }
}

impl Ret {
    /// The result in the history format.
    pub fn to_wire(&self) -> wire::CallResult {
        use wire::CallResult as W;
        match self {
            Ret::Unit => W::OK,
            Ret::Source(s) => W::Source { source: s.0 },
            Ret::Key(k) => W::Key { key: key(*k) },
            Ret::Cancel(c) => match c {
                CancelOutcome::Removed { completion } => W::Cancel {
                    cancel: "removed".into(),
                    completion: completion.map(|c| wire::Completion {
                        result: c.result,
                        cancelled: c.cancelled,
                    }),
                },
                CancelOutcome::Pending => W::Cancel {
                    cancel: "pending".into(),
                    completion: None,
                },
                CancelOutcome::NotFound => W::Cancel {
                    cancel: "not-found".into(),
                    completion: None,
                },
            },
            Ret::Events(evs) => W::Events {
                events: evs.iter().map(event).collect(),
                end: None,
            },
            Ret::Count(n) => W::Count {
                count: u64::from(*n),
            },
            Ret::Err(e) => W::Error {
                error: e.name().to_string(),
                message: Some(e.to_string()),
                errno: None,
            },
        }
    }
}

impl Record {
    /// This record as a line of the history format.
    pub fn to_line(&self) -> wire::Line {
        let mut l = wire::Line::new(
            self.thread,
            self.call,
            self.ret,
            self.op.to_wire(),
            self.result.to_wire(),
        );
        l.v = l.needs_version();
        l
    }

    /// This record as one JSON object (no trailing newline).
    pub fn to_json(&self) -> String {
        let mut s = wire::to_jsonl(std::slice::from_ref(&self.to_line()));
        s.pop();
        s
    }
}

/// The records as JSON Lines, written by `onering-history`.
pub fn to_jsonl(records: &[Record]) -> String {
    let lines: Vec<wire::Line> = records.iter().map(Record::to_line).collect();
    wire::to_jsonl(&lines)
}

/// Writes the records as JSON Lines.
///
/// # Errors
///
/// Whatever `w` returns.
pub fn write_jsonl<W: io::Write>(records: &[Record], mut w: W) -> io::Result<()> {
    let mut out = wire::Writer::new(&mut w);
    for r in records {
        out.write(&r.to_line())?;
    }
    Ok(())
}
