//! What the model refuses to build: bounds outside what a state can hold,
//! and unknown profile names. The transition rules of every profile are in
//! the one corpus (`corpus/rules/*.toml`, run by `tests/corpus.rs`).

use onering_model::*;

#[test]
fn bounds_outside_the_representable_range_are_rejected() {
    for b in [
        Bound {
            threads: 0,
            ..Bound::default()
        },
        Bound {
            threads: 5,
            ..Bound::default()
        },
        Bound {
            keys: 9,
            ..Bound::default()
        },
        Bound {
            ops: 9,
            ..Bound::default()
        },
        Bound {
            batch: 0,
            ..Bound::default()
        },
    ] {
        assert!(b.validate().is_err(), "{b}");
    }
    let too_big = Bound {
        keys: 4,
        env: 6,
        ..Bound::default()
    };
    assert!(Model::new(
        UNIFIED,
        Scenario::new(SourceKind::Level, Mode::Level),
        too_big
    )
    .is_err());
}

#[test]
fn every_profile_and_mutant_is_found_by_name() {
    for r in PROFILES.iter().chain(MUTANTS.iter()) {
        assert_eq!(profile(r.name).map(|p| p.name), Some(r.name));
    }
    assert!(profile("epol").is_none());
}

/// The model's bound errors are typed and speak in the bound's field names,
/// never in a command line's flags (the CLI translates them).
#[test]
fn bound_errors_are_typed_and_name_fields_not_flags() {
    let b = Bound {
        threads: 9,
        ..Bound::default()
    };
    let e = b.validate().unwrap_err();
    assert_eq!(
        e,
        BoundError::OutOfRange {
            field: "threads",
            value: 9,
            lo: 1,
            hi: MAX_THREADS
        }
    );
    let b = Bound {
        keys: 4,
        env: 6,
        ..Bound::default()
    };
    let e = b.validate().unwrap_err();
    assert!(
        matches!(
            e,
            BoundError::QueueSlots {
                keys: 4,
                env: 6,
                slots: 36,
                ..
            }
        ),
        "{e:?}"
    );
    for e in [
        Bound {
            threads: 0,
            ..Bound::default()
        }
        .validate()
        .unwrap_err(),
        e,
    ] {
        assert!(!e.to_string().contains("--"), "{e}");
    }
}
