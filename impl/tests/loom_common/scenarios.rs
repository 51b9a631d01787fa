//! The race scenarios, one function per race, each run as one loom
//! execution on a port with an optional mutant. Every scenario asserts the
//! properties it pins; a mutant that one of them should catch makes it panic.

use std::sync::atomic::Ordering::SeqCst;
use std::sync::Arc as StdArc;

use loom::sync::Arc;
use loom::thread;
use onering::{
    CancelMode, CancelOutcome, Config, EventKind, Events, Mode, Mutant, Port, SimBackend,
    SourceKind, Timeout,
};

use super::Obs;

fn port(mutant: Option<Mutant>, history: bool) -> Arc<Port> {
    Arc::new(Port::with_config(
        SimBackend::new(),
        Config { history, mutant },
    ))
}

/// `Sync` cancel racing a waiter that takes and releases a `Dispatch`
/// event. Pins no-event-after-cancel, teardown-safe, exactly-one-terminal.
pub fn cancel_vs_wait(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let t = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            let mut held = false;
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            obs.release(&port, &mut held);
        })
    };
    let o = obs.cancel(&port, &mut false, CancelMode::Sync);
    assert_ne!(o, CancelOutcome::NotFound);
    t.join().unwrap();
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// `Sync` cancel racing a raise and a waiter on a `Level` registration.
/// Pins no-event-after-cancel, teardown-safe, exactly-one-terminal.
pub fn cancel_vs_raise(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let raiser = {
        let port = port.clone();
        thread::spawn(move || port.raise(s).unwrap())
    };
    let canceller = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            obs.cancel(&port, &mut false, CancelMode::Sync);
        })
    };
    let mut held = false;
    obs.wait(&port, &mut held, 2, Timeout::Poll);
    obs.release(&port, &mut held);
    raiser.join().unwrap();
    canceller.join().unwrap();
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// A `Sync` cancel that must answer `Pending` (the main thread holds the
/// key) racing the holder's next wait. Exactly one final event, delivered
/// only once nobody holds the key.
pub fn pending_cancel_vs_holders_next_wait(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let mut held = false;
    assert_eq!(obs.wait(&port, &mut held, 2, Timeout::Poll), 1);
    let canceller = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            let mut held = false;
            let o = obs.cancel(&port, &mut held, CancelMode::Sync);
            // The main thread holds the key from before the spawn until
            // after the join.
            assert_eq!(o, CancelOutcome::Pending, "teardown-safe");
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            obs.release(&port, &mut held);
        })
    };
    // Re-takes the still-true level (or the final, if the cancel came
    // first).
    obs.wait(&port, &mut held, 2, Timeout::Poll);
    canceller.join().unwrap();
    obs.wait(&port, &mut held, 2, Timeout::Poll);
    obs.release(&port, &mut held);
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// Two threads cancel the same key while one of them holds it: one answers
/// `Pending` or both do, and exactly one terminal outcome follows.
pub fn cancel_vs_holders_cancel(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let mut held = false;
    assert_eq!(obs.wait(&port, &mut held, 2, Timeout::Poll), 1);
    let other = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            obs.cancel(&port, &mut false, CancelMode::Sync);
        })
    };
    obs.cancel(&port, &mut held, CancelMode::Sync);
    other.join().unwrap();
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// Two waiters take and release a `Level` event while a third thread
/// cancels it. Pins no-duplicate-delivery, teardown-safe,
/// no-event-after-cancel, exactly-one-terminal.
pub fn cancel_vs_two_waiters(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let (port, obs) = (port.clone(), obs.clone());
            thread::spawn(move || {
                let mut held = false;
                obs.wait(&port, &mut held, 2, Timeout::Poll);
                obs.wait(&port, &mut held, 2, Timeout::Poll);
                obs.release(&port, &mut held);
            })
        })
        .collect();
    obs.cancel(&port, &mut false, CancelMode::Sync);
    for w in waiters {
        w.join().unwrap();
    }
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// `close` racing a waiter that takes and releases a `Level` event, then a
/// cancel. Pins close-removes and exactly-one-terminal.
pub fn close_vs_wait(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let t = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            let mut held = false;
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            obs.release(&port, &mut held);
        })
    };
    obs.close(&port, s);
    let o = obs.cancel(&port, &mut false, CancelMode::Sync);
    assert_ne!(o, CancelOutcome::NotFound);
    t.join().unwrap();
    obs.drain(&port);
    obs.assert_one_terminal();
}

