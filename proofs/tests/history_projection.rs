//! The history checker's projection of waits (`check/src/history/alive.rs`:
//! a wait with room is left out of a source's parts where none of the
//! source's registrations is alive) changes no verdict on histories the
//! reference Port recorded over many sources, with and without a known bug
//! switched on: the same verdict, and for a rejection the same stuck call,
//! as keeping every wait in every part. The hand-written histories that
//! catch the unsound variant are in `check/tests/history_projection.rs`.

mod common_variants;

use common_variants::{compare, outcome};
use onering_check::history::{with_projection, Projection};

#[test]
fn the_projection_of_waits_keeps_every_verdict_of_many_source_histories() {
    compare(
        |seed| {
            (
                [4, 16][seed as usize % 2],
                [8, 32][(seed as usize / 2) % 2],
                60,
            )
        },
        |text| outcome(text, |check| with_projection(Projection::Sound, check)),
        |text| outcome(text, |check| with_projection(Projection::Off, check)),
    );
}
