//! loom harnesses: delivery races and blocked waiters (DESIGN §5.3). The
//! scenarios live in `loom_common/scenarios.rs`.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p onering --release --test 'loom_*'`
#![cfg(loom)]
// The observer's std atomics are deliberate (see `loom_common`).
#![allow(clippy::disallowed_types)]

mod loom_common;

use loom_common::{model, scenarios};

#[test]
fn two_waiters_vs_one_dispatch_event() {
    model(|| scenarios::two_waiters_vs_one_dispatch_event(None));
}

#[test]
fn rearm_vs_raise() {
    model(|| scenarios::rearm_vs_raise(None));
}

#[test]
fn blocked_waiter_vs_raise() {
    model(|| scenarios::blocked_waiter_vs_raise(None));
}

#[test]
fn two_blocked_waiters_vs_two_raises() {
    model(|| scenarios::two_blocked_waiters_vs_two_raises(None));
}

#[test]
fn release_requeue_vs_blocked_waiter() {
    model(|| scenarios::release_requeue_vs_blocked_waiter(None));
}

#[test]
fn history_under_race() {
    model(|| scenarios::history_under_race(None));
}
