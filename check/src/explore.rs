//! Exhaustive breadth-first exploration of one bounded instance of the
//! specification ([`onering_model::Model`]).
//!
//! * Level-synchronous BFS: every state of depth d is expanded before any of
//!   depth d+1, so the first violation found of each property has a shortest
//!   trace. Among shortest traces the explorer prefers the one with the
//!   fewest thread switches (a state reached at the same depth by several
//!   parents keeps the parent whose path switches threads least).
//! * States are stored as 64-bit fingerprints of their canonical
//!   representative under thread and key renaming ([`onering_model::symmetry`]).
//! * Dead-variable reduction (the model's, switchable with
//!   [`Options::dead_variables`]) clears what no later step can read.
//! * Partial-order reduction over independent keys ([`Options::por`]):
//!   where the model says the remaining steps of different keys commute,
//!   only one key's steps are expanded.
//! * Expansion runs on `jobs` worker threads; the merge into the visited set
//!   is sequential and in frontier order, so results do not depend on `jobs`.
//! * Budgets stop a run early: states per exploration
//!   ([`Options::max_states`]), and wall time and resident memory for the
//!   whole command ([`Options::budget`], shared by every exploration and
//!   asked before every chunk of states, so a run stops within a fraction
//!   of a second of it). The result says which stopped it and what was
//!   covered.

use crate::budget::{Budget, Stop};
use crate::fptable::{fingerprint, FpTable};
use onering_model::symmetry::{compose, invert, Symmetry};
use onering_model::{Action, Model, Obs, Property, Shown, State, Step, PACKED_WORDS};
use std::collections::HashMap;
use std::hash::BuildHasherDefault;
use std::hash::Hasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Instant;

/// How to explore.
#[derive(Clone, Debug)]
pub struct Options {
    /// Symmetry reduction over threads and keys.
    pub symmetry: bool,
    /// Dead-variable reduction ([`onering_model::Model::dead_variables`]).
    pub dead_variables: bool,
    /// Partial-order reduction over independent keys
    /// ([`onering_model::Model::independent_key`]).
    pub por: bool,
    /// Worker threads.
    pub jobs: usize,
    /// Stop this exploration after this many distinct states.
    pub max_states: Option<u64>,
    /// Wall time and memory for the whole command (shared by clones).
    pub budget: Budget,
}

impl Default for Options {
    fn default() -> Self {
        Options {
            symmetry: true,
            dead_variables: true,
            por: true,
            jobs: std::thread::available_parallelism().map_or(1, |n| n.get()),
            max_states: None,
            budget: Budget::default(),
        }
    }
}

/// Where a violation was seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
struct Found {
    depth: u32,
    switches: u32,
    /// Id of the violating state, or of the parent of the violating step.
    id: u32,
    /// For a violating step: its index among the parent's successors.
    via: Option<u8>,
}

/// One step of a counterexample, in the names of the initial state.
#[derive(Clone, Debug)]
pub struct TraceStep {
    /// The step.
    pub action: Action,
    /// What it showed.
    pub shown: Shown,
    /// What the step itself violated or witnessed.
    pub obs: Obs,
    /// The state after it.
    pub state: State,
}

/// A counterexample: steps from the initial state.
#[derive(Clone, Debug)]
pub struct Trace {
    /// The steps.
    pub steps: Vec<TraceStep>,
    /// Successor indices from the initial state: with the profile, scenario,
    /// bound and reduction flags, enough to replay the trace.
    pub path: Vec<u8>,
    /// What the final state itself violates.
    pub final_obs: Obs,
}

impl Trace {
    /// Number of switches between threads (environment steps do not count).
    pub fn switches(&self) -> usize {
        let mut last = None;
        let mut n = 0;
        for s in &self.steps {
            if let Some(t) = s.action.thread() {
                if last.is_some_and(|l| l != t) {
                    n += 1;
                }
                last = Some(t);
            }
        }
        n
    }
}

