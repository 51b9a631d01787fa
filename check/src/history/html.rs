//! `onering verify --html FILE`: the verdict as one self-contained page
//! (inline CSS, JavaScript and SVG; nothing fetched), in the manner of
//! porcupine's visualiser. One lane per thread (and one for steps no user
//! thread made), each call an interval on a time axis of its stamps, the
//! (longest partial) linearization numbered in order, the call where it
//! gets stuck, and the model state before and after each step on hover.
//!
//! Everything drawn comes from the checker's own result: a failure's
//! [`Failure::longest`] (the search's configurations), or, for a history
//! that linearizes, the linearization the same search finds for each part
//! ([`check_part`] asked to track it). The page's script only lays it out.
//!
//! The data travels as one JSON object in a `<script type="application/json">`
//! element; `html/page.js` builds the lanes from it. Its names are the
//! page's own and not a stable interface.

use super::linearize::{check_part, Budget, Stop};
use super::parse::{Op, Res, NO_THREAD};
use super::partition::{self, Part};
use super::report::{describe, no_verdict_text, rule_broken};
use super::{explain, ports, Call, Failure, Options, Report, Step, Verdict};
use onering_model::{Phase, Reg, Rules, State, MAX_KEYS};
use serde_json::{json, Value};
use std::collections::HashMap;
use std::time::Instant;

/// Calls drawn per part at most; a longer part shows the calls closest to
/// where it gets stuck (or its first ones, when it linearizes).
pub const MAX_DRAWN: usize = 400;

const CSS: &str = include_str!("html/page.css");
const JS: &str = include_str!("html/page.js");

/// One part as drawn.
struct View {
    title: String,
    /// History indices of the calls drawn, by invocation time.
    drawn: Vec<usize>,
    /// The (partial) linearization.
    steps: Vec<Step>,
    stuck: Option<usize>,
    window: Vec<usize>,
    refused: Option<&'static str>,
    /// Calls of the part (or of its failing prefix) in all.
    total: usize,
    /// Model key slot of each call that names a registration, and the
    /// registration's key in the history.
    slot_of: HashMap<usize, u8>,
}

/// The page for `report` (made by checking `calls` against `rules`);
/// `name` titles it. A linearizable history is searched again, with
/// `options`' budgets, for each part's linearization (the verdict's search
/// keeps none); when that runs out, the page says so and draws the calls
/// without it.
pub fn render_html(
    name: &str,
    calls: &[Call],
    report: &Report,
    rules: &Rules,
    options: &Options,
) -> String {
    let mut notes: Vec<String> = Vec::new();
    let views = match &report.verdict {
        Verdict::NotLinearizable(f) => vec![failure_view(calls, f)],
        Verdict::Linearizable => match witness_views(calls, rules, options) {
            Ok(v) => v,
            Err(why) => {
                notes.push(format!("the linearization could not be shown: {why}"));
                Vec::new()
            }
        },
        Verdict::NoVerdict(_) => Vec::new(),
    };
    let (verdict, headline) = match &report.verdict {
        Verdict::Linearizable => (
            "linearizable",
            "linearizable: every part has an order of its calls, each within its interval, that the profile allows"
                .to_string(),
        ),
        Verdict::NotLinearizable(f) => ("not-linearizable", rule_broken(calls, f)),
        Verdict::NoVerdict(n) => ("no-verdict", no_verdict_text(calls, n)),
    };
    let data = json!({
        "name": name,
        "profile": report.profile,
        "verdict": verdict,
        "headline": headline,
        "calls": report.calls,
        "parts": report.parts,
        "seconds": report.seconds,
        "notes": notes,
        "views": views.iter().map(|v| view_json(calls, v)).collect::<Vec<_>>(),
    });
    // No `<` at all inside the script element (`</script>`, `<!--`): JSON
    // has `<` only in strings, where `\u003c` means the same.
    let data = serde_json::to_string(&data)
        .expect("json")
        .replace('<', "\\u003c");
    format!(
        "<!DOCTYPE html>\n<!-- written by `onering verify --html`; self-contained: no network -->\n\
         <html lang=\"en\"><head><meta charset=\"utf-8\">\
         <meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\
         <title>{title}</title><style>{CSS}</style></head>\n<body>\
         <noscript>This page draws the history with JavaScript.</noscript>\
         <div id=\"app\"></div>\n\
         <script type=\"application/json\" id=\"onering-data\">{data}</script>\n\
         <script>{JS}</script>\n</body></html>\n",
        title = escape(&format!("onering verify: {name} ({})", report.profile)),
    )
}

