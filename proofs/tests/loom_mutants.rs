//! The mutant table under loom (DESIGN §5.4): for every mutant loom can
//! report, the race harnesses run on a port with that mutant, in a fixed
//! order, until one fails; the test prints which harness caught it and
//! after how many executions, and fails if a mutant survives every
//! harness.
//!
//! `MissingWakeup` is left to shuttle (`shuttle_mutants.rs`): loom reports
//! the resulting deadlock from inside its scheduler, which aborts the test
//! process instead of unwinding.
//!
//! Run: `RUSTFLAGS="--cfg loom" cargo test -p onering-proofs --release --test loom_mutants -- --nocapture`
#![cfg(loom)]

mod common_loom;
mod common_props;

use common_loom::{catches, races, PREEMPTION_BOUND};
use onering::{CancelMode, Mutant};

type Race = fn(Option<Mutant>);

/// The races, non-blocking ones first (a mutant that made a blocking race
/// deadlock would abort the process).
const RACES: &[(&str, Race)] = &[
    ("cancel_vs_wait", races::cancel_vs_wait),
    ("cancel_vs_raise", races::cancel_vs_raise),
    ("cancel_async_vs_complete", |m| {
        races::cancel_vs_complete(CancelMode::Async, m)
    }),
    ("cancel_reap_vs_complete", |m| {
        races::cancel_vs_complete(CancelMode::Reap, m)
    }),
    (
        "pending_cancel_vs_holders_next_wait",
        races::pending_cancel_vs_holders_next_wait,
    ),
    ("close_vs_wait", races::close_vs_wait),
    ("key_reuse_after_removed", races::key_reuse_after_removed),
    ("cancel_vs_holders_cancel", races::cancel_vs_holders_cancel),
    ("cancel_vs_two_waiters", races::cancel_vs_two_waiters),
    (
        "deferred_cancel_vs_complete",
        races::deferred_cancel_vs_complete,
    ),
    ("rearm_vs_raise", races::rearm_vs_raise),
    (
        "two_waiters_vs_one_dispatch_event",
        races::two_waiters_vs_one_dispatch_event,
    ),
    (
        "two_waiters_vs_one_level_event",
        races::two_waiters_vs_one_level_event,
    ),
    (
        "multishot_final_vs_item_holder",
        races::multishot_final_vs_item_holder,
    ),
    ("futex_wake_vs_cancel", races::futex_wake_vs_cancel),
    ("blocked_waiter_vs_raise", races::blocked_waiter_vs_raise),
    (
        "two_blocked_waiters_vs_two_raises",
        races::two_blocked_waiters_vs_two_raises,
    ),
    (
        "release_requeue_vs_blocked_waiter",
        races::release_requeue_vs_blocked_waiter,
    ),
];

#[test]
fn every_mutant_is_caught_by_loom() {
    let mut rows = Vec::new();
    let mut survivors = Vec::new();
    for m in Mutant::ALL {
        if m == Mutant::MissingWakeup {
            rows.push(format!(
                "| {:<28} | {:<35} | {:<16} | {:>10} | {}",
                m.name(),
                "(shuttle_mutants)",
                "-",
                "-",
                "loom aborts on deadlock"
            ));
            continue;
        }
        // Executions of the harnesses that passed before the one that
        // caught it.
        let mut before = 0;
        let mut found = None;
        for &(name, race) in RACES {
            match catches(move || race(Some(m))) {
                Some(c) => {
                    found = Some((name, c));
                    break;
                }
                None => {
                    before += common_loom::model(name, move || race(Some(m)));
                }
            }
        }
        match found {
            Some((name, c)) => {
                let property = c.message.lines().next().unwrap_or("").to_string();
                rows.push(format!(
                    "| {:<28} | {:<35} | {:<16} | {:>10} | {}",
                    m.name(),
                    name,
                    format!("loom (bound {PREEMPTION_BOUND})"),
                    c.executions,
                    property
                ));
                if before > 0 {
                    rows.push(format!(
                        "|   (after {before} passing executions of earlier harnesses)"
                    ));
                }
            }
            None => survivors.push(m),
        }
    }
    println!("\nMutant table (loom)");
    println!(
        "| {:<28} | {:<35} | {:<16} | {:>10} | property",
        "mutant", "caught by", "scheduler", "executions"
    );
    for r in &rows {
        println!("{r}");
    }
    assert!(
        survivors.is_empty(),
        "mutants not caught by loom: {survivors:?}"
    );
}
