//! Which blocking waits had no other thread waiting beside them: the
//! history's reading that `Recorded::Harvest`'s `alone` carries to the
//! model (see `onering_model::Recorded::Harvest`).
//!
//! A blocking wait that returned empty is placed as a poll at one point of
//! its interval. Where a completion a wake-up decided is still to be posted
//! there (F3, F15), the wait may still have given up later, after the post,
//! if the post's one wake-up went to another thread blocked or woken in a
//! wait at that time. Such a thread's wait overlaps this one in time, on
//! the same port (waits of one thread never overlap: its calls are
//! sequential). A wait that no other blocking wait overlaps had nobody to
//! leave the post to, so the model keeps its guard for it. The reading is
//! conservative: an overlap that could not have taken the wake-up only
//! relaxes the guard.

use super::parse::{Call, Op, Res};

/// Per call: whether it is a blocking wait that no other blocking wait on
/// its port overlaps (both in flight at once). A call that never returned
/// is in flight to the end. One sort and a sweep per port.
pub(super) fn waits_alone(calls: &[Call]) -> Vec<bool> {
    let mut waits: Vec<(u32, u64, u64, usize)> = calls
        .iter()
        .enumerate()
        .filter(|(_, c)| {
            matches!(c.op, Op::Wait { block: true, .. }) && !matches!(c.result, Some(Res::Error(_)))
        })
        .map(|(i, c)| (c.port, c.call, c.ret.unwrap_or(u64::MAX), i))
        .collect();
    waits.sort_unstable();
    let mut alone = vec![false; calls.len()];
    // The latest return among the earlier-invoked waits of the same port.
    let mut latest: Option<(u32, u64)> = None;
    for (j, &(port, call, ret, i)) in waits.iter().enumerate() {
        let before = latest.is_some_and(|(p, r)| p == port && r > call);
        // Sorted by invocation: only the next one can start inside this one
        // if any does.
        let after = waits
            .get(j + 1)
            .is_some_and(|&(p, c, _, _)| p == port && c < ret);
        alone[i] = !before && !after;
        latest = match latest {
            Some((p, r)) if p == port => Some((p, r.max(ret))),
            _ => Some((port, ret)),
        };
    }
    alone
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(thread: u32, port: u32, call: u64, ret: Option<u64>, block: bool) -> Call {
        Call::test_wait(
            port,
            thread,
            (call, ret),
            block,
            Some(Res::Events(Vec::new())),
        )
    }

    #[test]
    fn a_wait_overlapped_by_another_threads_blocking_wait_is_not_alone() {
        let calls = [
            wait(0, 0, 1, Some(10), true),
            wait(1, 0, 5, Some(6), true),
            wait(0, 0, 11, Some(12), true),
            // A poll beside it does not count; nor does another port's wait.
            wait(1, 0, 11, Some(12), false),
            wait(2, 1, 11, Some(12), true),
            // One that never returned overlaps everything after it.
            wait(1, 0, 20, None, true),
            wait(0, 0, 30, Some(31), true),
        ];
        assert_eq!(
            waits_alone(&calls),
            [false, false, true, false, true, false, false]
        );
    }
}
