//! The two adapters' results as one table: per library and profile, the
//! histories run, verified and rejected, then every finding with what this
//! run measured of it, and each adapter's line count (read from the
//! adapter's own file, so it cannot go stale). Printed by
//!
//! ```text
//! cargo test -p onering-kit --release --test adapters -- --nocapture
//! ```
//!
//! `ONERING_KIT_SEEDS` (default 60), `ONERING_KIT_STEPS`,
//! `ONERING_KIT_THREADS` and `ONERING_KIT_MAX_BATCH` size the campaigns
//! (`onering_kit::suite`). The findings are written up in
//! `docs/findings-libraries.md`.

#[path = "adapter/mio.rs"]
mod mio_adapter;
#[path = "adapter/polling.rs"]
mod polling_adapter;

use mio::{Events, Poll, Token, Waker};
use mio_adapter::Mio;
use onering_kit::drive::{self, RunLimits, Step, Tally, Workload};
use onering_kit::fd::{FdKind, FdSource};
use onering_kit::suite::{self, Apart, Results};
use onering_kit::{
    check, Event, Harness, Key, LibraryRules, Mode, Op, Outcome, Recorder, SourceKind, Timeout,
    Variant,
};
use polling::PollMode;
use polling_adapter::Polling;
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

const NONE: LibraryRules = LibraryRules::NONE;
const POLLING: LibraryRules = LibraryRules::POLLING;

fn profile(name: &str) -> onering_model::Rules {
    onering_model::profile(name).expect("known profile")
}

fn lines(src: &str) -> usize {
    src.lines().count()
}

const fn wait(max: u8, ms: u8) -> Step {
    Step::wait_ms(max, ms)
}

const POLL: Step = Step::poll(4);

/// A race of the kit's corpus (`onering_kit::corpus`).
fn race(name: &str) -> Workload {
    onering_kit::corpus::named(name).expect("a race of the corpus")
}

/// A campaign of `make` over `profiles`, each tally labelled `variant`.
fn campaign<H: Harness>(
    variant: &str,
    make: impl Fn() -> io::Result<H>,
    seeds: u64,
    profiles: &[&str],
) -> Vec<(String, Tally)> {
    let rules: Vec<_> = profiles.iter().map(|p| profile(p)).collect();
    drive::campaign(
        make,
        suite::shape_from_env(),
        0..seeds,
        &rules,
        RunLimits::default(),
    )
    .expect("runs")
    .into_iter()
    .map(|t| (variant.to_string(), t))
    .collect()
}

/// The first rejection of each kind of stuck call, for a person to read.
fn print_rejections(r: &Results) {
    for (variant, t) in &r.tallies {
        for (op, (_, seed, why)) in &t.rejected_at {
            println!(
                "first rejection of {} ({variant}) under {} at {op}: seed {seed}\n{why}",
                r.library, t.profile
            );
        }
    }
}

/// Every history verifies under the profile the library promises.
fn assert_all_verified(r: &Results, profile: &str) {
    for (variant, t) in r.tallies.iter().filter(|(_, t)| t.profile == profile) {
        if let Some((seed, text, why)) = &t.first_rejected {
            panic!(
                "{} ({variant}) seed {seed} rejected under {profile}:\n{why}\n{text}",
                r.library
            );
        }
        assert_eq!(t.no_verdict, 0, "{:?}", t.first_no_verdict);
        assert_eq!(t.verified, t.runs, "{} ({variant})", r.library);
    }
}

// ---- polling ----------------------------------------------------------------

/// polling's `EdgeOneshot` (D4): recorded as `oneshot`.
struct EdgeOneshot(Polling);

impl Harness for EdgeOneshot {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Oneshot]
    }
    fn concurrent_waits(&self) -> bool {
        false
    }
    fn register(&self, fd: BorrowedFd<'_>, t: usize, _: Mode) -> io::Result<()> {
        // SAFETY: the driver deletes every registration before its fd closes.
        unsafe {
            self.0 .0.add_with_mode(
                fd.as_raw_fd(),
                polling::Event::readable(t),
                PollMode::EdgeOneshot,
            )
        }
    }
    fn modify(&self, fd: BorrowedFd<'_>, t: usize, _: Mode) -> io::Result<()> {
        self.0
             .0
            .modify_with_mode(fd, polling::Event::readable(t), PollMode::EdgeOneshot)
    }
    fn cancel(&self, fd: BorrowedFd<'_>, t: usize) -> io::Result<()> {
        self.0.cancel(fd, t)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        self.0.wait(max, t, out)
    }
    fn wake(&self) -> io::Result<()> {
        self.0.wake()
    }
}

