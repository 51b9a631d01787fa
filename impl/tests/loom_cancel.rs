//! loom harnesses: cancellation races (DESIGN §5.3). The scenarios live in
//! `loom_common/scenarios.rs` and assert the unified properties directly.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p onering --release --test 'loom_*'`
#![cfg(loom)]
// The observer's std atomics are deliberate (see `loom_common`).
#![allow(clippy::disallowed_types)]

mod loom_common;

use loom_common::{model, scenarios};
use onering::CancelMode;

#[test]
fn cancel_vs_wait() {
    model(|| scenarios::cancel_vs_wait(None));
}

#[test]
fn cancel_vs_raise() {
    model(|| scenarios::cancel_vs_raise(None));
}

#[test]
fn pending_cancel_vs_holders_next_wait() {
    model(|| scenarios::pending_cancel_vs_holders_next_wait(None));
}

#[test]
fn cancel_async_vs_complete() {
    model(|| scenarios::cancel_vs_complete(CancelMode::Async, None));
}

#[test]
fn cancel_reap_vs_complete() {
    model(|| scenarios::cancel_vs_complete(CancelMode::Reap, None));
}

#[test]
fn futex_wake_vs_cancel() {
    model(|| scenarios::futex_wake_vs_cancel(None));
}

#[test]
fn cancel_vs_holders_cancel() {
    model(|| scenarios::cancel_vs_holders_cancel(None));
}

#[test]
fn cancel_vs_two_waiters() {
    model(|| scenarios::cancel_vs_two_waiters(None));
}

#[test]
fn close_vs_wait() {
    model(|| scenarios::close_vs_wait(None));
}

#[test]
fn deferred_cancel_vs_complete() {
    model(|| scenarios::deferred_cancel_vs_complete(None));
}

#[test]
fn multishot_final_vs_item_holder() {
    model(|| scenarios::multishot_final_vs_item_holder(None));
}
