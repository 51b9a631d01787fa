//! shuttle harnesses: large scenarios (DESIGN §5.3) beyond loom's reach,
//! under both shuttle's random scheduler and its PCT scheduler (depth 3),
//! from fixed seeds. Each execution asserts the unified properties directly
//! (`common_props::Board`) and checks its recorded history; a failing
//! schedule prints a replay token, and `replay_reproduces_a_failure` shows
//! that replaying a token reproduces the failure.
//!
//! `SHUTTLE_ITERATIONS` and `SHUTTLE_SEED` override the committed values.
//!
//! Run: `cargo test -p onering-proofs --release --features shuttle --test shuttle_races -- --nocapture`
#![cfg(all(feature = "shuttle", not(loom)))]

mod common_props;
mod common_shuttle;

use common_shuttle::workload::{self, MIXED, POOL};
use common_shuttle::{iterations, replay, run, try_run, Sched};
use onering::Mutant;

/// Schedules per scheduler per scenario.
const ITERATIONS: usize = 15_000;

#[test]
fn mixed_sources_random() {
    run(
        "mixed_sources",
        Sched::Random,
        iterations(ITERATIONS),
        || workload::run(MIXED, None),
    );
}

#[test]
fn mixed_sources_pct() {
    run("mixed_sources", Sched::Pct, iterations(ITERATIONS), || {
        workload::run(MIXED, None)
    });
}

#[test]
fn readiness_pool_random() {
    run(
        "readiness_pool",
        Sched::Random,
        iterations(ITERATIONS),
        || workload::run(POOL, None),
    );
}

#[test]
fn readiness_pool_pct() {
    run("readiness_pool", Sched::Pct, iterations(ITERATIONS), || {
        workload::run(POOL, None)
    });
}

/// A mutant makes the scenario fail; the failing schedule's token, replayed,
/// fails the same way (twice: replay is deterministic), and the same token
/// on the correct port passes or fails differently (the schedule, not luck,
/// reproduces it).
#[test]
fn replay_reproduces_a_failure() {
    let m = Some(Mutant::DispatchRequeuesWhileHeld);
    let fail = try_run(Sched::Random, common_shuttle::seed(), 10_000, move || {
        workload::run(MIXED, m)
    })
    .expect_err("the mutant must be caught");
    let token = fail.token.clone().expect("a failing schedule is persisted");
    println!(
        "caught after {} schedules: {}\nreplay token: \"{token}\"",
        fail.executions, fail.message
    );
    for _ in 0..2 {
        let again = replay(&token, move || workload::run(MIXED, m))
            .expect_err("replaying the token must fail again");
        assert_eq!(again, fail.message, "replay reproduces the same failure");
    }
}
