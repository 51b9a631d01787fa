//! Random operation sequences over three threads (each call made by one of
//! three long-lived worker threads, one call at a time), checking the
//! unified safety properties after every call, then tearing everything down
//! and checking exactly-one-terminal at quiescence. The calls come from the
//! one workload generator (`onering_corpus::workload`, proptest): the cases
//! are the same on every run, and a failing case is shrunk and printed in
//! its minimal form.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::cell::RefCell;
use std::sync::Arc;

use common::Worker;
use onering::{
    CancelMode, CancelOutcome, Config, Error, EventKind, Events, Key, Mode, Mutant, Port,
    SimBackend, SourceId, SourceKind, StateName, Timeout,
};
use onering_corpus::workload::{self, Choices};

const THREADS: usize = 3;

#[derive(Debug)]
struct KeyInfo {
    key: Key,
    source: SourceId,
    kind: SourceKind,
    holder: Option<usize>,
    terminals: u32,
    removed: bool,
    sync_pending: bool,
    cancelled: bool,
}

/// How often the interesting outcomes happened (sometimes-witnesses: the
/// properties above must not hold vacuously).
#[derive(Debug, Default)]
struct Seen {
    sync_pending: usize,
    removed: usize,
    reaped: usize,
    cancelled_finals: usize,
    real_finals: usize,
    items: usize,
    futex_released: usize,
}

struct Checker {
    seen: Seen,
    port: Arc<Port>,
    workers: Vec<Worker>,
    sources: Vec<(SourceId, SourceKind, bool)>,
    keys: Vec<KeyInfo>,
}

impl Checker {
    fn info(&mut self, k: Key) -> &mut KeyInfo {
        self.keys
            .iter_mut()
            .find(|i| i.key == k)
            .unwrap_or_else(|| panic!("event for unknown key {k}"))
    }

    fn unhold(&mut self, t: usize, k: Option<Key>) {
        for i in &mut self.keys {
            if i.holder == Some(t) && k.is_none_or(|k| k == i.key) {
                i.holder = None;
            }
        }
    }

    fn wait(&mut self, t: usize, max: usize) -> usize {
        self.unhold(t, None);
        let port = Arc::clone(&self.port);
        let evs = self.workers[t].run(move || {
            let mut evs = Events::new();
            port.wait(&mut evs, max, Timeout::Poll).unwrap();
            evs.as_slice().to_vec()
        });
        assert!(evs.len() <= max, "batch-bounds");
        for (i, e) in evs.iter().enumerate() {
            assert!(
                evs[..i].iter().all(|o| o.key != e.key),
                "batch-bounds: key twice"
            );
            let info = self.info(e.key);
            assert_eq!(info.terminals, 0, "event after terminal: {e:?}");
            assert!(!info.removed, "no-event-after-cancel: {e:?}");
            match e.kind {
                EventKind::Ready | EventKind::Item { .. } => {
                    assert!(!info.sync_pending, "no-event-after-cancel (Pending): {e:?}");
                    assert_eq!(info.holder, None, "no-duplicate-delivery: {e:?} to {t}");
                    info.holder = Some(t);
                    if matches!(e.kind, EventKind::Item { .. }) {
                        self.seen.items += 1;
                    }
                }
                EventKind::Final { cancelled, .. } => {
                    assert_eq!(info.holder, None, "teardown-safe: {e:?}");
                    info.terminals += 1;
                    if cancelled {
                        self.seen.cancelled_finals += 1;
                    } else {
                        self.seen.real_finals += 1;
                    }
                }
            }
        }
        evs.len()
    }

