//! A counterexample as a Markdown table: a column per thread and one for
//! the environment, a row per step, the violated property marked on the
//! step that violates it; then the replay command. The text form is
//! [`crate::timeline`]; the step descriptions are its [`crate::timeline::describe`].

use crate::explore::Trace;
use crate::timeline::describe;
use onering_model::{Property, Rules};
use std::fmt::Write;

fn cell(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

/// The table for `trace` over `threads` threads, with `focus` marked, and
/// the replay command for `token`.
pub fn render(rules: &Rules, trace: &Trace, threads: u8, focus: Property, token: &str) -> String {
    let mut out = String::from("| # |");
    for t in 0..threads {
        let _ = write!(out, " T{t} |");
    }
    out.push_str(" env / kernel | |\n|---:|");
    for _ in 0..=threads {
        out.push_str("---|");
    }
    out.push_str("---|\n");
    for (i, st) in trace.steps.iter().enumerate() {
        let col = st.action.thread().map_or(threads as usize, |t| t as usize);
        let _ = write!(out, "| {} |", i + 1);
        for c in 0..=threads as usize {
            let text = if c == col {
                describe(rules, st)
            } else {
                String::new()
            };
            let _ = write!(out, " {} |", cell(&text));
        }
        let mark = if st.obs.violates(focus) {
            format!("**violates `{}`**", focus.id())
        } else {
            String::new()
        };
        let _ = writeln!(out, " {mark} |");
    }
    if trace.final_obs.violates(focus) {
        let _ = writeln!(
            out,
            "\nThe final state (quiescent, or an invariant) violates `{}`.",
            focus.id()
        );
    }
    let _ = writeln!(out, "\nReplay it: `onering check --replay {token}`\n");
    out
}
