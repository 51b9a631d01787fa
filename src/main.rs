//! The `onering` command line: parses arguments and calls into
//! `onering-check`. The semantics live in `onering-model`'s documentation.
#![forbid(unsafe_code)]

use clap::{Args, Parser, Subcommand};
use indicatif::{ProgressBar, ProgressStyle};
use onering_check::budget::Budget;
use onering_check::check::{self, ProfileReport};
use onering_check::explore::Options;
use onering_check::summary::Summary;
use onering_check::timeline;
use onering_model::{
    library, library_names, profile, profile_names, Bound, BoundError, LibraryRules, Property,
    Rules, Scenario, MUTANTS, PROFILES, UNIFIED,
};
use std::process::ExitCode;

#[derive(Parser)]
#[command(
    name = "onering",
    version,
    about = "A formally checked model of a unified event queue",
    long_about = "Exit status: 0 every promised property holds / the history conforms; \
                  1 a violation (printed); 2 bad input or usage; \
                  3 (check) a budget (--max-seconds, --max-memory, --max-states) stopped the \
                  run before every verdict was decided (coverage printed)."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Explore the specification exhaustively for a bound and judge every property.
    Check(CheckArgs),
    /// Check that a recorded history (JSON Lines, docs/history-format.md) is allowed by a profile.
    Verify(VerifyArgs),
    /// Write the semantics docs generated from the model (docs/semantics.md and the book in docs/book/).
    Docs(DocsArgs),
    /// Run the conformance corpus and generated cases against an engine (the model, the Port, the real kernel).
    Conform(onering_conformance::cli::ConformArgs),
}

#[derive(Args)]
struct DocsArgs {
    /// Directory to write into.
    #[arg(long, default_value = "docs")]
    out: String,
    /// Do not write: exit 1 if the file differs from what would be written.
    #[arg(long)]
    check: bool,
    /// Worker threads (default: available cores).
    #[arg(long)]
    jobs: Option<usize>,
}

