//! Lost wake-ups are checked (issue 7): a wait that returned empty because
//! its deadline passed is checked as a poll at some point of its interval,
//! so a waiter left asleep while an event it could take stayed deliverable
//! for its whole interval is rejected, under every profile that promises
//! `no-lost-wakeup`. A wait that was interrupted (v2 `"end":
//! "interrupted"`) says nothing of what was deliverable and is allowed.

use onering_check::history::{verify_text, Options, Report};
use onering_history::{to_jsonl, CallResult, KeyRef, Line, Op, Timeout, WaitEnd};
use onering_model::{profile, profile_names, Mode, Property, Rules, SourceKind};

const K0: KeyRef = KeyRef {
    index: 0,
    generation: 0,
};

/// A source of `kind` with one registration in `mode`, made deliverable
/// before thread 1's `deadline` wait, which returns `[]` with `end`.
fn history(kind: SourceKind, mode: Mode, end: Option<WaitEnd>, wait: (u64, u64)) -> String {
    let submit = matches!(mode, Mode::Single | Mode::Multishot);
    let register = if submit {
        Op::Submit { source: 0, mode }
    } else {
        Op::Register {
            source: 0,
            mode,
            interest: None,
            edge: false,
        }
    };
    let deliverable = match kind {
        SourceKind::Operation => Op::Complete {
            source: 0,
            result: Some(0),
            cancelled: false,
        },
        _ => Op::Raise { source: 0 },
    };
    let lines = vec![
        Line::new(
            0,
            1,
            2,
            Op::AddSource { kind },
            CallResult::Source { source: 0 },
        ),
        Line::new(0, 3, 4, register, CallResult::Key { key: K0 }),
        Line::new(0, 10, 11, deliverable, CallResult::OK),
        Line::new(
            1,
            wait.0,
            wait.1,
            Op::Wait {
                max: 4,
                timeout: Timeout::Deadline,
            },
            CallResult::Events {
                events: vec![],
                end,
            },
        ),
    ];
    to_jsonl(&lines)
}

fn check(text: &str, rules: &Rules) -> Report {
    verify_text(text, rules, &Options::default(), |_, _, _| {})
        .unwrap_or_else(|e| panic!("{e}\n{text}"))
        .1
}

/// The profile's first scenario on a level source or an operation: one
/// whose event stays deliverable until a wait takes it.
fn scenario(rules: &Rules) -> (SourceKind, Mode) {
    let s = rules
        .scenarios
        .iter()
        .find(|s| {
            matches!(
                (s.source, s.mode),
                (
                    SourceKind::Level,
                    Mode::Level | Mode::Oneshot | Mode::Dispatch
                ) | (SourceKind::Operation, Mode::Single)
            )
        })
        .unwrap_or_else(|| panic!("{}: no level or operation scenario", rules.name));
    (s.source, s.mode)
}

#[test]
fn a_timed_out_wait_that_left_a_deliverable_event_is_rejected_by_every_profile_promising_no_lost_wakeup(
) {
    let mut checked = 0;
    for name in profile_names() {
        let rules = profile(name).expect("profile");
        if !rules.promises.contains(&Property::NoLostWakeup) {
            continue;
        }
        let (kind, mode) = scenario(&rules);
        for end in [Some(WaitEnd::Deadline), None] {
            let text = history(kind, mode, end, (12, 20));
            let r = check(&text, &rules);
            let f = r
                .failure()
                .unwrap_or_else(|| panic!("{name}: {:?}\n{text}", r.verdict));
            assert_eq!(f.stuck, 3, "{name}: the wait is blamed");
        }
        // Interrupted: no claim, allowed.
        let text = history(kind, mode, Some(WaitEnd::Interrupted), (12, 20));
        let r = check(&text, &rules);
        assert!(r.is_linearizable(), "{name}: {:?}\n{text}", r.verdict);
        checked += 1;
    }
    assert_eq!(checked, 7, "every profile promises no-lost-wakeup");
}

/// The limit of order-only stamps: an event that became deliverable while
/// the waiter slept may have come after the wait's last look (its timer
/// fired first and the thread ran late), so it is allowed.
#[test]
fn an_event_raised_inside_a_timed_out_wait_is_allowed() {
    let rules = profile("epoll").expect("epoll");
    // The raise (10..11) is inside the wait (5..20).
    let text = history(
        SourceKind::Level,
        Mode::Level,
        Some(WaitEnd::Deadline),
        (5, 20),
    );
    assert!(check(&text, &rules).is_linearizable(), "{text}");
}