fn escape(s: &str) -> String {
    s.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
}

/// The failing part's calls, restricted to the `MAX_DRAWN` up to the stuck
/// one. Its key slots are the failing part's own ([`Failure::slots`]), so a
/// group that failed relaxed is drawn as it was checked.
fn failure_view(calls: &[Call], f: &Failure) -> View {
    let mut drawn: Vec<usize> = f
        .window
        .iter()
        .copied()
        .chain(f.longest.iter().map(|s| s.call))
        .chain(std::iter::once(f.stuck))
        .collect();
    drawn.sort_by_key(|i| (calls[*i].call, *i));
    drawn.dedup();
    let total = drawn.len();
    if drawn.len() > MAX_DRAWN {
        drawn.drain(..drawn.len() - MAX_DRAWN);
    }
    let group = if f.group == 0 {
        String::new()
    } else {
        format!(" · group {}", f.group)
    };
    View {
        title: format!(
            "port {} · source {} ({}){group}",
            f.port,
            f.source,
            f.kind.name()
        ),
        drawn,
        steps: f.longest.clone(),
        stuck: Some(f.stuck),
        window: f.window.clone(),
        refused: f.refused,
        total,
        slot_of: f.slots.iter().copied().collect(),
    }
}

/// Each call's model key slot, for the ops of `part` that name one.
fn slots(part: &Part, idx: &[usize]) -> HashMap<usize, u8> {
    explain::slots(&part.ops)
        .into_iter()
        .map(|(call, slot)| (idx[call], slot))
        .collect()
}

/// Every part's linearization, found by the checker's search.
fn witness_views(calls: &[Call], rules: &Rules, options: &Options) -> Result<Vec<View>, String> {
    let budget = Budget {
        deadline: options.deadline(Instant::now()),
        max_bytes: options.max_memory,
    };
    let mut views = Vec::new();
    for (port, idx) in ports(calls) {
        let sub: Vec<Call> = idx.iter().map(|&i| calls[i].clone()).collect();
        let parts = partition::partition(&sub).map_err(|e| match e {
            partition::PartitionError::Malformed(e) => e.to_string(),
        })?;
        for part in parts {
            let out = check_part(&part, &part.ops, rules, true, budget).map_err(|s| match s {
                Stop::Time { .. } => "the time budget ran out on the second search".to_string(),
                Stop::Memory { .. } => "the memory budget ran out on the second search".to_string(),
                Stop::Unrepresentable { why, .. } => why,
            })?;
            if !out.ok {
                return Err("a part did not linearize on the second search".into());
            }
            let mut steps = explain::steps(&part.ops, out.start, &out.longest);
            for s in steps.iter_mut() {
                s.call = idx[s.call];
            }
            let mut drawn: Vec<usize> = part.ops.iter().map(|o| idx[o.call]).collect();
            drawn.sort_by_key(|i| (calls[*i].call, *i));
            drawn.dedup();
            let total = drawn.len();
            drawn.truncate(MAX_DRAWN);
            views.push(View {
                title: format!(
                    "port {port} · source {} ({})",
                    part.source,
                    part.kind.name()
                ),
                drawn,
                steps,
                stuck: None,
                window: Vec::new(),
                refused: None,
                total,
                slot_of: slots(&part, &idx),
            });
        }
    }
    Ok(views)
}

