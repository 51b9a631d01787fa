//! The committed golden files are read and written back byte for byte; the
//! reader's errors name the line, the field and the vocabulary's values.

use onering_history::{read, to_jsonl, CallResult, Event, KeyRef, Line, Op, Timeout};
use onering_model::{Mode, SourceKind};
use std::path::Path;

fn goldens() -> Vec<(String, String)> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/golden");
    let mut out: Vec<(String, String)> = std::fs::read_dir(&dir)
        .expect("golden dir")
        .map(|e| {
            let p = e.expect("entry").path();
            (
                p.file_name().unwrap().to_string_lossy().into_owned(),
                std::fs::read_to_string(&p).expect("golden file"),
            )
        })
        .collect();
    out.sort();
    assert!(out.len() >= 8, "golden files missing: {out:?}");
    out
}

#[test]
fn every_golden_file_reads_and_writes_back_byte_for_byte() {
    for (name, text) in goldens() {
        let lines = read(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        assert_eq!(to_jsonl(&lines), text, "{name} does not round-trip");
        let v = if name.starts_with("v1") { 1 } else { 2 };
        assert!(lines.iter().all(|l| l.v == v), "{name}");
    }
}

#[test]
fn a_v1_line_is_read_as_version_1_with_its_null_completion() {
    // What the Port's hand-written writer of version 1 produced.
    let old = r#"{"v":1,"thread":0,"call":12,"ret":13,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"sync"},"result":{"cancel":"removed","completion":null}}"#;
    let l = &read(old).unwrap()[0];
    assert_eq!(
        l.result,
        Some(CallResult::Cancel {
            cancel: "removed".into(),
            completion: None
        })
    );
}

#[test]
fn a_v1_line_using_a_v2_field_is_refused_not_misread() {
    let e = read(r#"{"v":1,"port":1,"thread":0,"call":1,"ret":2,"op":"notify","args":{},"result":{"ok":true}}"#)
        .unwrap_err();
    assert_eq!(e.line, 1);
    assert!(e.message.contains("version 2"), "{e}");
    let e = read(r#"{"v":3,"thread":0,"call":1,"ret":2,"op":"notify","args":{}}"#).unwrap_err();
    assert!(e.to_string().contains("version 3 is not known"), "{e}");
}

#[test]
fn an_unknown_mode_names_the_line_the_field_and_the_models_modes() {
    let text = format!(
        "{}\n{}\n",
        r#"{"v":2,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#,
        r#"{"v":2,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"sometimes"},"result":{"key":{"index":0,"generation":0}}}"#
    );
    let e = read(&text).unwrap_err();
    assert_eq!(e.line, 2);
    assert_eq!(e.field.as_deref(), Some("args.mode"));
    let all: Vec<&str> = Mode::ALL.iter().map(|m| m.name()).collect();
    assert!(e.message.contains(&all.join(", ")), "{e}");
    let e = read(r#"{"v":2,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"pipe"}}"#)
        .unwrap_err();
    let kinds: Vec<&str> = SourceKind::ALL.iter().map(|k| k.name()).collect();
    assert!(e.to_string().contains(&kinds.join(", ")), "{e}");
}

#[test]
fn a_bad_event_names_its_index_in_the_batch() {
    let e = read(r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}},{"kind":"sideways","key":{"index":0,"generation":0}}]}}"#)
        .unwrap_err();
    assert_eq!(e.field.as_deref(), Some("result.events[1].kind"), "{e}");
    assert!(e.message.contains("sideways"), "{e}");
}

#[test]
fn overlapping_calls_of_one_thread_are_refused_with_both_lines() {
    let text = [
        r#"{"v":1,"thread":0,"call":1,"ret":5,"op":"wait","args":{"max":1,"timeout":"block"},"result":{"events":[]}}"#,
        r#"{"v":1,"thread":0,"call":2,"ret":3,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#,
    ]
    .join("\n");
    let e = read(&text).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(
        e.message.contains("line 1") && e.message.contains("one call at a time"),
        "{e}"
    );
}

#[test]
fn a_call_after_one_that_never_returned_is_refused() {
    let text = [
        r#"{"v":1,"thread":0,"call":1,"op":"wait","args":{"max":1,"timeout":"block"}}"#,
        r#"{"v":1,"thread":0,"call":2,"ret":3,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#,
    ]
    .join("\n");
    let e = read(&text).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("never returned"), "{e}");
}

#[test]
fn lines_out_of_ret_order_are_allowed_and_keep_their_order() {
    let text = [
        r#"{"v":1,"thread":1,"call":3,"ret":4,"op":"add_source","args":{"kind":"level"},"result":{"source":1}}"#,
        r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#,
    ]
    .join("\n");
    let lines = read(&text).unwrap();
    assert_eq!(lines[0].call, 3);
}

#[test]
fn a_result_without_ret_and_a_reused_stamp_are_refused() {
    let e = read(r#"{"v":1,"thread":0,"call":1,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("result"));
    let text = [
        r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}"#,
        r#"{"v":1,"thread":1,"call":2,"ret":3,"op":"add_source","args":{"kind":"level"},"result":{"source":1}}"#,
    ]
    .join("\n");
    let e = read(&text).unwrap_err();
    assert_eq!(e.line, 2);
    assert!(e.message.contains("used again"), "{e}");
}

#[test]
fn a_thread_call_without_a_thread_is_refused() {
    let e = read(r#"{"v":2,"call":1,"ret":2,"op":"wait","args":{"max":1,"timeout":"poll"},"result":{"events":[]}}"#).unwrap_err();
    assert_eq!(e.field.as_deref(), Some("thread"), "{e}");
}

#[test]
fn lines_built_in_code_round_trip() {
    let k = KeyRef {
        index: 3,
        generation: 9,
    };
    let lines = vec![
        Line::new(
            2,
            10,
            11,
            Op::Wait {
                max: 3,
                timeout: Timeout::Block,
            },
            CallResult::Events {
                events: vec![Event::Final {
                    key: k,
                    result: Some(-11),
                    cancelled: false,
                }],
                end: None,
            },
        ),
        Line::new(
            2,
            12,
            13,
            Op::FutexWake { source: 4, n: 2 },
            CallResult::Count { count: 2 },
        ),
    ];
    assert_eq!(read(&to_jsonl(&lines)).unwrap(), lines);
}
