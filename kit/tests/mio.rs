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
//! The adapter is `kit/tests/adapter/mio.rs`; its campaigns and its
//! findings (D2, D3, D5, L2) are measured and tabled by
//! `kit/tests/adapters.rs`.

#[path = "adapter/mio.rs"]
mod adapter;

use adapter::Mio;
use onering_kit::drive::{self, Shape, Step, Workload};
use onering_kit::fd::FdKind;

fn profile(name: &str) -> onering_model::Rules {
    onering_model::profile(name).expect("known profile")
}

#[test]
fn mio_property_with_shrinking() {
    if let Err(c) = drive::prop_check(Mio::new, &profile("epoll"), Shape::default(), 16, 1) {
        panic!("shrunk to {:?}\n{}", c.workload, c.reason);
    }
}

// ---- mio's own tests, re-enacted as histories -----------------------------

fn reenact(name: &str, work: &Workload, expect_event: bool) {
    let r = onering_kit::suite::reenact(Mio::new, work, &profile("epoll"), 5, Some(expect_event));
    if let Err(e) = r {
        panic!("{name}: {e}");
    }
}

const WAIT: Step = Step::wait_ms(8, 100);
const POLL: Step = Step::poll(8);

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
        &Workload::scripted(vec![FdKind::Pipe], vec![t0], vec![0]),
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
        &Workload::scripted(vec![FdKind::Socket], vec![t0], vec![0]),
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
        &Workload::scripted(vec![FdKind::Socket], vec![t0], vec![0]),
        true,
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
    onering_kit::corpus::run_corpus(Mio::new, rules, 3).expect("runs")
}