/// The registration (history key) on each model key slot after each step,
/// from the register/submit calls of the linearization.
fn key_names(calls: &[Call], v: &View) -> Vec<[Option<String>; MAX_KEYS as usize]> {
    let mut cur: [Option<String>; MAX_KEYS as usize] = Default::default();
    v.steps
        .iter()
        .map(|s| {
            let c = &calls[s.call];
            if let (Op::Register { .. }, Some(Res::Key(k)), Some(slot)) =
                (&c.op, &c.result, v.slot_of.get(&s.call))
            {
                if let Some(e) = cur.get_mut(*slot as usize) {
                    *e = Some(k.to_string());
                }
            }
            cur.clone()
        })
        .collect()
}

fn thread_name(t: u32) -> String {
    if t == NO_THREAD {
        "environment".to_string()
    } else {
        format!("thread {t}")
    }
}

/// Who a model thread slot stands for in a step of `caller`: the search
/// runs each step on a view where slot 0 is the calling history thread and
/// slot 1 every other thread (`linearize`'s module docs), so no model slot
/// number reaches the page.
fn slot_thread(m: usize, caller: Option<u32>) -> String {
    match (m, caller) {
        (0, Some(t)) => thread_name(t),
        _ => "another thread".to_string(),
    }
}

/// A history thread blocked in a wait at some point of the linearization:
/// its wait's release is placed, its harvest is not (a parked step).
struct Blocked {
    thread: u32,
    line: usize,
    text: String,
}

/// The waits parked in `steps` (the longest partial linearization) before
/// step `n`, by their history thread.
fn blocked_before(calls: &[Call], steps: &[Step], n: usize) -> Vec<Blocked> {
    steps[..n]
        .iter()
        .filter(|s| s.parked)
        .map(|s| Blocked {
            thread: calls[s.call].thread,
            line: calls[s.call].line,
            text: describe(&calls[s.call])
                .split(" -> ")
                .next()
                .unwrap_or_default()
                .to_string(),
        })
        .collect()
}

/// A model state in words, one fact a line: the ready queue, each live key
/// (with the history threads holding it), each history thread blocked in a
/// wait, and any thread the model has inside a call (named by history
/// thread through `caller`, the thread of the step the state belongs to).
fn state_text(
    s: &State,
    holders: &[Vec<u32>; MAX_KEYS as usize],
    keys: &[Option<String>; MAX_KEYS as usize],
    blocked: &[Blocked],
    caller: Option<u32>,
) -> Vec<String> {
    let key = |k: u8| match &keys[k as usize] {
        Some(name) => format!("{name} (slot {k})"),
        None => format!("key slot {k}"),
    };
    let mut out = Vec::new();
    let q: Vec<String> = s
        .queue()
        .iter()
        .map(|e| {
            let name = keys[e.key() as usize]
                .clone()
                .unwrap_or_else(|| format!("k{}", e.key()));
            let kind = e.to_string();
            let kind = kind.split_once(':').map_or(kind.as_str(), |(_, k)| k);
            format!("{name}:{kind}")
        })
        .collect();
    out.push(format!("ready queue: [{}]", q.join(", ")));
    for (k, ks) in s.keys.iter().enumerate() {
        let held = &holders[k];
        if ks.reg == Reg::Free && !ks.cond && !ks.closed && held.is_empty() {
            continue;
        }
        let mut facts = vec![format!("{:?}", ks.reg).to_lowercase()];
        if ks.reg != Reg::Free {
            facts.push(ks.mode().name().to_string());
        }
        facts.push(if ks.cond {
            "condition holds".into()
        } else {
            "condition clear".into()
        });
        if ks.closed {
            facts.push("source closed".into());
        }
        if ks.pending_edge {
            facts.push("pending edge".into());
        }
        if !held.is_empty() {
            let hs: Vec<String> = held.iter().map(|t| thread_name(*t)).collect();
            facts.push(format!("held by {}", hs.join(", ")));
        }
        out.push(format!("{}: {}", key(k as u8), facts.join(", ")));
    }
    for b in blocked {
        out.push(format!(
            "{}: blocked in {} (line {}): released, its harvest not yet placed",
            thread_name(b.thread),
            b.text,
            b.line
        ));
    }
    for (m, ts) in s.threads.iter().enumerate() {
        let phase = match ts.phase {
            Phase::Idle => continue,
            Phase::Blocked(max) => format!("blocked in wait(max={max})"),
            Phase::Woken(max) => format!("woken in wait(max={max}), to harvest"),
            Phase::Cancelling(k, a) => {
                format!("cancelling {}: answer {} on its way", key(k), a.name())
            }
        };
        out.push(format!("{}: {phase}", slot_thread(m, caller)));
    }
    out
}

