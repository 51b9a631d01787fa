//! The history checker against the model itself: every execution of the
//! unified model, written down as a history (one source per key, the
//! kernel's silent steps left out, a blocking wait spanning from its call to
//! the step that returned it), must verify under `unified`; executions of
//! the epoll profile that show a duplicate delivery must not.

use onering_check::history::verify_jsonl;
use onering_corpus::workload::Choices;
use onering_model::{
    Action, Answer, Bound, EventKind, Mode, Model, Outcome, Rules, Scenario, SourceKind, State,
    EPOLL, UNIFIED,
};
use std::fmt::Write;

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

fn key(k: u8, gen: u32) -> String {
    format!(r#"{{"index":{k},"generation":{gen}}}"#)
}

/// A random execution of `m`, as a JSON Lines history.
fn walk(m: &Model, rng: &mut Rng) -> (String, Vec<Action>) {
    let futex = m.scenario.source == SourceKind::Futex;
    let source = |k: u8| if futex { 0 } else { k as u32 };
    let mut out = String::new();
    let mut time = 0u64;
    let line = |out: &mut String,
                thread: u8,
                call: u64,
                ret: u64,
                op: &str,
                args: String,
                result: String| {
        let _ = writeln!(
            out,
            r#"{{"v":1,"thread":{thread},"call":{call},"ret":{ret},"op":"{op}","args":{args},"result":{result}}}"#
        );
    };
    // The initial registrations.
    let sources = if futex { 1 } else { m.bound.keys };
    for s in 0..sources {
        line(
            &mut out,
            9,
            time,
            time + 1,
            "add_source",
            format!(r#"{{"kind":"{}"}}"#, m.scenario.source.name()),
            format!(r#"{{"source":{s}}}"#),
        );
        time += 2;
    }
    let mut gens = vec![0u32; m.bound.keys as usize];
    let op_name = if m.is_request() { "submit" } else { "register" };
    for k in 0..m.bound.keys {
        line(
            &mut out,
            9,
            time,
            time + 1,
            op_name,
            format!(
                r#"{{"source":{},"mode":"{}"}}"#,
                source(k),
                m.scenario.mode.name()
            ),
            format!(r#"{{"key":{}}}"#, key(k, 0)),
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
        let events = |st: &onering_model::Step, gens: &[u32]| {
            let v: Vec<String> = st
                .shown
                .batch()
                .map(|e| {
                    let k = e.key();
                    let kind = match e.kind() {
                        EventKind::Ready => r#""kind":"ready""#.to_string(),
                        EventKind::Item => r#""kind":"item","value":0"#.to_string(),
                        EventKind::Final(o) => format!(
                            r#""kind":"final","result":null,"cancelled":{}"#,
                            o == Outcome::Cancelled
                        ),
                    };
                    format!(r#"{{"key":{},{kind}}}"#, key(k, gens[k as usize]))
                })
                .collect();
            format!(r#"{{"events":[{}]}}"#, v.join(","))
        };
        match st.action {
            Action::Wait { thread, max, block } => {
                let timeout = if block { "block" } else { "poll" };
                if st.shown.returned {
                    line(
                        &mut out,
                        thread,
                        call,
                        ret,
                        "wait",
                        format!(r#"{{"max":{max},"timeout":"{timeout}"}}"#),
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
                        "wait",
                        format!(r#"{{"max":{max},"timeout":"block"}}"#),
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
                    op_name,
                    format!(
                        r#"{{"source":{},"mode":"{}"}}"#,
                        source(k),
                        m.scenario.mode.name()
                    ),
                    format!(r#"{{"key":{}}}"#, key(k, gens[k as usize])),
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
                    "modify",
                    format!(
                        r#"{{"key":{},"mode":"{}"}}"#,
                        key(k, gens[k as usize]),
                        mode.name()
                    ),
                    r#"{"ok":true}"#.into(),
                );
            }
            Action::Rearm { thread, key: k } => {
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    "rearm",
                    format!(r#"{{"key":{}}}"#, key(k, gens[k as usize])),
                    r#"{"ok":true}"#.into(),
                );
            }
            Action::Consume { thread, key: k } => {
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    "consume",
                    format!(r#"{{"source":{}}}"#, source(k)),
                    r#"{"ok":true}"#.into(),
                );
            }
            Action::Cancel {
                thread,
                key: k,
                mode,
            } => {
                let answer = match st.shown.answer.expect("a cancel answers") {
                    Answer::Removed => r#"{"cancel":"removed","completion":null}"#.to_string(),
                    Answer::RemovedWith(o) => format!(
                        r#"{{"cancel":"removed","completion":{{"result":null,"cancelled":{}}}}}"#,
                        o == Outcome::Cancelled
                    ),
                    Answer::Pending => r#"{"cancel":"pending"}"#.to_string(),
                    Answer::NotFound => r#"{"cancel":"not-found"}"#.to_string(),
                    other => panic!("unified never answers {other:?}"),
                };
                line(
                    &mut out,
                    thread,
                    call,
                    ret,
                    "cancel",
                    format!(
                        r#"{{"key":{},"mode":"{}"}}"#,
                        key(k, gens[k as usize]),
                        mode.name()
                    ),
                    answer,
                );
            }
            Action::Raise { key: k } | Action::Lower { key: k } | Action::Close { key: k } => {
                let op = match st.action {
                    Action::Raise { .. } => "raise",
                    Action::Lower { .. } => "lower",
                    _ => "close",
                };
                line(
                    &mut out,
                    8,
                    call,
                    ret,
                    op,
                    format!(r#"{{"source":{}}}"#, source(k)),
                    r#"{"ok":true}"#.into(),
                )
            }
            Action::Complete { key: k } => line(
                &mut out,
                8,
                call,
                ret,
                "complete",
                format!(r#"{{"source":{},"result":0,"cancelled":false}}"#, source(k)),
                r#"{"ok":true}"#.into(),
            ),
            Action::StreamItem { key: k } => line(
                &mut out,
                8,
                call,
                ret,
                "stream_item",
                format!(r#"{{"source":{},"value":0}}"#, source(k)),
                r#"{"ok":true}"#.into(),
            ),
            Action::FutexWake { n } => line(
                &mut out,
                8,
                call,
                ret,
                "futex_wake",
                format!(r#"{{"source":0,"n":{n}}}"#),
                format!(r#"{{"count":{}}}"#, st.shown.released.count_ones()),
            ),
            // Kernel steps are silent; the unified profile never defers a
            // cancel answer.
            Action::PostFinal { .. } | Action::CancelReturn { .. } => {}
        }
        s = st.next;
    }
    // Waits still blocked at the end never returned.
    for (t, b) in blocked_since.iter().enumerate() {
        if let Some((since, max)) = b {
            let _ = writeln!(
                out,
                r#"{{"v":1,"thread":{t},"call":{since},"op":"wait","args":{{"max":{max},"timeout":"block"}}}}"#
            );
        }
    }
    (out, actions)
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
            let (history, actions) = walk(&m, &mut rng);
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
        let (history, _) = walk(&m, &mut rng);
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
        let (history, _) = walk(&m, &mut rng);
        let needle = r#""kind":"ready"}]}"#;
        if let Some(at) = history.find(needle) {
            // A wait that got an event now reports the event twice.
            let end = at + needle.len() - 2; // just after the event's `}`
            let start = history[..at].rfind("{\"key\"").unwrap();
            let doubled = format!(
                "{},{}{}",
                &history[..end],
                &history[start..end],
                &history[end..]
            );
            match verify_jsonl(&doubled, &UNIFIED) {
                Ok(v) => assert!(!v.is_linearizable(), "{doubled}"),
                // A batch of max 1 cannot hold two events: malformed.
                Err(e) => assert!(e.message.contains("more than max"), "{e}"),
            }
            altered += 1;
        }
    }
    if altered <= 20 {
        let (history, _) = walk(&m, &mut rng);
        panic!("only {altered} walks had an event to alter; a walk:\n{history}");
    }
}
