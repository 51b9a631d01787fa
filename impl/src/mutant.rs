//! Known bugs that can be switched on at construction, so that tests (and the
//! checks in `proofs/`) can show that each one is caught. A port without a
//! mutant pays one `Option` comparison at each switch point.
//!
//! This is the Port's catalogue: bugs of an *implementation*, which the
//! history checker, the loom and shuttle proofs and the rule tests must
//! catch. The model has its own catalogue, `onering_model::MUTANTS`: broken
//! *rules*, which the explorer must catch. Where both break the same rule
//! they share one name: every Port mutant is named after its model twin
//! ([`Mutant::spec_name`]), and the test `port_mutants_are_named_after_their_model_twins`
//! keeps it so. The model has more (LIFO order, wake-all, ...): rules the
//! Port has no switch for.

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

    /// Stable kebab-case name: the model twin's name without its
    /// `unified~` prefix.
    pub fn name(self) -> &'static str {
        let spec = self.spec_name();
        &spec["unified~".len()..]
    }

    /// The model's spec mutant (a profile name in `onering_model::MUTANTS`)
    /// that breaks the same rule.
    pub fn spec_name(self) -> &'static str {
        match self {
            Self::CancelNoPurge => "unified~no-purge",
            Self::RearmNoRecheck => "unified~rearm-no-recheck",
            Self::DispatchRequeuesWhileHeld => "unified~dispatch-requeue",
            Self::MissingWakeup => "unified~missing-wakeup",
            Self::CancelledAfterQueued => "unified~lying-cancel",
            Self::SecondFinal => "unified~double-final",
            Self::RemovedWhileHeld => "unified~removed-while-held",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Mutant;

    #[test]
    fn port_mutants_are_named_after_their_model_twins() {
        for m in Mutant::ALL {
            let twin = onering_model::profile(m.spec_name())
                .unwrap_or_else(|| panic!("{:?}: no model mutant {}", m, m.spec_name()));
            assert_eq!(twin.name, m.spec_name());
            assert!(twin.is_spec_mutant(), "{} is not a spec mutant", twin.name);
            assert!(m.spec_name().ends_with(m.name()));
        }
    }
}
