//! What `onering verify` prints for a failure (issue 10, "Better failure
//! output"): the failing window holds the earlier call that makes the stuck
//! call impossible; a blocking wait is listed once and counted once;
//! `submit` is printed as `submit`; the failure names, in one sentence, the
//! rule of the profile the history breaks.

use onering_check::history::{verify_text, Call, Options, Report};
use onering_model::{profile, EPOLL, UNIFIED};
use serde_json::Value;

/// Thread 1's blocking wait (invoked first, so it parks before the raise)
/// takes k0.0's level event and still holds it when thread 0's sync cancel
/// answers `removed`; unified promises `pending` there.
const HELD_AT_CANCEL: &str = r#"{"v":1,"thread":0,"call":0,"ret":1,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":2,"ret":3,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":1,"call":4,"ret":9,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}
{"v":1,"thread":2,"call":5,"ret":7,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":0,"call":8,"ret":12,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[]}}
{"v":1,"thread":2,"call":10,"ret":11,"op":"consume","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":0,"call":13,"ret":15,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"sync"},"result":{"cancel":"removed","completion":null}}
"#;

/// A level source raised once and never lowered: thread 0 gets its event,
/// then thread 1's poll returns nothing, which no profile allows (a level
/// registration stays deliverable).
const EMPTY_WHILE_READY: &str = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":1,"call":5,"ret":6,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}
{"v":1,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}
{"v":1,"thread":1,"call":11,"ret":12,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[]}}
"#;

/// One submitted operation whose final event is delivered twice.
const SUBMIT_TWO_FINALS: &str = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"operation"},"result":{"source":0}}
{"v":1,"thread":0,"call":3,"ret":4,"op":"submit","args":{"source":0,"mode":"single"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":1,"call":5,"ret":6,"op":"complete","args":{"source":0,"result":512,"cancelled":false},"result":{"ok":true}}
{"v":1,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"final","key":{"index":0,"generation":0},"result":512,"cancelled":false}]}}
{"v":1,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[{"kind":"final","key":{"index":0,"generation":0},"result":512,"cancelled":false}]}}
"#;

/// An operation's final event delivered, then an async cancel answering
/// `removed`: no profile's operation cancel answers that after the end.
const CANCEL_AFTER_FINAL: &str = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"operation"},"result":{"source":0}}
{"v":1,"thread":0,"call":3,"ret":4,"op":"submit","args":{"source":0,"mode":"single"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":1,"call":5,"ret":6,"op":"complete","args":{"source":0,"result":512,"cancelled":false},"result":{"ok":true}}
{"v":1,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"final","key":{"index":0,"generation":0},"result":512,"cancelled":false}]}}
{"v":1,"thread":0,"call":9,"ret":10,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"async"},"result":{"cancel":"removed","completion":null}}
"#;

