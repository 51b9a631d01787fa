//! `onering conform`: the command line's whole logic (arguments, run,
//! tables, JSON, exit status). `src/main.rs` only forwards to [`run()`].
//!
//! Exit status: 0 every case passes or diverges as a finding explains; 1 a
//! divergence no finding explains (or a pinned one vanished), printed with
//! its minimal scenario and history; 2 bad input (unknown backend or
//! set-up, a set-up the kernel refuses, a malformed corpus).

use crate::case::{Case, EngineName};
use crate::engine::{self, Setup};
use crate::gen;
use crate::run::{self, CaseRun, Verdict};
use clap::Args;
use indicatif::{ProgressBar, ProgressStyle};
use serde_json::{json, Value};
use std::collections::BTreeMap;
use std::process::ExitCode;

/// Arguments of `onering conform`.
#[derive(Args, Debug, Clone)]
pub struct ConformArgs {
    /// Engine: model, port, port-linux, epoll or uring.
    #[arg(long)]
    pub backend: String,
    /// io_uring ring set-up: default, coop, defer (DEFER_TASKRUN + SINGLE_ISSUER) or sqpoll.
    #[arg(long, default_value = "default")]
    pub setup: String,
    /// Generated cases (proptest, shrunk to a minimal divergence) after the corpus.
    #[arg(long, default_value_t = 64)]
    pub cases: u32,
    /// Seed of the generated cases.
    #[arg(long, default_value_t = 0)]
    pub seed: u64,
    /// Threads of the generated cases (1: checked step by step; 2..=64:
    /// recorded as histories and checked by the history checker). The
    /// corpus always runs whole.
    #[arg(long, default_value_t = 1)]
    pub threads: usize,
    /// Corpus directory (default: the committed conformance/corpus).
    #[arg(long)]
    pub corpus: Option<std::path::PathBuf>,
    /// Print machine-readable JSON on standard output.
    #[arg(long)]
    pub json: bool,
}

/// Bad input: exit 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct UsageError(pub String);

impl std::fmt::Display for UsageError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for UsageError {}

/// Everything a run found.
#[derive(Debug)]
pub struct Summary {
    /// The engine.
    pub engine: EngineName,
    /// The ring set-up (io_uring).
    pub setup: Setup,
    /// Kernel release.
    pub kernel: String,
    /// Corpus runs.
    pub runs: Vec<(Case, CaseRun)>,
    /// Generated cases.
    pub generated: gen::GenOutcome,
    /// Their seed.
    pub seed: u64,
}

impl Summary {
    /// Whether anything demands attention (exit 1).
    pub fn fails(&self) -> bool {
        self.runs.iter().any(|(_, r)| r.verdict.fails()) || self.generated.minimal.is_some()
    }
}

fn kernel_release() -> String {
    std::fs::read_to_string("/proc/sys/kernel/osrelease")
        .map(|s| s.trim().to_string())
        .unwrap_or_else(|_| "unknown".into())
}

/// Parses and validates; refuses what the kernel refuses.
pub fn validate(a: &ConformArgs) -> Result<(EngineName, Setup, Vec<Case>), UsageError> {
    let engine = EngineName::from_name(&a.backend).ok_or_else(|| {
        UsageError(format!(
            "unknown backend `{}`; expected model, port, port-linux, epoll or uring",
            a.backend
        ))
    })?;
    let setup = Setup::from_name(&a.setup).ok_or_else(|| {
        UsageError(format!(
            "unknown set-up `{}`; expected default, coop, defer or sqpoll",
            a.setup
        ))
    })?;
    if a.setup != "default" && engine != EngineName::Uring {
        return Err(UsageError(format!(
            "--setup {} applies to --backend uring only",
            a.setup
        )));
    }
    if !(1..=64).contains(&a.threads) {
        return Err(UsageError(format!(
            "--threads {} is outside 1..=64",
            a.threads
        )));
    }
    if engine == EngineName::Uring {
        engine::probe_setup(setup).map_err(|e| UsageError(e.to_string()))?;
    }
    let dir = a.corpus.clone().unwrap_or_else(run::corpus_dir);
    let cases = run::load_corpus(&dir).map_err(|e| UsageError(e.to_string()))?;
    Ok((engine, setup, cases))
}