fn view_json(calls: &[Call], v: &View) -> Value {
    let names = key_names(calls, v);
    let order: HashMap<usize, usize> = v
        .steps
        .iter()
        .enumerate()
        .map(|(n, s)| (s.call, n))
        .collect();
    // Lanes: user threads in number order, then the environment.
    let mut lanes: Vec<u32> = v.drawn.iter().map(|i| calls[*i].thread).collect();
    lanes.sort_unstable();
    lanes.dedup();
    // The axis: each distinct stamp of a drawn call, in order (only the
    // order of stamps means anything).
    let mut stamps: Vec<u64> = v
        .drawn
        .iter()
        .flat_map(|i| std::iter::once(calls[*i].call).chain(calls[*i].ret))
        .collect();
    stamps.sort_unstable();
    stamps.dedup();
    let rank = |t: u64| stamps.binary_search(&t).unwrap_or(0);
    let window: std::collections::HashSet<usize> = v.window.iter().copied().collect();
    let drawn: Vec<Value> = v
        .drawn
        .iter()
        .map(|&i| {
            let c = &calls[i];
            let step = order.get(&i).map(|&n| (n, &v.steps[n]));
            json!({
                "id": i,
                "line": c.line,
                "lane": lanes.iter().position(|t| *t == c.thread).unwrap_or(0),
                "start": rank(c.call),
                "end": c.ret.map(rank),
                "call": c.call,
                "ret": c.ret,
                "text": describe(c),
                "order": step.map(|(n, _)| n + 1),
                "parked": step.is_some_and(|(_, s)| s.parked),
                "stuck": v.stuck == Some(i),
                "window": window.contains(&i),
            })
        })
        .collect();
    // Only the steps of drawn calls travel (a long linearization would
    // make the page as large as the history), each with its place in the
    // whole order.
    let drawn_set: std::collections::HashSet<usize> = v.drawn.iter().copied().collect();
    let steps: Vec<Value> = v
        .steps
        .iter()
        .enumerate()
        .filter(|(_, s)| drawn_set.contains(&s.call))
        .map(|(n, s)| {
            let before_keys = if n == 0 {
                Default::default()
            } else {
                names[n - 1].clone()
            };
            let c = &calls[s.call];
            let caller = (c.thread != NO_THREAD).then_some(c.thread);
            json!({
                "id": s.call,
                "n": n + 1,
                "line": c.line,
                "thread": thread_name(c.thread),
                "text": describe(c),
                "parked": s.parked,
                "before": state_text(&s.before, &s.holders[0], &before_keys, &blocked_before(calls, &v.steps, n), caller),
                "after": state_text(&s.after, &s.holders[1], &names[n], &blocked_before(calls, &v.steps, n + 1), caller),
            })
        })
        .collect();
    let stuck = v.stuck.map(|i| {
        let c = &calls[i];
        let last = v.steps.len().checked_sub(1);
        json!({
            "id": i,
            "line": c.line,
            "thread": thread_name(c.thread),
            "text": describe(c),
            "refused": v.refused,
            "state": last.map(|n| {
                let caller = calls[v.steps[n].call].thread;
                state_text(
                    &v.steps[n].after,
                    &v.steps[n].holders[1],
                    &names[n],
                    &blocked_before(calls, &v.steps, n + 1),
                    (caller != NO_THREAD).then_some(caller),
                )
            }),
        })
    });
    json!({
        "title": v.title,
        "lanes": lanes.iter().map(|t| thread_name(*t)).collect::<Vec<_>>(),
        "ticks": stamps.len(),
        "drawn": drawn,
        "total": v.total,
        "steps": steps,
        "placed": v.steps.len(),
        "parked": v.steps.iter().filter(|s| s.parked).count(),
        "stuck": stuck,
    })
}
