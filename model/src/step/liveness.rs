//! Two reductions found by asking, field by field, which later step or
//! judgement can still read a value: the dead-ghost reduction (the ghost
//! records of readiness cancels, [`Model::dead_ghosts`]) and the
//! dead-source reduction (what is left of a source no later step can reach,
//! [`Model::dead_sources`]). Each clears a field to a canonical value
//! exactly where no continuation can tell the difference, so two states
//! that differ only there are one state.
//!
//! # What "sound" means here
//!
//! Write `f(s)` for the state with the dead fields cleared. A reduction is
//! sound for the explorer's judgements when, for every reachable state `s`:
//!
//! 1. `s` and `f(s)` enable the same actions with the same outcomes, except
//!    steps that the reduction disables because they change dead fields
//!    only and show nothing (no violation, no witness);
//! 2. each step from `s` and its counterpart from `f(s)` show the same
//!    [`Obs`](crate::Obs) (violations and witnesses), and lead to states
//!    `s'`, `t'` with `f(s') == f(t')`;
//! 3. [`Model::state_obs`] gives the same answer on `s` and `f(s)`.
//!
//! Then the reduced state graph is the unreduced one with states merged
//! where `f` agrees, and stuttering steps on dead fields dropped: every
//! violation and every witness reachable in one is reachable in the other,
//! by the same actions (less dropped stutters), so a reduced trace's actions
//! replay in the unreduced model to the same violation. The one exception
//! to 2, a witness moved to an earlier step, is argued where it is made
//! (see [`Ctx::forget_ghosts`]). Both reductions only clear fields; neither
//! names a thread or a key, so they commute with symmetry's renamings, and
//! with generation renumbering (every test compares generations with each
//! other, never with a number).

use super::Ctx;
use crate::property::Property as P;
use crate::rules::CloseRule;
use crate::scenario::SourceKind;
use crate::state::{CancelReq, EventKind, Outcome, Phase, Reg, State};
use crate::Model;

impl Model {
    /// The readiness-cancel records that no later delivery can be judged
    /// against: bit `4 * key + generation` set where registration
    /// (`key`, `generation`) is dead for `no-event-after-cancel`.
    ///
    /// A cancel record (`cancelled_gens` bit `g` of key `k`, and the copies
    /// waits take in their `snapshot`) is read by one judgement only: a
    /// delivery of an entry of key `k` and generation `g` other than a final
    /// flagged cancelled is a violation when the receiving wait's snapshot
    /// has the bit. `(k, g)` is *dead* when no such entry is queued and
    /// either `k`'s current generation is not `g` or `k`'s registration is
    /// `Free`. Dead stays dead until `k` is registered again into
    /// generation `g`, which clears the bit in the key and in every
    /// snapshot itself (`register`), because:
    ///
    /// * every rule queues an entry with its key's *current* generation
    ///   (`post`, `enqueue_ready`, the double-final mutant), and generations
    ///   change only at `register`;
    /// * no rule queues an entry for a `Free` registration: `post` runs for
    ///   a registration `InFlight` (a request's item or final, a futex wake,
    ///   a won cancel's final) or `CancelPending` (its final at release),
    ///   `enqueue_ready` for one `Armed` (a wake-up, a re-arm's re-check, a
    ///   release's re-queue, a `Level` re-queue after its own delivery in the
    ///   same harvest); and a `Free` registration leaves `Free` only by
    ///   `register`, whose new generation differs from the old one.
    ///
    /// So clearing a dead bit changes no later delivery's judgement.
    pub fn dead_cancel_bits(&self, s: &State) -> u16 {
        let mut dead = 0u16;
        for k in self.keys() {
            let ks = s.keys[k as usize];
            for g in 0..4u8 {
                let queued = s.queue().iter().any(|e| {
                    e.key() == k && e.gen() == g && e.kind() != EventKind::Final(Outcome::Cancelled)
                });
                let current = g == ks.gen && ks.reg != Reg::Free;
                if !queued && !current {
                    dead |= 1 << (4 * k + g);
                }
            }
        }
        dead
    }

    /// `s` with every field the model's switched-on reductions find dead
    /// cleared (dead variables, dead ghosts, dead sources): what the
    /// explorer keeps of a successor, before symmetry renames it. Two
    /// states with the same `forget` are one state to every later step and
    /// judgement, so a test can compare a reduced run's states with an
    /// unreduced run's through it.
    pub fn forget(&self, s: &State) -> State {
        let mut c = Ctx::new(self, s);
        if self.budgets && self.dead_variables {
            c.forget_dead();
        }
        if self.budgets && self.dead_ghosts {
            c.forget_ghosts();
        }
        if self.budgets && self.dead_sources {
            c.forget_sources();
        }
        c.s
    }

    /// Whether some thread may still start a thread operation (a wait
    /// among them): thread operations are only ever used up.
    fn ops_remain(&self, s: &State) -> bool {
        self.threads().any(|t| s.threads[t as usize].ops_left > 0)
    }
}

