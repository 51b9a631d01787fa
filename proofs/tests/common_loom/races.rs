//! The races, one function per race. Each is one loom execution on a port
//! that records its history, with an optional mutant: it asserts the
//! properties it pins through the [`Board`] (and race-specific ones here),
//! then checks the recorded history.

use std::sync::Arc as StdArc;

use loom::sync::Arc;
use loom::thread;
use onering::{
    CancelMode, CancelOutcome, Config, Error, EventKind, Events, Key, Mode, Mutant, Port,
    SimBackend, SourceId, SourceKind, Timeout,
};

use crate::common_props::{check_history, Board, Held};

fn port(m: Option<Mutant>) -> Arc<Port> {
    port_on(SimBackend::new(), m)
}

fn port_on(backend: SimBackend, m: Option<Mutant>) -> Arc<Port> {
    Arc::new(Port::with_config(
        backend,
        Config {
            history: true,
            mutant: m,
        },
    ))
}

/// A `Level` source, already raised, registered in `mode`, on a fresh
/// board that watches it.
fn raised_level(port: &Port, mode: Mode) -> (SourceId, Key, StdArc<Board>) {
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, mode).unwrap();
    port.raise(s).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, s);
    (s, k, board)
}

/// `n` threads that each make one `wait(max, timeout)` and keep what they
/// got; each returns how many events it received.
fn one_wait_each(
    port: &Arc<Port>,
    board: &StdArc<Board>,
    n: usize,
    max: usize,
    timeout: Timeout,
) -> Vec<thread::JoinHandle<usize>> {
    (0..n)
        .map(|_| {
            let (port, board) = (port.clone(), board.clone());
            thread::spawn(move || board.wait(&port, &mut Held::default(), max, timeout).len())
        })
        .collect()
}

/// Events received by all of `waiters`.
fn delivered(waiters: Vec<thread::JoinHandle<usize>>) -> usize {
    waiters.into_iter().map(|w| w.join().unwrap()).sum()
}

/// The end of every race: quiescent checks and the history.
fn finish(port: &Port, board: &Board) {
    board.check_quiescent();
    check_history(&port.take_history());
}

