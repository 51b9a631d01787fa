#![forbid(unsafe_code)]
//! Prints what an engine does for each step of a single-threaded case,
//! without judging it: `cargo run -p onering-conformance --example probe --
//! CASE.toml ENGINE [SETUP]`. For writing findings down.

use onering_conformance::case::{parse_case, EngineName};
use onering_conformance::engine::{self, Setup};
use std::process::ExitCode;

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let (Some(path), Some(engine)) = (args.first(), args.get(1)) else {
        eprintln!("usage: probe CASE.toml ENGINE [SETUP]");
        return ExitCode::from(2);
    };
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) => {
            eprintln!("{path}: {e}");
            return ExitCode::from(2);
        }
    };
    let case = match parse_case(path, &text) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    let Some(engine) = EngineName::from_name(engine) else {
        eprintln!("unknown engine {engine}");
        return ExitCode::from(2);
    };
    let setup = args
        .get(2)
        .and_then(|s| Setup::from_name(s))
        .unwrap_or(Setup::Default);
    let rules = engine.profile().unwrap_or(onering_model::UNIFIED);
    let eng = match engine::build(engine, &case, setup, rules) {
        Ok(e) => e,
        Err(e) => {
            eprintln!("{e}");
            return ExitCode::from(2);
        }
    };
    for line in &case.threads[0] {
        println!(
            "{:<28} -> {}",
            line.step.to_string(),
            eng.step(0, &line.step)
        );
    }
    ExitCode::SUCCESS
}
