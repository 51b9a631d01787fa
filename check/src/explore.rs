//! Exhaustive breadth-first exploration of one bounded instance of the
//! specification ([`onering_model::Model`]).
//!
//! * Level-synchronous BFS: every state of depth d is expanded before any of
//!   depth d+1, so the first violation found of each property has a shortest
//!   trace. Among shortest traces the explorer prefers the one with the
//!   fewest thread switches (a state reached at the same depth by several
//!   parents keeps the parent whose path switches threads least).
//! * States are stored as 64-bit fingerprints of their canonical
//!   representative under thread and key renaming ([`onering_model::symmetry`]),
//!   hashed from its fields a byte each ([`Codec::fp_words`]; no
//!   intermediate encoding on the per-transition path).
//! * Dead-variable, dead-ghost and dead-source reductions (the model's,
//!   switchable with [`Options::dead_variables`], [`Options::dead_ghosts`]
//!   and [`Options::dead_sources`]) clear what no later step can read.
//! * Partial-order reduction over independent keys ([`Options::por`]):
//!   where the model says the remaining steps of different keys commute,
//!   only one key's steps are expanded.
//! * Memory: the visited set keeps a fingerprint and a parent link per state
//!   ([`crate::fptable`]); the frontier keeps each state once, packed to the
//!   bits its bound needs ([`Codec`]: 3 words at the default bound), with
//!   its id and link, and is dropped as soon as it is expanded.
//! * Expansion runs on `jobs` worker threads that insert the successors not
//!   yet visited straight into the next level's shards (one lock per shard
//!   of the fingerprint space), keeping each new state once, packed, with
//!   the least link that reached it; no per-transition record waits for a
//!   merge. At the level's end the new states get ids in the order of the
//!   first transition that reached each (what a sequential BFS in frontier
//!   order would give), and the fingerprints go into the visited set shard
//!   by shard in parallel. Every choice is a minimum over a total order, so
//!   states, ids, traces and verdicts do not depend on `jobs` or on timing.
//! * The path kept for a state is the least (thread switches, parent id,
//!   step index) among its transitions from the previous level, and a state
//!   violating a property is ranked by that path's switches.
//! * Budgets stop a run early: states per exploration
//!   ([`Options::max_states`]), and wall time and resident memory for the
//!   whole command ([`Options::budget`], shared by every exploration and
//!   asked before every chunk of states, so a run stops within a fraction
//!   of a second of it). The result says which stopped it and what was
//!   covered.

use crate::budget::{Budget, Stop};
use crate::codec::Codec;
pub use crate::error::ReplayError;
use crate::fptable::{fingerprint, shard_of, FpTable, SHARDS};
use onering_model::symmetry::{compose, invert, Symmetry};
use onering_model::{Action, Model, Obs, Property, Shown, State, Step};
use std::cmp::Reverse;
use std::collections::{BinaryHeap, HashMap};
use std::hash::BuildHasherDefault;
use std::hash::Hasher;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// How to explore.
#[derive(Clone, Debug)]
pub struct Options {
    /// Symmetry reduction over threads and keys.
    pub symmetry: bool,
    /// Dead-variable reduction ([`onering_model::Model::dead_variables`]).
    pub dead_variables: bool,
    /// Dead-ghost reduction ([`onering_model::Model::dead_ghosts`]).
    pub dead_ghosts: bool,
    /// Dead-source reduction ([`onering_model::Model::dead_sources`]).
    pub dead_sources: bool,
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

impl Options {
    /// Sets the model's own reductions (dead variables, dead ghosts, dead
    /// sources) as these options say.
    pub fn set_reductions(&self, model: &mut Model) {
        model.dead_variables = self.dead_variables;
        model.dead_ghosts = self.dead_ghosts;
        model.dead_sources = self.dead_sources;
    }

