//! Shared by the history tests of the Port on Linux: the verdict under
//! `unified` of a recorded history, asserted and summed up, and the
//! tampered copy the checker must reject (a wait of a new thread that
//! re-delivers what another thread holds).
#![allow(dead_code)] // Each test binary uses a subset.

use onering::history::{Record, Ret};
use onering::Event;
use onering_model::UNIFIED;
use onering_proofs::verify_records;

/// Asserts that `records` verify under `unified` (`what` names the
/// history in the failure); returns the checker's summary line: calls,
/// parts, configurations explored.
pub fn assert_linearizable(records: &[Record], what: &str) -> String {
    let v = verify_records(records, &UNIFIED);
    assert!(
        v.is_linearizable(),
        "{what} is not linearizable under unified: {:?}",
        v.failure()
    );
    format!(
        "{} calls, {} parts, {} configurations, linearizable",
        v.calls, v.parts, v.explored
    )
}

/// Inserts, right after record `first` (a wait that delivered something),
/// a wait of a new thread that returns one of the same events (the first
/// that `pick` keeps), while the first holder has not called again: a
/// second delivery of one event. Timestamps are spread out to make room.
/// Returns the index of the inserted record.
pub fn insert_second_delivery(
    records: &mut Vec<Record>,
    first: usize,
    pick: impl Fn(&Event) -> bool,
) -> usize {
    for r in records.iter_mut() {
        r.call *= 3;
        r.ret *= 3;
    }
    let mut fake = records[first].clone();
    fake.thread = records.iter().map(|r| r.thread).max().unwrap() + 1;
    fake.call = records[first].ret + 1;
    fake.ret = records[first].ret + 2;
    if let Ret::Events(e) = &mut fake.result {
        e.retain(|e| pick(e));
        e.truncate(1);
    }
    records.insert(first + 1, fake);
    first + 1
}