#[derive(Args)]
struct VerifyArgs {
    /// Profile the history must conform to (a profile or a spec mutant).
    #[arg(long, default_value = "unified", value_parser = parse_profile)]
    profile: Rules,
    /// A library's own documented rules on top of the profile (`polling`:
    /// an empty wait overlapping another thread's wait on the same port is
    /// polling's own answer, per `Poller::wait`, and is not judged); `none`
    /// for none. Reports then name the profile `epoll+polling`.
    #[arg(long, default_value = "none", value_parser = parse_library)]
    library: LibraryRules,
    /// The history file, or `-` for standard input.
    history: String,
    /// Give up (exit 3, no verdict) after this many seconds of checking
    /// (splitting the history into parts and searching them; reading the
    /// file is not counted).
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Give up (exit 3, no verdict) when the check (the part being searched
    /// and the search itself) holds more than this many MiB;
    /// default: 3/4 of MemAvailable at start (the search's memo takes at most a
    /// quarter of it and forgets its oldest entries beyond).
    #[arg(long)]
    max_memory: Option<u64>,
    /// Also write the verdict as a self-contained HTML page to this file: a
    /// lane per thread, the (longest partial) linearization, the stuck
    /// call, the model state on hover.
    #[arg(long, value_name = "FILE")]
    html: Option<String>,
    /// Print machine-readable JSON on standard output (also for errors: `{"error": ...}`).
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
struct CheckArgs {
    /// Profile to check (unified, epoll, linux-aio, io_uring, kqueue, event-ports, iocp, or a spec mutant such as unified~no-purge).
    #[arg(long, conflicts_with = "all")]
    profile: Option<String>,
    /// Check every profile and every spec mutant; print the property x profile matrix.
    #[arg(long)]
    all: bool,
    /// Judge only this property (exit 1 if it is violated, promised or not).
    #[arg(long)]
    property: Option<String>,
    /// Explore only this scenario: `kind/mode` (every key alike, e.g. level/dispatch) or a
    /// mixed port, keys joined by `+`, each `kind/mode`, `@j` for a second registration of
    /// key j's source (e.g. level/dispatch+operation/single, level/dispatch+level/edge@0).
    /// A mixed scenario fixes its own number of keys (--keys does not apply to it).
    #[arg(long)]
    scenario: Option<String>,
    /// Threads (1..=4).
    #[arg(long, default_value_t = Bound::default().threads)]
    threads: u8,
    /// Keys, each a registration with its own source (1..=4; keys x (env + 3) <= 24,
    /// the queue slots a state holds).
    #[arg(long, default_value_t = Bound::default().keys)]
    keys: u8,
    /// Thread operations per thread (0..=8).
    #[arg(long, default_value_t = Bound::default().ops)]
    ops: u8,
    /// Environment steps per key (0..=6; keys x (env + 3) <= 24).
    #[arg(long, default_value_t = Bound::default().env)]
    env: u8,
    /// Largest `max` of a wait (1..=4); waits use 1 or this.
    #[arg(long, default_value_t = Bound::default().batch)]
    batch: u8,
    /// Worker threads (default: available cores).
    #[arg(long)]
    jobs: Option<usize>,
    /// Print machine-readable JSON on standard output.
    #[arg(long)]
    json: bool,
    /// Turn off symmetry reduction.
    #[arg(long)]
    no_symmetry: bool,
    /// Turn off dead-variable reduction.
    #[arg(long)]
    no_dead_variables: bool,
    /// Turn off dead-ghost reduction (cancel records no later delivery is judged against).
    #[arg(long)]
    no_dead_ghosts: bool,
    /// Turn off dead-source reduction (what is left of a source no later step can reach).
    #[arg(long)]
    no_dead_sources: bool,
    /// Turn off partial-order reduction over independent keys.
    #[arg(long)]
    no_por: bool,
    /// Stop each exploration after this many distinct states (at least 1; reports
    /// coverage, exit 3).
    #[arg(long)]
    max_states: Option<u64>,
    /// Stop the whole command after this many seconds of wall time (reports coverage,
    /// exit 3).
    #[arg(long)]
    max_seconds: Option<f64>,
    /// Stop the whole command when its resident memory reaches this (bytes, or with a
    /// K, M, G or T suffix, binary; default: 3/4 of MemAvailable at start; reports
    /// coverage, exit 3).
    #[arg(long)]
    max_memory: Option<String>,
    /// Print the trace of a replay token (from an earlier report) and exit.
    #[arg(long, conflicts_with_all = ["profile", "all"])]
    replay: Option<String>,
}

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            // Usage errors exit 2 like bad input; with --json, as JSON too.
            if e.use_stderr() && std::env::args().any(|a| a == "--json") {
                let msg = e.render().to_string();
                let first = msg.lines().next().unwrap_or("usage error");
                println!(
                    "{}",
                    onering_check::history::error_json(first.trim_start_matches("error: "))
                );
            }
            e.exit()
        }
    };
    match cli.command {
        Command::Check(args) => {
            let json = args.json;
            match run_check(args) {
                Ok(code) => code,
                Err(msg) => {
                    if json {
                        println!("{}", serde_json::json!({ "error": msg }));
                    }
                    eprintln!("onering check: {msg}");
                    ExitCode::from(2)
                }
            }
        }
        Command::Docs(args) => match run_docs(args) {
            Ok(code) => code,
            Err(msg) => {
                eprintln!("onering docs: {msg}");
                ExitCode::from(2)
            }
        },
        Command::Conform(args) => onering_conformance::cli::run(&args),
        Command::Verify(args) => {
            let json = args.json;
            match run_verify(args) {
                Ok(code) => code,
                Err(msg) => {
                    if json {
                        println!("{}", onering_check::history::error_json(&msg));
                    }
                    eprintln!("onering verify: {msg}");
                    ExitCode::from(2)
                }
            }
        }
    }
}

/// Worker threads beyond this are refused (more would only cost memory).
const MAX_JOBS: usize = 256;

