//! `onering check`: explore every scenario of one or more profiles at a
//! bound and judge every property: `holds` (for the bound) or `violated`,
//! with the shortest trace found; whether its witness was seen; whether the
//! profile promises it.

pub use crate::error::TokenError;
use crate::explore::{explore, replay, Exploration, Options, Trace};
use crate::timeline;
use onering_model::{
    profile, Bound, BoundError, Model, Property, Rules, Scenario, ScenarioError, Unexplored, MIXES,
    MODEL_VERSION, MUTANTS,
};
use serde_json::{json, Value};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;

/// A property's verdict in one profile.
#[derive(Clone, Debug)]
pub struct PropertyResult {
    /// Which property.
    pub property: Property,
    /// Whether the profile promises it.
    pub promised: bool,
    /// The shortest violation over all scenarios, with its scenario.
    pub violation: Option<(Scenario, Trace)>,
    /// Whether its witness was exhibited in some scenario.
    pub witnessed: bool,
    /// Whether every scenario was explored to the end (no budget stopped
    /// one). A violation found is a violation either way; "holds" needs it.
    pub complete: bool,
}

impl PropertyResult {
    /// `"violated"` (a trace was found), `"holds"` (every scenario was
    /// explored and none violates it) or `"unknown"` (a budget stopped a
    /// scenario before it finished, and none of what was explored violates
    /// it).
    pub fn verdict(&self) -> &'static str {
        if self.violation.is_some() {
            "violated"
        } else if self.complete {
            "holds"
        } else {
            "unknown"
        }
    }

    /// Whether the verdict is decided (violated, or explored completely).
    pub fn decided(&self) -> bool {
        self.violation.is_some() || self.complete
    }
}

/// One scenario's exploration.
#[derive(Clone, Debug)]
pub struct ScenarioRun {
    /// The scenario.
    pub scenario: Scenario,
    /// The bound it was explored at ([`Scenario::bound_for`] of the bound
    /// asked for: a mixed scenario has its own number of keys).
    pub bound: Bound,
    /// Its exploration.
    pub exploration: Exploration,
}

/// One profile's results.
#[derive(Clone, Debug)]
pub struct ProfileReport {
    /// The rules checked.
    pub rules: Rules,
    /// Per scenario.
    pub runs: Vec<ScenarioRun>,
    /// Per property, in [`Property::ALL`] order.
    pub properties: Vec<PropertyResult>,
    /// Mixed scenarios ([`MIXES`]) the profile does not explore, and why.
    pub skipped: Vec<(Scenario, Unexplored)>,
}

impl ProfileReport {
    /// Distinct states over all scenarios.
    pub fn states(&self) -> u64 {
        self.runs.iter().map(|r| r.exploration.states).sum()
    }
    /// Transitions over all scenarios.
    pub fn transitions(&self) -> u64 {
        self.runs.iter().map(|r| r.exploration.transitions).sum()
    }
    /// Whether no budget cut a run short.
    pub fn complete(&self) -> bool {
        self.runs.iter().all(|r| r.exploration.complete)
    }
    /// Promised properties that were violated.
    pub fn broken_promises(&self) -> Vec<Property> {
        self.properties
            .iter()
            .filter(|p| p.promised && p.violation.is_some())
            .map(|p| p.property)
            .collect()
    }
    /// The result for `p`.
    pub fn property(&self, p: Property) -> &PropertyResult {
        &self.properties[p as usize]
    }
}

/// The scenarios `check` explores for `rules`, and the mixed ones it
/// skips with the reason: with `only`, that scenario if the profile
/// [fits](Scenario::fits) it; otherwise the profile's uniform scenarios
/// ([`Rules::scenarios`]) and, for a real profile (not a spec mutant), every
/// mix of [`MIXES`] it fits.
pub fn scenarios_of(
    rules: &Rules,
    only: Option<Scenario>,
) -> (Vec<Scenario>, Vec<(Scenario, Unexplored)>) {
    let candidates: Vec<Scenario> = match only {
        Some(sc) => vec![sc],
        None if rules.is_spec_mutant() => rules.scenarios.to_vec(),
        None => rules.scenarios.iter().copied().chain(MIXES).collect(),
    };
    let mut run = Vec::new();
    let mut skipped = Vec::new();
    for sc in candidates {
        match sc.fits(rules) {
            Ok(()) => run.push(sc),
            Err(why) => skipped.push((sc, why)),
        }
    }
    (run, skipped)
}

