//! The verdict of a whole `onering check` run: which promises broke, which
//! spec mutants went uncaught, whether a budget stopped it, the exit status
//! that follows, and the report as text or JSON. The command line only
//! parses its arguments and prints what this module renders.

use crate::check::{self, ProfileReport};
use crate::explore::Options;
use onering_model::{Bound, Property};
use serde_json::{json, Value};
use std::fmt::Write;

/// What a run of `onering check` found, over every profile it explored.
#[derive(Debug)]
pub struct Summary {
    /// Reports of the real profiles (and `unified`).
    pub real: Vec<ProfileReport>,
    /// Reports of the spec mutants.
    pub mutants: Vec<ProfileReport>,
    /// `profile: property` for every promise a real profile broke.
    pub broken: Vec<String>,
    /// Spec mutants whose property was not violated in a finished run.
    pub uncaught: Vec<&'static str>,
    /// Whether some exploration was stopped by a budget.
    pub stopped: bool,
    failed: bool,
    all: bool,
    only: Option<Property>,
}

impl Summary {
    /// Judges `reports`. `all`: the run was `--all` (every profile and every
    /// spec mutant); `only`: the property named by `--property`.
    pub fn new(reports: Vec<ProfileReport>, all: bool, only: Option<Property>) -> Summary {
        let (real, mutants): (Vec<ProfileReport>, Vec<ProfileReport>) =
            reports.into_iter().partition(|r| !r.rules.is_spec_mutant());
        let broken = real
            .iter()
            .flat_map(|r| {
                r.broken_promises()
                    .into_iter()
                    .map(move |p| format!("{}: {}", r.rules.name, p.id()))
            })
            .collect::<Vec<_>>();
        let uncaught = mutants
            .iter()
            .filter(|m| {
                m.rules
                    .breaks
                    .is_some_and(|p| m.property(p).violation.is_none())
                    && m.complete()
            })
            .map(|m| m.rules.name)
            .collect::<Vec<_>>();
        let failed = if let Some(p) = only {
            real.iter()
                .chain(mutants.iter())
                .any(|r| r.property(p).violation.is_some())
        } else if !all && !mutants.is_empty() {
            // A single spec mutant checked on its own fails like a profile.
            mutants.iter().any(|m| !m.broken_promises().is_empty())
        } else {
            !broken.is_empty() || !uncaught.is_empty()
        };
        let stopped = !real.iter().chain(mutants.iter()).all(|r| r.complete());
        Summary {
            real,
            mutants,
            broken,
            uncaught,
            stopped,
            failed,
            all,
            only,
        }
    }

    /// The exit status: 1 a violation (definite even in a stopped run), 3 a
    /// budget stopped the run before every verdict was decided, 0 otherwise.
    pub fn exit_code(&self) -> u8 {
        if self.failed {
            1
        } else if self.stopped {
            3
        } else {
            0
        }
    }

    fn reports(&self) -> impl Iterator<Item = &ProfileReport> {
        self.real.iter().chain(self.mutants.iter())
    }

    /// The `--json` report.
    pub fn to_json(&self, bound: Bound, opts: &Options) -> Value {
        let all: Vec<ProfileReport> = self.reports().cloned().collect();
        let mut v = check::to_json(&all, bound, opts, self.only);
        v["broken_promises"] = json!(self.broken);
        v["uncaught_mutants"] = json!(self.uncaught);
        v["exit"] = json!(self.exit_code());
        v
    }

    /// The text report: per profile, then (for `--all`) the matrix and the
    /// spec-mutant table, then what a budget left unfinished.
    pub fn render(&self, bound: Bound, opts: &Options) -> String {
        let mut out = String::new();
        if self.all {
            let _ = writeln!(out, "onering check --all, bound {bound}\n");
            for r in &self.real {
                out.push_str(&check::render_profile(r, bound, opts, self.only, true));
            }
            out.push('\n');
            out.push_str(&check::render_matrix(&self.real));
            out.push_str("\nspec mutants (unified with one rule broken):\n");
            for m in &self.mutants {
                let Some(p) = m.rules.breaks else { continue };
                let caught = m.property(p).violation.as_ref();
                let _ = writeln!(
                    out,
                    "  {:<28} {:<62} {} by {} ({} steps)",
                    m.rules.name,
                    m.rules.summary,
                    if caught.is_some() {
                        "caught"
                    } else if !m.complete() {
                        "not finished"
                    } else {
                        "NOT CAUGHT"
                    },
                    p.id(),
                    caught.map_or(0, |(_, t)| t.steps.len())
                );
            }
            let total: u64 = self.reports().map(|r| r.states()).sum();
            let _ = writeln!(out, "\n{total} states in all");
            if !self.broken.is_empty() {
                let _ = writeln!(out, "broken promises: {}", self.broken.join("; "));
            }
            if !self.uncaught.is_empty() {
                let _ = writeln!(out, "mutants not caught: {}", self.uncaught.join(", "));
            }
        } else {
            let _ = writeln!(out, "onering check, bound {bound}\n");
            for r in self.reports() {
                out.push_str(&check::render_profile(r, bound, opts, self.only, true));
            }
        }
        if self.stopped {
            let why = opts.budget.stopped().map_or("--max-states", |s| s.option());
            let _ = writeln!(
                out,
                "\nstopped by {why} after {:.1}s: verdicts other than `violated` are unknown (exit 3)",
                opts.budget.elapsed()
            );
        }
        out
    }
}