/// Parses `--max-memory`: bytes, or a number with a binary K, M, G or T
/// suffix.
fn parse_memory(text: &str) -> Result<u64, String> {
    let t = text.trim();
    let (num, mul) = match t.char_indices().last() {
        Some((i, c)) if c.is_ascii_alphabetic() => {
            let shift = match c.to_ascii_uppercase() {
                'K' => 10,
                'M' => 20,
                'G' => 30,
                'T' => 40,
                _ => {
                    return Err(format!(
                        "--max-memory `{text}`: unknown suffix `{c}` (K, M, G or T)"
                    ))
                }
            };
            (&t[..i], 1u64 << shift)
        }
        _ => (t, 1),
    };
    let n: f64 = num
        .parse()
        .map_err(|_| format!("--max-memory `{text}` is not a size such as 8G or 512M"))?;
    if !(n.is_finite() && n > 0.0) {
        return Err(format!("--max-memory `{text}` must be positive"));
    }
    Ok((n * mul as f64) as u64)
}

fn check_jobs(jobs: Option<usize>) -> Result<(), String> {
    match jobs {
        Some(0) => Err("--jobs must be at least 1".into()),
        Some(n) if n > MAX_JOBS => Err(format!("--jobs {n} is more than {MAX_JOBS}")),
        _ => Ok(()),
    }
}

/// Runs the checks with a progress bar on standard error (drawn only when
/// it is a terminal).
fn check_with_progress(
    profiles: &[Rules],
    only: Option<Scenario>,
    bound: Bound,
    opts: &Options,
) -> Result<Vec<ProfileReport>, String> {
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template(
            "{spinner} [{elapsed}] {bar:30} {pos}/{len} explorations, {msg}",
        )
        .expect("valid template"),
    );
    let reports = check::check_scenarios(profiles, only, bound, opts, |done, total, states| {
        bar.set_length(total as u64);
        bar.set_position(done as u64);
        bar.set_message(format!("{states} states"));
    })
    .map_err(|e| bound_message(&e))?;
    bar.finish_and_clear();
    Ok(reports)
}

/// The model's bound error in the command line's words (its flags).
fn bound_message(e: &BoundError) -> String {
    match e {
        BoundError::OutOfRange {
            field,
            value,
            lo,
            hi,
        } => format!("--{field} {value} is outside the representable range {lo}..={hi}"),
        BoundError::QueueSlots {
            keys,
            env,
            slots,
            max,
        } => format!(
            "--keys {keys} with --env {env}: keys x (env + 3) = {slots} queue slots, more than \
             the {max} a state holds (keys x (env + 3) <= {max})"
        ),
        _ => e.to_string(),
    }
}

fn run_docs(a: DocsArgs) -> Result<ExitCode, String> {
    use onering_check::docs;
    check_jobs(a.jobs)?;
    let opts = Options {
        jobs: a.jobs.unwrap_or_else(|| Options::default().jobs),
        ..Options::default()
    };
    let bound = Bound::default();
    // The book's inputs (the vendored notes, the included guides) are read
    // from the repository root before the exploration.
    let inputs =
        onering_check::book::Inputs::read(std::path::Path::new(".")).map_err(|e| e.to_string())?;
    let profiles: Vec<Rules> = PROFILES.iter().chain(MUTANTS.iter()).copied().collect();
    let reports = check_with_progress(&profiles, None, bound, &opts)?;
    let out = std::path::Path::new(&a.out);
    let done = onering_check::book::docs_command(&reports, bound, &opts, &inputs, out, a.check)
        .map_err(|e| e.to_string())?;
    if !done.rendered_svg {
        eprintln!(
            "onering docs: Graphviz `dot` not found: SVG diagrams neither written nor compared"
        );
    }
    if a.check {
        if done.stale.is_empty() {
            println!("{} is up to date", out.display());
            return Ok(ExitCode::SUCCESS);
        }
        for p in &done.stale {
            println!("{} is stale", out.join(p).display());
        }
        println!("regenerate with `{}`", docs::COMMAND);
        return Ok(ExitCode::from(1));
    }
    println!("wrote {} files under {}", done.written, out.display());
    Ok(ExitCode::SUCCESS)
}

