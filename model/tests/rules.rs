//! One test per transition rule of every profile: each drives the model
//! through a named sequence of steps and checks the state, what the steps
//! showed, and what they tell about the properties.

use onering_model::*;

fn model(rules: Rules, source: SourceKind, mode: Mode) -> Model {
    model_with(rules, source, mode, Bound::default())
}

fn model_with(rules: Rules, source: SourceKind, mode: Mode, bound: Bound) -> Model {
    Model::new(rules, Scenario::new(source, mode), bound).expect("bound is valid")
}

/// Every successor of `s` taken by `a`.
fn all(m: &Model, s: &State, a: Action) -> Vec<Step> {
    let mut out = Vec::new();
    m.successors(s, &mut out);
    out.retain(|st| st.action == a);
    assert!(!out.is_empty(), "{a:?} is not enabled");
    out
}

/// The one successor of `s` taken by `a` (panics if several).
fn go(m: &Model, s: &State, a: Action) -> Step {
    let v = all(m, s, a);
    assert_eq!(v.len(), 1, "{a:?} has {} outcomes", v.len());
    v[0]
}

fn enabled(m: &Model, s: &State, a: Action) -> bool {
    let mut out = Vec::new();
    m.successors(s, &mut out);
    out.iter().any(|st| st.action == a)
}

fn batch(st: &Step) -> Vec<(u8, EventKind)> {
    st.shown.batch().map(|e| (e.key(), e.kind())).collect()
}

const T0: u8 = 0;
const T1: u8 = 1;
const K0: u8 = 0;
const K1: u8 = 1;

fn poll(thread: u8, max: u8) -> Action {
    Action::Wait {
        thread,
        max,
        block: false,
    }
}

fn block(thread: u8, max: u8) -> Action {
    Action::Wait {
        thread,
        max,
        block: true,
    }
}

fn cancel(thread: u8, key: u8, mode: CancelMode) -> Action {
    Action::Cancel { thread, key, mode }
}

const RAISE0: Action = Action::Raise { key: K0 };
const READY0: (u8, EventKind) = (K0, EventKind::Ready);

#[test]
fn epoll_level_item_is_requeued_after_delivery_so_a_second_waiter_gets_it() {
    let m = model(EPOLL, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), RAISE0).next;
    let a = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&a), vec![READY0]);
    assert_eq!(a.next.queue().len(), 1, "re-queued at the tail");
    let b = go(&m, &a.next, poll(T1, 1));
    assert_eq!(batch(&b), vec![READY0]);
    assert!(b.obs.violates(Property::NoDuplicateDelivery));
}

#[test]
fn epoll_edge_requeues_on_a_new_wakeup_while_another_thread_handles_the_first() {
    let m = model(EPOLL, SourceKind::Level, Mode::Edge);
    let s = go(&m, &m.init(), RAISE0).next;
    let a = go(&m, &s, poll(T0, 1));
    assert!(a.next.queue().is_empty(), "edge items are not re-queued");
    let s = go(&m, &a.next, RAISE0).next;
    let b = go(&m, &s, poll(T1, 1));
    assert_eq!(batch(&b), vec![READY0]);
    assert!(b.obs.violates(Property::NoDuplicateDelivery));
}

#[test]
fn epoll_oneshot_disarms_and_mod_rechecks_the_level() {
    let m = model(EPOLL, SourceKind::Level, Mode::Oneshot);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s.keys[0].reg, Reg::Disarmed);
    // A wake-up while disarmed is ignored.
    let s2 = go(&m, &s, RAISE0).next;
    assert!(s2.queue().is_empty());
    // EPOLL_CTL_MOD re-arms and, the level still holding, queues at once.
    let st = go(
        &m,
        &s,
        Action::Modify {
            thread: T0,
            key: K0,
            mode: Mode::Level,
        },
    );
    assert_eq!(st.next.queue().len(), 1);
    assert!(st.obs.witnesses(Property::RearmRechecksLevel));
    assert!(!st.obs.violates(Property::RearmRechecksLevel));
}

