//! The model's runner of the rule corpus (`corpus/rules/*.toml`): every
//! case is applied step by step with `Model::apply`, keeping every state
//! consistent with what the steps showed so far (a step may have several
//! outcomes; the expectation picks among them).

use onering_corpus::{cases, Case, Engine, Expect, Line};
use onering_model::{Bound, Model, State, Step, MAX_BATCH};

fn model(case: &Case) -> Model {
    let bound = Bound {
        threads: case.threads,
        keys: case.keys,
        ops: 1,
        env: 1,
        batch: MAX_BATCH,
    };
    let mut m = Model::new(case.rules, case.scenario, bound)
        .unwrap_or_else(|e| panic!("case {}: {e}", case.name));
    // A case is as long as it is written: no budgets, nothing forgotten.
    m.budgets = false;
    m.dead_variables = false;
    m
}

fn shows(m: &Model, st: &Step, e: &Expect) -> bool {
    if let (Some(word), Some(a)) = (&e.says, st.shown.answer) {
        if m.rules.answer_name(a) != word {
            return false;
        }
    }
    let after = m.state_obs(&st.next);
    if !e.state_violates.iter().all(|p| after.violates(*p)) {
        return false;
    }
    if let Some(b) = &e.batch {
        let got: Vec<_> = st.shown.batch().map(|x| (x.key(), x.kind())).collect();
        if &got != b || !st.shown.returned {
            return false;
        }
    }
    if e.answer.is_some() && st.shown.answer != e.answer {
        return false;
    }
    if e.parks && st.shown.returned {
        return false;
    }
    if let Some(n) = e.released {
        if st.shown.released.count_ones() as u8 != n {
            return false;
        }
    }
    if let Some(t) = e.woke {
        if st.shown.woke != 1 << t {
            return false;
        }
    }
    if e.ok && st.obs.violated != 0 {
        return false;
    }
    e.violates.iter().all(|p| st.obs.violates(*p))
        && e.witnesses.iter().all(|p| st.obs.witnesses(*p))
}

fn describe(steps: &[Step]) -> String {
    steps
        .iter()
        .map(|st| {
            let batch: Vec<String> = st.shown.batch().map(|e| e.to_string()).collect();
            format!(
                "  {} -> [{}] answer={:?} returned={} released={:#b} obs={:?}",
                st.action,
                batch.join(" "),
                st.shown.answer,
                st.shown.returned,
                st.shown.released,
                st.obs
            )
        })
        .collect::<Vec<_>>()
        .join("\n")
}

fn run(case: &Case) -> Result<(), String> {
    let m = model(case);
    let mut states: Vec<State> = vec![m.init()];
    for (i, line) in case.steps.iter().enumerate() {
        let at = |text: &str| format!("{} ({}) step {} `{text}`", case.name, case.file, i + 1);
        match line {
            Line::Queue { entries, text } => {
                states.retain(|s| {
                    let q: Vec<_> = s.queue().iter().map(|e| (e.key(), e.kind())).collect();
                    &q == entries
                });
                if states.is_empty() {
                    return Err(format!("{}: no state has that queue", at(text)));
                }
            }
            Line::Is { key, reg, text } => {
                states.retain(|s| s.keys[*key as usize].reg == *reg);
                if states.is_empty() {
                    return Err(format!("{}: no state has k{key} {reg:?}", at(text)));
                }
            }
            Line::Step {
                action,
                expect,
                text,
            } => {
                let mut outs = Vec::new();
                for s in &states {
                    m.apply(s, *action, &mut outs);
                }
                if expect.refused {
                    if !outs.is_empty() {
                        return Err(format!("{}: not refused:\n{}", at(text), describe(&outs)));
                    }
                    continue;
                }
                if let Some(n) = expect.outcomes {
                    if outs.len() != n {
                        return Err(format!(
                            "{}: {} outcomes, expected {n}:\n{}",
                            at(text),
                            outs.len(),
                            describe(&outs)
                        ));
                    }
                }
                let matching: Vec<Step> = outs
                    .iter()
                    .copied()
                    .filter(|st| shows(&m, st, expect))
                    .collect();
                if matching.is_empty() {
                    return Err(format!(
                        "{}: no outcome shows {expect:?}; the model's outcomes:\n{}",
                        at(text),
                        describe(&outs)
                    ));
                }
                states = matching.iter().map(|st| st.next).collect();
                states.sort_by_key(|s| s.pack());
                states.dedup_by_key(|s| s.pack());
            }
        }
    }
    Ok(())
}

#[test]
fn every_corpus_case_holds_in_the_model() {
    let cases = cases().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases.iter().filter(|c| c.engines.contains(&Engine::Model)) {
        ran += 1;
        if let Err(e) = run(case) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n\n")
    );
    assert!(ran > 20, "only {ran} model cases");
}

#[test]
fn the_corpus_catches_every_spec_mutant() {
    let cases = cases().unwrap_or_else(|e| panic!("{e}"));
    for mutant in onering_model::MUTANTS {
        let caught = cases
            .iter()
            .filter(|c| c.engines.contains(&Engine::Model) && c.rules.name == "unified")
            .find_map(|c| {
                let mut c = c.clone();
                c.rules = mutant;
                run(&c).err()
            });
        assert!(caught.is_some(), "{} survived the corpus", mutant.name);
    }
}
