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
        Ok(v) if v.linearizable => HistoryVerdict::Linearizable {
            explored: v.explored,
        },
        Ok(v) => HistoryVerdict::Rejected(
            v.failure
                .as_ref()
                .map(|f| history::render_failure(&calls, f))
                .unwrap_or_default(),
        ),
        Err(e) => HistoryVerdict::Unsupported(e.to_string()),
    }
}
