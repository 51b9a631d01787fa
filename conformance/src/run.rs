//! Running cases: one case file against one engine, single-threaded (step
//! by step against the model) or multi-threaded (a recorded history through
//! the history checker), and the verdict, including expected divergences.

use crate::case::{parse_case, Case, CaseError, EngineName, Expect, Line, Step};
use crate::checker::{self, HistoryVerdict};
use crate::engine::{self, Engine, EngineError, Setup};
use crate::observe::Observed;
use crate::record::Recorder;
use crate::stepper::Stepper;
use onering_model::{Model, Rules, Scenario};
use std::path::Path;
use std::time::Instant;

/// How one run of a case ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Verdict {
    /// Every observation is allowed by the profile (and matches the case's
    /// exact expectations).
    Pass,
    /// The divergence the case pins, explained by this finding.
    Expected(String),
    /// A divergence nobody explained: a finding to make.
    Divergence(Report),
    /// The case pins a divergence that did not happen: the kernel (or the
    /// profile) changed; the finding must be revisited.
    Vanished(String),
    /// The case does not apply to this engine (not a result).
    NotApplicable(String),
    /// The engine could not be built or a step failed to run.
    Error(String),
}

impl Verdict {
    /// Whether the run demands attention (exit 1).
    pub fn fails(&self) -> bool {
        matches!(
            self,
            Verdict::Divergence(_) | Verdict::Vanished(_) | Verdict::Error(_)
        )
    }
}

/// What a divergence shows.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Report {
    /// One line: what diverged.
    pub summary: String,
    /// The steps as run, with what each showed (single-threaded), or the
    /// checker's timeline (multi-threaded).
    pub transcript: Vec<String>,
    /// The recorded history (multi-threaded), JSON Lines.
    pub history: Option<String>,
    /// A direct count check failed: no pinned finding covers it.
    pub hard: bool,
    /// Single-threaded: the step that diverged, what it showed, and what
    /// the profile allowed instead (empty: an exact expectation failed).
    pub at: Option<(crate::case::Step, Observed, Vec<String>)>,
}

/// One run of one case on one engine.
#[derive(Clone, Debug)]
pub struct CaseRun {
    /// The case's name.
    pub case: String,
    /// Which engine (`model(epoll)`, `uring/defer`, ...).
    pub engine: String,
    /// The verdict.
    pub verdict: Verdict,
    /// io_uring cancels: how often the target's CQE came first / the
    /// cancel's CQE came first.
    pub cancel_orders: (u32, u32),
    /// Seconds spent.
    pub seconds: f64,
}

/// Loads every `*.toml` under `dir`, sorted by name.
pub fn load_corpus(dir: &Path) -> Result<Vec<Case>, CaseError> {
    let err = |m: String| CaseError {
        case: dir.display().to_string(),
        message: m,
    };
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .map_err(|e| err(e.to_string()))?
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "toml"))
        .collect();
    files.sort();
    files
        .iter()
        .map(|p| {
            let name = p
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let text = std::fs::read_to_string(p).map_err(|e| err(e.to_string()))?;
            parse_case(&name, &text)
        })
        .collect()
}

/// The committed corpus (`conformance/corpus/`).
pub fn corpus_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("corpus")
}

/// The profiles a case is run under on `engine`: its own, or for the model
/// engine every other listed engine's.
pub fn profiles_for(case: &Case, engine: EngineName) -> Vec<Rules> {
    match engine.profile() {
        Some(r) => vec![r],
        None => {
            let mut v: Vec<Rules> = Vec::new();
            for e in &case.engines {
                if let Some(r) = e.profile() {
                    if !v.iter().any(|x| x.name == r.name) {
                        v.push(r);
                    }
                }
            }
            v
        }
    }
}

fn label(engine: EngineName, rules: &Rules, setup: Setup) -> String {
    match engine {
        EngineName::Model => format!("model({})", rules.name),
        EngineName::Uring => format!("uring/{}", setup.name()),
        e => e.name().to_string(),
    }
}

