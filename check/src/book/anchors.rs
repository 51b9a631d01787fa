//! Heading anchors as mdBook makes them, and the section index of the
//! vendored reference notes (`docs/reference/os-semantics.md`), so a
//! citation "os §2.6" links to the heading it names. The link checker
//! ([`super::links`]) verifies every anchor in the built book.

use std::collections::BTreeMap;

/// mdBook's heading id: lower-cased, alphanumerics, `_` and `-` kept,
/// whitespace turned into `-`, everything else dropped. Code spans and
/// emphasis markers are dropped with the rest of the punctuation.
pub fn heading_id(text: &str) -> String {
    text.chars()
        .filter_map(|c| {
            if c.is_alphanumeric() || c == '_' || c == '-' {
                Some(c.to_ascii_lowercase())
            } else if c.is_whitespace() {
                Some('-')
            } else {
                None
            }
        })
        .collect()
}

/// Section number ("2.6", "7") → the heading's anchor, for every numbered
/// heading of a Markdown document. Repeated ids get mdBook's `-1`, `-2`
/// suffixes.
pub fn sections(markdown: &str) -> BTreeMap<String, String> {
    let mut ids: BTreeMap<String, usize> = BTreeMap::new();
    let mut out = BTreeMap::new();
    let mut fenced = false;
    for line in markdown.lines() {
        if line.trim_start().starts_with("```") {
            fenced = !fenced;
        }
        if fenced || !line.starts_with('#') {
            continue;
        }
        let text = line.trim_start_matches('#').trim();
        let mut id = heading_id(text);
        let n = ids.entry(id.clone()).or_insert(0);
        if *n > 0 {
            id = format!("{id}-{n}");
        }
        *n += 1;
        let number = text.split_whitespace().next().unwrap_or("");
        let number = number.trim_end_matches('.');
        if !number.is_empty() && number.chars().all(|c| c.is_ascii_digit() || c == '.') {
            out.entry(number.to_string()).or_insert(id);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heading_ids_follow_mdbook() {
        assert_eq!(
            heading_id("2.6 `EPOLL_CTL_DEL`: what is and is not guaranteed"),
            "26-epoll_ctl_del-what-is-and-is-not-guaranteed"
        );
    }

    #[test]
    fn numbered_sections_are_indexed() {
        let s = sections("# T\n## 2. Linux epoll\n### 2.6 `DEL`\n```\n## 9. not a heading\n```\n");
        assert_eq!(s["2"], "2-linux-epoll");
        assert_eq!(s["2.6"], "26-del");
        assert!(!s.contains_key("9"));
    }
}
