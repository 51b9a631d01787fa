//! A library's validation suite in a few calls, the pieces every adapter
//! test repeats: the campaign's size from the environment
//! ([`shape_from_env`], [`seeds_from_env`]), a fixed script re-enacted
//! several times ([`reenact`]), a race that tells two profiles apart
//! ([`tell_apart`]), and the results of several libraries as one table
//! ([`Results`], [`table`]).

use crate::campaign::{judge_with, Judgement, Tally};
use crate::drive::{run, RunLimits};
use crate::harness::Harness;
use crate::library::LibraryRules;
use crate::workload::{Shape, Workload};
use onering_model::Rules;
use std::fmt::Write;
use std::io;

fn env<T: std::str::FromStr>(name: &str) -> Option<T> {
    std::env::var(name).ok().and_then(|s| s.parse().ok())
}

/// The default [`Shape`] with `ONERING_KIT_STEPS` (most steps per thread,
/// default 12), `ONERING_KIT_THREADS` (default 3) and
/// `ONERING_KIT_MAX_BATCH` (events per wait, default 4) applied.
pub fn shape_from_env() -> Shape {
    Shape {
        steps: env("ONERING_KIT_STEPS").unwrap_or(12),
        threads: env("ONERING_KIT_THREADS").unwrap_or(3),
        max_batch: env("ONERING_KIT_MAX_BATCH").unwrap_or(4),
        ..Shape::default()
    }
}

/// `ONERING_KIT_SEEDS`, or `default`.
pub fn seeds_from_env(default: u64) -> u64 {
    env("ONERING_KIT_SEEDS").unwrap_or(default)
}

/// Runs the fixed script `work` `runs` times on fresh harnesses from
/// `make`; every history must verify under `rules` (with the harness's
/// library rules), and, if `expect_event` says, must (or must not) contain
/// a delivered event. The error names the run and holds its history.
pub fn reenact<H: Harness>(
    make: impl Fn() -> io::Result<H>,
    work: &Workload,
    rules: &Rules,
    runs: usize,
    expect_event: Option<bool>,
) -> Result<(), String> {
    for n in 0..runs {
        let h = make().map_err(|e| format!("harness: {e}"))?;
        let text = run(&h, work, RunLimits::default())
            .map_err(|e| format!("run: {e}"))?
            .to_jsonl();
        match judge_with(&text, rules, &h.library_rules(), 10.0) {
            Judgement::Verified => {}
            other => return Err(format!("run {n}: {other:?}\n{text}")),
        }
        let event = text.contains(r#""kind":"ready""#);
        if expect_event.is_some_and(|e| e != event) {
            return Err(format!("run {n}: expected event {expect_event:?}\n{text}"));
        }
    }
    Ok(())
}

/// What [`tell_apart`] measured.
#[derive(Clone, Debug, Default)]
pub struct Apart {
    /// Runs.
    pub runs: usize,
    /// Runs verified under the profile that allows the race.
    pub allowed_verified: usize,
    /// Runs rejected under the one that forbids it.
    pub forbidden_rejected: usize,
    /// The first rejection's explanation.
    pub first_rejection: Option<String>,
}

impl std::fmt::Display for Apart {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} of {} runs verified where allowed, {} of {} rejected where forbidden",
            self.allowed_verified, self.runs, self.forbidden_rejected, self.runs
        )
    }
}

/// Runs `work` at least `runs` times (and up to `most` until one is
/// rejected: timing decides how often a race shows), judging each history
/// under `allowed` and under `forbidden` (each a profile with library
/// rules).
pub fn tell_apart<H: Harness>(
    make: impl Fn() -> io::Result<H>,
    work: &Workload,
    allowed: (&Rules, &LibraryRules),
    forbidden: (&Rules, &LibraryRules),
    runs: usize,
    most: usize,
) -> io::Result<Apart> {
    let mut a = Apart::default();
    while a.runs < runs || (a.forbidden_rejected == 0 && a.runs < most) {
        a.runs += 1;
        let text = run(&make()?, work, RunLimits::default())?.to_jsonl();
        if judge_with(&text, allowed.0, allowed.1, 10.0) == Judgement::Verified {
            a.allowed_verified += 1;
        }
        if let Judgement::Rejected(why) = judge_with(&text, forbidden.0, forbidden.1, 10.0) {
            a.forbidden_rejected += 1;
            a.first_rejection.get_or_insert(why);
        }
    }
    Ok(a)
}

/// One library's results: its campaigns and what its findings measured.
#[derive(Clone, Debug, Default)]
pub struct Results {
    /// The library (and its version).
    pub library: String,
    /// Lines of its adapter (the `Harness` impl and what it needs).
    pub adapter_lines: usize,
    /// One tally per campaign and profile, each with the harness variant
    /// it ran (`every thread waits`, `thread 0 waits`, ...).
    pub tallies: Vec<(String, Tally)>,
    /// (finding id, what it is, what this run measured).
    pub findings: Vec<(String, String, String)>,
}

/// The results of several libraries as one Markdown table (a row per
/// library and profile), followed by one of their findings.
pub fn table(results: &[Results]) -> String {
    let mut out = String::from(
        "| library | adapter lines | harness | profile | histories | calls | verified | rejected | no verdict |\n\
         |---|---:|---|---|---:|---:|---:|---:|---:|\n",
    );
    for r in results {
        for (variant, t) in &r.tallies {
            let at: Vec<String> = t
                .rejected_at
                .iter()
                .map(|(op, (n, _, _))| format!("{n} at {op}"))
                .collect();
            let rejected = if at.is_empty() {
                t.rejected.to_string()
            } else {
                format!("{} ({})", t.rejected, at.join(", "))
            };
            let _ = writeln!(
                out,
                "| {} | {} | {variant} | `{}` | {} | {} | {} | {rejected} | {} |",
                r.library, r.adapter_lines, t.profile, t.runs, t.calls, t.verified, t.no_verdict
            );
        }
    }
    out.push_str("\n| library | finding | what | measured in this run |\n|---|---|---|---|\n");
    for r in results {
        for (id, what, measured) in &r.findings {
            let _ = writeln!(out, "| {} | {id} | {what} | {measured} |", r.library);
        }
    }
    out
}