/// The C program's history of `docs/history-format.md`, to its seventh
/// line: thread 1's blocking wait (line 6) gets the pipe's level event,
/// then thread 2's blocking wait (line 7) gets it too, which `unified`
/// (one thread at a time) forbids.
const SECOND_BLOCKING_WAITER: &str = r#"{"v":1,"thread":0,"call":0,"ret":1,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":2,"ret":3,"op":"add_source","args":{"kind":"counter"},"result":{"source":1}}
{"v":1,"thread":0,"call":4,"ret":5,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":0,"call":6,"ret":7,"op":"register","args":{"source":1,"mode":"edge"},"result":{"key":{"index":1,"generation":0}}}
{"v":1,"thread":0,"call":8,"ret":9,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":1,"call":10,"ret":11,"op":"wait","args":{"max":4,"timeout":"deadline"},"result":{"events":[{"key":{"index":0,"generation":0},"kind":"ready"}]}}
{"v":1,"thread":2,"call":12,"ret":13,"op":"wait","args":{"max":4,"timeout":"deadline"},"result":{"events":[{"key":{"index":0,"generation":0},"kind":"ready"}]}}
"#;

fn check(text: &str, rules: &onering_model::Rules) -> (Vec<Call>, Report) {
    let (calls, report) = verify_text(text, rules, &Options::default(), |_, _, _| {}).unwrap();
    assert!(
        report.failure().is_some(),
        "{}",
        report.summary("h", &calls)
    );
    (calls, report)
}

fn lines(v: &Value) -> Vec<u64> {
    v.as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_u64().or_else(|| l["line"].as_u64()).unwrap())
        .collect()
}

#[test]
fn the_failing_window_holds_the_holders_wait() {
    let (calls, r) = check(HELD_AT_CANCEL, &UNIFIED);
    let j = r.to_json(&calls);
    assert_eq!(j["failure"]["line"], 7, "the cancel is stuck");
    let window = lines(&j["failure"]["window"]);
    assert!(
        window.contains(&3),
        "the holder's wait (line 3) is in the window, not only in the longest partial linearization: {window:?}"
    );
    // And the printed timeline shows it as a row.
    let text = r.summary("h", &calls);
    let rows: Vec<&str> = text.lines().filter(|l| l.starts_with("line ")).collect();
    assert!(rows.iter().any(|l| l.starts_with("line     3 ")), "{text}");
}

#[test]
fn the_failing_window_holds_the_raise_an_empty_wait_contradicts() {
    let (calls, r) = check(EMPTY_WHILE_READY, &EPOLL);
    let j = r.to_json(&calls);
    assert_eq!(j["failure"]["line"], 6, "the empty poll is stuck");
    let window = lines(&j["failure"]["window"]);
    assert!(
        window.contains(&3),
        "the raise (line 3) is in the window: {window:?}"
    );
}

#[test]
fn a_blocking_wait_is_listed_once_and_counted_once() {
    let (calls, r) = check(HELD_AT_CANCEL, &UNIFIED);
    let f = r.failure().unwrap();
    // The wait parks (its release) before the raise and harvests after it:
    // two ops of the search, one call.
    let longest: Vec<usize> = f.longest.iter().map(|s| calls[s.call].line).collect();
    assert_eq!(
        longest.iter().filter(|l| **l == 3).count(),
        1,
        "line 3 once: {longest:?}"
    );
    let raise = longest.iter().position(|l| *l == 4).unwrap();
    let wait = longest.iter().position(|l| *l == 3).unwrap();
    assert!(
        wait > raise,
        "listed at its harvest, after the raise it returns"
    );
    assert!(f.longest.iter().all(|s| !s.parked));
    // Lines 2..=7 of the failing prefix: six calls, however many ops.
    assert_eq!(f.prefix_len, 6);
    let text = r.summary("h", &calls);
    assert!(
        text.contains("longest partial linearization: 5 of the 6 calls"),
        "{text}"
    );
    assert_eq!(
        text.matches("wait(max=2, block)").count(),
        2,
        "one row in the window, one in the tail: {text}"
    );
}

#[test]
fn submit_is_printed_as_submit() {
    let (calls, r) = check(SUBMIT_TWO_FINALS, &UNIFIED);
    let text = r.summary("h", &calls);
    assert!(text.contains("submit(s0, single) -> k0.0"), "{text}");
    assert!(!text.contains("register("), "{text}");
}

#[test]
fn each_failure_names_the_rule_of_the_profile_it_breaks_in_one_sentence() {
    let cases = [
        (
            HELD_AT_CANCEL,
            UNIFIED,
            "readiness cancel rule (`readiness_cancel: Unified`)",
        ),
        (
            EMPTY_WHILE_READY,
            EPOLL,
            "delivery rule: a wait returns no event",
        ),
        (
            SUBMIT_TWO_FINALS,
            UNIFIED,
            "delivery rule: a wait returns only queued",
        ),
        (
            CANCEL_AFTER_FINAL,
            profile("io_uring").unwrap(),
            "operation cancel rule (`op_cancel: IoUring`)",
        ),
        (
            CANCEL_AFTER_FINAL,
            profile("linux-aio").unwrap(),
            "operation cancel rule (`op_cancel: LinuxAio`)",
        ),
    ];
    for (text, rules, rule) in cases {
        let (calls, r) = check(text, &rules);
        let f = r.failure().unwrap();
        let sentence = onering_check::history::rule_broken(&calls, f);
        assert!(
            sentence.contains(&format!("breaks {}'s {rule}", rules.name)),
            "{sentence}"
        );
        assert!(!sentence.contains('\n'), "one line: {sentence}");
        assert!(
            !sentence.trim_end_matches('.').contains(". "),
            "one sentence: {sentence}"
        );
        assert_eq!(r.to_json(&calls)["failure"]["rule"], sentence.as_str());
        assert!(r.summary("h", &calls).lines().nth(1) == Some(sentence.as_str()));
    }
}

#[test]
fn a_stuck_blocking_wait_has_the_holders_wait_in_its_window() {
    let (calls, r) = check(SECOND_BLOCKING_WAITER, &UNIFIED);
    let j = r.to_json(&calls);
    assert_eq!(j["failure"]["line"], 7);
    let window = lines(&j["failure"]["window"]);
    assert!(
        window.contains(&6),
        "the holder's wait (line 6): {window:?}"
    );
    // The stuck wait parked (its release is placed) but is not counted as
    // placed.
    let text = r.summary("h", &calls);
    assert!(
        text.contains(
            "3 of the 4 calls of the failing prefix on source 0 (and 1 blocking wait parked)"
        ),
        "{text}"
    );
}
