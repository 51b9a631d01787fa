//! Port API facts that the model's vocabulary leaves out: the values events
//! and answers carry (results, items, reaped completions, counter counts),
//! the error variants, generation numbers, several registrations of one
//! source, backend signals.
//!
//! The rules themselves are in the one corpus (`corpus/rules/*.toml`), run
//! against the model and the Port by `model/tests/corpus.rs` and
//! `impl/tests/corpus.rs`; a test here restates a rule only to pin one of
//! those Port-only facts.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::Arc;

use common::{poll, Worker};
use onering::{
    CancelMode, CancelOutcome, Completion, Error, Event, EventKind, Key, Mode, Port, SourceKind,
    StateName,
};

fn ready(key: Key) -> Event {
    Event {
        key,
        kind: EventKind::Ready,
    }
}

fn final_ev(key: Key, result: Option<i64>, cancelled: bool) -> Event {
    Event {
        key,
        kind: EventKind::Final { result, cancelled },
    }
}

fn removed() -> CancelOutcome {
    CancelOutcome::Removed { completion: None }
}

#[test]
fn register_with_condition_true_queues_at_once() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    port.raise(s).unwrap();
    let kl = port.register(s, Mode::Level).unwrap();
    let ke = port.register(s, Mode::Edge).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(kl), ready(ke)]);
}

#[test]
fn counter_increments_coalesce_and_consume_clears() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Counter);
    let k = port.register(s, Mode::Level).unwrap();
    port.increment(s, 2).unwrap();
    port.increment(s, 3).unwrap();
    assert_eq!(port.count(s), 5);
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    port.consume(s).unwrap();
    assert_eq!(port.count(s), 0);
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(port.raise(s), Err(Error::InvalidStep(s)));
}

