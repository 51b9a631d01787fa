//! `onering verify`: is a recorded history allowed by a profile of the
//! model? Linearizability (Wing & Gong, with Lowe's just-in-time search and
//! a memo of (linearized set, model state), as in porcupine) of a history in
//! the format of `docs/history-format.md` (read by `onering-history`),
//! partitioned by port and source ([`partition`]), tolerant of the model's
//! nondeterminism and of calls whose result is unknown.
//!
//! What each recorded call may do is the model's
//! [`onering_model::Model::recorded`] (which documents the mapping: several
//! registrations of one source, `lower`/`close`/`consume` on every key, the
//! io_uring cancel answer's arrival, the kernel's silent steps, ghosts);
//! nothing here restates the semantics. This module only searches and
//! reports.
//!
//! The answer is a [`Report`] with one of three [`Verdict`]s:
//! linearizable, not linearizable (with a [`Failure`] to show), or no
//! verdict ([`NoVerdict`]: a budget ran out, a call's effect cannot be
//! represented in a model state, or a construct is not modelled).

mod alive;
mod attribute;
mod by_source;
mod explain;
mod html;
mod linearize;
mod overlap;
pub mod parse;
pub mod partition;
mod reading;
mod reduce;
mod report;
mod room;
mod trim;
mod v2;

#[doc(hidden)]
pub use alive::{with_projection, Projection};
pub use html::{render_html, MAX_DRAWN};
pub use parse::{parse_history, parse_jsonl, Call, NotModelled, ParseError, Parsed};
pub use reading::{parse_history_within, read_text};
#[doc(hidden)]
pub use reduce::{with_reduction, Reduction};
pub use report::{describe, error_json, no_verdict_text, render_failure, rule_broken};

use linearize::{check_part, Budget, Stop};
use onering_model::Rules;
use std::borrow::Cow;
use std::time::{Duration, Instant};

/// Why a history could not be linearized.
#[derive(Clone, Debug)]
pub struct Failure {
    /// The port whose history failed.
    pub port: u32,
    /// The source whose part failed.
    pub source: u32,
    /// Which group of the source's registrations the part was (0 unless
    /// the source was split into groups).
    pub group: u32,
    /// Each call of the failing part that names a registration (its
    /// register, modify, rearm or cancel; history indices), with the
    /// model key slot the part gave it: for drawing the model states,
    /// from the part that failed (an attributed or a relaxed group's).
    pub slots: Vec<(usize, u8)>,
    /// Its kind.
    pub kind: onering_model::SourceKind,
    /// The profile checked against (whose rule the failure names).
    pub rules: Rules,
    /// Index (into the history) of the first call that cannot be placed:
    /// the one whose return ends the shortest failing prefix.
    pub stuck: usize,
    /// Why the model refuses the stuck call after the longest partial
    /// linearization, if it does (`None`: no outcome of it is refused
    /// there, but the calls cannot be ordered).
    pub refused: Option<&'static str>,
    /// Indices of the calls of the smallest failing window, by call time.
    pub window: Vec<usize>,
    /// The longest partial linearization of the failing prefix, in
    /// linearization order, each call once (a blocking wait at its
    /// harvest).
    pub longest: Vec<Step>,
    /// The model state before the first call of `longest`.
    pub start: Option<onering_model::State>,
    /// Calls in the failing prefix of this part (a blocking wait counts
    /// once).
    pub prefix_len: usize,
}

/// One call of a (partial) linearization, as the search placed it.
#[derive(Clone, Debug)]
pub struct Step {
    /// Index of the call in the history.
    pub call: usize,
    /// The model state right before the call took effect.
    pub before: onering_model::State,
    /// The model state right after.
    pub after: onering_model::State,
    /// The history threads holding each model key right before and right
    /// after the call (the model's holds by thread name).
    pub holders: [[Vec<u32>; onering_model::MAX_KEYS as usize]; 2],
    /// A blocking wait that parked (its release is placed) but whose
    /// harvest is not.
    pub parked: bool,
}

