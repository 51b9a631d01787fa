//! The command-line contract: exit 0 when every promised property holds, 1
//! on a violation (printed), 2 on bad input with a clear message, 3 when a
//! budget stopped the run before every verdict was decided.

use std::process::Command;

mod common;
use common::{onering, text};

const SMALL: [&str; 6] = ["--threads", "2", "--keys", "1", "--ops", "2"];

#[test]
fn unified_holds_and_exits_zero() {
    let mut args = vec!["check", "--profile", "unified"];
    args.extend(SMALL);
    let o = onering(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("no-duplicate-delivery    holds"));
}

#[test]
fn epoll_duplicate_delivery_exits_one_with_a_two_thread_trace() {
    let o = onering(&[
        "check",
        "--profile",
        "epoll",
        "--property",
        "no-duplicate-delivery",
    ]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let out = text(&o);
    assert!(out.contains("violated in scenario level/level"), "{out}");
    assert!(out.contains("T0") && out.contains("T1"));
    assert_eq!(out.matches("-> [k0:ready]").count(), 2, "{out}");
    assert!(out.contains("<-- violates no-duplicate-delivery"));
}

#[test]
fn replay_token_prints_the_same_trace() {
    let o = onering(&["check", "--profile", "epoll", "--property", "teardown-safe"]);
    let out = text(&o);
    let tok = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: onering check --replay "))
        .expect("a replay token")
        .to_string();
    let r = onering(&["check", "--replay", &tok]);
    assert_eq!(r.status.code(), Some(1));
    assert!(
        text(&r).contains("cancel(k0, sync) -> 0 (Removed)"),
        "{}",
        text(&r)
    );
}

#[test]
fn json_has_the_stable_names() {
    let mut args = vec!["check", "--profile", "io_uring", "--json"];
    args.extend(SMALL);
    let o = onering(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["bound"]["threads"].as_u64() == Some(2));
    assert!(v["states"].as_u64().unwrap() > 0);
    assert!(v["transitions"].as_u64().unwrap() > 0);
    assert!(v["seconds"].as_f64().is_some());
    assert!(v["exploration_seconds"].as_f64().is_some());
    assert_eq!(v["complete"], true);
    assert_eq!(v["exit"], 0);
    let p = &v["profiles"][0];
    assert_eq!(p["name"], "io_uring");
    let props = p["properties"].as_array().unwrap();
    assert_eq!(props.len(), 12);
    let coalesced = props.iter().find(|x| x["id"] == "coalesced").unwrap();
    assert_eq!(coalesced["promised"], false);
    assert_eq!(coalesced["verdict"], "violated");
    assert!(!coalesced["trace"].as_array().unwrap().is_empty());
}

#[test]
fn bad_input_exits_two_with_a_message() {
    for (args, needle) in [
        (vec!["check", "--profile", "epol"], "unknown profile `epol`"),
        (
            vec!["check", "--property", "fast"],
            "unknown property `fast`",
        ),
        (vec!["check", "--threads", "9"], "--threads 9 is outside"),
        (vec!["check", "--threads", "300"], "300"),
        (vec!["check", "--keys", "0"], "--keys 0 is outside"),
        (
            vec!["check", "--keys", "4", "--env", "6"],
            "keys x (env + 3) = 36 queue slots",
        ),
        (
            vec!["check", "--max-states", "0"],
            "--max-states must be at least 1",
        ),
        (vec!["check", "--max-memory", "lots"], "--max-memory"),
        (
            vec![
                "check",
                "--replay",
                "m2:epoll:operation/single:2.2.3.2.2:s:1",
            ],
            "has no scenario `operation/single`",
        ),
        (vec!["check", "--jobs", "0"], "--jobs"),
        (vec!["check", "--jobs", "100000"], "more than 256"),
        (
            vec!["check", "--replay", "m2:unified:level/x:2.2.3.2.2:s:1"],
            "unknown mode",
        ),
        (vec!["check", "--replay", "nonsense"], "expected 6"),
        (
            vec![
                "check",
                "--replay",
                "m2:unified:level/level:2.2.3.2.2:s:250",
            ],
            "successors",
        ),
        (
            vec![
                "check",
                "--replay",
                "m999:unified:level/level:2.2.3.2.2:s:1",
            ],
            "is for model version 999, this is model version 2",
        ),
        (
            vec!["check", "--replay", "unified:level/level:2.2.3.2.2:s:1"],
            "carries no model version",
        ),
        (vec!["frobnicate"], "unrecognized subcommand"),
    ] {
        let o = onering(&args);
        assert_eq!(o.status.code(), Some(2), "{args:?}: {}", text(&o));
        assert!(text(&o).contains(needle), "{args:?}: {}", text(&o));
    }
}

#[test]
fn a_budget_reports_an_incomplete_run_with_exit_three() {
    let o = onering(&[
        "check",
        "--profile",
        "unified",
        "--max-states",
        "100",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["complete"], false);
    assert_eq!(v["stopped_by"], "--max-states");
    assert_eq!(v["exit"], 3);
    for p in v["profiles"][0]["properties"].as_array().unwrap() {
        assert_eq!(p["verdict"], "unknown", "{p}");
    }
    let sc = &v["profiles"][0]["scenarios"][0];
    assert!(sc["states"].as_u64().unwrap() >= 100, "{sc}");
    assert!(sc["depth"].as_u64().is_some());
}

#[test]
fn bad_input_with_json_prints_an_error_object() {
    let o = onering(&["check", "--threads", "9", "--json"]);
    assert_eq!(o.status.code(), Some(2));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["error"].as_str().unwrap().contains("--threads 9"), "{v}");
}

/// The largest bound the CLI accepts (every field at its maximum where
/// `keys x (env + 3) <= 24` allows) runs for hours; `--max-seconds` is wall
/// time for the whole command, so it stops within a few seconds of it, with
/// its coverage, exit 3, and no "holds".
#[test]
fn the_largest_bound_stops_at_its_wall_time_budget() {
    let start = std::time::Instant::now();
    let o = onering(&[
        "check",
        "--all",
        "--threads",
        "4",
        "--keys",
        "4",
        "--ops",
        "8",
        "--env",
        "3",
        "--batch",
        "4",
        "--max-seconds",
        "2",
    ]);
    let took = start.elapsed().as_secs_f64();
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    assert!(took < 6.0, "took {took:.1}s with --max-seconds 2");
    let out = text(&o);
    assert!(out.contains("stopped by --max-seconds"), "{out}");
    let holds = |l: &str| l.split_whitespace().nth(1) == Some("holds");
    assert!(!out.lines().any(holds), "{out}");
    assert!(out.contains("unknown"), "{out}");
}

#[test]
fn a_memory_budget_stops_the_run() {
    let o = onering(&[
        "check",
        "--threads",
        "3",
        "--keys",
        "3",
        "--max-memory",
        "64M",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["stopped_by"], "--max-memory");
}

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("onering-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn port_history(mutant: Option<onering::Mutant>, seed: u64) -> String {
    let records = onering_proofs::workload::record(onering_proofs::workload::Workload {
        seed,
        threads: 3,
        sources: 6,
        calls_per_thread: 200,
        mutant,
    });
    onering::history::to_jsonl(&records)
}

#[test]
fn verify_accepts_a_port_history_and_reports_json() {
    let p = write_temp("ok.jsonl", &port_history(None, 3));
    let o = onering(&[
        "verify",
        "--profile",
        "unified",
        p.to_str().unwrap(),
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(v["linearizable"], true);
    assert!(v["calls"].as_u64().unwrap() > 300);
    assert!(v["seconds"].as_f64().is_some());
}

#[test]
fn verify_reads_standard_input() {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_onering"))
        .args(["verify", "-"])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(port_history(None, 4).as_bytes())
        .unwrap();
    let o = child.wait_with_output().unwrap();
    assert_eq!(o.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&o.stdout).contains("linearizable"));
}

#[test]
fn verify_rejects_a_buggy_port_with_a_timeline() {
    let rejected = (1..=6).find_map(|seed| {
        let p = write_temp(
            &format!("bug{seed}.jsonl"),
            &port_history(Some(onering::Mutant::CancelNoPurge), seed),
        );
        let o = onering(&["verify", p.to_str().unwrap()]);
        (o.status.code() == Some(1)).then(|| text(&o))
    });
    let out = rejected.expect("CancelNoPurge caught in 6 workloads");
    assert!(out.contains("NOT linearizable"), "{out}");
    assert!(out.contains("<-- cannot be linearized"), "{out}");
    assert!(out.contains("longest partial linearization"), "{out}");
}

#[test]
fn verify_bad_input_exits_two_with_the_line() {
    use onering_history::{to_jsonl, CallResult, Line, Op};
    // A good first line (the history crate writes it), then one that is
    // not JSON at all.
    let good = to_jsonl(&[Line::new(
        0,
        1,
        2,
        Op::AddSource {
            kind: onering_model::SourceKind::Level,
        },
        CallResult::Source { source: 0 },
    )]);
    let p = write_temp("bad.jsonl", &format!("{good}{{oops\n"));
    let o = onering(&["verify", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("line 2: not JSON"), "{}", text(&o));
    let o = onering(&["verify", "--profile", "nope", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = onering(&["verify", "--max-seconds", "-1", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let o = onering(&["verify", "/nonexistent/history.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o).contains("/nonexistent/history.jsonl"));
}

#[test]
fn docs_check_reports_a_stale_file() {
    let dir = std::env::temp_dir().join(format!("onering-docs-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    std::fs::write(dir.join("semantics.md"), "stale\n").unwrap();
    let o = onering(&["docs", "--check", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    assert!(text(&o).contains("is stale"));
    let o = onering(&["docs", "--out", dir.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let written = std::fs::read_to_string(dir.join("semantics.md")).unwrap();
    assert!(written.starts_with("<!-- DO NOT EDIT: generated by `cargo run --release -- docs`"));
    let committed = std::fs::read_to_string("docs/semantics.md").unwrap();
    assert!(
        written == committed,
        "docs/semantics.md is stale: regenerate it with `cargo run --release -- docs`"
    );
}

#[test]
fn a_mixed_scenario_is_explored_alone_and_its_token_replays() {
    let o = onering(&[
        "check",
        "--profile",
        "io_uring",
        "--scenario",
        "level/oneshot+operation/single",
        "--property",
        "no-event-after-cancel",
    ]);
    let out = text(&o);
    assert_eq!(o.status.code(), Some(1), "{out}");
    assert!(
        out.contains("scenarios: level/oneshot+operation/single\n"),
        "{out}"
    );
    assert!(
        out.contains("keys: k0 = level/oneshot, k1 = operation/single"),
        "{out}"
    );
    let tok = out
        .lines()
        .find_map(|l| l.trim().strip_prefix("replay: onering check --replay "))
        .expect("a replay token")
        .to_string();
    assert!(
        tok.contains(":level/oneshot+operation/single:2.2."),
        "{tok}"
    );
    let r = onering(&["check", "--replay", &tok]);
    assert_eq!(r.status.code(), Some(1), "{}", text(&r));
    assert!(text(&r).contains("scenario level/oneshot+operation/single"));
}

#[test]
fn bad_scenario_strings_exit_two_with_what_is_wrong() {
    for (sc, why) in [
        ("level", "is not a key"),
        ("pipe/level", "unknown source kind `pipe`"),
        ("level/level+level/edge@1", "cannot share key 1's source"),
        (
            "level/level+futex/single",
            "epoll has no futex/single registration",
        ),
    ] {
        let o = onering(&["check", "--profile", "epoll", "--scenario", sc, "--json"]);
        assert_eq!(o.status.code(), Some(2), "{sc}: {}", text(&o));
        assert!(text(&o).contains(why), "{sc}: {}", text(&o));
        assert!(
            String::from_utf8_lossy(&o.stdout).contains("\"error\""),
            "{sc}: --json prints the error as JSON"
        );
    }
}

#[test]
fn a_replay_token_naming_a_mix_its_profile_cannot_register_exits_two() {
    let o = onering(&[
        "check",
        "--replay",
        "m2:epoll:level/dispatch+operation/single:2.2.3.2.2:s:0",
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("has no scenario"), "{}", text(&o));
}

#[test]
fn one_key_explores_no_mix_unless_scenario_names_one() {
    let mut args = vec!["check", "--profile", "unified"];
    args.extend(SMALL);
    let out = text(&onering(&args));
    assert!(
        out.contains("mixed scenarios not explored: the bound has one key"),
        "{out}"
    );
    assert!(!out.contains('+'), "{out}");
    args.extend(["--scenario", "counter/edge+futex/single"]);
    let o = onering(&args);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert!(text(&o).contains("threads=2 keys=2 ops=2"), "{}", text(&o));
}
