//! The history checker against the model itself: every execution of the
//! unified model, written down as a history (one source per key, the
//! kernel's silent steps left out, a blocking wait spanning from its call to
//! the step that returned it), must verify under `unified`; executions of
//! the epoll profile that show a duplicate delivery must not.

use onering_check::history::verify_jsonl;
use onering_corpus::workload::Choices;
use onering_history::{to_jsonl, CallResult, Completion, Event, KeyRef, Line, Op, Timeout};
use onering_model::{
    Action, Answer, Bound, EventKind, Mode, Model, Outcome, Rules, Scenario, SourceKind, State,
    EPOLL, UNIFIED,
};

/// Choices from the one workload generator (`onering_corpus::workload`),
/// drawn from `seed` in blocks.
struct Rng {
    seed: u64,
    choices: Choices,
}

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng {
            seed,
            choices: Choices::from_seed(seed, 4096),
        }
    }

    fn below(&mut self, n: usize) -> usize {
        if self.choices.exhausted() {
            self.seed = self.seed.wrapping_add(1);
            self.choices = Choices::from_seed(self.seed, 4096);
        }
        self.choices.below(n)
    }
}

fn key(k: u8, gen: u32) -> KeyRef {
    KeyRef {
        index: u32::from(k),
        generation: gen,
    }
}

fn ok() -> CallResult {
    CallResult::OK
}