/// cancel vs wait: a `Sync` cancel racing a waiter that takes and releases
/// a `Dispatch` event. Pins no-event-after-cancel, teardown-safe,
/// exactly-one-terminal, honest-cancel.
pub fn cancel_vs_wait(m: Option<Mutant>) {
    let port = port(m);
    let (_, k, board) = raised_level(&port, Mode::Dispatch);
    let t = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            board.wait(&port, &mut held, 2, Timeout::Poll);
            board.wait(&port, &mut held, 2, Timeout::Poll);
            board.rearm_all(&port, &mut held);
        })
    };
    let o = board.cancel(&port, &mut Held::default(), k, CancelMode::Sync);
    assert_ne!(o, Ok(CancelOutcome::NotFound), "honest-cancel");
    t.join().unwrap();
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// cancel vs raise: a `Sync` cancel racing a raise and a waiter on a
/// `Level` registration.
pub fn cancel_vs_raise(m: Option<Mutant>) {
    let port = port(m);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, s);
    let raiser = {
        let port = port.clone();
        thread::spawn(move || port.raise(s).unwrap())
    };
    let canceller = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let o = board.cancel(&port, &mut Held::default(), k, CancelMode::Sync);
            assert_ne!(o, Ok(CancelOutcome::NotFound), "honest-cancel");
        })
    };
    let mut held = Held::default();
    board.wait(&port, &mut held, 2, Timeout::Poll);
    board.rearm_all(&port, &mut held);
    raiser.join().unwrap();
    canceller.join().unwrap();
    board.settle(&port, &mut held);
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// Pending cancel vs the holder's next wait: a `Sync` cancel that must
/// answer `Pending` (the main thread holds the key) racing the holder's
/// next wait. Exactly one final event, delivered only once nobody holds it.
pub fn pending_cancel_vs_holders_next_wait(m: Option<Mutant>) {
    let port = port(m);
    let (_, k, board) = raised_level(&port, Mode::Level);
    let mut held = Held::default();
    assert_eq!(board.wait(&port, &mut held, 2, Timeout::Poll).len(), 1);
    let canceller = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            let o = board.cancel(&port, &mut held, k, CancelMode::Sync);
            // The main thread holds the key from before the spawn until its
            // next wait, which cannot deliver a Ready after this answer.
            assert!(
                matches!(o, Ok(CancelOutcome::Pending)),
                "teardown-safe: holder still holds, cancel answered {o:?}"
            );
            board.wait(&port, &mut held, 2, Timeout::Poll);
            board.rearm_all(&port, &mut held);
        })
    };
    // Re-takes the still-true level, or the final if the cancel came first.
    board.wait(&port, &mut held, 2, Timeout::Poll);
    canceller.join().unwrap();
    board.settle(&port, &mut held);
    board.settle(&port, &mut held);
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// cancel vs complete: an `Async` or `Reap` cancel racing the operation's
/// completion and a waiter. Pins honest-cancel and exactly-one-terminal.
pub fn cancel_vs_complete(mode: CancelMode, m: Option<Mutant>) {
    let port = port(m);
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, op);
    let completer = {
        let port = port.clone();
        thread::spawn(move || port.complete(op, 5).is_ok())
    };
    let waiter = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            board.wait(&port, &mut Held::default(), 2, Timeout::Poll);
        })
    };
    let o = board
        .cancel(&port, &mut Held::default(), k, mode)
        .expect("cancel of a live operation");
    let completed = completer.join().unwrap();
    waiter.join().unwrap();
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k);
    let finals = board.obs(k).finals();
    match o {
        CancelOutcome::Removed { completion } => {
            let reaped = completion.map(|c| (c.result, c.cancelled));
            assert_eq!(
                reaped,
                Some((Some(5), false)),
                "honest-cancel: reaped {reaped:?}"
            );
            assert!(completed, "honest-cancel: reaped an unfinished operation");
        }
        CancelOutcome::Pending => {
            // The sim backend's cancel wins at once unless the completion
            // came first.
            let expect = if completed {
                (Some(5), false)
            } else {
                (None, true)
            };
            assert_eq!(finals, vec![expect], "honest-cancel: answered Pending");
        }
        CancelOutcome::NotFound => {
            assert_eq!(
                finals,
                vec![(Some(5), false)],
                "honest-cancel: answered NotFound"
            );
        }
    }
    finish(&port, &board);
}

/// futex wake(n) vs cancel: `futex_wake(w, 2)` racing an `Async` cancel of
/// one of two waiters, and a thread blocked in `wait` for the released
/// waiters. Pins futex-wake-count, honest-cancel, exactly-one-terminal,
/// no-lost-wakeup.
pub fn futex_wake_vs_cancel(m: Option<Mutant>) {
    let port = port(m);
    let w = port.add_source(SourceKind::Futex);
    let k1 = port.submit(w, Mode::Single).unwrap();
    let k2 = port.submit(w, Mode::Single).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k1, w);
    board.add(k2, w);
    let waker = {
        let port = port.clone();
        thread::spawn(move || port.futex_wake(w, 2).unwrap())
    };
    let blocked = {
        let (port, board) = (port.clone(), board.clone());
        // k2 is released by the wake whatever the order: this wait returns.
        thread::spawn(move || board.wait(&port, &mut Held::default(), 4, Timeout::Block))
    };
    let o = board
        .cancel(&port, &mut Held::default(), k1, CancelMode::Async)
        .unwrap();
    let woken = waker.join().unwrap();
    let got = blocked.join().unwrap();
    assert!(!got.is_empty(), "no-lost-wakeup");
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k1);
    board.assert_one_terminal(k2);
    let f1 = board.obs(k1).finals()[0];
    // wake(2) releases k1 too iff it ran before the cancel.
    let released = if f1 == (Some(0), false) { 2 } else { 1 };
    assert_eq!(
        woken, released,
        "futex-wake-count: woke {woken}, k1 final {f1:?}"
    );
    assert_eq!(board.obs(k2).finals(), vec![(Some(0), false)]);
    // NotFound only when the blocked waiter took k1's released final first.
    assert!(
        o == CancelOutcome::Pending || (o == CancelOutcome::NotFound && released == 2),
        "honest-cancel: {o:?} with k1 final {f1:?}"
    );
    finish(&port, &board);
}

