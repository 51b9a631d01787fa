//! Operations: how a request (an operation, a futex wait, a poll request)
//! posts its items and its one final event.

use super::Ctx;
use crate::property::Property as P;
use crate::state::{CancelReq, Entry, EventKind, Outcome, Reg};

impl Ctx<'_> {
    /// Posts an item or a final event for a request.
    pub(super) fn post(&mut self, k: u8, kind: EventKind) {
        let gen = self.s.keys[k as usize].gen;
        if kind == EventKind::Item && self.m.kind(k).is_readiness() {
            let already = self.s.queued(k, |e| e.kind() == EventKind::Item);
            self.obs.witness_if(P::Coalesced, already);
            self.wake = true;
            if already && self.r.coalesce {
                return;
            }
        }
        self.push_entry(Entry::new(k, gen, kind));
        if let EventKind::Final(_) = kind {
            let ks = self.key(k);
            ks.reg = Reg::Finishing;
        }
        self.wake = true;
    }

    /// The operation completes by itself: its final event.
    pub(super) fn complete(&mut self, k: u8) {
        self.use_env(k);
        if self.defer_completion() {
            // Posted later by task work (F3).
            self.key(k).cancel = CancelReq::Woken;
        } else {
            self.post(k, EventKind::Final(Outcome::Done));
        }
    }

    /// A multishot operation produces one more item.
    pub(super) fn stream_item(&mut self, k: u8) {
        self.use_env(k);
        self.post(k, EventKind::Item);
    }
}