/// `--profile` of `verify`: any profile or spec mutant the model lists.
fn parse_profile(name: &str) -> Result<Rules, String> {
    profile(name).ok_or_else(|| {
        format!(
            "unknown profile `{name}`; known: {} (and spec mutants: {})",
            profile_names().join(", "),
            MUTANTS.map(|m| m.name).join(", ")
        )
    })
}

/// `--library` of `verify`: a rule set the model names, or `none`.
fn parse_library(name: &str) -> Result<LibraryRules, String> {
    library(name).ok_or_else(|| {
        format!(
            "unknown library `{name}`; known: {}",
            library_names().join(", ")
        )
    })
}

/// `verify`: reads the file, runs the library's check with a progress bar,
/// prints the library's summary or JSON, exits with the library's status.
fn run_verify(a: VerifyArgs) -> Result<ExitCode, String> {
    use onering_check::history;
    let options = history::Options {
        max_seconds: a.max_seconds,
        max_memory: a
            .max_memory
            .map(|mib| mib.saturating_mul(1 << 20))
            .or_else(onering_check::budget::default_max_memory),
    };
    options.validate().map_err(|e| e.to_string())?;
    // The budgets count from here: reading the file is inside them.
    let start = std::time::Instant::now();
    let read = if a.history == "-" {
        history::read_text(std::io::stdin().lock(), &options, start)
            .map_err(|e| format!("reading standard input: {e}"))?
    } else {
        let file = std::fs::File::open(&a.history).map_err(|e| format!("{}: {e}", a.history))?;
        history::read_text(file, &options, start).map_err(|e| format!("{}: {e}", a.history))?
    };
    let bar = ProgressBar::new(0);
    bar.set_style(
        ProgressStyle::with_template("{spinner} [{elapsed}] {bar:30} {pos}/{len} sources, {msg}")
            .expect("valid template"),
    );
    let checked = match read {
        Ok(text) => onering_check::library::verify_text_since(
            text,
            &a.profile,
            &a.library,
            &options,
            start,
            |done, total, explored| {
                bar.set_length(total as u64);
                bar.set_position(done as u64);
                bar.set_message(format!("{explored} configurations"));
            },
        ),
        // A budget ran out while the file was read: no verdict.
        Err(why) => Ok(onering_check::library::Checked {
            calls: Vec::new(),
            report: history::Report {
                verdict: history::Verdict::NoVerdict(why),
                profile: a.profile.name,
                calls: 0,
                sources: 0,
                parts: 0,
                explored: 0,
                seconds: start.elapsed().as_secs_f64(),
            },
            answered: Vec::new(),
        }),
    };
    bar.finish_and_clear();
    let checked = checked.map_err(|e| format!("{}: {e}", a.history))?;
    let (calls, report) = (&checked.calls, &checked.report);
    let label = a.library.label(a.profile.name);
    if let Some(path) = &a.html {
        let name = if a.library.name.is_empty() {
            a.history.clone()
        } else {
            format!("{} (library {})", a.history, a.library.name)
        };
        let page = history::render_html(&name, calls, report, &a.profile, &options);
        std::fs::write(path, page).map_err(|e| format!("--html {path}: {e}"))?;
    }
    if a.json {
        let mut j = report.to_json(calls);
        j["library"] = serde_json::json!(a.library.name);
        j["checked_as"] = serde_json::json!(label);
        j["answered_by_library"] = serde_json::json!(checked.answered);
        println!("{}", serde_json::to_string_pretty(&j).expect("json"));
    } else {
        if !a.library.name.is_empty() {
            println!(
                "{}: checked as {label}: {} of {} calls answered by {} itself, not judged by the \
                 profile{}",
                a.history,
                checked.answered.len(),
                checked.answered.len() + calls.len(),
                a.library.name,
                lines_list(&checked.answered),
            );
        }
        print!("{}", report.summary(&a.history, calls));
    }
    Ok(ExitCode::from(report.exit_code()))
}

