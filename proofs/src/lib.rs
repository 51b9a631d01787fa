//! # onering-proofs
//!
//! Proofs of the reference Port (`onering`): random concurrent workloads
//! ([`workload`]) whose recorded histories are checked by `onering-check`,
//! and the loom and shuttle harnesses (`tests/loom_*`, `tests/shuttle_*`).
//! The semantics are stated once, in `onering_model`'s documentation.
#![forbid(unsafe_code)]

pub mod workload;

use onering_check::history::{verify_jsonl, Report};
use onering_model::Rules;

/// Checks a history recorded by the reference `Port`.
///
/// # Panics
///
/// If the checker cannot read what the Port recorded: that is a bug in one
/// of the two, and a proof must stop on it.
pub fn verify_records(records: &[onering::history::Record], rules: &Rules) -> Report {
    let text = onering::history::to_jsonl(records);
    verify_jsonl(&text, rules)
        .unwrap_or_else(|e| panic!("the Port recorded a history the checker cannot read: {e}"))
}
