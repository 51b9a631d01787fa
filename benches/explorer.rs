//! The same model, explored by stateright and by onering's explorer, in one
//! run, side by side: distinct states per second, bytes per visited state,
//! and the state counts with and without symmetry and dead-variable
//! reduction (verdicts with and without reductions are compared by
//! `check/tests/matrix.rs`).
//!
//! `cargo bench -p onering-check --bench explorer [-- PROFILE]`
//!
//! stateright's symmetry reduction exists only in its DFS checker, so the
//! symmetric rows compare onering's BFS with stateright's DFS; the plain rows
//! compare BFS with BFS.

use onering_check::explore::{explore, Options};
use onering_model::symmetry::Symmetry;
use onering_model::{profile, Bound, Model, State, UNIFIED};
use stateright::{Checker, Model as SrModel, Property};
use std::sync::OnceLock;
use std::time::Instant;

/// The onering model as a stateright model: an action is the successor
/// state itself, so each state's successors are computed once.
#[derive(Clone)]
struct Sr(Model);

impl SrModel for Sr {
    type State = State;
    type Action = Box<State>;

    fn init_states(&self) -> Vec<State> {
        vec![self.0.init()]
    }

    fn actions(&self, s: &State, actions: &mut Vec<Box<State>>) {
        let mut steps = Vec::new();
        self.0.successors(s, &mut steps);
        actions.extend(steps.into_iter().map(|st| Box::new(st.next)));
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

static SYM: OnceLock<Symmetry> = OnceLock::new();

fn representative(s: &State) -> State {
    SYM.get().expect("set before checking").canonical(s).0
}

struct Row {
    name: String,
    states: u64,
    transitions: u64,
    seconds: f64,
    bytes: Option<u64>,
}

fn print(rows: &[Row]) {
    println!(
        "{:<40} {:>11} {:>12} {:>8} {:>11} {:>13}",
        "run", "states", "transitions", "seconds", "states/s", "table B/state"
    );
    for r in rows {
        println!(
            "{:<40} {:>11} {:>12} {:>8.2} {:>11.0} {:>13}",
            r.name,
            r.states,
            r.transitions,
            r.seconds,
            r.states as f64 / r.seconds,
            r.bytes.map_or("-".to_string(), |b| format!(
                "{:.1}",
                b as f64 / r.states as f64
            )),
        );
    }
}

fn main() {
    let name = std::env::args()
        .skip(1)
        .find(|a| !a.starts_with('-'))
        .unwrap_or_else(|| UNIFIED.name.to_string());
    let rules = profile(&name).unwrap_or_else(|| panic!("unknown profile {name}"));
    let bound = Bound::default();
    let threads = 2;
    // stateright explores the model without the dead-variable reduction, so
    // that both explore the same state space (onering's own reductions are
    // a separate row).
    SYM.set(Symmetry::new(bound.threads, bound.keys, true).dead_variables(false))
        .ok();
    println!(
        "onering explorer vs stateright 0.31, profile {}, bound {bound}, {threads} threads each",
        rules.name
    );
    let mut rows = Vec::new();
    let (mut ours_plain, mut ours_sym, mut ours_full, mut sr_plain, mut sr_sym) = (0, 0, 0, 0, 0);
    for scenario in rules.scenarios {
        let mut model = Model::new(rules, *scenario, bound).expect("valid bound");
        model.dead_variables = false;
        println!("\nscenario {scenario}");
        let mut local = Vec::new();
        for sym in [false, true] {
            // stateright
            let start = Instant::now();
            let builder = Sr(model).checker().threads(threads);
            let checker: Box<dyn Checker<Sr>> = if sym {
                Box::new(builder.symmetry_fn(representative).spawn_dfs().join())
            } else {
                Box::new(builder.spawn_bfs().join())
            };
            let seconds = start.elapsed().as_secs_f64();
            checker.assert_properties();
            let states = checker.unique_state_count() as u64;
            local.push(Row {
                name: format!("stateright {}", if sym { "dfs + symmetry" } else { "bfs" }),
                states,
                transitions: checker.state_count() as u64,
                seconds,
                bytes: None,
            });
            drop(checker);
            if sym {
                sr_sym += states;
            } else {
                sr_plain += states;
            }
            // onering, with the same reduction as stateright (and, with
            // symmetry, also with its dead-variable reduction).
            let variants: &[(bool, &str)] = if sym {
                &[
                    (false, "onering bfs + symmetry"),
                    (true, "onering bfs + symmetry + dead-variables"),
                ]
            } else {
                &[(false, "onering bfs")]
            };
            for &(dead, name) in variants {
                let opts = Options {
                    symmetry: sym,
                    dead_variables: dead,
                    jobs: threads,
                    ..Options::default()
                };
                let e = explore(&model, &opts, |_, _| {});
                local.push(Row {
                    name: name.to_string(),
                    states: e.states,
                    transitions: e.transitions,
                    seconds: e.seconds,
                    bytes: Some(e.bytes as u64),
                });
                match (sym, dead) {
                    (false, _) => ours_plain += e.states,
                    (true, false) => ours_sym += e.states,
                    (true, true) => ours_full += e.states,
                }
            }
        }
        print(&local);
        rows.extend(local);
    }
    let total = |pred: &dyn Fn(&str) -> bool| {
        let (s, t) = rows
            .iter()
            .filter(|r| pred(&r.name))
            .fold((0u64, 0f64), |(s, t), r| (s + r.states, t + r.seconds));
        (s, t, s as f64 / t)
    };
    let (_, _, sr_bfs_rate) = total(&|n| n == "stateright bfs");
    let (_, _, our_bfs_rate) = total(&|n| n == "onering bfs");
    let (_, _, sr_sym_rate) = total(&|n| n == "stateright dfs + symmetry");
    let (_, _, our_sym_rate) = total(&|n| n == "onering bfs + symmetry");
    println!("\nall scenarios:");
    println!(
        "  distinct states/s, no reduction:   stateright {sr_bfs_rate:.0}, onering {our_bfs_rate:.0} ({:.2}x)",
        our_bfs_rate / sr_bfs_rate
    );
    println!(
        "  distinct states/s, symmetry:       stateright {sr_sym_rate:.0}, onering {our_sym_rate:.0} ({:.2}x)",
        our_sym_rate / sr_sym_rate
    );
    println!(
        "  states, no reduction / symmetry / symmetry + dead-variables: onering {ours_plain} / {ours_sym} / {ours_full} ({:.2}x, {:.2}x); stateright {sr_plain} / {sr_sym}",
        ours_plain as f64 / ours_sym as f64,
        ours_plain as f64 / ours_full as f64
    );
    let bytes: u64 = rows
        .iter()
        .filter(|r| r.name.starts_with("onering"))
        .filter_map(|r| r.bytes)
        .sum();
    let states: u64 = rows
        .iter()
        .filter(|r| r.name.starts_with("onering"))
        .map(|r| r.states)
        .sum();
    println!(
        "  onering visited-set bytes/state:   {:.1}",
        bytes as f64 / states as f64
    );
}