/// D1: T0 owns a Level pipe and waits, draining what it gets; T1 writes
/// and polls at once, while T0 is still being woken and holds polling's
/// lock: T1's wait returns `[]` although the pipe is ready.
fn d1_script() -> Workload {
    let mut t0 = vec![Step::Register { src: 0, mode: 0 }];
    let mut t1 = vec![];
    for _ in 0..20 {
        t0.extend([wait(4, 50), Step::Consume { src: 0 }]);
        t1.extend([Step::Pause { ms: 3 }, Step::Raise { src: 0 }, POLL]);
    }
    Workload::scripted(vec![FdKind::Pipe], vec![t0, t1], vec![0])
}

fn polling_results(seeds: u64) -> Results {
    let mut r = Results {
        library: "polling 3.11".into(),
        adapter_lines: lines(include_str!("adapter/polling.rs")),
        ..Results::default()
    };
    r.tallies.extend(campaign(
        "every thread waits",
        Polling::new,
        seeds,
        &["epoll", "unified"],
    ));
    // The same harness without polling's rule: bare epoll rejects D1.
    r.tallies.extend(campaign(
        "every thread waits, no library rule",
        || Ok(Variant::new(Polling::new()?).library_rules(NONE)),
        seeds,
        &["epoll"],
    ));
    r.tallies.extend(campaign(
        "thread 0 waits, no library rule",
        || {
            Ok(Variant::new(Polling::new()?)
                .one_waiter()
                .library_rules(NONE))
        },
        seeds,
        &["epoll", "unified"],
    ));
    r.tallies.extend(campaign(
        "oneshot, thread 0 waits, re-arm recorded as `rearm`",
        || {
            Ok(Variant::new(Polling::new()?)
                .modes(&[Mode::Oneshot])
                .one_waiter()
                .rearm_recorded_as_rearm())
        },
        seeds / 2,
        &["epoll"],
    ));
    let d4 = campaign(
        "`EdgeOneshot`, recorded as `oneshot`, thread 0 waits",
        || Ok(EdgeOneshot(Polling::new()?)),
        seeds / 2,
        &["epoll"],
    );
    let d4_tally = d4[0].1.clone();
    r.tallies.extend(d4);

    let epoll = profile("epoll");
    let d1 = suite::tell_apart(
        || {
            Ok(Variant::new(Polling::new()?)
                .modes(&[Mode::Level])
                .library_rules(NONE))
        },
        &d1_script(),
        (&epoll, &POLLING),
        (&epoll, &NONE),
        10,
        30,
    )
    .expect("runs");
    // D2 on a Level registration: the corpus's race uses the first mode.
    let d2 = suite::tell_apart(
        || Ok(Variant::new(Polling::new()?).modes(&[Mode::Level])),
        &race("cancel-while-held"),
        (&epoll, &POLLING),
        (&profile("unified"), &POLLING),
        5,
        20,
    )
    .expect("runs");
    r.findings = vec![
        (
            "D1".into(),
            "a `wait` concurrent with another thread's returns `[]` at once while an event is ready (documented: `Poller::wait`); `--library polling` / `LibraryRules::POLLING`".into(),
            format!("`epoll+polling` verified {} of {} runs of the race; bare `epoll` rejected {}", d1.allowed_verified, d1.runs, d1.forbidden_rejected),
        ),
        (
            "D2".into(),
            "`delete` answers `0` while another thread still handles the fd's event (epoll allows it, os §2.6; `unified` answers `pending`)".into(),
            apart(&d2, "epoll+polling", "unified+polling"),
        ),
        (
            "D4".into(),
            "`PollMode::EdgeOneshot` behaves as `Oneshot` on epoll (recorded as `oneshot`)".into(),
            format!("{} of {} histories verified under `epoll`", d4_tally.verified, d4_tally.runs),
        ),
    ];
    for (id, a) in [("D1", &d1), ("D2", &d2)] {
        assert_eq!(a.allowed_verified, a.runs, "{id}: {a}");
        // Timing decides how often the race shows; once tells them apart.
        assert!(a.forbidden_rejected > 0, "{id}: has polling changed? {a}");
    }
    assert_eq!(
        d4_tally.verified, d4_tally.runs,
        "D4: {:?}",
        d4_tally.first_rejected
    );
    r
}

