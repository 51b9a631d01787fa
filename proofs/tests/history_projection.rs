//! The history checker's projection of waits (`check/src/history/alive.rs`:
//! a wait with room is left out of a source's parts where none of the
//! source's registrations is alive) changes no verdict on histories the
//! reference Port recorded over many sources, with and without a known bug
//! switched on: the same verdict, and for a rejection the same stuck call,
//! as keeping every wait in every part. The hand-written histories that
//! catch the unsound variant are in `check/tests/history_projection.rs`.

use onering::Mutant;
use onering_check::history::{verify_text, with_projection, Options, Projection, Verdict};
use onering_model::UNIFIED;
use onering_proofs::workload::{record, Workload};

/// The verdict as compared: `Some(None)` linearizable, `Some(Some(stuck))`
/// rejected at that call, `None` no verdict (a budget ran out).
fn outcome(p: Projection, text: &str) -> Option<Option<usize>> {
    let options = Options {
        max_seconds: Some(20.0),
        max_memory: Some(2 << 30),
    };
    let (_, report) = with_projection(p, || verify_text(text, &UNIFIED, &options, |_, _, _| {}))
        .expect("the Port's history reads");
    match report.verdict {
        Verdict::Linearizable => Some(None),
        Verdict::NotLinearizable(f) => Some(Some(f.stuck)),
        Verdict::NoVerdict(_) => None,
    }
}

#[test]
fn the_projection_of_waits_keeps_every_verdict_of_many_source_histories() {
    let mut compared = 0;
    let mut rejected = 0;
    let mutants = std::iter::once(None).chain(Mutant::ALL.into_iter().map(Some));
    for (m, mutant) in mutants.enumerate() {
        for seed in 1..=4u64 {
            let threads = [4, 16][seed as usize % 2];
            let records = record(Workload {
                seed: seed + 100 * m as u64,
                threads,
                sources: [8, 32][(seed as usize / 2) % 2],
                calls_per_thread: 60,
                mutant,
            });
            let text = onering::history::to_jsonl(&records);
            let sound = outcome(Projection::Sound, &text);
            assert!(sound.is_some(), "{mutant:?} seed {seed}: no verdict");
            if let Some(off) = outcome(Projection::Off, &text) {
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