/// The result of exploring one instance.
#[derive(Clone, Debug)]
pub struct Exploration {
    /// Distinct (canonical) states visited.
    pub states: u64,
    /// Transitions taken.
    pub transitions: u64,
    /// Deepest BFS level reached.
    pub depth: u32,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// False if a budget stopped the run.
    pub complete: bool,
    /// The budget that stopped the run, if one did.
    pub stopped: Option<Stop>,
    /// Bytes of the visited set and its parent links.
    pub bytes: usize,
    /// Witnesses exhibited somewhere (bit per property).
    pub witnessed: u16,
    /// The shortest violation of each property, if any (indexed by
    /// `Property as usize`).
    pub violations: Vec<Option<Trace>>,
}

impl Exploration {
    /// The trace violating `p`, if any.
    pub fn violation(&self, p: Property) -> Option<&Trace> {
        self.violations[p as usize].as_ref()
    }
}

/// A fast, well-mixed 64-bit hash for fingerprints (FxHash-style absorption,
/// splitmix64 finalisation).
#[derive(Default)]
pub struct FpHasher(u64);

impl Hasher for FpHasher {
    #[inline]
    fn write(&mut self, bytes: &[u8]) {
        for chunk in bytes.chunks(8) {
            let mut b = [0u8; 8];
            b[..chunk.len()].copy_from_slice(chunk);
            self.write_u64(u64::from_le_bytes(b));
        }
    }
    #[inline]
    fn write_u8(&mut self, i: u8) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_u64(&mut self, i: u64) {
        self.0 = (self.0.rotate_left(5) ^ i).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    #[inline]
    fn write_usize(&mut self, i: usize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn write_isize(&mut self, i: isize) {
        self.write_u64(i as u64);
    }
    #[inline]
    fn finish(&self) -> u64 {
        let mut z = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }
}

/// Hashes a fingerprint to itself: fingerprints are already well mixed, and
/// the per-level index of new states is on the sequential merge path.
#[derive(Default)]
struct FpIdentity(u64);

impl Hasher for FpIdentity {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 fingerprints are hashed")
    }
    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fingerprint of a (canonical) state's encoding.
pub fn fp_of_packed(p: &[u64; PACKED_WORDS]) -> u64 {
    let mut h = FpHasher::default();
    for &w in p {
        h.write_u64(w);
    }
    fingerprint(h.finish())
}

/// The fingerprint of a (canonical) state.
pub fn fp_of(s: &State) -> u64 {
    fp_of_packed(&s.pack())
}

struct Frontier {
    id: u32,
    state: State,
    switches: u32,
    /// Last thread to act, in this state's (canonical) names; 255 = none.
    last: u8,
}

struct Cand {
    fp: u64,
    parent: u32,
    via: u8,
    state: State,
    switches: u32,
    last: u8,
    obs: Obs,
}

#[derive(Default)]
struct ChunkOut {
    cands: Vec<Cand>,
    transitions: u64,
    witnessed: u16,
    found: Vec<(Property, Found)>,
}

/// Explores `model` exhaustively (or until a budget runs out), calling
/// `progress(states, depth)` after every level.
pub fn explore(model: &Model, opts: &Options, mut progress: impl FnMut(u64, u32)) -> Exploration {
    let start = Instant::now();
    let sym = Symmetry::new(model.bound.threads, model.bound.keys, opts.symmetry)
        .dead_variables(opts.dead_variables);
    let mut model = *model;
    model.dead_variables = opts.dead_variables;
    let model = &model;
    let mut table = FpTable::with_capacity(1 << 12);
    let mut best: Vec<Option<Found>> = vec![None; Property::ALL.len()];
    let mut witnessed = 0u16;
    let mut transitions = 0u64;

    let (init, _, _) = sym.canonical(&model.init());
    let init_obs = model.state_obs(&init);
    witnessed |= init_obs.witnessed;
    let root = table
        .insert(fp_of(&init), u32::MAX, 0)
        .expect("empty table");
    record_state(&mut best, init_obs, 0, 0, root);
    let mut frontier = vec![Frontier {
        id: root,
        state: init,
        switches: 0,
        last: 255,
    }];
    let mut depth = 0u32;
    let mut stopped = None;

    'levels: while !frontier.is_empty() {
        if opts.max_states.is_some_and(|m| table.len() as u64 >= m) {
            stopped = Some(Stop::States);
            break;
        }
        // A level cut short by the budget is dropped whole: the coverage
        // reported is every level up to `depth`.
        let Some(outs) = expand_level(model, &sym, opts, &table, &frontier) else {
            stopped = opts.budget.stopped();
            break;
        };
        let level_start = table.len() as u32;
        let mut next: Vec<Frontier> = Vec::new();
        let mut index: HashMap<u64, usize, BuildHasherDefault<FpIdentity>> = HashMap::default();
        for out in outs {
            transitions += out.transitions;
            witnessed |= out.witnessed;
            for (p, f) in out.found {
                consider(
                    &mut best,
                    p,
                    Found {
                        depth: depth + 1,
                        ..f
                    },
                );
            }
            for (n, c) in out.cands.into_iter().enumerate() {
                if opts.max_states.is_some_and(|m| table.len() as u64 >= m) {
                    stopped = Some(Stop::States);
                    break 'levels;
                }
                if n % 16384 == 16383 {
                    if let Some(why) = opts.budget.exceeded() {
                        stopped = Some(why);
                        break 'levels;
                    }
                }
                match table.insert(c.fp, c.parent, c.via) {
                    Some(id) => {
                        witnessed |= c.obs.witnessed;
                        record_state(&mut best, c.obs, depth + 1, c.switches, id);
                        index.insert(c.fp, next.len());
                        next.push(Frontier {
                            id,
                            state: c.state,
                            switches: c.switches,
                            last: c.last,
                        });
                    }
                    None => {
                        // Reached again at the same depth: keep the parent
                        // whose path switches threads least.
                        if let Some(&ix) = index.get(&c.fp) {
                            let f = &mut next[ix];
                            if c.switches < f.switches {
                                debug_assert!(f.id >= level_start);
                                table.set_parent(f.id, c.parent, c.via);
                                f.switches = c.switches;
                                f.last = c.last;
                            }
                        }
                    }
                }
            }
        }
        if !next.is_empty() {
            depth += 1;
        }
        frontier = next;
        progress(table.len() as u64, depth);
    }

    let violations = best
        .iter()
        .map(|f| f.map(|f| reconstruct(model, &sym, &table, f)))
        .collect();
    Exploration {
        states: table.len() as u64,
        transitions,
        depth,
        seconds: start.elapsed().as_secs_f64(),
        complete: stopped.is_none(),
        stopped,
        bytes: table.bytes(),
        witnessed,
        violations,
    }
}

fn consider(best: &mut [Option<Found>], p: Property, f: Found) {
    let slot = &mut best[p as usize];
    if slot.is_none_or(|b| f < b) {
        *slot = Some(f);
    }
}

fn record_state(best: &mut [Option<Found>], obs: Obs, depth: u32, switches: u32, id: u32) {
    for p in obs.violations() {
        consider(
            best,
            p,
            Found {
                depth,
                switches,
                id,
                via: None,
            },
        );
    }
}

fn expand_level(
    model: &Model,
    sym: &Symmetry,
    opts: &Options,
    table: &FpTable,
    frontier: &[Frontier],
) -> Option<Vec<ChunkOut>> {
    let jobs = opts.jobs.max(1);
    let chunk = (frontier.len() / (jobs * 8)).clamp(64, 4096);
    let chunks = frontier.len().div_ceil(chunk);
    if jobs == 1 || chunks == 1 {
        return (0..chunks)
            .map(|c| {
                if opts.budget.exceeded().is_some() {
                    return None;
                }
                Some(expand_chunk(
                    model,
                    sym,
                    opts.por,
                    table,
                    &frontier[c * chunk..((c + 1) * chunk).min(frontier.len())],
                ))
            })
            .collect();
    }
    let next = AtomicUsize::new(0);
    let mut results: Vec<(usize, ChunkOut)> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..jobs.min(chunks))
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let c = next.fetch_add(1, Ordering::Relaxed);
                        if c >= chunks || opts.budget.exceeded().is_some() {
                            break;
                        }
                        let part = &frontier[c * chunk..((c + 1) * chunk).min(frontier.len())];
                        mine.push((c, expand_chunk(model, sym, opts.por, table, part)));
                    }
                    mine
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("explorer worker panicked"))
            .collect()
    });
    if results.len() < chunks {
        return None;
    }
    results.sort_by_key(|(c, _)| *c);
    Some(results.into_iter().map(|(_, o)| o).collect())
}

