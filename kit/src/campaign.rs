//! Many runs, checked: judging one history, counting verdicts over seeds
//! ([`campaign`]), and a proptest property that shrinks a rejected
//! workload ([`prop_check`]).

use crate::drive::{run, RunLimits};
use crate::harness::Harness;
use crate::library::LibraryRules;
use crate::verdict::{check_text_with, explain_with, CheckError};
use crate::workload::{workload, workload_of_seed, Shape, Workload};
use onering_model::Rules;
use proptest::test_runner::{Config, RngAlgorithm, TestCaseError, TestError, TestRng, TestRunner};
use std::io;

/// What checking one run against one profile gave.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Judgement {
    /// Linearizable under the profile.
    Verified,
    /// Not linearizable; the explanation as `onering verify` prints it.
    Rejected(String),
    /// No verdict (the message says why).
    NoVerdict(String),
}

/// Checks one history's text against `rules` with a time budget.
pub fn judge(text: &str, rules: &Rules, budget: f64) -> Judgement {
    judge_with(text, rules, &LibraryRules::NONE, budget)
}

/// [`judge`] under `rules` and a library's own rules ([`LibraryRules`]).
pub fn judge_with(text: &str, rules: &Rules, library: &LibraryRules, budget: f64) -> Judgement {
    judge_stuck(text, rules, library, budget).0
}

/// [`judge_with`], and for a rejection the operation of the stuck call
/// (`wait`, `cancel`, ...), to sort rejections by kind.
fn judge_stuck(
    text: &str,
    rules: &Rules,
    library: &LibraryRules,
    budget: f64,
) -> (Judgement, Option<String>) {
    match check_text_with(text, rules, library, budget) {
        Ok(v) if v.is_linearizable() => (Judgement::Verified, None),
        Ok(v) => {
            let stuck = v.failure().and_then(|f| {
                let calls = onering_check::history::parse_jsonl(text, rules).ok()?;
                let calls = crate::library::kernel_calls(library, &calls);
                let d = onering_check::history::describe(calls.get(f.stuck)?);
                Some(d.split('(').next().unwrap_or("").to_string())
            });
            (
                Judgement::Rejected(explain_with(text, rules, library, &v)),
                stuck,
            )
        }
        Err(e @ (CheckError::Unsupported(_) | CheckError::OutOfTime(_))) => {
            (Judgement::NoVerdict(e.to_string()), None)
        }
    }
}

/// Counts for one profile over a campaign.
#[derive(Clone, Debug, Default)]
pub struct Tally {
    /// The profile.
    pub profile: String,
    /// Histories checked.
    pub runs: usize,
    /// Linearizable.
    pub verified: usize,
    /// Not linearizable.
    pub rejected: usize,
    /// No verdict.
    pub no_verdict: usize,
    /// Calls in all histories.
    pub calls: usize,
    /// The first rejected run: seed, history text, explanation.
    pub first_rejected: Option<(u64, String, String)>,
    /// The first run without verdict: seed and message.
    pub first_no_verdict: Option<(u64, String)>,
    /// Rejections by the operation of the stuck call: how many, and the
    /// first one's seed and explanation.
    pub rejected_at: std::collections::BTreeMap<String, (usize, u64, String)>,
}

impl std::fmt::Display for Tally {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{:<12} {:>5} histories ({:>6} calls): {:>5} verified, {:>5} rejected, {:>3} no verdict",
            self.profile, self.runs, self.calls, self.verified, self.rejected, self.no_verdict
        )?;
        if !self.rejected_at.is_empty() {
            let at: Vec<String> = self
                .rejected_at
                .iter()
                .map(|(op, (n, _, _))| format!("{n} at {op}"))
                .collect();
            write!(f, " ({})", at.join(", "))?;
        }
        Ok(())
    }
}

/// Runs seeds `seeds` (a fresh harness from `make` for each) and checks
/// every history against every profile in `profiles`, with the harness's
/// [`Harness::library_rules`].
pub fn campaign<H: Harness>(
    make: impl Fn() -> io::Result<H>,
    shape: Shape,
    seeds: std::ops::Range<u64>,
    profiles: &[Rules],
    limits: RunLimits,
) -> io::Result<Vec<Tally>> {
    let library = make()?.library_rules();
    let mut tallies: Vec<Tally> = profiles
        .iter()
        .map(|r| Tally {
            profile: library.label(r.name),
            ..Tally::default()
        })
        .collect();
    for seed in seeds {
        let w = workload_of_seed(shape, seed);
        let h = make()?;
        let text = run(&h, &w, limits)?.to_jsonl();
        for (t, rules) in tallies.iter_mut().zip(profiles) {
            t.runs += 1;
            t.calls += text.lines().count();
            let (j, stuck) = judge_stuck(&text, rules, &library, 10.0);
            match j {
                Judgement::Verified => t.verified += 1,
                Judgement::Rejected(why) => {
                    t.rejected += 1;
                    t.rejected_at
                        .entry(stuck.unwrap_or_default())
                        .or_insert((0, seed, why.clone()))
                        .0 += 1;
                    t.first_rejected.get_or_insert((seed, text.clone(), why));
                }
                Judgement::NoVerdict(why) => {
                    t.no_verdict += 1;
                    t.first_no_verdict.get_or_insert((seed, why));
                }
            }
        }
    }
    Ok(tallies)
}

/// A rejected workload after shrinking.
#[derive(Clone, Debug)]
pub struct Counterexample {
    /// The smallest workload proptest found still rejected.
    pub workload: Workload,
    /// Why (the checker's explanation, and the history).
    pub reason: String,
}

/// Property test: every generated workload's history is linearizable under
/// `rules`. On a rejection proptest shrinks the workload (runs are
/// concurrent, so a shrunk workload may pass by luck: each candidate is
/// tried `tries` times before it counts as passing).
pub fn prop_check<H: Harness>(
    make: impl Fn() -> io::Result<H>,
    rules: &Rules,
    shape: Shape,
    cases: u32,
    tries: u32,
) -> Result<(), Counterexample> {
    let config = Config {
        cases,
        failure_persistence: None,
        max_shrink_iters: 256,
        ..Config::default()
    };
    let mut runner =
        TestRunner::new_with_rng(config, TestRng::deterministic_rng(RngAlgorithm::ChaCha));
    let result = runner.run(&workload(shape), |w| {
        for _ in 0..tries.max(1) {
            let h = make().map_err(|e| TestCaseError::fail(format!("harness: {e}")))?;
            let text = run(&h, &w, RunLimits::default())
                .map_err(|e| TestCaseError::fail(format!("run: {e}")))?
                .to_jsonl();
            if let Judgement::Rejected(why) = judge_with(&text, rules, &h.library_rules(), 10.0) {
                return Err(TestCaseError::fail(format!("{why}\nhistory:\n{text}")));
            }
        }
        Ok(())
    });
    match result {
        Ok(()) => Ok(()),
        Err(TestError::Fail(reason, workload)) => Err(Counterexample {
            workload,
            reason: reason.to_string(),
        }),
        Err(TestError::Abort(reason)) => Err(Counterexample {
            workload: Workload {
                sources: vec![],
                threads: vec![],
                owners: None,
            },
            reason: reason.to_string(),
        }),
    }
}
