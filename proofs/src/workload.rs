//! A random concurrent workload on the reference `Port` that records its
//! history: real threads making random thread operations and environment
//! steps over a mix of sources. Used by the history checker's tests and
//! benchmark; a history it records must verify under `unified`.

use onering::{
    CancelMode, CancelOutcome, Config, Events, Key, Mode, Mutant, Port, Record, SimBackend,
    SourceId, SourceKind, Timeout,
};
use onering_corpus::workload::Choices;
use std::sync::{Arc, Mutex};
use std::time::Duration;

/// Workload shape.
#[derive(Clone, Copy, Debug)]
pub struct Workload {
    /// Seed of the per-thread choice sequences
    /// (`onering_corpus::workload::Choices::from_seed`).
    pub seed: u64,
    /// Threads.
    pub threads: usize,
    /// Sources (kinds cycle through level, counter, operation, sticky,
    /// multishot operation, futex, level, operation).
    pub sources: usize,
    /// Calls each thread makes.
    pub calls_per_thread: usize,
    /// A known bug to switch on.
    pub mutant: Option<Mutant>,
}

const KINDS: [(SourceKind, Mode); 8] = [
    (SourceKind::Level, Mode::Dispatch),
    (SourceKind::Counter, Mode::Edge),
    (SourceKind::Operation, Mode::Single),
    (SourceKind::Sticky, Mode::Oneshot),
    (SourceKind::Operation, Mode::Multishot),
    (SourceKind::Futex, Mode::Single),
    (SourceKind::Level, Mode::Level),
    (SourceKind::Operation, Mode::Single),
];

/// Runs the workload and returns the recorded history.
pub fn record(w: Workload) -> Vec<Record> {
    let port: Arc<Port> = Arc::new(Port::with_config(
        SimBackend::new(),
        Config {
            history: true,
            mutant: w.mutant,
        },
    ));
    let sources: Vec<(SourceId, SourceKind, Mode)> = (0..w.sources)
        .map(|i| {
            let (kind, mode) = KINDS[i % KINDS.len()];
            (port.add_source(kind), kind, mode)
        })
        .collect();
    let keys: Arc<Mutex<Vec<Option<Key>>>> = Arc::new(Mutex::new(vec![None; w.sources]));
    let handles: Vec<_> = (0..w.threads)
        .map(|t| {
            let port = Arc::clone(&port);
            let keys = Arc::clone(&keys);
            let sources = sources.clone();
            std::thread::spawn(move || {
                // Each thread's own sequence from the one workload generator
                // (at most 6 choices per call).
                let seed = w.seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ (t as u64 + 1);
                let mut rng = Choices::from_seed(seed, 6 * w.calls_per_thread);
                let mut events = Events::new();
                for _ in 0..w.calls_per_thread {
                    step(&port, &keys, &sources, &mut rng, &mut events);
                }
                // Release whatever this thread still holds.
                let _ = port.wait(&mut events, 1, Timeout::Poll);
            })
        })
        .collect();
    for h in handles {
        h.join().expect("workload thread");
    }
    port.take_history()
}

fn step(
    port: &Port,
    keys: &Mutex<Vec<Option<Key>>>,
    sources: &[(SourceId, SourceKind, Mode)],
    rng: &mut Choices,
    events: &mut Events,
) {
    let i = rng.below(sources.len());
    let (src, kind, mode) = sources[i];
    let key = keys.lock().expect("keys")[i];
    let forget = |k: Key| {
        let mut ks = keys.lock().expect("keys");
        if ks[i] == Some(k) {
            ks[i] = None;
        }
    };
    match rng.below(100) {
        0..=29 => {
            let max = 1 + rng.below(4);
            let timeout = if rng.below(8) == 0 {
                Timeout::after(Duration::from_micros(200))
            } else {
                Timeout::Poll
            };
            if port.wait(events, max, timeout).is_ok() {
                for e in events.iter() {
                    if e.is_final() {
                        let mut ks = keys.lock().expect("keys");
                        for slot in ks.iter_mut() {
                            if *slot == Some(e.key) {
                                *slot = None;
                            }
                        }
                    }
                }
            }
        }
        30..=49 => match kind {
            SourceKind::Level => {
                if rng.below(3) == 0 {
                    let _ = port.lower(src);
                } else {
                    let _ = port.raise(src);
                }
            }
            SourceKind::Counter => {
                let _ = port.increment(src, 1 + rng.below(3) as u64);
            }
            SourceKind::Sticky => {
                let _ = port.raise(src);
            }
            SourceKind::Operation => {
                if mode == Mode::Multishot && rng.below(2) == 0 {
                    let _ = port.stream_item(src, rng.below(100) as i64);
                } else {
                    let _ = port.complete(src, rng.below(100) as i64);
                }
            }
            SourceKind::Futex => {
                let _ = port.futex_wake(src, 1 + rng.below(2) as u32);
            }
        },
        50..=64 => {
            if key.is_none() {
                let r = if kind.is_readiness() {
                    port.register(src, mode)
                } else {
                    port.submit(src, mode)
                };
                if let Ok(k) = r {
                    // Another thread may have registered the source since
                    // `key` was read (both saw `None`): the slot keeps the
                    // winner, and the loser's registration is cancelled, not
                    // overwritten. An overwritten key would stay registered
                    // and unnamed for the rest of the run: a `Dispatch`
                    // registration on a level source re-arms at each wait
                    // and reports the level to the end, so every such leak
                    // is one more registration alive at once (a 1M-call,
                    // 2-thread history over one source piled up 26 such
                    // leaks in one recording, and 113 groups of 4 keys in
                    // another).
                    let lost = {
                        let mut ks = keys.lock().expect("keys");
                        if ks[i].is_none() {
                            ks[i] = Some(k);
                            false
                        } else {
                            true
                        }
                    };
                    if lost {
                        let cm = if kind.is_readiness() {
                            CancelMode::Sync
                        } else {
                            CancelMode::Async
                        };
                        let _ = port.cancel(k, cm);
                    }
                }
            }
        }
        65..=74 => {
            if let Some(k) = key {
                let cm = if kind.is_readiness() {
                    CancelMode::Sync
                } else if rng.below(2) == 0 {
                    CancelMode::Async
                } else {
                    CancelMode::Reap
                };
                match port.cancel(k, cm) {
                    Ok(CancelOutcome::Removed { .. }) | Ok(CancelOutcome::NotFound) => forget(k),
                    _ => {}
                }
            }
        }
        75..=84 => {
            if let Some(k) = key {
                let _ = port.rearm(k);
            }
        }
        85..=92 => {
            if let Some(k) = key {
                if kind.is_readiness() {
                    let modes = [Mode::Level, Mode::Edge, Mode::Oneshot, Mode::Dispatch];
                    let _ = port.modify(k, modes[rng.below(4)]);
                }
            }
        }
        _ => {
            let _ = port.consume(src);
        }
    }
}
