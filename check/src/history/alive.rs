//! Which waits with room a source's parts leave out: those that return
//! none of its events at a time when none of its registrations is alive.
//!
//! # Why
//!
//! A wait whose batch had room claims that nothing of a source was
//! deliverable at its linearization point (`no-lost-wakeup`), so
//! [`super::partition`] used to put every such wait in every source's
//! parts. On the bench's 10k-call, 64-thread, 64-source history that is
//! 2,629 waits in each of 64 parts (168k operations, against about 6k
//! calls that name a source): building those parts and searching through
//! their quiet harvests was most of the check.
//!
//! # The rule
//!
//! A registration of a source is **alive** from the invocation of the
//! `register`/`submit` that returned it to the return of its last mention
//! (the last call naming it or returning one of its events), if one of its
//! mentions visibly ended it (a cancel answered `removed`, with a
//! completion or not, or a final event returned; not `not-found`, after
//! which the model does not always leave the key free: the tripwire below
//! found it live after one in the Port's mutant histories), and to the end
//! of time otherwise. A source is **dead** at a time `t`
//! that no alive interval of its registrations contains (before its first
//! `register`, or between one registration's end and the next one's
//! invocation).
//!
//! A wait `h` of thread `T` is left out of source `s`'s parts if its batch
//! had room, its result is known and holds none of `s`'s events, `T`'s
//! previous wait is known and returned none of `s`'s events (so `T` holds
//! nothing of `s`), and `s` is dead at some time `t` inside `h`'s interval
//! (`[call, ret]` is not inside one alive interval).
//!
//! # Why it keeps every verdict
//!
//! *A part without `h` that linearizes gives one with `h`.* Let `L` be a
//! linearization of the part without `h`, and `p` the position in `L` of
//! the first op invoked after `t` (or the end of `L`). Every op before `p`
//! was invoked before `t`; every op from `p` on returned after `t` (one that
//! returned before `t` must precede the op at `p`, invoked after `t`). So
//! `h` (and, for a blocking wait, its release just before it) can be put at
//! `p` without breaking real-time order: `t` lies in `h`'s interval. The
//! state `c` at `p` has every model key `Free`: a registration whose
//! `register` is before `p` was invoked before `t`, so, `s` being dead at
//! `t`, every mention of it returned before `t` and is before `p`, the
//! terminal one among them (after which only a `register` makes a key live
//! again, and the next `register` was invoked after `t`); keys of later
//! registrations are not yet taken. `T` holds nothing of `s`, so its
//! release is the identity. What is left to show is that a harvest with
//! room returning nothing, by a thread holding nothing, can leave `c` as it
//! is; then `L` with `h` inserted at `p` is a linearization of the part
//! with `h`, from the same states on.
//!
//! Two steps of this are the model's, and are checked rather than assumed
//! ([`super::linearize`]'s `Ctx::step`, on each step answer it computes, in
//! the search and in the sweep of [`super::trim`]):
//!
//! * every outcome of a call the rule takes as ending its registration (a
//!   cancel answered `removed`, a harvest that returned a final event) has
//!   that registration's key `Free` (`Ctx::terminal_frees`); a model in
//!   which it does not (a spec mutant whose cancel answers `removed` and
//!   leaves the completion queued) gives no verdict instead of a wrong one;
//! * every outcome whose keys are all `Free` is asked, once, whether a
//!   harvest with room that returns nothing (blocking and poll, a batch of
//!   1 and of [`onering_model::MAX_BATCH`]: with nothing deliverable, the
//!   size of the batch changes nothing) by a thread holding nothing has
//!   that state among its outcomes (`Ctx::free_stutters`); a model in
//!   which it does not (a `Free` key whose readiness stays queued, as in a
//!   spec mutant that does not purge) gives no verdict.
//!
//! With [`Projection::Off`] (every wait kept) neither is asked.
//!
//! *A part with `h` that linearizes gives one without it.* `h`'s outcomes
//! from any state are states of that state's kernel closure
//! ([`super::reduce`]'s lemma, with its tripwire), which the step before
//! it already offers; this is why the model's closure has the scan of a
//! thread that holds nothing (a part already leaves out a full batch that
//! returned none of its events).
//!
//! Waits with room whose interval lies inside one alive interval stay in
//! the part: there, a wait that omits a deliverable event is a lost
//! wake-up, and the part must see it (`check/tests/history_projection.rs`
//! pins one, which a projection that leaves out every wait returning none
//! of the source's events accepts).

