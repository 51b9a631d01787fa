//! The v2 constructs of `docs/history-format.md` that the checker maps to
//! model steps (`onering_model`'s `record_v2`, `check/src/history/v2.rs`):
//! for each, a history that is allowed verifies, and a falsified one is
//! rejected (not linearizable, or contradicting itself).

use onering_check::history::verify_jsonl;
use onering_model::{Rules, EPOLL, IO_URING};

fn verdict(h: &str, rules: &Rules) -> Result<bool, String> {
    verify_jsonl(h, rules)
        .map(|r| {
            assert!(
                r.no_verdict().is_none(),
                "no verdict for a construct that is checked: {:?}",
                r.no_verdict()
            );
            r.is_linearizable()
        })
        .map_err(|e| e.to_string())
}

fn lines(ls: &[&str]) -> String {
    ls.iter().map(|l| format!("{l}\n")).collect()
}

const FUTEX: &str = r#"{"v":2,"call":1,"ret":2,"op":"declare","args":{"source":0,"kind":"futex"}}"#;
const SUBMIT_FUTEX: &str = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"submit","args":{"source":0,"mode":"single"},"result":{"key":{"index":0,"generation":0}}}"#;

#[test]
fn a_cancel_answer_that_is_a_count_is_cancelled_for_one_futex_wait() {
    let cancel = r#"{"v":2,"thread":0,"call":5,"ret":6,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"async"},"result":{"count":1}}"#;
    let ok = lines(&[
        FUTEX,
        SUBMIT_FUTEX,
        cancel,
        r#"{"v":2,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":4,"timeout":"block"},"result":{"events":[{"kind":"final","key":{"index":0,"generation":0},"cancelled":true}]}}"#,
    ]);
    assert_eq!(verdict(&ok, &IO_URING), Ok(true));
    // Falsified: one request counted cancelled, and its final says done.
    let bad = lines(&[
        FUTEX,
        SUBMIT_FUTEX,
        cancel,
        r#"{"v":2,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":4,"timeout":"block"},"result":{"events":[{"kind":"final","key":{"index":0,"generation":0},"cancelled":false}]}}"#,
    ]);
    assert_eq!(verdict(&bad, &IO_URING), Ok(false));
}

const OP: &str =
    r#"{"v":2,"call":1,"ret":2,"op":"declare","args":{"source":0,"kind":"operation"}}"#;
const SUBMIT_OP: &str = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"submit","args":{"source":0,"mode":"single"},"result":{"key":{"index":0,"generation":0}}}"#;
// The call's answer is not recorded: its CQE (in the batch) says it.
const CANCEL_SUBMITTED: &str = r#"{"v":2,"thread":0,"call":5,"ret":6,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"async"}}"#;

#[test]
fn the_cancels_own_completion_gives_the_cancel_its_answer() {
    let ok = lines(&[
        OP,
        SUBMIT_OP,
        CANCEL_SUBMITTED,
        r#"{"v":2,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"cancel_answer","key":{"index":0,"generation":0},"answer":"0"},{"kind":"final","key":{"index":0,"generation":0},"cancelled":true}]}}"#,
    ]);
    assert_eq!(verdict(&ok, &IO_URING), Ok(true));
    // Falsified: the cancel CQE says 0 (cancelled), the target says done.
    let bad = lines(&[
        OP,
        SUBMIT_OP,
        CANCEL_SUBMITTED,
        r#"{"v":2,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"cancel_answer","key":{"index":0,"generation":0},"answer":"0"},{"kind":"final","key":{"index":0,"generation":0},"cancelled":false}]}}"#,
    ]);
    assert_eq!(verdict(&bad, &IO_URING), Ok(false));
    // Contradicting itself: the call returned -ENOENT, its CQE says 0.
    let torn = ok.replace(
        r#""mode":"async"}}"#,
        r#""mode":"async"},"result":{"cancel":"-ENOENT"}}"#,
    );
    let e = verdict(&torn, &IO_URING).expect_err("an answer its CQE contradicts");
    assert!(e.contains("line 4") && e.contains("cancel"), "{e}");
    // A cancel CQE with no cancel before it.
    let orphan = lines(&[
        OP,
        SUBMIT_OP,
        r#"{"v":2,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[{"kind":"cancel_answer","key":{"index":0,"generation":0},"answer":"0"}]}}"#,
    ]);
    assert!(verdict(&orphan, &IO_URING).is_err());
}

const LEVEL: &str = r#"{"v":2,"call":1,"ret":2,"op":"declare","args":{"source":0,"kind":"level"}}"#;
const REGISTER_READ: &str = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"level","interest":"read"},"result":{"key":{"index":0,"generation":0}}}"#;
const RAISE: &str =
    r#"{"v":2,"thread":1,"call":5,"ret":6,"op":"raise","args":{"source":0},"result":{"ok":true}}"#;