/// ` (lines 3, 9, ...)`, at most eight, or nothing.
fn lines_list(lines: &[usize]) -> String {
    if lines.is_empty() {
        return String::new();
    }
    let shown: Vec<String> = lines.iter().take(8).map(|l| l.to_string()).collect();
    let more = if lines.len() > 8 { ", ..." } else { "" };
    let word = if lines.len() == 1 { "line" } else { "lines" };
    format!(" ({word} {}{more})", shown.join(", "))
}

fn run_check(a: CheckArgs) -> Result<ExitCode, String> {
    if let Some(tok) = &a.replay {
        let (rules, scenario, bound, trace) =
            check::replay_token(tok).map_err(|e| e.to_string())?;
        println!("profile {} scenario {scenario} bound {bound}", rules.name);
        print!("{}", timeline::render(&rules, &trace, bound.threads, None));
        let violated =
            trace.steps.iter().any(|s| s.obs.violated != 0) || trace.final_obs.violated != 0;
        return Ok(if violated {
            ExitCode::from(1)
        } else {
            ExitCode::SUCCESS
        });
    }
    let bound = Bound {
        threads: a.threads,
        keys: a.keys,
        ops: a.ops,
        env: a.env,
        batch: a.batch,
    };
    bound.validate().map_err(|e| bound_message(&e))?;
    let only = match &a.property {
        Some(id) => Some(Property::from_id(id).ok_or_else(|| {
            format!(
                "unknown property `{id}`; known: {}",
                Property::ALL.map(|p| p.id()).join(", ")
            )
        })?),
        None => None,
    };
    check_jobs(a.jobs)?;
    if a.max_seconds.is_some_and(|s| !(s > 0.0 && s.is_finite())) {
        return Err("--max-seconds must be a positive number".into());
    }
    if a.max_states == Some(0) {
        return Err("--max-states must be at least 1 (0 would explore nothing)".into());
    }
    let max_memory = match &a.max_memory {
        Some(m) => Some(parse_memory(m)?),
        None => onering_check::budget::default_max_memory(),
    };
    let opts = Options {
        symmetry: !a.no_symmetry,
        dead_variables: !a.no_dead_variables,
        dead_ghosts: !a.no_dead_ghosts,
        dead_sources: !a.no_dead_sources,
        por: !a.no_por,
        jobs: a.jobs.unwrap_or_else(|| Options::default().jobs),
        max_states: a.max_states,
        budget: Budget::new(a.max_seconds, max_memory),
    };
    let only_scenario = match &a.scenario {
        Some(text) => Some(Scenario::parse(text).map_err(|e| format!("--scenario `{text}`: {e}"))?),
        None => None,
    };
    let mut profiles: Vec<Rules> = if a.all {
        PROFILES.iter().chain(MUTANTS.iter()).copied().collect()
    } else {
        let name = a.profile.as_deref().unwrap_or(UNIFIED.name);
        vec![profile(name).ok_or_else(|| {
            format!(
                "unknown profile `{name}`; known: {} (and spec mutants: {})",
                profile_names().join(", "),
                MUTANTS.map(|m| m.name).join(", ")
            )
        })?]
    };

    if let Some(sc) = only_scenario {
        // A profile that cannot register one of the scenario's keys is left
        // out (named on standard error); none left is a usage error.
        let mut refused = Vec::new();
        profiles.retain(|r| match sc.fits(r) {
            Ok(()) => true,
            Err(why) => {
                refused.push(why.to_string());
                false
            }
        });
        if profiles.is_empty() {
            return Err(format!("--scenario {sc}: {}", refused.join("; ")));
        }
        for why in &refused {
            eprintln!("onering check: --scenario {sc} not explored: {why}");
        }
    }
    let reports = check_with_progress(&profiles, only_scenario, bound, &opts)?;
    let summary = Summary::new(reports, a.all, only);
    if a.json {
        let v = summary.to_json(bound, &opts);
        println!("{}", serde_json::to_string_pretty(&v).expect("json"));
    } else {
        print!("{}", summary.render(bound, &opts));
    }
    Ok(ExitCode::from(summary.exit_code()))
}
