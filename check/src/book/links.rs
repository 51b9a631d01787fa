//! A link checker for the built book: every relative `href` and `src` in
//! every HTML file resolves to a file, and every `#fragment` to an `id` (or
//! `name`) in the target. Run it on mdBook's output
//! (`cargo run -p onering-check --example book_links -- target/book`).

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Component, Path, PathBuf};

/// One link that does not resolve.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Broken {
    /// The page it is on, relative to the checked directory.
    pub page: PathBuf,
    /// The link as written.
    pub link: String,
    /// What is wrong.
    pub why: &'static str,
}

/// The values of attribute `attr` (`href`, `src`, `id`, `name`) in `html`.
fn attrs<'a>(html: &'a str, attr: &str) -> Vec<&'a str> {
    let mut out = Vec::new();
    for quote in ['"', '\''] {
        let pat = format!(" {attr}={quote}");
        let mut rest = html;
        while let Some(i) = rest.find(&pat) {
            rest = &rest[i + pat.len()..];
            if let Some(end) = rest.find(quote) {
                out.push(&rest[..end]);
                rest = &rest[end..];
            }
        }
    }
    out
}

fn decode(s: &str) -> String {
    let s = s.replace("&amp;", "&");
    // Percent-decoding of the few characters mdBook escapes in paths.
    let mut out = Vec::new();
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%' && i + 2 < b.len() {
            if let Some(v) = std::str::from_utf8(&b[i + 1..i + 3])
                .ok()
                .and_then(|h| u8::from_str_radix(h, 16).ok())
            {
                out.push(v);
                i += 3;
                continue;
            }
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

fn normalize(p: &Path) -> PathBuf {
    let mut out = PathBuf::new();
    for c in p.components() {
        match c {
            Component::ParentDir => {
                out.pop();
            }
            Component::CurDir => {}
            c => out.push(c),
        }
    }
    out
}

/// What a check found.
#[derive(Clone, Debug, Default)]
pub struct Report {
    /// HTML pages read.
    pub pages: usize,
    /// Relative links (and anchors) checked.
    pub checked: usize,
    /// The ones that do not resolve, sorted by page and link.
    pub broken: Vec<Broken>,
}

/// Checks every HTML file below `root`; returns the broken links, sorted.
pub fn check_dir(root: &Path) -> std::io::Result<Vec<Broken>> {
    check(root).map(|r| r.broken)
}

/// Checks every HTML file below `root`.
pub fn check(root: &Path) -> std::io::Result<Report> {
    let mut pages: BTreeMap<PathBuf, String> = BTreeMap::new();
    let mut files: BTreeSet<PathBuf> = BTreeSet::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d)? {
            let p = e?.path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p.strip_prefix(root).expect("below root").to_path_buf();
            if p.extension().is_some_and(|x| x == "html") {
                pages.insert(rel.clone(), std::fs::read_to_string(&p)?);
            }
            files.insert(rel);
        }
    }
    let ids: BTreeMap<&PathBuf, BTreeSet<&str>> = pages
        .iter()
        .map(|(p, h)| {
            (
                p,
                attrs(h, "id").into_iter().chain(attrs(h, "name")).collect(),
            )
        })
        .collect();
    let mut broken = Vec::new();
    let mut checked = 0;
    for (page, html) in &pages {
        let dir = page.parent().unwrap_or(Path::new(""));
        for link in attrs(html, "href").into_iter().chain(attrs(html, "src")) {
            let external = link.contains("://")
                || link.starts_with("mailto:")
                || link.starts_with("javascript:")
                || link.starts_with("data:")
                || link.starts_with("//");
            if external || link.is_empty() {
                continue;
            }
            checked += 1;
            let link_d = decode(link);
            let (path, frag) = match link_d.split_once('#') {
                Some((p, f)) => (p.to_string(), Some(f.to_string())),
                None => (link_d.clone(), None),
            };
            let path = path.split('?').next().unwrap_or("").to_string();
            // A site-absolute link (mdBook's 404 page) is relative to the root.
            let base = if path.starts_with('/') {
                Path::new("")
            } else {
                dir
            };
            let target = if path.is_empty() {
                page.clone()
            } else {
                let t = normalize(&base.join(path.trim_start_matches('/')));
                let is_dir = files.iter().any(|f| f.starts_with(&t) && *f != t);
                if path.ends_with('/')
                    || t.as_os_str().is_empty()
                    || (is_dir && !files.contains(&t))
                {
                    t.join("index.html")
                } else {
                    t
                }
            };
            if !files.contains(&target) {
                broken.push(Broken {
                    page: page.clone(),
                    link: link.to_string(),
                    why: "no such file",
                });
                continue;
            }
            if let Some(f) = frag.filter(|f| !f.is_empty()) {
                match ids.get(&target) {
                    Some(set) if set.contains(f.as_str()) => {}
                    Some(_) => broken.push(Broken {
                        page: page.clone(),
                        link: link.to_string(),
                        why: "no such anchor",
                    }),
                    None => {} // a fragment into a non-HTML file (SVG, DOT)
                }
            }
        }
    }
    broken.sort_by(|a, b| (&a.page, &a.link).cmp(&(&b.page, &b.link)));
    Ok(Report {
        pages: pages.len(),
        checked,
        broken,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A site in a directory of its own per test (`name`): the tests run
    /// in parallel in one process, and two sites of as many files shared a
    /// directory, one removing it while the other was written.
    fn site(name: &str, files: &[(&str, &str)]) -> PathBuf {
        let d = std::env::temp_dir().join(format!("onering-links-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        for (p, c) in files {
            let p = d.join(p);
            std::fs::create_dir_all(p.parent().unwrap()).unwrap();
            std::fs::write(p, c).unwrap();
        }
        d
    }

    #[test]
    fn resolving_links_and_anchors_pass() {
        let d = site(
            "resolving",
            &[
                (
                    "index.html",
                    r#"<a href="a/b.html#x">b</a><img src="img/d.svg"><a href="https://x.org/">x</a>"#,
                ),
                (
                    "a/b.html",
                    r##"<h2 id="x">X</h2><a href="../index.html">up</a><a href="#x">self</a>"##,
                ),
                ("img/d.svg", "<svg/>"),
            ],
        );
        assert_eq!(check_dir(&d).unwrap(), vec![]);
    }

    #[test]
    fn a_missing_file_and_a_missing_anchor_are_reported() {
        let d = site(
            "missing",
            &[
                (
                    "index.html",
                    r#"<a href="a/b.html#nope">b</a><img src="gone.svg">"#,
                ),
                ("a/b.html", r#"<h2 id="x">X</h2>"#),
                (
                    "a/c.html",
                    r#"<a href="b.html#x">ok</a><a href="../a/missing.html">bad</a>"#,
                ),
            ],
        );
        let b = check_dir(&d).unwrap();
        let got: Vec<(&str, &str)> = b.iter().map(|b| (b.link.as_str(), b.why)).collect();
        assert_eq!(
            got,
            vec![
                ("../a/missing.html", "no such file"),
                ("a/b.html#nope", "no such anchor"),
                ("gone.svg", "no such file"),
            ]
        );
    }
}
