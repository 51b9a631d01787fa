//! # onering-corpus: one corpus of rule cases for every engine
//!
//! (and, in [`workload`], the one generator of random workloads.)
//!
//! In the style of regex-automata's one test corpus: the rule cases live as
//! data (`corpus/rules/*.toml`), written in the model's vocabulary
//! (`onering-model`), and each engine has one runner that drives its own
//! implementation through every case it can express:
//!
//! * the model: `model/tests/corpus.rs` applies each step with
//!   `Model::apply` and keeps every state consistent with what was shown;
//! * the reference Port on the simulated backend: `impl/tests/corpus.rs`
//!   makes the same calls on a `Port` and compares what it returned.
//!
//! ## A case
//!
//! ```toml
//! [[case]]
//! name = "unified_dispatch_rearms_at_the_holders_next_wait"  # the rule it pins
//! profile = "unified"                  # a profile or spec mutant name
//! scenario = "level/dispatch"          # source kind / mode of every key
//! threads = 2                          # default 2
//! keys = 1                             # default 1
//! engines = ["model", "port"]          # default: both for unified, else model
//! also = ["dispatch_rearmed_at_next_wait"]  # older test names it replaces
//! steps = [
//!   "raise k0",
//!   "T0 wait 1 -> [k0:ready]",
//!   "k0 is Disarmed",
//!   "T0 wait 1 -> [k0:ready] ?rearm-rechecks-level",
//! ]
//! ```
//!
//! Every key starts registered (or submitted) in the scenario's mode, as the
//! model's initial state has it. A step is `[Tn] op args [-> expectation]`:
//!
//! * thread operations (`Tn` first): `wait MAX`, `wait-block MAX`,
//!   `harvest`, `timeout`, `register kN`, `modify kN MODE`, `rearm kN`,
//!   `cancel kN sync|async|reap`, `consume kN`, `answer` (an asynchronous
//!   cancel's answer arrives);
//! * environment and kernel steps: `raise kN`, `lower kN`, `complete kN`,
//!   `item kN`, `close kN`, `futex_wake N`, `post_final kN`;
//! * a state check: `kN is REG` (a [`Reg`] name: `Free`, `Armed`, ...);
//! * a queue check, model only: `queue [k0:ready ...]` (the whole ready
//!   queue, front first).
//!
//! An expectation is any of: a batch `[k0:ready k1:item k0:final
//! k1:final(cancelled)]`; a cancel answer (an [`Answer`] name, `Removed`,
//! `Pending`, `NotFound`, `Removed{completion:done}`, ...); `refused` (no
//! step at all: a precondition or rule refuses the call); `parks` (a blocking
//! wait parks); `released N` (futex waiters released); and, judged by the
//! model only: `!property` (the step violates it), `?property` (witnesses
//! it), `!!property` (the state after the step violates it), `ok` (violates
//! nothing), `says=WORD` (the mechanism's own word for the answer,
//! `Rules::answer_name`), `woke=Tn` (the step woke thread n), `outcomes=N`
//! (how many nondeterministic outcomes the step has before the expectation
//! picks among them).

use std::fmt;

pub mod workload;

use onering_model::{profile, Action, Answer, CancelMode, EventKind, Mode, Outcome, Property};
use onering_model::{Reg, Rules, Scenario, SourceKind};
use serde::Deserialize;

/// The corpus files, in the order they are run.
const FILES: &[(&str, &str)] = &[
    ("delivery.toml", include_str!("../rules/delivery.toml")),
    ("cancel.toml", include_str!("../rules/cancel.toml")),
    ("operations.toml", include_str!("../rules/operations.toml")),
    ("profiles.toml", include_str!("../rules/profiles.toml")),
];

/// What a wait returns or the queue holds: (key, kind), front first.
pub type Batch = Vec<(u8, EventKind)>;

/// An engine a case runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Engine {
    /// `onering_model::Model::apply`.
    Model,
    /// `onering::Port` on the simulated backend.
    Port,
}

/// One rule case.
#[derive(Clone, Debug)]
pub struct Case {
    /// The rule it pins (also the name a failure prints).
    pub name: String,
    /// Where it was read from.
    pub file: &'static str,
    /// The profile's rules.
    pub rules: Rules,
    /// The source kind and mode of every key.
    pub scenario: Scenario,
    /// Threads.
    pub threads: u8,
    /// Keys.
    pub keys: u8,
    /// The engines that run it.
    pub engines: Vec<Engine>,
    /// Names of the older per-engine tests this case replaces, where they
    /// differ from `name` (kept so the rule can be found by either name).
    pub also: Vec<String>,
    /// The steps, in order.
    pub steps: Vec<Line>,
}

