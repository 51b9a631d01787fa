//! Lifecycle diagrams: the projected transitions of [`super::lifecycle`] as
//! Graphviz DOT (committed) and SVG (rendered by `dot`, made deterministic
//! by dropping the version comment and adding the DO-NOT-EDIT header).

use super::lifecycle::Lifecycle;
use onering_model::Reg;
use std::collections::{BTreeMap, BTreeSet};
use std::fmt::Write;
use std::io::Write as _;
use std::process::{Command, Stdio};

fn xml_text(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
}

fn esc(s: &str) -> String {
    s.replace('\\', "\\\\").replace('"', "\\\"")
}

/// Steps that differ only in how a wait ends, or in the mode `modify`
/// switches to, share one label line (the step tables keep them apart).
fn diagram_step(step: &str) -> String {
    match step {
        "woken wait returns" | "timeout_expires" => "wait".into(),
        s if s.starts_with("modify(") => "modify".into(),
        s => s.into(),
    }
}

/// One diagram merged over several scenarios' lifecycles: states named as
/// in the model, one edge per (from, to) with every step that makes that
/// move as a line of its label (`cancel(sync) → 0, ENOENT`).
pub fn dot(title: &str, header: &str, lcs: &[&Lifecycle]) -> String {
    let mut edges: BTreeMap<(Reg, Reg), BTreeMap<String, BTreeSet<String>>> = BTreeMap::new();
    let mut nodes: BTreeSet<Reg> = BTreeSet::new();
    let mut initial: BTreeSet<Reg> = BTreeSet::new();
    for lc in lcs {
        initial.insert(lc.initial);
        nodes.insert(lc.initial);
        for ((f, t), steps) in &lc.edges {
            nodes.insert(*f);
            nodes.insert(*t);
            let e = edges.entry((*f, *t)).or_default();
            for (s, r) in steps {
                e.entry(diagram_step(s))
                    .or_default()
                    .extend(r.iter().cloned());
            }
        }
    }
    let mut out = String::new();
    let _ = writeln!(out, "// {header}");
    let _ = writeln!(out, "digraph lifecycle {{");
    let _ = writeln!(
        out,
        "  graph [rankdir=TB, label=\"{}\", labelloc=t, fontname=\"Helvetica\", fontsize=16, nodesep=0.35, ranksep=0.75, pad=0.3];",
        esc(title)
    );
    out.push_str("  node [shape=box, style=\"rounded,filled\", fillcolor=\"#eef3fb\", color=\"#3a5a8c\", fontname=\"Helvetica-Bold\", fontsize=14, margin=\"0.25,0.12\"];\n");
    out.push_str(
        "  edge [fontname=\"Helvetica\", fontsize=13, color=\"#555555\", arrowsize=0.8];\n",
    );
    out.push_str("  start [shape=point, width=0.15, label=\"\"];\n");
    for n in &nodes {
        let _ = writeln!(out, "  {n:?} [label=\"{n:?}\"];");
    }
    for n in &initial {
        let _ = writeln!(out, "  start -> {n:?} [label=\"initially\", style=dashed];");
    }
    for ((f, t), steps) in &edges {
        let label: Vec<String> = steps
            .iter()
            .map(|(s, r)| {
                if r.is_empty() {
                    s.clone()
                } else {
                    // "X (source closed)" adds nothing where plain X is also seen.
                    let r: Vec<String> = r
                        .iter()
                        .filter(|x| {
                            x.strip_suffix(" (source closed)")
                                .is_none_or(|plain| !r.contains(plain))
                        })
                        .map(|x| {
                            let x = x.replace('`', "");
                            // Leaving `Closed` says the source was closed already.
                            if *f == Reg::Closed {
                                x.replace(" (source closed)", "")
                            } else {
                                x
                            }
                        })
                        .collect();
                    format!("{s} → {}", r.join(", "))
                }
            })
            .collect();
        // Graphviz's \l left-justifies each line.
        let label: String = label.iter().map(|l| format!("{}\\l", esc(l))).collect();
        let _ = writeln!(out, "  {f:?} -> {t:?} [label=\"{label}\"];");
    }
    out.push_str("}\n");
    out
}

/// Renders DOT to SVG with Graphviz `dot`; `None` when `dot` is not
/// installed. The output is made deterministic: the version comment goes,
/// the DO-NOT-EDIT header becomes the graph's `<desc>`.
pub fn svg(dot_text: &str, header: &str) -> std::io::Result<Option<String>> {
    let child = Command::new("dot")
        .arg("-Tsvg")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(c) => c,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    child
        .stdin
        .take()
        .expect("piped")
        .write_all(dot_text.as_bytes())?;
    let out = child.wait_with_output()?;
    if !out.status.success() {
        return Err(std::io::Error::other(format!(
            "dot failed: {}",
            String::from_utf8_lossy(&out.stderr)
        )));
    }
    let text = String::from_utf8_lossy(&out.stdout);
    let mut svg = String::new();
    // The version comment may span lines: skip it through its `-->`.
    let mut in_version = false;
    for line in text.lines() {
        if line.starts_with("<!-- Generated by graphviz") {
            in_version = true;
        }
        if in_version {
            in_version = !line.contains("-->");
            continue;
        }
        // XML comments may not contain "--" (the command does), so the
        // header is the graph's <desc>.
        if line.starts_with("<g id=\"graph0\"") {
            let _ = writeln!(svg, "<desc>{}</desc>", xml_text(header));
        }
        svg.push_str(line);
        svg.push('\n');
    }
    Ok(Some(svg))
}
