//! The facts `onering check --all` stands on, at the default bound: unified
//! keeps every promise with every witness seen; every real profile keeps its
//! promises; every property is violated by some profile or spec mutant; every
//! spec mutant is caught by the property it is meant to break.

use onering_check::check::{check_profiles, mutants, ProfileReport};
use onering_check::explore::Options;
use onering_model::{Bound, Property, MUTANTS, PROFILES};
use std::sync::OnceLock;

fn reports() -> &'static Vec<ProfileReport> {
    static R: OnceLock<Vec<ProfileReport>> = OnceLock::new();
    R.get_or_init(|| {
        let all: Vec<_> = PROFILES.iter().chain(MUTANTS.iter()).copied().collect();
        check_profiles(&all, Bound::default(), &Options::default(), |_, _, _| {})
            .expect("default bound is valid")
    })
}

fn report(name: &str) -> &'static ProfileReport {
    reports()
        .iter()
        .find(|r| r.rules.name == name)
        .expect("profile checked")
}

#[test]
fn unified_holds_every_property_with_every_witness_seen() {
    let u = report("unified");
    assert!(u.complete());
    for p in &u.properties {
        assert!(p.promised, "{} not promised by unified", p.property);
        assert!(p.violation.is_none(), "unified violates {}", p.property);
        assert!(
            p.witnessed,
            "unified never exhibits the witness of {}",
            p.property
        );
    }
}

#[test]
fn every_real_profile_keeps_its_promises() {
    for r in PROFILES {
        let rep = report(r.name);
        assert!(
            rep.broken_promises().is_empty(),
            "{} breaks {:?}",
            r.name,
            rep.broken_promises()
        );
    }
}

#[test]
fn every_property_is_violated_by_some_profile_or_spec_mutant() {
    for p in Property::ALL {
        let by: Vec<&str> = reports()
            .iter()
            .filter(|r| r.property(p).violation.is_some())
            .map(|r| r.rules.name)
            .collect();
        assert!(!by.is_empty(), "nothing violates {p}");
    }
}

#[test]
fn every_spec_mutant_is_caught_by_its_property_with_a_replayable_trace() {
    for (m, p) in mutants() {
        let rep = report(m.name);
        let (scenario, trace) = rep
            .property(p)
            .violation
            .as_ref()
            .unwrap_or_else(|| panic!("{} not caught by {p}", m.name));
        let tok = onering_check::check::token(
            &m,
            *scenario,
            Bound::default(),
            &Options::default(),
            trace,
        );
        let (_, _, _, again) = onering_check::check::replay_token(&tok).expect("token replays");
        assert_eq!(again.steps.len(), trace.steps.len());
        let last = again.steps.last().map_or(again.final_obs, |s| s.obs);
        assert!(
            last.violates(p) || again.final_obs.violates(p),
            "replayed trace of {} does not end in a violation of {p}",
            m.name
        );
    }
}

#[test]
fn the_mechanisms_lack_what_the_reference_notes_say_they_lack() {
    let violated = |profile: &str, p: Property| report(profile).property(p).violation.is_some();
    // os-semantics §2.2: epoll LT hands the same fd to several threads.
    assert!(violated("epoll", Property::NoDuplicateDelivery));
    // os §2.6: EPOLL_CTL_DEL cannot tell about events already copied out.
    assert!(violated("epoll", Property::TeardownSafe));
    // os §2.7: the registration outlives close() of a dup'ed fd.
    assert!(violated("epoll", Property::CloseRemoves));
    // os §3.2: -EINVAL also for an in-flight request that is not cancellable.
    assert!(violated("linux-aio", Property::HonestCancel));
    // os §4.2: multishot poll posts a CQE per wake-up.
    assert!(violated("io_uring", Property::Coalesced));
    // os §5.4: EV_DELETE, like DEL, cannot tell.
    assert!(violated("kqueue", Property::TeardownSafe));
    // os §6.3: port_dissociate tells who won.
    assert!(!violated("event-ports", Property::HonestCancel));
}

#[test]
fn reductions_do_not_change_any_verdict_or_witness() {
    let profiles: Vec<_> = ["unified", "epoll", "io_uring", "unified~lifo"]
        .iter()
        .map(|n| onering_model::profile(n).unwrap())
        .collect();
    let judge = |symmetry: bool, dead_variables: bool| {
        let opts = Options {
            symmetry,
            dead_variables,
            ..Options::default()
        };
        check_profiles(&profiles, Bound::default(), &opts, |_, _, _| {})
            .unwrap()
            .into_iter()
            .map(|r| {
                let states = r.states();
                let v: Vec<(bool, bool)> = r
                    .properties
                    .iter()
                    .map(|p| (p.violation.is_some(), p.witnessed))
                    .collect();
                (r.rules.name, v, states)
            })
            .collect::<Vec<_>>()
    };
    let none = judge(false, false);
    let full = judge(true, true);
    for (a, b) in none.iter().zip(&full) {
        assert_eq!((a.0, &a.1), (b.0, &b.1), "verdicts differ with reductions");
        assert!(
            b.2 * 4 < a.2,
            "{}: {} states reduced only to {}",
            a.0,
            a.2,
            b.2
        );
    }
}