#[test]
fn epoll_harvest_drops_an_item_whose_condition_went_away() {
    let m = model(EPOLL, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, Action::Lower { key: K0 }).next;
    let st = go(&m, &s, poll(T0, 2));
    assert!(batch(&st).is_empty());
    assert!(st.next.queue().is_empty());
}

#[test]
fn epoll_del_purges_the_queue_but_answers_zero_while_another_thread_holds_the_event() {
    let m = model(EPOLL, SourceKind::Level, Mode::Edge);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    let s = go(&m, &s, RAISE0).next;
    let st = go(&m, &s, cancel(T1, K0, CancelMode::Sync));
    assert_eq!(st.shown.answer, Some(Answer::Removed));
    assert_eq!(EPOLL.answer_name(Answer::Removed), "0");
    assert!(st.next.queue().is_empty(), "DEL purged the ready list");
    assert!(st.obs.violates(Property::TeardownSafe));
    assert!(st.obs.violates(Property::HonestCancel));
    // No wait that starts afterwards sees k0.
    let w = go(&m, &st.next, poll(T1, 1));
    assert!(batch(&w).is_empty());
}

#[test]
fn epoll_registration_outlives_close_of_a_duped_fd() {
    let m = model(EPOLL, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), Action::Close { key: K0 }).next;
    let s = go(&m, &s, RAISE0).next;
    let st = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&st), vec![READY0]);
    assert!(st.obs.violates(Property::CloseRemoves));
    // DEL can no longer name it.
    let c = go(&m, &st.next, cancel(T1, K0, CancelMode::Sync));
    assert_eq!(c.shown.answer, Some(Answer::NotFound));
    assert!(c.obs.violates(Property::HonestCancel));
}

#[test]
fn epoll_blocked_waiter_is_woken_by_a_wakeup_and_the_timeout_of_a_woken_waiter_still_harvests() {
    let m = model(EPOLL, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), block(T0, 1)).next;
    assert_eq!(s.threads[0].phase, Phase::Blocked(1));
    let st = go(&m, &s, RAISE0);
    assert_eq!(st.shown.woke, 1);
    assert_eq!(st.next.threads[0].phase, Phase::Woken(1));
    assert!(st.obs.witnesses(Property::NoLostWakeup));
    // epoll61: timed out but chosen by the wake-up: it must harvest.
    let t = go(&m, &st.next, Action::Timeout { thread: T0 });
    assert_eq!(batch(&t), vec![READY0]);
}

#[test]
fn a_wakeup_picks_either_blocked_waiter() {
    let m = model(EPOLL, SourceKind::Level, Mode::Edge);
    let s = go(&m, &m.init(), block(T0, 1)).next;
    let s = go(&m, &s, block(T1, 1)).next;
    let outs = all(&m, &s, RAISE0);
    let woke: Vec<u8> = outs.iter().map(|o| o.shown.woke).collect();
    assert_eq!(woke, vec![1, 2]);
}

#[test]
fn kqueue_close_removes_the_knote() {
    let m = model(KQUEUE, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, Action::Close { key: K0 }).next;
    assert!(s.queue().is_empty());
    assert_eq!(s.keys[0].reg, Reg::Free);
    assert!(!enabled(&m, &s, RAISE0), "the descriptor is gone");
}

#[test]
fn kqueue_dispatch_disarms_and_enable_rechecks() {
    let m = model(KQUEUE, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s.keys[0].reg, Reg::Disarmed);
    // No implicit re-arm at the next wait (that is unified's rule).
    let s2 = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s2.keys[0].reg, Reg::Disarmed);
    let st = go(
        &m,
        &s,
        Action::Rearm {
            thread: T0,
            key: K0,
        },
    );
    assert_eq!(st.next.queue().len(), 1);
}

#[test]
fn unified_level_is_reported_again_only_after_the_holder_releases_it() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Level);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert!(s.queue().is_empty());
    let other = go(&m, &s, poll(T1, 1));
    assert!(batch(&other).is_empty(), "held by T0");
    // T0's next wait releases and, the level holding, gets it again.
    let again = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&again), vec![READY0]);
}

