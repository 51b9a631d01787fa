//! Comparing two variants of the history checker's search (a reduction
//! on and off, a projection on and off) on histories the reference Port
//! recorded, with and without each of its known bugs switched on: the same
//! verdict, and for a rejection the same stuck call.

use onering::Mutant;
use onering_check::history::{verify_text, Options, Report, Verdict};
use onering_model::UNIFIED;
use onering_proofs::workload::{record, Workload};

/// The verdict as compared: `Some(None)` linearizable, `Some(Some(stuck))`
/// rejected at that call, `None` no verdict (a budget ran out).
pub type Outcome = Option<Option<usize>>;

/// `text` checked under `unified` with the tests' budgets, in `variant`
/// (which runs the check it is given, e.g. inside `with_reduction`).
pub fn outcome(text: &str, variant: impl FnOnce(&dyn Fn() -> Report) -> Report) -> Outcome {
    let options = Options {
        max_seconds: Some(20.0),
        max_memory: Some(2 << 30),
    };
    let check = || {
        verify_text(text, &UNIFIED, &options, |_, _, _| {})
            .expect("the Port's history reads")
            .1
    };
    match variant(&check).verdict {
        Verdict::Linearizable => Some(None),
        Verdict::NotLinearizable(f) => Some(Some(f.stuck)),
        Verdict::NoVerdict(_) => None,
    }
}

/// For no bug and each Port mutant, seeds 1 to 4 recorded with `shape(seed)`
/// = (threads, sources, calls per thread): `sound` must give a verdict, and
/// `off`, where it gives one (it may run out of its budget), the same.
/// Asserts at least 24 compared and one rejected by both.
pub fn compare(
    shape: impl Fn(u64) -> (usize, usize, usize),
    sound: impl Fn(&str) -> Outcome,
    off: impl Fn(&str) -> Outcome,
) {
    let mut compared = 0;
    let mut rejected = 0;
    let mutants = std::iter::once(None).chain(Mutant::ALL.into_iter().map(Some));
    for (m, mutant) in mutants.enumerate() {
        for seed in 1..=4u64 {
            let (threads, sources, calls_per_thread) = shape(seed);
            let records = record(Workload {
                seed: seed + 100 * m as u64,
                threads,
                sources,
                calls_per_thread,
                mutant,
            });
            let text = onering::history::to_jsonl(&records);
            let s = sound(&text);
            assert!(s.is_some(), "{mutant:?} seed {seed}: no verdict");
            if let Some(o) = off(&text) {
                assert_eq!(s, Some(o), "{mutant:?} seed {seed} ({threads} threads)");
                compared += 1;
                rejected += usize::from(o.is_some());
            }
        }
    }
    eprintln!("compared {compared} histories, {rejected} rejected by both");
    assert!(compared >= 24, "only {compared} histories compared");
    assert!(
        rejected > 0,
        "no history was rejected: nothing pins the rejections"
    );
}
