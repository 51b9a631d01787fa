//! The types of one line. Field names and value spellings are the format
//! (`docs/history-format.md`); changing one is a new [`VERSION`].

use crate::vocab;
use onering_model::{CancelMode, Mode, SourceKind};
use serde::{Deserialize, Serialize};
use std::fmt;

/// The version this crate writes.
pub const VERSION: u32 = 2;
/// The oldest version this crate reads. Version 1 is version 2 without the
/// keys and operations marked "v2" below; a v1 line that uses one is refused.
pub const FIRST_VERSION: u32 = 1;

/// A key as the implementation names it: its registration slot and the
/// slot's reuse count.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
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

/// Which half of a descriptor's readiness a registration is for (v2). An
/// fd registered once with both is two conditions, each a source of the
/// model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Interest {
    /// Readable (`EPOLLIN`, `EVFILT_READ`, `POLLIN`).
    Read,
    /// Writable (`EPOLLOUT`, `EVFILT_WRITE`, `POLLOUT`).
    Write,
    /// Both, in one registration.
    ReadWrite,
}

/// `wait`'s timeout as called.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Timeout {
    /// Return at once.
    Poll,
    /// Block until an event.
    Block,
    /// Block until an event or a deadline.
    Deadline,
}

/// Why a wait returned without events (v2; absent: it returned events, or
/// it was a poll).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum WaitEnd {
    /// Its deadline passed.
    Deadline,
    /// It returned before its deadline, not interrupted.
    Early,
    /// A signal (`EINTR`) or the library's own interruption ended it.
    Interrupted,
}

/// A call and its arguments: `"op"` names it, `"args"` holds the fields.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "op", content = "args", rename_all = "snake_case")]
pub enum Op {
    /// The simulated backend created a source (`result`: its id).
    AddSource {
        /// What it is.
        #[serde(with = "vocab::kind")]
        kind: SourceKind,
    },
    /// v2: a real kernel history names a source's kind where it first
    /// mentions it; no call was made (the line's `thread` is absent).
    Declare {
        /// The source.
        source: u32,
        /// What it is.
        #[serde(with = "vocab::kind")]
        kind: SourceKind,
    },
    /// `register(source, mode)`.
    Register {
        /// The source.
        source: u32,
        /// The mode.
        #[serde(with = "vocab::mode")]
        mode: Mode,
        /// v2: which readiness of a descriptor.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interest: Option<Interest>,
        /// v2: `oneshot` with edge semantics (`EPOLLET|EPOLLONESHOT`).
        #[serde(default, skip_serializing_if = "is_false")]
        edge: bool,
    },
    /// `submit(source, mode)` of a request.
    Submit {
        /// The source.
        source: u32,
        /// The mode.
        #[serde(with = "vocab::mode")]
        mode: Mode,
    },
    /// `modify(key, mode)`.
    Modify {
        /// The registration.
        key: KeyRef,
        /// The new mode.
        #[serde(with = "vocab::mode")]
        mode: Mode,
        /// v2: the new interest mask.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interest: Option<Interest>,
        /// v2: edge-oneshot.
        #[serde(default, skip_serializing_if = "is_false")]
        edge: bool,
    },
    /// `rearm(key)`.
    Rearm {
        /// The registration.
        key: KeyRef,
    },
    /// v2: interest switched off without removing the registration
    /// (`EV_DISABLE`, an empty epoll mask).
    Disable {
        /// The registration.
        key: KeyRef,
    },
    /// `cancel(key, mode)`.
    Cancel {
        /// The registration or request.
        key: KeyRef,
        /// How.
        #[serde(with = "vocab::cancel_mode")]
        mode: CancelMode,
    },
    /// `consume(source)`: read the data, drain the counter.
    Consume {
        /// The source.
        source: u32,
    },
    /// `wait(max, timeout)`.
    Wait {
        /// Largest batch.
        max: u32,
        /// How long it may block.
        timeout: Timeout,
    },
    /// v2: the library's own user wake-up (`notify`, a waker); a wait may
    /// return it as a [`Event::Notify`] in a batch slot.
    Notify {},
    /// v2: the thread stops calling for good (it exits, or leaves the loop).
    Exit {},
    /// Environment: a level is raised.
    Raise {
        /// The source.
        source: u32,
    },
    /// Environment: a level drops.
    Lower {
        /// The source.
        source: u32,
    },
    /// Environment: a counter is incremented.
    Increment {
        /// The source.
        source: u32,
        /// By how much.
        n: u64,
    },
    /// Environment: a readiness wake-up fed by a backend.
    Wake {
        /// The source.
        source: u32,
    },
    /// Environment: an operation completes (`cancelled`: its cancel won).
    Complete {
        /// The source.
        source: u32,
        /// The operation's own result.
        #[serde(default)]
        result: Option<i64>,
        /// The cancel won.
        #[serde(default)]
        cancelled: bool,
    },
    /// Environment: a multishot item.
    StreamItem {
        /// The source.
        source: u32,
        /// The item.
        #[serde(default)]
        value: i64,
    },
    /// Environment: the source's descriptor is closed.
    Close {
        /// The source.
        source: u32,
    },
    /// Environment: `futex_wake(word, n)`.
    FutexWake {
        /// The futex word.
        source: u32,
        /// How many to wake.
        n: u32,
    },
}

