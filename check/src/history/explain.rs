//! Explaining a failing part: the shortest failing prefix (a binary search
//! over return times), its longest partial linearization, and the smallest
//! window of calls to show.
//!
//! Only the order of the stamps is read, never their values or gaps: a
//! prefix "up to time `cut`" keeps the calls that returned at or before
//! `cut`, and treats a call invoked by then but returning later as one that
//! never returned. Scaling or shifting every stamp blames the same call
//! (`tests/history_explain.rs` checks it).

use super::linearize::{check_part, Budget, Stop};
use super::partition::{PKind, POp, Part};
use super::{Call, Failure, Step};
use onering_model::Rules;

/// The part's ops that a prefix ending at time `cut` keeps: calls that
/// returned by `cut` as they are, calls invoked by `cut` but returning
/// later as calls that never returned.
fn prefix(ops: &[POp], cut: u64) -> Vec<POp> {
    let mut kept: Vec<POp> = Vec::new();
    let mut index = vec![None; ops.len()];
    for (i, op) in ops.iter().enumerate() {
        if op.start > cut {
            continue;
        }
        let mut o = op.clone();
        if o.end > cut {
            o.end = u64::MAX;
            o.unknown = true;
        }
        o.after = op.after.and_then(|a| index[a]);
        index[i] = Some(kept.len());
        kept.push(o);
    }
    kept
}

/// The failure of a part that does not linearize; `frontier`: the failed
/// search's [`PartOutcome::frontier`](super::linearize::PartOutcome::frontier)
/// (0 if not known).
pub(super) fn explain(
    calls: &[Call],
    part: &Part,
    rules: &Rules,
    budget: Budget,
    frontier: u64,
) -> Result<Failure, Stop> {
    let mut ends: Vec<u64> = part
        .ops
        .iter()
        .map(|o| o.end)
        .filter(|e| *e != u64::MAX)
        .collect();
    ends.sort_unstable();
    ends.dedup();
    let fails = |cut: u64| -> Result<bool, Stop> {
        Ok(!check_part(part, &prefix(&part.ops, cut), rules, false, budget)?.ok)
    };
    // Invariant: ends[hi] fails (the whole part does), every end before
    // ends[lo] passes. A prefix passes if a longer one does (a
    // linearization of the longer, cut after the last op that returned by
    // the shorter one's end, is one of the shorter: what it placed was
    // invoked by then, and what returns later is unknown there), so the
    // shortest failing prefix is one point whatever the order of the
    // probes. The failed search placed every op returning before its
    // frontier: the prefixes ending before it pass.
    let (mut lo, mut hi) = (
        ends.partition_point(|e| *e < frontier),
        ends.len().saturating_sub(1),
    );
    // From there, probes at growing distances: a failing probe costs a
    // whole refutation (in a relaxed group, about 150 passing ones on the
    // 10k-call, 64-in-flight history of `history_many_registrations.rs`),
    // and a binary search over the whole part made about half of its
    // log2(n) probes fail, where the shortest failing prefix is mostly a
    // few returns past the frontier.
    // The first probe tracks the longest partial linearization (tracking
    // changes no step of the search): where it fails, it is the shortest
    // failing prefix, whose explanation it then is.
    let mut first: Option<(usize, super::linearize::PartOutcome)> = None;
    let mut reach = 1usize;
    while lo < hi {
        let probe = lo.saturating_add(reach - 1).min(hi);
        if probe == hi {
            break;
        }
        let failed = if reach == 1 {
            let out = check_part(part, &prefix(&part.ops, ends[probe]), rules, true, budget)?;
            let failed = !out.ok;
            first = Some((probe, out));
            failed
        } else {
            fails(ends[probe])?
        };
        if failed {
            hi = probe;
            break;
        }
        lo = probe + 1;
        reach = reach.saturating_mul(2);
    }
    while lo < hi {
        let mid = (lo + hi) / 2;
        if fails(ends[mid])? {
            hi = mid;
        } else {
            lo = mid + 1;
        }
    }
    let cut = ends.get(hi).copied().unwrap_or(u64::MAX);
    let ops = prefix(&part.ops, cut);
    let out = match first {
        Some((at, out)) if at == hi => out,
        _ => check_part(part, &ops, rules, true, budget)?,
    };
    // The stuck call's op returning at `cut`: for a blocking wait its
    // harvest (what it returned), not its release, which shares the end.
    let stuck_op = ops
        .iter()
        .position(|o| o.end == cut && !matches!(o.kind, PKind::Release))
        .or_else(|| ops.iter().position(|o| o.end == cut))
        .unwrap_or(ops.len().saturating_sub(1));
    let stuck = ops.get(stuck_op).map_or(0, |o| o.call);
    let refused = out
        .refused
        .iter()
        .find(|(i, _)| ops[*i].call == stuck)
        .map(|(_, why)| *why);
    let placed: Vec<bool> = {
        let mut p = vec![false; ops.len()];
        for (i, _) in &out.longest {
            p[*i] = true;
        }
        p
    };
    // The window: from the first call the longest partial linearization
    // could not place, to the stuck one; plus the last placed call that
    // touched the stuck call's registration (the holder's wait, the raise
    // that the stuck call's result contradicts), which is often earlier.
    let first_unplaced = ops
        .iter()
        .enumerate()
        .filter(|(i, _)| !placed[*i])
        .map(|(_, o)| o.start)
        .min()
        .unwrap_or(0);
    let mut window: Vec<usize> = ops
        .iter()
        .filter(|o| o.start >= first_unplaced || o.end >= first_unplaced)
        .map(|o| o.call)
        .collect();
    if let Some(cause) = cause(&ops, &out.longest, stuck_op) {
        window.push(cause);
    }
    window.sort_by_key(|c| calls[*c].call);
    window.dedup();
    let longest = steps(&ops, out.start, &out.longest);
    // A blocking wait is two ops (release, harvest) of one call: count it
    // once.
    let mut prefix_calls: Vec<usize> = ops.iter().map(|o| o.call).collect();
    prefix_calls.sort_unstable();
    prefix_calls.dedup();
    Ok(Failure {
        port: 0,
        source: part.source,
        group: part.group,
        slots: slots(&part.ops),
        kind: part.kind,
        rules: *rules,
        stuck,
        refused,
        window,
        longest,
        start: out.start.map(|c| c.state),
        prefix_len: prefix_calls.len(),
    })
}

