//! loom harnesses against mutants (DESIGN §5.4): the same race scenarios as
//! `loom_cancel`/`loom_delivery`, each on a port with one mutant, must fail
//! with the property the mutant violates.
//!
//! `MissingWakeup` is not here: loom reports its deadlock from inside the
//! scheduler, which aborts the test process instead of unwinding, so
//! `#[should_panic]` cannot catch it (`tests/mutants.rs` covers it on std;
//! `scenarios::blocked_waiter_vs_raise(Some(Mutant::MissingWakeup))` shows
//! the deadlock when run alone).
#![cfg(loom)]
// The observer's std atomics are deliberate (see `loom_common`).
#![allow(clippy::disallowed_types)]

mod loom_common;

use loom_common::{model, scenarios};
use onering::{CancelMode, Mutant};

#[test]
#[should_panic(expected = "no-event-after-cancel")]
fn cancel_no_purge_caught_by_cancel_vs_wait() {
    model(|| scenarios::cancel_vs_wait(Some(Mutant::CancelNoPurge)));
}

#[test]
#[should_panic(expected = "rearm-rechecks-level")]
fn rearm_no_recheck_caught_by_rearm_vs_raise() {
    model(|| scenarios::rearm_vs_raise(Some(Mutant::RearmNoRecheck)));
}

#[test]
#[should_panic(expected = "no-duplicate-delivery")]
fn dispatch_requeue_caught_by_two_waiters() {
    model(|| scenarios::two_waiters_vs_one_dispatch_event(Some(Mutant::DispatchRequeuesWhileHeld)));
}

#[test]
#[should_panic(expected = "exactly-one-terminal")]
fn cancelled_after_queued_caught_by_cancel_vs_complete() {
    model(|| scenarios::cancel_vs_complete(CancelMode::Async, Some(Mutant::CancelledAfterQueued)));
}

#[test]
#[should_panic(expected = "exactly-one-terminal")]
fn second_final_caught_by_cancel_vs_complete() {
    model(|| scenarios::cancel_vs_complete(CancelMode::Reap, Some(Mutant::SecondFinal)));
}

#[test]
#[should_panic(expected = "teardown-safe")]
fn removed_while_held_caught_by_pending_cancel() {
    model(|| scenarios::pending_cancel_vs_holders_next_wait(Some(Mutant::RemovedWhileHeld)));
}