#[test]
fn one_half_of_a_descriptors_interest_is_its_condition() {
    let ready_read = r#"{"v":2,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0},"interest":"read"}]}}"#;
    assert_eq!(
        verdict(&lines(&[LEVEL, REGISTER_READ, RAISE, ready_read]), &EPOLL),
        Ok(true)
    );
    // Falsified: readable with nothing raised.
    assert_eq!(
        verdict(&lines(&[LEVEL, REGISTER_READ, ready_read]), &EPOLL),
        Ok(false)
    );
    // Falsified: a write event from a registration for reading.
    let ready_write = ready_read.replace(r#""interest":"read"}"#, r#""interest":"write"}"#);
    let e = verdict(&lines(&[LEVEL, REGISTER_READ, RAISE, &ready_write]), &EPOLL)
        .expect_err("an event of the other half");
    assert!(e.contains("line 4"), "{e}");
}

const REGISTER_EDGE: &str = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"edge"},"result":{"key":{"index":0,"generation":0}}}"#;
const NOTIFY: &str =
    r#"{"v":2,"thread":1,"call":7,"ret":8,"op":"notify","args":{},"result":{"ok":true}}"#;

#[test]
fn the_librarys_own_wakeup_takes_a_slot_of_the_batch() {
    let woke = r#"{"v":2,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":1,"timeout":"block"},"result":{"events":[{"kind":"notify"}]}}"#;
    assert_eq!(
        verdict(&lines(&[LEVEL, REGISTER_EDGE, NOTIFY, woke]), &EPOLL),
        Ok(true)
    );
    // The one slot went to the notify: the raised source may wait.
    assert_eq!(
        verdict(&lines(&[LEVEL, REGISTER_EDGE, RAISE, NOTIFY, woke]), &EPOLL),
        Ok(true)
    );
    // Falsified: a batch with room left out the deliverable edge.
    let roomy = woke.replace(r#""max":1"#, r#""max":2"#);
    assert_eq!(
        verdict(
            &lines(&[LEVEL, REGISTER_EDGE, RAISE, NOTIFY, &roomy]),
            &EPOLL
        ),
        Ok(false)
    );
    // Falsified: a notify slot nobody notified.
    let e = verdict(&lines(&[LEVEL, REGISTER_EDGE, woke]), &EPOLL).expect_err("no notify");
    assert!(e.contains("notify"), "{e}");
}

#[test]
fn edge_oneshot_is_disarmed_by_its_one_delivery() {
    let reg = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"oneshot","edge":true},"result":{"key":{"index":0,"generation":0}}}"#;
    let got = r#"{"v":2,"thread":0,"call":7,"ret":8,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}"#;
    let raise2 = r#"{"v":2,"thread":1,"call":9,"ret":10,"op":"raise","args":{"source":0},"result":{"ok":true}}"#;
    let empty = r#"{"v":2,"thread":0,"call":11,"ret":12,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[]}}"#;
    assert_eq!(
        verdict(&lines(&[LEVEL, reg, RAISE, got, raise2, empty]), &EPOLL),
        Ok(true)
    );
    // Falsified: a second delivery without a re-arm.
    let again = got.replace(r#""call":7,"ret":8"#, r#""call":11,"ret":12"#);
    assert_eq!(
        verdict(&lines(&[LEVEL, reg, RAISE, got, raise2, &again]), &EPOLL),
        Ok(false)
    );
    // Re-armed by a modify (edge-oneshot again): delivered once more.
    let rearm = r#"{"v":2,"thread":0,"call":13,"ret":14,"op":"modify","args":{"key":{"index":0,"generation":0},"mode":"oneshot","edge":true},"result":{"ok":true}}"#;
    let third = got.replace(r#""call":7,"ret":8"#, r#""call":15,"ret":16"#);
    assert_eq!(
        verdict(
            &lines(&[LEVEL, reg, RAISE, got, raise2, empty, rearm, &third]),
            &EPOLL
        ),
        Ok(true)
    );
}

#[test]
fn a_disabled_registration_reports_nothing_until_it_is_modified_again() {
    let reg = r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}"#;
    let disable = r#"{"v":2,"thread":0,"call":7,"ret":8,"op":"disable","args":{"key":{"index":0,"generation":0}},"result":{"ok":true}}"#;
    let empty = r#"{"v":2,"thread":0,"call":9,"ret":10,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[]}}"#;
    let enable = r#"{"v":2,"thread":0,"call":11,"ret":12,"op":"modify","args":{"key":{"index":0,"generation":0},"mode":"level"},"result":{"ok":true}}"#;
    let ready = r#"{"v":2,"thread":0,"call":13,"ret":14,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}"#;
    // Raised, then disabled: the queued event is not reported; the modify
    // re-checks the level and queues it.
    assert_eq!(
        verdict(
            &lines(&[LEVEL, reg, RAISE, disable, empty, enable, ready]),
            &EPOLL
        ),
        Ok(true)
    );
    // Falsified: reported while disabled.
    let during = ready.replace(r#""call":13,"ret":14"#, r#""call":9,"ret":10"#);
    assert_eq!(
        verdict(&lines(&[LEVEL, reg, RAISE, disable, &during]), &EPOLL),
        Ok(false)
    );
    // Falsified: nothing after re-enabling a raised level.
    let none = empty.replace(r#""call":9,"ret":10"#, r#""call":13,"ret":14"#);
    assert_eq!(
        verdict(
            &lines(&[LEVEL, reg, RAISE, disable, empty, enable, &none]),
            &EPOLL
        ),
        Ok(false)
    );
}
