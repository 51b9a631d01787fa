//! The properties of DESIGN §3.3: stable ids, one-line statements, kinds, and
//! the `sometimes` witness that keeps each `always` property from holding
//! vacuously.
//!
//! The model evaluates properties itself: every transition and every state
//! reports an [`Obs`] — which properties it violates and which witnesses it
//! exhibits — so an explorer only has to collect them.

use std::fmt;

/// How a property is judged.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Must hold in every reachable state and transition.
    Always,
    /// Must hold in every quiescent state (no thread or kernel step enabled):
    /// what must eventually happen has happened or is still queued.
    Eventually,
}

/// The twelve properties. The discriminant is the bit in [`Obs`].
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Property {
    /// `no-event-after-cancel`
    NoEventAfterCancel = 0,
    /// `exactly-one-terminal`
    ExactlyOneTerminal,
    /// `teardown-safe`
    TeardownSafe,
    /// `no-duplicate-delivery`
    NoDuplicateDelivery,
    /// `honest-cancel`
    HonestCancel,
    /// `no-lost-wakeup`
    NoLostWakeup,
    /// `rearm-rechecks-level`
    RearmRechecksLevel,
    /// `coalesced`
    Coalesced,
    /// `batch-bounds`
    BatchBounds,
    /// `futex-wake-count`
    FutexWakeCount,
    /// `close-removes`
    CloseRemoves,
    /// `no-starvation`
    NoStarvation,
}

impl Property {
    /// Every property, in report order.
    pub const ALL: [Property; 12] = [
        Property::NoEventAfterCancel,
        Property::ExactlyOneTerminal,
        Property::TeardownSafe,
        Property::NoDuplicateDelivery,
        Property::HonestCancel,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::FutexWakeCount,
        Property::CloseRemoves,
        Property::NoStarvation,
    ];

    /// The stable id used on the command line, in JSON and in docs.
    pub fn id(self) -> &'static str {
        match self {
            Self::NoEventAfterCancel => "no-event-after-cancel",
            Self::ExactlyOneTerminal => "exactly-one-terminal",
            Self::TeardownSafe => "teardown-safe",
            Self::NoDuplicateDelivery => "no-duplicate-delivery",
            Self::HonestCancel => "honest-cancel",
            Self::NoLostWakeup => "no-lost-wakeup",
            Self::RearmRechecksLevel => "rearm-rechecks-level",
            Self::Coalesced => "coalesced",
            Self::BatchBounds => "batch-bounds",
            Self::FutexWakeCount => "futex-wake-count",
            Self::CloseRemoves => "close-removes",
            Self::NoStarvation => "no-starvation",
        }
    }

    /// Looks a property up by its id.
    pub fn from_id(id: &str) -> Option<Property> {
        Self::ALL.into_iter().find(|p| p.id() == id)
    }

    /// The one-line statement.
    pub fn statement(self) -> &'static str {
        match self {
            Self::NoEventAfterCancel => "no wait that starts after a readiness cancel of k returned yields an event for k other than the one final event flagged cancelled (until k is registered again)",
            Self::ExactlyOneTerminal => "every registration and submission reports at most one terminal outcome, and at quiescence every cancelled one has its terminal outcome delivered or queued",
            Self::TeardownSafe => "when the terminal outcome reaches a thread, no other thread holds an event for that key",
            Self::NoDuplicateDelivery => "no two threads hold an event for the same registration at the same time",
            Self::HonestCancel => "a cancel's answer tells the truth about the race at the moment it was decided",
            Self::NoLostWakeup => "no quiescent state has a thread blocked in wait while a deliverable event is queued",
            Self::RearmRechecksLevel => "re-arming (rearm, modify, register, implicit dispatch re-arm) a free registration whose condition holds queues an event",
            Self::Coalesced => "a readiness registration is queued at most once",
            Self::BatchBounds => "a batch has at most max events and no key twice",
            Self::FutexWakeCount => "wake(word, n) releases at most n and at least min(n, waiting) registrations",
            Self::CloseRemoves => "after a source is closed, no readiness event for its registrations is delivered",
            Self::NoStarvation => "a queued deliverable event is delivered before any other registration is delivered twice",
        }
    }

    /// How the property is judged. `exactly-one-terminal` is both: the
    /// "never two" half is `always`, the "none missing" half is judged at
    /// quiescence; it is reported once.
    pub fn kind(self) -> Kind {
        match self {
            Self::NoLostWakeup => Kind::Eventually,
            _ => Kind::Always,
        }
    }

    /// The `sometimes` witness: a situation in which the property is put to
    /// the test. A bound that never exhibits it proves the property only
    /// vacuously, and reports say so.
    pub fn witness(self) -> &'static str {
        match self {
            Self::NoEventAfterCancel => "a wait starts after a readiness cancel returned",
            Self::ExactlyOneTerminal => "a terminal outcome reaches a thread",
            Self::TeardownSafe => {
                "a cancel is issued while another thread holds an event for the key"
            }
            Self::NoDuplicateDelivery => {
                "an event is delivered while another thread holds one for the same key or waits"
            }
            Self::HonestCancel => {
                "a cancel is decided while an event for the key is queued, held or in flight"
            }
            Self::NoLostWakeup => "a blocked waiter is woken by a newly queued event",
            Self::RearmRechecksLevel => "a re-arm finds the condition already true",
            Self::Coalesced => "a source wakes up while its registration is already queued",
            Self::BatchBounds => "a wait returns a full batch",
            Self::FutexWakeCount => "a futex wake finds waiters",
            Self::CloseRemoves => "a source is closed while registered",
            Self::NoStarvation => "a registration is delivered while another one's event is queued",
        }
    }

    pub(crate) fn bit(self) -> u16 {
        1 << (self as u16)
    }
}

impl fmt::Display for Property {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// What a transition or a state shows about the properties: the set of
/// properties it violates and the set of witnesses it exhibits.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Obs {
    /// Bit `p as u16` set: property `p` is violated here.
    pub violated: u16,
    /// Bit `p as u16` set: the witness of `p` is exhibited here.
    pub witnessed: u16,
}

impl Obs {
    /// Records a violation of `p` when `bad` is true.
    pub fn check(&mut self, p: Property, ok: bool) {
        if !ok {
            self.violated |= p.bit();
        }
    }

    /// Records the witness of `p`.
    pub fn witness(&mut self, p: Property) {
        self.witnessed |= p.bit();
    }

    /// Records the witness of `p` when `cond` holds.
    pub fn witness_if(&mut self, p: Property, cond: bool) {
        if cond {
            self.witness(p);
        }
    }

    /// Whether `p` is violated.
    pub fn violates(&self, p: Property) -> bool {
        self.violated & p.bit() != 0
    }

    /// Whether the witness of `p` is exhibited.
    pub fn witnesses(&self, p: Property) -> bool {
        self.witnessed & p.bit() != 0
    }

    /// Union of two observations.
    pub fn merge(&mut self, other: Obs) {
        self.violated |= other.violated;
        self.witnessed |= other.witnessed;
    }

    /// The violated properties, in report order.
    pub fn violations(&self) -> impl Iterator<Item = Property> + '_ {
        Property::ALL.into_iter().filter(|p| self.violates(*p))
    }
}
