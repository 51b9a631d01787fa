//! The recorder and the emitted format: what `onering verify` reads back.

use onering_check::history::parse::{Op as POp, Res};
use onering_check::history::parse_jsonl;
use onering_kit::{
    CancelAnswer, CancelMode, Completion, Event, Key, Mode, Op, Outcome, Recorder, Refusal,
    SourceKind, Timeout,
};

fn unified() -> onering_model::Rules {
    onering_model::profile("unified").expect("unified")
}

#[test]
fn every_op_and_outcome_is_read_back_by_the_checker() {
    let rec = Recorder::new();
    let k = Key {
        index: 3,
        generation: 1,
    };
    let c = Completion {
        result: Some(512),
        cancelled: false,
    };
    let calls = [
        (
            Op::AddSource {
                kind: SourceKind::Operation,
                source: 9,
            },
            Outcome::Ok,
        ),
        (
            Op::Register {
                source: 0,
                mode: Mode::Dispatch,
            },
            Outcome::Key(k),
        ),
        (
            Op::Submit {
                source: 9,
                mode: Mode::Single,
            },
            Outcome::Key(Key::new(4)),
        ),
        (
            Op::Modify {
                key: k,
                mode: Mode::Level,
            },
            Outcome::Ok,
        ),
        (Op::Rearm { key: k }, Outcome::Ok),
        (
            Op::Cancel {
                key: k,
                mode: CancelMode::Reap,
            },
            Outcome::Cancel(CancelAnswer::Removed(Some(c))),
        ),
        (
            Op::Cancel {
                key: k,
                mode: CancelMode::Sync,
            },
            Outcome::Cancel(CancelAnswer::Pending),
        ),
        (Op::Consume { source: 0 }, Outcome::Ok),
        (
            Op::Wait {
                max: 4,
                timeout: Timeout::Deadline,
            },
            Outcome::Events(vec![Event::Ready(k), Event::Item(k, 7), Event::Final(k, c)]),
        ),
        (Op::Raise { source: 0 }, Outcome::Ok),
        (Op::Lower { source: 0 }, Outcome::Ok),
        (Op::Increment { source: 0, n: 2 }, Outcome::Ok),
        (
            Op::Complete {
                source: 9,
                result: None,
                cancelled: true,
            },
            Outcome::Ok,
        ),
        (
            Op::StreamItem {
                source: 9,
                value: 1,
            },
            Outcome::Ok,
        ),
        (Op::Close { source: 0 }, Outcome::Ok),
        (Op::FutexWake { source: 2, n: 1 }, Outcome::Count(1)),
        (Op::Wake { source: 0 }, Outcome::Count(1)),
        (
            Op::Wait {
                max: 0,
                timeout: Timeout::Poll,
            },
            Outcome::Refused(Refusal::ZeroMax, "max is 0".into()),
        ),
    ];
    for (op, out) in calls.iter().cloned() {
        rec.begin(op).end(out);
    }
    let text = rec.history().to_jsonl();
    let parsed = parse_jsonl(&text, &unified()).expect("the checker reads what the kit writes");
    assert_eq!(parsed.len(), calls.len());
    assert_eq!(
        parsed[0].op,
        POp::AddSource {
            kind: SourceKind::Operation
        }
    );
    assert_eq!(parsed[0].result, Some(Res::Source(9)));
    assert!(matches!(&parsed[8].result, Some(Res::Events(e)) if e.len() == 3));
    assert_eq!(parsed[15].result, Some(Res::Count(1)));
    assert!(matches!(&parsed[17].result, Some(Res::Error(e)) if e == "zero-max"));
    for line in text.lines() {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON");
        assert_eq!(v["v"], 1);
    }
}

#[test]
fn lines_are_in_ret_order_and_open_calls_are_never_returned() {
    let rec = Recorder::new();
    let outer = rec.begin(Op::Wait {
        max: 1,
        timeout: Timeout::Block,
    });
    std::thread::scope(|s| {
        s.spawn(|| rec.begin(Op::Raise { source: 0 }).end(Outcome::Ok));
    });
    let blocked = rec.begin_with(|| Op::Consume { source: 0 });
    outer.end(Outcome::Events(vec![]));
    let h = rec.history();
    let r = &h.records;
    assert_eq!(r.len(), 3);
    // The raise returned first, then the wait; the consume never returned.
    assert_eq!(r[0].op, Op::Raise { source: 0 });
    assert_eq!((r[0].thread, r[1].thread), (1, 0));
    assert!(r[0].ret < r[1].ret);
    assert_eq!((r[2].ret, &r[2].result), (None, &None));
    let last: serde_json::Value =
        serde_json::from_str(h.to_jsonl().lines().last().expect("line")).expect("JSON");
    assert!(last.get("ret").is_none() && last.get("result").is_none());
    drop(blocked);
    // A dropped, unfinished call stays never-returned.
    assert_eq!(rec.history().records[2].ret, None);
}

#[test]
fn a_recorder_switched_off_records_nothing_and_builds_nothing() {
    let rec = Recorder::off();
    assert!(!rec.is_on());
    let p = rec.begin_with(|| unreachable!("op built while off"));
    p.end_with(|| unreachable!("outcome built while off"));
    assert!(rec.history().is_empty());
    assert_eq!(rec.stamps(), 0);
}

#[test]
fn stamps_are_unique_and_call_precedes_ret() {
    let rec = Recorder::new();
    std::thread::scope(|s| {
        for _ in 0..4 {
            s.spawn(|| {
                for _ in 0..100 {
                    rec.begin(Op::Raise { source: 0 }).end(Outcome::Ok);
                }
            });
        }
    });
    let h = rec.history();
    let mut seen = std::collections::HashSet::new();
    for r in &h.records {
        let ret = r.ret.expect("returned");
        assert!(r.call < ret);
        assert!(seen.insert(r.call) && seen.insert(ret));
    }
    let mut threads: Vec<u32> = h.records.iter().map(|r| r.thread).collect();
    threads.sort_unstable();
    threads.dedup();
    assert_eq!(threads, vec![0, 1, 2, 3]);
}
