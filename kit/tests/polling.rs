//! The `polling` crate (smol-rs) driven by the kit on Linux epoll.
//!
//! What polling promises (its rustdoc, 3.11): `add` is oneshot — "interest
//! in I/O events needs to be re-enabled using `modify()` again after an
//! event is delivered"; `add_with_mode` offers `Level`, `Edge` and
//! `EdgeOneshot`; `delete` removes; "Only one thread can wait on I/O. If
//! another thread is already in `wait()`, concurrent calls to this method
//! will return immediately with no new events". On Linux every call is one
//! `epoll_ctl`/`epoll_wait` (src/epoll.rs), so the profile is `epoll`:
//! `register(oneshot)`, re-arm = `modify(key, oneshot)` (`EPOLL_CTL_MOD`),
//! `delete` = `cancel(sync)` answering `0`. Several threads wait at once;
//! a wait that returns empty while another thread is in `wait` may be
//! polling's own answer (D1), which [`LibraryRules::POLLING`] states, so
//! histories are checked against `epoll+polling`.
//!
//! The adapter is `kit/tests/adapter/polling.rs`; its campaigns and its
//! findings (D1, D2, D4) are measured and tabled by `kit/tests/adapters.rs`.

#[path = "adapter/polling.rs"]
mod adapter;

use adapter::Polling;
use onering_kit::drive::{self, Shape, Step, Workload};
use onering_kit::fd::FdKind;
use onering_kit::{LibraryRules, Mode, Variant};

fn make() -> std::io::Result<Polling> {
    Polling::new()
}

fn profile(name: &str) -> onering_model::Rules {
    onering_model::profile(name).expect("known profile")
}

#[test]
fn polling_property_with_shrinking() {
    let r = drive::prop_check(make, &profile("epoll"), Shape::default(), 16, 1);
    if let Err(c) = r {
        panic!("shrunk to {:?}\n{}", c.workload, c.reason);
    }
}

/// A polling that loses every third event: the check must catch it, also
/// under polling's own rule and with every thread waiting.
#[test]
fn a_library_that_loses_events_is_rejected() {
    let r = drive::prop_check(
        || Ok(Variant::new(make()?).modes(&[Mode::Level]).loses_every(3)),
        &profile("epoll"),
        Shape::default(),
        64,
        2,
    );
    let c = r.expect_err("a lossy library passed 64 workloads");
    println!("shrunk to {:?}\n{}", c.workload, c.reason);
    assert!(c.reason.contains("cannot be linearized"), "{}", c.reason);
}

/// A polling that reports every event twice in one batch: rejected under
/// `epoll+polling` too (the rule excuses only empty waits).
#[test]
fn a_library_that_duplicates_events_is_rejected_under_polling_rules() {
    let r = drive::prop_check(
        || {
            Ok(Variant::new(make()?)
                .modes(&[Mode::Oneshot])
                .duplicates_events())
        },
        &profile("epoll"),
        Shape::default(),
        64,
        1,
    );
    let c = r.expect_err("a duplicating library passed 64 workloads");
    assert!(c.reason.contains("cannot be linearized"), "{}", c.reason);
}

/// Not vacuous: polling's rule excuses an empty wait only while another
/// thread is in `wait`. One thread that gets a level event and then polls
/// nothing while the pipe is still readable is rejected under
/// `epoll+polling` as under `epoll`.
#[test]
fn an_empty_wait_with_no_other_waiter_is_still_rejected_under_polling_rules() {
    use onering_kit::{Event, Key, Op, Outcome, Recorder, Timeout};
    let history = |empty_poll: bool| {
        let rec = Recorder::new();
        rec.begin(Op::Register {
            source: 0,
            mode: onering_kit::Mode::Level,
        })
        .end(Outcome::Key(Key::new(1)));
        rec.call(Op::Raise { source: 0 }, || ((), Outcome::Ok));
        let wait = |events| {
            rec.begin(Op::Wait {
                max: 4,
                timeout: Timeout::Poll,
            })
            .end(Outcome::Events(events))
        };
        wait(vec![Event::Ready(Key::new(1))]);
        if empty_poll {
            wait(vec![]);
        }
        wait(vec![Event::Ready(Key::new(1))]);
        rec.history()
    };
    let epoll = profile("epoll");
    let polling = LibraryRules::POLLING;
    let v = onering_kit::check_with(&history(true), &epoll, &polling).expect("verdict");
    assert!(
        !v.is_linearizable(),
        "no other waiter: the empty poll is the kernel's, and wrong"
    );
    let v = onering_kit::check_with(&history(false), &epoll, &polling).expect("verdict");
    assert!(v.is_linearizable(), "the same history without it verifies");
}