#[test]
fn unified_edge_keeps_one_pending_edge_while_held() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Edge);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    let s = go(&m, &s, RAISE0).next;
    assert!(s.keys[0].pending_edge);
    assert!(s.queue().is_empty());
    let st = go(&m, &s, poll(T1, 1));
    assert!(batch(&st).is_empty());
    let st = go(
        &m,
        &st.next,
        Action::Rearm {
            thread: T0,
            key: K0,
        },
    );
    assert_eq!(
        st.next.queue().len(),
        1,
        "the pending edge is queued at release"
    );
}

#[test]
fn unified_dispatch_rearms_at_the_holders_next_wait() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s.keys[0].reg, Reg::Disarmed);
    let st = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&st), vec![READY0], "re-armed, re-checked, delivered");
    assert!(st.obs.witnesses(Property::RearmRechecksLevel));
}

#[test]
fn unified_oneshot_waits_for_an_explicit_rearm() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Oneshot);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s.keys[0].reg, Reg::Disarmed);
    let st = go(
        &m,
        &s,
        Action::Rearm {
            thread: T0,
            key: K0,
        },
    );
    assert_eq!(st.next.queue().len(), 1);
}

#[test]
fn unified_sync_cancel_of_an_unheld_registration_is_removed_and_terminal() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), RAISE0).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Sync));
    assert_eq!(st.shown.answer, Some(Answer::Removed));
    assert!(st.next.queue().is_empty());
    assert_eq!(st.next.keys[0].reg, Reg::Free);
    assert!(st.obs.witnesses(Property::ExactlyOneTerminal));
    assert_eq!(st.obs.violated, 0);
    let again = go(&m, &st.next, cancel(T1, K0, CancelMode::Sync));
    assert_eq!(again.shown.answer, Some(Answer::NotFound));
    assert_eq!(again.obs.violated, 0);
}

#[test]
fn unified_sync_cancel_while_another_thread_holds_is_pending_and_the_final_comes_at_release() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    let st = go(&m, &s, cancel(T1, K0, CancelMode::Sync));
    assert_eq!(st.shown.answer, Some(Answer::Pending));
    assert_eq!(st.next.keys[0].reg, Reg::CancelPending);
    assert!(st.obs.witnesses(Property::TeardownSafe));
    assert_eq!(st.obs.violated, 0);
    // The holder's next wait releases; the final event is then delivered.
    let w = go(&m, &st.next, poll(T0, 1));
    assert_eq!(batch(&w), vec![(K0, EventKind::Final(Outcome::Cancelled))]);
    assert_eq!(w.obs.violated, 0);
    assert_eq!(w.next.keys[0].reg, Reg::Free);
}

#[test]
fn unified_async_cancel_never_removes_a_queued_completion() {
    let m = model(UNIFIED, SourceKind::Operation, Mode::Single);
    let s = go(&m, &m.init(), Action::Complete { key: K0 }).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Async));
    assert_eq!(st.shown.answer, Some(Answer::Pending));
    assert_eq!(st.next.queue().len(), 1);
    let w = go(&m, &st.next, poll(T1, 1));
    assert_eq!(batch(&w), vec![(K0, EventKind::Final(Outcome::Done))]);
    assert_eq!(w.obs.violated, 0);
}

#[test]
fn unified_async_cancel_in_flight_races_with_the_completion_one_final_either_way() {
    let m = model(UNIFIED, SourceKind::Operation, Mode::Single);
    let st = go(&m, &m.init(), cancel(T0, K0, CancelMode::Async));
    assert_eq!(st.shown.answer, Some(Answer::Pending));
    let won = go(&m, &st.next, Action::PostFinal { key: K0 }).next;
    let lost = go(&m, &st.next, Action::Complete { key: K0 }).next;
    assert_eq!(won.queue()[0].kind(), EventKind::Final(Outcome::Cancelled));
    assert_eq!(lost.queue()[0].kind(), EventKind::Final(Outcome::Done));
    for s in [won, lost] {
        assert_eq!(s.queue().len(), 1);
        assert!(!enabled(&m, &s, Action::Complete { key: K0 }));
        assert!(!enabled(&m, &s, Action::PostFinal { key: K0 }));
    }
}

