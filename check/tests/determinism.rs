//! The explorer's workers insert new states concurrently, yet everything it
//! reports is a minimum over a total order: the states, their ids, the
//! traces (shortest, then fewest thread switches) and so the replay tokens
//! must not depend on how many workers ran or how they interleaved.

use onering_check::explore::{explore, Exploration, Options};
use onering_model::{profile, Bound, Model, Property};

fn run(name: &str, jobs: usize) -> Vec<Exploration> {
    let rules = profile(name).expect("known profile");
    rules
        .scenarios
        .iter()
        .map(|sc| {
            let bound = Bound {
                ops: 2,
                ..Bound::default()
            };
            let model = Model::new(rules, *sc, bound).expect("valid bound");
            let opts = Options {
                jobs,
                ..Options::default()
            };
            explore(&model, &opts, |_, _| {})
        })
        .collect()
}

#[test]
fn states_and_traces_do_not_depend_on_the_number_of_workers() {
    for name in ["epoll", "io_uring", "unified~no-purge", "unified~lifo"] {
        let one = run(name, 1);
        let three = run(name, 3);
        let mut violations = 0;
        for (a, b) in one.iter().zip(&three) {
            assert_eq!(
                (a.states, a.transitions, a.depth, a.witnessed),
                (b.states, b.transitions, b.depth, b.witnessed),
                "{name}"
            );
            for p in Property::ALL {
                let (ta, tb) = (a.violation(p), b.violation(p));
                assert_eq!(
                    ta.map(|t| t.path.clone()),
                    tb.map(|t| t.path.clone()),
                    "{name} {p}"
                );
                violations += usize::from(ta.is_some());
            }
        }
        assert!(violations > 0, "{name} shows no violation to compare");
    }
}