/// One line of a case.
#[derive(Clone, Debug, PartialEq)]
pub enum Line {
    /// Take a step and check what it showed.
    Step {
        /// The step, in the model's vocabulary.
        action: Action,
        /// What it must show.
        expect: Expect,
        /// The line as written.
        text: String,
    },
    /// Model only: the ready queue is exactly this, front first.
    Queue {
        /// The entries (key, kind).
        entries: Batch,
        /// The line as written.
        text: String,
    },
    /// The registration under `key` is in `reg`.
    Is {
        /// The key.
        key: u8,
        /// Its expected state.
        reg: Reg,
        /// The line as written.
        text: String,
    },
}

/// What a step must show.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Expect {
    /// The wait returned exactly this batch (key, kind).
    pub batch: Option<Batch>,
    /// The cancel answered this.
    pub answer: Option<Answer>,
    /// No step at all.
    pub refused: bool,
    /// The blocking wait parked.
    pub parks: bool,
    /// Futex waiters released.
    pub released: Option<u8>,
    /// Model only: properties the step violates.
    pub violates: Vec<Property>,
    /// Model only: properties the step witnesses.
    pub witnesses: Vec<Property>,
    /// Model only: the number of outcomes before the expectation picks.
    pub outcomes: Option<usize>,
    /// Model only: properties the state after the step violates.
    pub state_violates: Vec<Property>,
    /// Model only: the step violates no property.
    pub ok: bool,
    /// Model only: the mechanism's own word for the answer.
    pub says: Option<String>,
    /// Model only: the thread the step woke.
    pub woke: Option<u8>,
}

/// A malformed corpus line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CorpusError {
    /// File and case.
    pub at: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CorpusError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.at, self.message)
    }
}

impl std::error::Error for CorpusError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    case: Vec<RawCase>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    name: String,
    profile: String,
    scenario: String,
    threads: Option<u8>,
    keys: Option<u8>,
    engines: Option<Vec<String>>,
    also: Option<Vec<String>>,
    steps: Vec<String>,
}

/// Every case of the corpus.
///
/// # Errors
///
/// A malformed file or line, naming the file, case and line.
pub fn cases() -> Result<Vec<Case>, CorpusError> {
    let mut out = Vec::new();
    for (file, text) in FILES {
        let f: File = toml::from_str(text).map_err(|e| CorpusError {
            at: (*file).to_string(),
            message: e.to_string(),
        })?;
        for raw in f.case {
            out.push(parse_case(file, raw)?);
        }
    }
    Ok(out)
}

fn parse_case(file: &'static str, raw: RawCase) -> Result<Case, CorpusError> {
    let at = format!("{file}: case {}", raw.name);
    let err = |message: String| CorpusError {
        at: at.clone(),
        message,
    };
    let rules =
        profile(&raw.profile).ok_or_else(|| err(format!("unknown profile `{}`", raw.profile)))?;
    let (source, mode) = raw
        .scenario
        .split_once('/')
        .ok_or_else(|| err(format!("scenario `{}` is not source/mode", raw.scenario)))?;
    let source = SourceKind::from_name(source)
        .ok_or_else(|| err(format!("unknown source kind `{source}`")))?;
    let mode = Mode::from_name(mode).ok_or_else(|| err(format!("unknown mode `{mode}`")))?;
    let engines = match raw.engines {
        None if rules.name == "unified" => vec![Engine::Model, Engine::Port],
        None => vec![Engine::Model],
        Some(v) => v
            .iter()
            .map(|e| match e.as_str() {
                "model" => Ok(Engine::Model),
                "port" => Ok(Engine::Port),
                other => Err(err(format!(
                    "unknown engine `{other}`; expected model or port"
                ))),
            })
            .collect::<Result<_, _>>()?,
    };
    let mut steps = Vec::new();
    for (i, text) in raw.steps.iter().enumerate() {
        steps.push(parse_line(text).map_err(|m| err(format!("step {} `{text}`: {m}", i + 1)))?);
    }
    Ok(Case {
        name: raw.name,
        file,
        rules,
        scenario: Scenario::new(source, mode),
        threads: raw.threads.unwrap_or(2),
        keys: raw.keys.unwrap_or(1),
        engines,
        also: raw.also.unwrap_or_default(),
        steps,
    })
}

