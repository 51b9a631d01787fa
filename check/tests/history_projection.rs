//! Which waits with room a source's parts leave out
//! (`check/src/history/alive.rs`): those returning none of its events while
//! none of its registrations is alive. These pin that a wait the part must
//! keep (a lost wake-up while a registration is alive) is kept, which a
//! deliberately unsound projection ([`Projection::MutantEveryQuiet`]) gets
//! wrong; that the waits the rule leaves out are left out, with the verdict
//! of keeping every wait ([`Projection::Off`]); and that the model property
//! the rule relies on is checked (a spec mutant that breaks it gives no
//! verdict).

use onering_check::history::partition::partition;
use onering_check::history::{
    parse_jsonl, verify_text, with_projection, Options, Projection, Report, Verdict,
};
use onering_model::{Rules, MUTANTS, UNIFIED};

const KEY0: &str = r#"{"index":0,"generation":0}"#;

/// One history line; lines are written in `ret` order.
fn line(thread: u32, call: u64, ret: u64, op: &str, args: &str, result: &str) -> (u64, String) {
    (
        ret,
        format!(
            r#"{{"v":1,"thread":{thread},"call":{call},"ret":{ret},"op":"{op}","args":{args},"result":{result}}}"#
        ),
    )
}

fn text(mut lines: Vec<(u64, String)>) -> String {
    lines.sort_by_key(|l| l.0);
    lines.into_iter().map(|(_, l)| l + "\n").collect()
}

fn add_source() -> (u64, String) {
    line(
        0,
        1,
        2,
        "add_source",
        r#"{"kind":"level"}"#,
        r#"{"source":0}"#,
    )
}