    fn cancel(&mut self, t: usize, idx: usize) {
        let (k, kind) = (self.keys[idx].key, self.keys[idx].kind);
        self.unhold(t, Some(k));
        let mode = if kind.is_readiness() {
            CancelMode::Sync
        } else if idx.is_multiple_of(2) {
            CancelMode::Async
        } else {
            CancelMode::Reap
        };
        let port = Arc::clone(&self.port);
        let o = self.workers[t].run(move || port.cancel(k, mode)).unwrap();
        let info = &mut self.keys[idx];
        info.cancelled = true;
        match o {
            CancelOutcome::Removed { completion } => {
                self.seen.removed += 1;
                self.seen.reaped += usize::from(completion.is_some());
                assert_eq!(info.holder, None, "teardown-safe: Removed");
                assert_eq!(info.terminals, 0, "exactly-one-terminal");
                info.terminals += 1;
                info.removed = true;
            }
            CancelOutcome::Pending => {
                assert_eq!(info.terminals, 0, "Pending after terminal");
                if mode == CancelMode::Sync {
                    info.sync_pending = true;
                    self.seen.sync_pending += 1;
                }
            }
            CancelOutcome::NotFound => {
                assert_eq!(info.terminals, 1, "NotFound before terminal");
            }
        }
    }

    fn step(&mut self, rng: &mut Choices) {
        let t = rng.below(THREADS);
        let port = Arc::clone(&self.port);
        match rng.below(14) {
            0 => {
                let kind = [
                    SourceKind::Level,
                    SourceKind::Counter,
                    SourceKind::Sticky,
                    SourceKind::Futex,
                    SourceKind::Operation,
                ][rng.below(5)];
                let s = port.add_source(kind);
                self.sources.push((s, kind, false));
            }
            1 | 2 if !self.sources.is_empty() => {
                let (s, kind, closed) = self.sources[rng.below(self.sources.len())];
                let mode = match kind {
                    k if k.is_readiness() => {
                        [Mode::Level, Mode::Edge, Mode::Oneshot, Mode::Dispatch][rng.below(4)]
                    }
                    SourceKind::Futex => Mode::Single,
                    _ => [Mode::Single, Mode::Multishot][rng.below(2)],
                };
                let r = self.workers[t].run(move || {
                    if kind.is_readiness() {
                        port.register(s, mode)
                    } else {
                        port.submit(s, mode)
                    }
                });
                match r {
                    Ok(key) => self.keys.push(KeyInfo {
                        key,
                        source: s,
                        kind,
                        holder: None,
                        terminals: 0,
                        removed: false,
                        sync_pending: false,
                        cancelled: false,
                    }),
                    Err(Error::Closed(_)) => assert!(closed),
                    Err(Error::AlreadySubmitted(_)) => assert_eq!(kind, SourceKind::Operation),
                    Err(e) => panic!("register: {e}"),
                }
            }
            3..=5 => {
                self.wait(t, 1 + rng.below(3));
            }
            6 if !self.keys.is_empty() => {
                let idx = rng.below(self.keys.len());
                self.cancel(t, idx);
            }
            7 if !self.keys.is_empty() => {
                let k = self.keys[rng.below(self.keys.len())].key;
                self.unhold(t, Some(k));
                let _ = self.workers[t].run(move || port.rearm(k));
            }
            8 if !self.keys.is_empty() => {
                let k = self.keys[rng.below(self.keys.len())].key;
                let mode = [Mode::Level, Mode::Edge, Mode::Oneshot, Mode::Dispatch][rng.below(4)];
                let _ = self.workers[t].run(move || port.modify(k, mode));
            }
            9..=13 if !self.sources.is_empty() => {
                let i = rng.below(self.sources.len());
                let (s, kind, _) = self.sources[i];
                let choice = rng.below(4);
                match kind {
                    SourceKind::Level | SourceKind::Sticky | SourceKind::Counter => match choice {
                        0 | 1 => {
                            let _ = if kind == SourceKind::Counter {
                                port.increment(s, 1)
                            } else {
                                port.raise(s)
                            };
                        }
                        2 => {
                            let _ = if kind == SourceKind::Level {
                                port.lower(s)
                            } else {
                                port.consume(s)
                            };
                        }
                        _ => {
                            if rng.below(4) == 0 {
                                port.close(s).unwrap();
                                self.sources[i].2 = true;
                            }
                        }
                    },
                    SourceKind::Futex => {
                        let n = rng.below(3) as u32;
                        let waiting = self
                            .keys
                            .iter()
                            .filter(|i| {
                                i.source == s && port.state(i.key) == Ok(StateName::InFlight)
                            })
                            .count() as u32;
                        if n == 0 {
                            // The model's precondition: n >= 1.
                            assert_eq!(port.futex_wake(s, n), Err(Error::ZeroWake(s)));
                            return;
                        }
                        let woken = port.futex_wake(s, n).unwrap();
                        self.seen.futex_released += woken as usize;
                        assert_eq!(woken, n.min(waiting), "futex-wake-count");
                    }
                    SourceKind::Operation => {
                        let _ = if choice == 0 {
                            port.complete(s, rng.below(100) as i64)
                        } else {
                            port.stream_item(s, rng.below(100) as i64)
                        };
                    }
                }
            }
            _ => {}
        }
    }

