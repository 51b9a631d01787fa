//! The backend contract: what the core asks of the thing that owns the real
//! (or simulated) sources, and the signals a backend feeds back.
//!
//! A backend must provide:
//!
//! * [`Backend::kind`]: what a source is, or why it cannot be registered;
//! * [`Backend::is_ready`]: the current condition of a readiness source, used
//!   for every re-check (register, `modify`, `rearm`, release of a hold);
//! * [`Backend::consume`]: a thread draining a condition;
//! * [`Backend::cancel_op`]: asking an in-flight operation to stop.
//!
//! Everything the environment does reaches the port as a [`Signal`] through
//! [`Port::signal`](crate::Port::signal) (or the simulated backend's
//! convenience methods on `Port<SimBackend>`).

pub mod sim;

use crate::error::Error;
use crate::event::{SourceId, SourceKind};

/// The sources behind a port. Called with the port's lock held: every method
/// must be quick and must not call back into the port.
pub trait Backend: Send + 'static {
    /// What `source` is.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`] or [`Error::Closed`].
    fn kind(&self, source: SourceId) -> Result<SourceKind, Error>;

    /// Whether the condition of readiness source `source` holds now (for a
    /// counter: the count is non-zero). `false` for unknown or closed sources.
    fn is_ready(&self, source: SourceId) -> bool;

    /// A thread drains the condition (`Level`: lowers it; `Counter`: clears
    /// the count; `Sticky`: no effect).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], or [`Error::InvalidStep`] for a non-readiness
    /// source.
    fn consume(&mut self, source: SourceId) -> Result<(), Error>;

    /// Asks the in-flight operation `source` to stop. `true`: it stopped now
    /// and the core posts its cancelled final completion; `false`: the
    /// operation's own final completion will follow as
    /// [`Signal::Complete`] (with `cancelled` set if the cancel won there).
    fn cancel_op(&mut self, source: SourceId) -> bool;
}

/// An environment step, as a backend reports it to the core.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Signal {
    /// A wake-up of a readiness source: its condition was raised (again), or
    /// its counter incremented.
    Wake(SourceId),
    /// A `Multishot` operation streamed an item.
    Item(SourceId, i64),
    /// An operation produced its final completion.
    Complete {
        /// The operation.
        source: SourceId,
        /// Its result (`None` if it has none, e.g. it was cancelled).
        result: Option<i64>,
        /// The cancel won the race.
        cancelled: bool,
    },
    /// The source was closed: no further readiness events for it.
    Close(SourceId),
    /// `wake(word, n)`: release at most `n` (and at least `min(n, waiting)`)
    /// waiters on futex source `source`.
    FutexWake(SourceId, u32),
}
