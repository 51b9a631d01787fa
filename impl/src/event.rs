//! The port's vocabulary: keys, modes, source kinds, events, cancel modes and
//! outcomes. Names follow the model (`onering-model`) verbatim.

use std::fmt;
use std::time::{Duration, Instant};

/// Names one registration or submission. The `generation` tells apart
/// successive registrations that reuse the same `index` slot: an event or call
/// carrying an old generation never reaches the new registration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Key {
    /// Slot in the registration table.
    pub index: u32,
    /// How many registrations used this slot before this one (wrapping).
    pub generation: u32,
}

impl fmt::Display for Key {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "k{}.{}", self.index, self.generation)
    }
}

/// A backend's name for an event source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct SourceId(pub u32);

impl fmt::Display for SourceId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "s{}", self.0)
    }
}

/// How an event source behaves (DESIGN §3.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum SourceKind {
    /// A condition the environment raises and lowers.
    Level,
    /// Increments coalesce into one non-zero count; `consume` clears it.
    Counter,
    /// Raised once, never lowered.
    Sticky,
    /// A futex word; registrations on it wait for `futex_wake`.
    Futex,
    /// A request that completes once (`Single`) or streams items and then
    /// completes once (`Multishot`).
    Operation,
}

impl SourceKind {
    /// Readiness sources have a condition; the others complete.
    pub fn is_readiness(self) -> bool {
        matches!(self, Self::Level | Self::Counter | Self::Sticky)
    }

    /// Stable lower-case name (history format, reports).
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Counter => "counter",
            Self::Sticky => "sticky",
            Self::Futex => "futex",
            Self::Operation => "operation",
        }
    }
}

/// A registration's mode (DESIGN §3.1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Mode {
    /// Reports the condition while it holds, to one thread at a time.
    Level,
    /// Reports wake-ups; one pending edge is kept while the event is held.
    Edge,
    /// Disarmed after one delivery until an explicit `rearm` or `modify`.
    Oneshot,
    /// Disarmed after one delivery; re-armed when the holder calls `wait`
    /// (or `rearm`) again. The unified default.
    #[default]
    Dispatch,
    /// An operation or futex wait that reports exactly one final event.
    Single,
    /// An operation that streams items, then one final event.
    Multishot,
}

impl Mode {
    /// Whether this mode registers a readiness source.
    pub fn is_readiness(self) -> bool {
        matches!(
            self,
            Self::Level | Self::Edge | Self::Oneshot | Self::Dispatch
        )
    }

    /// Stable lower-case name (history format, reports).
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Edge => "edge",
            Self::Oneshot => "oneshot",
            Self::Dispatch => "dispatch",
            Self::Single => "single",
            Self::Multishot => "multishot",
        }
    }
}

/// How `cancel` treats a registration (DESIGN §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelMode {
    /// Readiness, epoll-style: removes the registration, purges its queued
    /// event.
    Sync,
    /// Operations, aio/io_uring-style: asks the operation to stop; never
    /// removes a queued completion.
    Async,
    /// Operations: like `Async`, but a final completion already queued and
    /// not delivered is removed and returned.
    Reap,
}

impl CancelMode {
    /// Stable lower-case name (history format, reports).
    pub fn name(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Async => "async",
            Self::Reap => "reap",
        }
    }
}

/// A final completion, as `Reap` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Completion {
    /// The operation's result (`None` when cancelled).
    pub result: Option<i64>,
    /// The cancel won the race.
    pub cancelled: bool,
}

/// What a `cancel` answered (DESIGN §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelOutcome {
    /// Terminal now: nothing is queued or held anywhere, no further event will
    /// report the key, and the caller may free its state. `completion` is the
    /// reaped final completion (`Reap` only).
    Removed {
        /// The reaped final completion.
        completion: Option<Completion>,
    },
    /// Exactly one final event (flagged `cancelled` unless the operation's own
    /// completion won the race) will follow; free after it.
    Pending,
    /// The terminal outcome was already delivered.
    NotFound,
}

/// What an event reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum EventKind {
    /// A readiness registration's condition or edge.
    Ready,
    /// One streamed item of a `Multishot` operation.
    Item {
        /// The item's value.
        value: i64,
    },
    /// The terminal event of a registration or submission: after it the key
    /// is stale.
    Final {
        /// The operation's result (`None` when cancelled, or for a readiness
        /// registration's cancelled final event).
        result: Option<i64>,
        /// The cancel won the race.
        cancelled: bool,
    },
}

/// One delivered event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Event {
    /// The registration or submission it is for.
    pub key: Key,
    /// What happened.
    pub kind: EventKind,
}

impl Event {
    /// Whether this is the key's terminal event.
    pub fn is_final(&self) -> bool {
        matches!(self.kind, EventKind::Final { .. })
    }
}

/// A reusable buffer of events filled by `wait`.
#[derive(Clone, Debug, Default)]
pub struct Events {
    pub(crate) buf: Vec<Event>,
}

impl Events {
    /// An empty buffer.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty buffer with room for `n` events.
    pub fn with_capacity(n: usize) -> Self {
        Self {
            buf: Vec::with_capacity(n),
        }
    }

    /// Number of events from the last `wait`.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether the last `wait` returned nothing.
    pub fn is_empty(&self) -> bool {
        self.buf.is_empty()
    }

    /// The events, in delivery order.
    pub fn iter(&self) -> std::slice::Iter<'_, Event> {
        self.buf.iter()
    }

    /// The events as a slice.
    pub fn as_slice(&self) -> &[Event] {
        &self.buf
    }

    /// Empties the buffer (`wait` does this first).
    pub fn clear(&mut self) {
        self.buf.clear();
    }
}

impl<'a> IntoIterator for &'a Events {
    type Item = &'a Event;
    type IntoIter = std::slice::Iter<'a, Event>;
    fn into_iter(self) -> Self::IntoIter {
        self.buf.iter()
    }
}

/// How long `wait` may block when nothing is deliverable.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Timeout {
    /// Never block.
    Poll,
    /// Block until something is deliverable.
    Block,
    /// Block until something is deliverable or the instant passes.
    Deadline(Instant),
}

impl Timeout {
    /// A deadline `d` from now.
    pub fn after(d: Duration) -> Self {
        Self::Deadline(Instant::now() + d)
    }
}

impl From<Duration> for Timeout {
    fn from(d: Duration) -> Self {
        Self::after(d)
    }
}
