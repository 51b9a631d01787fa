//! F15 (`conformance/FINDINGS.md`): the finals of one `futex_wake` are
//! posted one at a time. The Port on Linux arms futex waits with io_uring
//! `FUTEX_WAIT`, whose CQEs the kernel posts by task work, one request at a
//! time, so a wait in between harvests a part of the wake. `unified` allows
//! it (`Rules::deferred_futex_finals`); these tests pin that it does, and
//! that the relaxation stops where the rule says: a blocking wait that gives
//! up, or an answer with more finals than the wake released, is still
//! refused.
//!
//! F17 is the same mechanism for cancels: a cancelled futex wait leaves the
//! futex queue when its cancel is issued, and its `-ECANCELED` completion
//! is posted later by task work, one request at a time; the tests at the
//! end pin that `unified` allows that too, and where it stops.

mod common;

use common::{key, H};
use onering_check::history::Report;
use onering_history::{CallResult, Event, Op, Timeout, WaitEnd};
use onering_model::{CancelMode, Mode, SourceKind, UNIFIED};

fn done(index: u32) -> Event {
    Event::Final {
        key: key(index),
        result: Some(0),
        cancelled: false,
    }
}

fn events(evs: Vec<Event>) -> CallResult {
    CallResult::Events {
        events: evs,
        end: None,
    }
}

/// A blocking wait's answer when its deadline passed with nothing.
fn gave_up() -> CallResult {
    CallResult::Events {
        events: vec![],
        end: Some(WaitEnd::Deadline),
    }
}

fn wait(max: u32, timeout: Timeout) -> Op {
    Op::Wait { max, timeout }
}

fn wake(n: u32) -> Op {
    Op::FutexWake { source: 0, n }
}

/// One futex word with `waiters` waits submitted on it by thread 0
/// (keys 0.., `Single`), stamps 1 to `2 + 2 * waiters`.
fn word_with(waiters: u32) -> H {
    let mut h = H::default();
    h.source(SourceKind::Futex);
    for i in 0..waiters {
        h.seq(
            0,
            Op::Submit {
                source: 0,
                mode: Mode::Single,
            },
            CallResult::Key { key: key(i) },
        );
    }
    h
}

fn verdict(h: &H) -> Report {
    h.check(&UNIFIED).1
}

/// The verdict in one line: the stuck call and the model's refusal.
fn summary(r: &Report) -> String {
    match r.failure() {
        Some(f) => format!("not linearizable: call {} stuck, {:?}", f.stuck, f.refused),
        None => format!("{:?}", r.no_verdict()),
    }
}

/// F15's shrunk history (seed 199, `--threads 3`): thread 0 submits three
/// waits and polls (`[]`); thread 2's `wait(4, 1 ms)`, in flight across
/// thread 0's `futex_wake(3) -> 3`, returns only `[k0:final]`; its next
/// wait returns the other two.
fn f15() -> H {
    let mut h = word_with(3);
    h.seq(0, wait(1, Timeout::Poll), events(vec![]));
    let t = h.t;
    h.at(0, t + 2, t + 3, wake(3), CallResult::Count { count: 3 });
    h.at(
        2,
        t + 1,
        t + 4,
        wait(4, Timeout::Deadline),
        events(vec![done(0)]),
    );
    h.seq(
        2,
        wait(4, Timeout::Deadline),
        events(vec![done(1), done(2)]),
    );
    h
}

