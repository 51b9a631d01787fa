//! Reports of a verdict: one call as text, the failing window as a
//! per-thread timeline, the one-line summary, the JSON form (its names are
//! stable) and the exit status. The CLI only prints them.

use super::parse::NO_THREAD;
use super::{Call, Failure, NoVerdict, Report, Verdict};
use serde_json::{json, Value};

/// One call as text: `wait(max=2, poll) -> [k0.0:ready]`.
pub fn describe(c: &Call) -> String {
    use super::parse::{EvKind, Op, Res};
    let op = match &c.op {
        Op::AddSource { kind } => format!("add_source({})", kind.name()),
        Op::Declare { source, kind } => format!("declare(s{source}, {})", kind.name()),
        Op::Register {
            source,
            mode,
            submit,
        } => format!(
            "{}(s{source}, {})",
            if *submit { "submit" } else { "register" },
            mode.name()
        ),
        Op::Modify { key, mode } => format!("modify({key}, {})", mode.name()),
        Op::Rearm { key } => format!("rearm({key})"),
        Op::Disable { key } => format!("disable({key})"),
        Op::Cancel { key, mode } => format!("cancel({key}, {})", mode.name()),
        Op::Consume { source } => format!("consume(s{source})"),
        Op::Wait { max, block } => {
            format!("wait(max={max}, {})", if *block { "block" } else { "poll" })
        }
        Op::Raise { source } => format!("raise(s{source})"),
        Op::Lower { source } => format!("lower(s{source})"),
        Op::Complete { source, cancelled } => {
            format!(
                "complete(s{source}{})",
                if *cancelled { ", cancelled" } else { "" }
            )
        }
        Op::StreamItem { source } => format!("stream_item(s{source})"),
        Op::Close { source } => format!("close(s{source})"),
        Op::FutexWake { source, n } => format!("futex_wake(s{source}, {n})"),
    };
    let res = match &c.result {
        None => " -> ?".to_string(),
        Some(Res::Ok) => String::new(),
        Some(Res::Source(s)) => format!(" -> s{s}"),
        Some(Res::Key(k)) => format!(" -> {k}"),
        Some(Res::Cancel(a)) => format!(" -> {}", a.name()),
        Some(Res::Count(n)) => format!(" -> {n}"),
        Some(Res::Error(e)) => format!(" -> error {e}"),
        Some(Res::Interrupted) => " -> [] (interrupted)".to_string(),
        Some(Res::Events(evs)) => {
            let v: Vec<String> = evs
                .iter()
                .map(|e| {
                    let kind = match e.kind {
                        EvKind::Ready => "ready".to_string(),
                        EvKind::Item => "item".to_string(),
                        EvKind::Final(onering_model::Outcome::Done) => "final".to_string(),
                        EvKind::Final(onering_model::Outcome::Cancelled) => {
                            "final(cancelled)".to_string()
                        }
                    };
                    format!("{}:{kind}", e.key)
                })
                .collect();
            format!(" -> [{}]", v.join(", "))
        }
    };
    format!("{op}{res}")
}

