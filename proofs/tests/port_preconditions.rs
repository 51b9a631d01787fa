//! A history the reference Port records verifies under `unified`, including
//! the calls the Port refuses: the Port and the model share one
//! precondition per call (`onering_model::futex_wake_fits`, `Rules::mode_fits`).

use onering::{Events, Mode, Port, SourceKind, Timeout};
use onering_model::UNIFIED;
use onering_proofs::verify_records;

#[test]
fn a_port_history_with_futex_wake_of_zero_verifies() {
    let port = Port::with_history();
    let f = port.add_source(SourceKind::Futex);
    port.submit(f, Mode::Single).unwrap();
    assert!(port.futex_wake(f, 0).is_err());
    assert_eq!(port.futex_wake(f, 1), Ok(1));
    let mut ev = Events::new();
    assert_eq!(port.wait(&mut ev, 4, Timeout::Poll), Ok(1));
    let v = verify_records(&port.take_history(), &UNIFIED);
    assert!(v.is_linearizable(), "{:?}", v.failure());
}

#[test]
fn a_port_history_with_a_refused_level_single_register_verifies() {
    let port = Port::with_history();
    let s = port.add_source(SourceKind::Level);
    assert!(port.register(s, Mode::Single).is_err());
    port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let mut ev = Events::new();
    assert_eq!(port.wait(&mut ev, 4, Timeout::Poll), Ok(1));
    let v = verify_records(&port.take_history(), &UNIFIED);
    assert!(v.is_linearizable(), "{:?}", v.failure());
}