/// Explores every scenario of every profile in `profiles` (see
/// [`scenarios_of`]), `jobs` at a time; `tick(done, total, states)` after
/// every BFS level of every exploration.
pub fn check_profiles(
    profiles: &[Rules],
    bound: Bound,
    opts: &Options,
    tick: impl Fn(usize, usize, u64) + Sync,
) -> Result<Vec<ProfileReport>, BoundError> {
    check_scenarios(profiles, None, bound, opts, tick)
}

/// [`check_profiles`] restricted to `only` (where a profile fits it).
///
/// Without `only`, a bound of one key (`--keys 1`) explores no mix: a mix
/// has its own two or more keys, and one key is asked for where more would
/// not fit (CI's three-thread run, for example).
pub fn check_scenarios(
    profiles: &[Rules],
    only: Option<Scenario>,
    bound: Bound,
    opts: &Options,
    tick: impl Fn(usize, usize, u64) + Sync,
) -> Result<Vec<ProfileReport>, BoundError> {
    let mut tasks: Vec<(usize, Scenario, Bound)> = Vec::new();
    let mut plans = Vec::new();
    for (i, r) in profiles.iter().enumerate() {
        let (mut run, mut skipped) = scenarios_of(r, only);
        if only.is_none() && bound.keys < 2 {
            run.retain(|s| !s.is_mixed());
            skipped.retain(|(s, _)| !s.is_mixed());
        }
        for s in &run {
            let b = s.bound_for(bound);
            Model::new(*r, *s, b)?;
            tasks.push((i, *s, b));
        }
        plans.push((run, skipped));
    }
    let total = tasks.len();
    let jobs = opts.jobs.max(1);
    // Many small explorations: one per worker. Few: parallelise inside.
    let inner = if total >= jobs {
        Options {
            jobs: 1,
            ..opts.clone()
        }
    } else {
        opts.clone()
    };
    let results: Mutex<Vec<Option<Exploration>>> = Mutex::new(vec![None; total]);
    let next = AtomicUsize::new(0);
    let done = AtomicUsize::new(0);
    let states = std::sync::atomic::AtomicU64::new(0);
    std::thread::scope(|scope| {
        for _ in 0..jobs.min(total.max(1)) {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= total {
                    break;
                }
                let (p, s, b) = tasks[i];
                let model = Model::new(profiles[p], s, b).expect("validated above");
                // Progress after every BFS level, so a long exploration
                // shows its states growing.
                let mut seen = 0u64;
                let e = explore(&model, &inner, |n, _depth| {
                    let all = states.fetch_add(n - seen, Ordering::Relaxed) + (n - seen);
                    seen = n;
                    tick(done.load(Ordering::Relaxed), total, all);
                });
                let n = states.fetch_add(e.states - seen, Ordering::Relaxed) + (e.states - seen);
                results.lock().expect("no worker panics while holding it")[i] = Some(e);
                let d = done.fetch_add(1, Ordering::Relaxed) + 1;
                tick(d, total, n);
            });
        }
    });
    let mut results = results.into_inner().expect("workers finished");
    let mut reports = Vec::new();
    let mut ti = 0;
    for (r, (run, skipped)) in profiles.iter().zip(plans) {
        let mut runs = Vec::new();
        for s in run {
            runs.push(ScenarioRun {
                scenario: s,
                bound: tasks[ti].2,
                exploration: results[ti].take().expect("every task ran"),
            });
            ti += 1;
        }
        let mut report = judge(*r, runs);
        report.skipped = skipped;
        reports.push(report);
    }
    Ok(reports)
}

/// A profile's report from its runs: every property judged over them (no
/// scenario skipped).
pub fn judge_runs(rules: Rules, runs: Vec<ScenarioRun>) -> ProfileReport {
    judge(rules, runs)
}

fn judge(rules: Rules, runs: Vec<ScenarioRun>) -> ProfileReport {
    let properties = Property::ALL
        .iter()
        .map(|&p| {
            let mut violation: Option<(Scenario, Trace)> = None;
            let mut witnessed = false;
            for run in &runs {
                witnessed |= run.exploration.witnessed & (1 << p as u16) != 0;
                if let Some(t) = run.exploration.violation(p) {
                    let shorter = violation.as_ref().is_none_or(|(_, v)| {
                        (t.steps.len(), t.switches()) < (v.steps.len(), v.switches())
                    });
                    if shorter {
                        violation = Some((run.scenario, t.clone()));
                    }
                }
            }
            PropertyResult {
                property: p,
                promised: rules.promises(p),
                violation,
                witnessed,
                complete: runs.iter().all(|r| r.exploration.complete),
            }
        })
        .collect();
    ProfileReport {
        rules,
        runs,
        properties,
        skipped: Vec::new(),
    }
}

