//! The large shuttle scenario: one port, every kind of source, an
//! environment thread, a cancelling thread, several worker threads and a
//! thread blocked in `wait`, each doing a random sequence of calls (drawn
//! from shuttle's deterministic `rand`, so a schedule replays exactly).
//!
//! Sources and keys (at least 9 keys):
//!
//! | source | kind | registration |
//! |---|---|---|
//! | `lv` | Level | Dispatch (cancelled, then its slot reused) |
//! | `lv2` | Level | Level |
//! | `st` | Sticky | Oneshot (liveness of `rearm`) |
//! | `ct` | Counter | Edge |
//! | `extra[i]` | Level | Dispatch |
//! | `os` | Operation | Single |
//! | `om` | Operation | Multishot |
//! | `fx` | Futex | two Single waiters |
//! | `sentinel` | Sticky | Oneshot (ends the blocked thread) |
//!
//! Every thread goes through the [`Board`], which asserts the unified
//! properties as events are seen. At quiescence the scenario checks
//! liveness (a true `Sticky` condition is queued after every release),
//! cancels every key, and asserts exactly one terminal outcome per key,
//! honest completions, streamed items delivered once and in order, and the
//! futex wake count; then it checks the recorded history.

use std::sync::Arc as StdArc;

use onering::{
    CancelMode, CancelOutcome, Config, EventKind, Key, Mode, Mutant, Port, SimBackend, SourceId,
    SourceKind, Timeout,
};
use shuttle::rand::{thread_rng, Rng};
use shuttle::sync::Arc;
use shuttle::thread;

use crate::common_props::{check_history, Board, Held};

/// The shape of one scenario.
#[derive(Clone, Copy, Debug)]
pub struct Params {
    /// Worker threads (besides the environment, the canceller and the
    /// blocked waiter).
    pub workers: usize,
    /// Calls per worker.
    pub worker_steps: usize,
    /// Extra `Level`/`Dispatch` keys.
    pub extra: usize,
}

/// Mixed sources, three workers.
pub const MIXED: Params = Params {
    workers: 3,
    worker_steps: 5,
    extra: 1,
};

/// A thread pool over many readiness keys: four workers, four extra keys.
pub const POOL: Params = Params {
    workers: 4,
    worker_steps: 6,
    extra: 4,
};

#[derive(Clone, Copy, Debug)]
enum Env {
    Raise(SourceId),
    Lower(SourceId),
    Increment(SourceId, u64),
    Stream(SourceId, i64),
    Complete(SourceId, i64),
    FutexWake(SourceId, u32),
}

#[derive(Debug, Default)]
struct EnvLog {
    os_completed: bool,
    om_completed: bool,
    streamed: Vec<i64>,
    woken: u32,
    st_raised: bool,
}

fn shuffle<T>(v: &mut [T]) {
    let mut rng = thread_rng();
    for i in (1..v.len()).rev() {
        let j = rng.gen_range(0..=i);
        v.swap(i, j);
    }
}