/// The failure as a per-thread timeline, and the longest partial
/// linearization.
pub fn render_failure(calls: &[Call], f: &Failure) -> String {
    // The calls right before the stuck one matter most; a long window is
    // cut to its last rows (the JSON form has them all).
    const ROWS: usize = 40;
    let shown = &f.window[f.window.len().saturating_sub(ROWS)..];
    let mut threads: Vec<u32> = shown.iter().map(|i| calls[*i].thread).collect();
    threads.sort_unstable();
    threads.dedup();
    let col = |t: u32| threads.iter().position(|x| *x == t).unwrap_or(0);
    let mut rows: Vec<(String, Vec<String>, bool)> = Vec::new();
    for &i in shown {
        let c = &calls[i];
        let mut cells = vec![String::new(); threads.len()];
        cells[col(c.thread)] = describe(c);
        let span = match c.ret {
            Some(r) => format!("{}..{}", c.call, r),
            None => format!("{}..", c.call),
        };
        rows.push((format!("line {:>5} [{span}]", c.line), cells, i == f.stuck));
    }
    let widths: Vec<usize> = (0..threads.len())
        .map(|j| {
            rows.iter()
                .map(|r| r.1[j].chars().count())
                .max()
                .unwrap_or(0)
                .max(3)
        })
        .collect();
    let lead = rows.iter().map(|r| r.0.len()).max().unwrap_or(0);
    let mut out = String::new();
    if shown.len() < f.window.len() {
        out.push_str(&format!(
            "({} earlier calls of the window not shown; --json lists them all)\n",
            f.window.len() - shown.len()
        ));
    }
    out.push_str(&format!("{:lead$}   ", ""));
    for (j, t) in threads.iter().enumerate() {
        out.push_str(&format!("{:<w$} | ", format!("thread {t}"), w = widths[j]));
    }
    out.push('\n');
    for (head, cells, stuck) in rows {
        out.push_str(&format!("{head:lead$}   "));
        for (j, cell) in cells.iter().enumerate() {
            out.push_str(&format!("{cell:<w$} | ", w = widths[j]));
        }
        if stuck {
            out.push_str("<-- cannot be linearized");
        }
        out.push('\n');
    }
    // A blocking wait that only parked is not placed: it has not returned
    // what it returned yet.
    let parked = f.longest.iter().filter(|s| s.parked).count();
    out.push_str(&format!(
        "longest partial linearization: {} of the {} calls of the failing prefix on source {}{}",
        f.longest.len() - parked,
        f.prefix_len,
        f.source,
        match parked {
            0 => String::new(),
            1 => " (and 1 blocking wait parked)".to_string(),
            n => format!(" (and {n} blocking waits parked)"),
        }
    ));
    let tail: Vec<String> = f
        .longest
        .iter()
        .rev()
        .take(6)
        .rev()
        .map(|s| {
            format!(
                "line {} {}{}",
                calls[s.call].line,
                describe(&calls[s.call]),
                if s.parked { " (parked)" } else { "" }
            )
        })
        .collect();
    if !tail.is_empty() {
        out.push_str(&format!(", ending:\n  {}\n", tail.join("\n  ")));
    } else {
        out.push('\n');
    }
    out
}

/// The one sentence naming what the failure breaks: the stuck call, the
/// rule of the profile that judges it ([`onering_model::Rules::rule_for`]),
/// and what the search found.
pub fn rule_broken(calls: &[Call], f: &Failure) -> String {
    let c = &calls[f.stuck];
    let rule = f.rules.rule_for(judged(calls, c, f.source), f.kind);
    match f.refused {
        Some(why) => format!(
            "line {}: `{}` breaks {}'s {rule}; the model refuses it in every order the calls allow ({why})",
            c.line,
            describe(c),
            f.rules.name,
        ),
        None => format!(
            "line {}: `{}` breaks {}'s {rule}; no order of the calls, each within its interval, lets it return what it returned",
            c.line,
            describe(c),
            f.rules.name,
        ),
    }
}

/// What kind of call `c` is to the profile, on `source` (a wait that
/// returned no event of `source` is judged as empty there).
fn judged(calls: &[Call], c: &Call, source: u32) -> onering_model::Judged {
    use super::parse::{Op, Res};
    use onering_model::Judged as J;
    match &c.op {
        Op::AddSource { .. } | Op::Declare { .. } | Op::Register { .. } => J::Register,
        // `disable` changes the interest as `modify` does.
        Op::Modify { .. } | Op::Disable { .. } => J::Modify,
        Op::Rearm { .. } => J::Rearm,
        Op::Cancel { .. } => J::Cancel,
        Op::Consume { .. } => J::Consume,
        Op::Wait { .. } => {
            let mine = |k| {
                calls.iter().any(|r| {
                    matches!((&r.op, &r.result), (Op::Register { source: s, .. }, Some(Res::Key(rk)))
                        if *s == source && *rk == k)
                })
            };
            let empty = match &c.result {
                Some(Res::Events(evs)) => !evs.iter().any(|e| mine(e.key)),
                _ => false,
            };
            J::Wait { empty }
        }
        Op::Raise { .. } | Op::Lower { .. } | Op::Complete { .. } | Op::StreamItem { .. } => {
            J::Environment
        }
        Op::Close { .. } => J::Close,
        Op::FutexWake { .. } => J::FutexWake,
    }
}

