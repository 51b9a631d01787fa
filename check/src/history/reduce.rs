//! A partial-order reduction of the linearizability search: a **quiet
//! harvest** is placed as soon as it can be, and nowhere else.
//!
//! # Why
//!
//! A history the Port recorded with 64 threads on one source has, at almost
//! every point, about 57 blocking waits open that will return no event
//! (they give up at their deadline), besides a few other calls (measured on
//! `seed13-100000-64-1`: 57 of the 64 calls open at 30%, 50% and 70% of the
//! history). Each such harvest can be placed at any point of its interval
//! where nothing is deliverable, and the memo keys a configuration by the
//! *set* of calls placed: every subset of those harvests placed before a
//! given point is a different key. When the search has to backtrack, it
//! walks those subsets: 2^57 of them.
//!
//! # The reduction
//!
//! A **quiet harvest** is the harvest of a wait whose recorded batch holds
//! none of this part's events (`events: Some([])`, with or without a full
//! batch; not a wait whose result is unknown), by a thread that holds no
//! event in the configuration (so that its release, if the harvest carries
//! it, changes nothing). At a point of the search (linearized set `S`,
//! configuration `c`), a quiet harvest `r` that is a candidate (invoked
//! before the first return still open, its release placed) and one of
//! whose outcomes from `c` is `c` itself is **forced**: it is placed at
//! once (its outcomes are its alternatives, `c` first), and if nothing
//! completes from there, the point is given up (no other call is tried
//! there).
//!
//! # Why it is sound
//!
//! The reduction only drops branches (the placement it makes is one of the
//! model's outcomes, checked), so every linearization it finds is one: a
//! history it accepts is linearizable, and one that is not is still
//! rejected. What must be shown is that it drops no linearization: if any
//! linearization completes from `(S, c)`, one completes from `(S ∪ {r}, c)`.
//!
//! **Lemma (a quiet harvest is a silent step).** For every configuration
//! `t` in which `r`'s thread `T` holds nothing, every outcome of `r` from
//! `t` is a state of the kernel closure of `t`
//! ([`onering_model::Model::kernel_closure`]). From the model
//! (`Model::recorded`, `Recorded::Harvest`): `T` holds nothing, so its
//! release is the identity; a batch with room that took nothing is
//! `Ctx::harvest` finding no deliverable entry, which removes the stale
//! entries (`Deliver::Drop`), keeps the skipped ones, delivers nothing,
//! re-queues nothing and gives no hold; a full batch that took nothing of
//! this part is `Model::pass_over` by `T`. The closure's scanner is the
//! first idle thread of the view that holds nothing, which is `T` itself
//! (slot 0 of `T`'s view), and it runs that same `pass_over`, whose longest
//! prefix is the whole-queue scan of the first case. Ghosts are forgotten
//! on both sides. `T` holds nothing at every later point before `r` is
//! placed: only `T`'s own calls give it holds, and its only open call is
//! this wait (the reader refuses two overlapping calls of one thread).
//! The lemma is checked, as a tripwire, on every harvest answer the step
//! cache computes ([`super::linearize`]'s `Steps`): a model change that
//! broke it gives no verdict instead of a wrong one.
//!
//! **Exchange.** Let `L = x_1 … x_n` complete from `(S, c)`, with `r = x_k`
//! taken from state `s_{k-1}` to `s_k`. If `k = 1`, `L` itself starts with
//! `r`, and the forced frame tries every outcome of `r`, `s_1` among them.
//! Else let `L' = r, x_1 … x_{k-1}, x_{k+1} … x_n`, with `r` taking `c` to
//! `c` and `x_1 … x_{k-2}` taking the same states as in `L`. Real time
//! holds: `r` is a candidate, so no unplaced call returned before `r` was
//! invoked, and moving `r` earlier only puts it before calls it did not
//! have to follow; no call waits for `r` (only a harvest waits, for its
//! own release). At `x_{k-1}`: the search branches over its outcomes, the
//! kernel closure of the model's answers, a transitive closure that holds
//! `s_{k-1}` and so every state of the closure of `s_{k-1}`, `s_k` among
//! them (the lemma); `L'` takes `s_k` there, and from then on `L'` is `L`.
//! (The closure is taken in `x_{k-1}`'s thread's view and `r`'s in `T`'s,
//! but its steps neither read nor change holds beyond "someone else
//! holds": a final posted, stale entries dropped by a thread holding
//! nothing.) So a linearization completes from `(S ∪ {r}, c)`; by
//! induction on the number of forced placements the reduced search finds
//! one whenever the full search does.
//!
//! A forced point that fails is given up; a memo hit on `(S ∪ {r}, c)`
//! means it failed before (configurations on the stack have smaller sets).
//!
//! The same argument, with the release for the harvest, is why a release
//! by a thread holding nothing is forced ([`super::linearize`]'s
//! `idle_release`), which predates this file.
//!
//! # Pinned by
//!
//! `check/tests/history_quiet_harvest.rs`: two deliberately unsound
//! variants ([`Reduction::MutantUnchecked`], which places a quiet harvest
//! without asking the model, and [`Reduction::MutantAnyStutter`], which
//! forces every call one of whose outcomes changes nothing) each make a
//! test fail, and the sound one gives the verdict of the unreduced search
//! ([`Reduction::Off`]) there and on recorded Port histories
//! (`proofs/tests/history_quiet_harvest.rs`).

use super::partition::{PKind, POp};
use std::cell::Cell;

/// Which reduction the search applies (for tests: the default is
/// [`Reduction::Sound`]).
#[doc(hidden)]
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reduction {
    /// No quiet-harvest reduction (the idle release is still forced).
    Off,
    /// The reduction of this module.
    Sound,
    /// Unsound: a quiet harvest is placed as if it changed nothing, without
    /// asking the model whether it may return nothing here.
    MutantUnchecked,
    /// Unsound: every call one of whose outcomes is the configuration
    /// itself is forced (a `rearm` that changes nothing now may be needed
    /// later, after a delivery disarms the registration).
    MutantAnyStutter,
}

thread_local! {
    static REDUCTION: Cell<Reduction> = const { Cell::new(Reduction::Sound) };
}

/// Runs `f` with the search of this thread using reduction `r` (for tests).
#[doc(hidden)]
pub fn with_reduction<R>(r: Reduction, f: impl FnOnce() -> R) -> R {
    scoped(&REDUCTION, r, f)
}

/// Runs `f` with this thread's `cell` set to `v`, restored after (even if
/// `f` panics): the tests' switches of the search's variants.
pub(super) fn scoped<T: Copy + 'static, R>(
    cell: &'static std::thread::LocalKey<Cell<T>>,
    v: T,
    f: impl FnOnce() -> R,
) -> R {
    struct Restore<T: Copy + 'static>(&'static std::thread::LocalKey<Cell<T>>, T);
    impl<T: Copy + 'static> Drop for Restore<T> {
        fn drop(&mut self) {
            self.0.with(|c| c.set(self.1));
        }
    }
    let _restore = Restore(cell, cell.with(|c| c.replace(v)));
    f()
}

/// The reduction in force on this thread.
pub(super) fn current() -> Reduction {
    REDUCTION.with(Cell::get)
}

/// Whether `op` is a quiet harvest (see the module documentation) in a
/// configuration where its thread holds nothing (`holds_nothing`).
pub(super) fn quiet_harvest(op: &POp, holds_nothing: bool) -> bool {
    holds_nothing
        && !op.unknown
        && matches!(&op.kind, PKind::Harvest { events: Some(e), .. } if e.is_empty())
}