/// Why there is no verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum NoVerdict {
    /// The time budget (`--max-seconds`) ran out.
    Time {
        /// Configurations explored by then.
        explored: u64,
    },
    /// The memory budget (`--max-memory`) ran out.
    Memory {
        /// Bytes the search's memo held.
        bytes: u64,
    },
    /// The model cannot hold what a call did (a queue longer than a state
    /// holds, more threads holding events of one source than it has slots).
    Unrepresentable {
        /// Index of the call in the history.
        call: usize,
        /// Why.
        why: String,
    },
    /// The history uses a construct of the format the model does not check
    /// yet.
    NotModelled(NotModelled),
}

/// The verdict.
#[derive(Clone, Debug)]
pub enum Verdict {
    /// Some order of the calls, each within its interval, is allowed.
    Linearizable,
    /// No order is: here is the smallest failing window.
    NotLinearizable(Box<Failure>),
    /// Neither could be decided.
    NoVerdict(NoVerdict),
}

/// The answer of `onering verify`.
#[derive(Clone, Debug)]
pub struct Report {
    /// The verdict.
    pub verdict: Verdict,
    /// The profile checked against.
    pub profile: &'static str,
    /// Calls in the history.
    pub calls: usize,
    /// Sources (port × source) in the history's parts.
    pub sources: usize,
    /// Parts checked: one per source, or several for a source split into
    /// groups (more registrations alive at once than a model state holds;
    /// checked again relaxed if its attribution failed).
    pub parts: usize,
    /// Model configurations explored.
    pub explored: u64,
    /// Seconds spent.
    pub seconds: f64,
}

impl Report {
    /// The answer for a history with a call the model does not represent:
    /// no verdict at once, nothing checked.
    pub fn not_modelled(nm: NotModelled, profile: &'static str, calls: usize) -> Self {
        Self {
            verdict: Verdict::NoVerdict(NoVerdict::NotModelled(nm)),
            profile,
            calls,
            sources: 0,
            parts: 0,
            explored: 0,
            seconds: 0.0,
        }
    }

    /// Whether the verdict is [`Verdict::Linearizable`].
    pub fn is_linearizable(&self) -> bool {
        matches!(self.verdict, Verdict::Linearizable)
    }

    /// The failure, if not linearizable.
    pub fn failure(&self) -> Option<&Failure> {
        match &self.verdict {
            Verdict::NotLinearizable(f) => Some(f),
            _ => None,
        }
    }

    /// The reason, if there is no verdict.
    pub fn no_verdict(&self) -> Option<&NoVerdict> {
        match &self.verdict {
            Verdict::NoVerdict(n) => Some(n),
            _ => None,
        }
    }

    /// The exit status `onering verify` gives, the same policy as `onering
    /// check`: 0 linearizable, 1 not, 2 a history the checker cannot judge
    /// (as for bad input: a call the model cannot represent, a construct not
    /// modelled yet), 3 a budget (`--max-seconds`, `--max-memory`) stopped
    /// the search before a verdict.
    pub fn exit_code(&self) -> u8 {
        match self.verdict {
            Verdict::Linearizable => 0,
            Verdict::NotLinearizable(_) => 1,
            Verdict::NoVerdict(NoVerdict::Time { .. } | NoVerdict::Memory { .. }) => 3,
            Verdict::NoVerdict(_) => 2,
        }
    }
}

/// A history that cannot be checked because it is malformed (not a
/// verdict): the reader's error, or an inconsistency between lines (a key
/// no register returned, ...).
pub type VerifyError = ParseError;

/// Budgets of a check.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Options {
    /// Seconds of search, at most (positive; huge values mean no budget).
    pub max_seconds: Option<f64>,
    /// Bytes of search memo and of the part being searched, at most.
    pub max_memory: Option<u64>,
}

/// A bad budget.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct OptionsError(pub &'static str);

impl std::fmt::Display for OptionsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.0)
    }
}

impl std::error::Error for OptionsError {}

impl Options {
    /// Checks the budgets: seconds must be a positive number (any size:
    /// one past what a clock can hold means no budget), memory positive.
    ///
    /// # Errors
    ///
    /// An [`OptionsError`] naming the budget.
    pub fn validate(&self) -> Result<(), OptionsError> {
        if self.max_seconds.is_some_and(|s| s.is_nan() || s <= 0.0) {
            return Err(OptionsError("--max-seconds must be a positive number"));
        }
        if self.max_memory == Some(0) {
            return Err(OptionsError("--max-memory must be positive"));
        }
        Ok(())
    }