fn apart(a: &Apart, allowed: &str, forbidden: &str) -> String {
    format!(
        "`{allowed}` verified {} of {} runs of the race; `{forbidden}` rejected {}",
        a.allowed_verified, a.runs, a.forbidden_rejected
    )
}

// ---- mio ----------------------------------------------------------------------

/// L2: with the waker's slot not subtracted, a full batch looks like one
/// with room, and a history is rejected although mio did nothing wrong.
/// Returns (rejected as recorded with the raw `max`, verified with the
/// waker's slot taken off).
fn l2_wakers_batch_slot() -> (bool, bool) {
    let rec = Recorder::new();
    let mio = Mio::new().expect("poll");
    let (a, b) = (
        FdSource::new(FdKind::Pipe).expect("pipe"),
        FdSource::new(FdKind::Pipe).expect("pipe"),
    );
    for (i, s) in [&a, &b].iter().enumerate() {
        let src = i as u32;
        rec.begin(Op::AddSource {
            kind: SourceKind::Level,
            source: src,
        })
        .end(Outcome::Ok);
        let p = rec.begin(Op::Register {
            source: src,
            mode: Mode::Edge,
        });
        mio.register(s.fd(), i + 1, Mode::Edge).expect("register");
        p.end(Outcome::Key(Key::new(i as u32 + 1)));
    }
    // The waker first, so that it is first on epoll's ready list.
    mio.wake().expect("wake");
    for (i, s) in [&a, &b].iter().enumerate() {
        rec.call(Op::Raise { source: i as u32 }, || {
            (s.raise().expect("write"), Outcome::Ok)
        });
    }
    // A batch of 2: the waker and one of the pipes.
    let p = rec.begin(Op::Wait {
        max: 2,
        timeout: Timeout::Poll,
    });
    let mut tokens = Vec::new();
    let room = mio
        .wait(2, Some(Duration::ZERO), &mut tokens)
        .expect("poll");
    let events: Vec<Event> = tokens
        .iter()
        .map(|t| Event::Ready(Key::new(*t as u32)))
        .collect();
    let n = events.len();
    p.end(Outcome::Events(events));
    let naive = rec.history();
    for (s, t) in [(&a, 1), (&b, 2)] {
        mio.cancel(s.fd(), t).expect("deregister");
    }
    assert_eq!(
        (room, n),
        (1, 1),
        "epoll's ready list is FIFO: [waker, a] of [waker, a, b]"
    );
    let epoll = profile("epoll");
    let rejected = !check(&naive, &epoll).expect("checked").is_linearizable();
    let fixed = naive.to_jsonl().replace(r#""max":2"#, r#""max":1"#);
    let verified = onering_kit::check_text(&fixed, &epoll, 10.0)
        .expect("checked")
        .is_linearizable();
    (rejected, verified)
}

/// D5 (mio's tests/waker.rs `waker_multiple_wakeups_different_thread`),
/// recorded by hand: the waker is an eventfd registered edge-triggered (a
/// `counter` source in `edge` mode); two wakes from two threads; each
/// poll sees the waker at most once per wake, and a last poll nothing.
/// Returns whether the history verifies under epoll.
fn d5_waker_coalesces() -> bool {
    let rec = Recorder::new();
    let mut poll = Poll::new().expect("poll");
    let token = Token(10);
    rec.begin(Op::AddSource {
        kind: SourceKind::Counter,
        source: 0,
    })
    .end(Outcome::Ok);
    let p = rec.begin(Op::Register {
        source: 0,
        mode: Mode::Edge,
    });
    let waker = Waker::new(poll.registry(), token).expect("waker");
    p.end(Outcome::Key(Key::new(10)));
    let wake = |rec: &Recorder| {
        let p = rec.begin(Op::Increment { source: 0, n: 1 });
        waker.wake().expect("wake");
        p.end(Outcome::Ok);
    };
    let mut poll_once = |rec: &Recorder, timeout: Duration| {
        let p = rec.begin(Op::Wait {
            max: 10,
            timeout: Timeout::Deadline,
        });
        let mut events = Events::with_capacity(10);
        poll.poll(&mut events, Some(timeout)).expect("poll");
        let evs: Vec<Event> = events
            .iter()
            .map(|e| Event::Ready(Key::new(e.token().0 as u32)))
            .collect();
        let got = !evs.is_empty();
        p.end(Outcome::Events(evs));
        got
    };
    std::thread::scope(|s| {
        s.spawn(|| wake(&rec));
        while !poll_once(&rec, Duration::from_millis(100)) {}
        let second = s.spawn(|| wake(&rec));
        second.join().expect("waker thread");
        assert!(poll_once(&rec, Duration::from_millis(100)));
        assert!(!poll_once(&rec, Duration::from_millis(10)));
    });
    check(&rec.history(), &profile("epoll"))
        .expect("checked")
        .is_linearizable()
}

fn mio_results(seeds: u64) -> Results {
    let mut r = Results {
        library: "mio 1.2".into(),
        adapter_lines: lines(include_str!("adapter/mio.rs")),
        ..Results::default()
    };
    r.tallies.extend(campaign(
        "every thread waits (one at a time in `poll`)",
        Mio::new,
        seeds,
        &["epoll", "unified", "kqueue"],
    ));
    let (epoll, unified) = (profile("epoll"), profile("unified"));
    let d2 = suite::tell_apart(
        Mio::new,
        &race("cancel-while-held"),
        (&epoll, &NONE),
        (&unified, &NONE),
        5,
        20,
    )
    .expect("runs");
    // D3: an edge arriving while T0 still handles the previous event goes
    // to T1's wait at once.
    let d3 = suite::tell_apart(
        Mio::new,
        &race("raise-while-held"),
        (&epoll, &NONE),
        (&unified, &NONE),
        5,
        20,
    )
    .expect("runs");
    let d5 = d5_waker_coalesces();
    let (l2_rejected, l2_verified) = l2_wakers_batch_slot();
    r.findings = vec![
        (
            "D2".into(),
            "`deregister` answers `0` while another thread still handles the fd's event".into(),
            apart(&d2, "epoll", "unified"),
        ),
        (
            "D3".into(),
            "an edge arriving while another thread handles the previous event goes to the next poller at once (`unified` keeps it pending)".into(),
            apart(&d3, "epoll", "unified"),
        ),
        (
            "D5".into(),
            "the `Waker` coalesces: an eventfd registered edge-triggered (mio's tests/waker.rs re-enacted)".into(),
            format!("the recorded history {} under `epoll`", if d5 { "verified" } else { "was REJECTED" }),
        ),
        (
            "L2".into(),
            "the waker's event takes a batch slot: the adapter must record `max - 1`".into(),
            format!(
                "recorded with the raw `max`: {}; with the slot taken off: {}",
                if l2_rejected { "rejected" } else { "VERIFIED (expected rejected)" },
                if l2_verified { "verified" } else { "REJECTED" }
            ),
        ),
    ];
    for (id, a) in [("D2", &d2), ("D3", &d3)] {
        assert_eq!(a.allowed_verified, a.runs, "{id}: {a}");
        assert!(a.forbidden_rejected > 0, "{id}: has mio changed? {a}");
    }
    assert!(d5, "D5: mio's waker history rejected");
    assert!(l2_rejected && l2_verified, "L2");
    r
}

#[test]
fn adapters_results_table() {
    let seeds = suite::seeds_from_env(60);
    let results = [polling_results(seeds), mio_results(seeds)];
    for r in &results {
        print_rejections(r);
    }
    println!(
        "\nseeds {seeds}, shape {:?}\n\n{}",
        suite::shape_from_env(),
        suite::table(&results)
    );
    // What each library promises: polling `epoll+polling` (and bare
    // `epoll` with one waiter), mio `epoll`.
    assert_all_verified(&results[0], "epoll+polling");
    for (variant, t) in &results[0].tallies {
        if t.profile == "epoll" && !variant.starts_with("every thread") {
            assert_eq!(
                t.verified, t.runs,
                "polling ({variant}) under {}",
                t.profile
            );
        }
    }
    assert_all_verified(&results[1], "epoll");
}
