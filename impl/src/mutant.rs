//! Known bugs that can be switched on at construction, so that tests (and the
//! checks in `proofs/`) can show that each one is caught. A port without a
//! mutant pays one `Option` comparison at each switch point.

/// A deliberately wrong behaviour of the port (DESIGN §5.4). For tests only.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Mutant {
    /// `Sync` cancel does not purge the queued event: a later `wait` reports
    /// the cancelled key (violates `no-event-after-cancel`).
    CancelNoPurge,
    /// `rearm` arms without re-checking the level: a condition that already
    /// holds is not queued (violates `rearm-rechecks-level`).
    RearmNoRecheck,
    /// A delivered `Dispatch` registration stays armed, so a wake-up while it
    /// is held queues it for another thread (violates `no-duplicate-delivery`).
    DispatchRequeuesWhileHeld,
    /// Enqueueing does not wake a thread blocked in `wait` (violates
    /// `no-lost-wakeup`).
    MissingWakeup,
    /// `Async`/`Reap` cancel answers `Removed { completion: None }` although
    /// the final completion is already queued, and leaves it queued (violates
    /// `honest-cancel` and `exactly-one-terminal`).
    CancelledAfterQueued,
    /// An operation posts a second final completion after the first was
    /// delivered (violates `exactly-one-terminal`).
    SecondFinal,
    /// `Sync` cancel answers `Removed` while another thread holds the key
    /// (violates `teardown-safe`).
    RemovedWhileHeld,
}

impl Mutant {
    /// Every mutant, in declaration order.
    pub const ALL: [Mutant; 7] = [
        Mutant::CancelNoPurge,
        Mutant::RearmNoRecheck,
        Mutant::DispatchRequeuesWhileHeld,
        Mutant::MissingWakeup,
        Mutant::CancelledAfterQueued,
        Mutant::SecondFinal,
        Mutant::RemovedWhileHeld,
    ];

    /// Stable kebab-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::CancelNoPurge => "cancel-no-purge",
            Self::RearmNoRecheck => "rearm-no-recheck",
            Self::DispatchRequeuesWhileHeld => "dispatch-requeues-while-held",
            Self::MissingWakeup => "missing-wakeup",
            Self::CancelledAfterQueued => "cancelled-after-queued",
            Self::SecondFinal => "second-final",
            Self::RemovedWhileHeld => "removed-while-held",
        }
    }
}
