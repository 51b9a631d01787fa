//! The rule of a profile that judges a recorded call, in one clause, so
//! that a checker can say which rule a history breaks. Each clause restates
//! the choice a [`Rules`] field makes (the field's documentation is the
//! statement; this is its summary in a sentence), naming the field.

use crate::rules::{CloseRule, LevelRequeue, OpCancel, ReadinessCancel, Rules};
use crate::scenario::SourceKind;

/// What kind of recorded call is judged (what [`Rules::rule_for`] names the
/// rule of).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Judged {
    /// `register` or `submit`.
    Register,
    /// `modify`.
    Modify,
    /// `rearm`.
    Rearm,
    /// `cancel`.
    Cancel,
    /// `consume`.
    Consume,
    /// A `wait`; `empty`: it returned no event of the source.
    Wait {
        /// It returned no event of the source.
        empty: bool,
    },
    /// `raise`, `lower`, `complete`, `stream_item`: a step of the source.
    Environment,
    /// `close`.
    Close,
    /// `futex_wake`.
    FutexWake,
}

impl Rules {
    /// The rule of this profile that decides what `call` on a source of
    /// `kind` may return, as one clause naming the [`Rules`] field:
    /// ``"readiness cancel rule (`readiness_cancel: Unified`): ..."``.
    pub fn rule_for(&self, call: Judged, kind: SourceKind) -> String {
        let operation = matches!(kind, SourceKind::Operation | SourceKind::Futex)
            || self.readiness_cancel == ReadinessCancel::AsOperation;
        match call {
            Judged::Cancel if operation => format!(
                "operation cancel rule (`op_cancel: {:?}`): {}",
                self.op_cancel,
                match self.op_cancel {
                    OpCancel::Unified =>
                        "an async cancel asks the operation to stop and never removes a queued completion, exactly one final event following (flagged cancelled if the cancel won), and a reap cancel also removes and returns a queued, undelivered final event (removed with its completion)",
                    OpCancel::LinuxAio =>
                        "io_cancel answers -EINPROGRESS for a cancellable request, whose completion the kernel then posts, and -EINVAL for one not cancellable or already completed",
                    OpCancel::IoUring =>
                        "ASYNC_CANCEL answers 0, -EALREADY or -ENOENT, and the target always posts its own final CQE, in either order with the cancel's",
                    OpCancel::Iocp =>
                        "CancelIoEx answers TRUE while the operation is pending (one packet follows, aborted or not) and ERROR_NOT_FOUND when too late",
                }
            ),
            Judged::Cancel => format!(
                "readiness cancel rule (`readiness_cancel: {:?}`): {}",
                self.readiness_cancel,
                match self.readiness_cancel {
                    ReadinessCancel::Purge =>
                        "a cancel purges the queue and answers removed whatever other threads hold, not-found for a key already removed",
                    ReadinessCancel::Unified =>
                        "a sync cancel answers removed only while no other thread holds the event; while one does it answers pending, and one final event flagged cancelled follows the holder's release",
                    ReadinessCancel::Dissociate =>
                        "a dissociate answers removed when the event was not yet retrieved (it is purged) and not-found when it was",
                    ReadinessCancel::AsOperation => "the registration is a poll request, cancelled as an operation",
                }
            ),
            Judged::Wait { empty: true } => {
                let mut s = "delivery rule: a wait returns no event of a source only if, at some point of its interval, none was deliverable".to_string();
                if matches!(kind, SourceKind::Level | SourceKind::Counter) {
                    s.push_str(match self.level_requeue {
                        LevelRequeue::AfterDelivery => "; a still-true level registration is queued again right after its delivery (`level_requeue: AfterDelivery`)",
                        LevelRequeue::AfterRelease => "; a still-true level registration is queued again when its holder releases it (`level_requeue: AfterRelease`)",
                    });
                }
                s
            }
            Judged::Wait { empty: false } => format!(
                "delivery rule: a wait returns only queued, deliverable events, {} first, at most `max`, one per registration{}{}",
                if self.order == crate::rules::Order::Fifo { "the oldest" } else { "the newest" },
                if self.exclusive_hold {
                    "; a registration's event goes to one thread at a time, until that thread's next wait, rearm or cancel (`exclusive_hold`)"
                } else {
                    ""
                },
                if self.repoll_at_harvest {
                    "; an event whose condition no longer holds is dropped at harvest (`repoll_at_harvest`)"
                } else {
                    ""
                }
            ),
            Judged::Register => "registration rule: register and submit take a free key in a mode the profile supports for the source kind".to_string(),
            Judged::Modify => format!(
                "modify rule: modify switches an armed registration between the modes {:?} (`modify_modes`)",
                self.modify_modes
            ),
            Judged::Rearm => format!(
                "rearm rule (`rearm_rechecks: {}`): rearm arms a disarmed registration{}",
                self.rearm_rechecks,
                if self.rearm_rechecks {
                    " and queues its event at once if the condition holds"
                } else {
                    " and waits for the next wake-up"
                }
            ),
            Judged::Consume => "consume rule: consume clears the condition of a level, counter or sticky source that is not closed".to_string(),
            Judged::Environment => format!(
                "wake-up rule (`coalesce: {}`): a wake-up of a source queues an event for each armed registration {}",
                self.coalesce,
                if self.coalesce {
                    "not already queued"
                } else {
                    "even if one is already queued"
                }
            ),
            Judged::Close => format!(
                "close rule (`close: {:?}`): {}",
                self.close,
                match self.close {
                    CloseRule::Removes => "closing the descriptor removes its registrations silently",
                    CloseRule::RemovesKeepsTerminal => "closing purges the queued events, no more come, and the next cancel delivers the terminal outcome",
                    CloseRule::Survives => "the registration lives on after the close (another reference to the file)",
                }
            ),
            Judged::FutexWake => format!(
                "futex rule (`futex_wake_exact: {}`): futex_wake(n) releases {} n waiters{}",
                self.futex_wake_exact,
                if self.futex_wake_exact { "at most" } else { "possibly more than" },
                if self.defers_futex_finals() {
                    "; each released waiter's final is queued by the wake or by a later kernel step, before any blocking wait gives up, and a cancel may take a wait out of the queue at once, its cancelled final queued by a later kernel step (`deferred_futex_finals`)"
                } else {
                    ""
                }
            ),
        }
    }
}