// ---- polling's own tests, re-enacted as histories -------------------------

/// Runs a script five times; every history must verify under bare epoll
/// (one waiter: polling's rule has nothing to excuse), and at least one
/// wait must have returned an event.
fn reenact(name: &str, work: &Workload) {
    let bare = || Ok(Variant::new(make()?).library_rules(LibraryRules::NONE));
    if let Err(e) = onering_kit::suite::reenact(bare, work, &profile("epoll"), 5, Some(true)) {
        panic!("{name}: {e}");
    }
}

const O: u8 = 0; // Oneshot
const L: u8 = 1; // Level
const E: u8 = 2; // Edge

/// tests/concurrent_modification.rs `concurrent_add`: one thread waits,
/// another adds the fd and writes.
#[test]
fn reenact_concurrent_add() {
    reenact(
        "concurrent_add",
        &Workload::scripted(
            vec![FdKind::Socket],
            vec![
                vec![Step::wait_ms(4, 200)],
                vec![
                    Step::Pause { ms: 20 },
                    Step::Register { src: 0, mode: O },
                    Step::Raise { src: 0 },
                ],
            ],
            vec![1],
        ),
    );
}

/// tests/other_modes.rs `level_triggered`: level delivers again until
/// drained; after `modify` to oneshot, once.
#[test]
fn reenact_level_triggered() {
    let t0 = vec![
        Step::Register { src: 0, mode: L },
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
        Step::wait_ms(4, 100),
        Step::Consume { src: 0 },
        Step::poll(4),
        Step::Modify { src: 0, mode: O },
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
        Step::poll(4),
    ];
    reenact(
        "level_triggered",
        &Workload::scripted(vec![FdKind::Socket], vec![t0], vec![0]),
    );
}

/// tests/other_modes.rs `edge_triggered`: one event per edge.
#[test]
fn reenact_edge_triggered() {
    let t0 = vec![
        Step::Register { src: 0, mode: E },
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
        Step::poll(4),
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
        Step::Modify { src: 0, mode: O },
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
        Step::poll(4),
    ];
    reenact(
        "edge_triggered",
        &Workload::scripted(vec![FdKind::Socket], vec![t0], vec![0]),
    );
}

/// tests/io.rs `basic_io` over a pipe and an eventfd (tests/notify.rs uses
/// polling's own eventfd): oneshot, re-armed by `modify`.
#[test]
fn reenact_basic_io_pipe_and_eventfd() {
    let t0 = vec![
        Step::Register { src: 0, mode: O },
        Step::Register { src: 1, mode: O },
        Step::Raise { src: 0 },
        Step::Raise { src: 1 },
        Step::wait_ms(1, 100),
        Step::wait_ms(1, 100),
        Step::poll(4),
        Step::Consume { src: 0 },
        Step::Rearm { src: 0 },
        Step::Rearm { src: 1 },
        Step::poll(4),
        Step::Raise { src: 0 },
        Step::wait_ms(4, 100),
    ];
    reenact(
        "basic_io",
        &Workload::scripted(vec![FdKind::Pipe, FdKind::EventFd], vec![t0], vec![0, 0]),
    );
}

/// The kit's corpus of named races (`onering_kit::corpus`): every one
/// verifies under epoll; the teardown and hand-off races do not under
/// unified.
#[test]
fn corpus_verifies_under_epoll() {
    let epoll = drive_corpus(&profile("epoll"));
    for (name, j) in &epoll {
        println!("{name:<24} epoll: {j:?}");
        assert_eq!(*j, drive::Judgement::Verified, "{name}");
    }
    let unified = drive_corpus(&profile("unified"));
    let rejected: Vec<&str> = unified
        .iter()
        .filter(|(_, j)| matches!(j, drive::Judgement::Rejected(_)))
        .map(|(n, _)| *n)
        .collect();
    println!("rejected under unified: {rejected:?}");
    assert!(!rejected.is_empty());
}

fn drive_corpus(rules: &onering_model::Rules) -> Vec<(&'static str, drive::Judgement)> {
    onering_kit::corpus::run_corpus(make, rules, 3).expect("runs")
}
