//! The history checker's quiet-harvest reduction
//! (`check/src/history/reduce.rs`) changes no verdict on histories the
//! reference Port recorded with many threads on few sources (where most
//! open calls are blocking waits that give up empty), with and without a
//! known bug switched on: the same verdict, and for a rejection the same
//! stuck call, as the unreduced search. The hand-written histories that
//! catch the two unsound variants are in `check/tests/history_quiet_harvest.rs`.

mod common_variants;

use common_variants::{compare, outcome};
use onering_check::history::{with_reduction, Reduction};

#[test]
fn the_quiet_harvest_reduction_keeps_every_verdict_of_many_thread_histories() {
    compare(
        |seed| ([8, 16][seed as usize % 2], 1 + (seed as usize / 2) % 2, 40),
        |text| outcome(text, |check| with_reduction(Reduction::Sound, check)),
        // The unreduced search may run out of its budget on these: then
        // there is nothing to compare.
        |text| outcome(text, |check| with_reduction(Reduction::Off, check)),
    );
}