fn expand_chunk(
    model: &Model,
    sym: &Symmetry,
    por: bool,
    table: &FpTable,
    part: &[Frontier],
) -> ChunkOut {
    let mut out = ChunkOut::default();
    let mut steps: Vec<Step> = Vec::with_capacity(64);
    for f in part {
        steps.clear();
        model.successors(&f.state, &mut steps);
        assert!(steps.len() <= 256, "more than 256 successors of one state");
        let only = if por {
            model.independent_key(&f.state, &steps)
        } else {
            None
        };
        for (i, st) in steps.iter().enumerate() {
            if only.is_some_and(|k| st.action.env_key() != Some(k)) {
                continue;
            }
            assert!(!st.overflow, "queue overflow within a validated bound");
            out.transitions += 1;
            out.witnessed |= st.obs.witnessed;
            let (canon, packed, tpi, _) = sym.canonical_packed(&st.next);
            let tp = sym.thread_perm(tpi);
            let actor = st.action.thread();
            let switches =
                f.switches + u32::from(actor.is_some_and(|a| f.last != 255 && a != f.last));
            let last = match actor {
                Some(a) => tp[a as usize],
                None if f.last != 255 => tp[f.last as usize],
                None => 255,
            };
            for p in st.obs.violations() {
                out.found.push((
                    p,
                    Found {
                        depth: 0,
                        switches,
                        id: f.id,
                        via: Some(i as u8),
                    },
                ));
            }
            let fp = fp_of_packed(&packed);
            if table.contains(fp) {
                continue;
            }
            out.cands.push(Cand {
                fp,
                parent: f.id,
                via: i as u8,
                obs: model.state_obs(&canon),
                state: canon,
                switches,
                last,
            });
        }
    }
    // Depth of step violations: the parent's depth + 1; filled in by the
    // caller's ordering (all steps of one level share it).
    out
}

