//! What a history is made of, as typed values: one [`Record`] per call, with
//! the operation and arguments ([`Op`]) and what it returned ([`Outcome`]).
//! The names follow `docs/history-format.md` one to one; the vocabulary
//! (modes, cancel modes, answers) is the model's ([`onering_model`]).
//! Turning these values into JSON lines is [`crate::emit`]'s job alone.

pub use onering_model::{CancelMode, Mode, SourceKind};

/// A registration as the history names it: `{"index", "generation"}`.
/// Two registrations must never share both numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Slot (a token, a file descriptor, an index into the library's table).
    pub index: u32,
    /// How many times the slot was reused before this registration.
    pub generation: u32,
}

impl Key {
    /// A key whose slot is never reused (generation 0).
    pub const fn new(index: u32) -> Key {
        Key {
            index,
            generation: 0,
        }
    }
}

/// How long a `wait` was allowed to block.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Timeout {
    /// Zero timeout: returns at once.
    Poll,
    /// No timeout.
    Block,
    /// A finite timeout (it may have passed; an empty batch then means so).
    Deadline,
}

/// What `cancel`/`Reap` removed and returned, or a final event's fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Completion {
    /// The operation's own result (`None`: none).
    pub result: Option<i64>,
    /// Whether its cancel won.
    pub cancelled: bool,
}

/// One event of a wait's batch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Event {
    /// A readiness event.
    Ready(Key),
    /// A multishot item.
    Item(Key, i64),
    /// The final event of a request.
    Final(Key, Completion),
}

/// A cancel's answer, in the model's words (`docs/history-format.md`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CancelAnswer {
    /// Removed now; for `Reap`, with the completion it took off the queue.
    Removed(Option<Completion>),
    /// A final event flagged cancelled follows.
    Pending,
    /// The terminal outcome was already delivered (`ENOENT`).
    NotFound,
    /// An operation cancel that won (io_uring `0`).
    Cancelled,
    /// A running operation that may still complete (`-EALREADY`, `-EINPROGRESS`).
    InProgress,
    /// Too late (`-ENOENT`, `-EINVAL`, `ERROR_NOT_FOUND`).
    TooLate,
}

/// Why a call was refused (it changed nothing).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Refusal {
    /// `unknown-key`
    UnknownKey,
    /// `stale-key`
    StaleKey,
    /// `unknown-source`
    UnknownSource,
    /// `closed`
    Closed,
    /// `mode-mismatch`
    ModeMismatch,
    /// `cancel-mode-mismatch`
    CancelModeMismatch,
    /// `invalid-step`
    InvalidStep,
    /// `already-submitted`
    AlreadySubmitted,
    /// `not-in-flight`
    NotInFlight,
    /// `zero-max`
    ZeroMax,
    /// `cancelling`
    Cancelling,
}

/// A call: the operation and its arguments. Thread operations first, then
/// environment steps (recorded on the thread that performed them).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Op {
    /// `add_source(kind)` → `{"source": n}`: declares the kind of source `n`
    /// (a real kernel history otherwise leaves the kind to the checker's
    /// guess from the first registration's mode: `level`).
    AddSource { kind: SourceKind, source: u32 },
    /// `register(source, mode)`.
    Register { source: u32, mode: Mode },
    /// `submit(source, mode)` of a request.
    Submit { source: u32, mode: Mode },
    /// `modify(key, mode)`; with the key's own mode it is a re-arm that
    /// re-checks the condition (`EPOLL_CTL_MOD`).
    Modify { key: Key, mode: Mode },
    /// `rearm(key)` of a disarmed registration.
    Rearm { key: Key },
    /// `cancel(key, mode)`.
    Cancel { key: Key, mode: CancelMode },
    /// A thread drains the source (reads a pipe dry, reads an eventfd).
    Consume { source: u32 },
    /// `wait(max, timeout)`.
    Wait { max: u32, timeout: Timeout },
    /// The condition becomes (or stays) true: a wake-up.
    Raise { source: u32 },
    /// The condition becomes false.
    Lower { source: u32 },
    /// A counter is incremented by `n`.
    Increment { source: u32, n: u64 },
    /// A request completes.
    Complete {
        source: u32,
        result: Option<i64>,
        cancelled: bool,
    },
    /// A multishot request streams an item.
    StreamItem { source: u32, value: i64 },
    /// The source's descriptor is closed.
    Close { source: u32 },
    /// `futex_wake(n)`.
    FutexWake { source: u32, n: u32 },
    /// A readiness wake-up fed by a backend.
    Wake { source: u32 },
}

/// What a call returned.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `{"ok": true}`.
    Ok,
    /// A new registration.
    Key(Key),
    /// A cancel's answer.
    Cancel(CancelAnswer),
    /// A wait's batch.
    Events(Vec<Event>),
    /// A count (`futex_wake`, `wake`, `Port::signal`).
    Count(u32),
    /// Refused; changed nothing.
    Refused(Refusal, String),
}

/// One recorded call.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Record {
    /// Calling thread, numbered from 0 in order of first call.
    pub thread: u32,
    /// Invocation stamp.
    pub call: u64,
    /// Response stamp; `None`: the call never returned.
    pub ret: Option<u64>,
    /// What was called.
    pub op: Op,
    /// What it returned; `None`: unknown (or never returned).
    pub result: Option<Outcome>,
}

/// A whole history: completed calls in `ret` order, then calls that never
/// returned, by invocation.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// The records, in the order the format requires.
    pub records: Vec<Record>,
}

impl History {
    /// Orders `records` as the format requires (by `ret`; never-returned
    /// calls last, by `call`).
    pub fn new(mut records: Vec<Record>) -> History {
        records.sort_by_key(|r| (r.ret.is_none(), r.ret.unwrap_or(r.call)));
        History { records }
    }

    /// Number of calls.
    pub fn len(&self) -> usize {
        self.records.len()
    }

    /// Whether nothing was recorded.
    pub fn is_empty(&self) -> bool {
        self.records.is_empty()
    }

    /// The JSON Lines text (`docs/history-format.md`, version 1).
    pub fn to_jsonl(&self) -> String {
        crate::emit::to_jsonl(&self.records)
    }
}
