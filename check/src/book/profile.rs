//! One page per profile: its rules, its verdicts with the bound they were
//! proved for, its lifecycle diagrams, every step the model lets a thread,
//! the environment or the kernel take (read off the small-bound
//! exploration), and its counterexamples.

use super::lifecycle::{Lifecycle, SMALL};
use super::matrix::{capital, cell};
use super::{cx_anchor, trace, vocab, Ctx};
use crate::check::ProfileReport;
use onering_model::Reg;
use std::fmt::Write;

fn regs(set: impl IntoIterator<Item = Reg>) -> String {
    set.into_iter()
        .map(|r| format!("`{r:?}`"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The profiles' index page.
pub fn index(ctx: &Ctx) -> String {
    let mut out = String::from("# Profiles\n\nA profile is a set of rule choices (a `Rules` value in `model/src/rules.rs`); `unified` is onering's own design, the others follow the real mechanisms as the [reference notes](../reference/os-semantics.md) describe them.\n\n| profile | what it is | scenarios explored |\n|---|---|---|\n");
    for r in &ctx.real {
        let sc: Vec<String> = r.runs.iter().map(|x| format!("`{}`", x.scenario)).collect();
        let _ = writeln!(
            out,
            "| [`{0}`]({0}.md) | {1} | {2} |",
            r.rules.name,
            r.rules.summary,
            sc.join(", ")
        );
    }
    out
}

fn step_table(ctx: &Ctx, name: &str, lc: &Lifecycle) -> String {
    let mut out = String::new();
    let own = name != "unified";
    let _ = writeln!(
        out,
        "Every key starts `{:?}`. {} distinct states at the small bound `{}`, every transition of each projected onto the one key:\n",
        lc.initial, lc.states, SMALL
    );
    out.push_str("| step |");
    if own {
        let _ = write!(out, " {name} |");
    }
    out.push_str(" enabled when the key is | moves it | queue effects; results |");
    if own {
        out.push_str(" source |");
    }
    out.push_str("\n|---|");
    if own {
        out.push_str("---|");
    }
    out.push_str("---|---|---|");
    if own {
        out.push_str("---|");
    }
    out.push('\n');
    for (step, f) in &lc.steps {
        let moves: Vec<String> = f
            .moves
            .iter()
            .filter(|(a, b)| a != b)
            .map(|(a, b)| format!("`{a:?}`→`{b:?}`"))
            .collect();
        let moves = if moves.is_empty() {
            "no change".to_string()
        } else {
            let stays = f.moves.iter().any(|(a, b)| a == b);
            format!(
                "{}{}",
                moves.join(", "),
                if stays { "; or none" } else { "" }
            )
        };
        // Queue effects and results in one cell; "X (source closed)" only
        // where X was not also seen before a close.
        let mut does: Vec<String> = f.queue.iter().cloned().collect();
        does.extend(
            f.results
                .iter()
                .filter(|r| {
                    r.strip_suffix(" (source closed)")
                        .is_none_or(|plain| !f.results.contains(plain))
                })
                .cloned(),
        );
        // Event names kept on one line: `queues final(-ECANCELED)`.
        let does: Vec<String> = does
            .into_iter()
            .map(|d| {
                if d.starts_with('`') {
                    d
                } else {
                    format!("`{d}`")
                }
            })
            .collect();
        let does = if does.is_empty() {
            "—".to_string()
        } else {
            does.join("; ")
        };
        let _ = write!(out, "| `{step}` |");
        let call = vocab::call(name, step);
        if own {
            let _ = write!(out, " {} |", call.map_or("—", |c| c.0));
        }
        let _ = write!(out, " {} | {moves} | {does} |", regs(f.pre.iter().copied()));
        if own {
            let _ = write!(
                out,
                " {} |",
                call.map_or("—".to_string(), |c| ctx.cite("../", c.1))
            );
        }
        out.push('\n');
    }
    out.push('\n');
    out
}

/// The page for one profile.
pub fn page(ctx: &Ctx, r: &ProfileReport) -> String {
    let name = r.rules.name;
    let mut out = format!("# `{name}`\n\n{}.\n\n", capital(r.rules.summary));
    match vocab::chapter(name) {
        Some(ch) => {
            let _ = writeln!(
                out,
                "Source: the reference notes, {} (vendored at `docs/reference/os-semantics.md`); the rule choices are the `{}` value in `model/src/rules.rs`, each citing its section.\n",
                ctx.cite("../", ch),
                name.to_uppercase().replace('-', "_")
            );
        }
        None => out.push_str("Source: onering's own design. The model's rustdoc (`cargo doc -p onering-model --open`) states it; this page is read off it.\n\n"),
    }
    out.push_str("## Rules\n\n");
    crate::docs::rules_table(&mut out, &r.rules);
    let _ = writeln!(
        out,
        "<a id=\"bound\"></a>\n\n## Verdicts\n\nProved or refuted by exhaustive exploration at the bound `{}`:\n",
        ctx.bound
    );
    out.push_str("| property | promised | verdict |\n|---|:---:|:---:|\n");
    for pr in &r.properties {
        let _ = writeln!(
            out,
            "| [`{0}`](../matrix.md#{0}) | {1} | {2} |",
            pr.property.id(),
            if pr.promised { "yes" } else { "no" },
            cell(ctx, r, pr.property, "../")
        );
    }
    out.push_str("\nThe explorations behind them (after symmetry, dead-variable, dead-ghost, dead-source and partial-order reduction):\n\n| scenario | states | transitions | depth |\n|---|---:|---:|---:|\n");
    for run in &r.runs {
        let at = if run.bound == ctx.bound {
            String::new()
        } else {
            format!(" (at keys={} ops={})", run.bound.keys, run.bound.ops)
        };
        let _ = writeln!(
            out,
            "| `{}`{at} | {} | {} | {} |",
            run.scenario,
            run.exploration.states,
            run.exploration.transitions,
            run.exploration.depth
        );
    }
    out.push_str("\n## Lifecycle\n\nDrawn from the model's own transitions: each scenario explored at the small bound, every step projected onto one key's state (the model's `Reg` names), the step as the edge label, parallel edges merged. A dashed arrow marks the state a key starts in.\n\n");
    let lcs = &ctx.lifecycles[name];
    for (kind, request, what) in [
        ("registration", false, "A persistent readiness registration"),
        (
            "submission",
            true,
            "A request (an operation, a futex wait, or a poll request)",
        ),
    ] {
        let of: Vec<&Lifecycle> = lcs.iter().filter(|l| l.request == request).collect();
        if of.is_empty() {
            let _ = writeln!(
                out,
                "### A {kind}\n\n`{name}` has no {}: none of its scenarios is one.\n",
                if request {
                    "submissions"
                } else {
                    "persistent registrations (its readiness is itself a one-shot request, drawn as a submission)"
                }
            );
            continue;
        }
        let scen: Vec<String> = of.iter().map(|l| format!("`{}`", l.scenario)).collect();
        let _ = writeln!(
            out,
            "### A {kind}\n\n{what}, over {}.\n\n[![{name}: a {kind}'s lifecycle](../diagrams/{name}-{kind}.svg)](../diagrams/{name}-{kind}.svg)\n\n(Click the diagram for full size; [DOT source](../diagrams/{name}-{kind}.dot).)\n",
            scen.join(", ")
        );
    }
    out.push_str("## Steps\n\nFor each scenario, every step the model enabled, with the registration states it was enabled in, how it moved the key, what it did to the key's queued events and what it returned");
    if name != "unified" {
        out.push_str(", in the mechanism's own words, with the source the rule rests on");
    }
    out.push_str(".\n\n");
    for lc in lcs {
        let _ = writeln!(out, "### `{}`\n", lc.scenario);
        out.push_str(&step_table(ctx, name, lc));
    }
    let violated: Vec<_> = r
        .properties
        .iter()
        .filter(|p| p.violation.is_some())
        .collect();
    out.push_str("## Counterexamples\n\n");
    if violated.is_empty() {
        let _ = writeln!(
            out,
            "None: every property holds at the bound `{}`.",
            ctx.bound
        );
    }
    for pr in violated {
        let (sc, t) = pr.violation.as_ref().expect("filtered");
        let tok = ctx.token(r, pr.property).expect("violated");
        let _ = writeln!(
            out,
            "<a id=\"{}\"></a>\n\n### `{}` violates `{}`\n\n{}.\n\nScenario `{sc}`, {} steps, {} thread switches{}:\n",
            cx_anchor(pr.property),
            name,
            pr.property.id(),
            capital(pr.property.statement()),
            t.steps.len(),
            t.switches(),
            if pr.promised { " — **a broken promise**" } else { "" }
        );
        out.push_str(&trace::render(
            &r.rules,
            t,
            ctx.bound.threads,
            Some(pr.property),
            Some(&tok),
        ));
    }
    out
}
