//! The search's quiet-harvest reduction (`check/src/history/reduce.rs`): a
//! wait that returned none of a part's events, by a thread that holds
//! nothing, is placed as soon as it can change nothing, and nowhere else.
//! These pin that the reduction changes no verdict, and that the two
//! deliberately unsound variants kept beside it are caught: one accepts a
//! history that is not linearizable, the other rejects one that is.

use onering_check::history::{verify_jsonl, with_reduction, Reduction, Verdict};
use onering_model::UNIFIED;

/// One history line (`ret` is also the sort key: lines go in `ret` order).
struct L {
    thread: u32,
    call: u64,
    ret: u64,
    op: &'static str,
    args: String,
    result: String,
}

const KEY0: &str = r#"{"index":0,"generation":0}"#;

fn text(mut lines: Vec<L>) -> String {
    lines.sort_by_key(|l| l.ret);
    lines
        .iter()
        .map(|l| {
            format!(
                r#"{{"v":1,"thread":{},"call":{},"ret":{},"op":"{}","args":{},"result":{}}}"#,
                l.thread, l.call, l.ret, l.op, l.args, l.result
            ) + "\n"
        })
        .collect()
}

fn line(thread: u32, call: u64, ret: u64, op: &'static str, args: &str, result: &str) -> L {
    L {
        thread,
        call,
        ret,
        op,
        args: args.to_string(),
        result: result.to_string(),
    }
}

fn setup(mode: &str) -> Vec<L> {
    vec![
        line(
            0,
            1,
            2,
            "add_source",
            r#"{"kind":"level"}"#,
            r#"{"source":0}"#,
        ),
        line(
            0,
            3,
            4,
            "register",
            &format!(r#"{{"source":0,"mode":"{mode}"}}"#),
            &format!(r#"{{"key":{KEY0}}}"#),
        ),
    ]
}

fn raise(thread: u32, call: u64, ret: u64) -> L {
    line(
        thread,
        call,
        ret,
        "raise",
        r#"{"source":0}"#,
        r#"{"ok":true}"#,
    )
}

fn wait(thread: u32, call: u64, ret: u64, timeout: &str, ready: bool) -> L {
    let events = if ready {
        format!(r#"[{{"kind":"ready","key":{KEY0}}}]"#)
    } else {
        "[]".to_string()
    };
    line(
        thread,
        call,
        ret,
        "wait",
        &format!(r#"{{"max":1,"timeout":"{timeout}"}}"#),
        &format!(r#"{{"events":{events}}}"#),
    )
}

/// Threads 1..=6 in blocking waits that give up empty, open across the
/// whole history (quiet harvests: each can be placed before the raise);
/// thread 0 registers a level registration and raises the level; then
/// thread 7 polls and finds nothing although the raise has returned and
/// the level registration must report it. Not linearizable.
fn empty_poll_after_raise() -> String {
    let mut l = setup("level");
    for t in 1..=6 {
        l.push(wait(t, 10 + t as u64, 100 + t as u64, "deadline", false));
    }
    l.push(raise(0, 20, 21));
    l.push(wait(7, 30, 31, "poll", false));
    text(l)
}

/// A one-shot registration reports the raised level to thread 0's first
/// poll, thread 1's `rearm` (which overlaps both polls) arms it again, and
/// thread 0's second poll reports it again. Linearizable only with the
/// rearm between the two polls; at the start the rearm changes nothing
/// (the registration is armed), so a search that forces every call that
/// changes nothing places it too early.
fn rearm_between_polls() -> String {
    let mut l = setup("oneshot");
    l.push(raise(0, 50, 60));
    l.push(line(
        1,
        70,
        200,
        "rearm",
        &format!(r#"{{"key":{KEY0}}}"#),
        r#"{"ok":true}"#,
    ));
    l.push(wait(0, 80, 90, "poll", true));
    l.push(wait(0, 100, 110, "poll", true));
    // Blocking waits that give up empty, open across it (quiet harvests).
    for t in 2..=5 {
        l.push(wait(t, 70 + t as u64, 300 + t as u64, "deadline", false));
    }
    text(l)
}

/// The verdict of `text` under `r`: `Some(true)` linearizable,
/// `Some(false)` not, `None` no verdict.
fn verdict(r: Reduction, text: &str) -> Option<bool> {
    let report = with_reduction(r, || verify_jsonl(text, &UNIFIED)).expect("well-formed");
    match report.verdict {
        Verdict::Linearizable => Some(true),
        Verdict::NotLinearizable(_) => Some(false),
        Verdict::NoVerdict(_) => None,
    }
}

#[test]
fn an_empty_poll_after_a_raise_is_rejected_with_the_reduction() {
    let h = empty_poll_after_raise();
    assert_eq!(verdict(Reduction::Off, &h), Some(false));
    assert_eq!(verdict(Reduction::Sound, &h), Some(false));
}

#[test]
fn placing_a_quiet_harvest_without_asking_the_model_accepts_it() {
    // The mutant: the reduction's check that the harvest may return
    // nothing here is left out. The test above fails under it.
    assert_eq!(
        verdict(Reduction::MutantUnchecked, &empty_poll_after_raise()),
        Some(true)
    );
}

#[test]
fn a_rearm_needed_between_two_polls_is_accepted_with_the_reduction() {
    let h = rearm_between_polls();
    assert_eq!(verdict(Reduction::Off, &h), Some(true));
    assert_eq!(verdict(Reduction::Sound, &h), Some(true));
}

#[test]
fn forcing_every_call_that_changes_nothing_rejects_it() {
    // The mutant: a rearm of an armed registration changes nothing now,
    // but not later. The test above fails under it.
    assert_eq!(
        verdict(Reduction::MutantAnyStutter, &rearm_between_polls()),
        Some(false)
    );
}
