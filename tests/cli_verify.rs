//! `onering verify` as a user meets it: exit status 0/1/2/3, `--json` on
//! every path (also errors), budgets that cannot panic.

use std::process::Output;

mod common;
use common::{onering, text};

fn write_temp(name: &str, text: &str) -> std::path::PathBuf {
    let dir = std::env::temp_dir().join(format!("onering-cli-verify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(name);
    std::fs::write(&p, text).unwrap();
    p
}

fn good() -> String {
    use onering_history::{to_jsonl, CallResult, KeyRef, Line, Op};
    use onering_model::{Mode, SourceKind};
    to_jsonl(&[
        Line::new(
            0,
            1,
            2,
            Op::AddSource {
                kind: SourceKind::Level,
            },
            CallResult::Source { source: 0 },
        ),
        Line::new(
            0,
            3,
            4,
            Op::Register {
                source: 0,
                mode: Mode::Dispatch,
                interest: None,
                edge: false,
            },
            CallResult::Key {
                key: KeyRef {
                    index: 0,
                    generation: 0,
                },
            },
        ),
    ])
}

fn json(o: &Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn json_is_printed_on_exit_two_too() {
    let bad = write_temp("bad.jsonl", &format!("{}{{oops\n", good()));
    let o = onering(&["verify", "--json", bad.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2));
    let v = json(&o);
    assert!(
        v["error"].as_str().unwrap().contains("line 3: not JSON"),
        "{v}"
    );
    // A usage error (an unknown profile) too.
    let ok = write_temp("ok.jsonl", &good());
    let o = onering(&[
        "verify",
        "--json",
        "--profile",
        "nope",
        ok.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        json(&o)["error"]
            .as_str()
            .unwrap()
            .contains("unknown profile"),
        "{}",
        text(&o)
    );
    let o = onering(&["verify", "--json", "/nonexistent/h.jsonl"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(json(&o)["error"].is_string());
}

#[test]
fn huge_time_budgets_do_not_panic() {
    let ok = write_temp("ok.jsonl", &good());
    for s in ["1e19", "1e20", "1e300", "inf"] {
        let o = onering(&["verify", "--max-seconds", s, ok.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(0), "--max-seconds {s}: {}", text(&o));
    }
    for s in ["0", "-1", "nan"] {
        let o = onering(&["verify", "--max-seconds", s, ok.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(2), "--max-seconds {s}: {}", text(&o));
    }
}

#[test]
fn a_construct_not_modelled_gives_no_verdict_with_its_line() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("history/tests/golden");
    let p = dir.join("v2-wait-end.jsonl");
    let o = onering(&["verify", "--json", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["verdict"], "no-verdict");
    assert_eq!(v["no_verdict"]["reason"], "not-modelled");
    assert_eq!(v["no_verdict"]["line"], 5);
}

/// polling (D1, `Poller::wait`): thread 1 polls while thread 0 is inside
/// `wait` and gets `[]` at once, although the level pipe is ready: bare
/// epoll forbids it, polling documents it.
const POLLING_BUSY_WAIT: &str = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":1,"call":5,"ret":6,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":0,"call":7,"ret":12,"op":"wait","args":{"max":4,"timeout":"block"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}
{"v":1,"thread":1,"call":8,"ret":9,"op":"wait","args":{"max":4,"timeout":"poll"},"result":{"events":[]}}
{"v":1,"thread":0,"call":13,"ret":14,"op":"consume","args":{"source":0},"result":{"ok":true}}
"#;

/// Its lossy twin: the same empty poll, made after thread 0's wait
/// returned (no other thread in `wait`), while the pipe is still ready.
fn polling_lossy() -> String {
    POLLING_BUSY_WAIT
        .replace(r#""call":8,"ret":9,"#, r#""call":15,"ret":16,"#)
        .replace(
            r#""call":13,"ret":14,"op":"consume""#,
            r#""call":17,"ret":18,"op":"consume""#,
        )
}

fn verify_code(args: &[&str], history: &std::path::Path) -> (Option<i32>, String) {
    let mut all = vec!["verify"];
    all.extend_from_slice(args);
    all.push(history.to_str().unwrap());
    let o = onering(&all);
    (o.status.code(), text(&o))
}

#[test]
fn library_polling_excuses_an_empty_wait_beside_another_waiter_and_nothing_else() {
    let busy = write_temp("polling-busy.jsonl", POLLING_BUSY_WAIT);
    let lossy = write_temp("polling-lossy.jsonl", &polling_lossy());
    let epoll = ["--profile", "epoll"];
    let polling = ["--profile", "epoll", "--library", "polling"];

    let (code, out) = verify_code(&epoll, &busy);
    assert_eq!(code, Some(1), "bare epoll rejects the empty poll: {out}");
    assert!(out.contains("line 5"), "{out}");
    let (code, out) = verify_code(&polling, &busy);
    assert_eq!(code, Some(0), "epoll+polling verifies it: {out}");
    assert!(
        out.contains("checked as epoll+polling: 1 of 6 calls answered by polling itself")
            && out.contains("(line 5)"),
        "{out}"
    );

    for args in [&epoll[..], &polling[..]] {
        let (code, out) = verify_code(args, &lossy);
        assert_eq!(
            code,
            Some(1),
            "the lossy twin is rejected ({args:?}): {out}"
        );
    }

    // `--json` says which rules judged and which lines they excused.
    let o = onering(&[
        "verify",
        "--json",
        "--profile",
        "epoll",
        "--library",
        "polling",
        busy.to_str().unwrap(),
    ]);
    let j = json(&o);
    assert_eq!(j["verdict"], "linearizable", "{j}");
    assert_eq!(j["library"], "polling");
    assert_eq!(j["checked_as"], "epoll+polling");
    assert_eq!(j["answered_by_library"], serde_json::json!([5]));
    let o = onering(&[
        "verify",
        "--json",
        "--profile",
        "epoll",
        busy.to_str().unwrap(),
    ]);
    let j = json(&o);
    assert_eq!(j["library"], "");
    assert_eq!(j["answered_by_library"], serde_json::json!([]));
}

#[test]
fn an_unknown_library_exits_two_listing_the_known_ones_also_as_json() {
    let busy = write_temp("polling-busy-unknown.jsonl", POLLING_BUSY_WAIT);
    let (code, out) = verify_code(&["--library", "tokio"], &busy);
    assert_eq!(code, Some(2), "{out}");
    assert!(
        out.contains("unknown library `tokio`; known: none, polling"),
        "{out}"
    );
    let o = onering(&[
        "verify",
        "--json",
        "--library",
        "tokio",
        busy.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2));
    let j = json(&o);
    assert!(
        j["error"]
            .as_str()
            .unwrap()
            .contains("unknown library `tokio`; known: none, polling"),
        "{j}"
    );
}
