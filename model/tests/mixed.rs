//! Mixed ports (`onering_model::mix`): each key takes the steps of its own
//! kind and mode, a shared source acts on every key bound to it, and a mix
//! fixes its number of keys.

use onering_model::*;
use std::collections::HashSet;

fn model(rules: Rules, text: &str) -> Model {
    let sc = Scenario::parse(text).expect("a scenario");
    Model::new(rules, sc, sc.bound_for(Bound::default())).expect("a valid model")
}

/// Every state reachable from `m.init()` (the model is finite).
fn reachable(m: &Model) -> Vec<State> {
    let mut seen = HashSet::new();
    let mut todo = vec![m.init()];
    let mut out = Vec::new();
    let mut steps = Vec::new();
    while let Some(s) = todo.pop() {
        if !seen.insert(s) {
            continue;
        }
        out.push(s);
        steps.clear();
        m.successors(&s, &mut steps);
        todo.extend(steps.iter().map(|x| x.next));
    }
    out
}

#[test]
fn every_key_starts_in_its_own_kind_and_mode() {
    let m = model(
        UNIFIED,
        "level/dispatch+sticky/dispatch+operation/multishot",
    );
    let s = m.init();
    assert_eq!(s.keys[0].mode(), Mode::Dispatch);
    assert_eq!(s.keys[0].reg, Reg::Armed);
    assert_eq!(s.keys[1].reg, Reg::Armed);
    assert_eq!(s.keys[2].mode(), Mode::Multishot);
    assert_eq!(
        s.keys[2].reg,
        Reg::InFlight,
        "an operation starts submitted"
    );
    let mut steps = Vec::new();
    m.successors(&s, &mut steps);
    // Environment steps by kind: raise/close for the two readiness keys,
    // complete/stream for the operation (lower needs a raised condition).
    let env: HashSet<String> = steps
        .iter()
        .filter(|x| x.action.thread().is_none())
        .map(|x| x.action.to_string())
        .collect();
    for a in [
        "raise(k0)",
        "raise(k1)",
        "close(k1)",
        "complete(k2)",
        "stream_item(k2)",
    ] {
        assert!(env.iter().any(|e| e.starts_with(a)), "{a} missing: {env:?}");
    }
    assert!(
        !env.iter().any(|e| e.starts_with("lower(k1)")),
        "a sticky source never lowers"
    );
    assert!(
        !env.iter().any(|e| e.starts_with("raise(k2)")),
        "an operation has no condition"
    );
}

#[test]
fn futex_wake_releases_futex_waiters_only() {
    let m = model(UNIFIED, "futex/single+futex/single+operation/single");
    let mut woke_two = false;
    let mut steps = Vec::new();
    for s in reachable(&m) {
        steps.clear();
        m.successors(&s, &mut steps);
        for st in steps
            .iter()
            .filter(|x| matches!(x.action, Action::FutexWake { .. }))
        {
            assert_eq!(
                st.shown.released & 0b100,
                0,
                "futex_wake released the operation: {:?}",
                st.action
            );
            woke_two |= st.shown.released == 0b011;
        }
    }
    assert!(woke_two, "futex_wake(2) releases both waiters somewhere");
}

#[test]
fn a_raise_of_a_shared_source_queues_every_registration_in_every_order() {
    let m = model(UNIFIED, "level/dispatch+level/edge@0");
    let s = m.init();
    let mut out = Vec::new();
    m.apply(&s, Action::Raise { key: 1 }, &mut out);
    assert!(
        out.is_empty(),
        "the second registration takes no environment steps of its own"
    );
    m.apply(&s, Action::Raise { key: 0 }, &mut out);
    assert_eq!(out.len(), 2, "two orders of queueing");
    let orders: HashSet<Vec<u8>> = out
        .iter()
        .map(|st| st.next.queue().iter().map(|e| e.key()).collect())
        .collect();
    assert_eq!(orders, HashSet::from([vec![0, 1], vec![1, 0]]));
    for st in &out {
        assert!(st.next.keys[0].cond && st.next.keys[1].cond);
        assert_eq!(st.next.keys[0].env_left, Bound::default().env - 1);
    }
}

#[test]
fn consume_through_either_key_drains_the_shared_source() {
    let m = model(UNIFIED, "level/level+level/edge@0");
    let mut out = Vec::new();
    m.apply(&m.init(), Action::Raise { key: 0 }, &mut out);
    let raised = out[0].next;
    for key in [0, 1] {
        out.clear();
        m.apply(&raised, Action::Consume { thread: 0, key }, &mut out);
        assert_eq!(out.len(), 1);
        assert!(!out[0].next.keys[0].cond && !out[0].next.keys[1].cond);
    }
    out.clear();
    m.apply(&raised, Action::Close { key: 0 }, &mut out);
    assert!(out[0].next.keys[0].closed && out[0].next.keys[1].closed);
}

#[test]
fn a_mix_fixes_its_number_of_keys() {
    let sc = Scenario::parse("level/dispatch+operation/single").unwrap();
    let err = Model::new(
        UNIFIED,
        sc,
        Bound {
            keys: 3,
            ..Bound::default()
        },
    )
    .unwrap_err();
    assert!(matches!(err, BoundError::KeyCount { keys: 3, .. }), "{err}");
    assert_eq!(
        sc.bound_for(Bound {
            keys: 1,
            ..Bound::default()
        })
        .keys,
        2
    );
    // Three keys: at most MIX3_OPS operations, and env within the queue.
    let three = MIXES[2];
    let b = three.bound_for(Bound {
        ops: 6,
        env: 6,
        ..Bound::default()
    });
    assert_eq!((b.keys, b.ops, b.env), (3, MIX3_OPS, 5));
    assert!(b.validate().is_ok());
}

#[test]
fn scenario_strings_round_trip_and_bad_ones_say_why() {
    for sc in MIXES.iter().chain(UNIFIED.scenarios) {
        assert_eq!(Scenario::parse(&sc.to_string()), Ok(*sc), "{sc}");
    }
    assert!(!Scenario::parse("level/dispatch").unwrap().is_mixed());
    let bad = [
        ("level", "is not a key"),
        ("pipe/level", "unknown source kind"),
        ("level/sometimes", "unknown mode"),
        ("level/level+level/edge@x", "does not name a key"),
        ("level/level+level/edge@1", "cannot share"),
        ("level/level+operation/single@0", "cannot share"),
        ("operation/single+operation/single@0", "cannot share"),
        (
            "level/level+level/level+level/level+level/level+level/level",
            "2..=4 keys",
        ),
    ];
    for (text, why) in bad {
        let e = Scenario::parse(text).expect_err(text);
        assert!(e.to_string().contains(why), "{text}: {e}");
    }
}

#[test]
fn a_profile_explores_a_mix_only_if_it_registers_every_key() {
    let fd_and_op = Scenario::parse("level/dispatch+operation/single").unwrap();
    assert!(fd_and_op.fits(&UNIFIED).is_ok());
    let e = fd_and_op.fits(&EPOLL).unwrap_err();
    assert_eq!(e.key, Some(0));
    let futex = Scenario::parse("level/level+futex/single").unwrap();
    let e = futex.fits(&EPOLL).unwrap_err();
    assert_eq!(e.key, Some(1), "epoll cannot register a futex wait: {e}");
    for mix in MIXES {
        assert!(
            PROFILES.iter().any(|r| mix.fits(r).is_ok()),
            "{mix} is explored by no profile"
        );
    }
}