    /// No reduction at all: what the reductions are measured against.
    pub fn unreduced() -> Options {
        Options {
            symmetry: false,
            dead_variables: false,
            dead_ghosts: false,
            dead_sources: false,
            por: false,
            ..Options::default()
        }
    }
}

impl Default for Options {
    fn default() -> Self {
        Options {
            symmetry: true,
            dead_variables: true,
            dead_ghosts: true,
            dead_sources: true,
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

/// Hashes a fingerprint to itself, halves swapped: fingerprints are
/// already well mixed.
#[derive(Default)]
struct FpIdentity(u64);

impl Hasher for FpIdentity {
    fn write(&mut self, _: &[u8]) {
        unreachable!("only u64 fingerprints are hashed")
    }
    fn write_u64(&mut self, i: u64) {
        // The top bits chose the shard, so they are equal within one; the
        // map takes its tag from the top bits and its bucket from the low
        // ones: give it the well-mixed middle of the fingerprint for both.
        self.0 = i.rotate_left(32);
    }
    fn finish(&self) -> u64 {
        self.0
    }
}

/// The fingerprint of a (canonical) state: a hash of its
/// [`Codec::fp_words`] (a whole byte per field, on every transition;
/// cheaper than the bit-exact [`Codec::encode`], which only the states kept
/// need).
pub fn fp_of(codec: &Codec, s: &State) -> u64 {
    let mut h = FpHasher::default();
    codec.fp_words(s, |w| h.write_u64(w));
    fingerprint(h.finish())
}

/// One shard's states of one BFS level, packed with the bound's [`Codec`]
/// (the states whose fingerprints fall in that shard of the visited set).
///
/// While the level is built, workers insert into it concurrently (one lock
/// per shard); each state is kept once, however many transitions reach it,
/// with the least link found so far, in one map entry (a transition that
/// reaches a state already in the level costs one cache miss). At the
/// level's end the states are sorted into arrays, get their ids, and the
/// shard becomes part of the next frontier.
#[derive(Default)]
struct LevelShard {
    /// [`Codec::words`] words per state (in insertion order until
    /// [`LevelShard::sort`], then in `order` order).
    words: Vec<u64>,
    /// Fingerprint → what is known of the state, while the level is built.
    map: HashMap<u64, Rec, BuildHasherDefault<FpIdentity>>,
    /// After [`LevelShard::sort`], per state: the first transition that
    /// reached it (`parent << 8 | via`), its link, the properties it
    /// violates, its fingerprint; ids once assigned.
    order: Vec<u64>,
    link: Vec<u64>,
    violated: Vec<u16>,
    fps: Vec<u64>,
    ids: Vec<u32>,
}

/// A state of the level being built.
#[derive(Clone, Copy)]
struct Rec {
    /// The first transition that reached it in frontier order: the least
    /// `parent << 8 | via`. Decides the state's id.
    order: u64,
    /// The path kept for it: the least `switches << 48 | parent << 16 |
    /// via << 8 | last` (fewest thread switches, then first in frontier
    /// order; `last` is the last thread to act, in the state's names).
    link: u64,
    /// Its position in `words`.
    pos: u32,
    /// Properties the state itself violates.
    violated: u16,
}

impl LevelShard {
    fn len(&self) -> usize {
        self.order.len()
    }

    fn offer(&mut self, fp: u64, order: u64, link: u64, new: impl FnOnce(&mut Vec<u64>) -> u16) {
        use std::collections::hash_map::Entry;
        match self.map.entry(fp) {
            Entry::Occupied(mut e) => {
                let r = e.get_mut();
                r.order = r.order.min(order);
                r.link = r.link.min(link);
            }
            Entry::Vacant(e) => {
                let r = Rec {
                    order,
                    link,
                    pos: 0,
                    violated: 0,
                };
                let r = e.insert(r);
                let n = self.words.len();
                r.violated = new(&mut self.words);
                r.pos = n as u32;
            }
        }
    }

    /// Sorts the shard's states by `order` (the order ids follow) into the
    /// arrays, and frees the map.
    fn sort(&mut self, w: usize) {
        let map = std::mem::take(&mut self.map);
        let mut recs: Vec<(u64, Rec)> = map.into_iter().collect();
        recs.sort_unstable_by_key(|(_, r)| r.order);
        self.order = recs.iter().map(|(_, r)| r.order).collect();
        self.link = recs.iter().map(|(_, r)| r.link).collect();
        self.violated = recs.iter().map(|(_, r)| r.violated).collect();
        self.fps = recs.iter().map(|(fp, _)| *fp).collect();
        let mut words = Vec::with_capacity(self.words.len());
        for (_, r) in &recs {
            let i = r.pos as usize;
            words.extend_from_slice(&self.words[i..i + w]);
        }
        self.words = words;
    }
}

const NO_THREAD: u8 = 255;

fn link_of(switches: u32, parent: u32, via: u8, last: u8) -> u64 {
    assert!(
        switches < 256,
        "more than 255 thread switches on a shortest path"
    );
    (switches as u64) << 48 | (parent as u64) << 16 | (via as u64) << 8 | last as u64
}

fn link_switches(l: u64) -> u32 {
    (l >> 48) as u32
}

fn link_parent(l: u64) -> u32 {
    (l >> 16) as u32
}

fn link_via(l: u64) -> u8 {
    (l >> 8) as u8
}

fn link_last(l: u64) -> u8 {
    l as u8
}

/// What a worker saw while expanding part of a level.
#[derive(Default)]
struct WorkerOut {
    transitions: u64,
    witnessed: u16,
    found: Vec<(Property, Found)>,
}

/// Explores `model` exhaustively (or until a budget runs out), calling
/// `progress(states, depth)` after every level.
pub fn explore(model: &Model, opts: &Options, mut progress: impl FnMut(u64, u32)) -> Exploration {
    let start = Instant::now();
    let sym = Symmetry::new(model.bound.threads, model.bound.keys, opts.symmetry)
        .key_classes(&model.key_classes())
        .dead_variables(opts.dead_variables);
    let mut model = *model;
    opts.set_reductions(&mut model);
    let model = &model;
    let codec = Codec::new(model.bound);
    let w = codec.words();
    let mut table = FpTable::with_capacity(1 << 12);
    let mut best: Vec<Option<Found>> = vec![None; Property::ALL.len()];
    let mut witnessed = 0u16;
    let mut transitions = 0u64;

    let (init, _, _) = sym.canonical(&model.init());
    let init_code = codec.encode(&init);
    let init_obs = model.state_obs(&init);
    witnessed |= init_obs.witnessed;
    let root = table
        .insert(fp_of(&codec, &init), u32::MAX, 0)
        .expect("empty table");
    record_state(&mut best, init_obs, 0, 0, root);
    let mut frontier: Vec<LevelShard> = (0..SHARDS).map(|_| LevelShard::default()).collect();
    {
        let f = &mut frontier[0];
        f.words.extend_from_slice(&init_code[..w]);
        f.order.push(0);
        f.link.push(link_of(0, u32::MAX, 0, NO_THREAD));
        f.ids.push(root);
    }
    let mut frontier_len = 1usize;
    let mut depth = 0u32;
    let mut stopped = None;

    while frontier_len > 0 {
        if opts.max_states.is_some_and(|m| table.len() as u64 >= m) {
            stopped = Some(Stop::States);
            break;
        }
        // A level cut short by the budget is dropped whole: the coverage
        // reported is every level up to `depth`.
        let Some((mut next, outs)) = expand_level(model, &sym, &codec, opts, &table, &frontier)
        else {
            stopped = opts.budget.stopped();
            break;
        };
        // The frontier is expanded: drop it before the next one is indexed.
        drop(frontier);
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
        }
        // Ids in the order the states were first reached (as a sequential
        // BFS would number them): sort each shard, then merge the shards.
        std::thread::scope(|scope| {
            let per = SHARDS.div_ceil(opts.jobs.clamp(1, SHARDS));
            for part in next.chunks_mut(per) {
                scope.spawn(move || part.iter_mut().for_each(|s| s.sort(w)));
            }
        });
        let mut heads: BinaryHeap<Reverse<(u64, usize)>> = BinaryHeap::new();
        for (s, sh) in next.iter_mut().enumerate() {
            sh.ids = vec![0; sh.len()];
            if sh.len() > 0 {
                heads.push(Reverse((sh.order[0], s)));
            }
        }
        let mut pos = [0usize; SHARDS];
        frontier_len = 0;
        while let Some(Reverse((_, s))) = heads.pop() {
            let sh = &mut next[s];
            let i = pos[s];
            pos[s] += 1;
            if pos[s] < sh.len() {
                heads.push(Reverse((sh.order[pos[s]], s)));
            }
            let l = sh.link[i];
            let id = table.len() as u32;
            table.push_link(link_parent(l), link_via(l));
            sh.ids[i] = id;
            frontier_len += 1;
            if sh.violated[i] != 0 {
                let obs = Obs {
                    violated: sh.violated[i],
                    witnessed: 0,
                };
                record_state(&mut best, obs, depth + 1, link_switches(l), id);
            }
        }
        let fps: Vec<Vec<u64>> = next
            .iter_mut()
            .map(|s| std::mem::take(&mut s.fps))
            .collect();
        table.insert_shards(&fps, opts.jobs);
        drop(fps);
        for sh in next.iter_mut() {
            sh.order = Vec::new();
            sh.violated = Vec::new();
        }
        if frontier_len > 0 {
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

/// Expands every state of `frontier` on `opts.jobs` workers, inserting the
/// successors not yet visited into the next level's shards as they go.
/// `None` if the budget ran out first.
fn expand_level(
    model: &Model,
    sym: &Symmetry,
    codec: &Codec,
    opts: &Options,
    table: &FpTable,
    frontier: &[LevelShard],
) -> Option<(Vec<LevelShard>, Vec<WorkerOut>)> {
    let jobs = opts.jobs.max(1);
    let total: usize = frontier.iter().map(|s| s.ids.len()).sum();
    let chunk = (total / (jobs * 8)).clamp(64, 4096);
    // Chunks: (shard, start, end).
    let mut chunks: Vec<(usize, usize, usize)> = Vec::new();
    for (s, sh) in frontier.iter().enumerate() {
        let mut a = 0;
        while a < sh.ids.len() {
            let b = (a + chunk).min(sh.ids.len());
            chunks.push((s, a, b));
            a = b;
        }
    }
    let next: Vec<Mutex<LevelShard>> = (0..SHARDS).map(|_| Mutex::default()).collect();
    let cursor = AtomicUsize::new(0);
    let work = || {
        let mut out = WorkerOut::default();
        let mut steps: Vec<Step> = Vec::with_capacity(64);
        loop {
            let c = cursor.fetch_add(1, Ordering::Relaxed);
            if c >= chunks.len() || opts.budget.exceeded().is_some() {
                break;
            }
            let (s, a, b) = chunks[c];
            expand_chunk(
                model,
                sym,
                codec,
                opts.por,
                table,
                &frontier[s],
                a..b,
                &next,
                &mut steps,
                &mut out,
            );
        }
        out
    };
    let outs: Vec<WorkerOut> = if jobs == 1 || chunks.len() == 1 {
        vec![work()]
    } else {
        std::thread::scope(|scope| {
            let handles: Vec<_> = (0..jobs.min(chunks.len()))
                .map(|_| scope.spawn(work))
                .collect();
            handles
                .into_iter()
                .map(|h| h.join().expect("explorer worker panicked"))
                .collect()
        })
    };
    if cursor.load(Ordering::Relaxed) < chunks.len() || opts.budget.stopped().is_some() {
        return None;
    }
    let next = next
        .into_iter()
        .map(|m| m.into_inner().expect("no worker panicked"))
        .collect();
    Some((next, outs))
}

#[allow(clippy::too_many_arguments)]
fn expand_chunk(
    model: &Model,
    sym: &Symmetry,
    codec: &Codec,
    por: bool,
    table: &FpTable,
    part: &LevelShard,
    range: std::ops::Range<usize>,
    next: &[Mutex<LevelShard>],
    steps: &mut Vec<Step>,
    out: &mut WorkerOut,
) {
    let w = codec.words();
    let symmetry = sym.enabled();
    for j in range {
        let state = codec.decode(&part.words[j * w..(j + 1) * w]);
        let id = part.ids[j];
        let (f_switches, f_last) = (link_switches(part.link[j]), link_last(part.link[j]));
        steps.clear();
        model.successors(&state, steps);
        assert!(steps.len() <= 256, "more than 256 successors of one state");
        let only = if por {
            model.independent_key(&state, steps)
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
            let actor = st.action.thread();
            let switches =
                f_switches + u32::from(actor.is_some_and(|a| f_last != NO_THREAD && a != f_last));
            if st.obs.violated != 0 {
                for p in st.obs.violations() {
                    out.found.push((
                        p,
                        Found {
                            depth: 0,
                            switches,
                            id,
                            via: Some(i as u8),
                        },
                    ));
                }
            }
            // Without symmetry the successor is its own representative (no
            // copy).
            let renamed;
            let (canon, tpi) = if symmetry {
                let (c, tpi, _) = sym.canonical(&st.next);
                renamed = c;
                (&renamed, tpi)
            } else {
                (&st.next, 0)
            };
            let fp = fp_of(codec, canon);
            if table.contains(fp) {
                continue;
            }
            let tp = sym.thread_perm(tpi);
            let last = match actor {
                Some(a) => tp[a as usize],
                None if f_last != NO_THREAD => tp[f_last as usize],
                None => NO_THREAD,
            };
            let order = (id as u64) << 8 | i as u64;
            let link = link_of(switches, id, i as u8, last);
            let mut sh = next[shard_of(fp)].lock().expect("no worker panicked");
            sh.offer(fp, order, link, |words| {
                words.extend_from_slice(&codec.encode(canon)[..w]);
                let obs = model.state_obs(canon);
                out.witnessed |= obs.witnessed;
                obs.violated
            });
        }
    }
}

/// Replays a path of successor indices from the initial state, in the
/// initial state's names. The reductions must match the run that produced
/// the path.
pub fn replay(model: &Model, opts: &Options, path: &[u8]) -> Result<Trace, ReplayError> {
    let sym = Symmetry::new(model.bound.threads, model.bound.keys, opts.symmetry)
        .key_classes(&model.key_classes())
        .dead_variables(opts.dead_variables);
    let mut model = *model;
    opts.set_reductions(&mut model);
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

fn replay_with(model: &Model, sym: &Symmetry, path: &[u8]) -> Result<Trace, ReplayError> {
    let (mut cur, tpi, kpi) = sym.canonical(&model.init());
    // Maps from the current canonical names back to the initial names.
    let mut to_t = invert(sym.thread_perm(tpi));
    let mut to_k = invert(sym.key_perm(kpi));
    let mut steps = Vec::new();
    let mut succ = Vec::new();
    for (n, &via) in path.iter().enumerate() {
        succ.clear();
        model.successors(&cur, &mut succ);
        let st = succ.get(via as usize).ok_or(ReplayError::NoSuchSuccessor {
            step: n + 1,
            successors: succ.len(),
            via: via as usize + 1,
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