/// Runs the corpus and the generated cases.
pub fn execute(a: &ConformArgs, engine: EngineName, setup: Setup, cases: Vec<Case>) -> Summary {
    // A case that does not list the engine is reported "n/a" with the
    // engines it is written for (its expectations are theirs), never
    // dropped silently.
    let (chosen, other): (Vec<Case>, Vec<Case>) =
        cases.into_iter().partition(|c| c.engines.contains(&engine));
    let total = chosen.len() as u64 + u64::from(a.cases);
    let bar = if a.json || total < 8 {
        ProgressBar::hidden()
    } else {
        ProgressBar::new(total)
    };
    bar.set_style(
        ProgressStyle::with_template("{prefix} [{bar:30}] {pos}/{len} {msg}")
            .expect("template")
            .progress_chars("=> "),
    );
    bar.set_prefix(format!("conform {}", engine.name()));
    let mut runs = Vec::new();
    for c in other {
        let written: Vec<&str> = c.engines.iter().map(|e| e.name()).collect();
        let r = run::CaseRun {
            case: c.name.clone(),
            engine: engine.name().to_string(),
            verdict: Verdict::NotApplicable(format!(
                "the case is written for {} (its steps or expectations are theirs)",
                written.join(", ")
            )),
            cancel_orders: (0, 0),
            seconds: 0.0,
        };
        runs.push((c, r));
    }
    for c in chosen {
        bar.set_message(c.name.clone());
        for r in run::run_case(&c, engine, setup) {
            runs.push((c.clone(), r));
        }
        bar.inc(1);
    }
    bar.set_message("generated cases");
    let generated = gen::run(engine, setup, a.cases, a.seed, a.threads, &|| bar.inc(1));
    bar.finish_and_clear();
    Summary {
        engine,
        setup,
        kernel: kernel_release(),
        runs,
        generated,
        seed: a.seed,
    }
}

/// Counts per (kind/mode) row: pass, expected, finding, n/a.
pub fn table(s: &Summary) -> BTreeMap<String, [u32; 4]> {
    let mut rows: BTreeMap<String, [u32; 4]> = BTreeMap::new();
    for (c, r) in &s.runs {
        let row = rows
            .entry(format!("{}/{}", c.kind.name(), c.mode.name()))
            .or_default();
        match &r.verdict {
            Verdict::Pass => row[0] += 1,
            Verdict::Expected(_) => row[1] += 1,
            Verdict::NotApplicable(_) => row[3] += 1,
            _ => row[2] += 1,
        }
    }
    rows
}

fn verdict_name(v: &Verdict) -> String {
    match v {
        Verdict::Pass => "pass".into(),
        Verdict::Expected(f) => format!("expected-divergence {f}"),
        Verdict::Divergence(_) => "DIVERGENCE".into(),
        Verdict::Vanished(_) => "VANISHED".into(),
        Verdict::NotApplicable(_) => "n/a".into(),
        Verdict::Error(_) => "ERROR".into(),
    }
}

/// The human-readable report.
pub fn render(s: &Summary) -> String {
    let mut out = String::new();
    let setup = if s.engine == EngineName::Uring {
        format!(" (set-up {})", s.setup.name())
    } else {
        String::new()
    };
    out.push_str(&format!(
        "onering conform --backend {}{setup} on Linux {}\n\n",
        s.engine.name(),
        s.kernel
    ));
    out.push_str(&format!(
        "{:<22} {:>5} {:>9} {:>8} {:>5}\n",
        "kind/rule", "pass", "expected", "finding", "n/a"
    ));
    for (row, c) in table(s) {
        out.push_str(&format!(
            "{row:<22} {:>5} {:>9} {:>8} {:>5}\n",
            c[0], c[1], c[2], c[3]
        ));
    }
    let (tf, cf) = s.runs.iter().fold((0, 0), |a, (_, r)| {
        (a.0 + r.cancel_orders.0, a.1 + r.cancel_orders.1)
    });
    if tf + cf > 0 {
        out.push_str(&format!(
            "\nio_uring cancels: target's CQE first {tf}, cancel's CQE first {cf}\n"
        ));
    }
    out.push('\n');
    for (c, r) in &s.runs {
        if matches!(r.verdict, Verdict::NotApplicable(_)) {
            continue;
        }
        out.push_str(&format!(
            "  {:<40} {:<16} {}\n",
            c.name,
            r.engine,
            verdict_name(&r.verdict)
        ));
    }
    let g = &s.generated;
    out.push_str(&format!(
        "\ngenerated: {} cases in {:.2}s (--seed {})",
        g.cases, g.seconds, s.seed
    ));
    for (id, n) in &g.explained {
        out.push_str(&format!(", {n} explained by {id}"));
    }
    out.push('\n');
    for (c, r) in &s.runs {
        match &r.verdict {
            Verdict::Divergence(rep) => {
                out.push_str(&format!(
                    "\nDIVERGENCE in {} on {} (no finding explains it): {}\n  {}\n",
                    c.name, r.engine, rep.summary, c.about
                ));
                for l in &rep.transcript {
                    out.push_str(&format!("    {l}\n"));
                }
                if let Some(h) = &rep.history {
                    out.push_str("  history:\n");
                    for l in h.lines() {
                        out.push_str(&format!("    {l}\n"));
                    }
                }
            }
            Verdict::Vanished(m) | Verdict::Error(m) => {
                out.push_str(&format!(
                    "\n{} {} on {}: {m}\n",
                    verdict_name(&r.verdict),
                    c.name,
                    r.engine
                ));
            }
            _ => {}
        }
    }
    if let Some((c, rep)) = &g.minimal {
        out.push_str(&format!(
            "\nDIVERGENCE in a generated case ({} / {} / {}), minimal after shrinking: {}\n",
            c.backing.name(),
            c.kind.name(),
            c.mode.name(),
            rep.summary
        ));
        for (t, lines) in c.threads.iter().enumerate() {
            if c.threads.len() > 1 {
                out.push_str(&format!("  [[thread]] # {t}\n"));
            }
            out.push_str("  steps = [\n");
            for l in lines {
                out.push_str(&format!("    \"{}\",\n", l.step));
            }
            out.push_str("  ]\n");
        }
        for l in &rep.transcript {
            out.push_str(&format!("    {l}\n"));
        }
        if let Some(h) = &rep.history {
            out.push_str("  history:\n");
            for l in h.lines() {
                out.push_str(&format!("    {l}\n"));
            }
        }
    }
    out
}

