//! Shared pieces of the loom harnesses: the model runner with the committed
//! preemption bound, and an observer that asserts the unified properties
//! directly as threads see events.
//!
//! The observer's bookkeeping uses `std` atomics on purpose: loom runs one
//! thread at a time, so they are exact for a given schedule and add no
//! interleavings to explore. Holding is tracked as an under-approximation
//! (marked after `wait` returns, cleared before the releasing call), so every
//! assertion failure is a real violation.
#![allow(dead_code)] // Each harness uses a subset.

pub mod scenarios;

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::Mutex as StdMutex;

use onering::{CancelMode, CancelOutcome, EventKind, Events, Key, Port, Timeout};

/// Runs `f` under loom with preemption bound 3 (or `LOOM_MAX_PREEMPTIONS`).
///
/// Prints how many executions were explored.
pub fn model<F: Fn() + Sync + Send + 'static>(f: F) {
    let mut b = loom::model::Builder::new();
    if b.preemption_bound.is_none() {
        b.preemption_bound = Some(3);
    }
    let runs = std::sync::Arc::new(AtomicUsize::new(0));
    let counter = runs.clone();
    b.check(move || {
        counter.fetch_add(1, SeqCst);
        f();
    });
    eprintln!(
        "loom: {} executions (preemption bound {:?})",
        runs.load(SeqCst),
        b.preemption_bound
    );
}

/// What every thread saw of one key.
#[derive(Debug, Default)]
pub struct Obs {
    pub key: Option<Key>,
    /// Threads holding an event of the key (under-approximation).
    holders: AtomicUsize,
    /// Terminal outcomes seen: `Removed` answers plus final events.
    pub terminals: AtomicUsize,
    /// `Ready`/`Item` events delivered.
    pub readies: AtomicUsize,
    /// A `Sync` cancel answered `Removed`.
    removed: AtomicBool,
    /// A cancel answered `Pending`.
    pub pending: AtomicBool,
    /// The key's source was closed.
    closed: AtomicBool,
    /// Every cancel outcome, in order.
    pub outcomes: StdMutex<Vec<CancelOutcome>>,
    /// Every final event's (result, cancelled).
    pub finals: StdMutex<Vec<(Option<i64>, bool)>>,
}

impl Obs {
    pub fn new(key: Key) -> Self {
        Self {
            key: Some(key),
            ..Self::default()
        }
    }

    fn key(&self) -> Key {
        self.key.unwrap()
    }

    fn unhold(&self, held: &mut bool) {
        if std::mem::take(held) {
            self.holders.fetch_sub(1, SeqCst);
        }
    }

    /// `wait` on this thread; `held` is this thread's hold of the key.
    pub fn wait(&self, port: &Port, held: &mut bool, max: usize, timeout: Timeout) -> usize {
        // The wait releases our hold (it ends inside the call: clear first).
        self.unhold(held);
        let removed_before = self.removed.load(SeqCst);
        let pending_before = self.pending.load(SeqCst);
        let closed_before = self.closed.load(SeqCst);
        let mut evs = Events::new();
        port.wait(&mut evs, max, timeout).unwrap();
        let mut mine = 0;
        for e in evs.iter().filter(|e| e.key == self.key()) {
            mine += 1;
            assert!(
                !removed_before,
                "no-event-after-cancel: {e:?} after Removed"
            );
            match e.kind {
                EventKind::Ready | EventKind::Item { .. } => {
                    assert!(!closed_before, "close-removes: {e:?} after close");
                    assert!(
                        !pending_before || matches!(e.kind, EventKind::Item { .. }),
                        "no-event-after-cancel: Ready after Sync cancel answered Pending"
                    );
                    let prev = self.holders.fetch_add(1, SeqCst);
                    assert_eq!(prev, 0, "no-duplicate-delivery: {e:?} while held");
                    *held = true;
                    self.readies.fetch_add(1, SeqCst);
                }
                EventKind::Final { result, cancelled } => {
                    assert_eq!(
                        self.holders.load(SeqCst),
                        0,
                        "teardown-safe: final while another thread holds"
                    );
                    self.terminals.fetch_add(1, SeqCst);
                    self.finals.lock().unwrap().push((result, cancelled));
                }
            }
        }
        mine
    }

    /// `cancel` on this thread (ends our hold).
    pub fn cancel(&self, port: &Port, held: &mut bool, mode: CancelMode) -> CancelOutcome {
        self.unhold(held);
        let o = port.cancel(self.key(), mode).unwrap();
        match o {
            CancelOutcome::Removed { .. } => {
                assert_eq!(
                    self.holders.load(SeqCst),
                    0,
                    "teardown-safe: Removed while another thread holds"
                );
                self.terminals.fetch_add(1, SeqCst);
                if mode == CancelMode::Sync {
                    self.removed.store(true, SeqCst);
                }
            }
            CancelOutcome::Pending => {
                if mode == CancelMode::Sync {
                    self.pending.store(true, SeqCst);
                }
            }
            CancelOutcome::NotFound => {}
        }
        self.outcomes.lock().unwrap().push(o);
        o
    }

    /// Closes the key's source `source` (environment step).
    pub fn close(&self, port: &Port, source: onering::SourceId) {
        port.close(source).unwrap();
        self.closed.store(true, SeqCst);
    }

    /// `rearm` on this thread if it holds the key (ends the hold).
    pub fn release(&self, port: &Port, held: &mut bool) {
        if *held {
            self.unhold(held);
            let _ = port.rearm(self.key());
        }
    }

    /// Main thread, after all joins: waits until nothing is left.
    pub fn drain(&self, port: &Port) {
        let mut held = false;
        for _ in 0..4 {
            if self.wait(port, &mut held, 8, Timeout::Poll) == 0 {
                break;
            }
        }
        self.release(port, &mut held);
    }

    /// `exactly-one-terminal`, checked at quiescence.
    pub fn assert_one_terminal(&self) {
        assert_eq!(
            self.terminals.load(SeqCst),
            1,
            "exactly-one-terminal: outcomes {:?}, finals {:?}",
            self.outcomes.lock().unwrap(),
            self.finals.lock().unwrap()
        );
    }
}