/// The reductions a token must replay with: `s` symmetry (or `n` none),
/// then `x` if dead-variable reduction was off, `g` if dead-ghost reduction
/// was off, `o` if dead-source reduction was off (partial-order reduction
/// only skips successors, never renumbers them, so a path replays with or
/// without it).
pub fn reduction_flags(opts: &Options) -> String {
    let mut f = String::from(if opts.symmetry { "s" } else { "n" });
    for (on, letter) in [
        (opts.dead_variables, 'x'),
        (opts.dead_ghosts, 'g'),
        (opts.dead_sources, 'o'),
    ] {
        if !on {
            f.push(letter);
        }
    }
    f
}

/// The options [`reduction_flags`] wrote `flags` for, if it could have.
fn parse_reduction_flags(flags: &str) -> Option<Options> {
    let symmetry = match flags.chars().next()? {
        's' => true,
        'n' => false,
        _ => return None,
    };
    let opts = Options {
        symmetry,
        dead_variables: !flags.contains('x'),
        dead_ghosts: !flags.contains('g'),
        dead_sources: !flags.contains('o'),
        ..Options::default()
    };
    (reduction_flags(&opts) == flags).then_some(opts)
}

/// A replay token: enough to print a trace again, under the model version
/// that made it (`m2:profile:scenario:bound:reductions:path`; the scenario
/// as [`Scenario`] writes it, `level/dispatch` or
/// `level/dispatch+operation/single`; the bound the scenario was explored
/// at, [`Scenario::bound_for`] of `bound`).
pub fn token(
    rules: &Rules,
    scenario: Scenario,
    bound: Bound,
    opts: &Options,
    trace: &Trace,
) -> String {
    let path: Vec<String> = trace.path.iter().map(|v| v.to_string()).collect();
    let bound = scenario.bound_for(bound);
    format!(
        "m{MODEL_VERSION}:{}:{}:{}.{}.{}.{}.{}:{}:{}",
        rules.name,
        scenario,
        bound.threads,
        bound.keys,
        bound.ops,
        bound.env,
        bound.batch,
        reduction_flags(opts),
        path.join(".")
    )
}

/// Parses and replays a token; returns the rules, scenario, bound and trace.
pub fn replay_token(tok: &str) -> Result<(Rules, Scenario, Bound, Trace), TokenError> {
    let all: Vec<&str> = tok.trim().split(':').collect();
    let version = all
        .first()
        .and_then(|v| v.strip_prefix('m'))
        .and_then(|v| v.parse::<u32>().ok());
    let parts = match version {
        Some(v) if v == MODEL_VERSION => &all[1..],
        Some(v) => return Err(TokenError::OtherVersion(v)),
        None if all.len() == 5 => return Err(TokenError::Unversioned),
        None => &all[..],
    };
    if version.is_none() || parts.len() != 5 {
        return Err(TokenError::FieldCount(all.len()));
    }
    let rules = profile(parts[0]).ok_or_else(|| TokenError::UnknownProfile(parts[0].into()))?;
    let scenario = Scenario::parse(parts[1]).map_err(|e| match e {
        ScenarioError::Shape(_) => TokenError::ScenarioShape(parts[1].into()),
        ScenarioError::UnknownKind(k) => TokenError::UnknownSource(k),
        ScenarioError::UnknownMode(m) => TokenError::UnknownMode(m),
        other => TokenError::Scenario(other),
    })?;
    let nums: Vec<u8> = parts[2]
        .split('.')
        .map(|n| {
            n.parse::<u8>()
                .map_err(|_| TokenError::BoundField(n.into()))
        })
        .collect::<Result<_, _>>()?;
    if nums.len() != 5 {
        return Err(TokenError::BoundShape);
    }
    let bound = Bound {
        threads: nums[0],
        keys: nums[1],
        ops: nums[2],
        env: nums[3],
        batch: nums[4],
    };
    let opts = parse_reduction_flags(parts[3]).ok_or_else(|| TokenError::Flags(parts[3].into()))?;
    let path: Vec<u8> = if parts[4].is_empty() {
        Vec::new()
    } else {
        parts[4]
            .split('.')
            .map(|n| n.parse::<u8>().map_err(|_| TokenError::PathStep(n.into())))
            .collect::<Result<_, _>>()?
    };
    if scenario.fits(&rules).is_err() {
        return Err(TokenError::NoScenario {
            profile: rules.name,
            scenario: scenario.to_string(),
            available: scenarios_of(&rules, None)
                .0
                .iter()
                .map(|s| s.to_string())
                .collect::<Vec<_>>()
                .join(", "),
        });
    }
    let model = Model::new(rules, scenario, bound)?;
    let trace = replay(&model, &opts, &path)?;
    Ok((rules, scenario, bound, trace))
}

