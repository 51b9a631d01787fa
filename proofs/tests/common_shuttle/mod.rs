//! Shared pieces of the shuttle harnesses: runners for shuttle's random and
//! PCT schedulers with fixed seeds (so a run is reproducible), execution
//! counting and schedules-per-second, replay tokens for failing schedules,
//! and the large scenarios (`workload.rs`).
//!
//! Replay tokens: every run persists a failing schedule to a file in
//! `$CARGO_TARGET_TMPDIR/shuttle-schedules` (shuttle's
//! `FailurePersistence::File`); the runner reads it back and prints it as
//! `replay token: "..."`, which [`replay`] (or `shuttle::replay`) takes.
//! Runs that are expected to fail (mutants, replay) hold a lock exclusively
//! so that a new file is theirs; runs expected to pass share it and run in
//! parallel (should two of them fail at once, the token says so).
#![allow(dead_code)] // Each harness file uses a subset.

pub mod workload;

use std::collections::BTreeSet;
use std::panic::{catch_unwind, resume_unwind, AssertUnwindSafe};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use shuttle::scheduler::{PctScheduler, RandomScheduler, ReplayScheduler, Scheduler};
use shuttle::{Config, FailurePersistence, Runner};

/// PCT's bug depth (the number of priority change points plus one).
pub const PCT_DEPTH: usize = 3;

/// The fixed seed of every run (`SHUTTLE_SEED` overrides it).
pub const SEED: u64 = 0x0e1_2026;

/// Which shuttle scheduler drives a run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sched {
    /// `RandomScheduler`: a uniformly random runnable thread at each step.
    Random,
    /// `PctScheduler` with depth [`PCT_DEPTH`].
    Pct,
}

impl Sched {
    /// Both schedulers.
    pub const BOTH: [Sched; 2] = [Sched::Random, Sched::Pct];

    /// The name printed in reports.
    pub fn name(self) -> String {
        match self {
            Self::Random => "shuttle random".to_string(),
            Self::Pct => format!("shuttle PCT d={PCT_DEPTH}"),
        }
    }

    fn scheduler(self, seed: u64, iterations: usize) -> Box<dyn Scheduler + Send> {
        match self {
            Self::Random => Box::new(RandomScheduler::new_from_seed(seed, iterations)),
            Self::Pct => Box::new(PctScheduler::new_from_seed(seed, PCT_DEPTH, iterations)),
        }
    }
}

/// The seed of every run.
pub fn seed() -> u64 {
    std::env::var("SHUTTLE_SEED")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(SEED)
}

