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
//! `ONERING_KIT_SEEDS` sets the number of seeds of the campaign (default 60).

use onering_kit::drive::{self, RunLimits, Shape, Step, WaitFor, Workload};
use onering_kit::fd::FdKind;
use onering_kit::{Harness, LibraryRules, Mode};
use polling::{Event, Events, PollMode, Poller};
use std::io;
use std::num::NonZeroUsize;
use std::os::fd::{AsRawFd, BorrowedFd};
use std::time::Duration;

// ---- the adapter --------------------------------------------------------

/// polling's `Poller` as a [`Harness`].
pub struct Polling(pub Poller);

fn poll_mode(m: Mode) -> PollMode {
    match m {
        Mode::Level => PollMode::Level,
        Mode::Edge => PollMode::Edge,
        _ => PollMode::Oneshot,
    }
}

impl Harness for Polling {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Oneshot, Mode::Level, Mode::Edge]
    }
    fn library_rules(&self) -> LibraryRules {
        // "If another thread is already in wait(), concurrent calls to this
        // method will return immediately with no new events."
        LibraryRules::POLLING
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        // SAFETY: the driver deletes every registration before its fd closes.
        unsafe {
            self.0
                .add_with_mode(fd.as_raw_fd(), Event::readable(token), poll_mode(mode))
        }
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0
            .modify_with_mode(fd, Event::readable(token), poll_mode(mode))
    }
    fn cancel(&self, fd: BorrowedFd<'_>, _token: usize) -> io::Result<()> {
        self.0.delete(fd)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        // polling's notifier and timerfd share the batch with the fds and
        // are filtered out of `iter()`: two extra slots keep `max` open.
        let mut events = Events::with_capacity(NonZeroUsize::new(max + 2).expect("max + 2 > 0"));
        self.0.wait(&mut events, t)?;
        out.extend(events.iter().map(|e| e.key));
        Ok(max)
    }
    fn wake(&self) -> io::Result<()> {
        self.0.notify()
    }
}

// ---- end of the adapter -------------------------------------------------

