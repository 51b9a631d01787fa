//! Leaving out what comes before a group's first registration.
//!
//! A source with more registrations alive at once than a model state has
//! keys is split into groups ([`super::partition`]), and every group's part
//! carries all of the source's environment steps and waits, from the start
//! of the history. A history in which registrations pile up (a workload
//! whose threads race to register and leak the loser's key: the Port's own
//! 1M-call, 2-thread history over one source has 113 groups) then costs
//! groups × history: quadratic. Before its first registration a group's
//! keys are all free, and its ops only move the source's condition; this
//! file computes, once per source and slot count, the set of model states
//! those ops can lead to, and starts each group's part there.
//!
//! # Why it keeps every verdict
//!
//! Let `c` be a *quiescent cut* of a part: an index such that every op
//! before it returned before `ops[c]` was invoked (the ops are in order of
//! invocation). In every linearization of the part, real-time order puts
//! every op before `c` ahead of every op from `c` on. So the part
//! linearizes from the model's initial state `s0` iff, for some sequence
//! `P` of the ops before `c` that respects real-time order and agrees with
//! each op's recorded result, leading from `s0` to `s`, the ops from `c` on
//! linearize from `s`. The set `S` of all such `s` is what [`trim`]
//! computes: ops between two consecutive cuts (a *cluster*, a handful of
//! overlapping calls) are tried in every order respecting real time and
//! every outcome the model allows, from every state reached at the previous
//! cut. The trimmed part (ops from `c` on, [`Part::starts`] = `S`) then
//! linearizes iff the whole part does: the same verdict, and a failure
//! is found in the same calls (they are all from `c` on: every state of `S`
//! is reached by a prefix that linearizes).
//!
//! The cut chosen is the last one at or before the group's first
//! `register` ([`super::partition::partition_trimmed`] leaves out what
//! comes before it). The groups of one source see the same ops before their
//! first registrations: the source's environment steps and waits (none of
//! which can return an event of a registration not made yet), kept once per
//! source as the [`LeftOut`] tape; so one sweep along the tape serves them
//! all, in order of their cuts.
//!
//! Where the sweep cannot be exact it stops, and the groups after that
//! point keep their whole history (slow, never wrong): a cluster of more
//! than [`MAX_CLUSTER`] ops, more than [`MAX_STARTS`] states at a cut, a
//! step the model cannot represent, or a prefix that does not linearize
//! (the whole part's search then finds and explains the failure). Those
//! parts get their left-out ops back.

use super::linearize::{Cfg, Ctx, Fx, Stop};
use super::partition::{LeftOut, POp, Part};
use onering_model::Rules;
use std::collections::HashSet;
use std::time::Instant;

/// Most ops of one cluster the sweep tries in every order.
pub const MAX_CLUSTER: usize = 100_000;

/// Most (ops placed, configuration) pairs the sweep visits in one
/// cluster: real time orders most of a cluster (a long wait of one thread
/// beside another thread's calls is a few hundred), and where it does not
/// (many threads) the sweep stops.
pub const MAX_VISITS: usize = 20_000;

/// Most states the sweep keeps at a cut.
pub const MAX_STARTS: usize = 16;

/// Every configuration the ops of one cluster can lead to from `from`, in
/// any order respecting real time (and each wait's release before its
/// harvest), each op agreeing with its result. `base`: the cluster's first
/// op index in the tape.
fn cluster(cx: &Ctx, ops: &[POp], base: usize, from: &[Cfg]) -> Result<Vec<Cfg>, Stop> {
    if let [op] = ops {
        // One op alone (most of a sweep): each state's outcomes.
        let mut out: Vec<Cfg> = Vec::new();
        for c in from {
            if let Ok(next) = cx.apply(op, c)? {
                for n in next {
                    if !out.contains(&n) {
                        out.push(n);
                    }
                }
            }
        }
        return Ok(out);
    }
    // Breadth first, by ops placed. A placed set is every op before `low`
    // and the few (ascending) of `extra` after it: Lowe's rule (an op is
    // tried only if invoked before the first return of those left) keeps
    // it so, and a level small where real time orders the calls.
    type Node = (usize, Vec<usize>, Cfg);
    let mut level: HashSet<Node, Fx> = from.iter().map(|c| (0, Vec::new(), *c)).collect();
    let mut visits = 0usize;
    // Two levels' tables, swapped (their room kept) level by level.
    let mut next: HashSet<Node, Fx> = HashSet::default();
    for _ in 0..ops.len() {
        next.clear();
        for (low, extra, cfg) in &level {
            let placed = |i: usize| i < *low || extra.binary_search(&i).is_ok();
            // The candidates: unplaced ops invoked before the first return
            // of the unplaced ones.
            let mut first_end = u64::MAX;
            let mut cands = Vec::new();
            // `extra` is ascending: walked beside `i`, not searched for
            // each (a long wait of one thread leaves thousands of the
            // other's calls placed after `low`).
            let mut i = *low;
            let mut e = 0;
            while i < ops.len() && ops[i].start <= first_end {
                while e < extra.len() && extra[e] < i {
                    e += 1;
                }
                if extra.get(e) != Some(&i) {
                    first_end = first_end.min(ops[i].end);
                    cands.push(i);
                }
                i += 1;
            }
            for &i in cands.iter().filter(|&&i| ops[i].start <= first_end) {
                let op = &ops[i];
                if op.after.is_some_and(|a| a >= base && !placed(a - base)) {
                    continue;
                }
                visits += 1;
                if visits > MAX_VISITS + 16 * ops.len() {
                    return Err(Stop::Time { explored: 0 });
                }
                let Ok(outs) = cx.apply(op, cfg)? else {
                    continue;
                };
                let mut ex = extra.clone();
                let at = ex.partition_point(|&e| e < i);
                ex.insert(at, i);
                let mut lo = *low;
                while ex.first() == Some(&lo) {
                    ex.remove(0);
                    lo += 1;
                }
                for c in outs {
                    next.insert((lo, ex.clone(), c));
                }
            }
        }
        std::mem::swap(&mut level, &mut next);
        if level.len() > MAX_VISITS {
            return Err(Stop::Time { explored: 0 });
        }
    }
    let mut out: Vec<Cfg> = Vec::new();
    for (_, _, c) in level {
        if !out.contains(&c) {
            out.push(c);
        }
    }
    Ok(out)
}

