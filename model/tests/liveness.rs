//! The lemmas the dead-ghost and dead-source reductions stand on
//! (`model/src/step/liveness.rs`), checked on every transition from every
//! state reachable at `--ops 2`, for every profile and spec mutant, on every
//! scenario it explores (mixed ports included). Each lemma says that a
//! field, once dead, stays dead until the one step that overwrites it:
//!
//! * a dead cancel record (`Model::dead_cancel_bits`) stays dead, or the
//!   step registered its key into that generation again and cleared the
//!   record in the key and in every snapshot;
//! * a closed readiness source whose registration went with it (a profile
//!   whose close removes it) stays closed, its registration never `Armed` or
//!   `Disarmed` again;
//! * once no thread has an operation left, a `Free` readiness registration
//!   with nothing queued stays `Free` with nothing queued, and a decided
//!   operation stays decided.

use onering_model::symmetry::Symmetry;
use onering_model::*;
use std::collections::HashSet;

fn scenarios(rules: &Rules) -> Vec<Scenario> {
    let mut v: Vec<Scenario> = rules.scenarios.to_vec();
    v.extend(MIXES.into_iter().filter(|m| m.fits(rules).is_ok()));
    v
}

fn decided(ks: &KeyState) -> bool {
    ks.reg != Reg::InFlight || matches!(ks.cancel, CancelReq::Won | CancelReq::Woken)
}

fn unreachable_source(m: &Model, s: &State, k: u8) -> bool {
    let ks = s.keys[k as usize];
    let no_ops = (0..m.bound.threads).all(|t| s.threads[t as usize].ops_left == 0);
    let queued = s.queue().iter().any(|e| e.key() == k);
    no_ops
        && match m.kind(k) {
            kind if kind.is_readiness() => ks.reg == Reg::Free && !queued,
            SourceKind::Operation => decided(&ks),
            _ => false,
        }
}

fn removed_by_close(m: &Model, s: &State, k: u8) -> bool {
    let ks = s.keys[k as usize];
    m.rules.close != CloseRule::Survives
        && m.kind(k).is_readiness()
        && ks.closed
        && !matches!(ks.reg, Reg::Armed | Reg::Disarmed)
}

/// Checks every lemma on the step `s` → `next`.
fn check_step(m: &Model, s: &State, st: &Step) {
    let next = &st.next;
    let what = || {
        format!(
            "{} {}: {:?} from {s:?}",
            m.rules.name, m.scenario, st.action
        )
    };
    let before = m.dead_cancel_bits(s);
    let after = m.dead_cancel_bits(next);
    for k in 0..m.bound.keys {
        for g in 0..4u8 {
            let bit = 1u16 << (4 * k + g);
            if before & bit == 0 || after & bit != 0 {
                continue;
            }
            let ks = next.keys[k as usize];
            let cleared = ks.gen == g
                && ks.cancelled_gens & (1 << g) == 0
                && next.threads.iter().all(|t| t.snapshot & bit == 0);
            assert!(
                cleared,
                "cancel record ({k}, {g}) came back to life: {}",
                what()
            );
        }
        if removed_by_close(m, s, k) {
            // (Or the dead-source reduction forgot that it was closed, at
            // the step after which it became unreachable.)
            assert!(
                removed_by_close(m, next, k) || unreachable_source(m, next, k),
                "closed source came back: {}",
                what()
            );
        }
        if unreachable_source(m, s, k) {
            assert!(
                unreachable_source(m, next, k),
                "unreachable source reached: {}",
                what()
            );
        }
    }
}

#[test]
fn dead_fields_stay_dead_until_overwritten_on_every_profile_and_mutant() {
    let mut transitions = 0u64;
    for rules in PROFILES.iter().chain(MUTANTS.iter()) {
        for sc in scenarios(rules) {
            let bound = sc.bound_for(Bound {
                ops: 2,
                ..Bound::default()
            });
            let m = Model::new(*rules, sc, bound).expect("valid bound");
            let sym = Symmetry::new(bound.threads, bound.keys, true)
                .key_classes(&m.key_classes())
                .dead_variables(true);
            let init = sym.canonical(&m.init()).0;
            let mut seen: HashSet<[u64; PACKED_WORDS]> = HashSet::from([init.pack()]);
            let mut frontier = vec![init];
            let mut steps = Vec::new();
            while let Some(s) = frontier.pop() {
                steps.clear();
                m.successors(&s, &mut steps);
                for st in &steps {
                    check_step(&m, &s, st);
                    transitions += 1;
                    let c = sym.canonical(&st.next).0;
                    if seen.insert(c.pack()) {
                        frontier.push(c);
                    }
                }
            }
        }
    }
    assert!(transitions > 1_000_000, "{transitions} transitions checked");
}
