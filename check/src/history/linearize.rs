//! Linearizability of one part against the model: Wing & Gong's search with
//! Lowe's just-in-time list of call and return events and a memo of
//! (linearized set, model configuration), as in porcupine.
//!
//! An operation is tried at the earliest call event still in the list; it
//! linearizes if some outcome of the model's step agrees with the recorded
//! result (the model is nondeterministic: every agreeing outcome is a branch).
//! Reaching a return event means the operations before it could not be
//! ordered: backtrack. Calls that never returned may stay unlinearized.
//!
//! What a recorded call does is the model's [`Model::recorded`]; this file
//! only searches. The model runs with thread slots, not thread names: a
//! history thread takes a slot while it holds an event of this part (or is
//! inside a call) and gives it back afterwards, so any number of threads
//! fit as long as at most [`MAX_THREADS`] hold events of one source at once.
//!
//! The memo key is a 128-bit Zobrist hash of the linearized set (updated
//! in O(1) per step, instead of cloning and hashing a bitset of the whole
//! part) and the configuration, in a table with a fast hasher.

use super::partition::{PKind, POp, Part};
use onering_model::{Model, Recorded, Rejection, Rules, Scenario, State, MAX_THREADS};
use std::collections::HashSet;
use std::hash::{BuildHasherDefault, Hasher};
use std::time::Instant;

const FREE: u32 = u32::MAX;

/// A model state plus which history thread holds each thread slot.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Cfg {
    /// The model state.
    pub state: State,
    slots: [u32; MAX_THREADS as usize],
}

/// What checking one part found.
#[derive(Clone, Debug)]
pub struct PartOutcome {
    /// Whether the part is linearizable.
    pub ok: bool,
    /// Op indices (into the part) of the longest partial linearization
    /// found, in order, with the configuration after each (only when asked
    /// for).
    pub longest: Vec<(usize, Cfg)>,
    /// The configuration the longest partial linearization starts from.
    pub start: Option<Cfg>,
    /// Ops the model refused right after the longest partial linearization,
    /// with why (only when asked for).
    pub refused: Vec<(usize, &'static str)>,
    /// Configurations explored.
    pub explored: u64,
}

/// Why a search stopped without a verdict.
#[derive(Clone, Debug, PartialEq)]
pub enum Stop {
    /// A call whose effect the model cannot hold.
    Unrepresentable {
        /// Index of the call in the whole history.
        call: usize,
        /// Why.
        why: String,
    },
    /// The time budget ran out.
    Time {
        /// Configurations explored by then.
        explored: u64,
    },
    /// The memory budget ran out.
    Memory {
        /// Configurations explored by then.
        explored: u64,
        /// Bytes the memo held.
        bytes: u64,
    },
}

/// What a search may spend.
#[derive(Clone, Copy, Debug, Default)]
pub struct Budget {
    /// Stop at this instant.
    pub deadline: Option<Instant>,
    /// Stop when the memo would hold more than this many bytes.
    pub max_bytes: Option<u64>,
}

/// FxHash-style hasher: the memo's keys are already well mixed in part
/// (the Zobrist half), and SipHash cost two thirds of the instructions.
#[derive(Default, Clone, Copy)]
pub struct FxHasher(u64);

impl Hasher for FxHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut w = [0u8; 8];
            w[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(w));
        }
    }
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    fn write_u16(&mut self, i: u16) {
        self.write_u64(i as u64);
    }
    fn write_u32(&mut self, i: u32) {
        self.write_u64(i as u64);
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
}

/// The memo's hasher.
pub type Fx = BuildHasherDefault<FxHasher>;

fn splitmix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The Zobrist value of op `i`: 128 random-looking bits.
fn zobrist(i: usize) -> u128 {
    let a = splitmix(i as u64);
    ((a as u128) << 64) | splitmix(a ^ 0x5555_5555_5555_5555) as u128
}

/// The model step of a part's op.
fn recorded(k: &PKind) -> Recorded<'_> {
    match k {
        PKind::Register { slot, gen, mode } => Recorded::Register {
            key: *slot,
            gen: *gen,
            mode: *mode,
        },
        PKind::Modify { slot, gen, mode } => Recorded::Modify {
            key: *slot,
            gen: *gen,
            mode: *mode,
        },
        PKind::Disable { slot, gen } => Recorded::Disable {
            key: *slot,
            gen: *gen,
        },
        PKind::Rearm { slot, gen } => Recorded::Rearm {
            key: *slot,
            gen: *gen,
        },
        PKind::Cancel {
            slot,
            gen,
            mode,
            answer,
        } => Recorded::Cancel {
            key: *slot,
            gen: *gen,
            mode: *mode,
            answer: *answer,
        },
        PKind::Consume => Recorded::Consume,
        PKind::Release => Recorded::Release,
        PKind::Harvest {
            events,
            full,
            max,
            release,
        } => Recorded::Harvest {
            events: events.as_deref(),
            full: *full,
            max: *max,
            release: *release,
        },
        PKind::Raise => Recorded::Raise,
        PKind::Lower => Recorded::Lower,
        PKind::Complete { cancelled } => Recorded::Complete {
            cancelled: *cancelled,
        },
        PKind::StreamItem => Recorded::StreamItem,
        PKind::Close => Recorded::Close,
        PKind::FutexWake { n, count } => Recorded::FutexWake {
            n: *n,
            count: *count,
        },
    }
}