fn key(tok: Option<&str>) -> Result<u8, String> {
    let tok = tok.ok_or("missing key (k0, k1, ...)")?;
    tok.strip_prefix('k')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("`{tok}` is not a key (k0, k1, ...)"))
}

fn number(tok: Option<&str>) -> Result<u8, String> {
    let tok = tok.ok_or("missing number")?;
    tok.parse().map_err(|_| format!("`{tok}` is not a number"))
}

const REGS: [Reg; 7] = [
    Reg::Free,
    Reg::Armed,
    Reg::Disarmed,
    Reg::CancelPending,
    Reg::Closed,
    Reg::InFlight,
    Reg::Finishing,
];

const ANSWERS: [Answer; 8] = [
    Answer::Removed,
    Answer::RemovedWith(Outcome::Done),
    Answer::RemovedWith(Outcome::Cancelled),
    Answer::Pending,
    Answer::NotFound,
    Answer::Cancelled,
    Answer::InProgress,
    Answer::TooLate,
];

fn parse_line(text: &str) -> Result<Line, String> {
    let (call, expect) = match text.split_once("->") {
        Some((c, e)) => (c, Some(e)),
        None => (text, None),
    };
    let mut toks = call.split_whitespace().peekable();
    let first = *toks.peek().ok_or("empty step")?;
    if first == "queue" {
        let entries = parse_batch(call.trim().trim_start_matches("queue").trim())?.0;
        return Ok(Line::Queue {
            entries,
            text: text.to_string(),
        });
    }
    if first.starts_with('k') && call.contains(" is ") {
        let k = key(toks.next())?;
        toks.next();
        let name = toks.next().ok_or("missing state")?;
        let reg = REGS
            .into_iter()
            .find(|r| format!("{r:?}") == name)
            .ok_or_else(|| format!("unknown state `{name}`; expected one of {REGS:?}"))?;
        return Ok(Line::Is {
            key: k,
            reg,
            text: text.to_string(),
        });
    }
    let thread = match first.strip_prefix('T').and_then(|n| n.parse::<u8>().ok()) {
        Some(t) => {
            toks.next();
            Some(t)
        }
        None => None,
    };
    let op = toks.next().ok_or("missing operation")?;
    let t = || thread.ok_or_else(|| format!("`{op}` is a thread operation: write `T0 {op} ...`"));
    let action = match op {
        "wait" | "wait-block" => Action::Wait {
            thread: t()?,
            max: number(toks.next())?,
            block: op == "wait-block",
        },
        "harvest" => Action::Harvest { thread: t()? },
        "timeout" => Action::Timeout { thread: t()? },
        "answer" => Action::CancelReturn { thread: t()? },
        "register" => Action::Register {
            thread: t()?,
            key: key(toks.next())?,
        },
        "modify" => {
            let thread = t()?;
            let key = key(toks.next())?;
            let m = toks.next().ok_or("missing mode")?;
            let mode = Mode::from_name(m).ok_or_else(|| format!("unknown mode `{m}`"))?;
            Action::Modify { thread, key, mode }
        }
        "rearm" => Action::Rearm {
            thread: t()?,
            key: key(toks.next())?,
        },
        "cancel" => {
            let thread = t()?;
            let key = key(toks.next())?;
            let mode = match toks.next() {
                Some("sync") => CancelMode::Sync,
                Some("async") => CancelMode::Async,
                Some("reap") => CancelMode::Reap,
                other => {
                    return Err(format!(
                        "cancel mode {other:?}; expected sync, async or reap"
                    ))
                }
            };
            Action::Cancel { thread, key, mode }
        }
        "consume" => Action::Consume {
            thread: t()?,
            key: key(toks.next())?,
        },
        "raise" => Action::Raise {
            key: key(toks.next())?,
        },
        "lower" => Action::Lower {
            key: key(toks.next())?,
        },
        "complete" => Action::Complete {
            key: key(toks.next())?,
        },
        "item" => Action::StreamItem {
            key: key(toks.next())?,
        },
        "close" => Action::Close {
            key: key(toks.next())?,
        },
        "post_final" => Action::PostFinal {
            key: key(toks.next())?,
        },
        "futex_wake" => Action::FutexWake {
            n: number(toks.next())?,
        },
        other => return Err(format!("unknown operation `{other}`")),
    };
    if let Some(extra) = toks.next() {
        return Err(format!("unexpected `{extra}`"));
    }
    // A timeout expiring is an environment step of one thread's wait.
    if thread.is_some() && action.thread().is_none() && !matches!(action, Action::Timeout { .. }) {
        return Err(format!("`{op}` is an environment step: no thread"));
    }
    Ok(Line::Step {
        action,
        expect: match expect {
            Some(e) => parse_expect(e)?,
            None => Expect::default(),
        },
        text: text.to_string(),
    })
}

