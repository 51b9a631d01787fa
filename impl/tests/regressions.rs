//! Behaviours the history checker (`onering verify`) found the Port
//! disagreeing with the model on, pinned as plain tests.

#![cfg(not(any(loom, feature = "shuttle")))]
#![allow(clippy::disallowed_types)]

use onering::{CancelMode, CancelOutcome, Error, Events, Mode, Port, SourceKind, Timeout};

fn poll(port: &Port, max: usize) -> usize {
    let mut ev = Events::new();
    port.wait(&mut ev, max, Timeout::Poll).unwrap()
}

#[test]
fn second_raise_of_a_sticky_source_is_refused_and_reports_no_new_edge() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Sticky);
    let k = port.register(s, Mode::Edge).unwrap();
    port.raise(s).unwrap();
    assert_eq!(poll(&port, 1), 1);
    assert_eq!(port.raise(s), Err(Error::InvalidStep(s)));
    // The holder's next wait releases: no pending edge, nothing reported.
    assert_eq!(poll(&port, 1), 0);
    let _ = k;
}

#[test]
fn modify_while_a_cancel_is_pending_is_refused() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    std::thread::scope(|sc| {
        sc.spawn(|| assert_eq!(poll(&port, 1), 1)).join().unwrap();
    });
    // The other thread still holds the event: Pending.
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    assert_eq!(port.modify(k, Mode::Level), Err(Error::Cancelling(k)));
}

#[test]
fn cancel_after_the_pending_final_was_queued_is_pending_not_removed() {
    use std::sync::mpsc;
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let (held_tx, held_rx) = mpsc::channel();
    let (cancelled_tx, cancelled_rx) = mpsc::channel();
    std::thread::scope(|sc| {
        let port = &port;
        let holder = sc.spawn(move || {
            assert_eq!(poll(port, 1), 1);
            held_tx.send(()).unwrap();
            cancelled_rx.recv().unwrap();
            // Release without harvesting: the final is queued, undelivered.
            port.rearm(k).unwrap();
        });
        held_rx.recv().unwrap();
        assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
        cancelled_tx.send(()).unwrap();
        holder.join().unwrap();
    });
    // A second cancel must not take the promised final away.
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    assert_eq!(poll(&port, 1), 1);
    assert_eq!(
        port.cancel(k, CancelMode::Sync),
        Ok(CancelOutcome::NotFound)
    );
}
