//! The unified properties, asserted directly as threads see events, shared
//! by the loom and shuttle harnesses.
//!
//! A [`Board`] watches every key of one port. Each thread drives the port
//! through the board (`wait`, `cancel`, `rearm`) with its own [`Held`], and
//! the board panics, naming the property, as soon as a thread sees an event
//! or an answer the unified profile forbids:
//!
//! * `no-duplicate-delivery`: a `Ready`/`Item` of a key another thread holds;
//! * `teardown-safe`: `Removed`, or a final event, while another thread holds
//!   the key;
//! * `exactly-one-terminal`: a second terminal outcome (`Removed` answer or
//!   final event), or any event after the key's terminal outcome;
//! * `no-event-after-cancel`: an event after a `Sync` cancel answered
//!   `Removed`, or a `Ready` after it answered `Pending`;
//! * `close-removes`: a `Ready` after the source was closed;
//! * `honest-cancel`: `Async` answering `Removed`, `Reap` removing nothing,
//!   `Sync` returning a completion, `NotFound` before any terminal outcome.
//!
//! The bookkeeping uses `std` atomics on purpose: loom and shuttle run one
//! thread at a time, so they are exact for a given schedule and add no
//! interleavings to explore. Holding is an under-approximation (marked after
//! `wait` returns, cleared before the releasing call), so every assertion
//! failure is a real violation.
//!
//! [`check_history`] checks the recorded history of a run.
#![allow(dead_code)] // Each harness uses a subset.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering::SeqCst};
use std::sync::{Arc, Mutex};

use onering_model::UNIFIED;
use onering_proofs::verify_records;

use onering::{
    CancelMode, CancelOutcome, Error, Event, EventKind, Events, Key, Port, Record, SourceId,
    Timeout,
};

/// What every thread saw of one key.
#[derive(Debug, Default)]
pub struct KeyObs {
    /// The key's source, when the harness said.
    source: Mutex<Option<SourceId>>,
    /// Threads holding an event of the key (under-approximation).
    holders: AtomicUsize,
    /// Terminal outcomes seen: `Removed` answers plus final events.
    pub terminals: AtomicUsize,
    /// `Ready`/`Item` events delivered.
    pub readies: AtomicUsize,
    /// A `Sync` cancel answered `Removed`.
    removed: AtomicBool,
    /// A `Sync` cancel answered `Pending`.
    pub pending: AtomicBool,
    /// The key's source was closed.
    closed: AtomicBool,
    /// Every cancel outcome, in order.
    pub outcomes: Mutex<Vec<CancelOutcome>>,
    /// Every final event's (or reaped completion's) `(result, cancelled)`.
    pub finals: Mutex<Vec<(Option<i64>, bool)>>,
    /// Every streamed item delivered.
    pub items: Mutex<Vec<i64>>,
}

impl KeyObs {
    /// How many terminal outcomes were seen.
    pub fn terminals(&self) -> usize {
        self.terminals.load(SeqCst)
    }

    /// The finals (and reaped completions) seen.
    pub fn finals(&self) -> Vec<(Option<i64>, bool)> {
        self.finals.lock().unwrap().clone()
    }

    /// The cancel outcomes seen.
    pub fn outcomes(&self) -> Vec<CancelOutcome> {
        self.outcomes.lock().unwrap().clone()
    }

    fn terminal(&self, what: &dyn std::fmt::Debug) {
        let prev = self.terminals.fetch_add(1, SeqCst);
        assert_eq!(
            prev,
            0,
            "exactly-one-terminal: {what:?} after a terminal outcome (outcomes {:?}, finals {:?})",
            self.outcomes.lock().unwrap(),
            self.finals.lock().unwrap()
        );
    }
}

/// The keys one thread holds, as far as the board knows.
#[derive(Debug, Default)]
pub struct Held(Vec<Key>);

impl Held {
    /// Whether the thread holds `key`.
    pub fn holds(&self, key: Key) -> bool {
        self.0.contains(&key)
    }

    /// Whether the thread holds anything.
    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    /// The held keys.
    pub fn keys(&self) -> Vec<Key> {
        self.0.clone()
    }
}

#[derive(Clone, Copy, Default)]
struct Snap {
    removed: bool,
    pending: bool,
    closed: bool,
    terminated: bool,
}

/// Watches every key of one port.
#[derive(Debug, Default)]
pub struct Board {
    keys: Mutex<Vec<(Key, Arc<KeyObs>)>>,
    /// Keys a thread releases with an explicit `rearm` before its next
    /// `wait` (the handler pattern for `Oneshot`).
    rearmed: Mutex<Vec<Key>>,
}

