//! `onering verify` on histories the reference Port recorded: 1k to 1M
//! calls, 2 to 64 threads, 1 to 64 sources. Time (read + check) and peak
//! memory of each row; a row that gets no verdict or is rejected says so in
//! its row (no row panics: threads make each history different). Each row
//! has a budget of 60 s and 3 GiB; past it the row says "no verdict".
//!
//! Each row runs in a child process of this binary (`--one CALLS,THREADS,SOURCES`),
//! so its peak memory (`VmHWM`, the whole process: the history's text, the
//! parsed calls, the parts and the search) is its own, not what an earlier
//! row left. The goals of issue 10 are printed under the table: 10k calls
//! in under 0.1 s, 1M calls in under 10 s.
//!
//! `cargo bench -p onering-proofs --bench history` (`-- quick`: up to 100k;
//! `-- only=CALLS,THREADS,SOURCES` runs that one row, listed or not; `-- refresh` records anew)
//!
//! Reproducible input: the Port runs real threads, so two recordings of the
//! same workload differ. Each row's history is therefore recorded once and
//! kept in `target/bench-histories/` (or `$ONERING_BENCH_HISTORIES`); later
//! runs check the same bytes, so a before/after comparison is on identical
//! input. The `input` column is an FNV-1a digest of the history's text: two
//! rows with the same digest checked the same history.
//!
//! porcupine (the Go checker the algorithm follows) cannot be built here
//! (no Go module proxy on this machine), so no peer runs beside it.

use onering_check::history::{verify_text, Options, Verdict};
use onering_model::UNIFIED;
use onering_proofs::workload::{record, Workload};
use std::process::Command;
use std::time::Instant;

/// Peak resident memory of this process, in MiB (Linux).
fn peak_mib() -> f64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|kb| kb.parse::<f64>().ok())
        .map_or(f64::NAN, |kb| kb / 1024.0)
}