    fn deadline(&self, start: Instant) -> Option<Instant> {
        let d = Duration::try_from_secs_f64(self.max_seconds?).ok()?;
        start.checked_add(d)
    }

    /// The budgets counted from `start`.
    fn budget(&self, start: Instant) -> Budget {
        Budget {
            deadline: self.deadline(start),
            max_bytes: self.max_memory,
        }
    }
}

/// Checks parsed calls against `rules`, without budgets.
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify(calls: &[Call], rules: &Rules) -> Result<Report, VerifyError> {
    verify_with(calls, rules, &Options::default(), |_, _, _| {})
}

/// The calls of each port: its own calls, and every environment step and
/// source creation (they act on the source, whatever port watches it).
/// Each entry: the port, and indices into `calls`.
fn ports(calls: &[Call]) -> Vec<(u32, Vec<usize>)> {
    use parse::Op;
    let mut ids: Vec<u32> = calls.iter().map(|c| c.port).collect();
    ids.sort_unstable();
    ids.dedup();
    if ids.len() <= 1 {
        return vec![(
            ids.first().copied().unwrap_or(0),
            (0..calls.len()).collect(),
        )];
    }
    let shared = |c: &Call| {
        matches!(
            c.op,
            Op::AddSource { .. }
                | Op::Declare { .. }
                | Op::Raise { .. }
                | Op::Lower { .. }
                | Op::Complete { .. }
                | Op::StreamItem { .. }
                | Op::Close { .. }
                | Op::FutexWake { .. }
        )
    };
    ids.into_iter()
        .map(|p| {
            let mine = (0..calls.len())
                .filter(|&i| calls[i].port == p || shared(&calls[i]))
                .collect();
            (p, mine)
        })
        .collect()
}

/// [`verify`] with budgets and `progress(parts done, parts, configurations
/// explored)` after each part.
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_with(
    calls: &[Call],
    rules: &Rules,
    options: &Options,
    progress: impl FnMut(usize, usize, u64),
) -> Result<Report, VerifyError> {
    verify_since(calls, rules, options, Instant::now(), progress)
}