impl Board {
    /// An empty board.
    pub fn new() -> Self {
        Self::default()
    }

    /// The observer of `key` (created on first sight).
    pub fn obs(&self, key: Key) -> Arc<KeyObs> {
        let mut keys = self.keys.lock().unwrap();
        if let Some((_, o)) = keys.iter().find(|(k, _)| *k == key) {
            return o.clone();
        }
        let o = Arc::new(KeyObs::default());
        keys.push((key, o.clone()));
        o
    }

    /// Tells the board `key` watches `source` (for `close`).
    pub fn add(&self, key: Key, source: SourceId) -> Arc<KeyObs> {
        let o = self.obs(key);
        *o.source.lock().unwrap() = Some(source);
        o
    }

    /// Threads release `key` with an explicit `rearm` before their next
    /// `wait` (a `Oneshot` registration released by `wait` stays disarmed).
    pub fn rearm_before_wait(&self, key: Key) {
        self.rearmed.lock().unwrap().push(key);
    }

    fn all(&self) -> Vec<(Key, Arc<KeyObs>)> {
        self.keys.lock().unwrap().clone()
    }

    fn snap(&self) -> Vec<(Key, Snap)> {
        self.all()
            .into_iter()
            .map(|(k, o)| {
                (
                    k,
                    Snap {
                        removed: o.removed.load(SeqCst),
                        pending: o.pending.load(SeqCst),
                        closed: o.closed.load(SeqCst),
                        terminated: o.terminals.load(SeqCst) > 0,
                    },
                )
            })
            .collect()
    }

    fn unhold(&self, held: &mut Held, key: Key) {
        if let Some(p) = held.0.iter().position(|k| *k == key) {
            held.0.swap_remove(p);
            self.obs(key).holders.fetch_sub(1, SeqCst);
        }
    }

    fn unhold_all(&self, held: &mut Held) {
        for k in std::mem::take(&mut held.0) {
            self.obs(k).holders.fetch_sub(1, SeqCst);
        }
    }

    /// `wait` on this thread (releases everything it holds first), checking
    /// every event. Returns the batch.
    pub fn wait(&self, port: &Port, held: &mut Held, max: usize, timeout: Timeout) -> Vec<Event> {
        let rearmed = self.rearmed.lock().unwrap().clone();
        for k in rearmed {
            if held.holds(k) {
                let _ = self.rearm(port, held, k);
            }
        }
        // The wait releases our holds (inside the call: clear first).
        self.unhold_all(held);
        let before = self.snap();
        let mut evs = Events::new();
        port.wait(&mut evs, max, timeout).unwrap();
        for e in evs.iter() {
            let s = before
                .iter()
                .find(|(k, _)| *k == e.key)
                .map(|(_, s)| *s)
                .unwrap_or_default();
            let o = self.obs(e.key);
            assert!(
                !s.removed,
                "no-event-after-cancel: {e:?} after Sync cancel answered Removed"
            );
            assert!(
                !s.terminated,
                "exactly-one-terminal: {e:?} after the key's terminal outcome"
            );
            match e.kind {
                EventKind::Ready | EventKind::Item { .. } => {
                    let ready = e.kind == EventKind::Ready;
                    assert!(!(ready && s.closed), "close-removes: {e:?} after close");
                    assert!(
                        !(ready && s.pending),
                        "no-event-after-cancel: {e:?} after Sync cancel answered Pending"
                    );
                    let prev = o.holders.fetch_add(1, SeqCst);
                    assert_eq!(prev, 0, "no-duplicate-delivery: {e:?} while held");
                    held.0.push(e.key);
                    o.readies.fetch_add(1, SeqCst);
                    if let EventKind::Item { value } = e.kind {
                        o.items.lock().unwrap().push(value);
                    }
                }
                EventKind::Final { result, cancelled } => {
                    assert_eq!(
                        o.holders.load(SeqCst),
                        0,
                        "teardown-safe: {e:?} while another thread holds the key"
                    );
                    o.terminal(e);
                    o.finals.lock().unwrap().push((result, cancelled));
                }
            }
        }
        evs.as_slice().to_vec()
    }