struct Ctx<'a> {
    part: &'a Part,
    model: Model,
}

impl Ctx<'_> {
    /// The configurations `op` can lead to from `cfg`, agreeing with its
    /// recorded result; `Ok(Err(why))` if the model refuses it here.
    fn apply(&self, op: &POp, cfg: &Cfg) -> Result<Result<Vec<Cfg>, &'static str>, Stop> {
        let thread_step = !matches!(
            op.kind,
            PKind::Raise
                | PKind::Lower
                | PKind::Complete { .. }
                | PKind::StreamItem
                | PKind::Close
                | PKind::FutexWake { .. }
        );
        // The calling thread's slot (an environment step uses none: any
        // slot number will do, and it is not kept).
        let t = match cfg.slots.iter().position(|x| *x == op.thread) {
            Some(t) => t,
            None => match cfg.slots.iter().position(|x| *x == FREE) {
                Some(t) => t,
                None if !thread_step => 0,
                None => {
                    return Err(Stop::Unrepresentable {
                        call: op.call,
                        why: format!(
                            "more than {MAX_THREADS} threads hold events of source {} at once; the model has {MAX_THREADS} thread slots",
                            self.part.source
                        ),
                    })
                }
            },
        } as u8;
        let unrepresentable = |why: &str| Stop::Unrepresentable {
            call: op.call,
            why: why.to_string(),
        };
        let states = match self
            .model
            .recorded(&cfg.state, t, &recorded(&op.kind), op.unknown)
        {
            Ok(s) => s,
            Err(Rejection::Refused(why)) => return Ok(Err(why)),
            Err(Rejection::Unrepresentable(why)) => return Err(unrepresentable(why)),
        };
        let mut out: Vec<Cfg> = Vec::with_capacity(states.len());
        for st in states {
            let closed = self
                .model
                .kernel_closure(st)
                .map_err(|r| unrepresentable(r.why()))?;
            for mut st in closed {
                Model::forget_ghosts(&mut st);
                let mut slots = cfg.slots;
                if thread_step {
                    slots[t as usize] = op.thread;
                    let idle = st.threads[t as usize].phase == onering_model::Phase::Idle;
                    let holds = st.keys.iter().any(|k| k.holders & (1 << t) != 0);
                    if idle && !holds {
                        slots[t as usize] = FREE;
                    }
                }
                let c = Cfg { state: st, slots };
                if !out.contains(&c) {
                    out.push(c);
                }
            }
        }
        Ok(Ok(out))
    }
}

