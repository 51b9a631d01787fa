//! The reductions table: distinct states per scenario with no reduction,
//! with each reduction alone, and with all of them, and whether every
//! configuration gives the same verdicts and witnesses.
//!
//! `cargo bench -p onering-check --bench reductions [-- PROFILE] [--ops N]`
//!
//! Partial-order reduction reads the queue kept sorted by the dead-variable
//! reduction, so it is measured with dead variables on ("dead variables +
//! POR"); alone it reduces nothing. State counts do not depend on timing or
//! on the machine's load, so one run is the measurement.

use onering_check::check::{check_profiles, ProfileReport};
use onering_check::explore::Options;
use onering_model::{profile, Bound, UNIFIED};

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let value = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .cloned()
    };
    let ops: u8 = value("--ops").map_or(Bound::default().ops, |n| n.parse().expect("--ops N"));
    let name = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with('-') && (*i == 0 || !args[i - 1].starts_with("--")))
        .map_or(UNIFIED.name.to_string(), |(_, a)| a.clone());
    let rules = profile(&name).unwrap_or_else(|| panic!("unknown profile {name}"));
    let bound = Bound {
        ops,
        ..Bound::default()
    };
    let none = Options::unreduced();
    let configs: [(&str, Options); 7] = [
        ("none", none.clone()),
        (
            "symmetry",
            Options {
                symmetry: true,
                ..none.clone()
            },
        ),
        (
            "dead variables",
            Options {
                dead_variables: true,
                ..none.clone()
            },
        ),
        (
            "dead ghosts",
            Options {
                dead_ghosts: true,
                ..none.clone()
            },
        ),
        (
            "dead sources",
            Options {
                dead_sources: true,
                ..none.clone()
            },
        ),
        (
            "dead variables + POR",
            Options {
                dead_variables: true,
                por: true,
                ..none.clone()
            },
        ),
        ("all", Options::default()),
    ];
    let reports: Vec<ProfileReport> = configs
        .iter()
        .map(|(_, opts)| {
            check_profiles(&[rules], bound, opts, |_, _, _| {})
                .expect("valid bound")
                .remove(0)
        })
        .collect();
    println!(
        "reductions, profile {}, bound {bound} (mixed scenarios at their own keys and ops)\n",
        rules.name
    );
    let head: Vec<&str> = configs.iter().map(|(n, _)| *n).collect();
    println!("| scenario | {} | none/all |", head.join(" | "));
    println!("|---|{}---:|", "---:|".repeat(configs.len()));
    let all = reports.len() - 1;
    for (i, run) in reports[0].runs.iter().enumerate() {
        let states: Vec<u64> = reports
            .iter()
            .map(|r| r.runs[i].exploration.states)
            .collect();
        let cells: Vec<String> = states.iter().map(|s| s.to_string()).collect();
        println!(
            "| `{}` | {} | {:.1}x |",
            run.scenario,
            cells.join(" | "),
            states[0] as f64 / states[all] as f64
        );
    }
    let totals: Vec<u64> = reports.iter().map(|r| r.states()).collect();
    let cells: Vec<String> = totals.iter().map(|s| format!("**{s}**")).collect();
    println!(
        "| **total** | {} | **{:.1}x** |",
        cells.join(" | "),
        totals[0] as f64 / totals[all] as f64
    );
    let factors: Vec<String> = totals
        .iter()
        .map(|s| format!("{:.2}x", totals[0] as f64 / *s as f64))
        .collect();
    println!("| none / this | {} | |", factors.join(" | "));
    let verdicts = |r: &ProfileReport| -> Vec<(bool, bool)> {
        r.properties
            .iter()
            .map(|p| (p.violation.is_some(), p.witnessed))
            .collect()
    };
    let same = reports.iter().all(|r| verdicts(r) == verdicts(&reports[0]));
    println!(
        "\nverdicts and witnesses identical in every configuration: {}",
        if same { "yes" } else { "NO" }
    );
}
