//! `onering verify`'s budgets hold while a huge history is read: the time
//! budget counts from the command's start, and the text and lines read
//! count against the memory budget (`check/src/history/reading.rs`).
//! Before, a history was read whole, outside both budgets, however big.

mod common;
use common::{onering, text};

/// A history of `pairs` raise/lower pairs on one registered level source
/// (linearizable: nothing is ever waited for), about 90 bytes a line.
fn huge(name: &str, pairs: usize) -> std::path::PathBuf {
    use std::fmt::Write;
    let mut s = String::with_capacity(pairs * 180 + 400);
    s.push_str(r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#);
    s.push('\n');
    s.push_str(r#"{"v":1,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"dispatch"},"result":{"key":{"index":0,"generation":0}}}"#);
    s.push('\n');
    let mut t = 5u64;
    for _ in 0..pairs {
        for op in ["raise", "lower"] {
            writeln!(
                s,
                r#"{{"v":1,"thread":0,"call":{},"ret":{},"op":"{op}","args":{{"source":0}},"result":{{"ok":true}}}}"#,
                t,
                t + 1
            )
            .unwrap();
            t += 2;
        }
    }
    let dir = std::env::temp_dir().join(format!("onering-cli-reading-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let p = dir.join(format!("{name}.jsonl"));
    std::fs::write(&p, s).unwrap();
    p
}

fn json(o: &std::process::Output) -> serde_json::Value {
    serde_json::from_slice(&o.stdout).unwrap_or_else(|e| panic!("{e}: {}", text(o)))
}

#[test]
fn a_memory_budget_smaller_than_the_file_stops_while_it_is_read() {
    // 300k lines, about 27 MB of text, against a 4 MiB budget.
    let p = huge("memory", 150_000);
    let o = onering(&["verify", "--json", "--max-memory", "4", p.to_str().unwrap()]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["no_verdict"]["reason"], "memory", "{v}");
    // Stopped before any call was made from the lines: while reading.
    assert_eq!(v["calls"], 0, "{v}");
    // The same file with room is read and checked.
    let o = onering(&[
        "verify",
        "--json",
        "--max-memory",
        "512",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    assert_eq!(json(&o)["calls"], 300_002);
    let _ = std::fs::remove_file(&p);
}

#[test]
fn a_time_budget_shorter_than_reading_the_file_stops_while_it_is_read() {
    let p = huge("time", 150_000);
    let o = onering(&[
        "verify",
        "--json",
        "--max-seconds",
        "0.005",
        p.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o));
    let v = json(&o);
    assert_eq!(v["no_verdict"]["reason"], "time", "{v}");
    assert_eq!(v["calls"], 0, "{v}");
    // It stopped near its budget, not after reading the 300k lines: the
    // bound is generous for a loaded machine.
    let secs = v["seconds"].as_f64().expect("seconds");
    assert!(secs < 0.5, "stopped after {secs} s");
    let _ = std::fs::remove_file(&p);
}
