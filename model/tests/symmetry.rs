//! Symmetry reduction is sound only if the transition relation and every
//! property judgement are invariant under renaming threads and keys, and the
//! canonical form is the same for every member of an orbit. Checked here on
//! every state reachable at a small bound, for every profile and scenario,
//! mixed ports included: there only keys of one class (same kind and mode,
//! each on a source of its own) are renamed into each other.

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

/// The key renamings that keep every key in its class.
fn class_perms(m: &Model) -> Vec<Vec<u8>> {
    let class = m.key_classes();
    perms(m.bound.keys)
        .into_iter()
        .filter(|p| {
            p.iter()
                .enumerate()
                .all(|(old, &new)| class[old] == class[new as usize])
        })
        .collect()
}

fn check(rules: Rules, scenario: Scenario, bound: Bound, limit: usize) {
    let bound = scenario.bound_for(bound);
    let m = Model::new(rules, scenario, bound).unwrap();
    let sym = Symmetry::new(bound.threads, bound.keys, true).key_classes(&m.key_classes());
    let tps = perms(bound.threads);
    let kps = class_perms(&m);
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

/// Every mix `check` explores, under every profile that explores it, plus a
/// mix with two interchangeable keys beside a third (so the restricted
/// group is neither trivial nor the full one).
#[test]
fn renaming_within_key_classes_preserves_mixed_ports() {
    let bound = Bound {
        threads: 2,
        keys: 2,
        ops: 2,
        env: 1,
        batch: 2,
    };
    let mut checked = 0;
    for rules in PROFILES.iter() {
        for mix in MIXES {
            if mix.fits(rules).is_ok() {
                check(*rules, mix, bound, 1500);
                checked += 1;
            }
        }
    }
    assert!(
        checked >= MIXES.len(),
        "every mix is explored by some profile"
    );
    let two_alike = Scenario::parse("level/dispatch+level/dispatch+operation/single").unwrap();
    let m = Model::new(UNIFIED, two_alike, two_alike.bound_for(bound)).unwrap();
    assert_eq!(m.key_classes()[..3], [0, 0, 2]);
    check(UNIFIED, two_alike, bound, 3000);
}

/// The restriction is needed: renaming an fd key into an operation key is
/// not a symmetry (the renamed state's successors differ), so a reduction
/// over every key renaming would merge states that behave differently.
#[test]
fn renaming_across_key_classes_is_not_a_symmetry() {
    let sc = Scenario::parse("level/dispatch+operation/single").unwrap();
    let bound = sc.bound_for(Bound::default());
    let m = Model::new(UNIFIED, sc, bound).unwrap();
    assert_ne!(m.key_classes()[0], m.key_classes()[1]);
    let ident = Symmetry::new(bound.threads, bound.keys, false);
    let s = m.init();
    let swapped = s.permuted(&[0, 1], &[1, 0]);
    assert_ne!(
        succ_summary(&m, &ident, &s),
        succ_summary(&m, &ident, &swapped),
        "swapping a level key and an operation key changes what can happen"
    );
    // And the class-restricted group does not fold them.
    let sym = Symmetry::new(bound.threads, bound.keys, true).key_classes(&m.key_classes());
    assert_ne!(sym.canonical_packed(&s).1, sym.canonical_packed(&swapped).1);
}

/// Two registrations of one source are in classes of their own, even with
/// the same kind and mode (only the first takes the source's environment
/// steps).
#[test]
fn keys_on_a_shared_source_are_not_interchangeable() {
    let sc = Scenario::parse("level/dispatch+level/dispatch@0").unwrap();
    let bound = sc.bound_for(Bound::default());
    let m = Model::new(UNIFIED, sc, bound).unwrap();
    assert_eq!(m.key_classes()[..2], [0, 1]);
    check(
        UNIFIED,
        sc,
        Bound {
            ops: 2,
            ..Bound::default()
        },
        1500,
    );
}