/// The spec mutants with the property that must catch each.
pub fn mutants() -> impl Iterator<Item = (Rules, Property)> {
    MUTANTS.into_iter().filter_map(|m| m.breaks.map(|p| (m, p)))
}

/// Text report of one profile. `only` restricts to one property.
pub fn render_profile(
    r: &ProfileReport,
    bound: Bound,
    opts: &Options,
    only: Option<Property>,
    traces: bool,
) -> String {
    let mut out = String::new();
    // Summed over the profile's explorations (which may have run in
    // parallel): the work, not the wall time.
    let secs: f64 = r.runs.iter().map(|x| x.exploration.seconds).sum();
    let depth = r
        .runs
        .iter()
        .map(|x| x.exploration.depth)
        .max()
        .unwrap_or(0);
    out.push_str(&format!(
        "profile {} — {}\n  scenarios: {}\n  {} states, {} transitions, depth {}, {:.2}s of exploration ({:.0} states/s){}\n",
        r.rules.name,
        r.rules.summary,
        r.runs
            .iter()
            .map(|x| x.scenario.to_string())
            .collect::<Vec<_>>()
            .join(", "),
        r.states(),
        r.transitions(),
        depth,
        secs,
        r.states() as f64 / secs.max(1e-9),
        if r.complete() { "" } else { " — INCOMPLETE: a budget stopped the run" }
    ));
    for (sc, why) in &r.skipped {
        out.push_str(&format!("  not explored: {sc} ({why})\n"));
    }
    if bound.keys < 2 && !r.rules.is_spec_mutant() && !r.runs.iter().any(|x| x.scenario.is_mixed())
    {
        out.push_str("  mixed scenarios not explored: the bound has one key (--keys 1), a mix two or more (--scenario runs one)\n");
    }
    if let Some(x) = r.runs.iter().find(|x| x.bound != bound) {
        out.push_str(&format!(
            "  mixed scenarios are explored at their own bound (e.g. {}: {})\n",
            x.scenario, x.bound
        ));
    }
    if !r.complete() {
        for x in &r.runs {
            let e = &x.exploration;
            out.push_str(&format!(
                "    {:<22} {:>11} states, depth {:>2}, {}\n",
                x.scenario.to_string(),
                e.states,
                e.depth,
                match e.stopped {
                    None => "complete".to_string(),
                    Some(why) => format!(
                        "stopped by {} (levels 0..={} complete)",
                        why.option(),
                        e.depth
                    ),
                }
            ));
        }
    }
    for pr in &r.properties {
        if only.is_some_and(|p| p != pr.property) {
            continue;
        }
        out.push_str(&format!(
            "  {:<24} {:<9} {}{}\n",
            pr.property.id(),
            pr.verdict(),
            if pr.promised {
                "promised"
            } else {
                "not promised"
            },
            if pr.witnessed {
                ""
            } else if !pr.decided() {
                " (not finished: a budget stopped the run)"
            } else {
                " (witness never seen: holds vacuously at this bound)"
            }
        ));
    }
    if traces {
        for pr in &r.properties {
            if only.is_some_and(|p| p != pr.property) {
                continue;
            }
            let show = only.is_some() || pr.promised;
            if let (true, Some((sc, t))) = (show, &pr.violation) {
                out.push_str(&format!(
                    "\n  {} violated in scenario {} ({} steps, {} thread switches):\n",
                    pr.property.id(),
                    sc,
                    t.steps.len(),
                    t.switches()
                ));
                if let Some(legend) = crate::mixed::key_legend(sc) {
                    out.push_str(&format!("    keys: {legend}\n"));
                }
                for line in timeline::render(&r.rules, t, bound.threads, Some(pr.property)).lines()
                {
                    out.push_str(&format!("    {line}\n"));
                }
                out.push_str(&format!(
                    "    replay: onering check --replay {}\n",
                    token(&r.rules, *sc, bound, opts, t)
                ));
            }
        }
    }
    out
}

