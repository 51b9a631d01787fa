//! `check(history, profile)`: the checker's typed verdict for a recorded
//! history. A thin wrapper over `onering_check::history` that checks the
//! exact text the recorder emits, so what is checked is what a file holds.

use crate::history::History;
use onering_check::history::{no_verdict_text, render_failure, verify_text, NoVerdict, Options};
pub use onering_check::history::{Failure, Report as Verdict, VerifyError};
use onering_model::Rules;
use std::fmt;

/// Why no verdict was reached.
#[derive(Clone, Debug)]
pub enum CheckError {
    /// The history is malformed, or uses something the checker's model
    /// cannot represent or does not model (the message names the line and
    /// the limit).
    Unsupported(VerifyError),
    /// The time (or memory) budget ran out.
    OutOfTime(VerifyError),
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CheckError::Unsupported(e) => write!(f, "cannot check: {e}"),
            CheckError::OutOfTime(e) => write!(f, "no verdict: {e}"),
        }
    }
}

impl std::error::Error for CheckError {}

/// Default time budget of [`check`], in seconds.
pub const DEFAULT_BUDGET: f64 = 20.0;

/// Is `history` allowed by `profile`? Same as `onering verify --profile`.
pub fn check(history: &History, profile: &Rules) -> Result<Verdict, CheckError> {
    check_text(&history.to_jsonl(), profile, DEFAULT_BUDGET)
}

/// [`check`] of JSON Lines text, with a time budget in seconds.
pub fn check_text(text: &str, profile: &Rules, budget: f64) -> Result<Verdict, CheckError> {
    let options = Options {
        max_seconds: Some(budget),
        max_memory: None,
    };
    let (calls, report) =
        verify_text(text, profile, &options, |_, _, _| {}).map_err(CheckError::Unsupported)?;
    match report.no_verdict() {
        None => Ok(report),
        Some(n) => {
            let e = VerifyError {
                line: match n {
                    NoVerdict::Unrepresentable { call, .. } => {
                        calls.get(*call).map_or(0, |c| c.line)
                    }
                    NoVerdict::NotModelled(nm) => nm.line,
                    _ => 0,
                },
                field: None,
                message: no_verdict_text(&calls, n),
            };
            Err(match n {
                NoVerdict::Time { .. } | NoVerdict::Memory { .. } => CheckError::OutOfTime(e),
                _ => CheckError::Unsupported(e),
            })
        }
    }
}

/// The failure as the CLI prints it (a timeline of the failing window and
/// the longest partial linearization); empty for a linearizable verdict.
pub fn explain(text: &str, profile: &Rules, verdict: &Verdict) -> String {
    match (
        verdict.failure(),
        onering_check::history::parse_history(text, profile),
    ) {
        (Some(f), Ok(p)) => format!(
            "{}\n{}",
            onering_check::history::rule_broken(&p.calls, f),
            render_failure(&p.calls, f)
        ),
        _ => String::new(),
    }
}