/// A random execution of `m`, as history lines (the history crate's types;
/// [`to_jsonl`] writes them).
fn walk(m: &Model, rng: &mut Rng) -> (Vec<Line>, Vec<Action>) {
    let futex = m.scenario.source == SourceKind::Futex;
    let source = |k: u8| if futex { 0 } else { u32::from(k) };
    let mut out: Vec<Line> = Vec::new();
    let mut time = 0u64;
    let line =
        |out: &mut Vec<Line>, thread: u8, call: u64, ret: u64, op: Op, result: CallResult| {
            out.push(Line {
                v: 1,
                ..Line::new(u32::from(thread), call, ret, op, result)
            });
        };
    let register = |k: u8| {
        if m.is_request() {
            Op::Submit {
                source: source(k),
                mode: m.scenario.mode,
            }
        } else {
            Op::Register {
                source: source(k),
                mode: m.scenario.mode,
                interest: None,
                edge: false,
            }
        }
    };
    // The initial registrations.
    let sources = if futex { 1 } else { m.bound.keys };
    for s in 0..sources {
        line(
            &mut out,
            9,
            time,
            time + 1,
            Op::AddSource {
                kind: m.scenario.source,
            },
            CallResult::Source {
                source: u32::from(s),
            },
        );
        time += 2;
    }
    let mut gens = vec![0u32; m.bound.keys as usize];
    for k in 0..m.bound.keys {
        line(
            &mut out,
            9,
            time,
            time + 1,
            register(k),
            CallResult::Key { key: key(k, 0) },
        );
        time += 2;
    }
    let mut s: State = m.init();
    let mut blocked_since = [None::<(u64, u8)>; 4];
    let mut actions = Vec::new();
    let mut steps = Vec::new();
    loop {
        steps.clear();
        m.successors(&s, &mut steps);
        if steps.is_empty() {
            break;
        }
        // Half the time an environment step, when there is one, so that
        // events flow.
        let env: Vec<_> = steps
            .iter()
            .filter(|x| x.action.is_environment() && !matches!(x.action, Action::Close { .. }))
            .collect();
        let st = if !env.is_empty() && rng.below(2) == 0 {
            *env[rng.below(env.len())]
        } else {
            steps[rng.below(steps.len())]
        };
        actions.push(st.action);
        let (call, ret) = (time, time + 1);
        time += 2;
        let events = |st: &onering_model::Step, gens: &[u32]| CallResult::Events {
            events: st
                .shown
                .batch()
                .map(|e| {
                    let k = key(e.key(), gens[e.key() as usize]);
                    match e.kind() {
                        EventKind::Ready => Event::Ready {
                            key: k,
                            interest: None,
                        },
                        EventKind::Item => Event::Item { key: k, value: 0 },
                        EventKind::Final(o) => Event::Final {
                            key: k,
                            result: None,
                            cancelled: o == Outcome::Cancelled,
                        },
                    }
                })
                .collect(),
            end: None,
        };
        let wait = |max: u8, timeout| Op::Wait {
            max: u32::from(max),
            timeout,
        };
        match st.action {
            Action::Wait { thread, max, block } => {
                let timeout = if block { Timeout::Block } else { Timeout::Poll };
                if st.shown.returned {
                    line(
                        &mut out,
                        thread,
                        call,
                        ret,
                        wait(max, timeout),
                        events(&st, &gens),
                    );
                } else {
                    blocked_since[thread as usize] = Some((call, max));
                }
            }
            Action::Harvest { thread } | Action::Timeout { thread } => {
                if st.shown.returned {
                    let (since, max) = blocked_since[thread as usize].take().expect("was blocked");
                    line(
                        &mut out,
                        thread,
                        since,
                        ret,
                        wait(max, Timeout::Block),
                        events(&st, &gens),
                    );
                }
            }
            Action::Register { thread, key: k } => {
                gens[k as usize] += 1;
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    register(k),
                    CallResult::Key {
                        key: key(k, gens[k as usize]),
                    },
                );
            }
            Action::Modify {
                thread,
                key: k,
                mode,
            } => {
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    Op::Modify {
                        key: key(k, gens[k as usize]),
                        mode,
                        interest: None,
                        edge: false,
                    },
                    ok(),
                );
            }
            Action::Rearm { thread, key: k } => {
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    Op::Rearm {
                        key: key(k, gens[k as usize]),
                    },
                    ok(),
                );
            }
            Action::Consume { thread, key: k } => {
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    Op::Consume { source: source(k) },
                    ok(),
                );
            }
            Action::Cancel {
                thread,
                key: k,
                mode,
            } => {
                let (word, completion) = match st.shown.answer.expect("a cancel answers") {
                    Answer::Removed => ("removed", None),
                    Answer::RemovedWith(o) => (
                        "removed",
                        Some(Completion {
                            result: None,
                            cancelled: o == Outcome::Cancelled,
                        }),
                    ),
                    Answer::Pending => ("pending", None),
                    Answer::NotFound => ("not-found", None),
                    other => panic!("unified never answers {other:?}"),
                };
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    Op::Cancel {
                        key: key(k, gens[k as usize]),
                        mode,
                    },
                    CallResult::Cancel {
                        cancel: word.into(),
                        completion,
                    },
                );
            }
            Action::Raise { key: k } | Action::Lower { key: k } | Action::Close { key: k } => {
                let source = source(k);
                let op = match st.action {
                    Action::Raise { .. } => Op::Raise { source },
                    Action::Lower { .. } => Op::Lower { source },
                    _ => Op::Close { source },
                };
                line(&mut out, 8, call, ret, op, ok())
            }
            Action::Complete { key: k } => line(
                &mut out,
                8,
                call,
                ret,
                Op::Complete {
                    source: source(k),
                    result: Some(0),
                    cancelled: false,
                },
                ok(),
            ),
            Action::StreamItem { key: k } => line(
                &mut out,
                8,
                call,
                ret,
                Op::StreamItem {
                    source: source(k),
                    value: 0,
                },
                ok(),
            ),
            Action::FutexWake { n } => line(
                &mut out,
                8,
                call,
                ret,
                Op::FutexWake {
                    source: 0,
                    n: u32::from(n),
                },
                CallResult::Count {
                    count: u64::from(st.shown.released.count_ones()),
                },
            ),
            // Kernel steps are silent; the unified profile never defers a
            // cancel answer.
            Action::PostFinal { .. } | Action::CancelReturn { .. } => {}
        }
        s = st.next;
    }
    // Waits still blocked at the end never returned.
    for (t, b) in blocked_since.iter().enumerate() {
        if let Some((since, max)) = *b {
            out.push(Line {
                v: 1,
                ret: None,
                result: None,
                ..Line::new(t as u32, since, since, wait_op(max), CallResult::OK)
            });
        }
    }
    (out, actions)
}

