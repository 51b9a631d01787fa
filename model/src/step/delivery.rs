//! Delivery: what `wait` takes from the queue, in which order, what a
//! delivered event does to its registration (holds, `Oneshot`/`Dispatch`
//! disarm, `Level` re-queue), and what a release re-queues or re-arms.

use super::{orders, Ctx, Small};
use crate::property::Property as P;
use crate::rules::{LevelRequeue, Order};
use crate::scenario::Mode;
use crate::state::{Entry, EventKind, Outcome, Phase, Reg, State};
use crate::Model;

/// Whether a queued entry can be delivered now.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(super) enum Deliver {
    Yes,
    /// Stays queued (held by another thread in the unified profile).
    Skip,
    /// Stale readiness: dropped at harvest (disarmed, or the condition went
    /// away and the profile re-polls).
    Drop,
}

impl Model {
    /// The first half of `wait`: thread `t` releases every event it holds
    /// (and, in the unified profile, what that release re-queues or
    /// re-arms). A recorded wait linearizes its release and its harvest at
    /// two points of its interval.
    ///
    /// Releasing several registrations re-queues them in an unspecified
    /// order: one state per order of the held keys.
    pub fn release_holds(&self, s: &State, t: u8) -> Vec<State> {
        self.release_orders(s, t)
            .into_iter()
            .map(|order| {
                let mut c = Ctx::new(self, s);
                for k in order {
                    c.release(t, k, true);
                }
                c.s
            })
            .collect()
    }

    /// Every order in which thread `t` may release the keys it holds.
    pub(super) fn release_orders(&self, s: &State, t: u8) -> Vec<Vec<u8>> {
        let held: Vec<u8> = self
            .keys()
            .filter(|&k| s.keys[k as usize].holders & (1 << t) != 0)
            .collect();
        orders(&held)
    }
}