/// Runs `case` on `engine` (every profile it applies under).
pub fn run_case(case: &Case, engine: EngineName, setup: Setup) -> Vec<CaseRun> {
    profiles_for(case, engine)
        .into_iter()
        .map(|rules| {
            let start = Instant::now();
            let (verdict, cancel_orders, seen) = run_once(case, engine, setup, rules);
            let verdict = pin(case, engine, setup, verdict);
            let verdict = kernel_pins(case, engine, setup, verdict, &seen);
            CaseRun {
                case: case.name.clone(),
                engine: label(engine, &rules, setup),
                verdict,
                cancel_orders,
                seconds: start.elapsed().as_secs_f64(),
            }
        })
        .collect()
}

/// Applies the case's pinned divergence.
fn pin(case: &Case, engine: EngineName, setup: Setup, v: Verdict) -> Verdict {
    let Some(p) = case.pinned.iter().find(|p| p.covers(engine, setup)) else {
        return v;
    };
    match v {
        Verdict::Divergence(r) if r.hard => Verdict::Divergence(r),
        Verdict::Divergence(_) => Verdict::Expected(p.finding.clone()),
        Verdict::Pass if p.sometimes => Verdict::Pass,
        Verdict::Pass => Verdict::Vanished(format!(
            "{} expects the divergence of {} on {}, and it did not happen: the mechanism changed; revisit the finding",
            case.name, p.finding, engine
        )),
        other => other,
    }
}

/// What each step showed, per repetition: `seen[r][thread][step]`.
type Seen = Vec<Vec<Vec<Observed>>>;

/// Checks the case's `[[kernel]]` pins on a run the profile accepted: the
/// kernel's own choice among the outcomes the profile allows. A different
/// choice fails loudly ("VANISHED"): the mechanism changed.
fn kernel_pins(case: &Case, engine: EngineName, setup: Setup, v: Verdict, seen: &Seen) -> Verdict {
    if v != Verdict::Pass {
        return v;
    }
    for p in case.kernel.iter().filter(|p| p.on.covers(engine, setup)) {
        for (r, run) in seen.iter().enumerate() {
            for (t, i, want) in &p.expect {
                let Some(got) = run.get(*t).and_then(|th| th.get(*i)) else {
                    continue;
                };
                if !meets(want, got) {
                    return Verdict::Vanished(format!(
                        "{}: {} pins what this kernel does (run {}, thread {t} step {} `{}`: {want:?}), and it showed {got}: the mechanism changed; revisit the finding",
                        case.name,
                        p.finding,
                        r + 1,
                        i + 1,
                        case.threads[*t][*i].step
                    ));
                }
            }
        }
    }
    Verdict::Pass
}

fn run_once(
    case: &Case,
    engine: EngineName,
    setup: Setup,
    rules: Rules,
) -> (Verdict, (u32, u32), Seen) {
    let eng = match engine::build(engine, case, setup, rules) {
        Ok(e) => e,
        Err(EngineError::NotApplicable(m)) => {
            return (Verdict::NotApplicable(m), (0, 0), Vec::new())
        }
        Err(e) => return (Verdict::Error(e.to_string()), (0, 0), Vec::new()),
    };
    if case.threads.len() == 1 {
        let (v, o, seen) = single_seen(case, &case.threads[0], &*eng, rules);
        (v, o, vec![vec![seen]])
    } else {
        let mut orders = (0, 0);
        let mut fresh;
        let mut current: &dyn Engine = &*eng;
        let mut seen = Vec::new();
        for r in 0..case.repeat {
            if r > 0 {
                // A fresh engine per repetition: interleavings vary.
                fresh = match engine::build(engine, case, setup, rules) {
                    Ok(e) => e,
                    Err(e) => return (Verdict::Error(e.to_string()), orders, seen),
                };
                current = &*fresh;
            }
            let (v, o, s) = multi_seen(case, current, rules);
            orders.0 += o.0;
            orders.1 += o.1;
            seen.push(s);
            if v != Verdict::Pass {
                return (v, orders, seen);
            }
        }
        (Verdict::Pass, orders, seen)
    }
}

/// Whether the case's exact expectations apply under `rules`.
fn exact(case: &Case, rules: &Rules) -> bool {
    case.expect_profile
        .as_deref()
        .is_none_or(|p| p == rules.name)
}

