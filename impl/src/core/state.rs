//! Per-registration state. Variant names are the model's ([`StateName`] is
//! the model's `Reg`); the data they carry is the Port's own.

use std::collections::VecDeque;

use crate::event::{Key, Mode, SourceId, SourceKind};
use crate::sync::ThreadToken;

/// The lifecycle of one slot of the registration table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum State {
    /// Unused; the next registration here gets the slot's generation.
    Free,
    /// A readiness registration that reports its condition or edges.
    Armed,
    /// A `Oneshot` or `Dispatch` registration after a delivery.
    Disarmed,
    /// `Sync`-cancelled while another thread held it: one final cancelled
    /// event is queued when that holder releases.
    CancelPending,
    /// Its source was closed; only a cancel ends it.
    Closed,
    /// A submitted operation or futex wait that has not finished; `items`
    /// are streamed items not yet delivered.
    InFlight { items: VecDeque<i64> },
    /// An operation whose final completion is known and not yet delivered
    /// (after any `items`).
    Finishing {
        items: VecDeque<i64>,
        result: Option<i64>,
        cancelled: bool,
    },
}

/// The model state of a live registration (a data-free view of the core's
/// per-registration state), for tests and harnesses: the model's
/// [`onering_model::Reg`] (a live registration is never `Free`).
pub use onering_model::Reg as StateName;

impl State {
    pub(crate) fn name(&self) -> Option<StateName> {
        Some(match self {
            Self::Free => return None,
            Self::Armed => StateName::Armed,
            Self::Disarmed => StateName::Disarmed,
            Self::CancelPending => StateName::CancelPending,
            Self::Closed => StateName::Closed,
            Self::InFlight { .. } => StateName::InFlight,
            Self::Finishing { .. } => StateName::Finishing,
        })
    }

    /// The transitions the core may make; anything else is a bug.
    pub(crate) fn may_become(&self, next: &State) -> bool {
        use State::*;
        matches!(
            (self, next),
            (Free, Armed | InFlight { .. })
                | (Armed, Armed | Disarmed | CancelPending | Closed | Free)
                | (Disarmed, Armed | Disarmed | CancelPending | Closed | Free)
                | (CancelPending, Free)
                | (Closed, CancelPending | Free)
                | (InFlight { .. }, InFlight { .. } | Finishing { .. })
                | (Finishing { .. }, Finishing { .. } | Free)
        )
    }
}

/// One slot of the registration table.
#[derive(Clone, Debug)]
pub(crate) struct Slot {
    pub(crate) generation: u32,
    pub(crate) state: State,
    pub(crate) source: SourceId,
    pub(crate) kind: SourceKind,
    pub(crate) mode: Mode,
    /// Sequence number of this slot's live ready-queue entry, if queued.
    pub(crate) queued: Option<u64>,
    /// The thread holding the last delivered event.
    pub(crate) holder: Option<ThreadToken>,
    /// `Edge`: a wake-up not yet reported.
    pub(crate) edge: bool,
    /// `SecondFinal` mutant: the duplicate was posted.
    pub(crate) second_final: bool,
}

impl Slot {
    pub(crate) fn new() -> Self {
        Self {
            generation: 0,
            state: State::Free,
            source: SourceId(0),
            kind: SourceKind::Level,
            mode: Mode::Dispatch,
            queued: None,
            holder: None,
            edge: false,
            second_final: false,
        }
    }

    pub(crate) fn key(&self, index: u32) -> Key {
        Key {
            index,
            generation: self.generation,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn transitions_follow_the_model() {
        let inflight = State::InFlight {
            items: VecDeque::new(),
        };
        let finishing = State::Finishing {
            items: VecDeque::new(),
            result: None,
            cancelled: true,
        };
        assert!(State::Free.may_become(&State::Armed));
        assert!(State::Armed.may_become(&State::CancelPending));
        assert!(State::CancelPending.may_become(&State::Free));
        assert!(inflight.may_become(&finishing));
        assert!(finishing.may_become(&State::Free));
        // An operation always posts its final event before it ends.
        assert!(!inflight.may_become(&State::Free));
        // A promised final event is never taken back.
        assert!(!State::CancelPending.may_become(&State::Armed));
        assert!(!State::Closed.may_become(&State::Armed));
        assert!(!State::Free.may_become(&finishing));
    }
}
