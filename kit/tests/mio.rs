//! The `mio` crate (tokio-rs) driven by the kit on Linux epoll.
//!
//! What mio promises (its rustdoc, 1.x, `Poll`): "Poll uses edge-triggered
//! notifications" — one event per readiness change, the user reads until
//! `WouldBlock`; `Registry::reregister` changes the interest (and, being
//! `EPOLL_CTL_MOD`, re-checks readiness); `deregister` removes; `Poll::poll`
//! takes `&mut self`, so one thread polls at a time (here a `Mutex`), while
//! a `Registry` is shared; a `Waker` (one per `Poll`) wakes the poll and
//! appears as an event with its own token. On Linux every registration is
//! `EPOLLET | EPOLLIN | EPOLLRDHUP` (src/sys/unix/selector/epoll.rs), so
//! the profile is `epoll` in `edge` mode; `reregister` = `modify(key, edge)`.
//!
//! `ONERING_KIT_SEEDS` sets the number of seeds of the campaign (default 60).

use mio::unix::SourceFd;
use mio::{Events, Interest, Poll, Registry, Token, Waker};
use onering_kit::drive::{self, RunLimits, Shape, Step, WaitFor, Workload};
use onering_kit::fd::FdKind;
use onering_kit::{check, Event, Harness, Key, Mode, Op, Outcome, Recorder, SourceKind, Timeout};
use std::io;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::sync::Mutex;
use std::time::Duration;

// ---- the adapter --------------------------------------------------------

const WAKER: Token = Token(usize::MAX);

/// mio's `Poll` (behind a lock: `poll` takes `&mut self`), its `Registry`
/// and `Waker`, as a [`Harness`].
pub struct Mio {
    poll: Mutex<Poll>,
    registry: Registry,
    waker: Waker,
}

impl Mio {
    /// A fresh poller.
    pub fn new() -> io::Result<Mio> {
        let poll = Poll::new()?;
        let registry = poll.registry().try_clone()?;
        let waker = Waker::new(&registry, WAKER)?;
        Ok(Mio {
            poll: Mutex::new(poll),
            registry,
            waker,
        })
    }
}

impl Harness for Mio {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Edge] // mio is edge-triggered only
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, _: Mode) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.registry
            .register(&mut SourceFd(&raw), Token(token), Interest::READABLE)
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, _: Mode) -> io::Result<()> {
        let raw = fd.as_raw_fd();
        self.registry
            .reregister(&mut SourceFd(&raw), Token(token), Interest::READABLE)
    }
    fn cancel(&self, fd: BorrowedFd<'_>, _token: usize) -> io::Result<()> {
        self.registry.deregister(&mut SourceFd(&fd.as_raw_fd()))
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        let mut events = Events::with_capacity(max);
        let mut poll = self.poll.lock().unwrap_or_else(|e| e.into_inner());
        poll.poll(&mut events, t)?;
        // The waker's event takes one of the batch's slots.
        let mut room = max;
        for e in events.iter() {
            match e.token() {
                WAKER => room -= 1,
                Token(t) => out.push(t),
            }
        }
        Ok(room)
    }
    fn wake(&self) -> io::Result<()> {
        self.waker.wake()
    }
}

// ---- end of the adapter -------------------------------------------------

fn profile(name: &str) -> onering_model::Rules {
    onering_model::profile(name).expect("known profile")
}

/// `ONERING_KIT_STEPS`, `ONERING_KIT_THREADS` and `ONERING_KIT_MAX_BATCH`
/// set the most steps per thread (default 12), threads (default 3) and
/// events per wait (default 4).
fn shape() -> Shape {
    fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
        std::env::var(name).ok().and_then(|s| s.parse().ok())
    }
    Shape {
        steps: env("ONERING_KIT_STEPS").unwrap_or(12),
        threads: env("ONERING_KIT_THREADS").unwrap_or(3),
        max_batch: env("ONERING_KIT_MAX_BATCH").unwrap_or(4),
        ..Shape::default()
    }
}

