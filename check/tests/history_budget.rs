//! The budgets (`--max-seconds`, `--max-memory`) hold the whole check, not
//! only the search: splitting a history into parts, the trim sweep and
//! making each part's ops look at them too. The history: 800
//! level-triggered registrations of one source left alive (never mentioned
//! again, so never evictable), which splits the source into 200 groups,
//! then 400 000 raises and lowers, which every group's part carries: 80M
//! ops over the parts. Before the parts were made one at a time with the
//! budgets in view, the two budget tests took 16 s and 21 s (budget: 1 s)
//! and the process peaked at 7.5 GB (measured at load 3.4).

use onering_check::history::{verify_text, NoVerdict, Options, Report};
use onering_history::{to_jsonl, CallResult, KeyRef, Line, Op};
use onering_model::{Mode, SourceKind, UNIFIED};
use std::time::{Duration, Instant};

/// Registrations left alive (4 per group).
const KEYS: u32 = 800;
/// Raises and lowers after them.
const STEPS: u64 = 400_000;

fn history() -> String {
    let mut lines = Vec::new();
    let mut t = 0u64;
    let mut seq = |op: Op, result: CallResult| {
        lines.push(Line::new(0, t + 1, t + 2, op, result));
        t += 2;
    };
    seq(
        Op::AddSource {
            kind: SourceKind::Level,
        },
        CallResult::Source { source: 0 },
    );
    for index in 0..KEYS {
        seq(
            Op::Register {
                source: 0,
                mode: Mode::Level,
                interest: None,
                edge: false,
            },
            CallResult::Key {
                key: KeyRef {
                    index,
                    generation: 0,
                },
            },
        );
    }
    for i in 0..STEPS {
        let op = if i % 2 == 0 {
            Op::Raise { source: 0 }
        } else {
            Op::Lower { source: 0 }
        };
        seq(op, CallResult::OK);
    }
    to_jsonl(&lines)
}

fn check(text: &str, options: Options) -> (Report, Duration) {
    let start = Instant::now();
    let (_, report) = verify_text(text, &UNIFIED, &options, |_, _, _| {}).expect("well formed");
    let took = start.elapsed();
    eprintln!("{} calls: {:?} in {took:?}", report.calls, report.verdict);
    (report, took)
}

/// A one-second time budget stops a check whose parts alone take longer,
/// with no verdict (exit 3), within a few seconds of it.
#[test]
fn time_budget_stops_a_history_split_into_two_hundred_groups() {
    let text = history();
    let (report, took) = check(
        &text,
        Options {
            max_seconds: Some(1.0),
            max_memory: None,
        },
    );
    assert!(
        matches!(report.no_verdict(), Some(NoVerdict::Time { .. })),
        "{:?} after {took:?}",
        report.verdict
    );
    assert_eq!(report.exit_code(), 3);
    // Generous for a loaded machine; the budget is one second.
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

/// A 4 MiB memory budget stops the check when one part's ops (400 000 of
/// them) would hold more, with no verdict (exit 3), at once.
#[test]
fn memory_budget_holds_the_parts_ops_too() {
    let text = history();
    let (report, took) = check(
        &text,
        Options {
            max_seconds: Some(60.0),
            max_memory: Some(4 << 20),
        },
    );
    assert!(
        matches!(report.no_verdict(), Some(NoVerdict::Memory { .. })),
        "{:?} after {took:?}",
        report.verdict
    );
    assert_eq!(report.exit_code(), 3);
    assert!(took < Duration::from_secs(6), "took {took:?}");
}

/// The twin: the same history with room to spare is decided (the budgets
/// stop it, not the history), here on a fortieth of the steps.
#[test]
fn the_same_shape_with_room_is_linearizable() {
    let text = history();
    let short: String = text
        .lines()
        .take(KEYS as usize + 2 + (STEPS / 40) as usize)
        .flat_map(|l| [l, "\n"])
        .collect();
    let (report, took) = check(
        &short,
        Options {
            max_seconds: Some(120.0),
            max_memory: Some(8 << 30),
        },
    );
    assert!(
        report.is_linearizable(),
        "{:?} after {took:?}",
        report.verdict
    );
    assert_eq!(report.parts, (KEYS / 4) as usize);
}
