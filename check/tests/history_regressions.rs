//! Regression tests for the history checker's five bugs of issue 6, each
//! written with `onering-history`'s types (no JSON by hand).

use onering_check::history::{verify_text, NoVerdict, Options, Report};
use onering_history::{to_jsonl, CallResult, Event, KeyRef, Line, Op, Timeout};
use onering_model::{Mode, SourceKind, UNIFIED};
use proptest::prelude::*;

/// A history built call by call; `seq` calls are sequential.
#[derive(Default)]
struct H {
    lines: Vec<Line>,
    t: u64,
}

const K0: KeyRef = KeyRef {
    index: 0,
    generation: 0,
};

impl H {
    fn seq(&mut self, thread: u32, op: Op, result: CallResult) -> &mut Self {
        self.lines
            .push(Line::new(thread, self.t + 1, self.t + 2, op, result));
        self.t += 2;
        self
    }
    fn source(&mut self, kind: SourceKind) -> &mut Self {
        let source = self
            .lines
            .iter()
            .filter(|l| matches!(l.op, Op::AddSource { .. }))
            .count() as u32;
        self.seq(0, Op::AddSource { kind }, CallResult::Source { source })
    }
    fn register(&mut self, source: u32, mode: Mode, key: KeyRef) -> &mut Self {
        self.seq(
            0,
            Op::Register {
                source,
                mode,
                interest: None,
                edge: false,
            },
            CallResult::Key { key },
        )
    }
    fn check(&self) -> (Vec<onering_check::history::Call>, Report) {
        verify_text(
            &to_jsonl(&self.lines),
            &UNIFIED,
            &Options::default(),
            |_, _, _| {},
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", to_jsonl(&self.lines)))
    }
    /// The line number (1-based) of the last call.
    fn last_line(&self) -> usize {
        self.lines.len()
    }
}

fn stuck_line(calls: &[onering_check::history::Call], r: &Report) -> usize {
    let f = r
        .failure()
        .unwrap_or_else(|| panic!("expected NOT linearizable, got {:?}", r.verdict));
    calls[f.stuck].line
}

#[test]
fn a_futex_wake_of_zero_that_succeeded_is_refused_at_its_line() {
    // The Port used to return Ok(0) for futex_wake(0); the model requires
    // n >= 1, so a recorded success is a contradiction at that line.
    let mut h = H::default();
    h.source(SourceKind::Futex);
    h.register(0, Mode::Single, K0);
    h.seq(
        1,
        Op::FutexWake { source: 0, n: 0 },
        CallResult::Count { count: 0 },
    );
    let (calls, r) = h.check();
    assert_eq!(stuck_line(&calls, &r), h.last_line());
    assert!(r.failure().unwrap().refused.is_some());
    // Refused, as the Port now refuses it: nothing happened.
    let mut ok = H::default();
    ok.source(SourceKind::Futex);
    ok.register(0, Mode::Single, K0);
    ok.seq(
        1,
        Op::FutexWake { source: 0, n: 0 },
        CallResult::Error {
            error: "zero-wake".into(),
            message: None,
            errno: None,
        },
    );
    assert!(ok.check().1.is_linearizable());
}

#[test]
fn a_level_source_registered_single_is_refused_at_its_line() {
    // Which kind fits which mode is the model's precondition; a history in
    // which it returned a key does not verify.
    let mut h = H::default();
    h.source(SourceKind::Level);
    h.register(0, Mode::Single, K0);
    let (calls, r) = h.check();
    assert_eq!(stuck_line(&calls, &r), h.last_line(), "{:?}", r.verdict);
}

#[test]
fn thirty_stream_items_on_an_undelivered_multishot_op_cannot_be_represented() {
    let mut h = H::default();
    h.source(SourceKind::Operation);
    h.seq(
        0,
        Op::Submit {
            source: 0,
            mode: Mode::Multishot,
        },
        CallResult::Key { key: K0 },
    );
    for v in 0..30 {
        h.seq(
            1,
            Op::StreamItem {
                source: 0,
                value: v,
            },
            CallResult::OK,
        );
    }
    let (calls, r) = h.check();
    assert_eq!(r.exit_code(), 2, "{:?}", r.verdict);
    match r.no_verdict() {
        Some(NoVerdict::Unrepresentable { call, why }) => {
            assert!(matches!(
                calls[*call].op,
                onering_check::history::parse::Op::StreamItem { .. }
            ));
            assert!(why.contains("queue"), "{why}");
        }
        other => panic!("expected unrepresentable, got {other:?}"),
    }
}

#[test]
fn a_consume_after_close_is_refused_at_its_own_line_not_skipped() {
    let mut h = H::default();
    h.source(SourceKind::Level);
    h.register(0, Mode::Level, K0);
    h.seq(1, Op::Raise { source: 0 }, CallResult::OK);
    h.seq(1, Op::Close { source: 0 }, CallResult::OK);
    h.seq(0, Op::Consume { source: 0 }, CallResult::OK);
    let consume = h.last_line();
    // Later calls that would be fine: the failure must not move to them.
    h.seq(
        0,
        Op::Wait {
            max: 1,
            timeout: Timeout::Poll,
        },
        CallResult::Events {
            events: vec![],
            end: None,
        },
    );
    let (calls, r) = h.check();
    assert_eq!(stuck_line(&calls, &r), consume);
    let why = r.failure().unwrap().refused.expect("the model's reason");
    assert!(why.contains("closed"), "{why}");
}

/// A small random history of one level source and two threads: random
/// calls with random results, each thread's calls sequential, the two
/// threads' intervals overlapping at random.
fn random_history() -> impl Strategy<Value = Vec<Line>> {
    let call = (0u32..2, 0u8..5, any::<bool>(), 1u64..6, 0u64..4);
    prop::collection::vec(call, 2..9).prop_map(|calls| {
        let mut lines = vec![
            Line::new(
                0,
                1,
                2,
                Op::AddSource {
                    kind: SourceKind::Level,
                },
                CallResult::Source { source: 0 },
            ),
            Line::new(
                0,
                3,
                4,
                Op::Register {
                    source: 0,
                    mode: Mode::Dispatch,
                    interest: None,
                    edge: false,
                },
                CallResult::Key { key: K0 },
            ),
        ];
        // Per thread a cursor; thread 0's stamps are even, thread 1's odd,
        // so every stamp is unique.
        let mut cursor = [4u64, 4u64];
        for (thread, what, flag, len, gap) in calls {
            let c = &mut cursor[thread as usize];
            let start = (*c + gap) * 2 + thread as u64 + 2;
            let end = start + len * 2;
            *c = end / 2 + 1;
            let (op, result) = match what {
                0 => (Op::Raise { source: 0 }, CallResult::OK),
                1 => (Op::Lower { source: 0 }, CallResult::OK),
                2 => (Op::Consume { source: 0 }, CallResult::OK),
                _ => (
                    Op::Wait {
                        max: 1,
                        timeout: Timeout::Poll,
                    },
                    CallResult::Events {
                        events: if flag {
                            vec![Event::Ready {
                                key: K0,
                                interest: None,
                            }]
                        } else {
                            vec![]
                        },
                        end: None,
                    },
                ),
            };
            lines.push(Line::new(thread, start, end, op, result));
        }
        lines
    })
}

fn blamed(lines: &[Line]) -> Option<(usize, Vec<usize>)> {
    let (calls, r) = verify_text(
        &to_jsonl(lines),
        &UNIFIED,
        &Options::default(),
        |_, _, _| {},
    )
    .ok()?;
    let f = r.failure()?;
    Some((
        calls[f.stuck].line,
        f.window.iter().map(|i| calls[*i].line).collect(),
    ))
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 400, .. ProptestConfig::default() })]

    /// The gaps between stamps mean nothing: scaling, shifting or any
    /// order-preserving renumbering of every stamp blames the same call.
    #[test]
    fn stamps_scaled_or_shifted_blame_the_same_call(
        lines in random_history(),
        scale in 1u64..7,
        shift in 0u64..1000,
        gaps in prop::collection::vec(1u64..5, 64),
    ) {
        let Some(blame) = blamed(&lines) else {
            // Linearizable: nothing to blame.
            return Ok(());
        };
        let remap = |f: &dyn Fn(u64) -> u64| -> Vec<Line> {
            lines.iter().map(|l| Line {
                call: f(l.call),
                ret: l.ret.map(f),
                ..l.clone()
            }).collect()
        };
        let affine = remap(&|t| t * scale + shift);
        prop_assert_eq!(blamed(&affine), Some(blame.clone()), "scaled by {} shifted by {}", scale, shift);
        let mut stamps: Vec<u64> = lines.iter().flat_map(|l| [l.call, l.ret.unwrap()]).collect();
        stamps.sort_unstable();
        let mut next = 0;
        let renumbered: std::collections::HashMap<u64, u64> = stamps
            .iter()
            .enumerate()
            .map(|(i, t)| {
                next += gaps[i % gaps.len()];
                (*t, next)
            })
            .collect();
        let uneven = remap(&|t| renumbered[&t]);
        prop_assert_eq!(blamed(&uneven), Some(blame), "renumbered");
    }
}

