//! The history checker: concurrent histories recorded by the reference Port
//! are linearizable under `unified`; histories recorded with a known bug
//! switched on are not; hand-written histories pin single rules.

use onering::Mutant;
use onering_check::history::verify_jsonl;
use onering_history::{to_jsonl, CallResult, Event, KeyRef, Line, Op, Timeout};
use onering_model::{profile, CancelMode, Mode, SourceKind, UNIFIED};
use onering_proofs::verify_records;
use onering_proofs::workload::{record, Workload};

fn workload(seed: u64, mutant: Option<Mutant>) -> Workload {
    Workload {
        seed,
        threads: 3,
        sources: 6,
        calls_per_thread: 300,
        mutant,
    }
}

#[test]
fn concurrent_port_histories_are_linearizable_under_unified() {
    for seed in 1..=12 {
        let records = record(workload(seed, None));
        let v = verify_records(&records, &UNIFIED);
        assert!(v.is_linearizable(), "seed {seed}: {:?}", v.verdict);
        assert!(v.calls > 500);
    }
}

#[test]
fn histories_of_the_port_with_a_known_bug_are_rejected() {
    // MissingWakeup only delays a blocked waiter until its timeout, which a
    // history cannot tell from a slow wake-up: the loom and shuttle
    // harnesses catch it (as a deadlock), not linearizability.
    for m in Mutant::ALL
        .into_iter()
        .filter(|m| *m != Mutant::MissingWakeup)
    {
        // Real threads make each workload's interleaving different, so a
        // mutant that needs a particular race (DispatchRequeuesWhileHeld
        // needs two waiters around one held event) is caught only by some
        // workloads. 16 workloads missed it in about one run of 20 under a
        // loaded machine (each workload catching it with p ~ 0.17); 64 miss
        // it with probability ~ 0.83^64 < 1e-5, and the search stops at the
        // first rejection, so the usual cost stays a few workloads.
        const WORKLOADS: u64 = 64;
        let caught = (1..=WORKLOADS).any(|seed| {
            !verify_records(&record(workload(seed, Some(m))), &UNIFIED).is_linearizable()
        });
        assert!(caught, "{m:?} was not caught in {WORKLOADS} workloads");
    }
}

// Hand-made histories are built from the history crate's types and written
// by its writer; only the malformed lines below are written by hand.

const K0: KeyRef = KeyRef {
    index: 0,
    generation: 0,
};

fn at(thread: u32, call: u64, op: Op, result: CallResult) -> Line {
    Line {
        v: 1,
        ..Line::new(thread, call, call + 1, op, result)
    }
}

fn add_level(call: u64) -> Line {
    at(
        0,
        call,
        Op::AddSource {
            kind: SourceKind::Level,
        },
        CallResult::Source { source: 0 },
    )
}

fn register(call: u64, mode: Mode) -> Line {
    at(
        0,
        call,
        Op::Register {
            source: 0,
            mode,
            interest: None,
            edge: false,
        },
        CallResult::Key { key: K0 },
    )
}

fn raise(call: u64) -> Line {
    at(0, call, Op::Raise { source: 0 }, CallResult::OK)
}

fn poll(max: u32) -> Op {
    Op::Wait {
        max,
        timeout: Timeout::Poll,
    }
}

fn events(events: Vec<Event>) -> CallResult {
    CallResult::Events { events, end: None }
}

fn ready() -> CallResult {
    events(vec![Event::Ready {
        key: K0,
        interest: None,
    }])
}

fn wait(thread: u32, call: u64, result: CallResult) -> Line {
    at(thread, call, poll(4), result)
}

fn sync_cancel() -> Op {
    Op::Cancel {
        key: K0,
        mode: CancelMode::Sync,
    }
}

fn answer(word: &str) -> CallResult {
    CallResult::Cancel {
        cancel: word.into(),
        completion: None,
    }
}

fn level_dispatch_prefix() -> Vec<Line> {
    vec![
        add_level(1),
        register(3, Mode::Dispatch),
        raise(5),
        wait(1, 7, ready()),
    ]
}

fn jsonl(lines: &[Line]) -> String {
    to_jsonl(lines)
}

#[test]
fn a_dispatch_event_handed_to_two_threads_at_once_is_rejected_by_unified_only_after_release() {
    let mut h = level_dispatch_prefix();
    // Thread 2 gets the same event while thread 1 still holds it.
    h.push(wait(2, 9, ready()));
    let v = verify_jsonl(&jsonl(&h), &UNIFIED).unwrap();
    assert!(!v.is_linearizable());
    let f = v.failure().unwrap();
    assert_eq!(f.stuck, 4, "the second wait cannot be placed");
    // After thread 1's next wait (which releases and re-arms), it may.
    let mut ok = level_dispatch_prefix();
    ok.push(wait(1, 9, ready()));
    assert!(verify_jsonl(&jsonl(&ok), &UNIFIED)
        .unwrap()
        .is_linearizable());
}

