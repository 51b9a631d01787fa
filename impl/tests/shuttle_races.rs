//! shuttle runs of two races (randomized schedules; not exhaustive, but
//! scales past loom's bounds). Shows the `sync` facade's shuttle branch.
//!
//! Run: `cargo test -p onering --features shuttle --test shuttle_races`
#![cfg(all(feature = "shuttle", not(loom)))]
// shuttle re-exports std's `Arc`; the facade is the library's, not ours.
#![allow(clippy::disallowed_types)]

use shuttle::sync::Arc;
use shuttle::thread;

use onering::{CancelMode, CancelOutcome, EventKind, Events, Mode, Port, SourceKind, Timeout};

const ITERATIONS: usize = 2000;

/// Two waiters, one `Dispatch` event, a second raise: one delivery.
#[test]
fn two_waiters_vs_one_dispatch_event() {
    shuttle::check_random(
        || {
            let port = Arc::new(Port::new());
            let s = port.add_source(SourceKind::Level);
            port.register(s, Mode::Dispatch).unwrap();
            port.raise(s).unwrap();
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let port = port.clone();
                    thread::spawn(move || {
                        let mut evs = Events::new();
                        port.wait(&mut evs, 2, Timeout::Poll).unwrap()
                    })
                })
                .collect();
            port.raise(s).unwrap();
            let got: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
            assert_eq!(got, 1, "no-duplicate-delivery");
        },
        ITERATIONS,
    );
}

/// `Sync` cancel racing two waiters that take and release a `Level` event:
/// exactly one terminal outcome, and `Removed` only when nobody holds.
#[test]
fn cancel_vs_two_waiters() {
    shuttle::check_random(
        || {
            let port = Arc::new(Port::new());
            let s = port.add_source(SourceKind::Level);
            let k = port.register(s, Mode::Level).unwrap();
            port.raise(s).unwrap();
            let waiters: Vec<_> = (0..2)
                .map(|_| {
                    let port = port.clone();
                    thread::spawn(move || {
                        let mut evs = Events::new();
                        let mut finals = 0;
                        for _ in 0..2 {
                            port.wait(&mut evs, 2, Timeout::Poll).unwrap();
                            finals += evs.iter().filter(|e| e.is_final()).count();
                        }
                        // Release without taking more.
                        let _ = port.rearm(k);
                        finals
                    })
                })
                .collect();
            let o = port.cancel(k, CancelMode::Sync).unwrap();
            let mut terminals: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
            let mut evs = Events::new();
            port.wait(&mut evs, 4, Timeout::Poll).unwrap();
            for e in evs.iter() {
                assert!(
                    matches!(
                        e.kind,
                        EventKind::Final {
                            cancelled: true,
                            ..
                        }
                    ),
                    "no-event-after-cancel: {e:?}"
                );
                terminals += 1;
            }
            if let CancelOutcome::Removed { .. } = o {
                terminals += 1;
            }
            assert_eq!(terminals, 1, "exactly-one-terminal ({o:?})");
        },
        ITERATIONS,
    );
}