use std::cell::Cell;

/// Per source with a registration (ascending), the union of its
/// registrations' alive intervals: disjoint closed intervals, in order.
pub(super) struct Alive {
    sources: Vec<u32>,
    merged: Vec<Vec<(u64, u64)>>,
}

impl Alive {
    /// From each registration's source and alive interval; `sources`: every
    /// source with a registration, ascending.
    pub(super) fn new(intervals: Vec<(u32, (u64, u64))>, sources: &[u32]) -> Alive {
        let mut merged: Vec<Vec<(u64, u64)>> = vec![Vec::new(); sources.len()];
        for (s, iv) in intervals {
            if let Ok(j) = sources.binary_search(&s) {
                merged[j].push(iv);
            }
        }
        for v in merged.iter_mut() {
            v.sort_unstable();
            let mut out: Vec<(u64, u64)> = Vec::with_capacity(v.len());
            for &(a, b) in v.iter() {
                match out.last_mut() {
                    Some(last) if a <= last.1 => last.1 = last.1.max(b),
                    _ => out.push((a, b)),
                }
            }
            *v = out;
        }
        Alive {
            sources: sources.to_vec(),
            merged,
        }
    }

    /// Adds to each wait's sources (`out[i]`, for each `(i, call, ret)` of
    /// `room`: waits with room whose thread held nothing unknown) every
    /// source alive throughout `[call, ret]`, the ones whose parts must keep
    /// it (see the module documentation); each list ends sorted and
    /// without repeats.
    pub(super) fn add_alive(&self, room: &mut [(usize, u64, u64)], out: &mut [Option<Vec<u32>>]) {
        let projection = projection();
        // Swept in order of invocation: per source, the number of its
        // intervals starting at or before the wait's invocation only grows.
        room.sort_unstable_by_key(|r| r.1);
        let mut before = vec![0usize; self.sources.len()];
        let mut alive: Vec<u32> = Vec::with_capacity(self.sources.len());
        for &(i, a, b) in room.iter() {
            let Some(list) = out[i].as_mut() else {
                continue;
            };
            alive.clear();
            if projection == Projection::Off {
                alive.extend_from_slice(&self.sources);
            } else if projection == Projection::Sound {
                for (j, m) in self.merged.iter().enumerate() {
                    let k = &mut before[j];
                    while *k < m.len() && m[*k].0 <= a {
                        *k += 1;
                    }
                    // Alive throughout: the interval starting at or before
                    // `a` also ends at or after `b`.
                    if *k > 0 && m[*k - 1].1 >= b {
                        alive.push(self.sources[j]);
                    }
                }
            }
            // `alive` is ascending; the few sources the wait named or its
            // thread held are merged in (most quiet waits have none).
            let named = std::mem::take(list);
            list.reserve_exact(alive.len() + named.len());
            list.extend_from_slice(&alive);
            if !named.is_empty() {
                list.extend_from_slice(&named);
                list.sort_unstable();
                list.dedup();
            }
        }
    }
}

/// Which waits the parts leave out (for tests: the default is
/// [`Projection::Sound`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Projection {
    /// Every wait with room in every source's parts (as before this
    /// module): what the sound projection's verdicts are compared with.
    Off,
    /// The rule of this module.
    Sound,
    /// Unsound: every wait with room returning none of a source's events,
    /// from a thread holding none, is left out of its parts, dead or not.
    MutantEveryQuiet,
}

thread_local! {
    static PROJECTION: Cell<Projection> = const { Cell::new(Projection::Sound) };
}

/// Runs `f` with this thread's partitions using projection `p` (for
/// tests).
#[doc(hidden)]
pub fn with_projection<R>(p: Projection, f: impl FnOnce() -> R) -> R {
    super::reduce::scoped(&PROJECTION, p, f)
}

/// The projection in force on this thread (the search's tripwires are
/// off with it: with every wait kept, nothing rests on them).
pub(super) fn projection() -> Projection {
    PROJECTION.with(Cell::get)
}