/// Checks one part; `track` records the longest partial linearization and
/// the refusals after it.
///
/// # Errors
///
/// A [`Stop`]: no verdict.
pub fn check_part(
    part: &Part,
    ops: &[POp],
    rules: &Rules,
    track: bool,
    budget: Budget,
) -> Result<PartOutcome, Stop> {
    let model = Model::for_histories(
        *rules,
        Scenario::new(part.kind, part.first_mode),
        MAX_THREADS,
        part.slots.max(1),
    )
    .map_err(|e| Stop::Unrepresentable {
        call: ops.first().map_or(0, |o| o.call),
        why: e.to_string(),
    })?;
    let cx = Ctx { part, model };
    let mut init = model.init_free();
    Model::forget_ghosts(&mut init);
    let mut cfg = Cfg {
        state: init,
        slots: [FREE; MAX_THREADS as usize],
    };
    let start_cfg = cfg;

    // The event list: (time, op, is_call), linked through `next`/`prev`;
    // index 0 is the head sentinel, n+1 the tail sentinel.
    let n = ops.len();
    let mut events: Vec<(u64, usize, bool)> = Vec::with_capacity(2 * n);
    for (i, op) in ops.iter().enumerate() {
        events.push((op.start, i, true));
        events.push((op.end, i, false));
    }
    // Calls before returns at equal times (only never-returned calls share
    // the time u64::MAX).
    events.sort_by_key(|&(t, i, call)| (t, !call, i));
    let len = events.len();
    let mut next: Vec<usize> = (1..=len + 1).collect();
    let mut prev: Vec<usize> = (0..=len).map(|i| i.saturating_sub(1)).collect();
    next.push(len + 1);
    prev.push(len);
    let mut call_at = vec![0; n];
    let mut ret_at = vec![0; n];
    for (pos, &(_, i, call)) in events.iter().enumerate() {
        if call {
            call_at[i] = pos + 1;
        } else {
            ret_at[i] = pos + 1;
        }
    }
    let unlink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = q;
        prev[q] = p;
    };
    let relink = |next: &mut Vec<usize>, prev: &mut Vec<usize>, e: usize| {
        let (p, q) = (prev[e], next[e]);
        next[p] = e;
        prev[q] = e;
    };

    let mut linearized = vec![false; n];
    let mut lin_hash: u128 = 0;
    let mut memo: HashSet<(u128, Cfg), Fx> = HashSet::default();
    let entry_bytes = (std::mem::size_of::<(u128, Cfg)>() + 8) as u64;
    struct Frame {
        op: usize,
        prev: Cfg,
        alts: Vec<Cfg>,
    }
    let mut stack: Vec<Frame> = Vec::new();
    let mut longest: Vec<(usize, Cfg)> = Vec::new();
    let mut refused: Vec<(usize, &'static str)> = Vec::new();
    let mut explored = 0u64;
    let mut cur = next[0];
    let tail = len + 1;
    // Frames below `dirty` are the same as when `longest` was last taken.
    let mut dirty = 0usize;
    let done = |explored: u64, ok: bool, longest: Vec<(usize, Cfg)>, refused| PartOutcome {
        ok,
        longest: if ok { Vec::new() } else { longest },
        start: Some(start_cfg),
        refused,
        explored,
    };
    loop {
        if cur == tail {
            return Ok(done(explored, true, longest, refused));
        }
        let (_, i, is_call) = events[cur - 1];
        if is_call {
            let blocked = ops[i].after.is_some_and(|a| !linearized[a]);
            if blocked {
                cur = next[cur];
                continue;
            }
            let outs = cx.apply(&ops[i], &cfg)?;
            explored += 1;
            if explored.is_multiple_of(256) {
                if budget.deadline.is_some_and(|d| Instant::now() >= d) {
                    return Err(Stop::Time { explored });
                }
                let bytes = memo.capacity() as u64 * entry_bytes;
                if budget.max_bytes.is_some_and(|m| bytes > m) {
                    return Err(Stop::Memory { explored, bytes });
                }
            }
            let outs = match outs {
                Ok(o) => o,
                Err(why) => {
                    if track && stack.len() == longest.len() {
                        refused.push((i, why));
                    }
                    Vec::new()
                }
            };
            let h = lin_hash ^ zobrist(i);
            let mut alts = outs.into_iter();
            let mut chosen = None;
            for c in alts.by_ref() {
                if memo.insert((h, c)) {
                    chosen = Some(c);
                    break;
                }
            }
            match chosen {
                Some(c) => {
                    linearized[i] = true;
                    lin_hash = h;
                    stack.push(Frame {
                        op: i,
                        prev: cfg,
                        alts: alts.collect(),
                    });
                    unlink(&mut next, &mut prev, call_at[i]);
                    unlink(&mut next, &mut prev, ret_at[i]);
                    cfg = c;
                    if track && stack.len() > longest.len() {
                        // Each entry's configuration is the one after it.
                        longest.truncate(dirty.saturating_sub(1));
                        for j in longest.len()..stack.len() {
                            let after = stack.get(j + 1).map_or(cfg, |f| f.prev);
                            longest.push((stack[j].op, after));
                        }
                        dirty = stack.len();
                        refused.clear();
                    }
                    cur = next[0];
                }
                None => {
                    cur = next[cur];
                }
            }
        } else {
            if ops[i].end == u64::MAX {
                // Only calls that never returned are left.
                return Ok(done(explored, true, longest, refused));
            }
            // Backtrack: undo the last linearized operation and try its
            // next outcome, or else the calls after it.
            let Some(mut frame) = stack.pop() else {
                return Ok(done(explored, false, longest, refused));
            };
            let op = frame.op;
            dirty = dirty.min(stack.len());
            relink(&mut next, &mut prev, ret_at[op]);
            relink(&mut next, &mut prev, call_at[op]);
            cfg = frame.prev;
            let mut chosen = None;
            while let Some(c) = frame.alts.pop() {
                if memo.insert((lin_hash, c)) {
                    chosen = Some(c);
                    break;
                }
            }
            if let Some(c) = chosen {
                unlink(&mut next, &mut prev, call_at[op]);
                unlink(&mut next, &mut prev, ret_at[op]);
                stack.push(Frame {
                    op,
                    prev: cfg,
                    alts: frame.alts,
                });
                cfg = c;
                cur = next[0];
            } else {
                linearized[op] = false;
                lin_hash ^= zobrist(op);
                cur = next[call_at[op]];
            }
        }
    }
}