/// Whether `obs` meets an exact expectation.
fn meets(expect: &Expect, obs: &Observed) -> bool {
    match (expect, obs) {
        (Expect::Events(want), Observed::Events(got)) => {
            want.len() == got.len()
                && want
                    .iter()
                    .zip(got)
                    .all(|((k, kind), e)| *k == e.key && *kind == e.kind)
        }
        (Expect::Answer(name), Observed::Answer { answer, .. }) => answer.name() == name,
        (Expect::Count(n), Observed::Count(m)) => n == m,
        (Expect::Refused, Observed::Refused(_)) => true,
        (Expect::Ok, Observed::Ok) => true,
        _ => false,
    }
}

fn count_order(obs: &Observed, orders: &mut (u32, u32)) {
    if let Observed::Answer {
        final_first: Some(f),
        ..
    } = obs
    {
        if *f {
            orders.0 += 1;
        } else {
            orders.1 += 1;
        }
    }
}

/// Runs a single-threaded script, checking each step.
pub fn single(case: &Case, eng: &dyn Engine, rules: Rules) -> (Verdict, (u32, u32)) {
    single_lines(case, &case.threads[0], eng, rules)
}

/// [`single`] over any list of lines (generated cases use it).
pub fn single_lines(
    case: &Case,
    lines: &[Line],
    eng: &dyn Engine,
    rules: Rules,
) -> (Verdict, (u32, u32)) {
    let (v, o, _) = single_seen(case, lines, eng, rules);
    (v, o)
}

/// [`single_lines`], also returning what each step showed.
fn single_seen(
    case: &Case,
    lines: &[Line],
    eng: &dyn Engine,
    rules: Rules,
) -> (Verdict, (u32, u32), Vec<Observed>) {
    let mut seen = Vec::new();
    let (v, o) = single_inner(case, lines, eng, rules, &mut seen);
    (v, o, seen)
}

fn single_inner(
    case: &Case,
    lines: &[Line],
    eng: &dyn Engine,
    rules: Rules,
    seen: &mut Vec<Observed>,
) -> (Verdict, (u32, u32)) {
    let mut stepper = match Stepper::new(rules, case.kind, case.mode, case.keys) {
        Ok(s) => s,
        Err(e) => return (Verdict::Error(e.to_string()), (0, 0)),
    };
    let mut transcript = Vec::new();
    let mut orders = (0, 0);
    for (i, line) in lines.iter().enumerate() {
        let obs = eng.step(0, &line.step);
        seen.push(obs.clone());
        count_order(&obs, &mut orders);
        transcript.push(format!(
            "{:>2}. {:<24} -> {obs}",
            i + 1,
            line.step.to_string()
        ));
        if let Some(exp) = line.expect.as_ref().filter(|_| exact(case, &rules)) {
            if !meets(exp, &obs) {
                return (
                    Verdict::Divergence(Report {
                        summary: format!(
                            "step {} `{}`: the case expects {exp:?}, the engine showed {obs}",
                            i + 1,
                            line.step
                        ),
                        transcript,
                        history: None,
                        hard: false,
                        at: Some((line.step.clone(), obs.clone(), Vec::new())),
                    }),
                    orders,
                );
            }
        }
        if let Err(m) = stepper.step(&line.step, &obs) {
            return (
                Verdict::Divergence(Report {
                    summary: format!(
                        "step {} `{}` showed {obs}; the {} profile allows only: {}",
                        i + 1,
                        line.step,
                        rules.name,
                        m.allowed.join(" | ")
                    ),
                    transcript,
                    history: None,
                    hard: false,
                    at: Some((line.step.clone(), obs.clone(), m.allowed.clone())),
                }),
                orders,
            );
        }
    }
    (Verdict::Pass, orders)
}

/// Runs every thread's script concurrently, records the history and checks
/// it. Thread 0 runs on the calling thread (io_uring's single issuer is the
/// thread that built the ring).
pub fn multi(case: &Case, eng: &dyn Engine, rules: Rules) -> (Verdict, (u32, u32)) {
    let (v, o, _) = multi_seen(case, eng, rules);
    (v, o)
}