fn key(index: u32) -> KeyRef {
    KeyRef {
        index,
        generation: 0,
    }
}

fn poll(max: u32, keys: &[u32]) -> (Op, CallResult) {
    (
        Op::Wait {
            max,
            timeout: Timeout::Poll,
        },
        CallResult::Events {
            events: keys
                .iter()
                .map(|k| Event::Ready {
                    key: key(*k),
                    interest: None,
                })
                .collect(),
            end: None,
        },
    )
}

/// Found on a 100k-call history the Port recorded (2 threads, 8 sources),
/// reported NOT linearizable: the checker was wrong. The ready queue is
/// one FIFO across sources; a wait whose batch filled up with another
/// source's events scanned (and dropped) this source's stale entry, so
/// this source's next wake-up queues its registrations anew, in any order.
/// The per-source part did not know the scan happened.
#[test]
fn a_full_batch_of_another_source_may_drop_this_sources_stale_entry() {
    let mut h = H::default();
    h.source(SourceKind::Counter); // s0
    h.source(SourceKind::Level); // s1
    h.register(0, Mode::Dispatch, key(0));
    h.register(0, Mode::Edge, key(1));
    h.register(1, Mode::Level, key(2));
    h.seq(1, Op::Increment { source: 0, n: 1 }, CallResult::OK);
    let (op, r) = poll(2, &[0, 1]);
    h.seq(1, op, r);
    h.seq(1, Op::Raise { source: 1 }, CallResult::OK);
    // Releases k0 (dispatch: re-armed, re-queued behind k2), takes k2.
    let (op, r) = poll(1, &[2]);
    h.seq(1, op, r);
    // k0's queued entry goes stale.
    h.seq(1, Op::Consume { source: 0 }, CallResult::OK);
    // Re-queues k2 behind k0's stale entry and takes it: the scan passes
    // (and drops) k0's entry.
    let (op, r) = poll(1, &[2]);
    h.seq(1, op, r);
    h.seq(1, Op::Lower { source: 1 }, CallResult::OK);
    h.seq(1, Op::Increment { source: 0, n: 1 }, CallResult::OK);
    let (op, r) = poll(4, &[1, 0]);
    h.seq(1, op, r);
    let (_, r) = h.check();
    assert!(r.is_linearizable(), "{:?}", r.verdict);
}

