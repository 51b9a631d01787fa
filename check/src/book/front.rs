//! The front page, the table of contents, `book.toml`, and the pages
//! included from files other engineers own (the tools guide, the
//! check-your-library kit, the findings), which become a short "nothing
//! recorded yet" page while their file does not exist.

use super::{Ctx, Inputs};
use onering_model::Property;
use std::fmt::Write;

/// `book.toml` below its header. The built HTML goes to `target/book`
/// (ignored by git).
pub const BOOK_TOML: &str = r#"[book]
title = "onering: event-queue semantics, as checked"
authors = ["the onering engineers"]
language = "en"
src = "src"

[build]
build-dir = "../../target/book"
create-missing = false

[output.html]
no-section-label = false
additional-css = ["theme/onering.css"]
"#;

/// The book's extra style: a wider page (the step tables have seven
/// columns), diagrams at their natural size up to the page width, and
/// timelines that keep each step on one line.
pub const CSS: &str = r#":root { --content-max-width: 1100px; }
.content img[src$=".svg"] { display: block; margin: 1em auto; max-width: 100%; height: auto; }
.content table td code { white-space: nowrap; }
.content table th code { white-space: nowrap; }
.content table { font-size: 0.92em; }
.content table td, .content table th { padding: 3px 10px; }
.content a.v-ok { color: #1b7a2f; white-space: nowrap; }
.content a.v-weak { color: #6b6b6b; white-space: nowrap; }
.content a.v-bad { color: #b3261e; font-weight: bold; white-space: nowrap; }
.content a.v-broken { color: #fff; background: #b3261e; padding: 0 0.3em; font-weight: bold; }
"#;

/// Where a repository file appears in the book, if it does.
fn book_page(repo_path: &str) -> Option<&'static str> {
    Some(match repo_path {
        "docs/guide.md" => "guide/tools.md",
        "docs/history-format.md" => "guide/history-format.md",
        "docs/check-your-library.md" => "guide/check-your-library.md",
        "conformance/FINDINGS.md" => "findings/kernel.md",
        "docs/findings-libraries.md" => "findings/libraries.md",
        "docs/semantics.md" => "matrix.md",
        "docs/reference/os-semantics.md" => "reference/os-semantics.md",
        _ => return None,
    })
}

/// `dir/target` with `.` and `..` resolved (repository-relative).
fn resolve(dir: &str, target: &str) -> String {
    let mut parts: Vec<&str> = dir.split('/').filter(|p| !p.is_empty()).collect();
    for p in target.split('/') {
        match p {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    parts.join("/")
}

/// Rewrites the relative Markdown links of `text` (a file at `repo_path`)
/// for its page one level below the book root: links to files the book
/// includes point at their pages; links to other repository files become
/// the path in code (they are not part of the book).
pub fn relink(text: &str, repo_path: &str) -> String {
    let dir = repo_path.rsplit_once('/').map_or("", |(d, _)| d);
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    while let Some(i) = rest.find("](") {
        let (head, tail) = rest.split_at(i + 2);
        let Some(end) = tail.find(')') else { break };
        let target = &tail[..end];
        let external = target.contains("://")
            || target.starts_with('#')
            || target.starts_with("mailto:")
            || target.contains(' ');
        if external {
            out.push_str(head);
            out.push_str(target);
        } else {
            let (file, frag) = target
                .split_once('#')
                .map_or((target, None), |(f, a)| (f, Some(a)));
            let full = resolve(dir, file);
            match book_page(&full) {
                // A file of the book's own sources (an image under
                // `docs/book/src/`): the same file, seen from the page.
                None if full.starts_with("docs/book/src/") => {
                    out.push_str(head);
                    out.push_str("../");
                    out.push_str(&full["docs/book/src/".len()..]);
                }
                Some(page) => {
                    out.push_str(head);
                    out.push_str("../");
                    out.push_str(page);
                    if let Some(a) = frag {
                        out.push('#');
                        out.push_str(a);
                    }
                }
                None => {
                    // `[text](path)` → `text (`path`)`: keep the pointer, drop the link.
                    let open = head[..head.len() - 2].rfind('[');
                    match open {
                        Some(o) if !head[..o].ends_with('!') => {
                            out.push_str(&head[..o]);
                            out.push_str(&head[o + 1..head.len() - 2]);
                            let _ = write!(out, " (`{full}`");
                        }
                        _ => {
                            out.push_str(head);
                            out.push_str(target);
                        }
                    }
                }
            }
        }
        rest = &tail[end..];
    }
    out.push_str(rest);
    out
}

fn include_or_stub(text: &Option<String>, repo_path: &str, title: &str, none: &str) -> String {
    match text {
        Some(t) => format!(
            "<!-- included from `{repo_path}`; edit that file, then regenerate -->\n\n{}",
            relink(t, repo_path)
        ),
        None => format!("# {title}\n\n{none}\n\nThis page is generated from `{repo_path}` once that file exists.\n"),
    }
}

/// The pages included from other files: (path below the book dir, body).
pub fn included(inputs: &Inputs) -> Vec<(String, String)> {
    vec![
        (
            "src/guide/tools.md".into(),
            include_or_stub(&inputs.guide, "docs/guide.md", "The tools", "No tools guide yet."),
        ),
        (
            "src/guide/history-format.md".into(),
            include_or_stub(
                &inputs.history_format,
                "docs/history-format.md",
                "History format",
                "No history format described yet.",
            ),
        ),
        (
            "src/guide/check-your-library.md".into(),
            include_or_stub(
                &inputs.check_your_library,
                "docs/check-your-library.md",
                "Checking your own library",
                "The kit for checking your own library is not written yet. Until it is: record a history of your library's calls ([history format](history-format.md)) and run `onering verify --profile NAME history.jsonl` ([the tools](tools.md)).",
            ),
        ),
        (
            "src/findings/kernel.md".into(),
            include_or_stub(
                &inputs.kernel_findings,
                "conformance/FINDINGS.md",
                "Kernel findings",
                "No kernel findings recorded yet.",
            ),
        ),
        (
            "src/findings/libraries.md".into(),
            include_or_stub(
                &inputs.library_findings,
                "docs/findings-libraries.md",
                "Library findings",
                "No library findings recorded yet.",
            ),
        ),
    ]
}

/// `SUMMARY.md`: the table of contents.
pub fn summary(ctx: &Ctx, _inputs: &Inputs) -> String {
    let mut out = String::from("# Summary\n\n[Start here](index.md)\n\n# The three questions\n\n");
    out.push_str("- [Can two threads get the same event?](compare/duplicates.md)\n");
    out.push_str("- [When may I free my state after a cancel?](compare/cancellation.md)\n");
    out.push_str("- [Re-arming a one-shot registration](compare/rearm.md)\n\n# Reference\n\n");
    out.push_str("- [Property × profile matrix](matrix.md)\n- [Profiles](profiles/index.md)\n");
    for r in &ctx.real {
        let _ = writeln!(out, "  - [{}](profiles/{}.md)", r.rules.name, r.rules.name);
    }
    out.push_str("- [OS semantics notes](reference/os-semantics.md)\n\n# Guide\n\n");
    out.push_str("- [Which profile for what](guide/choosing.md)\n");
    out.push_str("- [Reading and replaying a trace](guide/traces.md)\n");
    out.push_str("- [Checking your own library](guide/check-your-library.md)\n");
    out.push_str("- [The tools](guide/tools.md)\n");
    out.push_str("- [History format](guide/history-format.md)\n");
    out.push_str("- [Findings: the kernel](findings/kernel.md)\n");
    out.push_str("- [Findings: other libraries](findings/libraries.md)\n");
    out
}

/// The front page. Its first lines answer the question most people arrive
/// with, from the matrix itself.
pub fn index(ctx: &Ctx) -> String {
    let mut out = String::from("# onering: what your event queue will do to you\n\n");
    let dup = ctx.report("epoll").map(|r| {
        r.property(Property::NoDuplicateDelivery)
            .violation
            .is_some()
    });
    let uni = ctx.report("unified").map(|r| {
        r.property(Property::NoDuplicateDelivery)
            .violation
            .is_none()
    });
    let answer = match (dup, uni) {
        (Some(true), Some(true)) => "**Yes.** A level-triggered epoll registration is queued again right after it is delivered, so a second thread in `epoll_wait` gets the same fd while the first still handles it. onering's `unified` queue hands a registration to one thread at a time: the event stays queued until the holder's next `wait`, `rearm` or `cancel`.",
        (Some(false), _) => "**Not at the checked bound** — see the page for the trace search.",
        _ => "See the page.",
    };
    let _ = writeln!(
        out,
        "> **Can two threads get the same event from epoll, and what does onering do instead?**\n>\n> {answer}\n>\n> **[The trace, the kernel's reason, and what `unified` does instead →](compare/duplicates.md)**\n"
    );
    out.push_str("onering is a formally checked model of a *unified* event queue — fd readiness, timers, async I/O completions, futex wakes, signals, process exit in one queue — with a profile for each real mechanism: ");
    let names: Vec<String> = ctx
        .real
        .iter()
        .map(|r| format!("[`{0}`](profiles/{0}.md)", r.rules.name))
        .collect();
    out.push_str(&names.join(", "));
    let _ = writeln!(
        out,
        ". Every page here is generated from the model by exhaustive exploration (bound `{}`): a verdict is a proof for that bound or a machine-found shortest counterexample you can replay with `onering check --replay TOKEN`.\n",
        ctx.bound
    );
    out.push_str("## The three questions of the 2002–2003 threads\n\n");
    out.push_str("Jamie Lokier asked for one queue for every kind of event (2002); John Myers compared epoll and aio for thread pools (2003) and named three differences. Each has a page putting the mechanisms side by side:\n\n");
    out.push_str("- [**Duplicate events under a thread pool**](compare/duplicates.md): can two threads handle the same registration at once?\n");
    out.push_str("- [**Cancellation**](compare/cancellation.md): when a cancel returns, may I free my per-connection state? Does the answer tell me who won?\n");
    out.push_str("- [**Re-arm**](compare/rearm.md): how does a thread that finished with an event ask for the next one, and is a condition that is still true reported?\n\n");
    out.push_str("## Reference\n\n");
    out.push_str("- [The property × profile matrix](matrix.md): twelve properties, seven profiles, every cell a proof bound or a counterexample.\n");
    out.push_str("- [Profiles](profiles/index.md): every step of every mechanism with what it may do, in its own words, citing [the notes](reference/os-semantics.md).\n\n");
    out.push_str("## Guide\n\n- [Which profile for what](guide/choosing.md)\n- [Reading and replaying a trace](guide/traces.md)\n- [Checking your own library](guide/check-your-library.md)\n- Findings: [the kernel](findings/kernel.md), [other libraries](findings/libraries.md)\n\n");
    out.push_str("The model's rustdoc (`cargo doc -p onering-model --open`) is the statement of the semantics; these pages are read off it.\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn included_links_point_at_book_pages_or_become_paths() {
        let t = relink(
            "see [the format](history-format.md#calls), [proofs](../proofs/README.md), ![d](x.png) and [web](https://x.org/)",
            "docs/guide.md",
        );
        assert_eq!(
            t,
            "see [the format](../guide/history-format.md#calls), proofs (`proofs/README.md`), ![d](x.png) and [web](https://x.org/)"
        );
    }

    #[test]
    fn an_image_of_the_books_sources_is_linked_from_the_page() {
        let t = relink(
            "![the page](book/src/img/verify-html.png)",
            "docs/check-your-library.md",
        );
        assert_eq!(t, "![the page](../img/verify-html.png)");
    }

    #[test]
    fn a_missing_findings_file_is_a_short_page_not_a_broken_link() {
        let pages = included(&Inputs::default());
        let (_, kernel) = pages
            .iter()
            .find(|(p, _)| p == "src/findings/kernel.md")
            .unwrap();
        assert!(kernel.contains("No kernel findings recorded yet."));
        let with = Inputs {
            kernel_findings: Some("# Findings\n\n1. [pinned](../conformance/tests/x.rs)\n".into()),
            ..Inputs::default()
        };
        let pages = included(&with);
        let (_, kernel) = pages
            .iter()
            .find(|(p, _)| p == "src/findings/kernel.md")
            .unwrap();
        assert!(
            kernel.contains("1. pinned (`conformance/tests/x.rs`)"),
            "{kernel}"
        );
    }
}
