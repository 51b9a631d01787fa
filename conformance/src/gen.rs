//! Generated single-threaded cases (proptest), shrunk to a minimal
//! divergence. Each generated case picks a family (backing, kind, mode,
//! keys) the engine supports and a list of steps over it; it runs on a
//! fresh engine and is checked step by step like a corpus case.

use crate::case::{Backing, CancelHow, Case, EngineName, Line, Step, WaitFor};
use crate::engine::{self, EngineError, Setup};
use crate::findings;
use crate::run::{self, Report, Verdict};
use onering_model::{Mode, Rules, SourceKind};
use proptest::prelude::*;
use proptest::test_runner::{Config, RngAlgorithm, TestError, TestRng, TestRunner};
use std::time::{Duration, Instant};

/// A family of generated cases.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Family {
    /// Real backing.
    pub backing: Backing,
    /// Model kind.
    pub kind: SourceKind,
    /// Mode.
    pub mode: Mode,
    /// Keys.
    pub keys: u8,
}

const fn fam(backing: Backing, kind: SourceKind, mode: Mode, keys: u8) -> Family {
    Family {
        backing,
        kind,
        mode,
        keys,
    }
}

use Backing as B;
use Mode as M;
use SourceKind as S;

/// The families generated for an engine.
pub fn families(engine: EngineName) -> &'static [Family] {
    const EPOLL: &[Family] = &[
        fam(B::Pipe, S::Level, M::Level, 2),
        fam(B::Pipe, S::Level, M::Edge, 2),
        fam(B::Socket, S::Level, M::Oneshot, 2),
        fam(B::Eventfd, S::Counter, M::Edge, 2),
        fam(B::Eventfd, S::Counter, M::Oneshot, 1),
    ];
    const URING: &[Family] = &[
        fam(B::Pipe, S::Level, M::Oneshot, 2),
        fam(B::Socket, S::Level, M::Multishot, 1),
        fam(B::Eventfd, S::Counter, M::Oneshot, 1),
        fam(B::Futex, S::Futex, M::Single, 3),
        fam(B::Read, S::Operation, M::Single, 2),
    ];
    const UNIFIED: &[Family] = &[
        fam(B::Pipe, S::Level, M::Level, 2),
        fam(B::Pipe, S::Level, M::Dispatch, 2),
        fam(B::Pipe, S::Level, M::Oneshot, 2),
        fam(B::Eventfd, S::Counter, M::Edge, 2),
        fam(B::Pidfd, S::Sticky, M::Dispatch, 1),
        fam(B::Futex, S::Futex, M::Single, 3),
        fam(B::Read, S::Operation, M::Single, 2),
        fam(B::ReadMulti, S::Operation, M::Multishot, 1),
    ];
    // The Port on Linux: real pipes, eventfd triggers, pidfds, futexes,
    // reads, and multishot reads and recvs (its provided-buffer ring).
    const PORT_LINUX: &[Family] = &[
        fam(B::Pipe, S::Level, M::Level, 2),
        fam(B::Pipe, S::Level, M::Dispatch, 2),
        fam(B::Socket, S::Level, M::Oneshot, 2),
        fam(B::Pipe, S::Level, M::Edge, 2),
        fam(B::Eventfd, S::Counter, M::Edge, 2),
        fam(B::Eventfd, S::Counter, M::Dispatch, 1),
        fam(B::Pidfd, S::Sticky, M::Dispatch, 1),
        fam(B::Futex, S::Futex, M::Single, 3),
        fam(B::Read, S::Operation, M::Single, 2),
        fam(B::ReadMulti, S::Operation, M::Multishot, 1),
        fam(B::Socket, S::Operation, M::Multishot, 1),
    ];
    match engine {
        EngineName::Epoll => EPOLL,
        EngineName::Uring => URING,
        EngineName::PortLinux => PORT_LINUX,
        EngineName::Model | EngineName::Port => UNIFIED,
    }
}

fn wait() -> impl Strategy<Value = Step> {
    (
        1u8..=4,
        prop_oneof![
            Just(WaitFor::Poll),
            Just(WaitFor::For(Duration::from_millis(1)))
        ],
    )
        .prop_map(|(m, w)| Step::Wait(m, w))
}

