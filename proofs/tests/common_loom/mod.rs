//! Shared pieces of the loom harnesses: the model runner with the committed
//! preemption bound, and the races (`races.rs`), one function per race.
#![allow(dead_code)] // Each harness file uses a subset.

pub mod races;

use std::panic::{catch_unwind, AssertUnwindSafe};
use std::sync::atomic::{AtomicUsize, Ordering::SeqCst};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// The committed preemption bound. `LOOM_MAX_PREEMPTIONS` overrides it.
pub const PREEMPTION_BOUND: usize = 4;

/// The bound in force (`LOOM_MAX_PREEMPTIONS` or [`PREEMPTION_BOUND`]).
pub fn bound() -> usize {
    builder().preemption_bound.unwrap_or(PREEMPTION_BOUND)
}

fn builder() -> loom::model::Builder {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(PREEMPTION_BOUND);
    }
    b
}

/// Runs `f` under loom, exhaustively up to the preemption bound; returns
/// the number of executions explored, and prints it with the time taken.
pub fn model<F: Fn() + Sync + Send + 'static>(name: &str, f: F) -> usize {
    let b = builder();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let start = Instant::now();
    b.check(move || {
        counter.fetch_add(1, SeqCst);
        f();
    });
    let n = runs.load(SeqCst);
    println!(
        "loom {name}: {n} executions, preemption bound {:?}, {:.2} s",
        b.preemption_bound,
        start.elapsed().as_secs_f64()
    );
    n
}

/// How a run of a harness on a mutant ended.
#[derive(Debug)]
pub struct Caught {
    /// Executions until the failure (inclusive).
    pub executions: usize,
    /// The panic message (which property failed).
    pub message: String,
    /// Time to the failure.
    pub elapsed: Duration,
}

/// Runs `f` under loom until it panics: `Err` with the failure, or `Ok`
/// with the number of executions if every one up to the bound passed.
pub fn catches<F: Fn() + Sync + Send + 'static>(f: F) -> Result<usize, Caught> {
    let b = builder();
    let runs = Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    let start = Instant::now();
    let r = catch_unwind(AssertUnwindSafe(|| {
        b.check(move || {
            counter.fetch_add(1, SeqCst);
            f();
        })
    }));
    r.map(|()| runs.load(SeqCst)).map_err(|payload| Caught {
        executions: runs.load(SeqCst),
        message: panic_message(&*payload),
        elapsed: start.elapsed(),
    })
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
