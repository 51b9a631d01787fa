//! Single-threaded (plus a helper thread where holding matters) tests of the
//! unified profile's delivery, cancel, close, futex and key rules. Each test
//! is named after the rule it pins.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::Arc;

use common::{poll, Worker};
use onering::{
    CancelMode, CancelOutcome, Completion, Config, Error, Event, EventKind, Key, Mode, Port,
    SimBackend, SourceKind, StateName,
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

// ----- delivery rules ------------------------------------------------------

#[test]
fn level_rereports_still_true_condition_after_release() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    // The next wait releases the hold; the condition still holds.
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    port.lower(s).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
}

#[test]
fn level_not_rereported_to_another_thread_while_held() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    let other = Worker::new();
    port.raise(s).unwrap();
    assert_eq!(other.poll(&port, 4), vec![]);
    // The holder's rearm releases: now the other thread gets it.
    port.rearm(k).unwrap();
    assert_eq!(other.poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![]);
}

#[test]
fn edge_keeps_one_pending_edge_while_held() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Edge).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    let other = Worker::new();
    port.raise(s).unwrap();
    port.raise(s).unwrap();
    assert_eq!(other.poll(&port, 4), vec![]);
    // Released at the holder's next wait: exactly one pending edge.
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![]);
}

#[test]
fn edge_does_not_rereport_without_new_edge() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Edge).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![]);
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
}

#[test]
fn dispatch_disarmed_on_delivery_rearmed_at_holders_next_wait() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(port.state(k), Ok(StateName::Disarmed));
    let other = Worker::new();
    port.raise(s).unwrap();
    assert_eq!(other.poll(&port, 4), vec![]);
    // The holder's next wait re-arms and re-checks the level.
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    port.lower(s).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(port.state(k), Ok(StateName::Armed));
}

#[test]
fn oneshot_needs_explicit_rearm() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(port.state(k), Ok(StateName::Disarmed));
    port.rearm(k).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
}

#[test]
fn rearm_rechecks_level() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    port.rearm(k).unwrap(); // condition still holds: queued now
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    // Condition lowered: rearm queues nothing.
    port.lower(s).unwrap();
    port.rearm(k).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
}

#[test]
fn modify_changes_mode_and_rechecks_level() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![]);
    port.modify(k, Mode::Level).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert!(matches!(
        port.modify(k, Mode::Single),
        Err(Error::ModeMismatch { .. })
    ));
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
fn coalesced_registration_queued_at_most_once() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Edge).unwrap();
    for _ in 0..5 {
        port.raise(s).unwrap();
    }
    assert_eq!(poll(&port, 8), vec![ready(k)]);
    assert_eq!(poll(&port, 8), vec![]);
}

#[test]
fn batch_bounds_at_most_max_and_no_key_twice() {
    let port = Port::new();
    let keys: Vec<_> = (0..5)
        .map(|_| {
            let s = port.add_source(SourceKind::Level);
            let k = port.register(s, Mode::Level).unwrap();
            port.raise(s).unwrap();
            k
        })
        .collect();
    let b1 = poll(&port, 3);
    assert_eq!(b1.len(), 3);
    // Level re-reports after release, but never twice in one batch.
    let b2 = poll(&port, 10);
    assert_eq!(b2.len(), 5);
    let mut seen: Vec<_> = b2.iter().map(|e| e.key).collect();
    seen.sort();
    seen.dedup();
    assert_eq!(seen, keys);
    assert!(matches!(
        port.wait(&mut onering::Events::new(), 0, onering::Timeout::Poll),
        Err(Error::ZeroMax)
    ));
}

#[test]
fn ready_queue_is_fifo() {
    let port = Port::new();
    let srcs: Vec<_> = (0..4).map(|_| port.add_source(SourceKind::Level)).collect();
    let keys: Vec<_> = srcs
        .iter()
        .map(|&s| port.register(s, Mode::Dispatch).unwrap())
        .collect();
    for &i in &[2usize, 0, 3, 1] {
        port.raise(srcs[i]).unwrap();
    }
    let got: Vec<_> = poll(&port, 1)
        .into_iter()
        .chain(poll(&port, 2))
        .map(|e| e.key)
        .collect();
    assert_eq!(got, vec![keys[2], keys[0], keys[3]]);
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
fn sticky_never_lowers() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Sticky);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    assert_eq!(port.lower(s), Err(Error::InvalidStep(s)));
    // Nothing to consume, and no second raise: the model's Sticky source is
    // raised once and never lowers.
    assert_eq!(port.consume(s), Err(Error::InvalidStep(s)));
    assert_eq!(port.raise(s), Err(Error::InvalidStep(s)));
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![ready(k)]);
}

