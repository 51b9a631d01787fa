//! The corpus format: one TOML file per case (see `corpus/README.md`).
//!
//! A case names the real backing of its sources (`pipe`, `socket`,
//! `eventfd`, ...), the model's view of them (a [`SourceKind`] and a
//! [`Mode`], vocabulary of `onering_model`), the engines it runs on, and
//! either one list of `steps` (single-threaded: checked step by step against
//! the model) or several `[[thread]]` lists (recorded as a history and
//! checked by the history checker). A step may carry an exact expectation
//! after `->`; without one, whatever the profile allows is accepted.

use onering_model::{Mode, SourceKind};
use serde::Deserialize;
use std::fmt;
use std::time::Duration;

/// What backs each key of a case on a real kernel.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Backing {
    /// A pipe; the registered fd is the read end.
    Pipe,
    /// A Unix stream socket pair; the registered fd is one end.
    Socket,
    /// An eventfd.
    Eventfd,
    /// A timerfd; `raise` arms it to expire at once and waits for the expiry.
    Timerfd,
    /// A signalfd for SIGUSR2; `raise` sends it to the calling thread.
    Signalfd,
    /// inotify watching a fresh directory for `IN_CREATE`; `raise` creates a file.
    Inotify,
    /// A pidfd of a `sleep` child; `raise` kills the child.
    Pidfd,
    /// One shared futex word; every key is a wait on it.
    Futex,
    /// io_uring: a read of a pipe (`complete` writes to the pipe).
    Read,
    /// io_uring: a multishot read of a pipe (`stream_item` writes a chunk).
    ReadMulti,
    /// io_uring: a multishot accept (`stream_item` connects a client).
    AcceptMulti,
    /// io_uring: a timeout (`complete` posts another CQE to reach its count).
    Timeout,
}

impl Backing {
    /// Every backing.
    pub const ALL: [Backing; 12] = [
        Backing::Pipe,
        Backing::Socket,
        Backing::Eventfd,
        Backing::Timerfd,
        Backing::Signalfd,
        Backing::Inotify,
        Backing::Pidfd,
        Backing::Futex,
        Backing::Read,
        Backing::ReadMulti,
        Backing::AcceptMulti,
        Backing::Timeout,
    ];

    /// Name used in case files.
    pub fn name(self) -> &'static str {
        match self {
            Backing::Pipe => "pipe",
            Backing::Socket => "socket",
            Backing::Eventfd => "eventfd",
            Backing::Timerfd => "timerfd",
            Backing::Signalfd => "signalfd",
            Backing::Inotify => "inotify",
            Backing::Pidfd => "pidfd",
            Backing::Futex => "futex",
            Backing::Read => "read",
            Backing::ReadMulti => "read-multishot",
            Backing::AcceptMulti => "accept-multishot",
            Backing::Timeout => "timeout",
        }
    }

    fn from_name(s: &str) -> Option<Backing> {
        Self::ALL.into_iter().find(|b| b.name() == s)
    }

    /// Whether the backing is a pollable descriptor (epoll can watch it).
    pub fn is_fd(self) -> bool {
        !matches!(
            self,
            Backing::Futex
                | Backing::Read
                | Backing::ReadMulti
                | Backing::AcceptMulti
                | Backing::Timeout
        )
    }
}

/// How a `cancel` step asks.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CancelHow {
    /// The engine's default: `EPOLL_CTL_DEL`, `IORING_OP_ASYNC_CANCEL`, the
    /// Port's `Sync` (readiness) or `Async` (requests).
    Default,
    /// `IORING_OP_POLL_REMOVE`.
    PollRemove,
    /// `IORING_REGISTER_SYNC_CANCEL`.
    SyncRegister,
    /// The Port's `Reap`.
    Reap,
}

/// How long a wait may block.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum WaitFor {
    /// Never block.
    Poll,
    /// Block up to this long.
    For(Duration),
    /// Block until something is delivered.
    Block,
}