/// close vs wait: `close` racing a waiter that takes and releases a
/// `Level` event, then a cancel. Pins close-removes, exactly-one-terminal.
pub fn close_vs_wait(m: Option<Mutant>) {
    let port = port(m);
    let (s, k, board) = raised_level(&port, Mode::Level);
    let t = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            board.wait(&port, &mut held, 2, Timeout::Poll);
            board.wait(&port, &mut held, 2, Timeout::Poll);
            board.rearm_all(&port, &mut held);
        })
    };
    board.close(&port, s);
    let o = board.cancel(&port, &mut Held::default(), k, CancelMode::Sync);
    assert_ne!(o, Ok(CancelOutcome::NotFound), "honest-cancel");
    t.join().unwrap();
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// key reuse after Removed: a `Sync` cancel races a waiter; when it
/// answers `Removed` the slot is reused by a new registration, which is
/// raised. The old key is stale (calls on it never reach the new
/// registration) and no event of either key is confused with the other.
pub fn key_reuse_after_removed(m: Option<Mutant>) {
    let port = port(m);
    let s1 = port.add_source(SourceKind::Level);
    let s2 = port.add_source(SourceKind::Sticky);
    let k1 = port.register(s1, Mode::Dispatch).unwrap();
    port.raise(s1).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k1, s1);
    let waiter = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            let mut evs = board.wait(&port, &mut held, 2, Timeout::Poll);
            evs.extend(board.wait(&port, &mut held, 2, Timeout::Poll));
            // The old holder's late release of its (maybe stale) key; keeps
            // the new registration's event if it got it.
            if held.holds(k1) {
                let _ = board.rearm(&port, &mut held, k1);
            }
            evs
        })
    };
    let mut held = Held::default();
    let o = board
        .cancel(&port, &mut held, k1, CancelMode::Sync)
        .unwrap();
    let k2 = port.register(s2, Mode::Oneshot).unwrap();
    board.add(k2, s2);
    assert_ne!(k1, k2, "key reuse: new registration got the old key");
    if o == (CancelOutcome::Removed { completion: None }) {
        assert_eq!(k2.index, k1.index, "free slot reused");
        // Stale: never NotFound for the new registration's sake, never Ok.
        assert_eq!(
            port.cancel(k1, CancelMode::Sync),
            Ok(CancelOutcome::NotFound),
            "key reuse: old key after Removed"
        );
        assert_eq!(port.rearm(k1), Err(Error::StaleKey(k1)));
    }
    port.raise(s2).unwrap();
    let evs = waiter.join().unwrap();
    for e in &evs {
        assert!(e.key == k1 || e.key == k2, "key reuse: unknown key {e:?}");
    }
    board.settle(&port, &mut held);
    board.assert_one_terminal(k1);
    // k2 (raised after it was registered) reached someone.
    assert!(
        board
            .obs(k2)
            .readies
            .load(std::sync::atomic::Ordering::SeqCst)
            >= 1,
        "key reuse: the new registration's event was lost"
    );
    assert_eq!(board.obs(k2).terminals(), 0);
    finish(&port, &board);
}

