//! The one place that names the history checker's crate, `onering-check`
//! (`check/src/history/`).

use onering_check::history;
use onering_model::Rules;

/// What the history checker said about a recorded history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum HistoryVerdict {
    /// Linearizable under the profile.
    Linearizable {
        /// Model configurations explored.
        explored: u64,
    },
    /// Not linearizable: the failing window as a per-thread timeline.
    Rejected(String),
    /// The checker cannot represent the history (an onering limit, not a
    /// verdict), or the history is malformed.
    Unsupported(String),
}

/// Checks a JSON Lines (version 1) history against `rules`.
pub fn check(jsonl: &str, rules: &Rules) -> HistoryVerdict {
    let calls = match history::parse_jsonl(jsonl, rules) {
        Ok(c) => c,
        Err(e) => return HistoryVerdict::Unsupported(e.to_string()),
    };
    match history::verify(&calls, rules) {
        Ok(v) => match &v.verdict {
            history::Verdict::Linearizable => HistoryVerdict::Linearizable {
                explored: v.explored,
            },
            history::Verdict::NotLinearizable(f) => HistoryVerdict::Rejected(format!(
                "{}\n{}",
                history::rule_broken(&calls, f),
                history::render_failure(&calls, f)
            )),
            history::Verdict::NoVerdict(n) => {
                HistoryVerdict::Unsupported(history::no_verdict_text(&calls, n))
            }
        },
        Err(e) => HistoryVerdict::Unsupported(e.to_string()),
    }
}
