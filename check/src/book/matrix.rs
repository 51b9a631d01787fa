//! The property × profile matrix: each cell links to the profile page's
//! bound (a proof for that bound) or to its counterexample.

use super::{cx_anchor, Ctx};
use onering_model::{Kind, Property};
use std::fmt::Write;

/// The cell for a verdict: promised or not, proved or violated, linking
/// to the bound on the profile page or to the counterexample. Raw HTML (so
/// the verdict can be coloured), hence `.html` links: mdBook only rewrites
/// `.md` in Markdown links.
pub(crate) fn cell(ctx: &Ctx, r: &crate::check::ProfileReport, p: Property, up: &str) -> String {
    let _ = ctx;
    let pr = r.property(p);
    let page = format!("{up}profiles/{}.html", r.rules.name);
    let vacuous = if pr.witnessed || pr.violation.is_some() {
        ""
    } else {
        "&nbsp;(v)"
    };
    let (class, text, anchor) = match (pr.violation.is_some(), pr.promised) {
        (false, true) => ("v-ok", "✔&nbsp;holds", "bound".to_string()),
        (false, false) => ("v-weak", "holds*", "bound".to_string()),
        (true, false) => ("v-bad", "✘&nbsp;violated", cx_anchor(p)),
        (true, true) => ("v-broken", "BROKEN", cx_anchor(p)),
    };
    format!("<a class=\"{class}\" href=\"{page}#{anchor}\">{text}{vacuous}</a>")
}

/// The matrix page.
pub fn page(ctx: &Ctx) -> String {
    let mut out = String::from("# Property × profile\n\n");
    let _ = writeln!(
        out,
        "Every profile explored exhaustively at the bound `{}` (what `onering check --all` runs). A cell links to the proof's bound on the profile page, or to the shortest counterexample found, shown as a per-thread timeline with its replay command.\n",
        ctx.bound
    );
    out.push_str("| property |");
    for r in &ctx.real {
        let _ = write!(out, " [`{0}`](profiles/{0}.md) |", r.rules.name);
    }
    out.push_str("\n|---|");
    for _ in &ctx.real {
        out.push_str(":---:|");
    }
    out.push('\n');
    for p in Property::ALL {
        let _ = write!(out, "| [`{}`](#{}) |", p.id(), p.id());
        for r in &ctx.real {
            let _ = write!(out, " {} |", cell(ctx, r, p, ""));
        }
        out.push('\n');
    }
    out.push_str("\n✔ holds: promised and proved for the bound. holds*: not promised, but no violation at this bound. ✘ violated: not promised, and a counterexample was found. **BROKEN**: promised but violated (none should be). (v): the property's witness never occurred at this bound, so it holds only vacuously there.\n\n");
    out.push_str(&crate::mixed::section(&ctx.real));
    out.push_str("## The properties\n\n");
    for p in Property::ALL {
        let kind = match p.kind() {
            Kind::Always => "always: every reachable state and step",
            Kind::Eventually => "eventually: every quiescent state",
        };
        let _ = writeln!(
            out,
            "<a id=\"{}\"></a>\n\n### `{}`\n\n{}.\n\n*Judged:* {kind}. *Put to the test when:* {}.\n",
            p.id(),
            p.id(),
            capital(p.statement()),
            p.witness()
        );
    }
    out.push_str("## Spec mutants\n\n`unified` with one rule broken. Each must be caught by its property, which shows that the property can fail.\n\n| mutant | broken rule | caught by | replay |\n|---|---|---|---|\n");
    for m in &ctx.mutants {
        let Some(p) = m.rules.breaks else { continue };
        let replay = match ctx.token(m, p) {
            Some(t) => format!("`onering check --replay {t}`"),
            None => "**NOT CAUGHT**".into(),
        };
        let _ = writeln!(
            out,
            "| `{}` | {} | [`{}`](#{}) | {replay} |",
            m.rules.name,
            m.rules.summary,
            p.id(),
            p.id()
        );
    }
    out
}

pub(crate) fn capital(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_uppercase().collect::<String>() + c.as_str(),
        None => String::new(),
    }
}