/// One step of a case.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Step {
    /// `register` / `submit` key `k` in the case's mode.
    Register(u8),
    /// `modify(k, mode)` (`EPOLL_CTL_MOD`).
    Modify(u8, Mode),
    /// `rearm(k)`.
    Rearm(u8),
    /// `cancel(k)`.
    Cancel(u8, CancelHow),
    /// A thread drains the source of `k`.
    Consume(u8),
    /// `wait(max, timeout)`.
    Wait(u8, WaitFor),
    /// Environment: wake the source of `k` (write a byte, signal, ...).
    Raise(u8),
    /// Environment: the condition of `k` drops (another reader drains it).
    Lower(u8),
    /// Environment: close the registered descriptor of `k`, keeping a dup
    /// of it open.
    Close(u8),
    /// Environment: an operation completes.
    Complete(u8),
    /// Environment: a multishot operation produces an item.
    StreamItem(u8),
    /// Environment: `futex_wake(n)`.
    FutexWake(u8),
    /// Environment: the futex word changes (a stale expected value).
    FutexChange,
    /// Pause the thread (steers interleavings; checks never rely on it).
    Sleep(Duration),
}

/// An exact expectation of a step's result, in the model's vocabulary.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Expect {
    /// A batch: `[k0:ready, k1:final, k0:item, k0:final(cancelled)]`.
    Events(Vec<(u8, onering_model::EventKind)>),
    /// A cancel's answer, by model name (`Removed`, `Cancelled`, ...).
    Answer(String),
    /// A count (futex waiters released).
    Count(u32),
    /// The call is refused.
    Refused,
    /// The call succeeded without a value (`ok`).
    Ok,
}

/// A step with its optional expectation.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct Line {
    /// The step.
    pub step: Step,
    /// What it must show, if the case says.
    pub expect: Option<Expect>,
}

/// An engine a case runs on.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EngineName {
    /// The model itself, under each other engine's profile.
    Model,
    /// `onering::Port` on the simulated backend (`unified`).
    Port,
    /// `onering::Port` on its Linux backend (`unified`).
    PortLinux,
    /// Raw epoll (`epoll`).
    Epoll,
    /// Raw io_uring (`io_uring`).
    Uring,
}

impl EngineName {
    /// Every engine.
    pub const ALL: [EngineName; 5] = [
        EngineName::Model,
        EngineName::Port,
        EngineName::PortLinux,
        EngineName::Epoll,
        EngineName::Uring,
    ];

    /// Command-line name.
    pub fn name(self) -> &'static str {
        match self {
            EngineName::Model => "model",
            EngineName::Port => "port",
            EngineName::PortLinux => "port-linux",
            EngineName::Epoll => "epoll",
            EngineName::Uring => "uring",
        }
    }

    /// The engine with this [`EngineName::name`].
    pub fn from_name(s: &str) -> Option<EngineName> {
        Self::ALL.into_iter().find(|e| e.name() == s)
    }

    /// The model profile the engine is judged by (`None` for the model,
    /// which runs under every other listed engine's profile).
    pub fn profile(self) -> Option<onering_model::Rules> {
        match self {
            EngineName::Model => None,
            EngineName::Port | EngineName::PortLinux => Some(onering_model::UNIFIED),
            EngineName::Epoll => Some(onering_model::EPOLL),
            EngineName::Uring => Some(onering_model::IO_URING),
        }
    }
}

impl fmt::Display for EngineName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A divergence the findings file explains.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pinned {
    /// The finding's id in FINDINGS.md (`F1`, `L2`, ...).
    pub finding: String,
    /// The engines that diverge.
    pub engines: Vec<EngineName>,
    /// io_uring set-ups that diverge (`None`: every set-up).
    pub setups: Option<Vec<crate::drivers::uring::Setup>>,
    /// The divergence depends on timing (a kernel thread racing the
    /// caller): a run that happens not to diverge passes. Otherwise a run
    /// that does not diverge fails loudly (the mechanism changed).
    pub sometimes: bool,
}

impl Pinned {
    /// Whether the pin covers `engine` under `setup`.
    pub fn covers(&self, engine: EngineName, setup: crate::drivers::uring::Setup) -> bool {
        self.engines.contains(&engine)
            && self
                .setups
                .as_ref()
                .is_none_or(|s| engine != EngineName::Uring || s.contains(&setup))
    }
}