impl Ctx<'_> {
    /// Whether `e` can be delivered to thread `t` now.
    pub(super) fn deliverable(&self, t: u8, e: Entry) -> Deliver {
        let ks = self.s.keys[e.key() as usize];
        if e.gen() != ks.gen {
            // An event of an earlier registration that was not purged.
            return Deliver::Yes;
        }
        let others = ks.holders & !(1 << t);
        match e.kind() {
            EventKind::Ready => {
                if ks.reg != Reg::Armed || (self.r.repoll_at_harvest && !ks.cond) {
                    Deliver::Drop
                } else if self.r.exclusive_hold && others != 0 && !self.r.mutant_dispatch_requeue {
                    Deliver::Skip
                } else {
                    Deliver::Yes
                }
            }
            EventKind::Item | EventKind::Final(_) => {
                if self.r.exclusive_hold && others != 0 {
                    Deliver::Skip
                } else {
                    Deliver::Yes
                }
            }
        }
    }

    /// Thread `t` releases its hold on `k` (its next wait, rearm or cancel).
    pub(super) fn release(&mut self, t: u8, k: u8, at_wait: bool) {
        let ks = self.s.keys[k as usize];
        if ks.holders & (1 << t) == 0 {
            return;
        }
        self.key(k).holders &= !(1 << t);
        if !self.r.exclusive_hold || self.s.keys[k as usize].holders != 0 {
            return;
        }
        match ks.reg {
            Reg::CancelPending => {
                self.post(k, EventKind::Final(Outcome::Cancelled));
            }
            Reg::Armed => match ks.mode() {
                Mode::Edge => {
                    if ks.pending_edge {
                        self.key(k).pending_edge = false;
                        self.enqueue_ready(k);
                    }
                }
                _ => {
                    if self.cond(k) {
                        self.enqueue_ready(k);
                    }
                }
            },
            Reg::Disarmed => {
                if ks.mode() == Mode::Dispatch && at_wait && self.r.dispatch_rearm_on_wait {
                    self.key(k).reg = Reg::Armed;
                    self.rearmed(k);
                }
            }
            Reg::InFlight | Reg::Finishing => {
                // Items or the final event held back behind this hold.
                self.wake = true;
            }
            Reg::Free | Reg::Closed => {}
        }
    }

    /// `wait`: release the held keys in `order`, then harvest or park.
    pub(super) fn wait(&mut self, t: u8, order: &[u8], max: u8, block: bool) {
        for &k in order {
            self.release(t, k, true);
        }
        let mut snapshot = 0u16;
        for k in self.m.keys() {
            snapshot |= u16::from(self.s.keys[k as usize].cancelled_gens) << (4 * k);
        }
        self.s.threads[t as usize].snapshot = snapshot;
        self.obs.witness_if(P::NoEventAfterCancel, snapshot != 0);
        let any = self
            .s
            .queue()
            .iter()
            .any(|e| self.deliverable(t, *e) == Deliver::Yes);
        if block && !any {
            self.s.threads[t as usize].phase = Phase::Blocked(max);
        } else {
            self.harvest(t, max, false);
        }
    }

    pub(super) fn timeout(&mut self, t: u8, max: u8) {
        let woken = matches!(self.s.threads[t as usize].phase, Phase::Woken(_));
        if woken && self.r.timeout_keeps_wakeup {
            self.harvest(t, max, false);
        } else {
            self.s.threads[t as usize].phase = Phase::Idle;
            self.shown.returned = true;
        }
    }

    /// Takes up to `max` deliverable events for thread `t`. A woken waiter
    /// that finds nothing parks again (`park_if_empty`).
    pub(super) fn harvest(&mut self, t: u8, max: u8, park_if_empty: bool) {
        let mut batch: Small<Entry> = Small::default();
        let mut requeue: Small<u8> = Small::default();
        let mut i: usize = match self.r.order {
            Order::Fifo => 0,
            Order::Lifo => self.s.qlen as usize,
        };
        loop {
            let idx = match self.r.order {
                Order::Fifo => {
                    if i >= self.s.qlen as usize {
                        break;
                    }
                    i
                }
                Order::Lifo => {
                    if i == 0 {
                        break;
                    }
                    i - 1
                }
            };
            let e = self.s.queue[idx];
            let verdict = match self.deliverable(t, e) {
                // Unified: never the same key twice in one batch.
                Deliver::Yes
                    if self.r.exclusive_hold && batch.iter().any(|b| b.key() == e.key()) =>
                {
                    Deliver::Skip
                }
                v => v,
            };
            match verdict {
                Deliver::Skip => {
                    self.advance(&mut i);
                }
                Deliver::Drop => {
                    self.s.remove_at(idx);
                    if self.r.order == Order::Lifo {
                        i -= 1;
                    }
                }
                Deliver::Yes if batch.len() < max as usize => {
                    self.overtaking(t, idx, e);
                    self.s.remove_at(idx);
                    if self.r.order == Order::Lifo {
                        i -= 1;
                    }
                    self.deliver(t, e, &mut requeue);
                    batch.push(e);
                }
                Deliver::Yes => break,
            }
        }
        for &k in requeue.iter() {
            if self.cond(k) {
                self.enqueue_ready(k);
            }
        }
        let mut seen = 0u8;
        let mut twice = false;
        for e in batch.iter() {
            twice |= seen & (1 << e.key()) != 0;
            seen |= 1 << e.key();
        }
        self.obs
            .check(P::BatchBounds, batch.len() <= max as usize && !twice);
        self.obs
            .witness_if(P::BatchBounds, batch.len() == max as usize && max > 1);
        if batch.is_empty() && park_if_empty {
            self.s.threads[t as usize].phase = Phase::Blocked(max);
            return;
        }
        for (slot, e) in self.shown.batch.iter_mut().zip(batch.iter()) {
            *slot = Some(*e);
        }
        self.shown.returned = true;
        self.s.threads[t as usize].phase = Phase::Idle;
        // ep_done_scan: leftovers wake the next waiter.
        let left = self
            .s
            .queue()
            .iter()
            .any(|e| self.deliverable(t, *e) == Deliver::Yes);
        if left {
            self.wake = true;
        }
    }

    fn advance(&self, i: &mut usize) {
        match self.r.order {
            Order::Fifo => *i += 1,
            Order::Lifo => *i -= 1,
        }
    }

    /// Hands `e` to thread `t`.
    fn deliver(&mut self, t: u8, e: Entry, requeue: &mut Small<u8>) {
        let k = e.key();
        let ks = self.s.keys[k as usize];
        let th = self.s.threads[t as usize];
        let others = ks.holders & !(1 << t);
        let kind = e.kind();
        let final_event = matches!(kind, EventKind::Final(_));

        // A poll request's final event is its readiness report.
        let readiness_report = kind != EventKind::Final(Outcome::Cancelled);
        if self.m.kind(k).is_readiness() && readiness_report {
            self.obs.check(P::CloseRemoves, !ks.closed);
        }
        if !final_event {
            self.obs.check(P::NoDuplicateDelivery, others == 0);
            let someone_waits = self.m.threads().any(|u| {
                u != t
                    && matches!(
                        self.s.threads[u as usize].phase,
                        Phase::Blocked(_) | Phase::Woken(_)
                    )
            });
            self.obs
                .witness_if(P::NoDuplicateDelivery, others != 0 || someone_waits);
        }
        if th.snapshot & (1 << (4 * k + e.gen())) != 0
            && kind != EventKind::Final(Outcome::Cancelled)
        {
            self.obs.check(P::NoEventAfterCancel, false);
        }

        if e.gen() != ks.gen {
            // An event of an earlier registration (only reachable when a
            // rule fails to purge): it says nothing to the current one.
            return;
        }
        match kind {
            EventKind::Ready => {
                let dispatch_requeue = self.r.mutant_dispatch_requeue;
                let ks = &mut self.s.keys[k as usize];
                ks.holders |= 1 << t;
                match ks.mode() {
                    Mode::Level if self.r.level_requeue == LevelRequeue::AfterDelivery => {
                        requeue.push(k);
                    }
                    Mode::Oneshot => ks.reg = Reg::Disarmed,
                    Mode::Dispatch => {
                        if dispatch_requeue {
                            requeue.push(k);
                        } else {
                            ks.reg = Reg::Disarmed;
                        }
                    }
                    _ => {}
                }
            }
            EventKind::Item => {
                self.key(k).holders |= 1 << t;
            }
            EventKind::Final(_) => {
                if e.gen() == ks.gen {
                    self.terminal_reaches(t, k);
                    let ks = self.key(k);
                    if ks.reg == Reg::Finishing {
                        ks.reg = Reg::Free;
                    }
                }
            }
        }
    }
}