/// [`verify_with`] whose time budget counts from `start` (the command's
/// start: reading the history included, see [`read_text`]).
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_since(
    calls: &[Call],
    rules: &Rules,
    options: &Options,
    start: Instant,
    mut progress: impl FnMut(usize, usize, u64),
) -> Result<Report, VerifyError> {
    let budget = options.budget(start);
    // The parts' searches share their room until the check ends.
    let _room = room::ReleaseAtEnd;
    let mut report = Report {
        verdict: Verdict::Linearizable,
        profile: rules.name,
        calls: calls.len(),
        sources: 0,
        parts: 0,
        explored: 0,
        seconds: 0.0,
    };
    // Each port's calls and plan (shared by its parts), then every part:
    // first without its ops (a few words each), which are made one part
    // at a time just before its search, so that the check holds one
    // part's ops at once (see [`partition::Plan`]).
    let mut histories: Vec<Port> = Vec::new();
    let mut all_parts: Vec<(usize, partition::Part)> = Vec::new();
    for (port, idx) in ports(calls) {
        let sub: Cow<[Call]> = if idx.len() == calls.len() {
            Cow::Borrowed(calls)
        } else {
            Cow::Owned(idx.iter().map(|&i| calls[i].clone()).collect())
        };
        let planned = partition::Plan::new(&sub, true, &budget)
            .and_then(|plan| Ok((skeletons(&plan, &sub, None, &budget)?, plan)));
        match planned {
            Ok((mut parts, plan)) => {
                trim::trim(&mut parts, rules, budget.deadline, false);
                all_parts.extend(parts.into_iter().map(|p| (histories.len(), p)));
                histories.push((port, idx, sub, plan));
            }
            Err(e) => {
                report.verdict = Verdict::NoVerdict(build_no_verdict(e, report.explored)?);
                report.seconds = start.elapsed().as_secs_f64();
                return Ok(report);
            }
        }
    }
    report.parts = all_parts.len();
    report.sources = {
        let mut s: Vec<(usize, u32)> = all_parts.iter().map(|(h, p)| (*h, p.source)).collect();
        s.sort_unstable();
        s.dedup();
        s.len()
    };
    let n_parts = all_parts.len();
    // Split sources whose picking steps' attribution failed a group
    // (pass 1 of [`attribute`]): checked again relaxed at the end. Each:
    // its port's history, the source, the call it failed at, the group.
    let mut undecided: Vec<(usize, u32, usize, u32)> = Vec::new();
    for (done, (h, part)) in all_parts.into_iter().enumerate() {
        progress(done, n_parts, report.explored);
        let (_, idx, _, plan) = &histories[h];
        let attributed = plan.picking().get(&part.source).is_some_and(Result::is_ok);
        if attributed && undecided.iter().any(|u| (u.0, u.1) == (h, part.source)) {
            continue;
        }
        let group = part.group;
        match judge(&histories[h], part, rules, &budget, &mut report.explored)? {
            None => {}
            Some(Verdict::NotLinearizable(f)) if attributed => {
                undecided.push((
                    h,
                    f.source,
                    idx.iter().position(|&i| i == f.stuck).unwrap_or(0),
                    group,
                ));
            }
            Some(v) => {
                report.verdict = v;
                report.seconds = start.elapsed().as_secs_f64();
                return Ok(report);
            }
        }
    }
    // Pass 2: each undecided source's groups relaxed. A relaxed group that
    // fails refutes the history; else no verdict.
    for &(h, source, at, failed) in &undecided {
        histories[h].3.relax(source);
        let (_, idx, sub, plan) = &histories[h];
        let mut parts = match skeletons(plan, sub, Some(source), &budget) {
            Ok(p) => p,
            Err(e) => {
                report.verdict = Verdict::NoVerdict(build_no_verdict(e, report.explored)?);
                report.seconds = start.elapsed().as_secs_f64();
                return Ok(report);
            }
        };
        trim::trim(&mut parts, rules, budget.deadline, false);
        report.parts += parts.len();
        // The group that failed attributed first: the likeliest to refute.
        parts.sort_by_key(|p| p.group != failed);
        for part in parts {
            if let Some(v) = judge(&histories[h], part, rules, &budget, &mut report.explored)? {
                report.verdict = v;
                report.seconds = start.elapsed().as_secs_f64();
                return Ok(report);
            }
        }
        report.verdict = Verdict::NoVerdict(NoVerdict::Unrepresentable {
            call: idx[at],
            why: format!(
                "source {source} has more registrations alive at once than a model state holds (its completions or wakes pick one of them), so it was split into groups; with each completion or wake given to the group the history's events point to, a group is refused here, and with each given to any group none is: no attribution found makes every group linearize, none refutes the history"
            ),
        });
    }
    if undecided.is_empty() {
        for (_, idx, _, plan) in &histories {
            if let Some((_, Err((call, why)))) =
                plan.picking().into_iter().find(|(_, r)| r.is_err())
            {
                report.verdict = Verdict::NoVerdict(NoVerdict::Unrepresentable {
                    call: idx[call],
                    why: format!(
                        "a source with more registrations alive at once than a model state holds, whose completions or wakes pick one of them, was split into groups, but its steps could not be given to the groups ({why}); no group refutes the history"
                    ),
                });
                break;
            }
        }
    }
    report.seconds = start.elapsed().as_secs_f64();
    Ok(report)
}

/// A port's history: the port, its calls' indices into the whole history,
/// those calls, and their plan.
type Port<'a> = (u32, Vec<usize>, Cow<'a, [Call]>, partition::Plan);

/// The parts of `plan` (of `source` only, if given) without their ops,
/// each source's tape made.
fn skeletons(
    plan: &partition::Plan,
    sub: &[Call],
    source: Option<u32>,
    budget: &Budget,
) -> Result<Vec<partition::Part>, partition::BuildError> {
    let tape_ids: Vec<(u32, u32)> = plan
        .tape_sources()
        .into_iter()
        .filter(|s| source.is_none_or(|x| x == *s))
        .map(|s| (s, partition::TAPE))
        .collect();
    let tapes = plan
        .build(sub, &tape_ids, true, budget)?
        .into_iter()
        .map(|((s, _), ops)| (s, std::rc::Rc::new(ops)))
        .collect();
    Ok(plan
        .ids()
        .into_iter()
        .filter(|(s, _)| source.is_none_or(|x| x == *s))
        .filter_map(|(s, g)| plan.skeleton(s, g, &tapes))
        .collect())
}

