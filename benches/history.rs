//! The history checker on histories recorded by the reference Port:
//! a 10,000-call history over 8 sources (the figure: under a
//! second), and, for scale, a more concurrent one with more threads.
//!
//! `cargo bench -p onering-proofs --bench history`
//!
//! porcupine (the Go checker the algorithm follows) cannot be built here
//! (no Go module proxy on this machine), so no peer runs beside it.

use onering_check::history::{parse_jsonl, verify};
use onering_model::UNIFIED;
use onering_proofs::workload::{record, Workload};
use std::time::Instant;

fn main() {
    println!(
        "{:<44} {:>8} {:>8} {:>13} {:>9} {:>12}",
        "history", "calls", "sources", "configs", "seconds", "calls/s"
    );
    for (name, w) in [
        (
            "4 threads x 2,500 calls, 8 sources",
            Workload {
                seed: 7,
                threads: 4,
                sources: 8,
                calls_per_thread: 3300,
                mutant: None,
            },
        ),
        (
            "8 threads x 1,250 calls, 8 sources",
            Workload {
                seed: 11,
                threads: 8,
                sources: 8,
                calls_per_thread: 1650,
                mutant: None,
            },
        ),
        (
            "2 threads x 50,000 calls, 8 sources",
            Workload {
                seed: 13,
                threads: 2,
                sources: 8,
                calls_per_thread: 66000,
                mutant: None,
            },
        ),
    ] {
        let records = record(w);
        let text = onering::history::to_jsonl(&records);
        let start = Instant::now();
        let calls = parse_jsonl(&text, &UNIFIED).expect("the Port writes valid histories");
        let v = verify(&calls, &UNIFIED).expect("checkable");
        let secs = start.elapsed().as_secs_f64();
        assert!(v.is_linearizable(), "{name}: {:?}", v.verdict);
        println!(
            "{name:<44} {:>8} {:>8} {:>13} {:>9.3} {:>12.0}",
            v.calls,
            v.parts,
            v.explored,
            secs,
            v.calls as f64 / secs
        );
    }
}