fn is_false(b: &bool) -> bool {
    !*b
}

impl Op {
    /// The operation's name (`"op"`).
    pub fn name(&self) -> &'static str {
        match self {
            Op::AddSource { .. } => "add_source",
            Op::Declare { .. } => "declare",
            Op::Register { .. } => "register",
            Op::Submit { .. } => "submit",
            Op::Modify { .. } => "modify",
            Op::Rearm { .. } => "rearm",
            Op::Disable { .. } => "disable",
            Op::Cancel { .. } => "cancel",
            Op::Consume { .. } => "consume",
            Op::Wait { .. } => "wait",
            Op::Notify {} => "notify",
            Op::Exit {} => "exit",
            Op::Raise { .. } => "raise",
            Op::Lower { .. } => "lower",
            Op::Increment { .. } => "increment",
            Op::Wake { .. } => "wake",
            Op::Complete { .. } => "complete",
            Op::StreamItem { .. } => "stream_item",
            Op::Close { .. } => "close",
            Op::FutexWake { .. } => "futex_wake",
        }
    }

    /// Whether this is an environment step (it needs no calling thread).
    pub fn is_environment(&self) -> bool {
        matches!(
            self,
            Op::Declare { .. }
                | Op::Raise { .. }
                | Op::Lower { .. }
                | Op::Increment { .. }
                | Op::Wake { .. }
                | Op::Complete { .. }
                | Op::StreamItem { .. }
                | Op::Close { .. }
                | Op::FutexWake { .. }
        )
    }

    /// The first version that has this operation or these arguments.
    pub fn since(&self) -> u32 {
        match self {
            Op::Declare { .. } | Op::Disable { .. } | Op::Notify {} | Op::Exit {} => 2,
            Op::Register { interest, edge, .. } | Op::Modify { interest, edge, .. }
                if interest.is_some() || *edge =>
            {
                2
            }
            _ => 1,
        }
    }
}

/// A final completion, as a reaping cancel returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Completion {
    /// The operation's own result (`null` when cancelled).
    #[serde(default)]
    pub result: Option<i64>,
    /// The cancel won.
    pub cancelled: bool,
}

/// One event of a wait's batch, told apart by `"kind"`.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Event {
    /// Readiness.
    Ready {
        /// Whose.
        key: KeyRef,
        /// v2: which readiness (for a registration of both).
        #[serde(default, skip_serializing_if = "Option::is_none")]
        interest: Option<Interest>,
    },
    /// A multishot item.
    Item {
        /// Whose.
        key: KeyRef,
        /// The item.
        #[serde(default)]
        value: i64,
    },
    /// The registration's or request's final event.
    Final {
        /// Whose.
        key: KeyRef,
        /// The operation's own result.
        #[serde(default)]
        result: Option<i64>,
        /// Flagged cancelled.
        cancelled: bool,
    },
    /// v2: the library's own wake-up ([`Op::Notify`]) took this slot.
    Notify {},
    /// v2: a cancel request's own completion (an io_uring cancel CQE), with
    /// its answer as the kernel wrote it.
    CancelAnswer {
        /// The request the cancel was for.
        key: KeyRef,
        /// The answer (`"0"`, `"-ENOENT"`, `"-EALREADY"`, or a model name).
        answer: String,
    },
}

