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