/// The property × profile matrix.
pub fn render_matrix(reports: &[ProfileReport]) -> String {
    let mut out = String::new();
    out.push_str(&format!("{:<24}", "property"));
    for r in reports {
        out.push_str(&format!(" {:>11}", r.rules.name));
    }
    out.push('\n');
    for p in Property::ALL {
        out.push_str(&format!("{:<24}", p.id()));
        for r in reports {
            let pr = r.property(p);
            let cell = match (pr.violation.is_some(), pr.promised) {
                (false, _) if !pr.complete => "unknown",
                (false, true) => "holds",
                (false, false) => "holds*",
                (true, false) => "violated",
                (true, true) => "BROKEN",
            };
            let cell = if pr.witnessed || pr.violation.is_some() {
                cell.to_string()
            } else {
                format!("{cell}(v)")
            };
            out.push_str(&format!(" {cell:>11}"));
        }
        out.push('\n');
    }
    out.push_str(
        "holds = promised and proved for the bound; holds* = not promised but no violation at this bound;\n\
         violated = not promised, trace found; BROKEN = promised but violated; (v) = witness never seen;\n\
         unknown = a budget stopped the run before a verdict\n",
    );
    out
}

fn trace_json(rules: &Rules, t: &Trace) -> Value {
    Value::Array(
        t.steps
            .iter()
            .map(|s| {
                json!({
                    "actor": s.action.thread().map_or("env".to_string(), |t| format!("T{t}")),
                    "step": timeline::describe(rules, s),
                    "violates": s.obs.violations().map(|p| p.id()).collect::<Vec<_>>(),
                })
            })
            .collect(),
    )
}

/// The JSON form of a check (names are stable: other tools read them).
/// `seconds` is the command's wall time; `exploration_seconds` the sum of
/// every exploration's own time (larger when they ran in parallel).
pub fn to_json(
    reports: &[ProfileReport],
    bound: Bound,
    opts: &Options,
    only: Option<Property>,
) -> Value {
    let states: u64 = reports.iter().map(|r| r.states()).sum();
    let transitions: u64 = reports.iter().map(|r| r.transitions()).sum();
    let exploration_seconds: f64 = reports
        .iter()
        .flat_map(|r| r.runs.iter().map(|x| x.exploration.seconds))
        .sum();
    let stopped = reports
        .iter()
        .flat_map(|r| r.runs.iter().filter_map(|x| x.exploration.stopped))
        .next();
    json!({
        "bound": {
            "threads": bound.threads, "keys": bound.keys, "ops": bound.ops,
            "env": bound.env, "batch": bound.batch,
            "symmetry": opts.symmetry, "dead_variables": opts.dead_variables,
            "dead_ghosts": opts.dead_ghosts, "dead_sources": opts.dead_sources,
            "partial_order": opts.por,
        },
        "states": states,
        "transitions": transitions,
        "seconds": opts.budget.elapsed(),
        "exploration_seconds": exploration_seconds,
        "complete": reports.iter().all(|r| r.complete()),
        "stopped_by": stopped.map(|s| s.option()),
        "peak_rss_bytes": crate::budget::peak_resident_bytes(),
        "profiles": reports.iter().map(|r| json!({
            "name": r.rules.name,
            "summary": r.rules.summary,
            "states": r.states(),
            "transitions": r.transitions(),
            "complete": r.complete(),
            "scenarios": r.runs.iter().map(|x| json!({
                "scenario": x.scenario.to_string(),
                "mixed": x.scenario.is_mixed(),
                "bound": {
                    "threads": x.bound.threads, "keys": x.bound.keys, "ops": x.bound.ops,
                    "env": x.bound.env, "batch": x.bound.batch,
                },
                "states": x.exploration.states,
                "transitions": x.exploration.transitions,
                "depth": x.exploration.depth,
                "seconds": x.exploration.seconds,
                "bytes": x.exploration.bytes,
                "complete": x.exploration.complete,
                "stopped_by": x.exploration.stopped.map(|s| s.option()),
            })).collect::<Vec<_>>(),
            "not_explored": r.skipped.iter().map(|(sc, why)| json!({
                "scenario": sc.to_string(),
                "why": why.to_string(),
            })).collect::<Vec<_>>(),
            "properties": r.properties.iter().filter(|p| only.is_none_or(|o| o == p.property)).map(|p| {
                let mut v = json!({
                    "id": p.property.id(),
                    "promised": p.promised,
                    "verdict": p.verdict(),
                    "witnessed": p.witnessed,
                    "trace": p.violation.as_ref().map_or(Value::Array(vec![]), |(_, t)| trace_json(&r.rules, t)),
                });
                if let Some((sc, t)) = &p.violation {
                    v["scenario"] = json!(sc.to_string());
                    v["replay"] = json!(token(&r.rules, *sc, bound, opts, t));
                }
                v
            }).collect::<Vec<_>>(),
        })).collect::<Vec<_>>(),
    })
}
