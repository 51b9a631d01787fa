//! The reductions change no verdict and no witness, every spec mutant is
//! still caught, and every trace a reduced run finds is a run of the
//! unreduced model: every profile and every spec mutant, on every scenario
//! it explores (the mixed ports included), judged with no reduction at all,
//! with every reduction, and with every reduction but each of the model's
//! own (dead ghosts, dead sources).
//!
//! At `--ops 2`: the unreduced runs of every profile and mutant at the
//! default bound take minutes (`matrix.rs` compares four profiles there,
//! unreduced against reduced).

use onering_check::check::{check_profiles, mutants, replay_token, token, ProfileReport};
use onering_check::explore::{Options, Trace};
use onering_model::{
    Bound, Entry, Model, Property, Rules, Scenario, Shown, State, MUTANTS, PROFILES,
};
use std::sync::OnceLock;

fn bound() -> Bound {
    Bound {
        ops: 2,
        ..Bound::default()
    }
}

fn judge(opts: &Options) -> Vec<ProfileReport> {
    let all: Vec<Rules> = PROFILES.iter().chain(MUTANTS.iter()).copied().collect();
    check_profiles(&all, bound(), opts, |_, _, _| {}).expect("valid bound")
}

/// The runs with every reduction, shared by the tests.
fn reduced() -> &'static Vec<ProfileReport> {
    static R: OnceLock<Vec<ProfileReport>> = OnceLock::new();
    R.get_or_init(|| judge(&Options::default()))
}

/// Per property: violated, witnessed.
fn verdicts(r: &ProfileReport) -> Vec<(Property, bool, bool)> {
    r.properties
        .iter()
        .map(|p| (p.property, p.violation.is_some(), p.witnessed))
        .collect()
}

fn assert_same_verdicts(what: &str, base: &[ProfileReport], other: &[ProfileReport]) {
    assert_eq!(base.len(), other.len());
    for (a, b) in base.iter().zip(other) {
        assert_eq!(a.rules.name, b.rules.name);
        assert!(a.complete() && b.complete(), "{}", a.rules.name);
        assert_eq!(
            verdicts(a),
            verdicts(b),
            "{}: verdicts or witnesses differ {what}",
            a.rules.name
        );
    }
}

fn report<'a>(reports: &'a [ProfileReport], name: &str) -> &'a ProfileReport {
    reports
        .iter()
        .find(|r| r.rules.name == name)
        .expect("profile checked")
}

#[test]
fn no_reduction_changes_a_verdict_or_a_witness_of_any_profile_or_mutant() {
    let none = judge(&Options::unreduced());
    let all = reduced();
    assert_same_verdicts("with every reduction", &none, all);
    for (off, opts) in [
        (
            "dead ghosts",
            Options {
                dead_ghosts: false,
                ..Options::default()
            },
        ),
        (
            "dead sources",
            Options {
                dead_sources: false,
                ..Options::default()
            },
        ),
    ] {
        let but = judge(&opts);
        assert_same_verdicts(&format!("without {off}"), &none, &but);
    }
    for (m, p) in mutants() {
        for (what, reps) in [("unreduced", &none), ("reduced", all)] {
            assert!(
                report(reps, m.name).property(p).violation.is_some(),
                "{} is not caught by {p} {what}",
                m.name
            );
        }
    }
    // The reductions reduce: 7.3x over every profile and mutant at this
    // bound when this test was written (19,246,690 states to 2,654,677).
    let states = |reps: &[ProfileReport]| reps.iter().map(|r| r.states()).sum::<u64>();
    let (n, a) = (states(&none), states(all));
    assert!(a * 7 <= n, "{n} states unreduced, {a} reduced");
}

/// What a state is to every later step and judgement: its fields with
/// everything dead cleared ([`Model::forget`]) and its generations
/// renumbered (the explorer expands canonical states, whose generations
/// differ from the unreduced run's by a renaming).
fn essence(m: &Model, s: &State) -> State {
    let mut all = *m;
    all.dead_variables = true;
    all.dead_ghosts = true;
    all.dead_sources = true;
    let mut c = all.forget(s);
    c.normalize_generations();
    if c.all_done() {
        c.sort_queue();
    }
    c
}

/// Whether two steps showed the same, generations aside (a batch entry
/// names its registration's generation, which the reduced run renumbers).
fn same_shown(a: Shown, b: Shown) -> bool {
    let strip = |s: Shown| Shown {
        batch: s.batch.map(|e| e.map(|e| Entry::new(e.key(), 0, e.kind()))),
        ..s
    };
    strip(a) == strip(b)
}

/// Replays `trace`'s actions (in the initial state's names) in the model
/// without any reduction: each step must have an outcome that shows the
/// same and reaches the same state, less dead fields, with the same
/// violations; the last step or state must violate `p`.
fn replays_unreduced(rules: Rules, sc: Scenario, bound: Bound, trace: &Trace, p: Property) {
    let mut model = Model::new(rules, sc, bound).expect("valid bound");
    Options::unreduced().set_reductions(&mut model);
    let mut cur = model.init();
    let mut out = Vec::new();
    for (i, ts) in trace.steps.iter().enumerate() {
        out.clear();
        model.apply(&cur, ts.action, &mut out);
        let want = essence(&model, &ts.state);
        let st = out
            .iter()
            .find(|st| same_shown(st.shown, ts.shown) && essence(&model, &st.next) == want)
            .unwrap_or_else(|| {
                panic!(
                    "{} {sc}: step {} ({:?}) of the {p} trace has no unreduced counterpart",
                    rules.name,
                    i + 1,
                    ts.action
                )
            });
        assert_eq!(st.obs.violated, ts.obs.violated, "{} {sc}", rules.name);
        cur = st.next;
    }
    let last = trace.steps.last().map(|s| s.obs);
    assert!(
        last.is_some_and(|o| o.violates(p)) || model.state_obs(&cur).violates(p),
        "{} {sc}: the unreduced replay does not end in a violation of {p}",
        rules.name
    );
}

#[test]
fn every_trace_of_a_reduced_run_replays_by_token_and_in_the_unreduced_model() {
    let mut traces = 0;
    for r in reduced() {
        for run in &r.runs {
            for p in Property::ALL {
                let Some(trace) = run.exploration.violation(p) else {
                    continue;
                };
                let tok = token(&r.rules, run.scenario, bound(), &Options::default(), trace);
                let (_, _, _, again) = replay_token(&tok).expect("token replays");
                assert_eq!(again.steps.len(), trace.steps.len(), "{tok}");
                replays_unreduced(r.rules, run.scenario, run.bound, trace, p);
                traces += 1;
            }
        }
    }
    assert!(traces > 0, "no violation found to replay");
}

/// The token names the reductions a path needs, and refuses what it could
/// not have written.
#[test]
fn tokens_name_the_model_reductions_they_replay_with() {
    use onering_check::check::reduction_flags;
    let off = Options {
        dead_ghosts: false,
        dead_sources: false,
        ..Options::unreduced()
    };
    assert_eq!(reduction_flags(&off), "nxgo");
    assert_eq!(reduction_flags(&Options::default()), "s");
    let ok = "m0:unified:level/dispatch:2.2.3.2.2:sgo:";
    let version = onering_model::MODEL_VERSION;
    let ok = ok.replacen("m0", &format!("m{version}"), 1);
    assert!(replay_token(&ok).is_ok(), "{ok}");
    for bad in ["sog", "sxx", "q", "", "sy"] {
        let tok = format!("m{version}:unified:level/dispatch:2.2.3.2.2:{bad}:");
        assert!(replay_token(&tok).is_err(), "{tok}");
    }
}