/// FNV-1a over the history's bytes: names the input a row checked.
fn digest(text: &str) -> u64 {
    text.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// Where recorded histories are kept between runs.
fn history_dir() -> std::path::PathBuf {
    std::env::var_os("ONERING_BENCH_HISTORIES").map_or_else(
        || std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/bench-histories"),
        std::path::PathBuf::from,
    )
}

/// The row's history: read from the kept file, or recorded once by the
/// reference Port and kept (unless `refresh`).
fn history(target: usize, threads: usize, sources: usize, refresh: bool) -> String {
    let dir = history_dir();
    // `w2`: the workload after its registration race stopped leaking keys
    // (`onering_proofs::workload`); a file of the leaking workload is not
    // reused.
    let path = dir.join(format!("w2-seed13-{target}-{threads}-{sources}.jsonl"));
    if !refresh {
        if let Ok(text) = std::fs::read_to_string(&path) {
            return text;
        }
    }
    let records = record(Workload {
        seed: 13,
        threads,
        sources,
        // About 0.8 recorded calls per workload step.
        calls_per_thread: target * 5 / 4 / threads,
        mutant: None,
    });
    let text = onering::history::to_jsonl(&records);
    // Written beside and renamed, so an interrupted run leaves no half file.
    let partial = path.with_extension("partial");
    if std::fs::create_dir_all(&dir).is_ok() && std::fs::write(&partial, &text).is_ok() {
        let _ = std::fs::rename(&partial, &path);
    }
    text
}

/// Checks one row's history (recorded or kept) in this process and prints
/// its table line.
fn one(target: usize, threads: usize, sources: usize, refresh: bool) {
    let text = history(target, threads, sources, refresh);
    let input = digest(&text);
    let start = Instant::now();
    // Budgets, so that a row that cannot be decided says so instead of
    // running the machine out of memory.
    let budget = Options {
        max_seconds: Some(60.0),
        max_memory: Some(3 << 30),
    };
    let checked = verify_text(&text, &UNIFIED, &budget, |_, _, _| {});
    let secs = start.elapsed().as_secs_f64();
    let peak = peak_mib();
    let (calls, configs, verdict) = match &checked {
        Ok((calls, r)) => (
            r.calls,
            r.explored,
            match &r.verdict {
                Verdict::Linearizable => "linearizable".to_string(),
                Verdict::NotLinearizable(f) => {
                    format!("NOT linearizable at line {}", calls[f.stuck].line)
                }
                Verdict::NoVerdict(n) => onering_check::history::no_verdict_text(calls, n),
            },
        ),
        Err(e) => (0, 0, format!("error: {e}")),
    };
    println!(
        "{target:>9} {threads:>7} {sources:>7} {calls:>9} {configs:>10} {secs:>9.3} {peak:>9.1} {:>10.0} {input:>16x}  {verdict}",
        calls as f64 / secs
    );
}

/// `(calls, threads, sources)` from `A,B,C`.
fn row(v: &str) -> Option<(usize, usize, usize)> {
    let n: Vec<usize> = v.split(',').filter_map(|n| n.parse().ok()).collect();
    match n[..] {
        [c, t, s] if t > 0 && s > 0 => Some((c, t, s)),
        _ => None,
    }
}

fn main() {
    let args: Vec<String> = std::env::args().collect();
    if let Some(i) = args.iter().position(|a| a == "--one") {
        let Some((c, t, s)) = args.get(i + 1).and_then(|v| row(v)) else {
            eprintln!("--one needs CALLS,THREADS,SOURCES");
            std::process::exit(2);
        };
        one(c, t, s, args.iter().any(|a| a == "refresh"));
        return;
    }
    let quick = args.iter().any(|a| a == "quick");
    let refresh = args.iter().any(|a| a == "refresh");
    let only: Option<(usize, usize, usize)> = args
        .iter()
        .find_map(|a| a.strip_prefix("only="))
        .and_then(row);
    println!(
        "{:>9} {:>7} {:>7} {:>9} {:>10} {:>9} {:>9} {:>10} {:>16}  verdict",
        "target",
        "threads",
        "sources",
        "calls",
        "configs",
        "seconds",
        "peak MiB",
        "calls/s",
        "input"
    );
    // (calls, threads, sources): 1k to 1M calls, 2 to 64 threads, 1 to 64
    // sources.
    let rows: &[(usize, usize, usize)] = &[
        (1_000, 2, 1),
        (1_000, 8, 8),
        (1_000, 64, 64),
        (10_000, 2, 1),
        (10_000, 2, 8),
        (10_000, 8, 8),
        (10_000, 64, 1),
        (10_000, 64, 64),
        (100_000, 2, 1),
        (100_000, 2, 64),
        (100_000, 8, 8),
        (100_000, 64, 1),
        (100_000, 64, 64),
        (1_000_000, 2, 1),
        (1_000_000, 2, 64),
        (1_000_000, 8, 8),
        (1_000_000, 64, 64),
    ];
    let mut goals: Vec<(usize, usize, usize, f64, f64)> = Vec::new();
    let only_row = only.map(|r| [r]);
    let rows = only_row.as_ref().map_or(rows, |r| &r[..]);
    for &(target, threads, sources) in rows {
        if quick && target > 100_000 {
            continue;
        }
        // Recorded (or kept) here, so that the row's process only reads
        // and checks it.
        drop(history(target, threads, sources, refresh));
        // Its own process: its own peak memory, and a crash is a row.
        let mut cmd = Command::new(std::env::current_exe().expect("own path"));
        cmd.args(["--one", &format!("{target},{threads},{sources}")]);
        let line = match cmd.output() {
            Ok(out) if out.status.success() => {
                String::from_utf8_lossy(&out.stdout).trim_end().to_string()
            }
            Ok(out) => format!(
                "{target:>9} {threads:>7} {sources:>7}  the row's process failed ({}): {}",
                out.status,
                String::from_utf8_lossy(&out.stderr)
                    .lines()
                    .last()
                    .unwrap_or("")
            ),
            Err(e) => format!("{target:>9} {threads:>7} {sources:>7}  cannot run a row: {e}"),
        };
        println!("{line}");
        if let Some((secs, goal)) = seconds_of(&line).zip(goal(target)) {
            goals.push((target, threads, sources, secs, goal));
        }
    }
    // The goals (issue 10), row by row: the lead re-takes them on a quiet
    // machine.
    for (c, t, s, secs, goal) in goals {
        let met = if secs < goal { "met" } else { "NOT met" };
        println!(
            "goal: {c} calls x {t} threads x {s} sources in under {goal} s: {secs:.3} s, {met}"
        );
    }
}

/// The seconds column of a row's line.
fn seconds_of(line: &str) -> Option<f64> {
    line.split_whitespace().nth(5)?.parse().ok()
}

/// The goal for a row of `target` calls, in seconds, if any.
fn goal(target: usize) -> Option<f64> {
    match target {
        10_000 => Some(0.1),
        1_000_000 => Some(10.0),
        _ => None,
    }
}
