//! Futex: `futex_wake(n)` releases waiters of the one shared word, in any
//! subset and order the profile allows (`futex-wake-count`); each released
//! waiter's final is queued at once or, where the profile defers them
//! ([`crate::Rules::defers_futex_finals`]), left to a later kernel step.

use super::orders;
use crate::action::Action;
use crate::property::Property as P;
use crate::state::{CancelReq, EventKind, Outcome, Reg, State};
use crate::{Model, Step};

impl Model {
    pub(super) fn futex_wake(&self, s: &State, n: u8, out: &mut Vec<Step>) {
        let mut waiting = [0u8; crate::scenario::MAX_KEYS as usize];
        let mut w = 0u8;
        for k in self.keys() {
            let ks = s.keys[k as usize];
            let futex = self.kind(k) == crate::scenario::SourceKind::Futex;
            // Not a wait already released whose final waits for task work.
            if futex
                && ks.reg == Reg::InFlight
                && !matches!(ks.cancel, CancelReq::Won | CancelReq::Woken)
            {
                waiting[w as usize] = k;
                w += 1;
            }
        }
        let waiting = &waiting[..w as usize];
        let release = if self.rules.futex_wake_exact {
            n.min(w)
        } else {
            w
        };
        // Every subset of `waiting` of size `release`, released in every
        // order: futex(2) promises no order (os §4.7), and the order decides
        // the order of the final events in the queue.
        for mask in 0u32..(1 << waiting.len()) {
            if mask.count_ones() as u8 != release {
                continue;
            }
            let mut chosen = [0u8; crate::scenario::MAX_KEYS as usize];
            let mut c = 0;
            for (i, &k) in waiting.iter().enumerate() {
                if mask & (1 << i) != 0 {
                    chosen[c] = k;
                    c += 1;
                }
            }
            for order in orders(&chosen[..c]) {
                self.run(s, Action::FutexWake { n }, out, |c| {
                    if c.m.budgets {
                        c.s.futex_env -= 1;
                    }
                    let mut released = 0u8;
                    for &k in &order {
                        // Released now; the final may be posted later, by a
                        // kernel step of its own (F3, F15).
                        if c.defer_futex_final() {
                            c.key(k).cancel = CancelReq::Woken;
                        } else {
                            c.post(k, EventKind::Final(Outcome::Done));
                        }
                        released |= 1 << k;
                    }
                    c.shown.released = released;
                    let r = released.count_ones() as u8;
                    c.obs.check(P::FutexWakeCount, r <= n && r >= n.min(w));
                    c.obs.witness_if(P::FutexWakeCount, w > 0);
                });
            }
        }
    }
}