/// `Async`/`Reap` cancel racing the operation's completion and a waiter.
/// Pins honest-cancel, exactly-one-terminal.
pub fn cancel_vs_complete(mode: CancelMode, m: Option<Mutant>) {
    let port = port(m, false);
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let completer = {
        let port = port.clone();
        thread::spawn(move || port.complete(op, 5).is_ok())
    };
    let waiter = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            obs.wait(&port, &mut false, 2, Timeout::Poll);
        })
    };
    let o = obs.cancel(&port, &mut false, mode);
    let completed = completer.join().unwrap();
    waiter.join().unwrap();
    obs.drain(&port);
    obs.assert_one_terminal();
    let finals = obs.finals.lock().unwrap().clone();
    match o {
        CancelOutcome::Removed { completion } => {
            assert_eq!(mode, CancelMode::Reap, "honest-cancel: Async never removes");
            let reaped = completion.map(|c| (c.result, c.cancelled));
            assert_eq!(reaped, Some((Some(5), false)), "honest-cancel");
            assert!(completed, "honest-cancel");
        }
        CancelOutcome::Pending => {
            let expect = if completed {
                (Some(5), false)
            } else {
                (None, true)
            };
            assert_eq!(finals, vec![expect], "honest-cancel");
        }
        CancelOutcome::NotFound => {
            // The waiter took the final before the cancel.
            assert_eq!(finals, vec![(Some(5), false)], "honest-cancel");
        }
    }
}

/// Two waiters and a second raise against one `Dispatch` event: exactly one
/// waiter gets it (no-duplicate-delivery).
pub fn two_waiters_vs_one_dispatch_event(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let (port, obs) = (port.clone(), obs.clone());
            // Each keeps holding whatever it got.
            thread::spawn(move || obs.wait(&port, &mut false, 2, Timeout::Poll))
        })
        .collect();
    port.raise(s).unwrap();
    let got: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(got, 1, "no-duplicate-delivery");
    assert_eq!(obs.readies.load(SeqCst), 1, "no-duplicate-delivery");
}

/// A raise racing the holder's `rearm` of a `Oneshot` registration: once
/// both are done, the true condition is queued (rearm-rechecks-level).
pub fn rearm_vs_raise(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.raise(s).unwrap();
    let mut evs = Events::new();
    assert_eq!(port.wait(&mut evs, 2, Timeout::Poll).unwrap(), 1);
    let raiser = {
        let port = port.clone();
        thread::spawn(move || port.raise(s).unwrap())
    };
    port.rearm(k).unwrap();
    raiser.join().unwrap();
    port.wait(&mut evs, 2, Timeout::Poll).unwrap();
    assert_eq!(evs.len(), 1, "rearm-rechecks-level");
    assert_eq!(evs.as_slice()[0].key, k);
}

/// A waiter blocked in `wait` is woken by a raise on another thread
/// (no-lost-wakeup: loom reports a deadlock otherwise).
pub fn blocked_waiter_vs_raise(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    let waiter = {
        let port = port.clone();
        thread::spawn(move || {
            let mut evs = Events::new();
            port.wait(&mut evs, 2, Timeout::Block).unwrap();
            evs.as_slice().to_vec()
        })
    };
    port.raise(s).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs.len(), 1);
    assert_eq!(evs[0].key, k);
}

/// Two blocked waiters (max 1 each), two raises: both are woken
/// (no-lost-wakeup with several parked threads).
pub fn two_blocked_waiters_vs_two_raises(m: Option<Mutant>) {
    let port = port(m, false);
    let s1 = port.add_source(SourceKind::Sticky);
    let s2 = port.add_source(SourceKind::Sticky);
    port.register(s1, Mode::Oneshot).unwrap();
    port.register(s2, Mode::Oneshot).unwrap();
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let port = port.clone();
            thread::spawn(move || {
                let mut evs = Events::new();
                port.wait(&mut evs, 1, Timeout::Block).unwrap()
            })
        })
        .collect();
    port.raise(s1).unwrap();
    port.raise(s2).unwrap();
    let got: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
    assert_eq!(got, 2);
}

/// The holder's `rearm` re-queues a still-true `Level` registration and must
/// wake the blocked waiter (no-lost-wakeup on release).
pub fn release_requeue_vs_blocked_waiter(m: Option<Mutant>) {
    let port = port(m, false);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let mut evs = Events::new();
    assert_eq!(port.wait(&mut evs, 2, Timeout::Poll).unwrap(), 1);
    let waiter = {
        let port = port.clone();
        thread::spawn(move || {
            let mut evs = Events::new();
            port.wait(&mut evs, 2, Timeout::Block).unwrap();
            evs.as_slice().to_vec()
        })
    };
    port.rearm(k).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs[0].key, k);
}

