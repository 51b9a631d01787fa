//! A registration that is never cancelled (leaked: its key forgotten by
//! the program, as the Port's workload once did in a registration race)
//! stays a registration of the model to the end of the history: a later
//! wait with room claims it had nothing deliverable. A source with more
//! registrations alive at once than a model state holds is split into
//! groups (`check/src/history/partition.rs`), and a group that ended at its
//! last registration's last mention would drop exactly that claim. These
//! pin that a history rejected only because of what a leaked registration
//! of a later group did (or failed to do) late stays rejected, and that its
//! twin is accepted.

use onering_check::history::verify_text;
use onering_check::history::Options;
use onering_history::{to_jsonl, CallResult, Event, KeyRef, Line, Op, Timeout};
use onering_model::{CancelMode, Mode, SourceKind, UNIFIED};

fn key(index: u32) -> KeyRef {
    KeyRef {
        index,
        generation: 0,
    }
}

/// A `wait(4, Poll)` that returned `events` (room left: a claim that
/// nothing else was deliverable).
fn poll_with_room(events: Vec<Event>) -> (Op, CallResult) {
    (
        Op::Wait {
            max: 4,
            timeout: Timeout::Poll,
        },
        CallResult::Events { events, end: None },
    )
}

/// Five level registrations alive at once (the fifth in a second group),
/// the first four cancelled, the fifth leaked; long after, the level is
/// raised and a poll with room returns `last`.
fn history(last: Vec<Event>) -> String {
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
    let mut push = |lines: &mut Vec<Line>, op: Op, r: CallResult| {
        lines.push(Line::new(0, t + 1, t + 2, op, r));
        t += 2;
    };
    for k in 0..5 {
        push(
            &mut lines,
            Op::Register {
                source: 0,
                mode: Mode::Level,
                interest: None,
                edge: false,
            },
            CallResult::Key { key: key(k) },
        );
    }
    for k in 0..4 {
        push(
            &mut lines,
            Op::Cancel {
                key: key(k),
                mode: CancelMode::Sync,
            },
            CallResult::Cancel {
                cancel: "removed".into(),
                completion: None,
            },
        );
    }
    // Many calls that never name the leaked registration.
    for _ in 0..200 {
        push(&mut lines, Op::Lower { source: 0 }, CallResult::OK);
        let (op, r) = poll_with_room(vec![]);
        push(&mut lines, op, r);
    }
    push(&mut lines, Op::Raise { source: 0 }, CallResult::OK);
    let (op, r) = poll_with_room(last);
    push(&mut lines, op, r);
    to_jsonl(&lines)
}

fn verdict(text: &str) -> u8 {
    let (_, r) = verify_text(text, &UNIFIED, &Options::default(), |_, _, _| {}).expect("reads");
    r.exit_code()
}

#[test]
fn a_late_lost_event_of_a_leaked_registration_of_a_later_group_is_rejected() {
    // The level is raised and the leaked level registration is armed: a
    // poll with room that returns nothing lost its readiness.
    assert_eq!(verdict(&history(vec![])), 1);
}

#[test]
fn the_same_leaked_registration_reporting_the_level_is_accepted() {
    let ready = Event::Ready {
        key: key(4),
        interest: None,
    };
    assert_eq!(verdict(&history(vec![ready])), 0);
}
