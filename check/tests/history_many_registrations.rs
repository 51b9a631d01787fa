//! Sources whose steps pick registrations (`operation`: a completion acts
//! on one in-flight operation; `futex`: a wake releases some waiters) with
//! more registrations alive at once than a model state holds: split into
//! groups, each completion or wake given to the groups the history's events
//! point to, and, where that fails, checked again with every step in every
//! group (see `check/src/history/attribute.rs`). Each accepting test has a
//! twin that must be rejected, so none passes by checking nothing.

mod common;

use common::{key, H};
use onering_check::history::{NoVerdict, Report};
use onering_history::{CallResult, Event, KeyRef, Op, Timeout};
use onering_model::{Mode, SourceKind, UNIFIED};

/// The verdict of `h` under `unified`.
fn check(h: &H) -> Report {
    h.check(&UNIFIED).1
}

fn done(index: u32) -> Event {
    Event::Final {
        key: key(index),
        result: Some(0),
        cancelled: false,
    }
}

fn wait(max: u32, timeout: Timeout) -> Op {
    Op::Wait { max, timeout }
}

fn events(evs: Vec<Event>) -> CallResult {
    CallResult::Events {
        events: evs,
        end: None,
    }
}

fn submit(source: u32) -> Op {
    Op::Submit {
        source,
        mode: Mode::Single,
    }
}

fn wake(n: u32) -> Op {
    Op::FutexWake { source: 0, n }
}

fn released(count: u64) -> CallResult {
    CallResult::Count { count }
}

fn complete() -> Op {
    Op::Complete {
        source: 0,
        result: Some(0),
        cancelled: false,
    }
}

/// The shape of `onering conform --backend port-linux --threads 3` seed 46
/// (conformance/FINDINGS.md, F11): thread 0 submits a futex wait again as
/// soon as the Port freed an earlier one, when another thread's wait took
/// its final and before that wait returned, so six registrations are alive
/// at once by the history's order. `over`: the second wake, which released
/// one waiter, is followed by two finals (one more than it released).
fn seed_46_shape(over: bool) -> H {
    let mut h = H::default();
    h.source(SourceKind::Futex);
    h.seq(0, submit(0), CallResult::Key { key: key(0) })
        .seq(0, submit(0), CallResult::Key { key: key(1) })
        .seq(0, submit(0), CallResult::Key { key: key(2) });
    let t = h.t;
    // Threads 1 and 2 block in waits that take a final each and return
    // only after thread 0 has submitted three more.
    h.at(0, t + 1, t + 2, wake(1), released(1));
    h.at(
        1,
        t + 3,
        t + 40,
        wait(4, Timeout::Block),
        events(vec![done(0)]),
    );
    h.at(0, t + 5, t + 6, submit(0), CallResult::Key { key: key(3) });
    h.at(0, t + 7, t + 8, wake(1), released(1));
    let second = if over {
        vec![done(1), done(2)]
    } else {
        vec![done(1)]
    };
    h.at(2, t + 9, t + 41, wait(4, Timeout::Block), events(second));
    h.at(
        0,
        t + 11,
        t + 12,
        submit(0),
        CallResult::Key { key: key(4) },
    );
    h.at(
        0,
        t + 13,
        t + 14,
        submit(0),
        CallResult::Key { key: key(5) },
    );
    h.t = t + 41;
    let rest = if over { 3 } else { 4 };
    h.seq(0, wake(4), released(rest));
    let mut finals: Vec<Event> = (2..6).map(done).collect();
    if over {
        finals.remove(0);
    }
    h.seq(1, wait(4, Timeout::Poll), events(finals));
    h
}

#[test]
fn seed_46_six_futex_waiters_alive_at_once_get_a_verdict() {
    let r = check(&seed_46_shape(false));
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert!(r.parts >= 2, "split into groups: {} parts", r.parts);
}

/// The twin: a wake that released one waiter, yet two of its source's
/// waiters of one group got their finals from it. Rejected (exit 1).
#[test]
fn a_futex_wake_that_released_more_than_its_count_is_rejected_after_the_split() {
    let r = check(&seed_46_shape(true));
    assert!(r.failure().is_some(), "{:?}", r.verdict);
    assert_eq!(r.exit_code(), 1);
}

/// 64 threads each wait on one futex word; one wake releases 10 of them,
/// a second the other 54, and one thread reaps the finals 8 at a time.
/// `extra`: one final too many (a waiter no wake released is reaped).
fn sixty_four_waiters(extra: bool) -> H {
    let mut h = H::default();
    h.source(SourceKind::Futex);
    for t in 0..64 {
        h.seq(t, submit(0), CallResult::Key { key: key(t) });
    }
    let reap = |h: &mut H, from: u32, to: u32| {
        let mut k = from;
        while k < to {
            let end = (k + 8).min(to);
            h.seq(
                64,
                wait(8, Timeout::Poll),
                events((k..end).map(done).collect()),
            );
            k = end;
        }
    };
    h.seq(65, wake(10), released(10));
    reap(&mut h, 0, if extra { 11 } else { 10 });
    h.seq(65, wake(64), released(54));
    reap(&mut h, if extra { 11 } else { 10 }, 64);
    h
}