fn make() -> io::Result<Polling> {
    Ok(Polling(Poller::new()?))
}

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
fn polling_histories_verify_under_epoll() {
    let profiles = [profile("epoll"), profile("unified")];
    let tallies =
        drive::campaign(make, shape(), 0..seeds(), &profiles, RunLimits::default()).expect("runs");
    for t in &tallies {
        println!("polling {t}");
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

/// Not vacuous: `unified` forbids what epoll (and so polling) allows. The
/// waiting thread holds the event of a Level registration (until its next
/// wait) while the owner deletes it: `delete` answers `0` ("removed")
/// although the event is still being handled. epoll allows it (os §2.6);
/// unified requires `pending`.
#[test]
fn delete_while_the_event_is_held_is_epoll_not_unified() {
    let work = w(
        vec![FdKind::Pipe],
        vec![
            vec![
                Step::Wait {
                    max: 4,
                    timeout: WaitFor::Deadline(200),
                },
                Step::Pause { ms: 40 },
                Step::Wait {
                    max: 4,
                    timeout: WaitFor::Poll,
                },
            ],
            vec![
                Step::Register { src: 0, mode: L },
                Step::Raise { src: 0 },
                Step::Pause { ms: 20 },
                Step::Cancel { src: 0 },
            ],
        ],
        vec![1],
    );
    let (mut epoll_ok, mut unified_rejected) = (0, 0);
    for _ in 0..5 {
        let h = make().expect("poller");
        let text = drive::run(&h, &work, RunLimits::default())
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

#[test]
fn polling_property_with_shrinking() {
    let r = drive::prop_check(make, &profile("epoll"), Shape::default(), 16, 1);
    if let Err(c) = r {
        panic!("shrunk to {:?}\n{}", c.workload, c.reason);
    }
}

/// A harness that loses every third event: the check must catch it, also
/// under polling's own rule and with every thread waiting.
struct Lossy(Polling, std::sync::atomic::AtomicUsize);

impl Harness for Lossy {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Level]
    }
    fn library_rules(&self) -> LibraryRules {
        LibraryRules::POLLING
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0.register(fd, token, mode)
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0.modify(fd, token, mode)
    }
    fn cancel(&self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        self.0.cancel(fd, token)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        let mut mine = Vec::new();
        let room = self.0.wait(max, t, &mut mine)?;
        for tok in mine {
            if self.1.fetch_add(1, std::sync::atomic::Ordering::Relaxed) % 3 != 2 {
                out.push(tok);
            }
        }
        Ok(room)
    }
    fn wake(&self) -> io::Result<()> {
        self.0.wake()
    }
}

#[test]
fn a_library_that_loses_events_is_rejected() {
    let r = drive::prop_check(
        || Ok(Lossy(make()?, Default::default())),
        &profile("epoll"),
        Shape::default(),
        64,
        2,
    );
    let c = r.expect_err("a lossy library passed 64 workloads");
    println!("shrunk to {:?}\n{}", c.workload, c.reason);
    assert!(c.reason.contains("cannot be linearized"), "{}", c.reason);
}

/// A harness that reports every event twice in one batch: rejected under
/// `epoll+polling` too (the rule excuses only empty waits).
struct Duplicating(Polling);

impl Harness for Duplicating {
    fn modes(&self) -> &'static [Mode] {
        &[Mode::Oneshot]
    }
    fn library_rules(&self) -> LibraryRules {
        LibraryRules::POLLING
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0.register(fd, token, mode)
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.0.modify(fd, token, mode)
    }
    fn cancel(&self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        self.0.cancel(fd, token)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        let mut mine = Vec::new();
        let room = self.0.wait(max, t, &mut mine)?;
        for tok in mine {
            out.extend([tok, tok]);
        }
        Ok(room)
    }
    fn wake(&self) -> io::Result<()> {
        self.0.wake()
    }
}

#[test]
fn a_library_that_duplicates_events_is_rejected_under_polling_rules() {
    let r = drive::prop_check(
        || Ok(Duplicating(make()?)),
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

fn w(sources: Vec<FdKind>, threads: Vec<Vec<Step>>, owners: Vec<usize>) -> Workload {
    Workload {
        sources,
        threads,
        owners: Some(owners),
    }
}

/// Runs a script a few times; every history must verify under epoll, and
/// at least one wait must have returned an event.
fn reenact(name: &str, work: &Workload) {
    let epoll = profile("epoll");
    for _ in 0..5 {
        let h = make().expect("poller");
        let text = drive::run(&h, work, RunLimits::default())
            .expect("run")
            .to_jsonl();
        match drive::judge(&text, &epoll, 10.0) {
            drive::Judgement::Verified => {}
            other => panic!("{name}: {other:?}\n{text}"),
        }
        assert!(
            text.contains(r#""kind":"ready""#),
            "{name}: no event\n{text}"
        );
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
        &w(
            vec![FdKind::Socket],
            vec![
                vec![Step::Wait {
                    max: 4,
                    timeout: WaitFor::Deadline(200),
                }],
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
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Consume { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
        Step::Modify { src: 0, mode: O },
        Step::Raise { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
    ];
    reenact(
        "level_triggered",
        &w(vec![FdKind::Socket], vec![t0], vec![0]),
    );
}

/// tests/other_modes.rs `edge_triggered`: one event per edge.
#[test]
fn reenact_edge_triggered() {
    let t0 = vec![
        Step::Register { src: 0, mode: E },
        Step::Raise { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
        Step::Raise { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Modify { src: 0, mode: O },
        Step::Raise { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
    ];
    reenact(
        "edge_triggered",
        &w(vec![FdKind::Socket], vec![t0], vec![0]),
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
        Step::Wait {
            max: 1,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 1,
            timeout: WaitFor::Deadline(100),
        },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
        Step::Consume { src: 0 },
        Step::Rearm { src: 0 },
        Step::Rearm { src: 1 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Poll,
        },
        Step::Raise { src: 0 },
        Step::Wait {
            max: 4,
            timeout: WaitFor::Deadline(100),
        },
    ];
    reenact(
        "basic_io",
        &w(vec![FdKind::Pipe, FdKind::EventFd], vec![t0], vec![0, 0]),
    );
}

// ---- findings ---------------------------------------------------------------

/// Finding D1 (docs/findings-libraries.md): a second concurrent `wait`
/// returns at once with no events even while a Level registration is
/// ready. polling documents it; epoll (and every profile) forbids an empty
/// batch while an event is deliverable, so bare `epoll` rejects such a
/// history, and `epoll+polling` ([`LibraryRules::POLLING`]) verifies it.
/// The test pins both, so that a polling release that changes it is
/// noticed.
#[test]
fn polling_concurrent_wait_returns_empty_while_ready() {
    struct Both(Polling);
    impl Harness for Both {
        fn modes(&self) -> &'static [Mode] {
            &[Mode::Level]
        }
        fn register(&self, fd: BorrowedFd<'_>, t: usize, m: Mode) -> io::Result<()> {
            self.0.register(fd, t, m)
        }
        fn modify(&self, fd: BorrowedFd<'_>, t: usize, m: Mode) -> io::Result<()> {
            self.0.modify(fd, t, m)
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
    // T0 owns the pipe (Level) and waits, blocked inside polling's lock,
    // draining what it gets. T1 writes, then polls at once: T0 is still
    // being woken (wake-up latency is tens of microseconds) and holds the
    // lock, so T1's wait returns [] although the pipe is ready.
    let mut t0 = vec![Step::Register { src: 0, mode: 0 }];
    let mut t1 = vec![];
    for _ in 0..20 {
        t0.extend([
            Step::Wait {
                max: 4,
                timeout: WaitFor::Deadline(50),
            },
            Step::Consume { src: 0 },
        ]);
        t1.extend([
            Step::Pause { ms: 3 },
            Step::Raise { src: 0 },
            Step::Wait {
                max: 4,
                timeout: WaitFor::Poll,
            },
        ]);
    }
    let work = w(vec![FdKind::Pipe], vec![t0, t1], vec![0]);
    let epoll = profile("epoll");
    let (mut rejected, mut runs) = (0, 0);
    while runs < 10 || (rejected == 0 && runs < 30) {
        runs += 1;
        let h = Both(make().expect("poller"));
        let text = drive::run(&h, &work, RunLimits::default())
            .expect("run")
            .to_jsonl();
        // What polling promises (epoll, and its own rule D1) holds for
        // every run...
        match drive::judge_with(&text, &epoll, &LibraryRules::POLLING, 10.0) {
            drive::Judgement::Verified => {}
            other => panic!("epoll+polling: {other:?}\n{text}"),
        }
        // ...while bare epoll rejects the runs where the race showed.
        match drive::judge(&text, &epoll, 10.0) {
            drive::Judgement::Rejected(why) => {
                if rejected == 0 {
                    println!("{why}");
                }
                rejected += 1;
            }
            drive::Judgement::NoVerdict(why) => panic!("no verdict: {why}"),
            drive::Judgement::Verified => {}
        }
    }
    println!("epoll rejected {rejected} of {runs} runs; epoll+polling verified {runs} of {runs}");
    assert!(
        rejected > 0,
        "concurrent polling waits never returned empty while ready: has polling changed?"
    );
}

/// Finding polling-2: `PollMode::EdgeOneshot` (`EPOLLET | EPOLLONESHOT`)
/// has no mode of its own in the format. On epoll it behaves as `Oneshot`
/// (after one delivery the registration is disarmed whatever `EPOLLET`
/// says; `EPOLL_CTL_MOD` re-arms and re-polls), so recorded as `oneshot`
/// its histories verify under epoll. Not so on kqueue, where `EV_ONESHOT`
/// deletes the knote.
#[test]
fn edge_oneshot_records_as_oneshot_on_epoll() {
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
                self.0
                     .0
                    .add_with_mode(fd.as_raw_fd(), Event::readable(t), PollMode::EdgeOneshot)
            }
        }
        fn modify(&self, fd: BorrowedFd<'_>, t: usize, _: Mode) -> io::Result<()> {
            self.0
                 .0
                .modify_with_mode(fd, Event::readable(t), PollMode::EdgeOneshot)
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
    let tallies = drive::campaign(
        || Ok(EdgeOneshot(make()?)),
        shape(),
        0..seeds() / 2,
        &[profile("epoll")],
        RunLimits::default(),
    )
    .expect("runs");
    println!("polling EdgeOneshot as oneshot: {}", tallies[0]);
    assert_eq!(
        tallies[0].verified, tallies[0].runs,
        "{:?}",
        tallies[0].first_rejected
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

/// polling's re-arm of a oneshot registration recorded as `rearm(key)`
/// (the format's re-arm of a disarmed registration) rather than as
/// `modify(key, oneshot)`: the same histories verify, since a oneshot
/// registration that is armed is either queued or not ready, and
/// `EPOLL_CTL_MOD` then changes nothing either.
#[test]
fn oneshot_rearm_recorded_as_rearm_verifies() {
    struct Rearm(Polling);
    impl Harness for Rearm {
        fn modes(&self) -> &'static [Mode] {
            &[Mode::Oneshot]
        }
        fn concurrent_waits(&self) -> bool {
            false
        }
        fn has_rearm(&self) -> bool {
            true
        }
        fn register(&self, fd: BorrowedFd<'_>, t: usize, m: Mode) -> io::Result<()> {
            self.0.register(fd, t, m)
        }
        fn modify(&self, fd: BorrowedFd<'_>, t: usize, m: Mode) -> io::Result<()> {
            self.0.modify(fd, t, m)
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
    let tallies = drive::campaign(
        || Ok(Rearm(make()?)),
        shape(),
        0..seeds() / 2,
        &[profile("epoll")],
        RunLimits::default(),
    )
    .expect("runs");
    println!("polling oneshot, re-arm recorded as rearm: {}", tallies[0]);
    assert_eq!(
        tallies[0].verified, tallies[0].runs,
        "{:?}",
        tallies[0].first_rejected
    );
}
