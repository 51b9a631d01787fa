//! The history checker's quiet-harvest reduction
//! (`check/src/history/reduce.rs`) changes no verdict on histories the
//! reference Port recorded with many threads on few sources (where most
//! open calls are blocking waits that give up empty), with and without a
//! known bug switched on: the same verdict, and for a rejection the same
//! stuck call, as the unreduced search. The hand-written histories that
//! catch the two unsound variants are in `check/tests/history_quiet_harvest.rs`.

use onering::Mutant;
use onering_check::history::{verify_text, with_reduction, Options, Reduction, Verdict};
use onering_model::UNIFIED;
use onering_proofs::workload::{record, Workload};

/// The verdict as compared: `Some(None)` linearizable, `Some(Some(stuck))`
/// rejected at that call, `None` no verdict (a budget ran out).
fn outcome(r: Reduction, text: &str) -> Option<Option<usize>> {
    let options = Options {
        max_seconds: Some(20.0),
        max_memory: Some(2 << 30),
    };
    let (_, report) = with_reduction(r, || verify_text(text, &UNIFIED, &options, |_, _, _| {}))
        .expect("the Port's history reads");
    match report.verdict {
        Verdict::Linearizable => Some(None),
        Verdict::NotLinearizable(f) => Some(Some(f.stuck)),
        Verdict::NoVerdict(_) => None,
    }
}

#[test]
fn the_quiet_harvest_reduction_keeps_every_verdict_of_many_thread_histories() {
    let mut compared = 0;
    let mut rejected = 0;
    let mutants = std::iter::once(None).chain(Mutant::ALL.into_iter().map(Some));
    for (m, mutant) in mutants.enumerate() {
        for seed in 1..=4u64 {
            let threads = [8, 16][seed as usize % 2];
            let records = record(Workload {
                seed: seed + 100 * m as u64,
                threads,
                sources: 1 + (seed as usize / 2) % 2,
                calls_per_thread: 40,
                mutant,
            });
            let text = onering::history::to_jsonl(&records);
            let sound = outcome(Reduction::Sound, &text);
            assert!(sound.is_some(), "{mutant:?} seed {seed}: no verdict");
            // The unreduced search may run out of its budget on these: then
            // there is nothing to compare.
            if let Some(off) = outcome(Reduction::Off, &text) {
                assert_eq!(
                    sound,
                    Some(off),
                    "{mutant:?} seed {seed} ({threads} threads)"
                );
                compared += 1;
                rejected += usize::from(off.is_some());
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