#[test]
fn cancel_reap_removes_queued_completion_and_returns_it() {
    let port = Port::new();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    port.complete(op, 42).unwrap();
    assert_eq!(
        port.cancel(k, CancelMode::Reap),
        Ok(CancelOutcome::Removed {
            completion: Some(Completion {
                result: Some(42),
                cancelled: false
            })
        })
    );
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(
        port.cancel(k, CancelMode::Reap),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn cancel_reap_after_pending_reaps_the_queued_cancelled_final() {
    // As in the model: once only the final event is queued and nobody holds
    // an item, Reap takes it as the terminal outcome, whatever an earlier
    // cancel answered.
    let port = Port::new();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(
        port.cancel(k, CancelMode::Reap),
        Ok(CancelOutcome::Removed {
            completion: Some(Completion {
                result: None,
                cancelled: true
            })
        })
    );
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(
        port.cancel(k, CancelMode::Reap),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn multishot_streams_items_one_at_a_time_then_one_final() {
    let port = Arc::new(Port::new());
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 1).unwrap();
    port.stream_item(op, 2).unwrap();
    port.complete(op, 0).unwrap();
    let item = |value| Event {
        key: k,
        kind: EventKind::Item { value },
    };
    assert_eq!(poll(&port, 4), vec![item(1)]);
    let other = Worker::new();
    assert_eq!(other.poll(&port, 4), vec![]);
    assert_eq!(poll(&port, 4), vec![item(2)]);
    assert_eq!(poll(&port, 4), vec![final_ev(k, Some(0), false)]);
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(port.stream_item(op, 3), Err(Error::NotInFlight(op)));
}

#[test]
fn operation_submitted_once_while_live() {
    let port = Port::new();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    assert_eq!(
        port.submit(op, Mode::Single),
        Err(Error::AlreadySubmitted(op))
    );
    assert_eq!(port.stream_item(op, 1), Err(Error::InvalidStep(op)));
    port.complete(op, 1).unwrap();
    assert_eq!(port.complete(op, 2), Err(Error::NotInFlight(op)));
    assert_eq!(poll(&port, 4), vec![final_ev(k, Some(1), false)]);
}

#[test]
fn key_reuse_bumps_generation_and_old_event_never_reported() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k1 = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    assert_eq!(port.cancel(k1, CancelMode::Sync), Ok(removed()));
    let s2 = port.add_source(SourceKind::Level);
    let k2 = port.register(s2, Mode::Level).unwrap();
    assert_eq!(k2.index, k1.index);
    assert_eq!(k2.generation, k1.generation + 1);
    // The old (purged) entry is not reported under the new registration.
    assert_eq!(poll(&port, 4), vec![]);
    port.raise(s2).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k2)]);
    assert_eq!(port.rearm(k1), Err(Error::StaleKey(k1)));
    assert_eq!(
        port.cancel(k1, CancelMode::Sync),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn unknown_and_stale_keys_are_errors_not_panics() {
    let port = Port::new();
    let bogus = Key {
        index: 7,
        generation: 0,
    };
    assert_eq!(port.rearm(bogus), Err(Error::UnknownKey(bogus)));
    assert_eq!(
        port.cancel(bogus, CancelMode::Sync),
        Err(Error::UnknownKey(bogus))
    );
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    let future = Key {
        index: k.index,
        generation: k.generation + 3,
    };
    assert_eq!(
        port.modify(future, Mode::Edge),
        Err(Error::UnknownKey(future))
    );
    port.cancel(k, CancelMode::Sync).unwrap();
    assert_eq!(port.modify(k, Mode::Edge), Err(Error::StaleKey(k)));
    assert_eq!(port.state(k), Err(Error::StaleKey(k)));
    let nosrc = onering::SourceId(99);
    assert_eq!(
        port.register(nosrc, Mode::Level),
        Err(Error::UnknownSource(nosrc))
    );
}

#[test]
fn futex_wake_releases_min_n_waiting() {
    let port = Port::new();
    let w = port.add_source(SourceKind::Futex);
    let keys: Vec<_> = (0..3)
        .map(|_| port.submit(w, Mode::Single).unwrap())
        .collect();
    assert_eq!(port.futex_wake(w, 0), Err(Error::ZeroWake(w)));
    assert_eq!(port.futex_wake(w, 2), Ok(2));
    let got: Vec<_> = poll(&port, 8).iter().map(|e| e.key).collect();
    assert_eq!(got, keys[..2]);
    assert_eq!(port.futex_wake(w, 5), Ok(1));
    assert_eq!(poll(&port, 8), vec![final_ev(keys[2], Some(0), false)]);
    assert_eq!(port.futex_wake(w, 5), Ok(0));
}

#[test]
fn futex_wait_cancel_then_wake_skips_it() {
    let port = Port::new();
    let w = port.add_source(SourceKind::Futex);
    let k1 = port.submit(w, Mode::Single).unwrap();
    let k2 = port.submit(w, Mode::Single).unwrap();
    assert_eq!(
        port.cancel(k1, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(port.futex_wake(w, 1), Ok(1));
    assert_eq!(
        poll(&port, 8),
        vec![final_ev(k1, None, true), final_ev(k2, Some(0), false)]
    );
    assert_eq!(
        port.submit(w, Mode::Multishot),
        Err(Error::ModeMismatch {
            kind: SourceKind::Futex,
            mode: Mode::Multishot
        })
    );
}

#[test]
fn condition_lowered_while_queued_is_not_reported_in_any_mode() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let kl = port.register(s, Mode::Dispatch).unwrap();
    let ke = port.register(s, Mode::Edge).unwrap();
    port.raise(s).unwrap();
    port.lower(s).unwrap();
    // The edge happened but the condition no longer holds when a wait
    // reaches it: stale, dropped (the model re-polls at harvest, as epoll
    // re-polls edge-triggered items too).
    assert_eq!(poll(&port, 4), vec![]);
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(kl), ready(ke)]);
}

#[test]
fn backend_signals_drive_the_port_generically() {
    use onering::Signal;
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let kl = port.register(s, Mode::Level).unwrap();
    let ke = port.register(s, Mode::Edge).unwrap();
    // A wake-up whose condition the backend does not report: queued for the
    // edge registration, then dropped at harvest as stale.
    assert_eq!(port.signal(Signal::Wake(s)), Ok(1));
    assert_eq!(poll(&port, 4), vec![]);
    let _ = ke;
    let op = port.add_source(SourceKind::Operation);
    let ko = port.submit(op, Mode::Single).unwrap();
    assert_eq!(
        port.signal(Signal::Complete {
            source: op,
            result: Some(-4),
            cancelled: false
        }),
        Ok(1)
    );
    assert_eq!(poll(&port, 4), vec![final_ev(ko, Some(-4), false)]);
    assert_eq!(port.signal(Signal::Close(s)), Ok(2));
    assert_eq!(port.state(kl), Ok(StateName::Closed));
    assert_eq!(
        port.signal(Signal::Item(op, 1)),
        Err(Error::NotInFlight(op))
    );
}
