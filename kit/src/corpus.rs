//! Fixed workloads that name the races an event library must get right,
//! runnable on any [`Harness`]: the kit's corpus. Each uses the library's
//! first mode (`Harness::modes()[0]`) and one thread owning the sources;
//! pauses order the threads the way the scenario means, but the verdict
//! does not depend on them (the checker considers every order the stamps
//! allow).

use crate::drive::{judge_with, run, Judgement, RunLimits, Step, Workload};
use crate::fd::FdKind;
use crate::harness::Harness;
use onering_model::Rules;
use std::io;

const fn wait(max: u8, ms: u8) -> Step {
    Step::wait_ms(max, ms)
}

const POLL: Step = Step::poll(4);

/// The corpus: (name, what it exercises, workload).
pub fn corpus() -> Vec<(&'static str, &'static str, Workload)> {
    use Step::*;
    let reg = Register { src: 0, mode: 0 };
    vec![
        (
            "register-while-waiting",
            "a registration made while another thread is blocked in wait wakes it",
            Workload::scripted(
                vec![FdKind::Socket],
                vec![
                    vec![wait(4, 200)],
                    vec![Pause { ms: 20 }, reg, Raise { src: 0 }],
                ],
                vec![1],
            ),
        ),
        (
            "cancel-while-held",
            "a cancel while another thread still handles the event (teardown)",
            Workload::scripted(
                vec![FdKind::Pipe],
                vec![
                    vec![wait(4, 200), Pause { ms: 40 }, POLL],
                    vec![reg, Raise { src: 0 }, Pause { ms: 20 }, Cancel { src: 0 }],
                ],
                vec![1],
            ),
        ),
        (
            "raise-while-held",
            "a new wake-up while the previous event is still being handled",
            Workload::scripted(
                vec![FdKind::Pipe],
                vec![
                    vec![reg, Raise { src: 0 }, wait(4, 100), Pause { ms: 60 }, POLL],
                    vec![Pause { ms: 20 }, Raise { src: 0 }, wait(4, 100)],
                ],
                vec![0],
            ),
        ),
        (
            "rearm-rechecks",
            "re-arming a registration whose fd is still ready reports it again",
            Workload::scripted(
                vec![FdKind::Socket],
                vec![vec![
                    reg,
                    Raise { src: 0 },
                    wait(4, 100),
                    Rearm { src: 0 },
                    POLL,
                ]],
                vec![0],
            ),
        ),
        (
            "drain-then-wait",
            "an fd drained before the wait is not reported (or, edge/oneshot, reported once)",
            Workload::scripted(
                vec![FdKind::Pipe, FdKind::EventFd],
                vec![vec![
                    reg,
                    Register { src: 1, mode: 0 },
                    Raise { src: 0 },
                    Raise { src: 1 },
                    Consume { src: 0 },
                    Consume { src: 1 },
                    POLL,
                    POLL,
                ]],
                vec![0, 0],
            ),
        ),
        (
            "small-batches",
            "three ready fds through batches of one: none lost, none invented",
            Workload::scripted(
                vec![FdKind::Pipe, FdKind::Socket, FdKind::EventFd],
                vec![vec![
                    reg,
                    Register { src: 1, mode: 0 },
                    Register { src: 2, mode: 0 },
                    Raise { src: 0 },
                    Raise { src: 1 },
                    Raise { src: 2 },
                    wait(1, 50),
                    wait(1, 50),
                    wait(1, 50),
                    POLL,
                ]],
                vec![0, 0, 0],
            ),
        ),
        (
            "hang-up",
            "a hung-up pipe is ready for good",
            Workload::scripted(
                vec![FdKind::HangUp],
                vec![vec![
                    reg,
                    Raise { src: 0 },
                    wait(4, 100),
                    Consume { src: 0 },
                    Rearm { src: 0 },
                    POLL,
                ]],
                vec![0],
            ),
        ),
        (
            "deregister-then-write",
            "no event after a successful cancel, even for data written before",
            Workload::scripted(
                vec![FdKind::Socket],
                vec![vec![
                    reg,
                    Raise { src: 0 },
                    Cancel { src: 0 },
                    Raise { src: 0 },
                    wait(4, 20),
                ]],
                vec![0],
            ),
        ),
    ]
}

/// The corpus's workload called `name`.
pub fn named(name: &str) -> Option<Workload> {
    corpus()
        .into_iter()
        .find(|(n, _, _)| *n == name)
        .map(|(_, _, w)| w)
}

/// Runs every corpus workload `runs` times on fresh harnesses from `make`
/// and judges each history under `rules` (and the harness's
/// [`Harness::library_rules`]): (name, judgement of the first
/// run not verified, or of the last).
pub fn run_corpus<H: Harness>(
    make: impl Fn() -> io::Result<H>,
    rules: &Rules,
    runs: usize,
) -> io::Result<Vec<(&'static str, Judgement)>> {
    let mut out = Vec::new();
    for (name, _, w) in corpus() {
        let mut j = Judgement::Verified;
        for _ in 0..runs.max(1) {
            let h = make()?;
            let text = run(&h, &w, RunLimits::default())?.to_jsonl();
            j = judge_with(&text, rules, &h.library_rules(), 10.0);
            if j != Judgement::Verified {
                break;
            }
        }
        out.push((name, j));
    }
    Ok(out)
}
