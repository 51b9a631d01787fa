//! loom harnesses: the delivery and wake-up races (DESIGN §5.3), one test
//! per race, each exhaustive up to the committed preemption bound
//! (`common_loom::PREEMPTION_BOUND`). Every race asserts the unified
//! properties directly (`common_props::Board`) and checks its recorded
//! history. The races live in `common_loom/races.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p onering-proofs --release --test loom_delivery`
#![cfg(loom)]

mod common_loom;
mod common_props;

use common_loom::{model, races};

#[test]
fn rearm_vs_raise() {
    model("rearm_vs_raise", || races::rearm_vs_raise(None));
}

#[test]
fn two_waiters_vs_one_dispatch_event() {
    model("two_waiters_vs_one_dispatch_event", || {
        races::two_waiters_vs_one_dispatch_event(None)
    });
}

#[test]
fn two_waiters_vs_one_level_event() {
    model("two_waiters_vs_one_level_event", || {
        races::two_waiters_vs_one_level_event(None)
    });
}

#[test]
fn blocked_waiter_vs_raise() {
    model("blocked_waiter_vs_raise", || {
        races::blocked_waiter_vs_raise(None)
    });
}

#[test]
fn two_blocked_waiters_vs_two_raises() {
    model("two_blocked_waiters_vs_two_raises", || {
        races::two_blocked_waiters_vs_two_raises(None)
    });
}

#[test]
fn release_requeue_vs_blocked_waiter() {
    model("release_requeue_vs_blocked_waiter", || {
        races::release_requeue_vs_blocked_waiter(None)
    });
}

#[test]
fn multishot_final_vs_item_holder() {
    model("multishot_final_vs_item_holder", || {
        races::multishot_final_vs_item_holder(None)
    });
}

#[test]
fn smoke() {
    model("smoke", races::smoke);
}