#[test]
fn epoll_allows_a_level_event_twice_but_not_a_sync_cancel_removed_then_an_event() {
    let epoll = profile("epoll").unwrap();
    let mut h = vec![
        add_level(1),
        register(3, Mode::Level),
        raise(5),
        wait(1, 7, ready()),
        wait(2, 9, ready()),
    ];
    assert!(verify_jsonl(&jsonl(&h), &epoll).unwrap().is_linearizable());
    assert!(!verify_jsonl(&jsonl(&h), &UNIFIED)
        .unwrap()
        .is_linearizable());
    h.push(at(0, 11, sync_cancel(), answer("0")));
    h.push(wait(1, 13, ready()));
    assert!(!verify_jsonl(&jsonl(&h), &epoll).unwrap().is_linearizable());
}

#[test]
fn overlapping_calls_may_linearize_in_either_order() {
    let h = vec![
        add_level(1),
        register(3, Mode::Dispatch),
        // The wait [10, 20] overlaps the raise [12, 13]: it saw the event.
        Line {
            v: 1,
            ..Line::new(
                1,
                10,
                20,
                Op::Wait {
                    max: 1,
                    timeout: Timeout::Block,
                },
                ready(),
            )
        },
        raise(12),
    ];
    assert!(verify_jsonl(&jsonl(&h), &UNIFIED)
        .unwrap()
        .is_linearizable());
}

#[test]
fn a_call_that_never_returned_may_or_may_not_have_happened() {
    let mut h = level_dispatch_prefix();
    // A crashed canceller: no ret, no result.
    h.push(Line {
        ret: None,
        result: None,
        ..at(3, 20, sync_cancel(), CallResult::OK)
    });
    // Thread 1's next wait releases its hold: the cancel either did not
    // happen (the level is reported again) or answered Pending (the final
    // event flagged cancelled follows); nothing at all is impossible.
    let fin = events(vec![Event::Final {
        key: K0,
        result: None,
        cancelled: true,
    }]);
    for (result, ok) in [(ready(), true), (fin, true), (events(vec![]), false)] {
        let mut text = h.clone();
        text.push(wait(1, 30, result.clone()));
        assert_eq!(
            verify_jsonl(&jsonl(&text), &UNIFIED)
                .unwrap()
                .is_linearizable(),
            ok,
            "{result:?}"
        );
    }
}

#[test]
fn malformed_lines_are_errors_with_their_line_number() {
    let good = jsonl(&[add_level(1)]);
    let good = good.trim_end();
    let one = |l: Line| jsonl(&[l]).trim_end().to_string();
    for (bad, needle) in [
        // Input no writer of ours produces, written by hand on purpose.
        ("{not json".to_string(), "not JSON"),
        (good.replace("\"v\":1", "\"v\":3"), "version 3 is not known"),
        (
            good.replace("\"thread\":0,", ""),
            "missing; `add_source` is a thread's call",
        ),
        (good.replace("add_source", "frob"), "unknown variant `frob`"),
        (
            good.replace("\"level\"", "\"fast\""),
            "the model's source kinds are level, counter",
        ),
        (
            one(at(0, 5, poll(1), events(vec![]))).replace("\"poll\"", "\"soon\""),
            "expected one of `poll`, `block`, `deadline`",
        ),
        // Well-formed lines the checker refuses.
        (one(at(0, 5, poll(0), events(vec![]))), "must be refused"),
        (
            one(at(0, 5, sync_cancel(), answer("maybe"))),
            "cancel answer `maybe`",
        ),
        (
            one(Line {
                ret: Some(3),
                ..raise(5)
            }),
            "must be greater than `call`",
        ),
    ] {
        let text = format!("{good}\n{bad}\n");
        let e = verify_jsonl(&text, &UNIFIED).unwrap_err();
        assert_eq!(e.line, 2, "{bad}: {e}");
        assert!(e.message.contains(needle), "{bad}: {e}");
    }
    let dangling = jsonl(&[
        add_level(1),
        at(0, 5, Op::Rearm { key: K0 }, CallResult::OK),
    ]);
    let e = verify_jsonl(&dangling, &UNIFIED).unwrap_err();
    assert!(e.message.contains("never returned by a register"), "{e}");
}

#[test]
fn a_search_past_its_time_budget_gives_no_verdict() {
    let records = record(Workload {
        seed: 5,
        threads: 4,
        sources: 8,
        calls_per_thread: 1500,
        mutant: None,
    });
    let text = onering::history::to_jsonl(&records);
    let calls = onering_check::history::parse_jsonl(&text, &UNIFIED).unwrap();
    use onering_check::history::{verify_with, NoVerdict, Options};
    let tiny = Options {
        max_seconds: Some(1e-9),
        max_memory: None,
    };
    let r = verify_with(&calls, &UNIFIED, &tiny, |_, _, _| {}).unwrap();
    assert!(
        matches!(r.no_verdict(), Some(NoVerdict::Time { .. })),
        "{:?}",
        r.verdict
    );
    assert_eq!(r.exit_code(), 3);
    let enough = Options {
        max_seconds: Some(60.0),
        max_memory: None,
    };
    let v = verify_with(&calls, &UNIFIED, &enough, |_, _, _| {}).unwrap();
    assert!(v.is_linearizable());
}