/// `futex_wake(w, 1)` racing an `Async` cancel of one of two waiters:
/// exactly one waiter released (futex-wake-count), exactly one final each.
pub fn futex_wake_vs_cancel(m: Option<Mutant>) {
    let port = port(m, false);
    let w = port.add_source(SourceKind::Futex);
    let k1 = port.submit(w, Mode::Single).unwrap();
    let _k2 = port.submit(w, Mode::Single).unwrap();
    let waker = {
        let port = port.clone();
        thread::spawn(move || port.futex_wake(w, 1).unwrap())
    };
    let o = port.cancel(k1, CancelMode::Async).unwrap();
    assert_eq!(o, CancelOutcome::Pending);
    let woken = waker.join().unwrap();
    assert_eq!(woken, 1, "futex-wake-count: k2 is always waiting");
    let mut evs = Events::new();
    port.wait(&mut evs, 4, Timeout::Poll).unwrap();
    assert_eq!(
        evs.iter().filter(|e| e.key == k1 && e.is_final()).count(),
        1,
        "exactly-one-terminal"
    );
    let released = evs
        .iter()
        .filter(|e| {
            e.kind
                == EventKind::Final {
                    result: Some(0),
                    cancelled: false,
                }
        })
        .count();
    assert_eq!(released as u32, woken, "futex-wake-count");
}

/// History recording under concurrency: every call recorded once, and the
/// logical timestamps respect real-time order within each thread.
pub fn history_under_race(m: Option<Mutant>) {
    let port = port(m, true);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    let t = {
        let port = port.clone();
        thread::spawn(move || {
            port.raise(s).unwrap();
            let mut evs = Events::new();
            port.wait(&mut evs, 2, Timeout::Poll).unwrap();
        })
    };
    port.cancel(k, CancelMode::Sync).unwrap();
    t.join().unwrap();
    let h = port.take_history();
    assert_eq!(h.len(), 5);
    for r in &h {
        assert!(r.call < r.ret);
    }
    for th in 0..2 {
        let mine: Vec<_> = h.iter().filter(|r| r.thread == th).collect();
        for w in mine.windows(2) {
            assert!(w[0].ret < w[1].call);
        }
    }
}

/// An asynchronous (deferred) cancel racing the operation's completion: the
/// first to land is the one final event, and it says which won
/// (honest-cancel, exactly-one-terminal).
pub fn deferred_cancel_vs_complete(m: Option<Mutant>) {
    let port = Arc::new(Port::with_config(
        SimBackend::with_deferred_cancel(),
        Config {
            history: false,
            mutant: m,
        },
    ));
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let completer = {
        let port = port.clone();
        thread::spawn(move || port.complete(op, 5).is_ok())
    };
    let lander = {
        let port = port.clone();
        thread::spawn(move || port.cancel_lands(op).is_ok())
    };
    let o = obs.cancel(&port, &mut false, CancelMode::Async);
    let completed = completer.join().unwrap();
    let landed = lander.join().unwrap();
    obs.drain(&port);
    assert!(completed != landed || !landed, "honest-cancel: both won");
    match o {
        CancelOutcome::Pending => {
            if !completed && !landed {
                // The lander ran before the cancel was requested: land now.
                port.cancel_lands(op).unwrap();
                obs.drain(&port);
            }
            obs.assert_one_terminal();
            let expect = if completed {
                (Some(5), false)
            } else {
                (None, true)
            };
            assert_eq!(*obs.finals.lock().unwrap(), vec![expect], "honest-cancel");
        }
        other => panic!("Async cancel of an undelivered operation answered {other:?}"),
    }
}

/// A `Multishot` operation whose item one thread holds while a second
/// waiter races its completion: the final event never reaches anyone while
/// the item is held (teardown-safe), items are never held twice
/// (no-duplicate-delivery), and there is exactly one final.
pub fn multishot_final_vs_item_holder(m: Option<Mutant>) {
    let port = port(m, false);
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 1).unwrap();
    let obs = StdArc::new(Obs::new(k));
    let mut held = false;
    assert_eq!(obs.wait(&port, &mut held, 2, Timeout::Poll), 1);
    let env = {
        let port = port.clone();
        thread::spawn(move || {
            port.stream_item(op, 2).unwrap();
            port.complete(op, 0).unwrap();
        })
    };
    let waiter = {
        let (port, obs) = (port.clone(), obs.clone());
        thread::spawn(move || {
            let mut held = false;
            obs.wait(&port, &mut held, 2, Timeout::Poll);
            // Leave holding nothing (at most item 2, then the final).
            while held {
                obs.wait(&port, &mut held, 2, Timeout::Poll);
            }
        })
    };
    obs.wait(&port, &mut held, 2, Timeout::Poll);
    env.join().unwrap();
    waiter.join().unwrap();
    for _ in 0..3 {
        obs.wait(&port, &mut held, 2, Timeout::Poll);
    }
    obs.assert_one_terminal();
}
