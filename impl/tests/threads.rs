//! Real-thread tests on `std`: duplicate delivery, blocked waiters and
//! timeouts.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier};
use std::thread;
use std::time::{Duration, Instant};

use common::{poll, Worker};
use onering::{CancelMode, CancelOutcome, EventKind, Events, Mode, Port, SourceKind, Timeout};

/// Waits until `n` threads are parked in `wait` (bounded).
fn until_parked(port: &Port, n: usize) {
    let start = Instant::now();
    while port.waiting() < n {
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "waiter never parked"
        );
        thread::yield_now();
    }
}

#[test]
fn two_waiters_one_dispatch_event_exactly_one_gets_it() {
    for _ in 0..100 {
        let port = Arc::new(Port::new());
        let s = port.add_source(SourceKind::Level);
        let k = port.register(s, Mode::Dispatch).unwrap();
        let barrier = Arc::new(Barrier::new(3));
        let waiters: Vec<_> = (0..2)
            .map(|_| {
                let (port, barrier) = (Arc::clone(&port), Arc::clone(&barrier));
                thread::spawn(move || {
                    barrier.wait();
                    let mut evs = Events::new();
                    port.wait(&mut evs, 4, Timeout::after(Duration::from_millis(20)))
                        .unwrap();
                    // Keep holding: no second wait.
                    evs.iter().filter(|e| e.key == k).count()
                })
            })
            .collect();
        barrier.wait();
        port.raise(s).unwrap();
        let got: usize = waiters.into_iter().map(|h| h.join().unwrap()).sum();
        assert_eq!(got, 1);
    }
}

#[test]
fn blocked_waiter_woken_by_raise_from_another_thread() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    let p = Arc::clone(&port);
    let waiter = thread::spawn(move || {
        let mut evs = Events::new();
        p.wait(&mut evs, 4, Timeout::Block).unwrap();
        evs.as_slice().to_vec()
    });
    until_parked(&port, 1);
    port.raise(s).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].key, k);
}

#[test]
fn blocked_waiter_woken_when_release_requeues_level() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4).len(), 1);
    let p = Arc::clone(&port);
    let waiter = thread::spawn(move || {
        let mut evs = Events::new();
        p.wait(&mut evs, 4, Timeout::Block).unwrap();
        evs.as_slice().to_vec()
    });
    until_parked(&port, 1);
    // The holder's rearm releases; the still-true level is re-queued and the
    // parked waiter must be woken.
    let p = Arc::clone(&port);
    holder.run(move || p.rearm(k)).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].key, k);
}

#[test]
fn blocked_waiter_woken_by_pending_cancel_final() {
    let port = Arc::new(Port::new());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let holder = Worker::new();
    assert_eq!(holder.poll(&port, 4).len(), 1);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    let p = Arc::clone(&port);
    let waiter = thread::spawn(move || {
        let mut evs = Events::new();
        p.wait(&mut evs, 4, Timeout::Block).unwrap();
        evs.as_slice().to_vec()
    });
    until_parked(&port, 1);
    let p = Arc::clone(&port);
    // The holder's next wait releases and queues the final; the holder may
    // take it itself, or the parked waiter does.
    let mine = holder.run(move || poll(&p, 4));
    if mine.is_empty() {
        let evs = waiter.join().unwrap();
        assert!(evs[0].is_final());
    } else {
        assert!(mine[0].is_final());
        // Unblock the waiter with an unrelated event.
        let s2 = port.add_source(SourceKind::Sticky);
        port.register(s2, Mode::Level).unwrap();
        port.raise(s2).unwrap();
        assert!(!waiter.join().unwrap()[0].is_final());
    }
}

#[test]
fn deadline_timeout_returns_empty() {
    let port = Port::new();
    let mut evs = Events::new();
    let start = Instant::now();
    let n = port
        .wait(&mut evs, 4, Timeout::after(Duration::from_millis(30)))
        .unwrap();
    assert_eq!(n, 0);
    assert!(start.elapsed() >= Duration::from_millis(30));
    let past = Instant::now() - Duration::from_millis(1);
    assert_eq!(port.wait(&mut evs, 4, Timeout::Deadline(past)).unwrap(), 0);
}

#[test]
fn futex_wake_from_another_thread_releases_blocked_waiter() {
    let port = Arc::new(Port::new());
    let w = port.add_source(SourceKind::Futex);
    let k = port.submit(w, Mode::Single).unwrap();
    let p = Arc::clone(&port);
    let waiter = thread::spawn(move || {
        let mut evs = Events::new();
        p.wait(&mut evs, 4, Timeout::Block).unwrap();
        evs.as_slice().to_vec()
    });
    until_parked(&port, 1);
    assert_eq!(port.futex_wake(w, 1), Ok(1));
    let evs = waiter.join().unwrap();
    assert_eq!(evs[0].key, k);
    assert_eq!(
        evs[0].kind,
        EventKind::Final {
            result: Some(0),
            cancelled: false
        }
    );
}

/// Many threads, many Dispatch registrations, a raiser: no registration is
/// ever held by two threads at once (`no-duplicate-delivery`).
#[test]
fn no_duplicate_delivery_under_contention() {
    const KEYS: usize = 8;
    const THREADS: usize = 4;
    let port = Arc::new(Port::new());
    let srcs: Vec<_> = (0..KEYS)
        .map(|_| port.add_source(SourceKind::Level))
        .collect();
    let keys: Vec<_> = srcs
        .iter()
        .map(|&s| port.register(s, Mode::Dispatch).unwrap())
        .collect();
    let held: Arc<Vec<AtomicBool>> = Arc::new((0..KEYS).map(|_| AtomicBool::new(false)).collect());
    let delivered = Arc::new(AtomicUsize::new(0));
    let stop = Arc::new(AtomicBool::new(false));
    let workers: Vec<_> = (0..THREADS)
        .map(|_| {
            let (port, held, delivered, stop) = (
                Arc::clone(&port),
                Arc::clone(&held),
                Arc::clone(&delivered),
                Arc::clone(&stop),
            );
            let keys = keys.clone();
            thread::spawn(move || {
                let mut evs = Events::new();
                let mut mine: Vec<usize> = Vec::new();
                while !stop.load(Ordering::SeqCst) {
                    // Clear our marks before the wait that releases them.
                    for i in mine.drain(..) {
                        held[i].store(false, Ordering::SeqCst);
                    }
                    port.wait(&mut evs, 3, Timeout::after(Duration::from_millis(5)))
                        .unwrap();
                    for e in &evs {
                        let i = keys.iter().position(|k| *k == e.key).unwrap();
                        assert!(
                            !held[i].swap(true, Ordering::SeqCst),
                            "key {} delivered while held",
                            e.key
                        );
                        mine.push(i);
                        delivered.fetch_add(1, Ordering::SeqCst);
                    }
                }
                for i in mine.drain(..) {
                    held[i].store(false, Ordering::SeqCst);
                }
            })
        })
        .collect();
    for round in 0..2000 {
        port.raise(srcs[round % KEYS]).unwrap();
        if round % 3 == 0 {
            port.lower(srcs[(round / 3) % KEYS]).unwrap();
        }
    }
    thread::sleep(Duration::from_millis(50));
    stop.store(true, Ordering::SeqCst);
    for w in workers {
        w.join().unwrap();
    }
    assert!(delivered.load(Ordering::SeqCst) > 0);
}