/// Steps of a thread other than thread 0 in a multi-threaded generated
/// case. Only thread 0 registers, modifies and cancels: a case names keys
/// abstractly (`k0`), and a key named by one thread while another
/// re-registers it would be a different registration in the engine and in
/// the history (a real caller names the key it was handed). Other threads
/// wait and drive the sources; on io_uring they only drive the sources (the
/// ring has one issuer).
fn other_steps(f: Family, engine: EngineName) -> BoxedStrategy<Step> {
    let k = 0..f.keys;
    let mut v: Vec<BoxedStrategy<Step>> = vec![(1u64..4)
        .prop_map(|ms| Step::Sleep(Duration::from_millis(ms)))
        .boxed()];
    if engine != EngineName::Uring {
        v.push(wait().boxed());
        v.push(wait().boxed());
        if f.kind.is_readiness() {
            v.push(k.clone().prop_map(Step::Raise).boxed());
            if f.kind != S::Sticky {
                v.push(k.clone().prop_map(Step::Consume).boxed());
            }
        }
    }
    if engine == EngineName::Uring {
        match f.kind {
            S::Futex => v.push((1u8..=4).prop_map(Step::FutexWake).boxed()),
            // Completing an operation from another thread: whether the
            // read is still in flight is decided by task work on thread 0
            // (F3), so a second `complete` cannot be told from data for
            // the next read (FINDINGS.md L6). Thread 0 completes.
            S::Operation => {}
            // signalfd signals are per thread; the families here are fds.
            _ => v.push(k.prop_map(Step::Raise).boxed()),
        }
    }
    proptest::strategy::Union::new(v).boxed()
}

/// Steps that make sense for `f` on `engine`.
fn steps(f: Family, engine: EngineName) -> BoxedStrategy<Step> {
    let k = 0..f.keys;
    let readiness = f.kind.is_readiness();
    let uring = engine == EngineName::Uring;
    let mut v: Vec<BoxedStrategy<Step>> = vec![
        k.clone().prop_map(Step::Register).boxed(),
        wait().boxed(),
        wait().boxed(),
        k.clone()
            .prop_map(|k| Step::Cancel(k, CancelHow::Default))
            .boxed(),
    ];
    if readiness {
        v.push(k.clone().prop_map(Step::Raise).boxed());
        v.push(k.clone().prop_map(Step::Raise).boxed());
        if f.kind != S::Sticky {
            v.push(k.clone().prop_map(Step::Consume).boxed());
        }
        if f.kind == S::Level && !uring {
            v.push(k.clone().prop_map(Step::Lower).boxed());
        }
        let port = matches!(engine, EngineName::Port | EngineName::PortLinux);
        if engine == EngineName::Epoll || port {
            let modes: &'static [Mode] = if engine == EngineName::Epoll {
                &[M::Level, M::Oneshot]
            } else {
                &[M::Level, M::Dispatch]
            };
            v.push(
                (k.clone(), proptest::sample::select(modes))
                    .prop_map(|(k, m)| Step::Modify(k, m))
                    .boxed(),
            );
            // epoll's re-arm is EPOLL_CTL_MOD, generated as `modify`.
            if matches!(f.mode, M::Oneshot | M::Dispatch) && port {
                v.push(k.clone().prop_map(Step::Rearm).boxed());
            }
        }
    }
    if uring && f.backing.is_fd() {
        v.push(
            k.clone()
                .prop_map(|k| Step::Cancel(k, CancelHow::PollRemove))
                .boxed(),
        );
    }
    if uring {
        v.push(
            k.clone()
                .prop_map(|k| Step::Cancel(k, CancelHow::SyncRegister))
                .boxed(),
        );
    }
    if matches!(engine, EngineName::Port | EngineName::PortLinux) && !readiness {
        v.push(
            k.clone()
                .prop_map(|k| Step::Cancel(k, CancelHow::Reap))
                .boxed(),
        );
    }
    match f.kind {
        S::Futex => v.push((1u8..=4).prop_map(Step::FutexWake).boxed()),
        S::Operation => {
            v.push(k.clone().prop_map(Step::Complete).boxed());
            if f.mode == M::Multishot {
                v.push(k.clone().prop_map(Step::StreamItem).boxed());
            }
        }
        _ => {}
    }
    proptest::strategy::Union::new(v).boxed()
}

/// A generated case: the family and each thread's steps.
pub type Generated = (usize, Vec<Vec<Step>>);

fn strategy(engine: EngineName, threads: usize) -> impl Strategy<Value = Generated> {
    let fams = families(engine);
    (0..fams.len()).prop_flat_map(move |i| {
        let f = fams[i];
        let first = proptest::collection::vec(steps(f, engine), 1..14);
        let others = proptest::collection::vec(
            proptest::collection::vec(other_steps(f, engine), 1..6),
            threads.saturating_sub(1),
        );
        (Just(i), first, others).prop_map(move |(i, first, others)| {
            let mut all = vec![first];
            all.extend(others);
            (i, all)
        })
    })
}

/// The case a generated value stands for.
pub fn to_case(engine: EngineName, g: &Generated) -> Case {
    let f = families(engine)[g.0];
    let multi = g.1.len() > 1;
    Case {
        name: format!(
            "generated-{}-{}-{}",
            f.backing.name(),
            f.kind.name(),
            f.mode.name()
        ),
        about: "generated".into(),
        backing: f.backing,
        kind: f.kind,
        mode: f.mode,
        keys: f.keys,
        engines: vec![engine],
        pinned: Vec::new(),
        kernel: Vec::new(),
        threads: g
            .1
            .iter()
            .enumerate()
            .map(|(t, steps)| {
                // Multi-threaded: thread 0 registers every key first, so
                // that the other threads have something to race on.
                let prefix = (0..f.keys).map(Step::Register).filter(|_| multi && t == 0);
                prefix
                    .chain(steps.iter().cloned())
                    .map(|step| Line { step, expect: None })
                    .collect()
            })
            .collect(),
        repeat: 1,
        expect_profile: None,
        woken: Default::default(),
    }
}

