//! Property judgement that is not local to one rule: what a state shows by
//! itself (invariants, and at quiescence what must have happened),
//! `no-starvation`'s overtaking count, and a terminal outcome's arrival.
//! Rules judge their own properties where they act (see each module).

use super::delivery::Deliver;
use super::Ctx;
use crate::property::{Obs, Property as P};
use crate::state::{Entry, EventKind, Phase, Reg, State};
use crate::Model;

impl Model {
    /// What a state shows by itself: invariants, and at quiescence (no thread
    /// or kernel step enabled) what must eventually have happened.
    pub fn state_obs(&self, s: &State) -> Obs {
        let mut obs = Obs::default();
        for k in self.keys() {
            if self.kind(k).is_readiness() {
                let n = s
                    .queue()
                    .iter()
                    .filter(|e| {
                        e.key() == k && matches!(e.kind(), EventKind::Ready | EventKind::Item)
                    })
                    .count();
                obs.check(P::Coalesced, n <= 1);
            }
        }
        if self.quiescent(s) {
            let c = Ctx::new(self, s);
            let blocked: Vec<u8> = self
                .threads()
                .filter(|&t| matches!(s.threads[t as usize].phase, Phase::Blocked(_)))
                .collect();
            for &t in &blocked {
                let stuck = s
                    .queue()
                    .iter()
                    .any(|e| c.deliverable(t, *e) == Deliver::Yes);
                obs.check(P::NoLostWakeup, !stuck);
            }
            for k in self.keys() {
                let ks = s.keys[k as usize];
                if ks.owed {
                    let queued = s.queued(k, |e| {
                        e.gen() == ks.gen && matches!(e.kind(), EventKind::Final(_))
                    });
                    let awaiting_release = ks.reg == Reg::CancelPending && ks.holders != 0;
                    obs.check(P::ExactlyOneTerminal, queued || awaiting_release);
                }
            }
        }
        obs
    }

    /// No thread or kernel step is enabled (environment steps may be).
    pub fn quiescent(&self, s: &State) -> bool {
        let threads_still = self.threads().all(|t| {
            let th = s.threads[t as usize];
            match th.phase {
                Phase::Idle => th.ops_left == 0,
                Phase::Blocked(_) => true,
                Phase::Woken(_) | Phase::Cancelling(..) => false,
            }
        });
        let kernel_still = self
            .keys()
            .all(|k| !self.kernel_post_due(s.keys[k as usize]));
        threads_still && kernel_still
    }
}

impl Ctx<'_> {
    /// no-starvation: `e`, at queue position `idx`, is about to be delivered
    /// to `t`. Every other key whose first deliverable event is queued ahead
    /// of it is overtaken; being overtaken twice by the same key is a
    /// violation.
    pub(super) fn overtaking(&mut self, t: u8, idx: usize, e: Entry) {
        let k = e.key();
        for j in self.m.keys() {
            if j == k {
                continue;
            }
            let first = self
                .s
                .queue()
                .iter()
                .position(|x| x.key() == j && self.deliverable(t, *x) == Deliver::Yes);
            if let Some(pj) = first {
                self.obs.witness(P::NoStarvation);
                if pj < idx {
                    let o = self.s.keys[j as usize].overtakers;
                    self.obs.check(P::NoStarvation, o & (1 << k) == 0);
                    self.s.keys[j as usize].overtakers |= 1 << k;
                }
            }
        }
        self.s.keys[k as usize].overtakers = 0;
    }

    /// The terminal outcome of `k` reaches thread `t`.
    pub(super) fn terminal_reaches(&mut self, t: u8, k: u8) {
        let ks = self.s.keys[k as usize];
        self.obs.check(P::ExactlyOneTerminal, ks.terminals == 0);
        self.obs.witness(P::ExactlyOneTerminal);
        self.obs.check(P::TeardownSafe, ks.holders & !(1 << t) == 0);
        let ks = self.key(k);
        ks.terminals = (ks.terminals + 1).min(2);
        ks.owed = false;
    }
}