/// What one mechanism does, exactly, where its profile allows several
/// outcomes (`[[kernel]]`): the corpus keeps the kernel's choice so that a
/// change of the kernel fails loudly ("VANISHED") although the profile
/// would still accept the new behaviour.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct KernelPin {
    /// The finding that describes the behaviour (`F3`, ...).
    pub finding: String,
    /// The engines and io_uring set-ups it is pinned on (`sometimes` is
    /// always false: a timing-dependent choice is not pinned).
    pub on: Pinned,
    /// (thread, 0-based step, what it must show).
    pub expect: Vec<(usize, usize, Expect)>,
}

/// A parsed case.
#[derive(Clone, Debug)]
pub struct Case {
    /// File stem.
    pub name: String,
    /// What the case shows.
    pub about: String,
    /// The real backing of every key.
    pub backing: Backing,
    /// The model's view of the source.
    pub kind: SourceKind,
    /// The registration mode.
    pub mode: Mode,
    /// Keys (each with its own source, except `futex`: one word).
    pub keys: u8,
    /// Engines the case runs on.
    pub engines: Vec<EngineName>,
    /// Expected divergences.
    pub pinned: Vec<Pinned>,
    /// The kernel's own choices among the outcomes the profile allows.
    pub kernel: Vec<KernelPin>,
    /// One script per thread (one thread: checked step by step).
    pub threads: Vec<Vec<Line>>,
    /// Multi-threaded cases: how many times to run (interleavings vary).
    pub repeat: u32,
    /// The profile the exact expectations are written for (`None`: every
    /// profile); under others the case checks whatever the profile allows.
    pub expect_profile: Option<String>,
    /// Multi-threaded cases: per profile, how many waits return an event
    /// (a direct check that holds for any number of threads).
    pub woken: std::collections::BTreeMap<String, u32>,
}

/// A malformed case file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CaseError {
    /// The case (file stem).
    pub case: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for CaseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "case {}: {}", self.case, self.message)
    }
}

