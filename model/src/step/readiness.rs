//! Readiness: registering, re-arming and modifying a registration, and the
//! environment's steps on a readiness source (`raise`, `close`). Every
//! (re-)arm re-checks the condition (`rearm-rechecks-level`).

use super::Ctx;
use crate::property::Property as P;
use crate::rules::CloseRule;
use crate::scenario::Mode;
use crate::state::{CancelReq, Entry, EventKind, Outcome, Reg};

impl Ctx<'_> {
    /// Queues a readiness event for `k` (coalescing if the profile does).
    pub(super) fn enqueue_ready(&mut self, k: u8) {
        let already = self.s.queued(k, |e| e.kind() == EventKind::Ready);
        self.obs.witness_if(P::Coalesced, already);
        // A coalesced wake-up still wakes a waiter (ep_poll_callback wakes
        // whether or not the item was already linked): the queued entry may
        // have been skipped by a waiter that parked since.
        self.wake = true;
        if already && self.r.coalesce {
            return;
        }
        let gen = self.s.keys[k as usize].gen;
        self.push_entry(Entry::new(k, gen, EventKind::Ready));
        self.wake = true;
    }

    /// After a (re-)arm of `k`: queue if the condition holds and the profile
    /// re-checks; judge `rearm-rechecks-level`.
    pub(super) fn rearmed(&mut self, k: u8) {
        let ks = self.s.keys[k as usize];
        let cond = self.cond(k);
        self.obs.witness_if(P::RearmRechecksLevel, cond);
        if !cond {
            return;
        }
        if self.r.rearm_rechecks {
            match ks.reg {
                // Held by another thread (unified): the re-check is reported
                // when the holder releases; an `Edge` registration keeps it
                // as its pending edge.
                Reg::Armed
                    if self.r.exclusive_hold && ks.holders != 0 && ks.mode() == Mode::Edge =>
                {
                    self.key(k).pending_edge = true;
                }
                Reg::Armed if self.r.exclusive_hold && ks.holders != 0 => {}
                Reg::Armed => self.enqueue_ready(k),
                // A multishot poll armed on a ready fd queues its first
                // item as task work too (`__io_arm_poll_handler` →
                // `__io_poll_execute`; F3), a single-shot one completes
                // inline.
                Reg::InFlight if ks.mode() == Mode::Multishot => {
                    if self.defer_completion() {
                        self.key(k).cancel = CancelReq::Woken;
                    } else {
                        self.post(k, EventKind::Item);
                    }
                }
                Reg::InFlight => self.post(k, EventKind::Final(Outcome::Done)),
                _ => {}
            }
        }
        let ks = self.s.keys[k as usize];
        let due = match ks.reg {
            Reg::Armed => !(self.r.exclusive_hold && ks.holders != 0),
            Reg::InFlight => true,
            _ => false,
        };
        // A completion decided and left to task work (F3) counts as queued.
        let queued = self.s.queued(k, |e| e.gen() == ks.gen)
            || (ks.reg == Reg::InFlight && ks.cancel == CancelReq::Woken);
        self.obs.check(P::RearmRechecksLevel, !due || queued);
    }

    pub(super) fn raise(&mut self, k: u8) {
        self.use_env(k);
        self.raised(k);
    }

    /// `raise` without its budget: what a raise of the source does to the
    /// registration `k` (once per key bound to the source).
    pub(super) fn raised(&mut self, k: u8) {
        self.key(k).cond = true;
        let ks = self.s.keys[k as usize];
        match ks.reg {
            Reg::Armed => {
                if self.r.exclusive_hold && ks.holders != 0 {
                    if ks.mode() == Mode::Edge {
                        self.key(k).pending_edge = true;
                    }
                } else {
                    self.enqueue_ready(k);
                }
            }
            // A wake-up merged into the one still waiting for its task
            // work (F6), or a single-shot request already decided (F3).
            Reg::InFlight if ks.cancel == CancelReq::Woken => {}
            Reg::InFlight if ks.cancel != CancelReq::Won => {
                if self.defer_completion() {
                    self.key(k).cancel = CancelReq::Woken;
                } else if ks.mode() == Mode::Multishot {
                    self.post(k, EventKind::Item);
                } else {
                    self.post(k, EventKind::Final(Outcome::Done));
                }
            }
            _ => {}
        }
    }

    /// `close` without its budget, for the registration `k` (once per key
    /// bound to the source).
    pub(super) fn closed(&mut self, k: u8) {
        self.obs
            .witness_if(P::CloseRemoves, self.s.keys[k as usize].reg != Reg::Free);
        self.key(k).closed = true;
        match self.r.close {
            CloseRule::Survives => {}
            CloseRule::Removes => {
                self.s.purge(k, |_| true);
                let ks = self.key(k);
                ks.reg = Reg::Free;
                ks.pending_edge = false;
            }
            CloseRule::RemovesKeepsTerminal => {
                self.s.purge(k, |e| e.kind() == EventKind::Ready);
                let ks = self.key(k);
                ks.pending_edge = false;
                if matches!(ks.reg, Reg::Armed | Reg::Disarmed) {
                    ks.reg = Reg::Closed;
                }
            }
        }
    }

    pub(super) fn register(&mut self, _t: u8, k: u8) {
        let request = self.m.is_request_of(k);
        let mode = self.m.key_spec(k).mode.code();
        // Generation numbers are kept mod 4, so a key's fifth registration
        // reuses its first one's number. Reuse a number only once nothing of
        // the old registration can be met again: skip numbers a queued entry
        // of this key still names (only a rule that fails to purge leaves
        // such entries), and forget every ghost that names the old
        // registration, its cancel and the wait snapshots taken after it.
        // Without the snapshots' part a wait parked after the old
        // registration's cancel judged the new registration's event an
        // event after cancel (the `no-event-after-cancel` false alarm at
        // `--ops 5`).
        let mut gen = (self.s.keys[k as usize].gen + 1) & 3;
        for _ in 0..2 {
            if !self.s.queued(k, |e| e.gen() == gen) {
                break;
            }
            gen = (gen + 1) & 3;
        }
        let bit = 1u16 << (4 * k + gen);
        for th in self.s.threads.iter_mut() {
            th.snapshot &= !bit;
        }
        let ks = &mut self.s.keys[k as usize];
        ks.gen = gen;
        ks.cancelled_gens &= !(1 << gen);
        ks.terminals = 0;
        ks.owed = false;
        ks.cancel = CancelReq::None;
        ks.pending_edge = false;
        ks.mode = mode;
        ks.reg = if request { Reg::InFlight } else { Reg::Armed };
        if self.m.kind(k).is_readiness() {
            self.rearmed(k);
        }
    }

    pub(super) fn modify(&mut self, k: u8, m: Mode) {
        let ks = self.key(k);
        ks.mode = m.code();
        // The re-check below decides afresh whether an edge is pending.
        ks.pending_edge = false;
        ks.reg = Reg::Armed;
        self.rearmed(k);
    }

    pub(super) fn rearm(&mut self, t: u8, k: u8) {
        self.release(t, k, false);
        if self.s.keys[k as usize].reg == Reg::Disarmed {
            self.key(k).reg = Reg::Armed;
            self.rearmed(k);
        }
    }

    /// The condition goes away (a `Level` source drained by someone else).
    /// `lower` without its budget, for the registration `k` (once per key
    /// bound to the source).
    pub(super) fn lowered(&mut self, k: u8) {
        self.key(k).cond = false;
    }

    /// The caller drains the source: its condition is false.
    pub(super) fn consume(&mut self, k: u8) {
        self.key(k).cond = false;
    }
}
