//! A counterexample as a Markdown table: a column per thread and one for
//! the environment, a row per step, the violated property marked on the
//! step that violates it; then the replay command. The text form is
//! [`crate::timeline`]; the step descriptions are its [`crate::timeline::describe`].

use crate::explore::{Trace, TraceStep};
use crate::timeline::describe;
use onering_model::{Action, Bound, Model, Property, Rules, Scenario};
use std::fmt::Write;

fn cell(s: &str) -> String {
    if s.is_empty() {
        String::new()
    } else {
        format!("`{}`", s.replace('|', "\\|"))
    }
}

/// The table for `trace` over `threads` threads, with the steps that
/// violate `focus` marked, and the replay command for `token` (if any).
pub fn render(
    rules: &Rules,
    trace: &Trace,
    threads: u8,
    focus: Option<Property>,
    token: Option<&str>,
) -> String {
    let mut out = String::from("| # |");
    for t in 0..threads {
        let _ = write!(out, " T{t} |");
    }
    out.push_str(" env / kernel |\n|---:|");
    for _ in 0..=threads {
        out.push_str("---|");
    }
    out.push('\n');
    let mut bad = Vec::new();
    for (i, st) in trace.steps.iter().enumerate() {
        let col = st.action.thread().map_or(threads as usize, |t| t as usize);
        let marked = focus.is_some_and(|p| st.obs.violates(p));
        if marked {
            bad.push(i + 1);
        }
        let _ = write!(out, "| {}{} |", i + 1, if marked { " ✘" } else { "" });
        for c in 0..=threads as usize {
            let text = if c == col {
                describe(rules, st)
            } else {
                String::new()
            };
            let _ = write!(out, " {} |", cell(&text));
        }
        out.push('\n');
    }
    if let Some(p) = focus {
        let steps: Vec<String> = bad.iter().map(|n| n.to_string()).collect();
        if !steps.is_empty() {
            let _ = writeln!(out, "\n✘ Step {} violates `{}`.", steps.join(", "), p.id());
        }
        if trace.final_obs.violates(p) {
            let _ = writeln!(
                out,
                "\n✘ The final state (quiescent, or an invariant) violates `{}`.",
                p.id()
            );
        }
    }
    if let Some(token) = token {
        let _ = writeln!(out, "\nReplay it: `onering check --replay {token}`");
    }
    out.push('\n');
    out
}

/// The same actions taken under `rules` (from its initial state for
/// `scenario` at `bound`): where an action has several outcomes, the first
/// the model lists. Stops at the first action the profile does not enable
/// and says which.
pub fn same_steps(
    rules: Rules,
    scenario: Scenario,
    bound: Bound,
    actions: &[Action],
) -> Result<(Trace, Option<usize>), String> {
    let model =
        Model::new(rules, scenario, scenario.bound_for(bound)).map_err(|e| e.to_string())?;
    let mut s = model.init();
    let mut steps = Vec::new();
    let mut out = Vec::new();
    let mut stopped = None;
    for (i, a) in actions.iter().enumerate() {
        out.clear();
        model.apply(&s, *a, &mut out);
        let Some(st) = out.first() else {
            stopped = Some(i);
            break;
        };
        steps.push(TraceStep {
            action: st.action,
            shown: st.shown,
            obs: st.obs,
            state: st.next,
        });
        s = st.next;
    }
    Ok((
        Trace {
            steps,
            path: Vec::new(),
            final_obs: model.state_obs(&s),
        },
        stopped,
    ))
}