/// [`multi`], also returning what each step of each thread showed.
fn multi_seen(
    case: &Case,
    eng: &dyn Engine,
    rules: Rules,
) -> (Verdict, (u32, u32), Vec<Vec<Observed>>) {
    let seen = std::sync::Mutex::new(vec![Vec::new(); case.threads.len()]);
    let (v, o) = multi_inner(case, eng, rules, &seen);
    (v, o, seen.into_inner().unwrap_or_default())
}

fn multi_inner(
    case: &Case,
    eng: &dyn Engine,
    rules: Rules,
    seen: &std::sync::Mutex<Vec<Vec<Observed>>>,
) -> (Verdict, (u32, u32)) {
    let request = Model::for_histories(rules, Scenario::new(case.kind, case.mode), 1, case.keys)
        .map(|m| m.is_request())
        .unwrap_or(false);
    let rec = Recorder::new(case, request);
    let failures = std::sync::Mutex::new(Vec::<String>::new());
    let woken = std::sync::atomic::AtomicU32::new(0);
    let orders = std::sync::Mutex::new((0u32, 0u32));
    let run_thread = |t: usize| {
        for (i, line) in case.threads[t].iter().enumerate() {
            let named = rec.begin(&line.step);
            let call = rec.tick();
            let obs = eng.step(t, &line.step);
            let ret = rec.tick();
            rec.record(t, call, ret, &line.step, named, &obs);
            seen.lock().unwrap_or_else(|p| p.into_inner())[t].push(obs.clone());
            if matches!(&obs, Observed::Events(e) if !e.is_empty()) {
                woken.fetch_add(1, std::sync::atomic::Ordering::SeqCst);
            }
            count_order(&obs, &mut orders.lock().unwrap_or_else(|p| p.into_inner()));
            if let Some(exp) = line.expect.as_ref().filter(|_| exact(case, &rules)) {
                if !meets(exp, &obs) {
                    failures.lock().unwrap_or_else(|p| p.into_inner()).push(format!(
                        "thread {t} step {} `{}`: the case expects {exp:?}, the engine showed {obs}",
                        i + 1,
                        line.step
                    ));
                }
            }
            if matches!(line.step, Step::Sleep(_)) {
                continue;
            }
        }
    };
    std::thread::scope(|s| {
        for t in 1..case.threads.len() {
            let run = &run_thread;
            s.spawn(move || run(t));
        }
        run_thread(0);
    });
    let history = rec.finish();
    let orders = *orders.lock().unwrap_or_else(|p| p.into_inner());
    let failures = failures.into_inner().unwrap_or_default();
    if !failures.is_empty() {
        return (
            Verdict::Divergence(Report {
                summary: failures[0].clone(),
                transcript: failures,
                history: Some(history),
                hard: false,
                at: None,
            }),
            orders,
        );
    }
    if let Some(&want) = case.woken.get(rules.name) {
        let got = woken.load(std::sync::atomic::Ordering::SeqCst);
        if got != want {
            return (
                Verdict::Divergence(Report {
                    summary: format!(
                        "{got} waits returned an event; under {} the case expects {want}",
                        rules.name
                    ),
                    transcript: Vec::new(),
                    history: Some(history),
                    hard: true,
                    at: None,
                }),
                orders,
            );
        }
    }
    match checker::check(&history, &rules) {
        HistoryVerdict::Linearizable { .. } => (Verdict::Pass, orders),
        HistoryVerdict::Rejected(timeline) => (
            Verdict::Divergence(Report {
                summary: format!("the history is not linearizable under {}", rules.name),
                transcript: timeline.lines().map(String::from).collect(),
                history: Some(history),
                hard: false,
                at: None,
            }),
            orders,
        ),
        HistoryVerdict::Unsupported(m) => (
            Verdict::Divergence(Report {
                summary: format!("the history checker cannot represent this history: {m}"),
                transcript: Vec::new(),
                history: Some(history),
                hard: false,
                at: None,
            }),
            orders,
        ),
    }
}