    /// `cancel` on this thread (ends its hold of `key`), checking the
    /// answer.
    pub fn cancel(
        &self,
        port: &Port,
        held: &mut Held,
        key: Key,
        mode: CancelMode,
    ) -> Result<CancelOutcome, Error> {
        self.unhold(held, key);
        let o = self.obs(key);
        let r = port.cancel(key, mode);
        if let Ok(out) = r {
            match out {
                CancelOutcome::Removed { completion } => {
                    assert_eq!(
                        o.holders.load(SeqCst),
                        0,
                        "teardown-safe: {mode:?} cancel answered Removed while another thread holds"
                    );
                    assert_ne!(
                        mode,
                        CancelMode::Async,
                        "honest-cancel: Async cancel answered {out:?}"
                    );
                    match mode {
                        CancelMode::Sync => {
                            assert!(completion.is_none(), "honest-cancel: Sync {out:?}");
                            o.removed.store(true, SeqCst);
                        }
                        _ => {
                            let c = completion.unwrap_or_else(|| {
                                panic!("honest-cancel: Reap answered Removed without a completion")
                            });
                            o.finals.lock().unwrap().push((c.result, c.cancelled));
                        }
                    }
                    o.terminal(&out);
                }
                CancelOutcome::Pending => {
                    if mode == CancelMode::Sync {
                        o.pending.store(true, SeqCst);
                    }
                }
                CancelOutcome::NotFound => {}
            }
            o.outcomes.lock().unwrap().push(out);
        }
        r
    }

    /// `rearm` on this thread (ends its hold of `key`).
    pub fn rearm(&self, port: &Port, held: &mut Held, key: Key) -> Result<(), Error> {
        self.unhold(held, key);
        port.rearm(key)
    }

    /// Releases every readiness key this thread holds with `rearm` (the
    /// board forgets item holds too; they end at the thread's next `wait`).
    pub fn rearm_all(&self, port: &Port, held: &mut Held) {
        for k in held.keys() {
            let _ = self.rearm(port, held, k);
        }
    }

    /// Closes `source` (environment step).
    pub fn close(&self, port: &Port, source: SourceId) {
        port.close(source).unwrap();
        for (_, o) in self.all() {
            if *o.source.lock().unwrap() == Some(source) {
                o.closed.store(true, SeqCst);
            }
        }
    }

    /// Waits (polling) until a batch holds no item, then releases what is
    /// left: the end of a thread that must not keep anything held.
    pub fn settle(&self, port: &Port, held: &mut Held) {
        for _ in 0..6 {
            let evs = self.wait(port, held, 8, Timeout::Poll);
            if !evs.iter().any(|e| matches!(e.kind, EventKind::Item { .. })) {
                break;
            }
        }
        self.rearm_all(port, held);
    }

    /// At quiescence: `key` had exactly one terminal outcome.
    pub fn assert_one_terminal(&self, key: Key) {
        let o = self.obs(key);
        assert_eq!(
            o.terminals(),
            1,
            "exactly-one-terminal: {key}: outcomes {:?}, finals {:?}",
            o.outcomes(),
            o.finals()
        );
    }

    /// At quiescence: a `NotFound` answer only after a terminal outcome,
    /// never two terminal outcomes.
    pub fn check_quiescent(&self) {
        for (k, o) in self.all() {
            let t = o.terminals();
            assert!(t <= 1, "exactly-one-terminal: {k} had {t}");
            if o.outcomes().contains(&CancelOutcome::NotFound) {
                assert_eq!(
                    t,
                    1,
                    "honest-cancel: {k}: NotFound but no terminal outcome (outcomes {:?})",
                    o.outcomes()
                );
            }
        }
    }
}

/// Checks a recorded history: timestamps are well formed, each thread's
/// calls are sequential, and the history checker finds it linearizable
/// against the `unified` profile.
pub fn check_history(records: &[Record]) {
    assert!(!records.is_empty(), "history: nothing recorded");
    let mut threads: Vec<u32> = records.iter().map(|r| r.thread).collect();
    threads.sort_unstable();
    threads.dedup();
    for r in records {
        assert!(r.call < r.ret, "history: call {} >= ret {}", r.call, r.ret);
    }
    for th in threads {
        let mine: Vec<_> = records.iter().filter(|r| r.thread == th).collect();
        for w in mine.windows(2) {
            assert!(w[0].ret < w[1].call, "history: thread {th} overlaps itself");
        }
    }
    linearizable(records);
}

/// The history checker's verdict (`onering_check::history`) under the
/// `unified` profile.
fn linearizable(records: &[Record]) {
    let v = verify_records(records, &UNIFIED);
    assert!(
        v.is_linearizable(),
        "linearizable: the history checker rejects the recorded history (unified): {:?}\n{}",
        v.failure(),
        onering::history::to_jsonl(records)
    );
}