/// One execution of the scenario on a port with an optional mutant.
pub fn run(p: Params, m: Option<Mutant>) {
    let port = Arc::new(Port::with_config(
        SimBackend::new(),
        Config {
            history: true,
            mutant: m,
        },
    ));
    let board = StdArc::new(Board::new());
    let reg = |kind: SourceKind, mode: Mode| {
        let s = port.add_source(kind);
        let k = port.register(s, mode).unwrap();
        board.add(k, s);
        (s, k)
    };
    let (lv, k_lv) = reg(SourceKind::Level, Mode::Dispatch);
    let (lv2, k_lv2) = reg(SourceKind::Level, Mode::Level);
    let (st, k_st) = reg(SourceKind::Sticky, Mode::Oneshot);
    board.rearm_before_wait(k_st);
    let (ct, k_ct) = reg(SourceKind::Counter, Mode::Edge);
    let extra: Vec<(SourceId, Key)> = (0..p.extra)
        .map(|_| reg(SourceKind::Level, Mode::Dispatch))
        .collect();
    let (sentinel, k_sent) = reg(SourceKind::Sticky, Mode::Oneshot);
    let sub = |kind: SourceKind, mode: Mode| {
        let s = port.add_source(kind);
        let k = port.submit(s, mode).unwrap();
        board.add(k, s);
        (s, k)
    };
    let (os, k_os) = sub(SourceKind::Operation, Mode::Single);
    let (om, k_om) = sub(SourceKind::Operation, Mode::Multishot);
    let fx = port.add_source(SourceKind::Futex);
    let k_f1 = port.submit(fx, Mode::Single).unwrap();
    let k_f2 = port.submit(fx, Mode::Single).unwrap();
    board.add(k_f1, fx);
    board.add(k_f2, fx);
    port.raise(lv).unwrap();

    // The environment: a random order of steps (streams stay in order).
    let env = {
        let port = port.clone();
        let mut steps = vec![
            Env::Raise(lv),
            Env::Raise(lv2),
            Env::Lower(lv),
            Env::Raise(st),
            Env::Increment(ct, 1),
            Env::Increment(ct, 2),
            Env::Complete(os, 7),
            Env::Complete(om, 9),
            Env::FutexWake(fx, 1),
        ];
        steps.extend(extra.iter().map(|&(s, _)| Env::Raise(s)));
        thread::spawn(move || {
            shuffle(&mut steps);
            // Two items, in order, before wherever the completion landed.
            let at = thread_rng().gen_range(0..=steps.len());
            steps.insert(at, Env::Stream(om, 2));
            let at = thread_rng().gen_range(0..=at);
            steps.insert(at, Env::Stream(om, 1));
            let mut log = EnvLog::default();
            for s in steps {
                match s {
                    Env::Raise(s) => {
                        port.raise(s).unwrap();
                        log.st_raised |= s == st;
                    }
                    Env::Lower(s) => port.lower(s).unwrap(),
                    Env::Increment(s, n) => port.increment(s, n).unwrap(),
                    Env::Stream(s, v) => {
                        if port.stream_item(s, v).is_ok() {
                            log.streamed.push(v);
                        }
                    }
                    Env::Complete(s, r) => {
                        let ok = port.complete(s, r).is_ok();
                        if s == os {
                            log.os_completed = ok;
                        } else {
                            log.om_completed = ok;
                        }
                    }
                    Env::FutexWake(s, n) => log.woken += port.futex_wake(s, n).unwrap(),
                }
            }
            log
        })
    };

    // The canceller: a random subset of cancels, in random order; when the
    // Level key is removed, its source is registered again (slot reuse).
    let canceller = {
        let (port, board) = (port.clone(), board.clone());
        let mut cancels = vec![
            (k_lv, CancelMode::Sync),
            (k_os, CancelMode::Reap),
            (k_om, CancelMode::Async),
            (k_f1, CancelMode::Async),
        ];
        if let Some(&(_, k)) = extra.first() {
            cancels.push((k, CancelMode::Sync));
        }
        thread::spawn(move || {
            shuffle(&mut cancels);
            let mut rng = thread_rng();
            let mut late = Vec::new();
            let mut held = Held::default();
            for (k, mode) in cancels {
                if rng.gen_bool(0.25) {
                    continue;
                }
                let mode = if mode == CancelMode::Reap && rng.gen_bool(0.5) {
                    CancelMode::Async
                } else {
                    mode
                };
                let o = board.cancel(&port, &mut held, k, mode).unwrap();
                if k == k_lv && o == (CancelOutcome::Removed { completion: None }) {
                    let k2 = port.register(lv, Mode::Dispatch).unwrap();
                    assert_ne!(k2, k_lv, "key reuse: the old key came back");
                    board.add(k2, lv);
                    late.push(k2);
                }
            }
            late
        })
    };

    // The workers: random waits, releases and consumes.
    let workers: Vec<_> = (0..p.workers)
        .map(|_| {
            let (port, board) = (port.clone(), board.clone());
            thread::spawn(move || {
                let mut rng = thread_rng();
                let mut held = Held::default();
                for _ in 0..p.worker_steps {
                    match rng.gen_range(0..10) {
                        0..=5 => {
                            let max = rng.gen_range(1..=3);
                            board.wait(&port, &mut held, max, Timeout::Poll);
                        }
                        6 | 7 => {
                            let keys = held.keys();
                            if !keys.is_empty() {
                                let k = keys[rng.gen_range(0..keys.len())];
                                let _ = board.rearm(&port, &mut held, k);
                            }
                        }
                        _ => {
                            let s = [lv, lv2, ct][rng.gen_range(0..3)];
                            port.consume(s).unwrap();
                        }
                    }
                }
                board.settle(&port, &mut held);
            })
        })
        .collect();

    // The blocked waiter: waits until the sentinel, raised last, arrives.
    let blocker = {
        let (port, board) = (port.clone(), board.clone());
        thread::spawn(move || {
            let mut held = Held::default();
            loop {
                let evs = board.wait(&port, &mut held, 2, Timeout::Block);
                if evs.iter().any(|e| e.key == k_sent) {
                    break;
                }
                // A true Level key comes straight back: without a yield this
                // loop would starve the other threads under PCT.
                thread::yield_now();
            }
            board.rearm_all(&port, &mut held);
            // Whatever the last batch held besides the sentinel.
            board.settle(&port, &mut held);
        })
    };

    let log = env.join().unwrap();
    let late = canceller.join().unwrap();
    for w in workers {
        w.join().unwrap();
    }
    port.raise(sentinel).unwrap();
    blocker.join().unwrap();

    // Quiescent. Nobody holds anything: every release re-checked its
    // level, so a raised Sticky Oneshot registration is queued now.
    let mut held = Held::default();
    let evs = board.wait(&port, &mut held, 64, Timeout::Poll);
    if log.st_raised {
        assert!(
            evs.iter()
                .any(|e| e.key == k_st && e.kind == EventKind::Ready),
            "rearm-rechecks-level: raised Sticky Oneshot not queued at quiescence: {evs:?}"
        );
    }

    // Cancel everything; exactly one terminal outcome each.
    let mut readiness = vec![k_lv, k_lv2, k_st, k_ct, k_sent];
    readiness.extend(extra.iter().map(|&(_, k)| k));
    readiness.extend(late.iter().copied());
    for &k in &readiness {
        board.cancel(&port, &mut held, k, CancelMode::Sync).unwrap();
    }
    for &k in &[k_os, k_om, k_f1, k_f2] {
        board.cancel(&port, &mut held, k, CancelMode::Reap).unwrap();
    }
    board.settle(&port, &mut held);
    board.settle(&port, &mut held);
    for &k in readiness.iter().chain(&[k_os, k_om, k_f1, k_f2]) {
        board.assert_one_terminal(k);
    }

    // Honest completions, items, futex wake count.
    let os_final = if log.os_completed {
        (Some(7), false)
    } else {
        (None, true)
    };
    assert_eq!(
        board.obs(k_os).finals(),
        vec![os_final],
        "honest-cancel: os"
    );
    let om_final = if log.om_completed {
        (Some(9), false)
    } else {
        (None, true)
    };
    assert_eq!(
        board.obs(k_om).finals(),
        vec![om_final],
        "honest-cancel: om"
    );
    assert_eq!(
        *board.obs(k_om).items.lock().unwrap(),
        log.streamed,
        "multishot items delivered once each, in order"
    );
    let released = [k_f1, k_f2]
        .iter()
        .filter(|&&k| board.obs(k).finals() == vec![(Some(0), false)])
        .count() as u32;
    assert_eq!(released, log.woken, "futex-wake-count");
    board.check_quiescent();
    check_history(&port.take_history());
}
