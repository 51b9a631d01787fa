//! Counterexamples as per-thread timelines: a column per thread and one for
//! the environment (and kernel), a row per step, the violated properties
//! marked on the step (or final state) that violates them.

use crate::explore::Trace;
use onering_model::{Action, EventKind, Outcome, Property, Rules};

/// What a step did, in the profile's words (`wait(max=1, poll) -> [k0:ready]`,
/// `cancel(k0, sync) -> 0`).
pub fn describe(rules: &Rules, step: &crate::explore::TraceStep) -> String {
    let mut s = step.action.to_string();
    let shown = &step.shown;
    match step.action {
        Action::Wait { .. } | Action::Harvest { .. } | Action::Timeout { .. } if shown.returned => {
            let events: Vec<String> = shown
                .batch()
                .map(|e| match e.kind() {
                    EventKind::Final(o @ Outcome::Cancelled) => {
                        format!("k{}:final({})", e.key(), rules.outcome_name(o))
                    }
                    _ => e.to_string(),
                })
                .collect();
            s.push_str(&format!(" -> [{}]", events.join(", ")));
        }
        Action::Wait { block: true, .. } => s.push_str(" (parks)"),
        Action::Harvest { .. } => s.push_str(" nothing; parks again"),
        _ => {}
    }
    if let Some(a) = shown.answer {
        let name = rules.answer_name(a);
        if name == a.name() {
            s.push_str(&format!(" -> {name}"));
        } else {
            s.push_str(&format!(" -> {name} ({})", a.name()));
        }
    }
    if shown.woke != 0 {
        let ts: Vec<String> = (0..8)
            .filter(|t| shown.woke & (1 << t) != 0)
            .map(|t| format!("T{t}"))
            .collect();
        s.push_str(&format!(", wakes {}", ts.join(",")));
    }
    if shown.released != 0 {
        let ks: Vec<String> = (0..8)
            .filter(|k| shown.released & (1 << k) != 0)
            .map(|k| format!("k{k}"))
            .collect();
        s.push_str(&format!(", releases {}", ks.join(",")));
    }
    s
}

/// Renders `trace` for `threads` threads, marking `focus` (or every violated
/// property when `None`).
pub fn render(rules: &Rules, trace: &Trace, threads: u8, focus: Option<Property>) -> String {
    let cols = threads as usize + 1;
    let mut rows: Vec<(usize, Vec<String>, String)> = Vec::new();
    for (i, st) in trace.steps.iter().enumerate() {
        let mut cells = vec![String::new(); cols];
        let col = st.action.thread().map_or(threads as usize, |t| t as usize);
        cells[col] = describe(rules, st);
        let marks: Vec<&str> = st
            .obs
            .violations()
            .filter(|p| focus.is_none_or(|f| f == *p))
            .map(|p| p.id())
            .collect();
        let mark = if marks.is_empty() {
            String::new()
        } else {
            format!("<-- violates {}", marks.join(", "))
        };
        rows.push((i + 1, cells, mark));
    }
    let mut widths = vec![0usize; cols];
    for (c, w) in widths.iter_mut().enumerate() {
        let head = if c == threads as usize { 3 } else { 2 };
        *w = rows
            .iter()
            .map(|r| r.1[c].chars().count())
            .max()
            .unwrap_or(0)
            .max(head);
    }
    let mut out = String::new();
    out.push_str("     ");
    for (c, w) in widths.iter().enumerate() {
        let head = if c == threads as usize {
            "env".to_string()
        } else {
            format!("T{c}")
        };
        out.push_str(&format!("{head:<w$} | "));
    }
    out.push('\n');
    for (n, cells, mark) in rows {
        out.push_str(&format!("{n:>3}. "));
        for (c, w) in widths.iter().enumerate() {
            out.push_str(&format!("{:<w$} | ", cells[c]));
        }
        if !mark.is_empty() {
            out.push_str(&mark);
        }
        out.push('\n');
    }
    let finals: Vec<&str> = trace
        .final_obs
        .violations()
        .filter(|p| focus.is_none_or(|f| f == *p))
        .map(|p| p.id())
        .collect();
    if !finals.is_empty() {
        out.push_str(&format!(
            "     final state (quiescent or invariant) violates {}\n",
            finals.join(", ")
        ));
    }
    out
}