// ----- cancel ----------------------------------------------------------------

#[test]
fn cancel_sync_purges_queued_event_and_removes() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(removed()));
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(
        port.cancel(k, CancelMode::Sync),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn cancel_sync_by_the_holder_removes() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(removed()));
    assert_eq!(poll(&port, 4), vec![]);
}

#[test]
fn cancel_sync_while_other_thread_holds_is_pending_then_one_final_at_release() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4), vec![ready(k)]);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    assert_eq!(port.state(k), Ok(StateName::CancelPending));
    // A second cancel: Pending again, same single final event.
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    // Nothing until the holder releases.
    assert_eq!(poll(&port, 4), vec![]);
    // The holder's next wait releases; the final goes to whoever waits.
    assert_eq!(holder.poll(&port, 4), vec![final_ev(k, None, true)]);
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(
        port.cancel(k, CancelMode::Sync),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn cancel_pending_final_queued_when_holder_rearms() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4), vec![ready(k)]);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    let p = Arc::clone(&port);
    holder.run(move || p.rearm(k)).unwrap();
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
}

#[test]
fn cancel_modes_must_fit_the_key() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Err(Error::CancelModeMismatch {
            key: k,
            mode: CancelMode::Async
        })
    );
    let op = port.add_source(SourceKind::Operation);
    let ko = port.submit(op, Mode::Single).unwrap();
    assert!(port.cancel(ko, CancelMode::Sync).is_err());
}

#[test]
fn cancel_async_in_flight_is_pending_then_one_cancelled_final() {
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
    // The cancel won: a late completion is refused.
    assert_eq!(port.complete(op, 7), Err(Error::NotInFlight(op)));
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn cancel_async_never_removes_a_queued_completion() {
    let port = Port::new();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    port.complete(op, 42).unwrap();
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    // The completion won the race: its real result.
    assert_eq!(poll(&port, 4), vec![final_ev(k, Some(42), false)]);
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::NotFound)
    );
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
fn cancel_reap_in_flight_is_like_async() {
    let port = Port::new();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    assert_eq!(port.cancel(k, CancelMode::Reap), Ok(CancelOutcome::Pending));
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
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
fn cancel_reap_while_other_thread_holds_an_item_is_pending() {
    let port = Arc::new(Port::new());
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 1).unwrap();
    let holder = Worker::new();
    assert_eq!(
        holder.poll(&port, 4),
        vec![Event {
            key: k,
            kind: EventKind::Item { value: 1 }
        }]
    );
    port.complete(op, 9).unwrap();
    assert_eq!(port.cancel(k, CancelMode::Reap), Ok(CancelOutcome::Pending));
    // Teardown-safe: the final is not delivered while the item is held.
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(holder.poll(&port, 4), vec![final_ev(k, Some(9), false)]);
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

// ----- keys --------------------------------------------------------------------

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

// ----- close ---------------------------------------------------------------------

#[test]
fn close_purges_queued_events_and_silences_source() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    port.close(s).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
    assert_eq!(port.raise(s), Err(Error::Closed(s)));
    assert_eq!(port.register(s, Mode::Level), Err(Error::Closed(s)));
    assert_eq!(port.state(k), Ok(StateName::Closed));
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(removed()));
}

#[test]
fn close_while_held_then_cancel_is_pending() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4), vec![ready(k)]);
    port.close(s).unwrap();
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    assert_eq!(holder.poll(&port, 4), vec![final_ev(k, None, true)]);
}

// ----- futex -----------------------------------------------------------------------