    /// Cancels everything, releases every hold and drains: every key must
    /// then have exactly one terminal outcome.
    fn teardown(&mut self) {
        for (s, kind, _) in self.sources.clone() {
            if kind.is_readiness() {
                self.port.close(s).unwrap();
            } else if kind == SourceKind::Futex {
                self.port.futex_wake(s, u32::MAX).unwrap();
            }
        }
        for idx in 0..self.keys.len() {
            self.cancel(idx % THREADS, idx);
        }
        for _ in 0..8 {
            let mut got = 0;
            for t in 0..THREADS {
                got += self.wait(t, 8);
            }
            if got == 0 && self.keys.iter().all(|i| i.holder.is_none()) {
                break;
            }
        }
        for i in &self.keys {
            assert_eq!(i.terminals, 1, "exactly-one-terminal at quiescence: {i:?}");
        }
    }
}

/// One random case on a port with `mutant`, its calls chosen by `rng`
/// (80 steps; an exhausted sequence chooses 0); returns what it saw.
fn run_case(mut rng: Choices, mutant: Option<Mutant>, seen: Seen) -> Seen {
    let mut c = Checker {
        seen,
        port: Arc::new(Port::with_config(
            SimBackend::new(),
            Config {
                history: false,
                mutant,
            },
        )),
        workers: (0..THREADS).map(|_| Worker::new()).collect(),
        sources: Vec::new(),
        keys: Vec::new(),
    };
    for _ in 0..80 {
        c.step(&mut rng);
    }
    c.teardown();
    c.seen
}

/// Choices for 80 steps (each takes at most 5).
const LEN: std::ops::Range<usize> = 0..400;

#[test]
fn random_sequences_catch_safety_mutants() {
    // RearmNoRecheck and MissingWakeup lose events rather than break a
    // safety property; `mutants.rs` and the loom harnesses catch them.
    for m in [
        Mutant::CancelNoPurge,
        Mutant::DispatchRequeuesWhileHeld,
        Mutant::CancelledAfterQueued,
        Mutant::SecondFinal,
        Mutant::RemovedWhileHeld,
    ] {
        let caught = workload::run(300, LEN, |c| {
            run_case(c, Some(m), Seen::default());
            Ok(())
        });
        let why = caught.expect_err(&format!("mutant {} survived 300 random cases", m.name()));
        // The minimal form is what a person debugging it would read.
        assert!(
            why.starts_with("minimal failing workload: Choices("),
            "{why}"
        );
    }
}

#[test]
fn random_operation_sequences_keep_unified_properties() {
    let seen = RefCell::new(Seen::default());
    workload::check(300, LEN, |c| {
        let s = std::mem::take(&mut *seen.borrow_mut());
        *seen.borrow_mut() = run_case(c, None, s);
        Ok(())
    });
    let seen = seen.into_inner();
    eprintln!("{seen:?}");
    assert!(seen.sync_pending > 0, "{seen:?}");
    assert!(seen.reaped > 0, "{seen:?}");
    assert!(
        seen.cancelled_finals > 0 && seen.real_finals > 0,
        "{seen:?}"
    );
    assert!(seen.items > 0 && seen.futex_released > 0, "{seen:?}");
}
