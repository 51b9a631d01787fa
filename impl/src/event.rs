//! The port's vocabulary: keys, modes, source kinds, events, cancel modes and
//! outcomes.
//!
//! [`SourceKind`], [`Mode`] and [`CancelMode`] are the model's own types
//! (`onering-model`), re-exported. What is declared here is what the model
//! abstracts away: the values an event or a cancel answer carries. Each such
//! type names the model type it is a value-carrying form of and converts to
//! it ([`EventKind::model`], [`CancelOutcome::answer`]), so the Port's words
//! are the model's words.

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

// The plain vocabulary is the model's, re-exported here so that the Port
// and its backends name it `crate::event::{SourceKind, Mode, CancelMode}`.
// Which kind fits which mode, and every call's precondition, is the model's
// too (`onering_model::Rules::mode_fits`, `onering_model::Refusal`).
pub use onering_model::{CancelMode, Mode, SourceKind};

/// A final completion, as `Reap` returns it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Completion {
    /// The operation's result (`None` when cancelled).
    pub result: Option<i64>,
    /// The cancel won the race.
    pub cancelled: bool,
}

/// What a `cancel` answered (DESIGN §3.2): the unified profile's answers of
/// [`onering_model::Answer`] (`Removed`, `RemovedWith`, `Pending`,
/// `NotFound`), with the reaped completion's value.
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

/// What an event reports: [`onering_model::EventKind`] with the values.
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

impl Completion {
    /// The model's outcome of this completion.
    pub fn outcome(&self) -> onering_model::Outcome {
        if self.cancelled {
            onering_model::Outcome::Cancelled
        } else {
            onering_model::Outcome::Done
        }
    }
}

impl CancelOutcome {
    /// The model's answer this outcome is (its claim is the model's, judged
    /// by `honest-cancel`).
    pub fn answer(&self) -> onering_model::Answer {
        use onering_model::Answer;
        match self {
            Self::Removed { completion: None } => Answer::Removed,
            Self::Removed {
                completion: Some(c),
            } => Answer::RemovedWith(c.outcome()),
            Self::Pending => Answer::Pending,
            Self::NotFound => Answer::NotFound,
        }
    }
}

impl EventKind {
    /// The model's event kind (the values dropped).
    pub fn model(&self) -> onering_model::EventKind {
        use onering_model::{EventKind as M, Outcome};
        match *self {
            Self::Ready => M::Ready,
            Self::Item { .. } => M::Item,
            Self::Final {
                cancelled: true, ..
            } => M::Final(Outcome::Cancelled),
            Self::Final { .. } => M::Final(Outcome::Done),
        }
    }
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