#[test]
fn unified_reap_returns_a_queued_completion_as_the_terminal_outcome() {
    let m = model(UNIFIED, SourceKind::Operation, Mode::Single);
    let s = go(&m, &m.init(), Action::Complete { key: K0 }).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Reap));
    assert_eq!(st.shown.answer, Some(Answer::RemovedWith(Outcome::Done)));
    assert!(st.next.queue().is_empty());
    assert_eq!(st.next.keys[0].reg, Reg::Free);
    assert_eq!(st.obs.violated, 0);
}

#[test]
fn unified_reap_does_not_take_a_final_that_items_are_still_queued_ahead_of() {
    let m = model(UNIFIED, SourceKind::Operation, Mode::Multishot);
    let s = go(&m, &m.init(), Action::StreamItem { key: K0 }).next;
    let s = go(&m, &s, Action::Complete { key: K0 }).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Reap));
    assert_eq!(st.shown.answer, Some(Answer::Pending));
    assert_eq!(st.next.queue().len(), 2);
}

#[test]
fn unified_batch_never_holds_the_same_key_twice() {
    let m = model(UNIFIED, SourceKind::Operation, Mode::Multishot);
    let s = go(&m, &m.init(), Action::StreamItem { key: K0 }).next;
    let s = go(&m, &s, Action::StreamItem { key: K0 }).next;
    let st = go(&m, &s, poll(T0, 2));
    assert_eq!(batch(&st), vec![(K0, EventKind::Item)]);
    assert!(!st.obs.violates(Property::BatchBounds));
}

#[test]
fn unified_queue_is_fifo_across_keys() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), Action::Raise { key: K1 }).next;
    let s = go(&m, &s, RAISE0).next;
    let st = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&st), vec![(K1, EventKind::Ready)]);
}

#[test]
fn unified_close_purges_and_the_next_cancel_delivers_the_terminal_outcome() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, Action::Close { key: K0 }).next;
    assert!(s.queue().is_empty());
    assert_eq!(s.keys[0].reg, Reg::Closed);
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Sync));
    assert_eq!(st.shown.answer, Some(Answer::Removed));
}

#[test]
fn unified_wakeup_of_an_already_queued_registration_coalesces() {
    let m = model(UNIFIED, SourceKind::Counter, Mode::Edge);
    let s = go(&m, &m.init(), RAISE0).next;
    let st = go(&m, &s, RAISE0);
    assert_eq!(st.next.queue().len(), 1);
    assert!(st.obs.witnesses(Property::Coalesced));
}

#[test]
fn unified_key_reuse_starts_a_new_generation() {
    let m = model(UNIFIED, SourceKind::Level, Mode::Dispatch);
    let s = go(&m, &m.init(), cancel(T0, K0, CancelMode::Sync)).next;
    assert!(enabled(
        &m,
        &s,
        Action::Register {
            thread: T1,
            key: K0
        }
    ));
    let s = go(
        &m,
        &s,
        Action::Register {
            thread: T1,
            key: K0,
        },
    )
    .next;
    assert_eq!(s.keys[0].gen, 1);
    assert_eq!(s.keys[0].reg, Reg::Armed);
}

#[test]
fn io_uring_multishot_poll_posts_a_cqe_per_wakeup() {
    let m = model(IO_URING, SourceKind::Level, Mode::Multishot);
    let s = go(&m, &m.init(), RAISE0).next;
    let st = go(&m, &s, RAISE0);
    assert_eq!(st.next.queue().len(), 2);
    assert!(m.state_obs(&st.next).violates(Property::Coalesced));
    let w = go(&m, &st.next, poll(T0, 2));
    assert!(w.obs.violates(Property::BatchBounds));
}