impl std::error::Error for CaseError {}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawDivergence {
    finding: String,
    engines: Vec<String>,
    setups: Option<Vec<String>>,
    #[serde(default)]
    sometimes: bool,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawKernel {
    finding: String,
    engines: Vec<String>,
    setups: Option<Vec<String>>,
    /// `"STEP: EXPECT"` (thread 0) or `"THREAD.STEP: EXPECT"`, 1-based steps.
    expect: Vec<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany {
    One(RawDivergence),
    Many(Vec<RawDivergence>),
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawThread {
    steps: Vec<String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawCase {
    about: String,
    source: String,
    kind: String,
    mode: String,
    #[serde(default = "one")]
    keys: u8,
    engines: Vec<String>,
    divergence: Option<OneOrMany>,
    #[serde(default)]
    kernel: Vec<RawKernel>,
    #[serde(default)]
    steps: Vec<String>,
    #[serde(default)]
    thread: Vec<RawThread>,
    #[serde(default = "one_u32")]
    repeat: u32,
    expect_profile: Option<String>,
    #[serde(default)]
    woken: std::collections::BTreeMap<String, u32>,
}

fn one() -> u8 {
    1
}

fn one_u32() -> u32 {
    1
}

fn engine_list(v: &[String]) -> Result<Vec<EngineName>, String> {
    v.iter()
        .map(|e| {
            EngineName::from_name(e).ok_or_else(|| {
                format!("unknown engine `{e}`; expected model, port, port-linux, epoll or uring")
            })
        })
        .collect()
}

/// Parses a case from its TOML text.
pub fn parse_case(name: &str, text: &str) -> Result<Case, CaseError> {
    let err = |message: String| CaseError {
        case: name.to_string(),
        message,
    };
    let raw: RawCase = toml::from_str(text).map_err(|e| err(e.to_string()))?;
    let backing = Backing::from_name(&raw.source).ok_or_else(|| {
        let names: Vec<&str> = Backing::ALL.iter().map(|b| b.name()).collect();
        err(format!(
            "unknown source `{}`; expected one of {}",
            raw.source,
            names.join(", ")
        ))
    })?;
    let kind = SourceKind::from_name(&raw.kind)
        .ok_or_else(|| err(format!("unknown kind `{}`", raw.kind)))?;
    let mode =
        Mode::from_name(&raw.mode).ok_or_else(|| err(format!("unknown mode `{}`", raw.mode)))?;
    if raw.keys == 0 || raw.keys > onering_model::MAX_KEYS {
        return Err(err(format!(
            "keys = {} is outside 1..={}",
            raw.keys,
            onering_model::MAX_KEYS
        )));
    }
    let engines = engine_list(&raw.engines).map_err(err)?;
    if let Some(p) = &raw.expect_profile {
        if onering_model::profile(p).is_none() {
            return Err(err(format!("expect_profile `{p}` is not a profile")));
        }
    }
    let divs = match raw.divergence {
        None => Vec::new(),
        Some(OneOrMany::One(d)) => vec![d],
        Some(OneOrMany::Many(v)) => v,
    };
    let setup_list = |v: Option<Vec<String>>| -> Result<_, CaseError> {
        match v {
            None => Ok(None),
            Some(v) => Ok(Some(
                v.iter()
                    .map(|s| {
                        crate::drivers::uring::Setup::from_name(s)
                            .ok_or_else(|| err(format!("unknown set-up `{s}` in a divergence")))
                    })
                    .collect::<Result<Vec<_>, _>>()?,
            )),
        }
    };
    let mut pinned = Vec::new();
    for d in divs {
        let setups = setup_list(d.setups)?;
        pinned.push(Pinned {
            finding: d.finding,
            engines: engine_list(&d.engines).map_err(err)?,
            setups,
            sometimes: d.sometimes,
        });
    }
    let scripts: Vec<Vec<String>> = match (raw.steps.is_empty(), raw.thread.is_empty()) {
        (false, true) => vec![raw.steps],
        (true, false) => raw.thread.into_iter().map(|t| t.steps).collect(),
        _ => {
            return Err(err(
                "give either `steps` or `[[thread]]` lists, not both".into()
            ))
        }
    };
    let mut threads = Vec::new();
    for (t, script) in scripts.iter().enumerate() {
        let mut lines = Vec::new();
        for (i, s) in script.iter().enumerate() {
            let line = parse_line(s, raw.keys)
                .map_err(|m| err(format!("thread {t} step {}: `{s}`: {m}", i + 1)))?;
            lines.push(line);
        }
        threads.push(lines);
    }
    let mut kernel = Vec::new();
    for k in raw.kernel {
        let mut expect = Vec::new();
        for e in &k.expect {
            let bad = |m: &str| err(format!("kernel pin `{e}`: {m}"));
            let (at, what) = e
                .split_once(':')
                .ok_or_else(|| bad("expected `STEP: EXPECT` or `THREAD.STEP: EXPECT`"))?;
            let (t, i) = match at.trim().split_once('.') {
                Some((t, i)) => (t.parse::<usize>().ok(), i.parse::<usize>().ok()),
                None => (Some(0), at.trim().parse::<usize>().ok()),
            };
            let (Some(t), Some(i)) = (t, i) else {
                return Err(bad(
                    "the step is a 1-based number, optionally after `THREAD.`",
                ));
            };
            if t >= threads.len() || i == 0 || i > threads[t].len() {
                return Err(bad("no such step"));
            }
            expect.push((
                t,
                i - 1,
                parse_expect(what.trim(), raw.keys).map_err(|m| bad(&m))?,
            ));
        }
        kernel.push(KernelPin {
            finding: k.finding,
            on: Pinned {
                finding: String::new(),
                engines: engine_list(&k.engines).map_err(err)?,
                setups: setup_list(k.setups)?,
                sometimes: false,
            },
            expect,
        });
    }
    Ok(Case {
        name: name.to_string(),
        about: raw.about,
        backing,
        kind,
        mode,
        keys: raw.keys,
        engines,
        pinned,
        kernel,
        threads,
        repeat: raw.repeat.max(1),
        expect_profile: raw.expect_profile,
        woken: raw.woken,
    })
}

fn key(s: Option<&str>, keys: u8) -> Result<u8, String> {
    let s = s.ok_or("missing key (k0, k1, ...)")?;
    let k: u8 = s
        .strip_prefix('k')
        .and_then(|n| n.parse().ok())
        .ok_or_else(|| format!("`{s}` is not a key (k0, k1, ...)"))?;
    if k >= keys {
        return Err(format!("key k{k} but the case has {keys} key(s)"));
    }
    Ok(k)
}

fn duration(s: &str) -> Result<Duration, String> {
    s.strip_suffix("ms")
        .and_then(|n| n.parse().ok())
        .map(Duration::from_millis)
        .ok_or_else(|| format!("`{s}` is not a duration like 10ms"))
}

/// Parses one step line: `wait 4 poll -> [k0:ready]`.
pub fn parse_line(s: &str, keys: u8) -> Result<Line, String> {
    let (step, expect) = match s.split_once("->") {
        Some((a, b)) => (a.trim(), Some(parse_expect(b.trim(), keys)?)),
        None => (s.trim(), None),
    };
    let mut w = step.split_whitespace();
    let verb = w.next().ok_or("empty step")?;
    let a1 = w.next();
    let a2 = w.next();
    let step = match verb {
        "register" | "submit" => Step::Register(key(a1, keys)?),
        "modify" => Step::Modify(
            key(a1, keys)?,
            a2.and_then(Mode::from_name)
                .ok_or("modify needs a mode (level, edge, oneshot)")?,
        ),
        "rearm" => Step::Rearm(key(a1, keys)?),
        "cancel" => Step::Cancel(
            key(a1, keys)?,
            match a2 {
                None => CancelHow::Default,
                Some("poll-remove") => CancelHow::PollRemove,
                Some("sync-register") => CancelHow::SyncRegister,
                Some("reap") => CancelHow::Reap,
                Some(o) => {
                    return Err(format!(
                        "cancel how `{o}`; expected poll-remove, sync-register or reap"
                    ))
                }
            },
        ),
        "consume" => Step::Consume(key(a1, keys)?),
        "wait" => {
            let max: u8 = a1
                .and_then(|m| m.parse().ok())
                .filter(|m| (1..=onering_model::MAX_BATCH).contains(m))
                .ok_or("wait needs a max in 1..=4")?;
            let t = match a2 {
                Some("poll") => WaitFor::Poll,
                Some("block") => WaitFor::Block,
                Some(d) => WaitFor::For(duration(d)?),
                None => return Err("wait needs poll, block or a duration".into()),
            };
            Step::Wait(max, t)
        }
        "raise" => Step::Raise(key(a1, keys)?),
        "lower" => Step::Lower(key(a1, keys)?),
        "close" => Step::Close(key(a1, keys)?),
        "complete" => Step::Complete(key(a1, keys)?),
        "stream_item" => Step::StreamItem(key(a1, keys)?),
        "futex_wake" => Step::FutexWake(
            a1.and_then(|n| n.parse().ok())
                .filter(|n| *n >= 1)
                .ok_or("futex_wake needs n >= 1")?,
        ),
        "futex_change" => Step::FutexChange,
        "sleep" => Step::Sleep(duration(a1.ok_or("sleep needs a duration")?)?),
        other => return Err(format!("unknown step `{other}`")),
    };
    if w.next().is_some() {
        return Err("too many words".into());
    }
    Ok(Line { step, expect })
}

fn parse_expect(s: &str, keys: u8) -> Result<Expect, String> {
    use onering_model::{EventKind as K, Outcome};
    if s == "refused" {
        return Ok(Expect::Refused);
    }
    if s == "ok" {
        return Ok(Expect::Ok);
    }
    if let Some(inner) = s.strip_prefix('[').and_then(|r| r.strip_suffix(']')) {
        let mut evs = Vec::new();
        for e in inner.split(',').map(str::trim).filter(|e| !e.is_empty()) {
            let (k, kind) = e.split_once(':').ok_or("event needs k:kind")?;
            let kind = match kind {
                "ready" => K::Ready,
                "item" => K::Item,
                "final" => K::Final(Outcome::Done),
                "final(cancelled)" => K::Final(Outcome::Cancelled),
                o => return Err(format!("event kind `{o}`")),
            };
            evs.push((key(Some(k), keys)?, kind));
        }
        return Ok(Expect::Events(evs));
    }
    if let Ok(n) = s.parse() {
        return Ok(Expect::Count(n));
    }
    const ANSWERS: [&str; 7] = [
        "Removed",
        "Pending",
        "NotFound",
        "Cancelled",
        "InProgress",
        "TooLate",
        "Removed{completion:done}",
    ];
    if ANSWERS.contains(&s) {
        return Ok(Expect::Answer(s.to_string()));
    }
    Err(format!(
        "expectation `{s}`; expected [events], an answer name, a count or refused"
    ))
}

impl fmt::Display for Step {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Step::Register(k) => write!(f, "register k{k}"),
            Step::Modify(k, m) => write!(f, "modify k{k} {}", m.name()),
            Step::Rearm(k) => write!(f, "rearm k{k}"),
            Step::Cancel(k, how) => match how {
                CancelHow::Default => write!(f, "cancel k{k}"),
                CancelHow::PollRemove => write!(f, "cancel k{k} poll-remove"),
                CancelHow::SyncRegister => write!(f, "cancel k{k} sync-register"),
                CancelHow::Reap => write!(f, "cancel k{k} reap"),
            },
            Step::Consume(k) => write!(f, "consume k{k}"),
            Step::Wait(m, WaitFor::Poll) => write!(f, "wait {m} poll"),
            Step::Wait(m, WaitFor::Block) => write!(f, "wait {m} block"),
            Step::Wait(m, WaitFor::For(d)) => write!(f, "wait {m} {}ms", d.as_millis()),
            Step::Raise(k) => write!(f, "raise k{k}"),
            Step::Lower(k) => write!(f, "lower k{k}"),
            Step::Close(k) => write!(f, "close k{k}"),
            Step::Complete(k) => write!(f, "complete k{k}"),
            Step::StreamItem(k) => write!(f, "stream_item k{k}"),
            Step::FutexWake(n) => write!(f, "futex_wake {n}"),
            Step::FutexChange => write!(f, "futex_change"),
            Step::Sleep(d) => write!(f, "sleep {}ms", d.as_millis()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_step_line_reads_back_as_written() {
        for s in [
            "register k1",
            "modify k0 oneshot",
            "cancel k0 poll-remove",
            "cancel k1 sync-register",
            "wait 4 poll",
            "wait 2 15ms",
            "futex_wake 3",
            "sleep 5ms",
        ] {
            assert_eq!(parse_line(s, 2).unwrap().step.to_string(), s);
        }
    }

    #[test]
    fn expectations_parse_in_the_model_vocabulary() {
        let l = parse_line("wait 4 poll -> [k0:ready, k1:final(cancelled)]", 2).unwrap();
        assert_eq!(
            l.expect,
            Some(Expect::Events(vec![
                (0, onering_model::EventKind::Ready),
                (
                    1,
                    onering_model::EventKind::Final(onering_model::Outcome::Cancelled)
                ),
            ]))
        );
        assert_eq!(
            parse_line("cancel k0 -> TooLate", 1).unwrap().expect,
            Some(Expect::Answer("TooLate".into()))
        );
    }

    #[test]
    fn malformed_steps_say_what_is_wrong() {
        assert!(parse_line("register k2", 2)
            .unwrap_err()
            .contains("has 2 key(s)"));
        assert!(parse_line("wait 9 poll", 1).unwrap_err().contains("1..=4"));
        assert!(parse_line("cancel k0 nicely", 1)
            .unwrap_err()
            .contains("poll-remove"));
        assert!(parse_line("wait 1 poll -> [k0:maybe]", 1).is_err());
    }

    #[test]
    fn a_case_with_an_unknown_field_is_refused() {
        let e = parse_case(
            "x",
            "about = \"\"\nsource = \"pipe\"\nkind = \"level\"\nmode = \"level\"\nengines = [\"epoll\"]\nsteps = []\ncolour = 1\n",
        )
        .unwrap_err();
        assert!(e.message.contains("colour"), "{e}");
    }
}
