//! The Port refuses exactly what the model's preconditions refuse: it asks
//! the model (`onering_model::Rules::mode_fits`, `futex_wake_fits`, ...)
//! rather than restating them.

use onering::{CancelMode, Error, Events, Mode, Port, SourceKind, Timeout};
use onering_model::UNIFIED;

#[test]
fn register_and_submit_accept_exactly_the_modes_the_model_fits() {
    for kind in SourceKind::ALL {
        for mode in Mode::ALL {
            let port = Port::new();
            let s = port.add_source(kind);
            let r = if kind.is_readiness() {
                port.register(s, mode)
            } else {
                port.submit(s, mode)
            };
            assert_eq!(
                r.is_ok(),
                UNIFIED.mode_fits(kind, mode).is_ok(),
                "{}/{}: {r:?}",
                kind.name(),
                mode.name()
            );
            if UNIFIED.mode_fits(kind, mode).is_err() {
                assert_eq!(r, Err(Error::ModeMismatch { kind, mode }));
            }
        }
    }
}

#[test]
fn register_of_a_level_source_with_mode_single_is_refused() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    assert_eq!(
        port.register(s, Mode::Single),
        Err(Error::ModeMismatch {
            kind: SourceKind::Level,
            mode: Mode::Single
        })
    );
}

#[test]
fn futex_wake_of_zero_is_refused_as_the_model_requires() {
    let port = Port::new();
    let f = port.add_source(SourceKind::Futex);
    let key = port.submit(f, Mode::Single).unwrap();
    assert_eq!(port.futex_wake(f, 0), Err(Error::ZeroWake(f)));
    assert_eq!(
        port.signal(onering::Signal::FutexWake(f, 0)),
        Err(Error::ZeroWake(f))
    );
    // Nothing changed: the waiter is still there for a real wake.
    assert_eq!(port.futex_wake(f, 1), Ok(1));
    let mut ev = Events::new();
    assert_eq!(port.wait(&mut ev, 4, Timeout::Poll), Ok(1));
    assert_eq!(ev.as_slice()[0].key, key);
}

#[test]
fn cancel_modes_are_the_models() {
    for kind in SourceKind::ALL {
        for cancel in [CancelMode::Sync, CancelMode::Async, CancelMode::Reap] {
            let port = Port::new();
            let s = port.add_source(kind);
            let mode = if kind.is_readiness() {
                Mode::Dispatch
            } else {
                Mode::Single
            };
            let key = if kind.is_readiness() {
                port.register(s, mode)
            } else {
                port.submit(s, mode)
            }
            .unwrap();
            let r = port.cancel(key, cancel);
            assert_eq!(
                r.is_ok(),
                UNIFIED.cancel_fits(kind, mode, cancel).is_ok(),
                "{} {}: {r:?}",
                kind.name(),
                cancel.name()
            );
        }
    }
}
