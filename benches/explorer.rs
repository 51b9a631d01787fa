//! The same model, explored by stateright and by onering's explorer, side
//! by side: distinct states per second, peak resident memory per distinct
//! state, and the state counts with and without symmetry reduction; then
//! onering's scaling from 1 to 2 jobs on one large scenario.
//!
//! `cargo bench -p onering-check --bench explorer [-- PROFILE] [--repeat N]`
//!
//! Fairness:
//!
//! * BFS against BFS. stateright 0.31's own symmetry reduction
//!   (`symmetry_fn`) exists only in its DFS checker, so the symmetric rows
//!   run stateright's BFS over the *quotient* model instead: its successor
//!   function returns each successor's canonical representative (the same
//!   [`Symmetry::canonical`] onering uses), so both engines canonicalise
//!   every transition and explore the same set of representatives (the
//!   state counts are printed and must match).
//! * Every measurement runs in a fresh process (this binary re-runs itself
//!   with `--one`), so no engine inherits another's heap or warmed caches;
//!   the engines alternate, and each row is the median of `--repeat` runs
//!   (default 3).
//! * Both explore without onering's dead-variable, dead-ghost, dead-source
//!   and partial-order reductions (stateright has none of them; the
//!   reductions table is `cargo bench -p onering-check --bench reductions`);
//!   the same per-state judgement runs
//!   on every state in both.
//! * Peak RSS is the child's `VmHWM` after its one exploration.

use onering_check::budget::peak_resident_bytes;
use onering_check::explore::{explore, Options};
use onering_model::symmetry::Symmetry;
use onering_model::{profile, Bound, Model, Rules, State, UNIFIED};
use stateright::{Checker, Model as SrModel, Property};
use std::process::Command;
use std::sync::OnceLock;
use std::time::Instant;

/// The onering model as a stateright model: an action is the successor
/// state itself (canonical when `SYM` is set), so each state's successors
/// are computed once.
#[derive(Clone)]
struct Sr(Model);

static SYM: OnceLock<Option<Symmetry>> = OnceLock::new();

fn quotient(s: State) -> State {
    match SYM.get().expect("set before checking") {
        Some(sym) => sym.canonical(&s).0,
        None => s,
    }
}

impl SrModel for Sr {
    type State = State;
    type Action = Box<State>;

    fn init_states(&self) -> Vec<State> {
        vec![quotient(self.0.init())]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Box<State>>) {
        let mut steps = Vec::new();
        self.0.successors(s, &mut steps);
        actions.extend(steps.into_iter().map(|st| Box::new(quotient(st.next))));
    }

    fn next_state(&self, _: &State, a: Box<State>) -> Option<State> {
        Some(*a)
    }

    fn properties(&self) -> Vec<Property<Self>> {
        // The same per-state judgement onering makes on every new state.
        vec![Property::always("state invariants", |m: &Sr, s: &State| {
            m.0.state_obs(s).violated == 0
        })]
    }
}

/// One measurement, in this process: prints `states seconds peak_rss`.
fn one(args: &[String]) {
    let get = |k: &str| {
        args.iter()
            .position(|a| a == k)
            .and_then(|i| args.get(i + 1))
            .unwrap_or_else(|| panic!("missing {k}"))
            .clone()
    };
    let rules = profile(&get("--profile")).expect("known profile");
    let sc = rules.scenarios[get("--scenario").parse::<usize>().expect("index")];
    let ops: u8 = get("--ops").parse().expect("ops");
    let jobs: usize = get("--jobs").parse().expect("jobs");
    let sym = get("--sym") == "1";
    let bound = Bound {
        ops,
        ..Bound::default()
    };
    let mut model = Model::new(rules, sc, bound).expect("valid bound");
    // Neither engine gets the model's own reductions (dead variables, dead
    // ghosts, dead sources): stateright calls the same `successors`.
    Options::unreduced().set_reductions(&mut model);
    let start = Instant::now();
    let states = if get("--engine") == "stateright" {
        SYM.set(sym.then(|| Symmetry::new(bound.threads, bound.keys, true).dead_variables(false)))
            .ok();
        let checker = Sr(model).checker().threads(jobs).spawn_bfs().join();
        checker.assert_properties();
        checker.unique_state_count() as u64
    } else {
        let opts = Options {
            symmetry: sym,
            jobs,
            ..Options::unreduced()
        };
        explore(&model, &opts, |_, _| {}).states
    };
    let seconds = start.elapsed().as_secs_f64();
    println!("{states} {seconds} {}", peak_resident_bytes().unwrap_or(0));
}

#[derive(Clone, Copy)]
struct Sample {
    states: u64,
    seconds: f64,
    rss: u64,
}

fn run_child(
    rules: &Rules,
    scenario: usize,
    engine: &str,
    sym: bool,
    ops: u8,
    jobs: usize,
) -> Sample {
    let out = Command::new(std::env::current_exe().expect("own path"))
        .args([
            "--one",
            "--profile",
            rules.name,
            "--scenario",
            &scenario.to_string(),
            "--engine",
            engine,
            "--sym",
            if sym { "1" } else { "0" },
            "--ops",
            &ops.to_string(),
            "--jobs",
            &jobs.to_string(),
        ])
        .output()
        .expect("runs itself");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let text = String::from_utf8_lossy(&out.stdout);
    let f: Vec<&str> = text.split_whitespace().collect();
    Sample {
        states: f[0].parse().expect("states"),
        seconds: f[1].parse().expect("seconds"),
        rss: f[2].parse().expect("rss"),
    }
}