#[test]
fn futex_wake_releases_min_n_waiting() {
    let port = Port::new();
    let w = port.add_source(SourceKind::Futex);
    let keys: Vec<_> = (0..3)
        .map(|_| port.submit(w, Mode::Single).unwrap())
        .collect();
    assert_eq!(port.futex_wake(w, 0), Ok(0));
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
fn modes_must_fit_the_source() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let op = port.add_source(SourceKind::Operation);
    assert!(matches!(
        port.register(op, Mode::Level),
        Err(Error::ModeMismatch { .. })
    ));
    assert!(matches!(
        port.register(s, Mode::Single),
        Err(Error::ModeMismatch { .. })
    ));
    assert!(matches!(
        port.submit(s, Mode::Single),
        Err(Error::ModeMismatch { .. })
    ));
    let ko = port.submit(op, Mode::Single).unwrap();
    assert!(matches!(port.rearm(ko), Err(Error::ModeMismatch { .. })));
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
fn holder_cancel_after_pending_queues_the_one_final() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4), vec![ready(k)]);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    // The holder cancels too: its hold ends, so the promised final is queued.
    let p = Arc::clone(&port);
    assert_eq!(
        holder.run(move || p.cancel(k, CancelMode::Sync)),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
    assert_eq!(
        port.cancel(k, CancelMode::Sync),
        Ok(CancelOutcome::NotFound)
    );
}

#[test]
fn item_holder_cancel_after_pending_queues_the_one_final() {
    let port = Arc::new(Port::new());
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 1).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4).len(), 1);
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(poll(&port, 4), vec![]);
    let p = Arc::clone(&port);
    assert_eq!(
        holder.run(move || p.cancel(k, CancelMode::Async)),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
}

#[test]
fn deferred_cancel_completion_wins_race_with_real_result() {
    let port = Port::with_config(SimBackend::with_deferred_cancel(), Config::default());
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    assert_eq!(
        port.cancel(k, CancelMode::Async),
        Ok(CancelOutcome::Pending)
    );
    assert_eq!(port.state(k), Ok(StateName::InFlight));
    assert_eq!(poll(&port, 4), vec![]);
    port.complete(op, 3).unwrap();
    assert_eq!(port.cancel_lands(op), Err(Error::NotInFlight(op)));
    assert_eq!(poll(&port, 4), vec![final_ev(k, Some(3), false)]);
}

#[test]
fn deferred_cancel_landing_posts_cancelled_final() {
    let port = Port::with_config(SimBackend::with_deferred_cancel(), Config::default());
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    assert_eq!(port.cancel(k, CancelMode::Reap), Ok(CancelOutcome::Pending));
    port.cancel_lands(op).unwrap();
    assert_eq!(port.complete(op, 3), Err(Error::NotInFlight(op)));
    assert_eq!(poll(&port, 4), vec![final_ev(k, None, true)]);
}

#[test]
fn operation_entries_keep_their_queue_position_while_held() {
    let port = Arc::new(Port::new());
    let op = port.add_source(SourceKind::Operation);
    let a = port.submit(op, Mode::Multishot).unwrap();
    let s = port.add_source(SourceKind::Level);
    let b = port.register(s, Mode::Dispatch).unwrap();
    port.stream_item(op, 1).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 1).len(), 1); // holds item 1 of `a`
    port.stream_item(op, 2).unwrap(); // queued before `b`'s event
    port.raise(s).unwrap();
    // Another thread skips `a` (held) and takes `b`.
    let other = Worker::new();
    assert_eq!(other.poll(&port, 4), vec![ready(b)]);
    port.stream_item(op, 3).unwrap();
    // The holder's release: item 2 is still first in line, then item 3 is
    // the same key (not twice in a batch).
    assert_eq!(
        holder.poll(&port, 4),
        vec![Event {
            key: a,
            kind: EventKind::Item { value: 2 }
        }]
    );
}

#[test]
fn rearm_of_armed_edge_does_not_invent_an_edge() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Edge).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 4), vec![ready(k)]);
    assert_eq!(poll(&port, 4), vec![]);
    // Armed, not held, condition true, no new edge: nothing to report.
    port.rearm(k).unwrap();
    assert_eq!(poll(&port, 4), vec![]);
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