/// A reason for no verdict, in words.
pub fn no_verdict_text(calls: &[Call], n: &NoVerdict) -> String {
    match n {
        NoVerdict::Time { explored } => {
            format!("no verdict within the time budget ({explored} configurations explored)")
        }
        NoVerdict::Memory { bytes } => format!(
            "no verdict within the memory budget (the check held {} MiB)",
            bytes >> 20
        ),
        NoVerdict::Unrepresentable { call, why } => match calls.get(*call) {
            Some(c) => format!(
                "no verdict: line {} `{}` cannot be represented: {why}",
                c.line,
                describe(c)
            ),
            None => format!("no verdict: cannot be represented: {why}"),
        },
        NoVerdict::NotModelled(nm) => format!("no verdict: {nm}"),
    }
}

impl Report {
    /// The summary `onering verify` prints (`name`: the file), with the
    /// failing window when there is one.
    pub fn summary(&self, name: &str, calls: &[Call]) -> String {
        let what = match &self.verdict {
            Verdict::Linearizable => "linearizable".to_string(),
            Verdict::NotLinearizable(_) => "NOT linearizable".to_string(),
            Verdict::NoVerdict(n) => no_verdict_text(calls, n),
        };
        let parts = if self.parts == self.sources {
            String::new()
        } else {
            format!(" in {} parts", self.parts)
        };
        let mut out = format!(
            "{name}: {} calls, {} source{}{parts}, profile {}: {what} ({} configurations, {:.3}s)\n",
            self.calls,
            self.sources,
            if self.sources == 1 { "" } else { "s" },
            self.profile,
            self.explored,
            self.seconds
        );
        if let Some(f) = self.failure() {
            out.push_str(&format!(
                "{}\nsource {} ({}{}): smallest failing window:\n",
                rule_broken(calls, f),
                f.source,
                f.kind.name(),
                if f.port != 0 {
                    format!(", port {}", f.port)
                } else {
                    String::new()
                }
            ));
            out.push_str(&render_failure(calls, f));
        }
        out
    }

    /// The JSON form (names are stable).
    pub fn to_json(&self, calls: &[Call]) -> Value {
        let mut j = json!({
            "verdict": match self.verdict {
                Verdict::Linearizable => "linearizable",
                Verdict::NotLinearizable(_) => "not-linearizable",
                Verdict::NoVerdict(_) => "no-verdict",
            },
            "linearizable": self.is_linearizable(),
            "profile": self.profile,
            "calls": self.calls,
            "seconds": self.seconds,
            "sources": self.sources,
            "parts": self.parts,
            "explored": self.explored,
        });
        if let Some(n) = self.no_verdict() {
            let (reason, line) = match n {
                NoVerdict::Time { .. } => ("time", None),
                NoVerdict::Memory { .. } => ("memory", None),
                NoVerdict::Unrepresentable { call, .. } => {
                    ("unrepresentable", calls.get(*call).map(|c| c.line))
                }
                NoVerdict::NotModelled(nm) => ("not-modelled", Some(nm.line)),
            };
            j["no_verdict"] = json!({
                "reason": reason,
                "line": line,
                "message": no_verdict_text(calls, n),
            });
        }
        if let Some(f) = self.failure() {
            let thread = |c: &Call| (c.thread != NO_THREAD).then_some(c.thread);
            j["failure"] = json!({
                "port": f.port,
                "source": f.source,
                "kind": f.kind.name(),
                "line": calls[f.stuck].line,
                "call": describe(&calls[f.stuck]),
                "rule": rule_broken(calls, f),
                "refused": f.refused,
                "window": f.window.iter().map(|i| json!({
                    "line": calls[*i].line,
                    "thread": thread(&calls[*i]),
                    "call": describe(&calls[*i]),
                })).collect::<Vec<_>>(),
                "longest_partial_linearization": f.longest.iter().map(|s| calls[s.call].line).collect::<Vec<_>>(),
            });
        }
        j
    }
}

/// The JSON `onering verify --json` prints for an error (exit 2).
pub fn error_json(message: &str) -> Value {
    json!({ "error": message })
}
