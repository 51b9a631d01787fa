//! What the v2 constructs of a recorded history (`docs/history-format.md`)
//! mean in the model's terms, for a history checker: each one maps to the
//! model's own steps and answers, or is refused (`None`: not modelled)
//! rather than guessed. The mapping of ordinary calls is [`crate::Recorded`].
//!
//! * **A cancel answer that is a count** (`{"count": n}`): io_uring answers
//!   the cancel of a futex or waitid request with the number it cancelled
//!   (`io_futex_cancel` returns `nr` even without `IORING_ASYNC_CANCEL_ALL`,
//!   os §4.4 "Quirk"). For one request, `1` is the model's
//!   [`Answer::Cancelled`] (`0` of any other target), `0` found nothing
//!   ([`Answer::TooLate`], `-ENOENT`'s meaning); a count of several
//!   requests (cancel-all) names more than one key: not modelled.
//! * **Edge-oneshot** (`EPOLLET | EPOLLONESHOT`, `"edge": true` on a
//!   `oneshot` registration) is the model's [`Mode::Oneshot`]: a oneshot
//!   registration is disarmed by its one delivery (epoll `ep_send_events`:
//!   `if (epi->event.events & EPOLLONESHOT) epi->event.events &=
//!   EP_PRIVATE_BITS; else if (!(epi->event.events & EPOLLET))
//!   list_add_tail(...)`), so the edge bit never gets to decide a re-queue,
//!   and every (re-)arm polls the file whatever the trigger (`ep_insert`,
//!   `ep_modify` call `ep_item_poll`; os §2.3). An io_uring single-shot poll
//!   is edge-oneshot already (`io_poll_parse_events` adds `EPOLLONESHOT`
//!   and `EPOLLET`, os §4.2). A profile without a oneshot readiness mode
//!   (kqueue: `EV_ONESHOT` is not modelled) has no such mapping.
//! * **Interest switched off without removing the registration**
//!   (`disable`: `EPOLL_CTL_MOD` with an empty mask, `EV_DISABLE`) is the
//!   model's `Disarmed`, reached without a delivery ([`Model::disabled`]):
//!   wake-ups are ignored (`ep_poll_callback`: `if (!(epi->event.events &
//!   ~EP_PRIVATE_BITS)) goto out;`), an event already queued is not
//!   reported (epoll re-polls it at harvest under the empty mask and drops
//!   it; kqueue does not return a disabled knote), and a `modify` or
//!   `rearm` (`EV_ENABLE`) arms it again with a re-check.

use crate::action::Answer;
use crate::record::Rejection;
use crate::rules::{OpCancel, Rules};
use crate::scenario::Mode;
use crate::state::{EventKind, Reg, State};
use crate::step::Model;

impl Rules {
    /// The answer a cancel of **one** request gives when the mechanism
    /// reports it as a count `n` (see the module documentation): `None`
    /// where the profile has no counting cancel or `n` names several
    /// requests.
    pub fn cancel_count_answer(&self, n: u64) -> Option<Answer> {
        match (self.op_cancel, n) {
            (OpCancel::IoUring, 1) => Some(Answer::Cancelled),
            // Nothing found: `-ENOENT`'s meaning.
            (OpCancel::IoUring, 0) => Some(Answer::TooLate),
            _ => None,
        }
    }

    /// The model mode of an edge-oneshot registration recorded with
    /// `recorded` as its mode (see the module documentation): `None` if
    /// `recorded` is not `oneshot` or the profile has no oneshot readiness
    /// registration.
    pub fn edge_oneshot_mode(&self, recorded: Mode) -> Option<Mode> {
        let offers = self.scenarios.iter().any(|s| s.mode == Mode::Oneshot);
        (recorded == Mode::Oneshot && offers).then_some(Mode::Oneshot)
    }
}

impl Model {
    /// The states a recorded `disable` of `key` leads to from `s`: the
    /// registration, `Armed` or `Disarmed` (a readiness registration whose
    /// descriptor can still be named), becomes `Disarmed` and its queued
    /// readiness events are dropped; holds stay. Anything else is refused.
    ///
    /// # Errors
    ///
    /// [`Rejection::Refused`] where there is no such registration.
    pub fn disabled(&self, s: &State, key: u8) -> Result<Vec<State>, Rejection> {
        let ks = s.keys[key as usize];
        let named = !(ks.closed && self.rules.closed_fd_unnamed());
        if self.is_request()
            || !self.scenario.source.is_readiness()
            || !matches!(ks.reg, Reg::Armed | Reg::Disarmed)
            || !named
        {
            return Err(Rejection::Refused(
                "a disable of something that is not an armed or disarmed readiness registration",
            ));
        }
        let mut n = *s;
        n.purge(key, |e| e.kind() == EventKind::Ready);
        let k = &mut n.keys[key as usize];
        k.reg = Reg::Disarmed;
        k.pending_edge = false;
        Ok(vec![n])
    }
}

#[cfg(test)]
mod tests {
    use crate::{Answer, Mode, EPOLL, IO_URING, KQUEUE, UNIFIED};

    #[test]
    fn io_uring_counts_one_cancelled_request_and_nothing_else_counts() {
        assert_eq!(IO_URING.cancel_count_answer(1), Some(Answer::Cancelled));
        assert_eq!(IO_URING.cancel_count_answer(2), None);
        assert_eq!(IO_URING.cancel_count_answer(0), Some(Answer::TooLate));
        assert_eq!(EPOLL.cancel_count_answer(1), None);
        assert_eq!(UNIFIED.cancel_count_answer(1), None);
    }

    #[test]
    fn edge_oneshot_is_oneshot_where_the_profile_has_oneshot() {
        assert_eq!(EPOLL.edge_oneshot_mode(Mode::Oneshot), Some(Mode::Oneshot));
        assert_eq!(
            IO_URING.edge_oneshot_mode(Mode::Oneshot),
            Some(Mode::Oneshot)
        );
        assert_eq!(EPOLL.edge_oneshot_mode(Mode::Level), None);
        assert_eq!(KQUEUE.edge_oneshot_mode(Mode::Oneshot), None);
    }
}
