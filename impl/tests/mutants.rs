//! Every mutant changes observable behaviour in a small deterministic
//! scenario (the property it violates is named on each scenario).

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::Arc;
use std::thread;
use std::time::{Duration, Instant};

use common::{poll, Worker};
use onering::{
    CancelMode, CancelOutcome, Config, Event, Events, Mode, Mutant, Port, SimBackend, SourceKind,
    Timeout,
};

fn port(m: Option<Mutant>) -> Arc<Port> {
    Arc::new(Port::with_config(
        SimBackend::new(),
        Config {
            history: false,
            mutant: m,
        },
    ))
}

/// What a scenario observed: cancel outcomes and batches, in order.
#[derive(Debug, PartialEq, Eq)]
enum Obs {
    Cancel(CancelOutcome),
    Batch(Vec<Event>),
    /// The blocked waiter returned promptly after the raise.
    Woken(bool),
}

/// The scenario that exposes mutant `m`, run on a port with mutant `on`.
fn scenario(m: Mutant, on: Option<Mutant>) -> Vec<Obs> {
    let port = port(on);
    let mut obs = Vec::new();
    match m {
        // no-event-after-cancel
        Mutant::CancelNoPurge => {
            let s = port.add_source(SourceKind::Level);
            let k = port.register(s, Mode::Level).unwrap();
            port.raise(s).unwrap();
            obs.push(Obs::Cancel(port.cancel(k, CancelMode::Sync).unwrap()));
            obs.push(Obs::Batch(poll(&port, 4)));
        }
        // rearm-rechecks-level
        Mutant::RearmNoRecheck => {
            let s = port.add_source(SourceKind::Level);
            let k = port.register(s, Mode::Oneshot).unwrap();
            port.raise(s).unwrap();
            obs.push(Obs::Batch(poll(&port, 4)));
            port.rearm(k).unwrap();
            obs.push(Obs::Batch(poll(&port, 4)));
        }
        // no-duplicate-delivery
        Mutant::DispatchRequeuesWhileHeld => {
            let s = port.add_source(SourceKind::Level);
            port.register(s, Mode::Dispatch).unwrap();
            port.raise(s).unwrap();
            obs.push(Obs::Batch(poll(&port, 4)));
            port.raise(s).unwrap();
            obs.push(Obs::Batch(Worker::new().poll(&port, 4)));
        }
        // no-lost-wakeup
        Mutant::MissingWakeup => {
            let s = port.add_source(SourceKind::Level);
            port.register(s, Mode::Dispatch).unwrap();
            let p = Arc::clone(&port);
            let waiter = thread::spawn(move || {
                let mut evs = Events::new();
                p.wait(&mut evs, 4, Timeout::after(Duration::from_secs(3)))
                    .unwrap();
            });
            let start = Instant::now();
            while port.waiting() == 0 {
                assert!(start.elapsed() < Duration::from_secs(10));
                thread::yield_now();
            }
            let raised = Instant::now();
            port.raise(s).unwrap();
            waiter.join().unwrap();
            obs.push(Obs::Woken(raised.elapsed() < Duration::from_millis(1500)));
        }
        // honest-cancel, exactly-one-terminal
        Mutant::CancelledAfterQueued => {
            let op = port.add_source(SourceKind::Operation);
            let k = port.submit(op, Mode::Single).unwrap();
            port.complete(op, 5).unwrap();
            obs.push(Obs::Cancel(port.cancel(k, CancelMode::Async).unwrap()));
            obs.push(Obs::Batch(poll(&port, 4)));
        }
        // exactly-one-terminal
        Mutant::SecondFinal => {
            let op = port.add_source(SourceKind::Operation);
            port.submit(op, Mode::Single).unwrap();
            port.complete(op, 5).unwrap();
            obs.push(Obs::Batch(poll(&port, 4)));
            obs.push(Obs::Batch(poll(&port, 4)));
        }
        // teardown-safe
        Mutant::RemovedWhileHeld => {
            let s = port.add_source(SourceKind::Level);
            let k = port.register(s, Mode::Level).unwrap();
            port.raise(s).unwrap();
            let holder = Worker::new();
            obs.push(Obs::Batch(holder.poll(&port, 4)));
            obs.push(Obs::Cancel(port.cancel(k, CancelMode::Sync).unwrap()));
        }
    }
    obs
}

