//! Generation numbers wrap (the model keeps them mod 4): a key's fifth
//! registration reuses its first one's number. A wait that parked after the
//! first registration's cancel returned must not judge the fifth
//! registration's event an "event after cancel": it is another
//! registration. Found at `--ops 5` (the trace below), beyond the default
//! bound.

use onering_check::check::replay_token;
use onering_check::explore::{explore, Options};
use onering_model::{profile, Bound, Mode, Model, Property, Scenario, SourceKind};

/// T0 cancels k0, registers it, cancels it again and parks; T1 registers k0
/// three more times (the third reuses generation 0); the raise wakes T0.
const WRAP_TRACE: &str = "m2:unified:level/dispatch:2.2.5.2.2:s:5.4.7.1.5.8.5.8.4.3.1";

#[test]
fn event_of_a_registration_reusing_a_cancelled_generation_is_not_after_cancel() {
    let (_, _, _, trace) = replay_token(WRAP_TRACE).expect("the token replays");
    assert_eq!(trace.steps.len(), 11);
    for (i, s) in trace.steps.iter().enumerate() {
        assert_eq!(s.obs.violated, 0, "step {} violates {:?}", i + 1, s.obs);
    }
    assert_eq!(trace.final_obs.violated, 0);
}

#[test]
fn unified_keeps_no_event_after_cancel_when_generations_wrap() {
    // One key, two threads, five operations each: enough for T1 to wrap
    // k0's generation while T0 is parked.
    let bound = Bound {
        threads: 2,
        keys: 1,
        ops: 5,
        env: 1,
        batch: 1,
    };
    let rules = profile("unified").expect("unified exists");
    let model = Model::new(
        rules,
        Scenario::new(SourceKind::Level, Mode::Dispatch),
        bound,
    )
    .expect("valid bound");
    let e = explore(&model, &Options::default(), |_, _| {});
    assert!(e.complete);
    assert!(
        e.violation(Property::NoEventAfterCancel).is_none(),
        "{:?}",
        e.violation(Property::NoEventAfterCancel)
    );
    assert!(e.witnessed & (1 << Property::NoEventAfterCancel as u16) != 0);
}
