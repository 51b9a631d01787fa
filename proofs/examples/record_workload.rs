//! Records a random concurrent workload on the reference Port as JSON Lines.
//!
//! `cargo run -p onering-proofs --example record_workload -- SEED THREADS SOURCES CALLS_PER_THREAD [MUTANT]`
use onering_proofs::workload::{record, Workload};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let num = |i: usize, d: u64| args.get(i).and_then(|s| s.parse().ok()).unwrap_or(d);
    let mutant = args.get(4).map(|name| {
        onering::Mutant::ALL
            .iter()
            .copied()
            .find(|m| format!("{m:?}") == *name)
            .unwrap_or_else(|| panic!("unknown mutant {name}"))
    });
    let records = record(Workload {
        seed: num(0, 1),
        threads: num(1, 4) as usize,
        sources: num(2, 8) as usize,
        calls_per_thread: num(3, 2500) as usize,
        mutant,
    });
    print!("{}", onering::history::to_jsonl(&records));
}
