//! History recording and its JSON Lines form.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::Arc;

use common::{poll, Worker};
use onering::history::{to_jsonl, Op, Ret, FORMAT_VERSION};
use onering::{CancelMode, CancelOutcome, Mode, Port, SourceKind};

#[test]
fn history_disabled_records_nothing() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    port.register(s, Mode::Level).unwrap();
    assert!(port.take_history().is_empty());
}

#[test]
fn history_records_every_call_with_ordered_timestamps() {
    let port = Arc::new(Port::with_history());
    let s = port.add_source(SourceKind::Level);
    let k = port.register(s, Mode::Level).unwrap();
    port.raise(s).unwrap();
    let other = Worker::new();
    assert_eq!(other.poll(&port, 2).len(), 1);
    assert_eq!(port.cancel(k, CancelMode::Sync), Ok(CancelOutcome::Pending));
    assert_eq!(
        port.rearm(k),
        Err(onering::Error::StaleKey(k)).or(port.rearm(k))
    );
    let _ = poll(&port, 1);
    let h = port.take_history();
    assert!(port.take_history().is_empty(), "take drains");
    let ops: Vec<_> = h.iter().map(|r| r.op.name()).collect();
    assert_eq!(
        ops,
        [
            "add_source",
            "register",
            "raise",
            "wait",
            "cancel",
            "rearm",
            "rearm",
            "wait"
        ]
    );
    assert_eq!(h[3].thread, 1);
    assert_eq!(h[4].thread, 0);
    assert_eq!(h[1].result, Ret::Key(k));
    assert_eq!(h[4].result, Ret::Cancel(CancelOutcome::Pending));
    assert!(matches!(h[3].op, Op::Wait { max: 2, .. }));
    for w in h.windows(2) {
        assert!(w[0].call < w[0].ret);
        assert!(w[0].ret < w[1].call, "sequential calls do not overlap");
    }
}

#[test]
fn history_jsonl_one_versioned_object_per_line() {
    let port = Port::with_history();
    let op = port.add_source(SourceKind::Operation);
    let k = port.submit(op, Mode::Multishot).unwrap();
    port.stream_item(op, 3).unwrap();
    port.complete(op, -11).unwrap();
    let _ = poll(&port, 4);
    let _ = poll(&port, 4);
    port.cancel(k, CancelMode::Reap).unwrap();
    port.register(op, Mode::Level).unwrap_err();
    let text = to_jsonl(&port.take_history());
    let lines: Vec<_> = text.lines().collect();
    assert_eq!(lines.len(), 8);
    for l in &lines {
        assert!(l.starts_with(&format!("{{\"v\":{FORMAT_VERSION},")), "{l}");
        assert!(l.ends_with('}'));
        assert_eq!(l.matches('{').count(), l.matches('}').count(), "{l}");
    }
    assert_eq!(
        lines[1],
        r#"{"v":1,"thread":0,"call":2,"ret":3,"op":"submit","args":{"source":0,"mode":"multishot"},"result":{"key":{"index":0,"generation":0}}}"#
    );
    // The rest through the format's own reader, not by string matching.
    let read = onering_history::read(&text).expect("the Port writes valid lines");
    let k0 = onering_history::KeyRef {
        index: 0,
        generation: 0,
    };
    assert_eq!(
        read[4].result,
        Some(onering_history::CallResult::Events {
            events: vec![onering_history::Event::Item { key: k0, value: 3 }],
            end: None
        })
    );
    assert_eq!(
        read[6].result,
        Some(onering_history::CallResult::Cancel {
            cancel: "not-found".into(),
            completion: None
        })
    );
    assert!(lines[5].contains(
        r#""kind":"final","key":{"index":0,"generation":0},"result":-11,"cancelled":false"#
    ));
    assert!(lines[7].contains(r#""error":"mode-mismatch""#));
}