#[test]
fn sixty_four_futex_waiters_of_one_word_get_a_verdict() {
    let r = check(&sixty_four_waiters(false));
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert_eq!(r.parts, 16, "64 waiters in groups of 4");
    assert_eq!(r.sources, 1, "one futex word");
    assert!(
        r.summary("h", &[]).contains(", 1 source in 16 parts, "),
        "{}",
        r.summary("h", &[])
    );
    // The twin: the first wake released 10, yet 11 finals are reaped
    // before the second, in three groups (none alone saw more than 10):
    // the finals the other groups show came from it leave the third
    // group too few.
    let r = check(&sixty_four_waiters(true));
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

/// Eight completions by threads 3 and 4, each overlapping the next.
fn eight_completions(h: &mut H) {
    let t = h.t;
    for i in 0..8u64 {
        let th = 3 + (i % 2) as u32;
        h.at(th, t + 1 + 4 * i, t + 6 + 4 * i, complete(), CallResult::OK);
    }
    h.t = t + 40;
}

/// 64 reads in flight on one operation source, completed one by one by
/// the kernel in overlapping steps and reaped 8 at a time.
/// `twice`: that one of them is reaped a second time (in the sixth batch).
fn sixty_four_reads(twice: Option<u32>) -> H {
    let mut h = H::default();
    h.source(SourceKind::Operation);
    for k in 0..64 {
        h.seq(k % 3, submit(0), CallResult::Key { key: key(k) });
    }
    for batch in 0..8u32 {
        eight_completions(&mut h);
        let mut evs: Vec<Event> = (batch * 8..batch * 8 + 8).map(done).collect();
        if let (Some(k), 5) = (twice, batch) {
            evs[7] = done(k);
        }
        h.seq(batch % 3, wait(8, Timeout::Poll), events(evs));
    }
    h
}

#[test]
fn sixty_four_operations_in_flight_on_one_source_get_a_verdict() {
    let r = check(&sixty_four_reads(None));
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert_eq!(r.parts, 16, "64 operations in groups of 4");
}

/// The twin: an operation's final delivered twice (and another's never).
#[test]
fn a_completion_delivered_twice_is_rejected_after_the_split() {
    let r = check(&sixty_four_reads(Some(3)));
    assert!(r.failure().is_some(), "{:?}", r.verdict);
    // Reaped twice in a later group (key 60 is group 15's).
    let h = sixty_four_reads(Some(60));
    let (calls, r) = h.check(&UNIFIED);
    let f = r.failure().unwrap_or_else(|| panic!("{:?}", r.verdict));
    assert_eq!(f.group, 15, "the group of the key reaped twice");
    // The failure names the part it came from, so the failure view draws
    // that group's own key slots (not group 0's, nor another split's):
    // every registration its longest partial linearization placed has one.
    assert!(!f.slots.is_empty());
    for step in &f.longest {
        if matches!(
            calls[step.call].op,
            onering_check::history::parse::Op::Register { .. }
        ) {
            assert!(
                f.slots.iter().any(|(c, _)| *c == step.call),
                "group {}: submit at line {} has no slot in {:?}",
                f.group,
                calls[step.call].line,
                f.slots
            );
        }
    }
}

/// `n` futex waits on source 0, submitted by threads 0 and 1 in turn.
fn waiters(n: u32) -> H {
    let mut h = H::default();
    h.source(SourceKind::Futex);
    for k in 0..n {
        h.seq(k % 2, submit(0), CallResult::Key { key: key(k) });
    }
    h
}

/// Eight waiters (two groups), a wake that released one, and finals for
/// one waiter of each group: each group alone could have had the one
/// release, but each sees that the other's final can only have come from
/// that wake. Rejected.
#[test]
fn an_over_release_spread_over_two_groups_is_rejected() {
    let mut h = waiters(8);
    h.seq(2, wake(1), released(1))
        .seq(3, wait(4, Timeout::Poll), events(vec![done(0), done(7)]));
    let r = check(&h);
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

/// What the split cannot decide: eight waiters (two groups), two wakes
/// that released one each, and three finals after both (one in the first
/// group, two in the second). Each final could have come from either wake,
/// so no group alone refutes it, and no attribution makes both linearize.
/// No verdict (exit 2), saying why: never "linearizable".
#[test]
fn an_over_release_no_group_can_pin_gets_no_verdict_never_a_pass() {
    let mut h = waiters(8);
    h.seq(2, wake(1), released(1))
        .seq(2, wake(1), released(1))
        .seq(
            3,
            wait(4, Timeout::Poll),
            events(vec![done(0), done(4), done(5)]),
        );
    let r = check(&h);
    assert_eq!(r.exit_code(), 2, "{:?}", r.verdict);
    match r.no_verdict() {
        Some(NoVerdict::Unrepresentable { why, .. }) => {
            assert!(why.contains("could not be given to the groups"), "{why}")
        }
        other => panic!("{other:?}"),
    }
}

/// `n` operations in flight (with five, the fifth in a second group):
/// all but the first and the last cancelled (`pending`) and reaped (their
/// finals flagged cancelled), then one completion no final shows, then the
/// first ended: `pending` (its final flagged cancelled reaped by a full
/// batch), or, `taken`, by a wait that never returned and a cancel that
/// found it gone (`not-found`).
fn completion_after_cancels(n: u32, taken: bool) -> H {
    let mut h = H::default();
    h.source(SourceKind::Operation);
    for k in 0..n {
        h.seq(0, submit(0), CallResult::Key { key: key(k) });
    }
    let cancel = |h: &mut H, k: u32, answer: &str| {
        h.seq(
            0,
            Op::Cancel {
                key: key(k),
                mode: onering_model::CancelMode::Async,
            },
            CallResult::Cancel {
                cancel: answer.into(),
                completion: None,
            },
        );
    };
    let cancelled = |k| Event::Final {
        key: key(k),
        result: None,
        cancelled: true,
    };
    for k in 1..n - 1 {
        cancel(&mut h, k, "pending");
    }
    h.seq(
        2,
        wait(4, Timeout::Poll),
        events((1..n - 1).map(cancelled).collect()),
    );
    if taken {
        h.seq(1, complete(), CallResult::OK)
            .never_returned(3, wait(4, Timeout::Block));
        cancel(&mut h, 0, "not-found");
    } else {
        cancel(&mut h, 0, "pending");
        h.seq(1, complete(), CallResult::OK).seq(
            2,
            wait(1, Timeout::Poll),
            events(vec![cancelled(0)]),
        );
    }
    h
}

/// The completion no final shows is given to an operation that never
/// visibly ended (the last), not to the first, whose cancel had won: with
/// four operations (one group) and with five (two).
#[test]
fn a_completion_no_final_shows_goes_to_an_operation_that_did_not_end() {
    for n in [4, 5] {
        let r = check(&completion_after_cancels(n, false));
        assert!(r.is_linearizable(), "{n}: {:?}", r.verdict);
    }
}

/// Pass 1 guesses wrong, pass 2 must not reject. The completion completed
/// the first operation, whose final a wait that never returned took (the
/// cancel then found it gone), as the unsplit history of four shows; with
/// five, the attribution gives it to the last (it never visibly ended), in
/// the second group, and the first group fails. Relaxed, the completion is
/// optional everywhere, so no group refutes the history: no verdict, never
/// a rejection of a history that is allowed.
#[test]
fn a_completion_given_to_the_wrong_group_gets_no_verdict_never_a_rejection() {
    let r = check(&completion_after_cancels(4, true));
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    let r = check(&completion_after_cancels(5, true));
    assert_eq!(r.exit_code(), 2, "{:?}", r.verdict);
}

/// 64 reads kept in flight for `rounds` rounds: eight overlapping
/// completions, a wait reaping the eight oldest, their slots submitted
/// again (the next generation). `twice`: in that round the wait's last
/// final is one the previous round reaped already. Returns the history and
/// the line of that round's wait (in the order of returns).
fn rounds_in_flight(rounds: u32, twice: Option<u32>) -> (H, usize) {
    let mut h = H::default();
    h.source(SourceKind::Operation);
    let mut queue: Vec<KeyRef> = (0..64).map(key).collect();
    for k in &queue {
        h.seq(k.index % 3, submit(0), CallResult::Key { key: *k });
    }
    let mut last: Vec<KeyRef> = Vec::new();
    let mut blamed = 0;
    for r in 0..rounds {
        eight_completions(&mut h);
        let taken: Vec<KeyRef> = queue.drain(..8).collect();
        let mut evs: Vec<Event> = taken
            .iter()
            .map(|k| Event::Final {
                key: *k,
                result: Some(0),
                cancelled: false,
            })
            .collect();
        if twice == Some(r) {
            evs[7] = Event::Final {
                key: last[0],
                result: Some(0),
                cancelled: false,
            };
            blamed = h.lines.len();
        }
        h.seq(r % 3, wait(8, Timeout::Poll), events(evs));
        for k in &taken {
            let again = KeyRef {
                index: k.index,
                generation: k.generation + 1,
            };
            h.seq(r % 3, submit(0), CallResult::Key { key: again });
            queue.push(again);
        }
        last = taken;
    }
    // The line number of the blamed wait once lines are in `ret` order.
    let ret = h.lines[blamed].ret;
    let line = 1 + h.lines.iter().filter(|l| l.ret < ret).count();
    (h, line)
}

#[test]
fn many_rounds_of_sixty_four_operations_in_flight_get_a_verdict() {
    let (h, _) = rounds_in_flight(100, None);
    let r = check(&h);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
}

/// The twin, refuted only by the relaxed pass: the failing window ends at
/// the wait that reaped a final twice (the shortest failing prefix, which
/// `explain` looks for from the failed search's frontier on).
#[test]
fn a_final_reaped_twice_among_many_rounds_is_blamed_on_its_wait() {
    let (h, line) = rounds_in_flight(100, Some(60));
    let (calls, r) = h.check(&UNIFIED);
    let f = r.failure().unwrap_or_else(|| panic!("{:?}", r.verdict));
    assert_eq!(calls[f.stuck].line, line, "{:?}", r.verdict);
}
