//! The history checker: concurrent histories recorded by the reference Port
//! are linearizable under `unified`; histories recorded with a known bug
//! switched on are not; hand-written histories pin single rules.

use onering::Mutant;
use onering_check::history::verify_jsonl;
use onering_model::{profile, UNIFIED};
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
        let caught = (1..=16).any(|seed| {
            !verify_records(&record(workload(seed, Some(m))), &UNIFIED).is_linearizable()
        });
        assert!(caught, "{m:?} was not caught in 16 workloads");
    }
}

fn line(thread: u32, call: u64, op: &str, args: &str, result: &str) -> String {
    format!(
        "{{\"v\":1,\"thread\":{thread},\"call\":{call},\"ret\":{},\"op\":\"{op}\",\"args\":{args},\"result\":{result}}}\n",
        call + 1
    )
}

const K0: &str = r#"{"index":0,"generation":0}"#;

fn level_dispatch_prefix() -> String {
    let mut h = String::new();
    h += &line(0, 1, "add_source", r#"{"kind":"level"}"#, r#"{"source":0}"#);
    h += &line(
        0,
        3,
        "register",
        r#"{"source":0,"mode":"dispatch"}"#,
        &format!(r#"{{"key":{K0}}}"#),
    );
    h += &line(0, 5, "raise", r#"{"source":0}"#, r#"{"ok":true}"#);
    h += &line(
        1,
        7,
        "wait",
        r#"{"max":4,"timeout":"poll"}"#,
        &format!(r#"{{"events":[{{"key":{K0},"kind":"ready"}}]}}"#),
    );
    h
}

#[test]
fn a_dispatch_event_handed_to_two_threads_at_once_is_rejected_by_unified_only_after_release() {
    let mut h = level_dispatch_prefix();
    // Thread 2 gets the same event while thread 1 still holds it.
    h += &line(
        2,
        9,
        "wait",
        r#"{"max":4,"timeout":"poll"}"#,
        &format!(r#"{{"events":[{{"key":{K0},"kind":"ready"}}]}}"#),
    );
    let v = verify_jsonl(&h, &UNIFIED).unwrap();
    assert!(!v.is_linearizable());
    let f = v.failure().unwrap();
    assert_eq!(f.stuck, 4, "the second wait cannot be placed");
    // After thread 1's next wait (which releases and re-arms), it may.
    let mut ok = level_dispatch_prefix();
    ok += &line(
        1,
        9,
        "wait",
        r#"{"max":4,"timeout":"poll"}"#,
        &format!(r#"{{"events":[{{"key":{K0},"kind":"ready"}}]}}"#),
    );
    assert!(verify_jsonl(&ok, &UNIFIED).unwrap().is_linearizable());
}

#[test]
fn epoll_allows_a_level_event_twice_but_not_a_sync_cancel_removed_then_an_event() {
    let epoll = profile("epoll").unwrap();
    let mut h = String::new();
    h += &line(0, 1, "add_source", r#"{"kind":"level"}"#, r#"{"source":0}"#);
    h += &line(
        0,
        3,
        "register",
        r#"{"source":0,"mode":"level"}"#,
        &format!(r#"{{"key":{K0}}}"#),
    );
    h += &line(0, 5, "raise", r#"{"source":0}"#, r#"{"ok":true}"#);
    let ev = format!(r#"{{"events":[{{"key":{K0},"kind":"ready"}}]}}"#);
    h += &line(1, 7, "wait", r#"{"max":4,"timeout":"poll"}"#, &ev);
    h += &line(2, 9, "wait", r#"{"max":4,"timeout":"poll"}"#, &ev);
    assert!(verify_jsonl(&h, &epoll).unwrap().is_linearizable());
    assert!(!verify_jsonl(&h, &UNIFIED).unwrap().is_linearizable());
    h += &line(
        0,
        11,
        "cancel",
        &format!(r#"{{"key":{K0},"mode":"sync"}}"#),
        r#"{"cancel":"0"}"#,
    );
    h += &line(1, 13, "wait", r#"{"max":4,"timeout":"poll"}"#, &ev);
    assert!(!verify_jsonl(&h, &epoll).unwrap().is_linearizable());
}

#[test]
fn overlapping_calls_may_linearize_in_either_order() {
    let mut h = String::new();
    h += &line(0, 1, "add_source", r#"{"kind":"level"}"#, r#"{"source":0}"#);
    h += &line(
        0,
        3,
        "register",
        r#"{"source":0,"mode":"dispatch"}"#,
        &format!(r#"{{"key":{K0}}}"#),
    );
    // The wait [10, 20] overlaps the raise [12, 13]: it saw the event.
    h += "{\"v\":1,\"thread\":1,\"call\":10,\"ret\":20,\"op\":\"wait\",\"args\":{\"max\":1,\"timeout\":\"block\"},\"result\":{\"events\":[{\"key\":{\"index\":0,\"generation\":0},\"kind\":\"ready\"}]}}\n";
    h += &line(0, 12, "raise", r#"{"source":0}"#, r#"{"ok":true}"#);
    assert!(verify_jsonl(&h, &UNIFIED).unwrap().is_linearizable());
}

#[test]
fn a_call_that_never_returned_may_or_may_not_have_happened() {
    let mut h = level_dispatch_prefix();
    // A crashed canceller: no ret, no result.
    h += &format!("{{\"v\":1,\"thread\":3,\"call\":20,\"op\":\"cancel\",\"args\":{{\"key\":{K0},\"mode\":\"sync\"}}}}\n");
    // Thread 1's next wait releases its hold: the cancel either did not
    // happen (the level is reported again) or answered Pending (the final
    // event flagged cancelled follows); nothing at all is impossible.
    let ready = format!(r#"{{"events":[{{"key":{K0},"kind":"ready"}}]}}"#);
    let fin =
        format!(r#"{{"events":[{{"key":{K0},"kind":"final","result":null,"cancelled":true}}]}}"#);
    for (result, ok) in [
        (ready.as_str(), true),
        (fin.as_str(), true),
        (r#"{"events":[]}"#, false),
    ] {
        let text = format!(
            "{h}{}",
            line(1, 30, "wait", r#"{"max":4,"timeout":"poll"}"#, result)
        );
        assert_eq!(
            verify_jsonl(&text, &UNIFIED).unwrap().is_linearizable(),
            ok,
            "{result}"
        );
    }
}

#[test]
fn malformed_lines_are_errors_with_their_line_number() {
    let good = line(0, 1, "add_source", r#"{"kind":"level"}"#, r#"{"source":0}"#);
    for (bad, needle) in [
        ("{not json".to_string(), "not JSON"),
        (good.replace("\"v\":1", "\"v\":3"), "version 3 is not known"),
        (good.replace("\"thread\":0,", ""), "missing; `add_source` is a thread's call"),
        (good.replace("add_source", "frob"), "unknown variant `frob`"),
        (good.replace("\"level\"", "\"fast\""), "the model's source kinds are level, counter"),
        (line(0, 5, "wait", r#"{"max":1,"timeout":"soon"}"#, r#"{"events":[]}"#), "expected one of `poll`, `block`, `deadline`"),
        (line(0, 5, "wait", r#"{"max":0,"timeout":"poll"}"#, r#"{"events":[]}"#), "must be refused"),
        (line(0, 5, "cancel", &format!(r#"{{"key":{K0},"mode":"sync"}}"#), r#"{"cancel":"maybe"}"#), "cancel answer `maybe`"),
        ("{\"v\":1,\"thread\":0,\"call\":5,\"ret\":3,\"op\":\"raise\",\"args\":{\"source\":0},\"result\":{\"ok\":true}}".to_string(), "must be greater than `call`"),
    ] {
        let text = format!("{good}{bad}\n");
        let e = verify_jsonl(&text, &UNIFIED).unwrap_err();
        assert_eq!(e.line, 2, "{bad}: {e}");
        assert!(e.message.contains(needle), "{bad}: {e}");
    }
    let dangling = format!(
        "{good}{}",
        line(
            0,
            5,
            "rearm",
            &format!(r#"{{"key":{K0}}}"#),
            r#"{"ok":true}"#
        )
    );
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
