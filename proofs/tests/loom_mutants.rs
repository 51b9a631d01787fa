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

use common_loom::{bound, catches, races};
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

fn short(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or("");
    let line = line
        .strip_prefix("assertion `left == right` failed: ")
        .or_else(|| line.strip_prefix("assertion `left != right` failed: "))
        .unwrap_or(line);
    line.chars().take(80).collect()
}

#[test]
fn every_mutant_is_caught_by_loom() {
    // The mutants' panics are expected: keep them out of the log (the
    // table says what each one was); the default hook is back for the
    // verdict below.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rows = Vec::new();
    let mut survivors = Vec::new();
    for m in Mutant::ALL {
        if m == Mutant::MissingWakeup {
            rows.push(format!(
                "| {:<28} | {:<35} | {:<15} | {:>10} | {:>7} | {}",
                m.name(),
                "(shuttle_mutants.rs)",
                "-",
                "-",
                "-",
                "loom aborts the process on the deadlock"
            ));
            continue;
        }
        // Executions of the harnesses that passed before the one that
        // caught it.
        let mut before = 0;
        let mut found = None;
        for &(name, race) in RACES {
            match catches(move || race(Some(m))) {
                Err(c) => {
                    found = Some((name, c));
                    break;
                }
                Ok(n) => before += n,
            }
        }
        match found {
            Some((name, c)) => rows.push(format!(
                "| {:<28} | {:<35} | {:<15} | {:>10} | {:>7} | {}",
                m.name(),
                name,
                format!("loom (bound {})", bound()),
                c.executions,
                before + c.executions,
                short(&c.message)
            )),
            None => survivors.push(m),
        }
    }
    println!("\nMutant table (loom; harnesses tried in a fixed order; total = executions of every harness tried)");
    println!(
        "| {:<28} | {:<35} | {:<15} | {:>10} | {:>7} | property violated",
        "mutant", "caught by", "scheduler", "executions", "total"
    );
    for r in &rows {
        println!("{r}");
    }
    drop(std::panic::take_hook());
    assert!(
        survivors.is_empty(),
        "mutants not caught by loom: {survivors:?}"
    );
}