fn seeds() -> u64 {
    std::env::var("ONERING_KIT_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60)
}

#[test]
fn mio_histories_verify_under_epoll() {
    let profiles = [profile("epoll"), profile("unified"), profile("kqueue")];
    let tallies = drive::campaign(
        Mio::new,
        shape(),
        0..seeds(),
        &profiles,
        RunLimits::default(),
    )
    .expect("runs");
    for t in &tallies {
        println!("mio {t}");
        for (op, (_, seed, why)) in &t.rejected_at {
            println!(
                "  first rejected under {} at {op}: seed {seed}\n{why}",
                t.profile
            );
        }
    }
    let epoll = &tallies[0];
    if let Some((seed, text, why)) = &epoll.first_rejected {
        panic!("seed {seed} rejected under epoll:\n{why}\n{text}");
    }
    assert_eq!(epoll.no_verdict, 0, "{:?}", epoll.first_no_verdict);
    assert_eq!(epoll.verified, epoll.runs);
}

#[test]
fn mio_property_with_shrinking() {
    if let Err(c) = drive::prop_check(Mio::new, &profile("epoll"), Shape::default(), 16, 1) {
        panic!("shrunk to {:?}\n{}", c.workload, c.reason);
    }
}

/// With the waker's slot not subtracted (an adapter mistake, or a format
/// that cannot say a slot was taken), a full batch looks like one with
/// room, and a history is rejected although mio did nothing wrong. Pins
/// onering limit L2 (docs/findings-libraries.md).
#[test]
fn the_wakers_batch_slot_must_be_accounted_for() {
    let rec = Recorder::new();
    let mio = Mio::new().expect("poll");
    let (a, b) = (
        onering_kit::fd::FdSource::new(FdKind::Pipe).expect("pipe"),
        onering_kit::fd::FdSource::new(FdKind::Pipe).expect("pipe"),
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
    assert!(
        !check(&naive, &epoll).expect("checked").is_linearizable(),
        "recorded with max 2, the batch [one pipe] claims the other pipe was not ready"
    );
    let fixed = naive.to_jsonl().replace(r#""max":2"#, r#""max":1"#);
    assert!(onering_kit::check_text(&fixed, &epoll, 10.0)
        .expect("checked")
        .is_linearizable());
}

// ---- mio's own tests, re-enacted as histories -----------------------------

fn w(sources: Vec<FdKind>, threads: Vec<Vec<Step>>, owners: Vec<usize>) -> Workload {
    Workload {
        sources,
        threads,
        owners: Some(owners),
    }
}

fn reenact(name: &str, work: &Workload, expect_event: bool) {
    let epoll = profile("epoll");
    for _ in 0..5 {
        let h = Mio::new().expect("poll");
        let text = drive::run(&h, work, RunLimits::default())
            .expect("run")
            .to_jsonl();
        match drive::judge(&text, &epoll, 10.0) {
            drive::Judgement::Verified => {}
            other => panic!("{name}: {other:?}\n{text}"),
        }
        assert_eq!(
            text.contains(r#""kind":"ready""#),
            expect_event,
            "{name}\n{text}"
        );
    }
}

const WAIT: Step = Step::Wait {
    max: 8,
    timeout: WaitFor::Deadline(100),
};
const POLL: Step = Step::Wait {
    max: 8,
    timeout: WaitFor::Poll,
};

/// tests/unix_pipe.rs `smoke`: a write makes the receiver readable once.
#[test]
fn reenact_unix_pipe_smoke() {
    let t0 = vec![
        Step::Register { src: 0, mode: 0 },
        Step::Raise { src: 0 },
        WAIT,
        Step::Consume { src: 0 },
        POLL,
    ];
    reenact(
        "unix_pipe::smoke",
        &w(vec![FdKind::Pipe], vec![t0], vec![0]),
        true,
    );
}

/// tests/register_deregister.rs: after `deregister` no event arrives,
/// even for data written before.
#[test]
fn reenact_register_deregister() {
    let t0 = vec![
        Step::Register { src: 0, mode: 0 },
        Step::Cancel { src: 0 },
        Step::Raise { src: 0 },
        WAIT,
    ];
    reenact(
        "register_deregister",
        &w(vec![FdKind::Socket], vec![t0], vec![0]),
        false,
    );
}

/// tests/reregister_without_poll.rs: `reregister` before any poll; data
/// written afterwards is reported once.
#[test]
fn reenact_reregister_without_poll() {
    let t0 = vec![
        Step::Register { src: 0, mode: 0 },
        Step::Rearm { src: 0 },
        Step::Raise { src: 0 },
        WAIT,
        POLL,
    ];
    reenact(
        "reregister_without_poll",
        &w(vec![FdKind::Socket], vec![t0], vec![0]),
        true,
    );
}

/// tests/waker.rs `waker_multiple_wakeups_different_thread`, recorded by
/// hand with the Recorder: the waker is an eventfd registered edge-
/// triggered (a `counter` source in `edge` mode); two wakes from two
/// threads; each poll sees the waker at most once per wake, and a last
/// poll sees nothing.
#[test]
fn reenact_waker_multiple_wakeups_different_thread() {
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
    let v = check(&rec.history(), &profile("epoll")).expect("checked");
    assert!(v.is_linearizable(), "{}", rec.history().to_jsonl());
}

/// Finding mio-2: an edge that arrives while another thread still handles
/// the previous event of the same registration is delivered at once to the
/// next poller (epoll, os §2.2): mio adds no hand-off. `unified` keeps one
/// pending edge until the holder releases it, so it rejects the history.
#[test]
fn an_edge_while_the_event_is_held_goes_to_the_next_thread() {
    let work = w(
        vec![FdKind::Pipe],
        vec![
            vec![
                Step::Register { src: 0, mode: 0 },
                Step::Raise { src: 0 },
                WAIT,
                Step::Pause { ms: 60 },
                POLL,
            ],
            vec![Step::Pause { ms: 20 }, Step::Raise { src: 0 }, WAIT],
        ],
        vec![0],
    );
    let (mut epoll_ok, mut unified_rejected) = (0, 0);
    for _ in 0..5 {
        let text = drive::run(&Mio::new().expect("poll"), &work, RunLimits::default())
            .expect("run")
            .to_jsonl();
        epoll_ok +=
            (drive::judge(&text, &profile("epoll"), 10.0) == drive::Judgement::Verified) as u32;
        if let drive::Judgement::Rejected(why) = drive::judge(&text, &profile("unified"), 10.0) {
            if unified_rejected == 0 {
                println!("{why}");
            }
            unified_rejected += 1;
        }
    }
    assert_eq!(epoll_ok, 5);
    // Timing decides how often the race shows; once tells the profiles apart.
    assert!(unified_rejected >= 1, "unified rejected none of 5");
}

/// Finding mio-1: `deregister` succeeds (`0`) while another thread still
/// handles the fd's last event; epoll allows it (os §2.6), `unified`
/// answers `pending`.
#[test]
fn deregister_while_the_event_is_held_is_epoll_not_unified() {
    let work = w(
        vec![FdKind::Socket],
        vec![
            vec![WAIT, Step::Pause { ms: 40 }, POLL],
            vec![
                Step::Register { src: 0, mode: 0 },
                Step::Raise { src: 0 },
                Step::Pause { ms: 20 },
                Step::Cancel { src: 0 },
            ],
        ],
        vec![1],
    );
    let mut unified_rejected = 0;
    for _ in 0..5 {
        let text = drive::run(&Mio::new().expect("poll"), &work, RunLimits::default())
            .expect("run")
            .to_jsonl();
        assert_eq!(
            drive::judge(&text, &profile("epoll"), 10.0),
            drive::Judgement::Verified,
            "{text}"
        );
        unified_rejected += matches!(
            drive::judge(&text, &profile("unified"), 10.0),
            drive::Judgement::Rejected(_)
        ) as u32;
    }
    // Timing decides how often the race shows; once tells the profiles apart.
    assert!(unified_rejected >= 1, "unified rejected none of 5");
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
    onering_kit::corpus::run_corpus(Mio::new, rules, 3).expect("runs")
}