/// Two threads cancel the same key while one of them holds it.
pub fn cancel_vs_holders_cancel(m: Option<Mutant>) {
    let port = port(m);
    let (_, k, board) = raised_level(&port, Mode::Dispatch);
    let mut held = Held::default();
    assert_eq!(board.wait(&port, &mut held, 2, Timeout::Poll).len(), 1);
    let other = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || board.cancel(&port, &mut Held::default(), k, CancelMode::Sync))
    };
    let mine = board.cancel(&port, &mut held, k, CancelMode::Sync);
    let theirs = other.join().unwrap();
    assert_ne!(mine, Ok(CancelOutcome::NotFound), "honest-cancel");
    let _ = theirs;
    board.settle(&port, &mut held);
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// An asynchronous (deferred) cancel racing the operation's completion:
/// the first to land is the one final event, and it says which won.
pub fn deferred_cancel_vs_complete(m: Option<Mutant>) {
    let port = port_on(SimBackend::with_deferred_cancel(), m);
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Single).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, op);
    let completer = {
        let port = port.clone();
        thread::spawn(move || port.complete(op, 5).is_ok())
    };
    let lander = {
        let port = port.clone();
        thread::spawn(move || port.cancel_lands(op).is_ok())
    };
    let o = board.cancel(&port, &mut Held::default(), k, CancelMode::Async);
    let completed = completer.join().unwrap();
    let landed = lander.join().unwrap();
    assert!(!(completed && landed), "honest-cancel: both won");
    assert_eq!(o, Ok(CancelOutcome::Pending), "honest-cancel");
    if !completed && !landed {
        // The lander ran before the cancel was requested: land now.
        port.cancel_lands(op).unwrap();
    }
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k);
    let expect = if completed {
        (Some(5), false)
    } else {
        (None, true)
    };
    assert_eq!(board.obs(k).finals(), vec![expect], "honest-cancel");
    finish(&port, &board);
}

/// rearm vs raise: a raise racing the holder's `rearm` of a `Oneshot`
/// registration: once both are done, the true condition is queued
/// (rearm-rechecks-level).
pub fn rearm_vs_raise(m: Option<Mutant>) {
    let port = port(m);
    let (s, k, board) = raised_level(&port, Mode::Oneshot);
    let mut held = Held::default();
    assert_eq!(board.wait(&port, &mut held, 2, Timeout::Poll).len(), 1);
    let raiser = {
        let port = port.clone();
        thread::spawn(move || port.raise(s).unwrap())
    };
    board.rearm(&port, &mut held, k).unwrap();
    raiser.join().unwrap();
    let evs = board.wait(&port, &mut held, 2, Timeout::Poll);
    assert_eq!(evs.len(), 1, "rearm-rechecks-level: {evs:?}");
    assert_eq!(evs[0].key, k);
    board.rearm_all(&port, &mut held);
    finish(&port, &board);
}

/// two waiters vs one Dispatch event: two waiters and a second raise
/// against one `Dispatch` event; exactly one waiter gets it while it is
/// held (no-duplicate-delivery).
pub fn two_waiters_vs_one_dispatch_event(m: Option<Mutant>) {
    let port = port(m);
    let (s, _, board) = raised_level(&port, Mode::Dispatch);
    // Each keeps holding whatever it got.
    let waiters = one_wait_each(&port, &board, 2, 2, Timeout::Poll);
    port.raise(s).unwrap();
    let got = delivered(waiters);
    assert_eq!(got, 1, "no-duplicate-delivery: {got} deliveries");
    finish(&port, &board);
}

/// two waiters vs one Level event: in `unified` a `Level` registration is
/// handed to one thread at a time too. Each waiter takes, then releases
/// with its next wait; a raise races them.
pub fn two_waiters_vs_one_level_event(m: Option<Mutant>) {
    let port = port(m);
    let (s, _, board) = raised_level(&port, Mode::Level);
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let (port, board) = (port.clone(), board.clone());
            thread::spawn(move || {
                let mut held = Held::default();
                let n = board.wait(&port, &mut held, 2, Timeout::Poll).len();
                // Keeps holding: the other waiter must not get it meanwhile.
                port.raise(s).unwrap();
                n
            })
        })
        .collect();
    let got: usize = waiters.into_iter().map(|w| w.join().unwrap()).sum();
    // Both threads ended while holding: at most one had it.
    assert_eq!(got, 1, "no-duplicate-delivery: {got} deliveries");
    finish(&port, &board);
}

/// Two waiters take and release a `Level` event while a third thread
/// cancels it.
pub fn cancel_vs_two_waiters(m: Option<Mutant>) {
    let port = port(m);
    let (_, k, board) = raised_level(&port, Mode::Level);
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let (port, board) = (port.clone(), board.clone());
            thread::spawn(move || {
                let mut held = Held::default();
                board.wait(&port, &mut held, 2, Timeout::Poll);
                board.wait(&port, &mut held, 2, Timeout::Poll);
                board.rearm_all(&port, &mut held);
            })
        })
        .collect();
    board
        .cancel(&port, &mut Held::default(), k, CancelMode::Sync)
        .unwrap();
    for w in waiters {
        w.join().unwrap();
    }
    board.settle(&port, &mut Held::default());
    board.assert_one_terminal(k);
    finish(&port, &board);
}

