//! `onering verify`: is a recorded history allowed by a profile of the
//! model? Linearizability (Wing & Gong, with Lowe's just-in-time search and
//! a memo of (linearized set, model state), as in porcupine) of a history in
//! the JSON Lines format of `docs/history-format.md`, partitioned by source
//! ([`partition`]), tolerant of the model's nondeterminism and of calls
//! whose result is unknown.
//!
//! What each call may do is the model's transition relation,
//! [`onering_model::Model::apply`]; nothing here restates the semantics.
//! Mapping of calls to model steps:
//!
//! * `wait` releases the caller's holds and then harvests; a blocking wait
//!   may do the two at different points of its interval (another thread's
//!   call can see the release before this wait returns).
//! * `cancel` of an io_uring-style profile includes its answer's arrival.
//! * An operation whose cancel won may post its final event silently, at any
//!   point (a kernel step that no call records).
//! * A refused call (`"error"` result) changed nothing and is skipped.
//! * A call without `ret` may or may not have taken effect; a call without
//!   `result` took effect with any outcome.

mod linearize;
pub mod parse;
pub mod partition;

pub use parse::{parse_history, parse_jsonl, Call, NotModelled, ParseError, Parsed};

use linearize::{check_part, Unsupported};
use onering_model::Rules;
use partition::{POp, Part};
use serde_json::{json, Value};
use std::time::Instant;

/// Why a history could not be linearized.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The source whose part failed.
    pub source: u32,
    /// Its kind.
    pub kind: onering_model::SourceKind,
    /// Index (into the history) of the first call that cannot be placed:
    /// the one whose return ends the shortest failing prefix.
    pub stuck: usize,
    /// Indices of the calls of the smallest failing window, by call time:
    /// from the first call the longest partial linearization could not
    /// place, to `stuck`.
    pub window: Vec<usize>,
    /// Indices of the calls of the longest partial linearization of the
    /// failing prefix, in linearization order.
    pub longest: Vec<usize>,
    /// Calls in the failing prefix of this part.
    pub prefix_len: usize,
}

/// The answer of `onering verify`.
#[derive(Clone, Debug)]
pub struct Verdict {
    /// Whether the history is linearizable under the profile.
    pub linearizable: bool,
    /// Calls in the history.
    pub calls: usize,
    /// Parts (sources) checked.
    pub parts: usize,
    /// Model configurations explored.
    pub explored: u64,
    /// Seconds spent.
    pub seconds: f64,
    /// What failed, if anything.
    pub failure: Option<Failure>,
}

/// An error that is not a verdict: malformed input, or a history the
/// checker cannot represent.
#[derive(Clone, Debug)]
pub struct VerifyError {
    /// 1-based line of the offending call (0: the history as a whole).
    pub line: usize,
    /// What is wrong.
    pub message: String,
}

impl std::fmt::Display for VerifyError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        if self.line == 0 {
            write!(f, "{}", self.message)
        } else {
            write!(f, "line {}: {}", self.line, self.message)
        }
    }
}

impl From<ParseError> for VerifyError {
    fn from(e: ParseError) -> Self {
        VerifyError {
            line: e.line,
            message: match e.field {
                Some(f) => format!("`{f}`: {}", e.message),
                None => e.message,
            },
        }
    }
}

fn unsupported(calls: &[Call], u: Unsupported) -> VerifyError {
    VerifyError {
        line: calls.get(u.call).map_or(0, |c| c.line),
        message: u.message,
    }
}

/// The part's ops that a prefix ending at time `cut` keeps: calls that
/// returned by `cut` as they are, calls invoked before it but returning
/// later as calls that never returned.
fn prefix(ops: &[POp], cut: u64) -> Vec<POp> {
    let mut kept: Vec<POp> = Vec::new();
    let mut index = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if op.start >= cut {
            continue;
        }
        let mut o = op.clone();
        if o.end > cut {
            o.end = u64::MAX;
            o.unknown = true;
        }
        o.after = op.after.and_then(|a| index[a]);
        index[i] = Some(kept.len());
        kept.push(o);
    }
    kept
}

/// Checks parsed calls against `rules`.
pub fn verify(calls: &[Call], rules: &Rules) -> Result<Verdict, VerifyError> {
    verify_with(calls, rules, None, |_, _, _| {})
}

/// [`verify`] with a time budget (past it: an error, no verdict) and
/// `progress(parts done, parts, configurations explored)` after each part.
pub fn verify_with(
    calls: &[Call],
    rules: &Rules,
    max_seconds: Option<f64>,
    mut progress: impl FnMut(usize, usize, u64),
) -> Result<Verdict, VerifyError> {
    let start = Instant::now();
    let deadline = max_seconds.map(|s| start + std::time::Duration::from_secs_f64(s));
    let parts = partition::partition(calls)?;
    let mut explored = 0;
    for (done, part) in parts.iter().enumerate() {
        progress(done, parts.len(), explored);
        let out = check_part(part, &part.ops, rules, false, deadline)
            .map_err(|u| unsupported(calls, u))?;
        explored += out.explored;
        if !out.ok {
            let failure = explain(calls, part, rules, deadline)?;
            return Ok(Verdict {
                linearizable: false,
                calls: calls.len(),
                parts: parts.len(),
                explored,
                seconds: start.elapsed().as_secs_f64(),
                failure: Some(failure),
            });
        }
    }
    Ok(Verdict {
        linearizable: true,
        calls: calls.len(),
        parts: parts.len(),
        explored,
        seconds: start.elapsed().as_secs_f64(),
        failure: None,
    })
}