fn wait_op(max: u8) -> Op {
    Op::Wait {
        max: u32::from(max),
        timeout: Timeout::Block,
    }
}

fn model(rules: Rules, source: SourceKind, mode: Mode) -> Model {
    let bound = Bound {
        threads: 3,
        keys: 2,
        ops: 5,
        env: 3,
        batch: 2,
    };
    Model::new(rules, Scenario::new(source, mode), bound).unwrap()
}

#[test]
fn every_execution_of_the_unified_model_verifies_under_unified() {
    let mut rng = Rng::new(0x5eed_1234_abcd_0001);
    let scenarios = [
        (SourceKind::Level, Mode::Dispatch),
        (SourceKind::Level, Mode::Level),
        (SourceKind::Level, Mode::Edge),
        (SourceKind::Level, Mode::Oneshot),
        (SourceKind::Counter, Mode::Edge),
        (SourceKind::Sticky, Mode::Dispatch),
        (SourceKind::Operation, Mode::Single),
        (SourceKind::Operation, Mode::Multishot),
        (SourceKind::Futex, Mode::Single),
    ];
    for (source, mode) in scenarios {
        let m = model(UNIFIED, source, mode);
        for i in 0..600 {
            let (lines, actions) = walk(&m, &mut rng);
            let history = to_jsonl(&lines);
            let v = verify_jsonl(&history, &UNIFIED).unwrap_or_else(|e| panic!("{e}\n{history}"));
            assert!(
                v.is_linearizable(),
                "{source:?}/{mode:?} walk {i} rejected: {:?}\nsteps: {actions:?}\n{history}",
                v.failure()
            );
        }
    }
}

#[test]
fn epoll_executions_that_deliver_one_level_event_twice_are_rejected_by_unified() {
    let mut rng = Rng::new(0x0dd_ba11);
    let m = model(EPOLL, SourceKind::Level, Mode::Level);
    let mut rejected = 0;
    for _ in 0..300 {
        let history = to_jsonl(&walk(&m, &mut rng).0);
        // The same walk is always an epoll execution.
        assert!(
            verify_jsonl(&history, &EPOLL).unwrap().is_linearizable(),
            "{history}"
        );
        if !verify_jsonl(&history, &UNIFIED).unwrap().is_linearizable() {
            rejected += 1;
        }
    }
    assert!(rejected > 0, "no epoll walk was rejected by unified");
}

#[test]
fn a_walk_with_one_wait_result_altered_is_rejected() {
    // Negative control: the histories above are not vacuously accepted.
    let mut rng = Rng::new(0xfeed_f00d);
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let mut altered = 0;
    for _ in 0..200 {
        let (mut lines, _) = walk(&m, &mut rng);
        // The first wait whose batch ends with a readiness event now
        // reports that event twice.
        let got = lines.iter_mut().find_map(|l| match &mut l.result {
            Some(CallResult::Events { events, .. })
                if matches!(events.last(), Some(Event::Ready { .. })) =>
            {
                Some(events)
            }
            _ => None,
        });
        if let Some(events) = got {
            let last = events
                .last()
                .cloned()
                .expect("a batch ending with an event");
            events.push(last);
            let doubled = to_jsonl(&lines);
            match verify_jsonl(&doubled, &UNIFIED) {
                Ok(v) => assert!(!v.is_linearizable(), "{doubled}"),
                // A batch of max 1 cannot hold two events: malformed.
                Err(e) => assert!(e.message.contains("more than max"), "{e}"),
            }
            altered += 1;
        }
    }
    if altered <= 20 {
        let history = to_jsonl(&walk(&m, &mut rng).0);
        panic!("only {altered} walks had an event to alter; a walk:\n{history}");
    }
}
