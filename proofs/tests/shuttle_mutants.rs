//! The mutant table under shuttle (DESIGN §5.4): every mutant runs in both
//! shuttle scenarios under both the random and the PCT scheduler (depth 3)
//! from the committed seed, until a schedule fails or the budget is spent.
//! The test prints, per mutant, the first harness and scheduler that caught
//! it and the schedules each combination needed, replays every failing
//! token (it must reproduce the same failure), and fails if a mutant
//! survives every combination. `MissingWakeup` is caught here as a
//! deadlock: shuttle reports it as a failure, where loom aborts.
//!
//! Run: `cargo test -p onering-proofs --release --features shuttle --test shuttle_mutants -- --nocapture`
#![cfg(all(feature = "shuttle", not(loom)))]

mod common_props;
mod common_shuttle;

use common_shuttle::workload::{self, Params, MIXED, POOL};
use common_shuttle::{replay, seed, try_run, Failure, Sched};
use onering::Mutant;

/// Schedules per harness and scheduler before giving up on a mutant.
const BUDGET: usize = 20_000;

const HARNESSES: [(&str, Params); 2] = [("mixed_sources", MIXED), ("readiness_pool", POOL)];

fn short(msg: &str) -> String {
    let line = msg.lines().next().unwrap_or("");
    let line = line
        .strip_prefix("assertion `left == right` failed: ")
        .or_else(|| line.strip_prefix("assertion `left != right` failed: "))
        .unwrap_or(line);
    line.chars().take(80).collect()
}

struct Row {
    mutant: &'static str,
    first: Option<(&'static str, String, Failure)>,
    cells: Vec<String>,
}

#[test]
fn every_mutant_is_caught_by_shuttle() {
    // The mutants' panics are expected: keep them out of the log (the
    // table says what each one was); the default hook is back for the
    // verdict below.
    std::panic::set_hook(Box::new(|_| {}));
    let mut rows = Vec::new();
    let mut bad_replays = Vec::new();
    for m in Mutant::ALL {
        let mut row = Row {
            mutant: m.name(),
            first: None,
            cells: Vec::new(),
        };
        for (name, p) in HARNESSES {
            for sched in Sched::BOTH {
                match try_run(sched, seed(), BUDGET, move || workload::run(p, Some(m))) {
                    Err(fail) => {
                        let token = fail.token.clone().expect("failing schedule persisted");
                        let again = replay(&token, move || workload::run(p, Some(m)));
                        if again.as_ref().err() != Some(&fail.message) {
                            bad_replays.push(format!(
                                "{} {name} {}: replaying {token} gave {again:?}, not {:?}",
                                m.name(),
                                sched.name(),
                                fail.message
                            ));
                        }
                        row.cells.push(fail.executions.to_string());
                        if row.first.is_none() {
                            row.first = Some((name, sched.name(), fail));
                        }
                    }
                    Ok(pass) => row.cells.push(format!("- ({})", pass.executions)),
                }
            }
        }
        rows.push(row);
    }
    println!(
        "\nMutant table (shuttle, seed {}, budget {BUDGET} schedules per cell)",
        seed()
    );
    println!(
        "Columns 4-7: schedules until caught (mixed/random, mixed/PCT, pool/random, pool/PCT); '-' = not caught"
    );
    println!(
        "| {:<28} | {:<14} | {:<16} | {:>7} | {:>7} | {:>7} | {:>7} | property violated",
        "mutant", "caught by", "scheduler", "mix/rnd", "mix/pct", "pool/rnd", "pool/pct"
    );
    let mut survivors = Vec::new();
    for r in &rows {
        let (h, s, prop) = match &r.first {
            Some((h, s, f)) => (*h, s.as_str(), short(&f.message)),
            None => {
                survivors.push(r.mutant);
                ("NOT CAUGHT", "-", String::new())
            }
        };
        println!(
            "| {:<28} | {:<14} | {:<16} | {:>7} | {:>7} | {:>8} | {:>8} | {prop}",
            r.mutant, h, s, r.cells[0], r.cells[1], r.cells[2], r.cells[3]
        );
    }
    println!("\nReplay tokens of the first catch (each cell's token was replayed: same failure):");
    for r in &rows {
        if let Some((_, _, f)) = &r.first {
            let t = f.token.as_deref().unwrap_or("");
            let shown: String = t.chars().take(64).collect();
            let more = if t.len() > 64 { "..." } else { "" };
            println!("  {:<28} {shown}{more}", r.mutant);
        }
    }
    drop(std::panic::take_hook());
    assert!(bad_replays.is_empty(), "{bad_replays:#?}");
    assert!(
        survivors.is_empty(),
        "mutants not caught by shuttle: {survivors:?}"
    );
}
