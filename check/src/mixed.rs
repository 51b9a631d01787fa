//! Reports on mixed ports ([`onering_model::mix`]): which profile explores
//! which mix of [`MIXES`] and at what size, and the property × profile
//! matrix judged on the mixes alone, so a violation that only a mix shows
//! stands out. Used by the generated docs (`docs/semantics.md`, the book's
//! matrix page); deterministic (no timings).

use crate::check::{judge_runs, render_matrix, ProfileReport};
use onering_model::{Scenario, MIXES};
use std::fmt::Write;

/// `k0 = level/dispatch, k1 = operation/single` for a mixed scenario (what
/// each key of a trace is); `None` for a uniform one.
pub fn key_legend(sc: &Scenario) -> Option<String> {
    if !sc.is_mixed() {
        return None;
    }
    let keys: Vec<String> = sc
        .keys()
        .iter()
        .enumerate()
        .map(|(k, spec)| match spec.shares {
            Some(j) => format!(
                "k{k} = {}/{} on k{j}'s source",
                spec.source.name(),
                spec.mode.name()
            ),
            None => format!("k{k} = {}/{}", spec.source.name(), spec.mode.name()),
        })
        .collect();
    Some(keys.join(", "))
}

/// The report with only its mixed scenarios' runs, judged afresh (`None`
/// if the profile explored no mix).
pub fn mixed_only(r: &ProfileReport) -> Option<ProfileReport> {
    let runs: Vec<_> = r
        .runs
        .iter()
        .filter(|x| x.scenario.is_mixed())
        .cloned()
        .collect();
    if runs.is_empty() {
        return None;
    }
    Some(judge_runs(r.rules, runs))
}

/// The "Mixed ports" section (Markdown, level-2 heading) for the real
/// profiles' reports.
pub fn section(real: &[&ProfileReport]) -> String {
    let mut out = String::from("## Mixed ports\n\n");
    out.push_str(
        "A mixed scenario puts keys of different kinds and modes in one port (`+` between keys; `@j`: a second registration of key j's source, e.g. a dup'ed fd). Each profile explores the mixes whose every key it can register (the uniform scenario of that kind and mode is one of its own); a mix fixes its number of keys, and a mix of three or more keys is explored at no more than 2 operations per thread (`MIX3_OPS` in `model/src/mix.rs`, which says why). Run one with `onering check --profile unified --scenario level/dispatch+operation/single`.\n\n",
    );
    out.push_str("| mix |");
    for r in real {
        let _ = write!(out, " {} |", r.rules.name);
    }
    out.push_str("\n|---|");
    for _ in real {
        out.push_str("---:|");
    }
    out.push('\n');
    for mix in MIXES {
        let _ = write!(out, "| `{mix}` |");
        for r in real {
            let cell = match r.runs.iter().find(|x| x.scenario == mix) {
                Some(x) => format!("{} states", x.exploration.states),
                None => "—".to_string(),
            };
            let _ = write!(out, " {cell} |");
        }
        out.push('\n');
    }
    out.push_str("\n— : not explored, because the profile cannot register one of the keys (the key, and why):\n\n");
    for r in real.iter().filter(|r| !r.skipped.is_empty()) {
        let why: Vec<String> = r
            .skipped
            .iter()
            .map(|(sc, why)| {
                let key = why.key.map_or(String::new(), |k| format!("k{k}, "));
                let spec = format!("{}/{}", why.spec.source.name(), why.spec.mode.name());
                match why.refusal {
                    Some(refusal) => format!("`{sc}` ({key}{refusal})"),
                    None => format!("`{sc}` ({key}no {spec} registration)"),
                }
            })
            .collect();
        let _ = writeln!(out, "- `{}`: {}", r.rules.name, why.join("; "));
    }
    let mixed: Vec<ProfileReport> = real.iter().filter_map(|r| mixed_only(r)).collect();
    out.push_str(
        "\nThe property × profile matrix judged on the mixes alone (each profile's column: the mixes it explores):\n\n```\n",
    );
    out.push_str(&render_matrix(&mixed));
    out.push_str("```\n\n");
    out
}