impl Event {
    /// The key the event is for (`None` for a [`Event::Notify`]).
    pub fn key(&self) -> Option<KeyRef> {
        match self {
            Event::Ready { key, .. }
            | Event::Item { key, .. }
            | Event::Final { key, .. }
            | Event::CancelAnswer { key, .. } => Some(*key),
            Event::Notify {} => None,
        }
    }

    fn since(&self) -> u32 {
        match self {
            Event::Ready {
                interest: Some(_), ..
            }
            | Event::Notify {}
            | Event::CancelAnswer { .. } => 2,
            _ => 1,
        }
    }
}

/// What a call returned. Which form is allowed depends on the operation; a
/// refusal ([`CallResult::Error`]) is allowed for every one.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(untagged)]
pub enum CallResult {
    /// The call was refused and changed nothing: `{"error": NAME}`.
    Error {
        /// The implementation's name for the refusal (`stale-key`, ...).
        error: String,
        /// Human-readable text.
        #[serde(skip_serializing_if = "Option::is_none")]
        message: Option<String>,
        /// v2: the errno a kernel returned (`ENOENT`, `EBADF`, `EAGAIN`).
        #[serde(skip_serializing_if = "Option::is_none")]
        errno: Option<String>,
    },
    /// Success without a value: `{"ok": true}`.
    Ok {
        /// Always `true`.
        ok: bool,
    },
    /// `add_source`: `{"source": N}`.
    Source {
        /// The new source.
        source: u32,
    },
    /// `register`/`submit`: `{"key": KEY}`.
    Key {
        /// The new key.
        key: KeyRef,
    },
    /// `cancel`: `{"cancel": ANSWER, "completion": ...}`. The answer is a
    /// model name in kebab case (`removed`, `pending`, `not-found`,
    /// `cancelled`, `in-progress`, `too-late`) or the profile's own word
    /// (`-ENOENT`, `0`, ...); the checker resolves it against the profile.
    Cancel {
        /// The answer.
        cancel: String,
        /// What a reaping cancel removed and returned.
        #[serde(skip_serializing_if = "Option::is_none")]
        completion: Option<Completion>,
    },
    /// `wait`: `{"events": [...]}`.
    Events {
        /// The batch, in delivery order.
        events: Vec<Event>,
        /// v2: why a wait returned without events.
        #[serde(skip_serializing_if = "Option::is_none")]
        end: Option<WaitEnd>,
    },
    /// A count: `futex_wake`'s released waiters, `wake`'s queued
    /// registrations, v2: a cancel-all's number of requests found.
    Count {
        /// The count.
        count: u64,
    },
}

impl CallResult {
    /// `{"ok": true}`.
    pub const OK: CallResult = CallResult::Ok { ok: true };

    pub(crate) fn since(&self, op: &Op) -> u32 {
        match self {
            CallResult::Error { errno: Some(_), .. } => 2,
            CallResult::Events { end: Some(_), .. } => 2,
            CallResult::Events { events, .. } => events.iter().map(Event::since).max().unwrap_or(1),
            CallResult::Count { .. } if matches!(op, Op::Cancel { .. }) => 2,
            _ => 1,
        }
    }
}

/// One recorded call.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Line {
    /// The format version of the line (`"v"`).
    pub v: u32,
    /// v2: the port (poller) the call was made on; absent: port 0. A source
    /// may be registered in several ports; environment steps act on the
    /// source, whatever port.
    pub port: Option<u32>,
    /// The calling thread; `None` (v2) for a step no user thread made (a
    /// kernel completion, a declaration).
    pub thread: Option<u32>,
    /// Invocation time.
    pub call: u64,
    /// Response time; `None`: the call never returned (it may or may not
    /// have taken effect).
    pub ret: Option<u64>,
    /// The operation.
    pub op: Op,
    /// What it returned; `None`: unknown (any outcome).
    pub result: Option<CallResult>,
}

impl Line {
    /// A completed call of `thread` at the current [`VERSION`].
    pub fn new(thread: u32, call: u64, ret: u64, op: Op, result: CallResult) -> Line {
        Line {
            v: VERSION,
            port: None,
            thread: Some(thread),
            call,
            ret: Some(ret),
            op,
            result: Some(result),
        }
    }

    /// The first version that can express this line.
    pub fn needs_version(&self) -> u32 {
        let mut v = self.op.since();
        if self.port.is_some() || self.thread.is_none() {
            v = 2;
        }
        if let Some(r) = &self.result {
            v = v.max(r.since(&self.op));
        }
        v
    }
}