/// `n`, or `SHUTTLE_ITERATIONS` if set.
pub fn iterations(n: usize) -> usize {
    std::env::var("SHUTTLE_ITERATIONS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(n)
}

static RUN_LOCK: RwLock<()> = RwLock::new(());

fn schedule_dir() -> PathBuf {
    let d = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("shuttle-schedules");
    std::fs::create_dir_all(&d).expect("schedule directory");
    d
}

fn config() -> Config {
    let mut c = Config::new();
    c.failure_persistence = FailurePersistence::File(Some(schedule_dir()));
    c.silence_warnings = true;
    c
}

fn listing() -> BTreeSet<PathBuf> {
    std::fs::read_dir(schedule_dir())
        .map(|d| d.filter_map(|e| e.ok().map(|e| e.path())).collect())
        .unwrap_or_default()
}

/// Shuttle installs its panic hook once, with the first run's config: make
/// sure that is ours (schedules persisted to our directory).
fn init() {
    static INIT: std::sync::Once = std::sync::Once::new();
    INIT.call_once(|| {
        Runner::new(RandomScheduler::new_from_seed(1, 1), config()).run(|| {});
    });
}

/// A failing run.
#[derive(Debug)]
pub struct Failure {
    /// Executions until the failure (inclusive).
    pub executions: usize,
    /// The panic message (which property failed).
    pub message: String,
    /// The failing schedule, for [`replay`].
    pub token: Option<String>,
    /// Time to the failure.
    pub elapsed: Duration,
}

/// A passing run.
#[derive(Debug)]
pub struct Pass {
    /// Executions run.
    pub executions: usize,
    /// Time taken.
    pub elapsed: Duration,
}

impl Pass {
    /// Schedules explored per second.
    pub fn per_second(&self) -> f64 {
        self.executions as f64 / self.elapsed.as_secs_f64().max(1e-9)
    }
}

/// Runs `f` under `sched` for `iterations` schedules from `seed`; `Err`
/// with the failure (and its replay token) if a schedule fails. For runs
/// expected to fail: runs alone.
pub fn try_run<F>(sched: Sched, seed: u64, iterations: usize, f: F) -> Result<Pass, Failure>
where
    F: Fn() + Send + Sync + 'static,
{
    let _alone = RUN_LOCK.write().unwrap_or_else(|e| e.into_inner());
    run_inner(sched, seed, iterations, f)
}

fn run_inner<F>(sched: Sched, seed: u64, iterations: usize, f: F) -> Result<Pass, Failure>
where
    F: Fn() + Send + Sync + 'static,
{
    init();
    let before = listing();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let start = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| {
        Runner::new(sched.scheduler(seed, iterations), config()).run(move || {
            counter.fetch_add(1, SeqCst);
            f();
        })
    }));
    let elapsed = start.elapsed();
    match r {
        Ok(n) => Ok(Pass {
            executions: n,
            elapsed,
        }),
        Err(payload) => {
            let new: Vec<PathBuf> = listing().difference(&before).cloned().collect();
            let token = match new.as_slice() {
                [p] => {
                    let t = std::fs::read_to_string(p).ok();
                    let _ = std::fs::remove_file(p);
                    t.map(|t| t.split_whitespace().collect::<String>())
                }
                _ => None,
            };
            Err(Failure {
                executions: runs.load(SeqCst),
                message: panic_message(&*payload),
                token,
                elapsed,
            })
        }
    }
}

/// Runs `f` under `sched` and fails the test (printing the replay token)
/// if a schedule fails; prints executions and schedules per second.
pub fn run<F>(name: &str, sched: Sched, iterations: usize, f: F) -> Pass
where
    F: Fn() + Send + Sync + 'static,
{
    let seed = seed();
    let shared = RUN_LOCK.read().unwrap_or_else(|e| e.into_inner());
    let r = run_inner(sched, seed, iterations, f);
    drop(shared);
    match r {
        Ok(p) => {
            println!(
                "{} {name}: {} schedules in {:.2} s = {:.0} schedules/s (seed {seed})",
                sched.name(),
                p.executions,
                p.elapsed.as_secs_f64(),
                p.per_second()
            );
            p
        }
        Err(fail) => {
            println!(
                "{} {name}: FAILED after {} schedules (seed {seed}): {}",
                sched.name(),
                fail.executions,
                fail.message
            );
            match &fail.token {
                Some(t) => println!("replay token: \"{t}\""),
                None => println!(
                    "replay token: see the schedule file named above (another run failed at the same time)"
                ),
            }
            resume_unwind(Box::new(fail.message));
        }
    }
}

/// Replays `token` on `f` once (deterministically); `Err` with the panic
/// message if it fails.
pub fn replay<F>(token: &str, f: F) -> Result<(), String>
where
    F: Fn() + Send + Sync + 'static,
{
    let _alone = RUN_LOCK.write().unwrap_or_else(|e| e.into_inner());
    init();
    let before = listing();
    let r = catch_unwind(AssertUnwindSafe(|| {
        Runner::new(ReplayScheduler::new_from_encoded(token), config()).run(f);
    }));
    for p in listing().difference(&before) {
        let _ = std::fs::remove_file(p);
    }
    r.map_err(|p| panic_message(&*p))
}

/// The text of a panic payload.
pub fn panic_message(p: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = p.downcast_ref::<&str>() {
        (*s).to_string()
    } else if let Some(s) = p.downcast_ref::<String>() {
        s.clone()
    } else {
        "(non-string panic)".to_string()
    }
}
