//! The checker's reach past the model state's fixed slots (4 threads, 4
//! keys): any number of threads, registrations of one source beyond 4 alive
//! at once, and the clear "no verdict" (exit 2) where a history truly needs
//! more than a state holds. Each accepting test has a twin the checker must
//! reject, so none passes by checking nothing.

mod common;

use common::{key, H};
use onering_history::{CallResult, Event, Op, Timeout};
use onering_model::{profile, Mode, SourceKind, UNIFIED};

fn ready(index: u32) -> Event {
    Event::Ready {
        key: key(index),
        interest: None,
    }
}

fn poll(max: u32) -> Op {
    Op::Wait {
        max,
        timeout: Timeout::Poll,
    }
}

fn submit() -> Op {
    Op::Submit {
        source: 0,
        mode: Mode::Single,
    }
}

fn events(evs: Vec<Event>) -> CallResult {
    CallResult::Events {
        events: evs,
        end: None,
    }
}

/// 64 threads each take the one level-triggered event and are all still
/// handling it when the last returns: `epoll` re-queues a level event
/// after every delivery, so this is allowed; `unified` hands a
/// registration to one thread at a time, so it is not. (The model has 4
/// thread slots; the checker keeps who holds what.)
#[test]
fn sixty_four_threads_holding_one_level_event_at_once_are_checked() {
    let mut h = H::default();
    h.source(SourceKind::Level).register(0, Mode::Level, 0).seq(
        0,
        Op::Raise { source: 0 },
        CallResult::OK,
    );
    let base = h.t;
    for t in 1..=64u32 {
        // Every wait overlaps every other.
        let call = base + u64::from(t);
        h.at(t, call, call + 1000, poll(1), events(vec![ready(0)]));
    }
    let epoll = profile("epoll").expect("epoll");
    let (_, r) = h.check(&epoll);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    let (_, r) = h.check(&UNIFIED);
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

/// 64 threads take turns on one dispatch registration under `unified`:
/// each takes the event, re-arms it by its next wait, and the next thread
/// takes it again. Threads that stop calling keep nothing. The twin: one
/// thread never releases (its later wait is missing), so the next delivery
/// is refused.
#[test]
fn sixty_four_threads_taking_turns_on_one_registration_are_checked() {
    let build = |drop_release_of: Option<u32>| {
        let mut h = H::default();
        h.source(SourceKind::Level)
            .register(0, Mode::Dispatch, 0)
            .seq(0, Op::Raise { source: 0 }, CallResult::OK);
        for t in 1..=64u32 {
            h.seq(t, poll(4), events(vec![ready(0)])).seq(
                t,
                Op::Consume { source: 0 },
                CallResult::OK,
            );
            if drop_release_of != Some(t) {
                // The release (and the dispatch re-arm) of its next wait.
                h.seq(t, poll(4), events(vec![]));
            }
            h.seq(0, Op::Raise { source: 0 }, CallResult::OK);
        }
        h
    };
    let (_, r) = build(None).check(&UNIFIED);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    let (_, r) = build(Some(40)).check(&UNIFIED);
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

/// Six edge registrations of one counter alive at once: more than a model
/// state's 4 keys, so the source's part is split into groups. The first
/// batch is full (4 of them), the second takes the other two. The twin
/// leaves one out of a batch that had room, and is refused.
#[test]
fn six_registrations_of_one_source_alive_at_once_are_checked_in_groups() {
    let build = |second: Vec<Event>| {
        let mut h = H::default();
        h.source(SourceKind::Counter);
        for k in 0..6 {
            h.register(0, Mode::Edge, k);
        }
        h.seq(0, Op::Increment { source: 0, n: 1 }, CallResult::OK)
            .seq(1, poll(4), events((0..4).map(ready).collect()))
            .seq(2, poll(4), events(second));
        h
    };
    let (_, r) = build(vec![ready(4), ready(5)]).check(&UNIFIED);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert!(r.parts >= 2, "split into groups: {} parts", r.parts);
    let (calls, r) = build(vec![ready(4)]).check(&UNIFIED);
    let f = r.failure().unwrap_or_else(|| panic!("{:?}", r.verdict));
    assert_eq!(calls[f.stuck].line, 10);
}

/// Six one-shot registrations of one sticky source, each delivered once
/// and then never named again (a library that leaks its keys): each new
/// one takes the key of a silent, disarmed one. The twin delivers a leaked
/// one again without a re-arm, which a one-shot cannot do.
#[test]
fn silent_disarmed_registrations_give_their_key_to_new_ones() {
    let build = |again: bool| {
        let mut h = H::default();
        h.source(SourceKind::Sticky)
            .seq(0, Op::Raise { source: 0 }, CallResult::OK);
        for k in 0..6 {
            h.register(0, Mode::Oneshot, k)
                .seq(1, poll(4), events(vec![ready(k)]))
                .seq(1, poll(4), events(vec![]));
        }
        if again {
            h.seq(1, poll(4), events(vec![ready(0)]));
        }
        h
    };
    let (_, r) = build(false).check(&UNIFIED);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert_eq!(r.parts, 1, "one part: the keys were reused");
    let (_, r) = build(true).check(&UNIFIED);
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

/// Five operations of one source in flight at once: more than a model
/// state holds, so the source is split into groups (a completion picks one
/// of them: each is given to the group its final points to, see
/// `check/src/history/attribute.rs`). The twin reaps a final no completion
/// produced, and is rejected.
#[test]
fn five_operations_in_flight_on_one_source_are_split_into_groups() {
    let build = |bogus: bool| {
        let mut h = H::default();
        h.source(SourceKind::Operation);
        for k in 0..5 {
            h.seq(0, submit(), CallResult::Key { key: key(k) });
        }
        let reaped = if bogus {
            vec![Event::Final {
                key: key(4),
                result: Some(1),
                cancelled: false,
            }]
        } else {
            vec![]
        };
        h.seq(1, poll(4), events(reaped));
        h
    };
    let (_, r) = build(false).check(&UNIFIED);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
    assert_eq!(r.parts, 2, "two groups");
    let (_, r) = build(true).check(&UNIFIED);
    assert_eq!(r.exit_code(), 1, "{:?}", r.verdict);
    // Completed and reaped one by one, five submissions fit in one key.
    let mut h = H::default();
    h.source(SourceKind::Operation);
    for k in 0..5 {
        h.seq(0, submit(), CallResult::Key { key: key(k) })
            .seq(
                0,
                Op::Complete {
                    source: 0,
                    result: Some(1),
                    cancelled: false,
                },
                CallResult::OK,
            )
            .seq(
                1,
                poll(4),
                events(vec![Event::Final {
                    key: key(k),
                    result: Some(1),
                    cancelled: false,
                }]),
            );
    }
    let (_, r) = h.check(&UNIFIED);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
}
