//! Cancellation: which cancel modes a profile offers, each mechanism's
//! answer ([`Answer`]) and its nondeterministic outcomes, the answer's
//! arrival (io_uring), and the kernel's final event of a won cancel. The
//! answer's claim is judged here (`honest-cancel`), when it is decided.

use super::Ctx;
use crate::action::{Answer, CancelMode};
use crate::property::Property as P;
use crate::rules::{CloseRule, OpCancel, ReadinessCancel};
use crate::scenario::SourceKind;
use crate::state::{CancelReq, Entry, EventKind, Outcome, Phase, Reg};
use crate::Model;

impl Model {
    /// The cancel modes this profile offers for the scenario's registrations
    /// ([`crate::Rules::cancel_modes`]); in a mixed scenario, key 0's
    /// ([`Model::cancel_modes_of`] is each key's).
    pub fn cancel_modes(&self) -> &'static [CancelMode] {
        self.cancel_modes_of(0)
    }

    /// The cancel modes this profile offers for key `k`'s registration.
    pub fn cancel_modes_of(&self, k: u8) -> &'static [CancelMode] {
        let spec = self.key_spec(k);
        self.rules.cancel_modes(spec.source, spec.mode)
    }
}

impl Ctx<'_> {
    /// How many outcomes a cancel has (nondeterministic kernels).
    pub(super) fn cancel_choices(&self, k: u8, mode: CancelMode) -> u8 {
        let ks = self.s.keys[k as usize];
        if mode == CancelMode::Sync || ks.reg != Reg::InFlight {
            return 1;
        }
        let deferred = self.r.deferred_completion && self.r.op_cancel == OpCancel::IoUring;
        let futex = self.m.kind(k) == SourceKind::Futex;
        let multishot = ks.mode() == crate::scenario::Mode::Multishot;
        match ks.cancel {
            CancelReq::None => {}
            // F3: a completion waiting for its task work: `-ENOENT` (decided),
            // or the cancel still finds it: `0` / `-EALREADY`. Not a futex
            // wait (its wake's unqueue won: `-ENOENT` only, os §4.7), nor a
            // multishot poll (still armed: `0` only, see `cancel_op`).
            CancelReq::Woken if deferred && !futex && !multishot => return 3,
            // Decided (cancelled, or running): `-EALREADY` or `-ENOENT`;
            // a won cancel whose `-ECANCELED` is still task work is found
            // again: `0` (observed under DEFER_TASKRUN).
            CancelReq::Won if deferred => return 3,
            CancelReq::Racing if deferred => return 2,
            _ => return 1,
        }
        let plain_op = self.m.kind(k) == SourceKind::Operation;
        match self.r.op_cancel {
            // A plain aio read/write is not cancellable; IOCB_CMD_POLL is.
            OpCancel::LinuxAio if plain_op => 2,
            // An io_uring request may already be running (-EALREADY).
            OpCancel::IoUring if plain_op => 2,
            // F17: the cancel may take the wait out of the futex queue at
            // once, its cancelled final left to a kernel step.
            OpCancel::Unified if futex && self.r.defers_futex_finals() => 2,
            _ => 1,
        }
    }

    pub(super) fn cancel(&mut self, t: u8, k: u8, mode: CancelMode, choice: u8) {
        self.release(t, k, false);
        let before = self.s.keys[k as usize];
        let others = before.holders & !(1 << t);
        self.obs.witness_if(P::TeardownSafe, others != 0);
        let contested = others != 0
            || matches!(before.reg, Reg::InFlight | Reg::Finishing)
            || self.s.queued(k, |_| true);
        self.obs.witness_if(P::HonestCancel, contested);
        let readiness = self.m.kind(k).is_readiness();
        let answer = if mode == CancelMode::Sync {
            self.cancel_readiness(k)
        } else {
            self.cancel_op(k, mode, choice)
        };
        self.shown.answer = Some(answer);
        let deferred = self.r.op_cancel == OpCancel::IoUring && mode != CancelMode::Sync;
        if readiness && !deferred {
            self.cancel_returned(k, answer);
        }

        // honest-cancel: judge the answer's claim against the truth when it
        // was decided.
        let after = self.s.keys[k as usize];
        let live_queued = self.s.queued(k, |e| e.gen() == after.gen);
        let honest = match answer {
            Answer::Removed => others == 0 && !live_queued && after.reg == Reg::Free,
            Answer::RemovedWith(_) => before.reg == Reg::Finishing && others == 0,
            Answer::Pending => before.reg != Reg::Free,
            Answer::NotFound => before.reg == Reg::Free,
            Answer::Cancelled | Answer::InProgress => before.reg == Reg::InFlight,
            // Under deferred completion "too late" also covers a result
            // that is decided and on its way (F3: the request left the
            // cancel tables, its task work has not posted it yet).
            Answer::TooLate => {
                matches!(before.reg, Reg::Finishing | Reg::Free)
                    || (self.r.deferred_completion
                        && before.reg == Reg::InFlight
                        && before.cancel != CancelReq::None)
            }
        };
        self.obs.check(P::HonestCancel, honest);

        if answer.is_terminal() {
            self.terminal_reaches(t, k);
        }
        if answer.promises_final() {
            self.key(k).owed = true;
        }
        if deferred {
            self.s.threads[t as usize].phase = Phase::Cancelling(k, answer);
        }
    }

    /// A readiness cancel's answer has reached the caller: from now on a
    /// wait that starts must not yield a readiness event of this generation.
    pub(super) fn cancel_returned(&mut self, k: u8, answer: Answer) {
        if !self.m.kind(k).is_readiness() {
            return;
        }
        if matches!(
            answer,
            Answer::Removed | Answer::Pending | Answer::Cancelled | Answer::InProgress
        ) {
            let gen = self.s.keys[k as usize].gen;
            self.key(k).cancelled_gens |= 1 << gen;
        }
    }

    fn cancel_readiness(&mut self, k: u8) -> Answer {
        let ks = self.s.keys[k as usize];
        match self.r.readiness_cancel {
            ReadinessCancel::Purge | ReadinessCancel::AsOperation => {
                if ks.reg == Reg::Free || (ks.closed && self.r.close == CloseRule::Survives) {
                    // The fd number no longer names the registration (EBADF).
                    return Answer::NotFound;
                }
                self.s.purge(k, |_| true);
                self.key(k).reg = Reg::Free;
                Answer::Removed
            }
            ReadinessCancel::Dissociate => match ks.reg {
                Reg::Free => Answer::NotFound,
                _ => {
                    self.s.purge(k, |_| true);
                    self.key(k).reg = Reg::Free;
                    Answer::Removed
                }
            },
            ReadinessCancel::Unified => match ks.reg {
                Reg::Free => Answer::NotFound,
                Reg::CancelPending | Reg::Finishing | Reg::InFlight => Answer::Pending,
                Reg::Armed | Reg::Disarmed | Reg::Closed => {
                    if !self.r.mutant_no_purge {
                        self.s.purge(k, |e| e.kind() == EventKind::Ready);
                    }
                    let removed_while_held = self.r.mutant_removed_while_held;
                    let ks = &mut self.s.keys[k as usize];
                    ks.pending_edge = false;
                    if ks.holders != 0 && !removed_while_held {
                        ks.reg = Reg::CancelPending;
                        Answer::Pending
                    } else {
                        ks.reg = Reg::Free;
                        Answer::Removed
                    }
                }
            },
        }
    }

    fn cancel_op(&mut self, k: u8, mode: CancelMode, choice: u8) -> Answer {
        let ks = self.s.keys[k as usize];
        let racing = |c: &mut Self| {
            let ks = c.key(k);
            if ks.cancel == CancelReq::None {
                ks.cancel = CancelReq::Racing;
            }
        };
        match self.r.op_cancel {
            OpCancel::Unified => match ks.reg {
                // F17 (`Rules::deferred_futex_finals`): the cancel took the
                // wait out of the futex queue (no wake can release it now)
                // and its cancelled final is posted later, by a kernel step
                // of its own (`Action::PostFinal`).
                Reg::InFlight if ks.cancel == CancelReq::None && choice == 1 => {
                    self.key(k).cancel = CancelReq::Won;
                    Answer::Pending
                }
                Reg::InFlight => {
                    racing(self);
                    Answer::Pending
                }
                Reg::Finishing => {
                    let others = ks.holders != 0;
                    if self.r.mutant_lying_cancel {
                        Answer::Removed
                    } else if mode == CancelMode::Reap
                        && !others
                        && self.s.queue().iter().filter(|e| e.key() == k).count() == 1
                    {
                        // Only the final is queued: nothing else of this
                        // submission can follow the terminal outcome.
                        let mut outcome = Outcome::Done;
                        let gen = ks.gen;
                        for e in self.s.queue() {
                            if e.key() == k && e.gen() == gen {
                                if let EventKind::Final(o) = e.kind() {
                                    outcome = o;
                                }
                            }
                        }
                        self.s.purge(k, |e| {
                            e.gen() == gen && matches!(e.kind(), EventKind::Final(_))
                        });
                        self.key(k).reg = Reg::Free;
                        Answer::RemovedWith(outcome)
                    } else {
                        Answer::Pending
                    }
                }
                _ => Answer::NotFound,
            },
            OpCancel::LinuxAio => match ks.reg {
                Reg::InFlight if ks.cancel == CancelReq::None && choice == 0 => {
                    self.key(k).cancel = CancelReq::Won;
                    Answer::InProgress
                }
                // Not on active_reqs: completed, or never cancellable.
                _ => Answer::TooLate,
            },
            OpCancel::IoUring => match (ks.reg, ks.cancel) {
                (Reg::InFlight, CancelReq::None) => {
                    if choice == 0 {
                        self.key(k).cancel = CancelReq::Won;
                        Answer::Cancelled
                    } else {
                        racing(self);
                        Answer::InProgress
                    }
                }
                // F3: woken, its task work pending (see `cancel_choices`).
                // A multishot poll with an item pending is still armed:
                // `io_poll_cancel_req` marks it cancelled and its task work
                // posts `-ECANCELED` instead of the item.
                (Reg::InFlight, CancelReq::Woken)
                    if ks.mode() == crate::scenario::Mode::Multishot =>
                {
                    self.key(k).cancel = CancelReq::Won;
                    Answer::Cancelled
                }
                (Reg::InFlight, CancelReq::Woken) if self.m.kind(k) == SourceKind::Futex => {
                    Answer::TooLate
                }
                (Reg::InFlight, CancelReq::Woken) => match choice {
                    0 => Answer::TooLate,
                    1 => {
                        self.key(k).cancel = CancelReq::Won;
                        Answer::Cancelled
                    }
                    _ => Answer::InProgress,
                },
                (Reg::InFlight, _) if choice == 1 => Answer::TooLate,
                (Reg::InFlight, CancelReq::Won) if choice == 2 => Answer::Cancelled,
                (Reg::InFlight, _) => Answer::InProgress,
                _ => Answer::TooLate,
            },
            OpCancel::Iocp => match ks.reg {
                Reg::InFlight => {
                    racing(self);
                    Answer::InProgress
                }
                _ => Answer::TooLate,
            },
        }
    }

    pub(super) fn post_final(&mut self, k: u8) {
        let ks = self.s.keys[k as usize];
        if ks.cancel == CancelReq::Woken {
            // The task work of a decided completion (F3): a multishot poll's
            // one item for the wake-ups merged meanwhile (F6), or the final.
            let readiness = self.m.kind(k).is_readiness();
            if readiness && ks.mode() == crate::scenario::Mode::Multishot {
                self.key(k).cancel = CancelReq::None;
                self.post(k, EventKind::Item);
            } else {
                self.post(k, EventKind::Final(Outcome::Done));
            }
            return;
        }
        self.post(k, EventKind::Final(Outcome::Cancelled));
        if self.r.mutant_double_final {
            let gen = self.s.keys[k as usize].gen;
            self.s
                .push(Entry::new(k, gen, EventKind::Final(Outcome::Cancelled)));
        }
    }
}