/// One generated case run: its verdict with a finding that explains it.
pub fn run_one(engine: EngineName, setup: Setup, rules: Rules, g: &Generated) -> Verdict {
    let case = to_case(engine, g);
    let eng = match engine::build(engine, &case, setup, rules) {
        Ok(e) => e,
        Err(EngineError::NotApplicable(m)) => return Verdict::NotApplicable(m),
        Err(e) => return Verdict::Error(e.to_string()),
    };
    let (v, _) = if case.threads.len() == 1 {
        run::single(&case, &*eng, rules)
    } else {
        run::multi(&case, &*eng, rules)
    };
    match v {
        Verdict::Divergence(r) => match findings::explain(engine, setup, &case, &r) {
            Some(id) => Verdict::Expected(id.to_string()),
            None => Verdict::Divergence(r),
        },
        other => other,
    }
}

/// What a generated run found.
#[derive(Clone, Debug)]
pub struct GenOutcome {
    /// Cases run.
    pub cases: u32,
    /// Divergences a finding explains, by finding.
    pub explained: Vec<(String, u32)>,
    /// The minimal unexplained divergence, if any: the case and its report.
    pub minimal: Option<(Case, Report)>,
    /// Seconds spent.
    pub seconds: f64,
}

/// Runs `cases` generated cases with `threads` threads (1: checked step by
/// step; more: recorded and checked by the history checker) from `seed`;
/// `tick` after each.
pub fn run(
    engine: EngineName,
    setup: Setup,
    cases: u32,
    seed: u64,
    threads: usize,
    tick: &dyn Fn(),
) -> GenOutcome {
    // The model engine runs single-threaded cases only.
    let threads = if engine == EngineName::Model {
        1
    } else {
        threads.max(1)
    };
    let start = Instant::now();
    let rules = match engine.profile() {
        Some(r) => r,
        // The model engine runs the generated cases under `unified`.
        None => onering_model::UNIFIED,
    };
    let mut seed_bytes = [0u8; 32];
    seed_bytes[..8].copy_from_slice(&seed.to_le_bytes());
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 2000,
        ..Config::default()
    };
    let mut runner = TestRunner::new_with_rng(
        config,
        TestRng::from_seed(RngAlgorithm::ChaCha, &seed_bytes),
    );
    let explained = std::cell::RefCell::new(std::collections::BTreeMap::<String, u32>::new());
    let ran = std::cell::Cell::new(0u32);
    // The report of the last failing run: after shrinking, the minimal
    // case's (re-running it may not diverge again when timing decides).
    let last = std::cell::RefCell::new(None::<(Generated, Report)>);
    let result = runner.run(&strategy(engine, threads), |g| {
        ran.set(ran.get() + 1);
        tick();
        match run_one(engine, setup, rules, &g) {
            Verdict::Divergence(r) => {
                let summary = r.summary.clone();
                *last.borrow_mut() = Some((g.clone(), r));
                Err(TestCaseError::fail(summary))
            }
            Verdict::Error(m) => Err(TestCaseError::fail(m)),
            Verdict::Expected(id) => {
                *explained.borrow_mut().entry(id).or_default() += 1;
                Ok(())
            }
            _ => Ok(()),
        }
    });
    let minimal = match result {
        Err(TestError::Fail(_, g)) => {
            let case = to_case(engine, &g);
            match last.into_inner() {
                Some((lg, r)) if lg == g => Some((case, r)),
                _ => match run_one(engine, setup, rules, &g) {
                    Verdict::Divergence(r) => Some((case, r)),
                    Verdict::Error(m) => Some((
                        case,
                        Report {
                            summary: m,
                            transcript: Vec::new(),
                            history: None,
                            hard: false,
                            at: None,
                        },
                    )),
                    _ => Some((
                        case,
                        Report {
                            summary: "a generated case diverged, but its shrunk form passed when run again (timing-dependent)".into(),
                            transcript: Vec::new(),
                            history: None,
                            hard: false,
                            at: None,
                        },
                    )),
                },
            }
        }
        Err(TestError::Abort(m)) => Some((
            to_case(engine, &(0, vec![Vec::new()])),
            Report {
                summary: format!("generation aborted: {m}"),
                transcript: Vec::new(),
                history: None,
                hard: false,
                at: None,
            },
        )),
        Ok(()) => None,
    };
    GenOutcome {
        cases: cases.min(ran.get()),
        explained: explained.into_inner().into_iter().collect(),
        minimal,
        seconds: start.elapsed().as_secs_f64(),
    }
}