#[test]
fn io_uring_cancel_answers_zero_or_ealready_and_the_target_posts_its_final_cqe_in_either_order() {
    let m = model(IO_URING, SourceKind::Operation, Mode::Single);
    let outs = all(&m, &m.init(), cancel(T0, K0, CancelMode::Async));
    let answers: Vec<_> = outs.iter().map(|o| o.shown.answer.unwrap()).collect();
    assert_eq!(answers, vec![Answer::Cancelled, Answer::InProgress]);
    assert_eq!(IO_URING.answer_name(Answer::Cancelled), "0");
    assert_eq!(IO_URING.answer_name(Answer::InProgress), "-EALREADY");
    let s = outs[0].next;
    assert!(matches!(
        s.threads[0].phase,
        Phase::Cancelling(0, Answer::Cancelled)
    ));
    // Final CQE before the cancel CQE ...
    let a = go(&m, &s, Action::PostFinal { key: K0 }).next;
    assert!(enabled(&m, &a, Action::CancelReturn { thread: T0 }));
    // ... or after it.
    let b = go(&m, &s, Action::CancelReturn { thread: T0 }).next;
    assert!(enabled(&m, &b, Action::PostFinal { key: K0 }));
    // -EALREADY: the request may still complete with its own result.
    assert!(enabled(&m, &outs[1].next, Action::Complete { key: K0 }));
}

#[test]
fn io_uring_cancel_after_completion_is_enoent() {
    let m = model(IO_URING, SourceKind::Operation, Mode::Single);
    let s = go(&m, &m.init(), Action::Complete { key: K0 }).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Async));
    assert_eq!(st.shown.answer, Some(Answer::TooLate));
    assert_eq!(IO_URING.answer_name(Answer::TooLate), "-ENOENT");
    assert!(!st.obs.violates(Property::HonestCancel));
}

#[test]
fn linux_aio_cancel_is_einprogress_or_einval_even_when_not_too_late() {
    let m = model(LINUX_AIO, SourceKind::Operation, Mode::Single);
    let outs = all(&m, &m.init(), cancel(T0, K0, CancelMode::Async));
    let answers: Vec<_> = outs.iter().map(|o| o.shown.answer.unwrap()).collect();
    assert_eq!(answers, vec![Answer::InProgress, Answer::TooLate]);
    assert_eq!(LINUX_AIO.answer_name(Answer::TooLate), "-EINVAL");
    assert!(!outs[0].obs.violates(Property::HonestCancel));
    assert!(
        outs[1].obs.violates(Property::HonestCancel),
        "-EINVAL for an in-flight, uncancellable read"
    );
    // -EINPROGRESS: the kernel posts the completion.
    let f = go(&m, &outs[0].next, Action::PostFinal { key: K0 });
    assert_eq!(f.next.queue().len(), 1);
}

#[test]
fn linux_aio_poll_request_completes_once_when_ready() {
    let m = model(LINUX_AIO, SourceKind::Level, Mode::Oneshot);
    let s = go(&m, &m.init(), RAISE0).next;
    assert_eq!(s.keys[0].reg, Reg::Finishing);
    let s = go(&m, &s, RAISE0).next;
    assert_eq!(s.queue().len(), 1, "one io_event per iocb");
}

#[test]
fn iocp_cancelioex_is_true_and_one_packet_follows() {
    let m = model(IOCP, SourceKind::Operation, Mode::Single);
    let st = go(&m, &m.init(), cancel(T0, K0, CancelMode::Async));
    assert_eq!(IOCP.answer_name(st.shown.answer.unwrap()), "TRUE");
    let a = go(&m, &st.next, Action::PostFinal { key: K0 }).next;
    let w = go(&m, &a, poll(T1, 1));
    assert_eq!(batch(&w), vec![(K0, EventKind::Final(Outcome::Cancelled))]);
    assert!(!enabled(&m, &w.next, Action::Complete { key: K0 }));
}

#[test]
fn event_ports_dissociate_is_zero_before_retrieval_and_enoent_after() {
    let m = model(EVENT_PORTS, SourceKind::Level, Mode::Oneshot);
    let fired = go(&m, &m.init(), RAISE0).next;
    let before = go(&m, &fired, cancel(T0, K0, CancelMode::Sync));
    assert_eq!(before.shown.answer, Some(Answer::Removed));
    assert!(before.next.queue().is_empty());
    let got = go(&m, &fired, poll(T1, 1)).next;
    let after = go(&m, &got, cancel(T0, K0, CancelMode::Sync));
    assert_eq!(after.shown.answer, Some(Answer::NotFound));
    assert_eq!(EVENT_PORTS.answer_name(Answer::NotFound), "ENOENT");
    assert_eq!(after.obs.violated, 0);
}