fn caught(m: Mutant) {
    let good = scenario(m, None);
    let bad = scenario(m, Some(m));
    assert_ne!(good, bad, "mutant {} not observable", m.name());
}

#[test]
fn every_mutant_changes_observable_behaviour() {
    for m in Mutant::ALL {
        // MissingWakeup is timing-based and has its own test.
        if m != Mutant::MissingWakeup {
            caught(m);
        }
    }
}

#[test]
fn mutant_cancel_no_purge_reports_event_after_cancel() {
    let bad = scenario(Mutant::CancelNoPurge, Some(Mutant::CancelNoPurge));
    assert!(matches!(&bad[1], Obs::Batch(b) if b.len() == 1));
    let good = scenario(Mutant::CancelNoPurge, None);
    assert_eq!(good[1], Obs::Batch(vec![]));
}

#[test]
fn mutant_rearm_no_recheck_loses_true_level() {
    let good = scenario(Mutant::RearmNoRecheck, None);
    assert!(matches!(&good[1], Obs::Batch(b) if b.len() == 1));
    let bad = scenario(Mutant::RearmNoRecheck, Some(Mutant::RearmNoRecheck));
    assert_eq!(bad[1], Obs::Batch(vec![]));
}

#[test]
fn mutant_dispatch_requeues_while_held_duplicates_delivery() {
    let good = scenario(Mutant::DispatchRequeuesWhileHeld, None);
    assert_eq!(good[1], Obs::Batch(vec![]));
    let bad = scenario(
        Mutant::DispatchRequeuesWhileHeld,
        Some(Mutant::DispatchRequeuesWhileHeld),
    );
    assert!(matches!(&bad[1], Obs::Batch(b) if b.len() == 1));
}

#[test]
fn mutant_missing_wakeup_leaves_waiter_blocked() {
    assert_eq!(
        scenario(Mutant::MissingWakeup, None),
        vec![Obs::Woken(true)]
    );
    assert_eq!(
        scenario(Mutant::MissingWakeup, Some(Mutant::MissingWakeup)),
        vec![Obs::Woken(false)]
    );
}

#[test]
fn mutant_cancelled_after_queued_gives_two_terminals() {
    let good = scenario(Mutant::CancelledAfterQueued, None);
    assert_eq!(good[0], Obs::Cancel(CancelOutcome::Pending));
    let bad = scenario(
        Mutant::CancelledAfterQueued,
        Some(Mutant::CancelledAfterQueued),
    );
    assert_eq!(
        bad[0],
        Obs::Cancel(CancelOutcome::Removed { completion: None })
    );
    // ...and the final completion is still delivered: two terminal outcomes.
    assert!(matches!(&bad[1], Obs::Batch(b) if b.len() == 1 && b[0].is_final()));
}

#[test]
fn mutant_second_final_posts_two_finals() {
    let good = scenario(Mutant::SecondFinal, None);
    assert_eq!(good[1], Obs::Batch(vec![]));
    let bad = scenario(Mutant::SecondFinal, Some(Mutant::SecondFinal));
    assert!(matches!(&bad[1], Obs::Batch(b) if b.len() == 1 && b[0].is_final()));
}

#[test]
fn mutant_removed_while_held_breaks_teardown_safety() {
    let good = scenario(Mutant::RemovedWhileHeld, None);
    assert_eq!(good[1], Obs::Cancel(CancelOutcome::Pending));
    let bad = scenario(Mutant::RemovedWhileHeld, Some(Mutant::RemovedWhileHeld));
    assert_eq!(
        bad[1],
        Obs::Cancel(CancelOutcome::Removed { completion: None })
    );
}