/// The machine's load averages (1, 5, 15 minutes), as `/proc/loadavg`
/// gives them: wall-clock ratios on a shared machine mean little without.
fn load() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
        .unwrap_or_else(|_| "unknown".into())
}

fn median(mut v: Vec<Sample>) -> Sample {
    v.sort_by(|a, b| a.seconds.total_cmp(&b.seconds));
    let m = v[v.len() / 2];
    Sample {
        rss: {
            let mut r: Vec<u64> = v.iter().map(|s| s.rss).collect();
            r.sort();
            r[r.len() / 2]
        },
        ..m
    }
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.iter().any(|a| a == "--one") {
        return one(&args);
    }
    let repeat: usize = args
        .iter()
        .position(|a| a == "--repeat")
        .and_then(|i| args.get(i + 1))
        .map_or(3, |n| n.parse().expect("--repeat N"));
    let name = args
        .iter()
        .enumerate()
        .find(|(i, a)| !a.starts_with('-') && (*i == 0 || args[i - 1] != "--repeat"))
        .map_or(UNIFIED.name.to_string(), |(_, a)| a.clone());
    let rules = profile(&name).unwrap_or_else(|| panic!("unknown profile {name}"));
    let bound = Bound::default();
    let jobs = 2;
    println!(
        "onering explorer vs stateright 0.31 (both BFS), profile {}, bound {bound}, {jobs} threads each, \
         median of {repeat} runs, each in its own process, engines alternating; {} cores, load average {}",
        rules.name,
        std::thread::available_parallelism().map_or(1, |n| n.get()),
        load()
    );
    println!(
        "{:<22} {:<10} {:>10} {:>10} {:>9} {:>10} {:>9} {:>10} {:>7}",
        "scenario",
        "symmetry",
        "states",
        "sr st/s",
        "sr B/st",
        "or st/s",
        "or B/st",
        "or/sr",
        "same"
    );
    // Totals per symmetry setting: (states, sr seconds, or seconds).
    let mut tot = [(0u64, 0f64, 0f64, 0u64, 0u64); 2];
    for (si, sc) in rules.scenarios.iter().enumerate() {
        for sym in [false, true] {
            let (mut sr, mut or) = (Vec::new(), Vec::new());
            for r in 0..repeat {
                // Alternate which engine goes first.
                if r % 2 == 0 {
                    sr.push(run_child(&rules, si, "stateright", sym, bound.ops, jobs));
                    or.push(run_child(&rules, si, "onering", sym, bound.ops, jobs));
                } else {
                    or.push(run_child(&rules, si, "onering", sym, bound.ops, jobs));
                    sr.push(run_child(&rules, si, "stateright", sym, bound.ops, jobs));
                }
            }
            let (s, o) = (median(sr), median(or));
            let rate = |x: &Sample| x.states as f64 / x.seconds;
            println!(
                "{:<22} {:<10} {:>10} {:>10.0} {:>9.0} {:>10.0} {:>9.0} {:>9.2}x {:>7}",
                sc.to_string(),
                if sym { "yes" } else { "no" },
                o.states,
                rate(&s),
                s.rss as f64 / s.states as f64,
                rate(&o),
                o.rss as f64 / o.states as f64,
                rate(&o) / rate(&s),
                if s.states == o.states { "yes" } else { "NO" }
            );
            let t = &mut tot[sym as usize];
            t.0 += o.states;
            t.1 += s.seconds;
            t.2 += o.seconds;
            t.3 += s.rss;
            t.4 += o.rss;
        }
    }
    println!("\nall scenarios (distinct states per second of summed medians; peak RSS per state):");
    for (i, label) in ["no reduction", "symmetry"].iter().enumerate() {
        let (n, ss, os, sr_rss, or_rss) = tot[i];
        println!(
            "  {label:<13} stateright {:>9.0} st/s {:>6.0} B/st, onering {:>9.0} st/s {:>6.0} B/st: {:.2}x the states/s, {:.2}x less memory",
            n as f64 / ss,
            sr_rss as f64 / n as f64,
            n as f64 / os,
            or_rss as f64 / n as f64,
            ss / os,
            sr_rss as f64 / or_rss as f64
        );
    }

    // Scaling: one large scenario (the first), with symmetry, 1 and 2 jobs.
    let ops = 5;
    let (mut one_job, mut two_jobs) = (Vec::new(), Vec::new());
    for r in 0..repeat {
        if r % 2 == 0 {
            one_job.push(run_child(&rules, 0, "onering", true, ops, 1));
            two_jobs.push(run_child(&rules, 0, "onering", true, ops, 2));
        } else {
            two_jobs.push(run_child(&rules, 0, "onering", true, ops, 2));
            one_job.push(run_child(&rules, 0, "onering", true, ops, 1));
        }
    }
    let (a, b) = (median(one_job), median(two_jobs));
    println!(
        "\nscaling, {} at --ops {ops} with symmetry ({} states): 1 job {:.2}s, 2 jobs {:.2}s: {:.2}x \
         (peak RSS {:.0} B/state; load average {} after)",
        rules.scenarios[0],
        a.states,
        a.seconds,
        b.seconds,
        a.seconds / b.seconds,
        b.rss as f64 / b.states as f64,
        load()
    );
}