impl Ctx<'_> {
    /// Dead-ghost reduction ([`Model::dead_ghosts`]).
    ///
    /// * A thread's `snapshot` is read only by the deliveries of the wait
    ///   that took it (a harvest of that thread, from `wait` or from
    ///   `Woken`), and every wait takes a fresh one before delivering. A
    ///   thread that is `Idle` or `Cancelling` is in no wait: its snapshot
    ///   is dead (the dead-variable reduction clears it only once the
    ///   thread has no operations left).
    /// * Dead cancel records ([`Model::dead_cancel_bits`]) are cleared in
    ///   the keys and in every snapshot: no later delivery is judged
    ///   against them.
    ///
    /// Violations are unchanged by the above. One witness reads the
    /// records: `no-event-after-cancel`'s "a wait starts after a readiness
    /// cancel returned", shown by a wait whose fresh snapshot is not empty.
    /// Where a set record is cleared while some thread still has
    /// operations, the witness is shown by this step instead, and the
    /// explorer's witness verdict (seen somewhere or not) is unchanged:
    ///
    /// * unreduced → reduced: a wait that starts with record `(k, g)` set
    ///   either finds it set in the reduced state too (same witness), or the
    ///   record was cleared on the way, by a step after which the waiting
    ///   thread still had that wait's operation: that step showed it;
    /// * reduced → unreduced: after the clearing step the unreduced state
    ///   still holds the record, and a thread `t` with operations left
    ///   reaches a wait by its own steps (`Harvest`/`Timeout` from a wait,
    ///   `CancelReturn`, then `Wait`, with at most the kernel's `PostFinal`
    ///   steps that a due completion puts first): none of them registers
    ///   anything, so the record is still set when `t`'s wait starts.
    pub(super) fn forget_ghosts(&mut self) {
        let dead = self.m.dead_cancel_bits(&self.s);
        let mut cleared = false;
        for k in self.m.keys() {
            let d = ((dead >> (4 * k)) & 0xF) as u8;
            let ks = &mut self.s.keys[k as usize];
            cleared |= ks.cancelled_gens & d != 0;
            ks.cancelled_gens &= !d;
        }
        for t in self.m.threads() {
            let th = &mut self.s.threads[t as usize];
            match th.phase {
                Phase::Idle | Phase::Cancelling(..) => th.snapshot = 0,
                Phase::Blocked(_) | Phase::Woken(_) => th.snapshot &= !dead,
            }
        }
        if cleared && self.m.ops_remain(&self.s) {
            self.obs.witness(P::NoEventAfterCancel);
        }
    }

    /// Dead-source reduction ([`Model::dead_sources`]).
    ///
    /// * **A closed source whose registration went with it** (a profile
    ///   whose close removes registrations, a readiness key closed, its
    ///   registration neither `Armed` nor `Disarmed`): its condition and
    ///   pending edge are dead. They are read only where the registration is
    ///   `Armed` (a delivery's re-poll, a release's re-queue, a re-arm's
    ///   re-check) or by steps a closed, removed source disables (`consume`,
    ///   `raise`, `lower`; `register` of a closed fd). The registration never
    ///   becomes `Armed` or `Disarmed` again: `register` is disabled,
    ///   `modify` needs one of the two, `rearm` and the `Dispatch` re-arm at
    ///   release need `Disarmed`, and only a delivery of an `Armed` one
    ///   disarms. (The dead-variable reduction already clears its budget.)
    /// * **A source no step can reach any more**, once no thread has an
    ///   operation left (so no `register`, `modify`, `rearm`, `consume`,
    ///   `cancel` or `wait` is ever enabled again), and no source stands
    ///   behind two keys:
    ///   * a readiness key whose registration is `Free` with nothing of it
    ///     queued: nothing of it can be queued again (no rule queues for a
    ///     `Free` registration, see [`Model::dead_cancel_bits`], and only
    ///     `register` ends `Free`), so its condition, its closed flag, its
    ///     pending edge and its budget are dead. Its remaining environment
    ///     steps (`raise`, `lower`, `close` of a `Free` registration) change
    ///     only those fields and show nothing: `close` shows its witness only
    ///     for a registration that is not `Free`, and neither step queues or
    ///     wakes. Clearing the budget disables them: stutters dropped.
    ///   * an operation whose outcome is decided (not `InFlight`, or its
    ///     cancel won or its completion waits for task work): `complete` and
    ///     `stream_item` need it `InFlight` and undecided, which only
    ///     `register` makes it again, so its budget is dead.
    ///
    /// No witness or violation reads these fields outside the steps named,
    /// and [`Model::state_obs`] reads none of them.
    pub(super) fn forget_sources(&mut self) {
        if self.r.close != CloseRule::Survives {
            for k in self.m.keys() {
                let readiness = self.m.kind(k).is_readiness();
                let ks = &mut self.s.keys[k as usize];
                if readiness && ks.closed && !matches!(ks.reg, Reg::Armed | Reg::Disarmed) {
                    ks.cond = false;
                    ks.pending_edge = false;
                }
            }
        }
        if self.m.ops_remain(&self.s) || self.m.scenario.has_shared_source() {
            return;
        }
        for k in self.m.keys() {
            let kind = self.m.kind(k);
            let queued = self.s.queued(k, |_| true);
            let ks = &mut self.s.keys[k as usize];
            if kind.is_readiness() {
                if ks.reg == Reg::Free && !queued {
                    ks.cond = false;
                    ks.closed = false;
                    ks.pending_edge = false;
                    ks.env_left = 0;
                }
            } else if kind == SourceKind::Operation
                && (ks.reg != Reg::InFlight
                    || matches!(ks.cancel, CancelReq::Won | CancelReq::Woken))
            {
                ks.env_left = 0;
            }
        }
    }
}