#[test]
fn a_memory_budget_stops_with_no_verdict() {
    let mut h = H::default();
    h.source(SourceKind::Level);
    h.register(0, Mode::Level, K0);
    for i in 0..600 {
        h.seq(1 + i % 3, Op::Raise { source: 0 }, CallResult::OK);
    }
    let opts = Options {
        max_seconds: None,
        max_memory: Some(1),
    };
    let (_, r) = verify_text(&to_jsonl(&h.lines), &UNIFIED, &opts, |_, _, _| {}).unwrap();
    assert!(
        matches!(r.no_verdict(), Some(NoVerdict::Memory { .. })),
        "{:?}",
        r.verdict
    );
    assert_eq!(r.exit_code(), 3);
}

/// Histories with heavily overlapping calls (four threads, every call
/// spanning many others) under the profiles whose nondeterminism made the
/// search blow up (event ports, kqueue): each is decided, within seconds.
#[test]
fn widened_random_histories_are_decided_within_seconds() {
    let mut rng = 0x9e37_79b9_7f4a_7c15u64;
    let mut next = |n: u64| {
        rng ^= rng << 13;
        rng ^= rng >> 7;
        rng ^= rng << 17;
        rng % n
    };
    let budget = Options {
        max_seconds: Some(10.0),
        max_memory: None,
    };
    for _case in 0..60 {
        let mut lines = vec![Line::new(
            0,
            1,
            2,
            Op::AddSource {
                kind: SourceKind::Level,
            },
            CallResult::Source { source: 0 },
        )];
        let keys = 1 + next(3) as u32;
        for k in 0..keys {
            let mode = Mode::READINESS[next(4) as usize];
            lines.push(Line::new(
                0,
                3 + 2 * k as u64,
                4 + 2 * k as u64,
                Op::Register {
                    source: 0,
                    mode,
                    interest: None,
                    edge: false,
                },
                CallResult::Key { key: key(k) },
            ));
        }
        // Thread t's stamps are all t mod 4: unique across threads.
        let mut cursor = [20u64, 21, 22, 23];
        while lines.len() < 38 {
            let t = next(4) as usize;
            let start = cursor[t] + (1 + next(5)) * 4;
            let end = start + (1 + next(200)) * 4;
            cursor[t] = end;
            let (op, result) = match next(10) {
                0 | 1 => (Op::Raise { source: 0 }, CallResult::OK),
                2 => (Op::Lower { source: 0 }, CallResult::OK),
                3 => (Op::Consume { source: 0 }, CallResult::OK),
                4 => (
                    Op::Rearm {
                        key: key(next(keys as u64) as u32),
                    },
                    CallResult::OK,
                ),
                _ => {
                    let n = [0, 0, 1, 1, 2][next(5) as usize];
                    let ks: Vec<u32> = (0..n).map(|_| next(keys as u64) as u32).collect();
                    poll([1, 2, 4][next(3) as usize].max(n as u32), &ks)
                }
            };
            lines.push(Line::new(t as u32 + 1, start, end, op, result));
        }
        let text = to_jsonl(&lines);
        for p in ["event-ports", "kqueue", "epoll", "unified"] {
            let rules = onering_model::profile(p).unwrap();
            let (_, r) = verify_text(&text, &rules, &budget, |_, _, _| {}).unwrap();
            assert!(
                !matches!(r.no_verdict(), Some(NoVerdict::Time { .. })),
                "{p}: no verdict in 10 s:\n{text}"
            );
        }
    }
}