fn parse_batch(text: &str) -> Result<(Batch, &str), String> {
    let open = text.strip_prefix('[').ok_or("expected `[`")?;
    let (inside, after) = open.split_once(']').ok_or("batch without `]`")?;
    let mut batch = Vec::new();
    for entry in inside.split([' ', ',']).filter(|s| !s.is_empty()) {
        let (k, kind) = entry
            .split_once(':')
            .ok_or_else(|| format!("batch entry `{entry}` is not kN:kind"))?;
        let kind = match kind {
            "ready" => EventKind::Ready,
            "item" => EventKind::Item,
            "final" => EventKind::Final(Outcome::Done),
            "final(cancelled)" => EventKind::Final(Outcome::Cancelled),
            other => {
                return Err(format!(
                    "event kind `{other}`; expected ready, item, final or final(cancelled)"
                ))
            }
        };
        batch.push((key(Some(k))?, kind));
    }
    Ok((batch, after))
}

fn parse_expect(text: &str) -> Result<Expect, String> {
    let mut e = Expect::default();
    let mut rest = text.trim();
    if rest.starts_with('[') {
        let (batch, after) = parse_batch(rest)?;
        e.batch = Some(batch);
        rest = after;
    }
    let mut toks = rest.split_whitespace();
    while let Some(tok) = toks.next() {
        let property =
            |p: &str| Property::from_id(p).ok_or_else(|| format!("unknown property `{p}`"));
        if let Some(p) = tok.strip_prefix("!!") {
            e.state_violates.push(property(p)?);
        } else if let Some(p) = tok.strip_prefix('!') {
            e.violates
                .push(Property::from_id(p).ok_or_else(|| format!("unknown property `{p}`"))?);
        } else if let Some(p) = tok.strip_prefix('?') {
            e.witnesses
                .push(Property::from_id(p).ok_or_else(|| format!("unknown property `{p}`"))?);
        } else if let Some(n) = tok.strip_prefix("outcomes=") {
            e.outcomes = Some(n.parse().map_err(|_| format!("`{n}` is not a number"))?);
        } else if let Some(w) = tok.strip_prefix("says=") {
            e.says = Some(w.to_string());
        } else if let Some(t) = tok.strip_prefix("woke=T") {
            e.woke = Some(t.parse().map_err(|_| format!("`{tok}` is not woke=Tn"))?);
        } else if tok == "ok" {
            e.ok = true;
        } else if tok == "refused" {
            e.refused = true;
        } else if tok == "parks" {
            e.parks = true;
        } else if tok == "released" {
            e.released = Some(number(toks.next())?);
        } else if let Some(a) = ANSWERS.into_iter().find(|a| a.name() == tok) {
            e.answer = Some(a);
        } else {
            return Err(format!("unknown expectation `{tok}`"));
        }
    }
    Ok(e)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_corpus_parses() {
        let cases = cases().unwrap_or_else(|e| panic!("{e}"));
        assert!(cases.len() > 20);
    }

    #[test]
    fn a_malformed_line_names_the_case_and_step() {
        let raw = RawCase {
            name: "x".into(),
            profile: "unified".into(),
            scenario: "level/dispatch".into(),
            threads: None,
            keys: None,
            engines: None,
            also: None,
            steps: vec!["T0 wiat 1".into()],
        };
        let e = parse_case("f.toml", raw).unwrap_err();
        assert_eq!(e.at, "f.toml: case x");
        assert!(
            e.message
                .contains("step 1 `T0 wiat 1`: unknown operation `wiat`"),
            "{e}"
        );
    }
}