/// A linearization of `ops` (op index, configuration after it) as steps,
/// each call once: a blocking wait is two ops (release, harvest) that other
/// calls may separate; it is listed at its harvest (the step that returns
/// its events), or, when only its release is placed, as parked there.
pub(super) fn steps(
    ops: &[POp],
    start: Option<super::linearize::Cfg>,
    lin: &[(usize, super::linearize::Cfg)],
) -> Vec<Step> {
    let holders = |c: &super::linearize::Cfg| -> [Vec<u32>; onering_model::MAX_KEYS as usize] {
        std::array::from_fn(|k| c.holders(k).collect())
    };
    let mut out: Vec<Step> = Vec::with_capacity(lin.len());
    let mut before = start.or_else(|| lin.first().map(|(_, c)| *c));
    for (i, cfg) in lin {
        let o = &ops[*i];
        let prev = before.unwrap_or(*cfg);
        let step = Step {
            call: o.call,
            before: prev.state,
            after: cfg.state,
            holders: [holders(&prev), holders(cfg)],
            parked: matches!(o.kind, PKind::Release),
        };
        before = Some(*cfg);
        if let Some(pos) = out.iter().position(|s| s.call == o.call) {
            // The harvest of a wait whose release is earlier: the wait moves
            // here.
            out.remove(pos);
        }
        out.push(step);
    }
    out
}

/// The registration slot an op names, if it names one.
fn slot(k: &PKind) -> Option<u8> {
    match k {
        PKind::Register { slot, .. }
        | PKind::Modify { slot, .. }
        | PKind::Rearm { slot, .. }
        | PKind::Disable { slot, .. }
        | PKind::Cancel { slot, .. } => Some(*slot),
        PKind::Harvest {
            events: Some(evs), ..
        } => evs.first().map(|e| e.key),
        _ => None,
    }
}

/// The last placed call before the stuck one that acted on the stuck
/// call's registration, or on the source (an environment step), or that
/// was a harvest of another thread (the holder): what makes the stuck call
/// impossible.
fn cause(
    ops: &[POp],
    longest: &[(usize, super::linearize::Cfg)],
    stuck_op: usize,
) -> Option<usize> {
    let stuck = ops.get(stuck_op)?;
    let key = slot(&stuck.kind);
    longest.iter().rev().map(|(i, _)| &ops[*i]).find_map(|o| {
        let related = match (&o.kind, key) {
            (
                PKind::Harvest {
                    events: Some(e), ..
                },
                Some(k),
            ) => o.thread != stuck.thread && e.iter().any(|ev| ev.key == k),
            (PKind::Raise | PKind::Lower | PKind::Close | PKind::Complete { .. }, _) => true,
            (k2, Some(k)) => slot(k2) == Some(k) && o.thread != stuck.thread,
            _ => false,
        };
        related.then_some(o.call)
    })
}

/// Each op of `ops` that names a registration (register, modify, rearm,
/// cancel): its call, and the model key slot the part gave it.
pub(super) fn slots(ops: &[POp]) -> Vec<(usize, u8)> {
    ops.iter()
        .filter_map(|o| match &o.kind {
            PKind::Register { slot, .. }
            | PKind::Modify { slot, .. }
            | PKind::Rearm { slot, .. }
            | PKind::Cancel { slot, .. } => Some((o.call, *slot)),
            _ => None,
        })
        .collect()
}