#[test]
fn a_wait_across_a_futex_wake_may_take_a_part_of_its_finals() {
    let r = verdict(&f15());
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_wait_after_the_wake_may_see_its_finals_one_at_a_time() {
    // Sequential: the wake returned before either wait was called. The
    // first takes one final with room for four; the rest come later.
    let mut h = word_with(2);
    h.seq(0, wake(2), CallResult::Count { count: 2 });
    h.seq(1, wait(4, Timeout::Block), events(vec![done(1)]));
    h.seq(1, wait(4, Timeout::Block), events(vec![done(0)]));
    let r = verdict(&h);
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_wake_whose_finals_are_posted_at_once_still_verifies() {
    // What the simulated Port does: every final in the first wait.
    let mut h = word_with(3);
    h.seq(0, wake(3), CallResult::Count { count: 3 });
    h.seq(
        1,
        wait(4, Timeout::Poll),
        events(vec![done(0), done(1), done(2)]),
    );
    let r = verdict(&h);
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_blocking_wait_that_gives_up_after_the_wake_has_seen_every_final() {
    // The kernel posts a released final before a blocking wait gives up:
    // a deadline wait that returns `[]` while k1's final is owed is a lost
    // wake-up. Its twin with a poll there verifies (a poll may come before
    // the post), so the refusal is the giving up.
    let start = || {
        let mut h = word_with(2);
        h.seq(0, wake(2), CallResult::Count { count: 2 });
        h.seq(1, wait(4, Timeout::Deadline), events(vec![done(0)]));
        h
    };
    let mut given_up = start();
    given_up.seq(1, wait(4, Timeout::Deadline), gave_up());
    let r = verdict(&given_up);
    assert!(r.failure().is_some(), "{}", summary(&r));
    let mut polled = start();
    polled.seq(1, wait(4, Timeout::Poll), events(vec![]));
    let r = verdict(&polled);
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_wait_may_give_up_while_another_waiting_thread_was_woken_for_the_post() {
    // After the wake, thread 2 blocks (k0's final not posted yet) and gives
    // up; the post woke thread 1, already waiting, which found k0 taken by
    // thread 0's wait. The model allows it (a post wakes one waiter), so the
    // guard of the twin above does not hold for a wait that another
    // thread's blocking wait overlaps (check/src/history/overlap.rs).
    let mut h = word_with(1);
    h.seq(0, wake(1), CallResult::Count { count: 1 });
    let t = h.t;
    h.at(2, t + 2, t + 3, wait(4, Timeout::Deadline), gave_up());
    h.at(
        0,
        t + 4,
        t + 5,
        wait(4, Timeout::Block),
        events(vec![done(0)]),
    );
    h.at(1, t + 1, t + 6, wait(1, Timeout::Deadline), gave_up());
    let r = verdict(&h);
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_wake_releases_no_more_finals_than_its_count() {
    // futex_wake(2) -> 2 of three waiters: a third final is refused,
    // whether in one batch or posted later.
    let mut once = word_with(3);
    once.seq(0, wake(2), CallResult::Count { count: 2 });
    once.seq(
        1,
        wait(4, Timeout::Block),
        events(vec![done(0), done(1), done(2)]),
    );
    assert!(verdict(&once).failure().is_some());
    let mut apart = word_with(3);
    apart.seq(0, wake(2), CallResult::Count { count: 2 });
    apart.seq(1, wait(4, Timeout::Block), events(vec![done(0)]));
    apart.seq(1, wait(4, Timeout::Block), events(vec![done(1)]));
    apart.seq(1, wait(4, Timeout::Block), events(vec![done(2)]));
    assert!(verdict(&apart).failure().is_some());
    // The same with the third final left out verifies: the refusal above
    // is the count's.
    let mut two = word_with(3);
    two.seq(0, wake(2), CallResult::Count { count: 2 });
    two.seq(1, wait(4, Timeout::Block), events(vec![done(0)]));
    two.seq(1, wait(4, Timeout::Block), events(vec![done(1)]));
    let r = verdict(&two);
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_final_before_its_wake_is_still_refused() {
    // Deferral moves a released final later, never earlier than its wake.
    let mut h = word_with(2);
    h.seq(1, wait(4, Timeout::Poll), events(vec![done(0)]));
    h.seq(0, wake(2), CallResult::Count { count: 2 });
    assert!(verdict(&h).failure().is_some());
}

fn cancelled(index: u32) -> Event {
    Event::Final {
        key: key(index),
        result: None,
        cancelled: true,
    }
}

fn cancel(index: u32, mode: CancelMode) -> Op {
    Op::Cancel {
        key: key(index),
        mode,
    }
}

fn pending() -> CallResult {
    CallResult::Cancel {
        cancel: "pending".into(),
        completion: None,
    }
}

/// F17's shrunk history (seed 44, `--threads 3`): thread 0 submits three
/// waits, cancels each (`Pending`), wakes one (`0`: no wait was left in
/// the futex queue) and cancels k1 again (`Pending`: its final not yet
/// taken); thread 2's `wait(3, 1 ms)`, in flight across all of it,
/// returns the cancelled finals of k1 and k0, and its next poll k2's.
fn f17() -> H {
    let mut h = word_with(3);
    let t = h.t;
    h.at(0, t + 2, t + 3, cancel(1, CancelMode::Async), pending());
    h.at(0, t + 4, t + 5, cancel(0, CancelMode::Reap), pending());
    h.at(0, t + 6, t + 7, cancel(2, CancelMode::Reap), pending());
    h.at(0, t + 8, t + 9, wake(1), CallResult::Count { count: 0 });
    h.at(0, t + 10, t + 11, cancel(1, CancelMode::Async), pending());
    h.at(
        2,
        t + 1,
        t + 12,
        wait(3, Timeout::Deadline),
        events(vec![cancelled(1), cancelled(0)]),
    );
    h.seq(2, wait(3, Timeout::Poll), events(vec![cancelled(2)]));
    h
}

#[test]
fn a_wait_across_cancelled_futex_waits_may_take_a_part_of_their_finals() {
    let r = verdict(&f17());
    assert!(r.is_linearizable(), "{}", summary(&r));
}

#[test]
fn a_cancelled_futex_wait_still_has_one_final() {
    // Deferral moves a cancelled final later, never doubles it, and a
    // wake that found no waiter released none: a `Done` final as well as
    // the cancelled one is refused.
    let mut h = word_with(1);
    h.seq(0, cancel(0, CancelMode::Async), pending());
    h.seq(0, wake(1), CallResult::Count { count: 0 });
    h.seq(1, wait(2, Timeout::Block), events(vec![cancelled(0)]));
    h.seq(1, wait(2, Timeout::Poll), events(vec![done(0)]));
    assert!(verdict(&h).failure().is_some());
    // A wake of a wait whose cancel left it in the queue counts it; the
    // final is then the wait's own.
    let mut woken = word_with(1);
    woken.seq(0, cancel(0, CancelMode::Async), pending());
    woken.seq(0, wake(1), CallResult::Count { count: 1 });
    woken.seq(1, wait(2, Timeout::Block), events(vec![done(0)]));
    let r = verdict(&woken);
    assert!(r.is_linearizable(), "{}", summary(&r));
}