/// no lost wake-up: a waiter blocked in `wait` is woken by a raise on
/// another thread (loom reports a deadlock otherwise).
pub fn blocked_waiter_vs_raise(m: Option<Mutant>) {
    let port = port(m);
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Dispatch).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, s);
    let waiter = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || board.wait(&port, &mut Held::default(), 2, Timeout::Block))
    };
    port.raise(s).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs.len(), 1, "no-lost-wakeup");
    assert_eq!(evs[0].key, k);
    finish(&port, &board);
}

/// Two blocked waiters (max 1 each), two raises: both are woken.
pub fn two_blocked_waiters_vs_two_raises(m: Option<Mutant>) {
    let port = port(m);
    let s1 = port.add_source(SourceKind::Sticky);
    let s2 = port.add_source(SourceKind::Sticky);
    port.register(s1, Mode::Oneshot).unwrap();
    port.register(s2, Mode::Oneshot).unwrap();
    let board = StdArc::new(Board::new());
    let waiters = one_wait_each(&port, &board, 2, 1, Timeout::Block);
    port.raise(s1).unwrap();
    port.raise(s2).unwrap();
    let got = delivered(waiters);
    assert_eq!(got, 2, "no-lost-wakeup");
    finish(&port, &board);
}

/// The holder's `rearm` re-queues a still-true `Level` registration and
/// must wake the blocked waiter (no-lost-wakeup on release).
pub fn release_requeue_vs_blocked_waiter(m: Option<Mutant>) {
    let port = port(m);
    let (_, k, board) = raised_level(&port, Mode::Level);
    let mut held = Held::default();
    assert_eq!(board.wait(&port, &mut held, 2, Timeout::Poll).len(), 1);
    let waiter = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || board.wait(&port, &mut Held::default(), 2, Timeout::Block))
    };
    board.rearm(&port, &mut held, k).unwrap();
    let evs = waiter.join().unwrap();
    assert_eq!(evs[0].key, k, "no-lost-wakeup");
    finish(&port, &board);
}

/// A `Multishot` operation whose item one thread holds while a second
/// waiter races its next item and completion: the final event never
/// reaches anyone while an item is held, items are never held twice, and
/// there is exactly one final.
pub fn multishot_final_vs_item_holder(m: Option<Mutant>) {
    let port = port(m);
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 1).unwrap();
    let board = StdArc::new(Board::new());
    board.add(k, op);
    let mut held = Held::default();
    assert_eq!(board.wait(&port, &mut held, 2, Timeout::Poll).len(), 1);
    let env = {
        let port = port.clone();
        thread::spawn(move || {
            port.stream_item(op, 2).unwrap();
            port.complete(op, 0).unwrap();
        })
    };
    let waiter = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            board.wait(&port, &mut held, 2, Timeout::Poll);
            // Leave holding nothing (at most item 2, then the final).
            board.settle(&port, &mut held);
        })
    };
    board.wait(&port, &mut held, 2, Timeout::Poll);
    env.join().unwrap();
    waiter.join().unwrap();
    board.settle(&port, &mut held);
    board.assert_one_terminal(k);
    let items = board.obs(k).items.lock().unwrap().clone();
    assert_eq!(items, vec![1, 2], "items once each, in order");
    assert_eq!(board.obs(k).finals(), vec![(Some(0), false)]);
    finish(&port, &board);
}

/// A plain poll (no race): used to make sure a harness body runs at all.
pub fn smoke() {
    let port = port(None);
    let s = port.add_source(SourceKind::Level);
    port.register(s, Mode::Dispatch).unwrap();
    port.raise(s).unwrap();
    let mut evs = Events::new();
    port.wait(&mut evs, 1, Timeout::Poll).unwrap();
    assert_eq!(evs.iter().filter(|e| e.kind == EventKind::Ready).count(), 1);
    check_history(&port.take_history());
}