#[test]
fn event_ports_reassociate_repolls() {
    let m = model(EVENT_PORTS, SourceKind::Level, Mode::Oneshot);
    let s = go(&m, &m.init(), RAISE0).next;
    let s = go(&m, &s, poll(T0, 1)).next;
    assert_eq!(s.keys[0].reg, Reg::Free, "retrieval dissociates");
    let st = go(
        &m,
        &s,
        Action::Register {
            thread: T0,
            key: K0,
        },
    );
    assert_eq!(st.next.queue().len(), 1);
}

#[test]
fn futex_wake_releases_at_most_n_and_at_least_min_n_waiting() {
    let m = model(UNIFIED, SourceKind::Futex, Mode::Single);
    let outs = all(&m, &m.init(), Action::FutexWake { n: 1 });
    assert_eq!(outs.len(), 2, "either waiter may be released");
    for o in &outs {
        assert_eq!(o.shown.released.count_ones(), 1);
        assert!(!o.obs.violates(Property::FutexWakeCount));
    }
    // Both released, in either order (the order of their final events).
    let both = all(&m, &m.init(), Action::FutexWake { n: 2 });
    assert_eq!(both.len(), 2);
    let firsts: Vec<u8> = both.iter().map(|o| o.next.queue()[0].key()).collect();
    assert_eq!(firsts, vec![K0, K1]);
    assert!(both.iter().all(|o| o.shown.released == 0b11));
}

#[test]
fn io_uring_futex_wait_cancel_wins_before_the_wake() {
    let m = model(IO_URING, SourceKind::Futex, Mode::Single);
    let st = go(&m, &m.init(), cancel(T0, K0, CancelMode::Async));
    assert_eq!(st.shown.answer, Some(Answer::Cancelled));
    let outs = all(&m, &st.next, Action::FutexWake { n: 1 });
    assert!(
        outs.iter().all(|o| o.shown.released == 0b10),
        "a cancelled waiter is not woken"
    );
}

#[test]
fn spec_mutant_without_purge_hands_an_old_event_to_the_reused_key() {
    let m = model(MUTANTS[0], SourceKind::Level, Mode::Dispatch);
    assert_eq!(MUTANTS[0].breaks, Some(Property::NoEventAfterCancel));
    let s = go(&m, &m.init(), RAISE0).next;
    let st = go(&m, &s, cancel(T0, K0, CancelMode::Sync));
    assert_eq!(st.shown.answer, Some(Answer::Removed));
    assert_eq!(st.next.queue().len(), 1, "not purged");
    let s = go(
        &m,
        &st.next,
        Action::Register {
            thread: T0,
            key: K0,
        },
    )
    .next;
    let w = go(&m, &s, poll(T0, 1));
    assert_eq!(batch(&w), vec![READY0]);
    assert_eq!(
        w.shown.batch[0].unwrap().gen(),
        0,
        "the old generation's event"
    );
    assert!(w.obs.violates(Property::NoEventAfterCancel));
}

#[test]
fn bounds_outside_the_representable_range_are_rejected() {
    for b in [
        Bound {
            threads: 0,
            ..Bound::default()
        },
        Bound {
            threads: 5,
            ..Bound::default()
        },
        Bound {
            keys: 9,
            ..Bound::default()
        },
        Bound {
            ops: 9,
            ..Bound::default()
        },
        Bound {
            batch: 0,
            ..Bound::default()
        },
    ] {
        assert!(b.validate().is_err(), "{b}");
    }
    let too_big = Bound {
        keys: 4,
        env: 6,
        ..Bound::default()
    };
    assert!(Model::new(
        UNIFIED,
        Scenario::new(SourceKind::Level, Mode::Level),
        too_big
    )
    .is_err());
}

#[test]
fn every_profile_and_mutant_is_found_by_name() {
    for r in PROFILES.iter().chain(MUTANTS.iter()) {
        assert_eq!(profile(r.name).map(|p| p.name), Some(r.name));
    }
    assert!(profile("epol").is_none());
}
