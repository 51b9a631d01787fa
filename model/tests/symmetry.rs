//! Symmetry reduction is sound only if the transition relation and every
//! property judgement are invariant under renaming threads and keys, and the
//! canonical form is the same for every member of an orbit. Checked here on
//! every state reachable at a small bound, for every profile and scenario.

use onering_model::symmetry::Symmetry;
use onering_model::*;
use std::collections::{HashSet, VecDeque};

fn perms(n: u8) -> Vec<Vec<u8>> {
    let mut out = vec![vec![]];
    for i in 0..n {
        let mut next = Vec::new();
        for p in &out {
            for pos in 0..=p.len() {
                let mut q: Vec<u8> = p.clone();
                q.insert(pos, i);
                next.push(q);
            }
        }
        out = next;
    }
    out
}

/// Successors as a sorted list of (canonical next state, obs, shown answer).
fn succ_summary(
    m: &Model,
    sym: &Symmetry,
    s: &State,
) -> Vec<([u64; PACKED_WORDS], u16, u16, Option<Answer>)> {
    let mut steps = Vec::new();
    m.successors(s, &mut steps);
    let mut v: Vec<_> = steps
        .iter()
        .map(|st| {
            let (_, p, _, _) = sym.canonical_packed(&st.next);
            (p, st.obs.violated, st.obs.witnessed, st.shown.answer)
        })
        .collect();
    v.sort();
    v
}

fn check(rules: Rules, scenario: Scenario, bound: Bound, limit: usize) {
    let m = Model::new(rules, scenario, bound).unwrap();
    let sym = Symmetry::new(bound.threads, bound.keys, true);
    let tps = perms(bound.threads);
    let kps = perms(bound.keys);
    let mut seen = HashSet::new();
    let mut queue = VecDeque::from([m.init()]);
    let mut steps = Vec::new();
    while let Some(s) = queue.pop_front() {
        if !seen.insert(s.pack()) || seen.len() > limit {
            continue;
        }
        let canon = sym.canonical_packed(&s).1;
        let obs = m.state_obs(&s);
        let succ = succ_summary(&m, &sym, &s);
        for tp in &tps {
            for kp in &kps {
                let r = s.permuted(tp, kp);
                assert_eq!(
                    sym.canonical_packed(&r).1,
                    canon,
                    "{} {scenario}: canonical form differs in one orbit",
                    rules.name
                );
                assert_eq!(
                    m.state_obs(&r),
                    obs,
                    "{} {scenario}: state judgement not invariant",
                    rules.name
                );
                assert_eq!(
                    succ_summary(&m, &sym, &r),
                    succ,
                    "{} {scenario}: successors not invariant",
                    rules.name
                );
            }
        }
        steps.clear();
        m.successors(&s, &mut steps);
        queue.extend(steps.iter().map(|st| st.next));
    }
}

#[test]
fn renaming_threads_and_keys_preserves_steps_judgements_and_canonical_form() {
    let bound = Bound {
        threads: 2,
        keys: 2,
        ops: 2,
        env: 2,
        batch: 2,
    };
    for rules in PROFILES.iter().chain(MUTANTS.iter()) {
        for scenario in rules.scenarios {
            check(*rules, *scenario, bound, 1500);
        }
    }
}

#[test]
fn three_threads_three_keys_orbits_are_canonicalised_consistently() {
    let bound = Bound {
        threads: 3,
        keys: 3,
        ops: 1,
        env: 1,
        batch: 2,
    };
    for scenario in UNIFIED.scenarios {
        check(UNIFIED, *scenario, bound, 800);
    }
}
