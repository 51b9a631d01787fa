//! The corpus against the model, the Port and this machine's kernel, and
//! the checks shown to fail: a Port with a known bug, a wrong profile, a
//! pinned divergence that does not happen.

use onering_conformance::case::{parse_case, EngineName};
use onering_conformance::engine::{self, Setup};
use onering_conformance::findings;
use onering_conformance::run::{self, load_corpus, Verdict};

fn corpus() -> Vec<onering_conformance::case::Case> {
    load_corpus(&run::corpus_dir()).expect("the committed corpus parses")
}

fn failures(engine: EngineName, setup: Setup) -> Vec<String> {
    let mut bad = Vec::new();
    for c in corpus().iter().filter(|c| c.engines.contains(&engine)) {
        for r in run::run_case(c, engine, setup) {
            if r.verdict.fails() {
                bad.push(format!("{} on {}: {:?}", c.name, r.engine, r.verdict));
            }
        }
    }
    bad
}

#[test]
fn every_pinned_finding_is_written_down() {
    let text = findings::FINDINGS;
    for c in corpus() {
        for p in &c.pinned {
            assert!(
                text.contains(&format!("## {}:", p.finding)),
                "{} pins {}, which FINDINGS.md does not have",
                c.name,
                p.finding
            );
        }
    }
    for id in findings::IDS {
        assert!(
            text.contains(&format!("## {id}:")),
            "{id} missing from FINDINGS.md"
        );
    }
}

#[test]
fn the_model_meets_every_exact_expectation() {
    assert_eq!(
        failures(EngineName::Model, Setup::Default),
        Vec::<String>::new()
    );
}

#[test]
fn the_port_conforms_to_unified_on_the_corpus() {
    assert_eq!(
        failures(EngineName::Port, Setup::Default),
        Vec::<String>::new()
    );
}

#[test]
fn the_port_on_linux_conforms_to_unified_or_diverges_as_the_findings_say() {
    assert_eq!(
        failures(EngineName::PortLinux, Setup::Default),
        Vec::<String>::new()
    );
}

#[test]
fn raw_epoll_conforms_or_diverges_as_the_findings_say() {
    assert_eq!(
        failures(EngineName::Epoll, Setup::Default),
        Vec::<String>::new()
    );
}

#[test]
fn raw_io_uring_conforms_or_diverges_as_the_findings_say() {
    for setup in [Setup::Default, Setup::Defer] {
        assert_eq!(failures(EngineName::Uring, setup), Vec::<String>::new());
    }
}

#[test]
fn every_port_mutant_is_caught_by_the_corpus() {
    let cases = corpus();
    let mut missed = Vec::new();
    for m in onering::Mutant::ALL {
        let mut caught = false;
        for c in cases
            .iter()
            .filter(|c| c.engines.contains(&EngineName::Port))
        {
            let eng = engine::port_with_mutant(c, m).expect("port engine");
            let (v, _) = if c.threads.len() == 1 {
                run::single(c, &*eng, onering_model::UNIFIED)
            } else {
                run::multi(c, &*eng, onering_model::UNIFIED)
            };
            if matches!(v, Verdict::Divergence(_)) {
                caught = true;
                break;
            }
        }
        if !caught {
            missed.push(m.name());
        }
    }
    assert_eq!(
        missed,
        Vec::<&str>::new(),
        "mutants the corpus does not catch"
    );
}

#[test]
fn epoll_judged_by_the_unified_profile_diverges() {
    // Level-triggered epoll hands the same fd to every wait: not unified.
    let c = corpus()
        .into_iter()
        .find(|c| c.name == "mt-two-waiters-level")
        .expect("case");
    let eng = engine::build(
        EngineName::Epoll,
        &c,
        Setup::Default,
        onering_model::UNIFIED,
    )
    .expect("epoll");
    let (v, _) = run::multi(&c, &*eng, onering_model::UNIFIED);
    assert!(matches!(v, Verdict::Divergence(_)), "{v:?}");
}

#[test]
fn a_pinned_divergence_that_does_not_happen_fails_loudly() {
    let c = parse_case(
        "vanishing",
        r#"
about = "pins a divergence the Port does not have"
source = "pipe"
kind = "level"
mode = "dispatch"
engines = ["port"]
divergence = { finding = "F1", engines = ["port"] }
steps = ["register k0", "raise k0", "wait 4 poll -> [k0:ready]"]
"#,
    )
    .expect("parses");
    let runs = run::run_case(&c, EngineName::Port, Setup::Default);
    assert!(
        matches!(runs[0].verdict, Verdict::Vanished(_)),
        "{:?}",
        runs[0].verdict
    );
    assert!(runs[0].verdict.fails());
}

#[test]
fn a_wrong_woken_count_is_a_divergence_no_pin_hides() {
    let text = std::fs::read_to_string(run::corpus_dir().join("mt-sixteen-waiters-level.toml"))
        .expect("case")
        .replace("epoll = 16", "epoll = 3");
    let c = parse_case("sixteen-wrong", &text).expect("parses");
    let runs = run::run_case(&c, EngineName::Epoll, Setup::Default);
    assert!(
        matches!(&runs[0].verdict, Verdict::Divergence(r) if r.hard),
        "{:?}",
        runs[0].verdict
    );
}