fn register(call: u64, mode: &str) -> (u64, String) {
    line(
        0,
        call,
        call + 1,
        "register",
        &format!(r#"{{"source":0,"mode":"{mode}"}}"#),
        &format!(r#"{{"key":{KEY0}}}"#),
    )
}

fn raise(call: u64) -> (u64, String) {
    line(
        0,
        call,
        call + 1,
        "raise",
        r#"{"source":0}"#,
        r#"{"ok":true}"#,
    )
}

fn cancel_removed(call: u64) -> (u64, String) {
    line(
        0,
        call,
        call + 1,
        "cancel",
        &format!(r#"{{"key":{KEY0},"mode":"sync"}}"#),
        r#"{"cancel":"removed"}"#,
    )
}

/// A poll by `thread` with room for 4 over `[call, ret]`, returning key
/// 0's readiness or nothing.
fn poll_over(thread: u32, call: u64, ret: u64, ready: bool) -> (u64, String) {
    let taken = format!(r#"{{"kind":"ready","key":{KEY0}}}"#);
    let events = if ready { taken.as_str() } else { "" };
    line(
        thread,
        call,
        ret,
        "wait",
        r#"{"max":4,"timeout":"poll"}"#,
        &format!(r#"{{"events":[{events}]}}"#),
    )
}

/// [`poll_over`] returning at once.
fn poll(thread: u32, call: u64, ready: bool) -> (u64, String) {
    poll_over(thread, call, call + 1, ready)
}

fn check(text: &str, rules: &Rules) -> Report {
    verify_text(text, rules, &Options::default(), |_, _, _| {})
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .1
}

/// The invocation stamps of the waits in source 0's part.
fn waits_in_part(text: &str) -> Vec<u64> {
    let calls = parse_jsonl(text, &UNIFIED).expect("parses");
    let parts = partition(&calls).expect("partitions");
    let mut stamps: Vec<u64> = parts
        .iter()
        .filter(|p| p.source == 0)
        .flat_map(|p| p.ops.iter())
        .filter(|o| {
            matches!(
                calls[o.call].op,
                onering_check::history::parse::Op::Wait { .. }
            )
        })
        .map(|o| calls[o.call].call)
        .collect();
    stamps.sort_unstable();
    stamps.dedup();
    stamps
}

/// A level registration, a raise that returned, then a poll that found
/// nothing: a lost wake-up, while the registration is alive.
fn lost_wakeup() -> String {
    text(vec![
        add_source(),
        register(3, "level"),
        raise(10),
        poll(1, 20, false),
    ])
}

#[test]
fn a_lost_wakeup_while_a_registration_is_alive_is_kept_in_the_part_and_rejected() {
    let t = lost_wakeup();
    for p in [Projection::Sound, Projection::Off] {
        let r = with_projection(p, || check(&t, &UNIFIED));
        let f = r
            .failure()
            .unwrap_or_else(|| panic!("{p:?}: {:?}\n{t}", r.verdict));
        assert_eq!(f.stuck, 3, "{p:?}: the poll is blamed");
    }
    assert_eq!(waits_in_part(&t), vec![20], "the poll stays in the part");
}

#[test]
fn the_every_quiet_mutant_leaves_the_lost_wakeup_out_and_accepts_it() {
    // What the test above guards against: a projection that leaves out
    // every wait returning none of the source's events.
    let t = lost_wakeup();
    let r = with_projection(Projection::MutantEveryQuiet, || check(&t, &UNIFIED));
    assert!(
        matches!(r.verdict, Verdict::Linearizable),
        "the mutant must accept it (else this test shows nothing): {:?}",
        r.verdict
    );
    let kept = with_projection(Projection::MutantEveryQuiet, || waits_in_part(&t));
    assert!(kept.is_empty(), "{kept:?}");
}

/// Polls with nothing while source 0 has no registration alive (before its
/// register, after its cancel answered `removed`), beside one that took its
/// readiness and one that released it.
fn dead_polls() -> String {
    text(vec![
        add_source(),
        raise(5),
        poll(1, 7, false),
        register(10, "oneshot"),
        poll(1, 12, true),
        poll(1, 14, false),
        cancel_removed(16),
        poll(2, 18, false),
    ])
}

#[test]
fn polls_while_no_registration_is_alive_are_left_out_with_the_same_verdict() {
    let t = dead_polls();
    assert_eq!(
        waits_in_part(&t),
        vec![12, 14],
        "the polls at 7 and 18 are left out, the others kept"
    );
    let all = with_projection(Projection::Off, || waits_in_part(&t));
    assert_eq!(
        all,
        vec![7, 12, 14, 18],
        "without the projection: every poll"
    );
    for p in [Projection::Sound, Projection::Off] {
        let r = with_projection(p, || check(&t, &UNIFIED));
        assert!(r.is_linearizable(), "{p:?}: {:?}\n{t}", r.verdict);
    }
}

#[test]
fn a_wait_partly_before_the_first_register_is_left_out_and_still_accepted() {
    // The poll is open from before the register to after the raise: it can
    // be placed before the register, where nothing is deliverable.
    let t = text(vec![
        add_source(),
        poll_over(1, 5, 30, false),
        register(10, "level"),
        raise(12),
    ]);
    assert!(waits_in_part(&t).is_empty());
    assert!(check(&t, &UNIFIED).is_linearizable());
    // Open only after the register and the raise: kept, and a lost
    // wake-up.
    let t = text(vec![
        add_source(),
        poll_over(1, 15, 30, false),
        register(9, "level"),
        raise(12),
    ]);
    assert_eq!(waits_in_part(&t), vec![15]);
    let r = check(&t, &UNIFIED);
    assert!(r.failure().is_some(), "{:?}\n{t}", r.verdict);
}

#[test]
fn a_model_whose_removed_registration_stays_queued_gives_no_verdict_as_the_projection_is_unjustified(
) {
    // `unified~no-purge`: a cancel answers `removed` and leaves the
    // readiness queued, so a `Free` key still has an entry, and a harvest
    // with room changes the state by dropping it. The projection's
    // tripwire then refuses to give a verdict.
    let no_purge = MUTANTS
        .iter()
        .find(|m| m.name == "unified~no-purge")
        .expect("the mutant");
    let t = text(vec![
        add_source(),
        register(3, "level"),
        raise(5),
        cancel_removed(7),
        poll(1, 9, false),
    ]);
    let r = check(&t, no_purge);
    assert!(
        matches!(r.verdict, Verdict::NoVerdict(_)),
        "{:?}\n{t}",
        r.verdict
    );
    // With every wait kept, nothing rests on the tripwire: a verdict.
    let kept = with_projection(Projection::Off, || check(&t, no_purge));
    assert!(kept.is_linearizable(), "{:?}\n{t}", kept.verdict);
    // The sound profile purges: a verdict.
    assert!(check(&t, &UNIFIED).is_linearizable());
}

#[test]
fn a_model_whose_removed_answer_leaves_the_operation_live_gives_no_verdict_not_an_acceptance() {
    // `unified~lying-cancel`: a cancel answers `removed` after the
    // completion was queued and leaves it queued. The partition takes the
    // answer as the end of the submission, so the later poll falls where
    // nothing of the source is alive and is left out; but under this model
    // the completion is still deliverable there, and the poll with room
    // that returned nothing is a lost wake-up. The tripwire on terminal
    // answers gives no verdict rather than accept it.
    let lying = MUTANTS
        .iter()
        .find(|m| m.name == "unified~lying-cancel")
        .expect("the mutant");
    let t = text(vec![
        line(
            0,
            1,
            2,
            "add_source",
            r#"{"kind":"operation"}"#,
            r#"{"source":0}"#,
        ),
        line(
            0,
            3,
            4,
            "submit",
            r#"{"source":0,"mode":"single"}"#,
            &format!(r#"{{"key":{KEY0}}}"#),
        ),
        line(
            0,
            5,
            6,
            "complete",
            r#"{"source":0,"result":0,"cancelled":false}"#,
            r#"{"ok":true}"#,
        ),
        line(
            0,
            7,
            8,
            "cancel",
            &format!(r#"{{"key":{KEY0},"mode":"async"}}"#),
            r#"{"cancel":"removed"}"#,
        ),
        poll(1, 9, false),
    ]);
    assert_eq!(waits_in_part(&t), Vec::<u64>::new(), "the poll is left out");
    let kept = with_projection(Projection::Off, || check(&t, lying));
    assert!(
        kept.failure().is_some(),
        "with the poll kept, the mutant model rejects it: {:?}\n{t}",
        kept.verdict
    );
    let r = check(&t, lying);
    assert!(
        matches!(r.verdict, Verdict::NoVerdict(_)),
        "{:?}\n{t}",
        r.verdict
    );
}

/// A Port mutant's shape (`CancelledAfterQueued`, seen in about 1 run in
/// 200 of `proofs/tests/history_projection.rs`): a futex wait released by a
/// wake, then two overlapping `reap` cancels both answered `removed`, then
/// its final delivered. Rejected with the projection as without it. The
/// tripwire once gave no verdict here: explaining the failure cuts the
/// history into prefixes, in which the second cancel has not returned
/// (its answer binds nothing, it may not have taken effect), and the check
/// that a call ending its registration frees its key was applied to it.
#[test]
fn two_overlapping_cancels_both_removed_are_rejected_with_the_projection() {
    let l = |thread: u32, call: u64, ret: u64, op: &str, args: &str, result: &str| {
        line(thread, call, ret, op, args, result)
    };
    let h = text(vec![
        l(
            0,
            1,
            2,
            "add_source",
            r#"{"kind":"futex"}"#,
            r#"{"source":0}"#,
        ),
        l(
            0,
            3,
            4,
            "submit",
            r#"{"source":0,"mode":"single"}"#,
            &format!(r#"{{"key":{KEY0}}}"#),
        ),
        l(
            1,
            5,
            6,
            "futex_wake",
            r#"{"source":0,"n":1}"#,
            r#"{"count":1}"#,
        ),
        l(
            0,
            7,
            9,
            "cancel",
            &format!(r#"{{"key":{KEY0},"mode":"reap"}}"#),
            r#"{"cancel":"removed"}"#,
        ),
        l(
            1,
            8,
            11,
            "cancel",
            &format!(r#"{{"key":{KEY0},"mode":"reap"}}"#),
            r#"{"cancel":"removed"}"#,
        ),
        l(
            1,
            12,
            13,
            "wait",
            r#"{"max":1,"timeout":"poll"}"#,
            &format!(
                r#"{{"events":[{{"kind":"final","key":{KEY0},"result":0,"cancelled":false}}]}}"#
            ),
        ),
    ]);
    for projection in [Projection::Sound, Projection::Off] {
        let r = with_projection(projection, || check(&h, &UNIFIED));
        assert!(
            matches!(r.verdict, Verdict::NotLinearizable(_)),
            "{projection:?}: {:?}",
            r.verdict
        );
    }
}