/// Replays a path of successor indices from the initial state, in the
/// initial state's names. The reductions must match the run that produced
/// the path.
pub fn replay(model: &Model, opts: &Options, path: &[u8]) -> Result<Trace, String> {
    let sym = Symmetry::new(model.bound.threads, model.bound.keys, opts.symmetry)
        .dead_variables(opts.dead_variables);
    let mut model = *model;
    model.dead_variables = opts.dead_variables;
    replay_with(&model, &sym, path)
}

fn reconstruct(model: &Model, sym: &Symmetry, table: &FpTable, f: Found) -> Trace {
    let ids = table.path_to(f.id);
    let mut path: Vec<u8> = ids[1..].iter().map(|&id| table.via(id)).collect();
    if let Some(v) = f.via {
        path.push(v);
    }
    replay_with(model, sym, &path).expect("a path found by the explorer replays")
}

fn replay_with(model: &Model, sym: &Symmetry, path: &[u8]) -> Result<Trace, String> {
    let (mut cur, tpi, kpi) = sym.canonical(&model.init());
    // Maps from the current canonical names back to the initial names.
    let mut to_t = invert(sym.thread_perm(tpi));
    let mut to_k = invert(sym.key_perm(kpi));
    let mut steps = Vec::new();
    let mut succ = Vec::new();
    for (n, &via) in path.iter().enumerate() {
        succ.clear();
        model.successors(&cur, &mut succ);
        let st = succ.get(via as usize).ok_or_else(|| {
            format!(
                "step {} of the path: the state has {} successors, not {}",
                n + 1,
                succ.len(),
                via as usize + 1
            )
        })?;
        steps.push(TraceStep {
            action: st.action.permuted(&to_t, &to_k),
            shown: st.shown.permuted(&to_t, &to_k),
            obs: st.obs,
            state: st.next.permuted(&to_t, &to_k),
        });
        let (canon, tpi, kpi) = sym.canonical(&st.next);
        to_t = compose(&invert(sym.thread_perm(tpi)), &to_t);
        to_k = compose(&invert(sym.key_perm(kpi)), &to_k);
        cur = canon;
    }
    Ok(Trace {
        final_obs: model.state_obs(&cur),
        steps,
        path: path.to_vec(),
    })
}