/// The tape in order of invocation (`after` remapped).
fn sorted(tape: &[POp]) -> Vec<POp> {
    let mut order: Vec<usize> = (0..tape.len()).collect();
    order.sort_by_key(|&i| (tape[i].start, i));
    let mut at = vec![0; tape.len()];
    for (new, &old) in order.iter().enumerate() {
        at[old] = new;
    }
    order
        .iter()
        .map(|&i| POp {
            after: tape[i].after.map(|a| at[a]),
            ..tape[i].clone()
        })
        .collect()
}

/// Advances the sweep (`pos`, `states`) along `ops` to `to`, a quiescent
/// cut; `false` if it must stop (see the module documentation).
fn advance(
    cx: &Ctx,
    ops: &[POp],
    pos: &mut usize,
    states: &mut Vec<Cfg>,
    to: usize,
    deadline: Option<Instant>,
) -> bool {
    while *pos < to {
        if (*pos).is_multiple_of(1024) && deadline.is_some_and(|d| Instant::now() >= d) {
            return false;
        }
        let a = *pos;
        let mut b = a + 1;
        let mut max_end = ops[a].end;
        while b < to && max_end >= ops[b].start {
            max_end = max_end.max(ops[b].end);
            b += 1;
            if b - a > MAX_CLUSTER {
                return false;
            }
        }
        let Ok(next) = cluster(cx, &ops[a..b], a, states) else {
            return false;
        };
        if next.is_empty() || next.len() > MAX_STARTS || !next.iter().all(Cfg::unheld) {
            return false;
        }
        *states = next;
        *pos = b;
    }
    true
}

/// Gives `part` back the ops its [`LeftOut`] left out.
fn restore(part: &mut Part, tape: &[POp], cut: u64) {
    let n = tape.partition_point(|o| o.start < cut);
    let mut ops: Vec<POp> = tape[..n].to_vec();
    ops.extend(part.ops.drain(..).map(|o| POp {
        after: o.after.map(|a| a + n),
        ..o
    }));
    part.ops = ops;
}

/// Gives each part that left ops out ([`Part::left_out`]) the states they
/// can lead to as its starts, or, where the sweep stops, the ops back.
/// The sweep stops at `deadline` (the search's time budget): the parts
/// after it keep their whole history, and the search then stops at the
/// same deadline. With `restore_ops` false a part the sweep did not reach
/// is left with no starts and no ops: its ops are made later, whole
/// ([`super::partition::Plan::build`] without cuts).
pub(super) fn trim(
    parts: &mut [Part],
    rules: &Rules,
    deadline: Option<Instant>,
    restore_ops: bool,
) {
    // Chains: the parts of one source with one slot count, by cut.
    type Chain = ((u32, u8), Vec<(u64, usize)>);
    let mut chains: Vec<Chain> = Vec::new();
    for (i, p) in parts.iter().enumerate() {
        let Some(LeftOut { cut, .. }) = &p.left_out else {
            continue;
        };
        let id = (p.source, p.slots);
        match chains.iter_mut().find(|(k, _)| *k == id) {
            Some((_, v)) => v.push((*cut, i)),
            None => chains.push((id, vec![(*cut, i)])),
        }
    }
    for (_, mut chain) in chains {
        chain.sort_unstable();
        let Some(left) = parts[chain[0].1].left_out.clone() else {
            continue;
        };
        let tape = sorted(&left.tape);
        let first = &parts[chain[0].1];
        let ctx = Ctx::new(first, rules, tape.first().map_or(0, |o| o.call)).ok();
        let mut pos = 0;
        let mut states = ctx
            .as_ref()
            .map(|(_, init)| vec![*init])
            .unwrap_or_default();
        let mut going = ctx.is_some();
        for (cut, i) in chain {
            let to = tape.partition_point(|o| o.start < cut);
            if going {
                if let Some((cx, _)) = &ctx {
                    going = advance(cx, &tape, &mut pos, &mut states, to, deadline);
                }
            }
            let part = &mut parts[i];
            part.left_out = None;
            if going {
                part.starts = states.iter().map(|c| c.state).collect();
            } else if restore_ops {
                restore(part, &tape, cut);
            }
        }
    }
}
