//! A source split into groups (more registrations alive at once than a
//! model state has keys): each later group's part leaves out what comes
//! before the quiescent cut before its first registration and starts from
//! every state that prefix can lead to (`check/src/history/trim.rs`). These
//! pin that the verdict is the whole history's: a prefix that raised the
//! level lets the new registration report it at once, one that lowered it
//! does not, and where a raise and a lower overlap either order is tried.

use onering_check::history::partition::partition_trimmed;
use onering_check::history::{parse_history, verify_text, Options, Report};
use onering_history::{to_jsonl, CallResult, Event, KeyRef, Line, Op, Timeout};
use onering_model::{Mode, SourceKind, UNIFIED};

fn key(index: u32) -> KeyRef {
    KeyRef {
        index,
        generation: 0,
    }
}

fn ready(index: u32) -> Event {
    Event::Ready {
        key: key(index),
        interest: None,
    }
}

fn poll(max: u32, evs: Vec<Event>) -> (Op, CallResult) {
    (
        Op::Wait {
            max,
            timeout: Timeout::Poll,
        },
        CallResult::Events {
            events: evs,
            end: None,
        },
    )
}

fn register(index: u32) -> (Op, CallResult) {
    (
        Op::Register {
            source: 0,
            mode: Mode::Level,
            interest: None,
            edge: false,
        },
        CallResult::Key { key: key(index) },
    )
}

/// What happens to the level before the fifth registration.
#[derive(Clone, Copy)]
enum Prefix {
    /// Raised.
    Raise,
    /// Raised, then lowered.
    RaiseThenLower,
    /// A raise and a lower overlap (either may have come first).
    Overlapping,
}

/// Four level registrations (a model state's keys), the level moved as
/// `prefix` says, a fifth registration (a second group), and a poll that
/// returns the fifth's readiness: a level registration made while the
/// level is high reports it at once.
fn history(prefix: Prefix) -> String {
    let mut lines = vec![Line::new(
        0,
        1,
        2,
        Op::AddSource {
            kind: SourceKind::Level,
        },
        CallResult::Source { source: 0 },
    )];
    let mut t = 2;
    let mut seq = |lines: &mut Vec<Line>, thread: u32, (op, r): (Op, CallResult)| {
        lines.push(Line::new(thread, t + 1, t + 2, op, r));
        t += 2;
    };
    for k in 0..4 {
        seq(&mut lines, 0, register(k));
    }
    match prefix {
        Prefix::Raise => seq(&mut lines, 1, (Op::Raise { source: 0 }, CallResult::OK)),
        Prefix::RaiseThenLower => {
            seq(&mut lines, 1, (Op::Raise { source: 0 }, CallResult::OK));
            seq(&mut lines, 2, (Op::Lower { source: 0 }, CallResult::OK));
        }
        Prefix::Overlapping => {
            // Thread 1's raise spans thread 2's lower.
            lines.push(Line::new(
                1,
                11,
                20,
                Op::Raise { source: 0 },
                CallResult::OK,
            ));
            lines.push(Line::new(
                2,
                12,
                13,
                Op::Lower { source: 0 },
                CallResult::OK,
            ));
        }
    }
    let mut t2 = 30;
    for (thread, (op, r)) in [(0, register(4)), (3, poll(1, vec![ready(4)]))] {
        lines.push(Line::new(thread, t2 + 1, t2 + 2, op, r));
        t2 += 2;
    }
    to_jsonl(&lines)
}

fn check(text: &str) -> Report {
    let options = Options {
        max_seconds: Some(60.0),
        max_memory: None,
    };
    verify_text(text, &UNIFIED, &options, |_, _, _| {})
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .1
}

#[test]
fn a_later_group_leaves_out_its_prefix_and_starts_where_the_prefix_left_the_level() {
    let text = history(Prefix::Raise);
    let calls = parse_history(&text, &UNIFIED).expect("reads").calls;
    let parts = partition_trimmed(&calls).expect("partitions");
    assert_eq!(parts.len(), 2, "two groups");
    let left = parts[1]
        .left_out
        .as_ref()
        .expect("the second group leaves its prefix out");
    assert!(
        parts[1].ops.iter().all(|o| o.start >= left.cut),
        "only ops from the cut on are kept"
    );
    assert!(
        !left.tape.is_empty(),
        "the prefix is kept once, as the tape"
    );
    let r = check(&text);
    assert!(r.is_linearizable(), "{:?}", r.verdict);
}

#[test]
fn a_later_group_after_a_lowered_level_cannot_report_it() {
    let r = check(&history(Prefix::RaiseThenLower));
    assert!(r.failure().is_some(), "{:?}", r.verdict);
}

#[test]
fn a_later_group_after_an_overlapping_raise_and_lower_tries_both_orders() {
    let r = check(&history(Prefix::Overlapping));
    assert!(r.is_linearizable(), "{:?}", r.verdict);
}