/// Finds the shortest failing prefix of a failing part (by binary search
/// over return times) and the longest partial linearization of it.
fn explain(
    calls: &[Call],
    part: &Part,
    rules: &Rules,
    deadline: Option<Instant>,
) -> Result<Failure, VerifyError> {
    let mut ends: Vec<u64> = part
        .ops
        .iter()
        .map(|o| o.end)
        .filter(|e| *e != u64::MAX)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    let fails = |cut: u64| -> Result<bool, VerifyError> {
        let ops = prefix(&part.ops, cut.saturating_add(1));
        Ok(!check_part(part, &ops, rules, false, deadline)
            .map_err(|u| unsupported(calls, u))?
            .ok)
    };
    // Invariant: ends[hi] fails (the whole part does).
    let (mut lo, mut hi) = (0usize, ends.len().saturating_sub(1));
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fails(ends[mid])? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let cut = ends.get(hi).copied().unwrap_or(u64::MAX);
    let ops = prefix(&part.ops, cut.saturating_add(1));
    let out = check_part(part, &ops, rules, true, deadline).map_err(|u| unsupported(calls, u))?;
    let stuck = ops
        .iter()
        .find(|o| o.end == cut)
        .map_or(ops.last().map_or(0, |o| o.call), |o| o.call);
    let placed: std::collections::HashSet<usize> = out.longest.iter().copied().collect();
    let first_unplaced = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| !placed.contains(i))
        .map(|(_, o)| o.start)
        .min()
        .unwrap_or(0);
    let mut window: Vec<usize> = ops
        .iter()
        .filter(|o| o.start >= first_unplaced || o.end >= first_unplaced)
        .map(|o| o.call)
        .collect();
    window.sort_by_key(|c| calls[*c].call);
    window.dedup();
    let mut longest: Vec<usize> = out.longest.iter().map(|i| ops[*i].call).collect();
    longest.dedup();
    Ok(Failure {
        source: part.source,
        kind: part.kind,
        stuck,
        window,
        longest,
        prefix_len: ops.len(),
    })
}

/// Parses and checks a JSON Lines history.
pub fn verify_jsonl(text: &str, rules: &Rules) -> Result<Verdict, VerifyError> {
    let calls = parse_jsonl(text, rules)?;
    verify(&calls, rules)
}

/// One call as text: `wait(max=2, poll) -> [k0.0:ready]`.
pub fn describe(c: &Call) -> String {
    use parse::{EvKind, Op, Res};
    let op = match &c.op {
        Op::AddSource { kind } => format!("add_source({})", kind.name()),
        Op::Declare { source, kind } => format!("declare(s{source}, {})", kind.name()),
        Op::Register { source, mode } => format!("register(s{source}, {})", mode.name()),
        Op::Modify { key, mode } => format!("modify({key}, {})", mode.name()),
        Op::Rearm { key } => format!("rearm({key})"),
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
    out.push_str(&format!(
        "longest partial linearization: {} of the {} calls of the failing prefix on source {}",
        f.longest.len(),
        f.prefix_len,
        f.source
    ));
    let tail: Vec<String> = f
        .longest
        .iter()
        .rev()
        .take(6)
        .rev()
        .map(|i| format!("line {} {}", calls[*i].line, describe(&calls[*i])))
        .collect();
    if !tail.is_empty() {
        out.push_str(&format!(", ending:\n  {}\n", tail.join("\n  ")));
    } else {
        out.push('\n');
    }
    out
}

/// The JSON form (names are stable).
pub fn to_json(calls: &[Call], v: &Verdict) -> Value {
    let mut j = json!({
        "linearizable": v.linearizable,
        "calls": v.calls,
        "seconds": v.seconds,
        "parts": v.parts,
        "explored": v.explored,
    });
    if let Some(f) = &v.failure {
        j["failure"] = json!({
            "source": f.source,
            "kind": f.kind.name(),
            "line": calls[f.stuck].line,
            "call": describe(&calls[f.stuck]),
            "window": f.window.iter().map(|i| json!({
                "line": calls[*i].line,
                "thread": calls[*i].thread,
                "call": describe(&calls[*i]),
            })).collect::<Vec<_>>(),
            "longest_partial_linearization": f.longest.iter().map(|i| calls[*i].line).collect::<Vec<_>>(),
        });
    }
    j
}
