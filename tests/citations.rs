//! Nothing cited is missing: every "DESIGN §n", "os §n", "os-semantics §n"
//! and "os finding n" in the sources and docs resolves to a section (or a
//! numbered item under a section) of the vendored `docs/design.md` and
//! `docs/reference/os-semantics.md`; every selftest label (`epoll61`) the
//! rustdoc names is in the notes.

use std::fs;
use std::path::{Path, PathBuf};

const ROOT: &str = env!("CARGO_MANIFEST_DIR");

/// A cited document: its section numbers and, per section, the numbers of
/// its top-level numbered items.
struct Doc {
    name: &'static str,
    text: String,
    sections: Vec<(String, Vec<String>)>,
}

impl Doc {
    fn read(name: &'static str, path: &str) -> Doc {
        let text = fs::read_to_string(Path::new(ROOT).join(path))
            .unwrap_or_else(|e| panic!("{path} is cited but missing: {e}"));
        let mut sections: Vec<(String, Vec<String>)> = vec![(String::new(), Vec::new())];
        for line in text.lines() {
            if line.starts_with('#') {
                let title = line.trim_start_matches('#').trim();
                let num = title.split_whitespace().next().unwrap_or("");
                sections.push((num.trim_end_matches('.').to_string(), Vec::new()));
            } else if let Some((n, _)) = line.split_once(". ") {
                if !n.is_empty() && n.chars().all(|c| c.is_ascii_digit()) {
                    sections
                        .last_mut()
                        .expect("a section")
                        .1
                        .push(n.to_string());
                }
            }
        }
        Doc {
            name,
            text,
            sections,
        }
    }

    /// Whether `§n` names a section, or item `b` under section `a` (`a.b`).
    fn resolves(&self, n: &str) -> bool {
        if self.sections.iter().any(|(s, _)| s == n) {
            return true;
        }
        match n.rsplit_once('.') {
            Some((sec, item)) => self
                .sections
                .iter()
                .any(|(s, items)| s == sec && items.iter().any(|i| i == item)),
            None => false,
        }
    }

    fn finding(&self, n: &str) -> bool {
        self.sections
            .iter()
            .any(|(s, items)| s == "Key" && items.iter().any(|i| i == n))
    }
}

fn files(dir: &Path, out: &mut Vec<PathBuf>) {
    for e in fs::read_dir(dir).into_iter().flatten().flatten() {
        let p = e.path();
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !matches!(name, "target" | ".git" | "reference") {
                files(&p, out);
            }
        } else if (name.ends_with(".rs") || name.ends_with(".md")) && name != "design.md" {
            out.push(p);
        }
    }
}

#[test]
fn every_citation_resolves_to_a_vendored_document() {
    let design = Doc::read("DESIGN", "docs/design.md");
    let os = Doc::read("os-semantics", "docs/reference/os-semantics.md");
    let mut all = Vec::new();
    files(Path::new(ROOT), &mut all);
    let mut cited = 0;
    let mut broken = Vec::new();
    for path in &all {
        let text = fs::read_to_string(path).unwrap_or_default();
        let rel = path
            .strip_prefix(ROOT)
            .unwrap_or(path)
            .display()
            .to_string();
        if rel == "tests/citations.rs" {
            continue;
        }
        for (ln, line) in text.lines().enumerate() {
            // The document a bare `§n` refers to: the last one named on the line.
            let mut doc: Option<&Doc> = None;
            let words: Vec<&str> = line
                .split(|c: char| c.is_whitespace() || "()[],;`\"".contains(c))
                .filter(|w| !w.is_empty())
                .collect();
            for (i, w) in words.iter().enumerate() {
                match *w {
                    "DESIGN" => doc = Some(&design),
                    "os" | "os-semantics" => doc = Some(&os),
                    "finding" if i > 0 && words[i - 1] == "os" => {
                        let n = words.get(i + 1).copied().unwrap_or("");
                        let n = n.trim_end_matches('.');
                        if !n.chars().all(|c| c.is_ascii_digit()) {
                            continue; // "os finding n": the notation itself
                        }
                        cited += 1;
                        if !os.finding(n) {
                            broken.push(format!("{rel}:{}: os finding {n}", ln + 1));
                        }
                    }
                    _ => {}
                }
                if let Some(n) = w.strip_prefix('§') {
                    let n = n.trim_start_matches('§').trim_end_matches(['.', ':']);
                    if n.is_empty() || !n.starts_with(|c: char| c.is_ascii_digit()) {
                        continue;
                    }
                    // A range `§2–§9` cites its ends.
                    for part in n.split('–') {
                        let part = part.trim_start_matches('§');
                        cited += 1;
                        match doc {
                            Some(d) if d.resolves(part) => {}
                            Some(d) => broken.push(format!("{rel}:{}: {} §{part}", ln + 1, d.name)),
                            None => broken.push(format!(
                                "{rel}:{}: §{part} names no document (DESIGN or os)",
                                ln + 1
                            )),
                        }
                    }
                }
                // Kernel selftest labels the rustdoc names (`epoll61`).
                if let Some(num) = w.strip_prefix("epoll") {
                    if !num.is_empty() && num.chars().all(|c| c.is_ascii_digit()) {
                        cited += 1;
                        if !os.text.contains(*w) {
                            broken.push(format!("{rel}:{}: selftest {w}", ln + 1));
                        }
                    }
                }
            }
        }
    }
    assert!(cited > 30, "only {cited} citations found");
    assert!(
        broken.is_empty(),
        "citations that resolve nowhere:\n{}",
        broken.join("\n")
    );
}