/// The JSON form.
pub fn to_json(s: &Summary) -> Value {
    let g = &s.generated;
    json!({
        "backend": s.engine.name(),
        "setup": s.setup.name(),
        "kernel": s.kernel,
        "ok": !s.fails(),
        "table": table(s).into_iter().map(|(k, c)| json!({
            "rule": k, "pass": c[0], "expected_divergence": c[1], "finding": c[2], "not_applicable": c[3]
        })).collect::<Vec<_>>(),
        "cases": s.runs.iter().map(|(c, r)| {
            let mut j = json!({
                "case": c.name, "engine": r.engine, "kind": c.kind.name(), "mode": c.mode.name(),
                "source": c.backing.name(), "verdict": verdict_name(&r.verdict), "seconds": r.seconds,
            });
            if r.cancel_orders != (0, 0) {
                j["cancel_cqe_order"] = json!({
                    "target_first": r.cancel_orders.0, "cancel_first": r.cancel_orders.1,
                });
            }
            match &r.verdict {
                Verdict::Divergence(rep) => {
                    j["summary"] = json!(rep.summary);
                    j["transcript"] = json!(rep.transcript);
                    j["history"] = json!(rep.history);
                }
                Verdict::Expected(f) => j["finding"] = json!(f),
                Verdict::Vanished(m) | Verdict::Error(m) | Verdict::NotApplicable(m) => j["message"] = json!(m),
                Verdict::Pass => {}
            }
            j
        }).collect::<Vec<_>>(),
        "generated": {
            "cases": g.cases, "seconds": g.seconds, "seed": s.seed,
            "explained": g.explained.iter().map(|(id, n)| json!({"finding": id, "count": n})).collect::<Vec<_>>(),
            "minimal": g.minimal.as_ref().map(|(c, r)| json!({
                "source": c.backing.name(), "kind": c.kind.name(), "mode": c.mode.name(),
                "threads": c.threads.iter().map(|t| t.iter().map(|l| l.step.to_string()).collect::<Vec<_>>()).collect::<Vec<_>>(),
                "summary": r.summary, "transcript": r.transcript, "history": r.history,
            })),
        },
    })
}

/// `onering conform`: runs, prints, and returns the exit status.
pub fn run(a: &ConformArgs) -> ExitCode {
    let (engine, setup, cases) = match validate(a) {
        Ok(v) => v,
        Err(e) => {
            if a.json {
                println!("{}", json!({"error": e.0}));
            }
            eprintln!("onering conform: {e}");
            return ExitCode::from(2);
        }
    };
    let s = execute(a, engine, setup, cases);
    if a.json {
        println!(
            "{}",
            serde_json::to_string_pretty(&to_json(&s)).expect("json")
        );
    } else {
        print!("{}", render(&s));
    }
    if s.fails() {
        ExitCode::from(1)
    } else {
        ExitCode::SUCCESS
    }
}
