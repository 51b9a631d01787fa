//! `check(history, profile)`: the checker's typed verdict for a recorded
//! history. A thin wrapper over `onering_check::history` that checks the
//! exact text the recorder emits, so what is checked is what a file holds.

use crate::history::History;
use crate::library::LibraryRules;
use onering_check::history::{
    no_verdict_text, parse_history, render_failure, verify_with, Call, NoVerdict, Options,
};
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

/// [`check`] under `profile` and a library's own rules
/// ([`LibraryRules`]): is `history` what the library promises?
pub fn check_with(
    history: &History,
    profile: &Rules,
    library: &LibraryRules,
) -> Result<Verdict, CheckError> {
    check_text_with(&history.to_jsonl(), profile, library, DEFAULT_BUDGET)
}

/// [`check`] of JSON Lines text, with a time budget in seconds.
pub fn check_text(text: &str, profile: &Rules, budget: f64) -> Result<Verdict, CheckError> {
    check_text_with(text, profile, &LibraryRules::NONE, budget)
}

/// The calls `profile` judges: the history's, less those `library`
/// answered itself. A construct the model does not check is an error.
fn judged_calls(
    text: &str,
    profile: &Rules,
    library: &LibraryRules,
) -> Result<Vec<Call>, CheckError> {
    let parsed = parse_history(text, profile).map_err(CheckError::Unsupported)?;
    if let Some(nm) = parsed.not_modelled {
        return Err(CheckError::Unsupported(VerifyError {
            line: nm.line,
            field: None,
            message: no_verdict_text(&parsed.calls, &NoVerdict::NotModelled(nm)),
        }));
    }
    Ok(crate::library::kernel_calls(library, &parsed.calls))
}

/// [`check_with`] of JSON Lines text, with a time budget in seconds. The
/// verdict's call indices point into the calls `profile` judged (see
/// [`explain_with`]).
pub fn check_text_with(
    text: &str,
    profile: &Rules,
    library: &LibraryRules,
    budget: f64,
) -> Result<Verdict, CheckError> {
    let options = Options {
        max_seconds: Some(budget),
        max_memory: None,
    };
    let calls = judged_calls(text, profile, library)?;
    let report =
        verify_with(&calls, profile, &options, |_, _, _| {}).map_err(CheckError::Unsupported)?;
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
    explain_with(text, profile, &LibraryRules::NONE, verdict)
}

/// [`explain`] of a verdict of [`check_text_with`] under `library`.
pub fn explain_with(
    text: &str,
    profile: &Rules,
    library: &LibraryRules,
    verdict: &Verdict,
) -> String {
    match (verdict.failure(), judged_calls(text, profile, library)) {
        (Some(f), Ok(calls)) => format!(
            "{}\n{}",
            onering_check::history::rule_broken(&calls, f),
            render_failure(&calls, f)
        ),
        _ => String::new(),
    }
}
