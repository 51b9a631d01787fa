//! The model owns every call's precondition: which source kind fits which
//! mode, `futex_wake(n >= 1)`, `wait(max >= 1)`, which cancel mode fits which
//! registration. `apply` refuses what they refuse (no step at all), so a
//! history that makes such a call and claims a result cannot be linearized.

use onering_model::{
    futex_wake_fits, profile, Action, Bound, CancelMode, Mode, Model, Refusal, Scenario,
    SourceKind, PROFILES, UNIFIED,
};

#[test]
fn every_profile_scenario_fits_its_profile() {
    for r in PROFILES {
        for s in r.scenarios {
            assert_eq!(r.mode_fits(s.source, s.mode), Ok(()), "{} {s}", r.name);
        }
    }
}

#[test]
fn unified_mode_fit_is_the_ports_table() {
    use Mode as M;
    use SourceKind as S;
    for kind in SourceKind::ALL {
        for mode in Mode::ALL {
            let fits = match kind {
                S::Level | S::Counter | S::Sticky => mode.is_readiness(),
                S::Operation => matches!(mode, M::Single | M::Multishot),
                S::Futex => mode == M::Single,
            };
            assert_eq!(
                UNIFIED.mode_fits(kind, mode).is_ok(),
                fits,
                "{}/{}",
                kind.name(),
                mode.name()
            );
        }
    }
}

#[test]
fn register_of_a_level_source_with_mode_single_is_refused() {
    let sc = Scenario::new(SourceKind::Level, Mode::Single);
    assert_eq!(
        UNIFIED.mode_fits(sc.source, sc.mode),
        Err(Refusal::ModeMismatch {
            kind: SourceKind::Level,
            mode: Mode::Single
        })
    );
    // No model of such a scenario ...
    let err = Model::new(UNIFIED, sc, Bound::default()).unwrap_err();
    assert!(err.to_string().contains("does not fit"), "{err}");
    // ... and in a history model, no register step.
    let m = Model::for_histories(UNIFIED, sc, 1, 1).unwrap();
    let mut out = Vec::new();
    m.apply(
        &m.init_free(),
        Action::Register { thread: 0, key: 0 },
        &mut out,
    );
    assert!(out.is_empty(), "register level/single took a step");
    // A fitting mode does register.
    let m = Model::for_histories(
        UNIFIED,
        Scenario::new(SourceKind::Level, Mode::Dispatch),
        1,
        1,
    )
    .unwrap();
    m.apply(
        &m.init_free(),
        Action::Register { thread: 0, key: 0 },
        &mut out,
    );
    assert_eq!(out.len(), 1);
}

#[test]
fn futex_wake_of_zero_is_refused() {
    assert_eq!(futex_wake_fits(0), Err(Refusal::ZeroWake));
    assert_eq!(futex_wake_fits(1), Ok(()));
    let m = Model::for_histories(
        UNIFIED,
        Scenario::new(SourceKind::Futex, Mode::Single),
        1,
        1,
    )
    .unwrap();
    let mut s = m.init_free();
    let mut out = Vec::new();
    m.apply(&s, Action::Register { thread: 0, key: 0 }, &mut out);
    s = out.pop().unwrap().next;
    m.apply(&s, Action::FutexWake { n: 0 }, &mut out);
    assert!(out.is_empty(), "futex_wake(0) took a step");
    m.apply(&s, Action::FutexWake { n: 1 }, &mut out);
    // Two outcomes under unified: the final queued by the wake, or left to
    // a kernel step of its own (`Rules::deferred_futex_finals`, F15); the
    // wake releases the one waiter in both.
    assert_eq!(out.len(), 2);
    assert!(out.iter().all(|o| o.shown.released == 1));
}

#[test]
fn cancel_modes_fit_by_kind_in_unified() {
    for kind in SourceKind::ALL {
        let mode = if kind.is_readiness() {
            Mode::Dispatch
        } else {
            Mode::Single
        };
        for cancel in [CancelMode::Sync, CancelMode::Async, CancelMode::Reap] {
            let fits = kind.is_readiness() == (cancel == CancelMode::Sync);
            assert_eq!(UNIFIED.cancel_fits(kind, mode, cancel).is_ok(), fits);
        }
    }
    // io_uring's multishot poll is a request: cancelled asynchronously.
    let uring = profile("io_uring").unwrap();
    assert_eq!(uring.mode_fits(SourceKind::Level, Mode::Multishot), Ok(()));
    assert_eq!(
        uring.cancel_modes(SourceKind::Level, Mode::Multishot),
        &[CancelMode::Async]
    );
}