/// Makes `part`'s ops and searches it: `None` if it linearizes, else the
/// verdict that ends the check (its failure, in the history's indices, or
/// why there is none).
fn judge(
    history: &Port,
    mut part: partition::Part,
    rules: &Rules,
    budget: &Budget,
    explored: &mut u64,
) -> Result<Option<Verdict>, VerifyError> {
    let (port, idx, sub, plan) = history;
    // The sweep reached this part's cut (its starts) or it keeps its
    // whole history.
    let use_cuts = !part.starts.is_empty();
    let id = (part.source, part.group);
    match plan.build(sub, &[id], use_cuts, budget) {
        Ok(mut ops) => part.ops = ops.remove(&id).unwrap_or_default(),
        Err(e) => return Ok(Some(Verdict::NoVerdict(build_no_verdict(e, *explored)?))),
    }
    // The part's ops count against the memory budget too.
    let budget = Budget {
        max_bytes: budget
            .max_bytes
            .map(|m| m.saturating_sub(partition::ops_bytes(&part.ops)).max(1)),
        ..*budget
    };
    let part = &part;
    let outcome = check_part(part, &part.ops, rules, false, budget).and_then(|out| {
        *explored += out.explored;
        if out.ok {
            Ok(None)
        } else {
            explain::explain(sub, part, rules, budget, out.frontier).map(Some)
        }
    });
    Ok(match outcome {
        Ok(None) => None,
        Ok(Some(mut f)) => {
            f.port = *port;
            f.stuck = idx[f.stuck];
            for w in f.window.iter_mut() {
                *w = idx[*w];
            }
            for l in f.longest.iter_mut() {
                l.call = idx[l.call];
            }
            for s in f.slots.iter_mut() {
                s.0 = idx[s.0];
            }
            Some(Verdict::NotLinearizable(Box::new(f)))
        }
        Err(stop) => Some(Verdict::NoVerdict(match stop {
            Stop::Time { explored: e } => {
                *explored += e;
                NoVerdict::Time {
                    explored: *explored,
                }
            }
            Stop::Memory { explored: e, bytes } => {
                *explored += e;
                NoVerdict::Memory { bytes }
            }
            Stop::Unrepresentable { call, why } => NoVerdict::Unrepresentable {
                call: idx[call],
                why,
            },
        })),
    })
}

/// Why splitting or building a part gave no verdict (a budget stopped
/// it), or the malformed line it found. Planning and building share it, so
/// both report a stop alike.
fn build_no_verdict(e: partition::BuildError, explored: u64) -> Result<NoVerdict, ParseError> {
    match e {
        partition::BuildError::Stop(Stop::Memory { bytes, .. }) => Ok(NoVerdict::Memory { bytes }),
        partition::BuildError::Stop(_) => Ok(NoVerdict::Time { explored }),
        partition::BuildError::Partition(partition::PartitionError::Malformed(e)) => Err(e),
    }
}

/// Parses and checks a history (text), without budgets. A construct the
/// model does not check gives [`NoVerdict::NotModelled`].
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_jsonl(text: &str, rules: &Rules) -> Result<Report, VerifyError> {
    verify_text(text, rules, &Options::default(), |_, _, _| {}).map(|(_, r)| r)
}

/// Parses and checks a history (text) with budgets; also returns the calls
/// (the report's indices point into them).
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_text(
    text: &str,
    rules: &Rules,
    options: &Options,
    progress: impl FnMut(usize, usize, u64),
) -> Result<(Vec<Call>, Report), VerifyError> {
    let parsed = parse_history(text, rules)?;
    if let Some(nm) = parsed.not_modelled {
        let report = Report::not_modelled(nm, rules.name, parsed.calls.len());
        return Ok((parsed.calls, report));
    }
    let report = verify_with(&parsed.calls, rules, options, progress)?;
    Ok((parsed.calls, report))
}
