//! loom harnesses: the cancellation races (DESIGN §5.3), one test per race,
//! each exhaustive up to the committed preemption bound
//! (`common_loom::PREEMPTION_BOUND`). Every race asserts the unified
//! properties directly (`common_props::Board`) and checks its recorded
//! history. The races live in `common_loom/races.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p onering-proofs --release --test loom_cancel`
#![cfg(loom)]

mod common_loom;
mod common_props;

use common_loom::{model, races};
use onering::CancelMode;

#[test]
fn cancel_vs_wait() {
    model("cancel_vs_wait", || races::cancel_vs_wait(None));
}

#[test]
fn cancel_vs_raise() {
    model("cancel_vs_raise", || races::cancel_vs_raise(None));
}

#[test]
fn cancel_async_vs_complete() {
    model("cancel_async_vs_complete", || {
        races::cancel_vs_complete(CancelMode::Async, None)
    });
}

#[test]
fn cancel_reap_vs_complete() {
    model("cancel_reap_vs_complete", || {
        races::cancel_vs_complete(CancelMode::Reap, None)
    });
}

#[test]
fn pending_cancel_vs_holders_next_wait() {
    model("pending_cancel_vs_holders_next_wait", || {
        races::pending_cancel_vs_holders_next_wait(None)
    });
}

#[test]
fn futex_wake_vs_cancel() {
    model("futex_wake_vs_cancel", || races::futex_wake_vs_cancel(None));
}

#[test]
fn close_vs_wait() {
    model("close_vs_wait", || races::close_vs_wait(None));
}

#[test]
fn key_reuse_after_removed() {
    model("key_reuse_after_removed", || {
        races::key_reuse_after_removed(None)
    });
}

#[test]
fn cancel_vs_holders_cancel() {
    model("cancel_vs_holders_cancel", || {
        races::cancel_vs_holders_cancel(None)
    });
}

#[test]
fn cancel_vs_two_waiters() {
    model("cancel_vs_two_waiters", || {
        races::cancel_vs_two_waiters(None)
    });
}

#[test]
fn deferred_cancel_vs_complete() {
    model("deferred_cancel_vs_complete", || {
        races::deferred_cancel_vs_complete(None)
    });
}
