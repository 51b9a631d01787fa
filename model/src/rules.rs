//! Profiles: each is a set of rule choices, not just a name (DESIGN §3.4).
//! The presets follow the real mechanisms as described, with sources, in
//! `docs/reference/os-semantics.md` (cited below as "os §n"). Spec mutants
//! are the `unified` rules with one rule broken; they exist so that every
//! property is shown to fail somewhere.

use crate::action::{Answer, CancelMode};
use crate::property::Property;
use crate::scenario::{Mode, Scenario, SourceKind};
use crate::state::Outcome;

/// When a `Level` registration's still-true condition is queued again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LevelRequeue {
    /// Right after delivery, at the tail, so the next waiter gets it too
    /// (epoll `ep_send_events` `list_add_tail`, os §2.2; kqueue
    /// `TAILQ_INSERT_TAIL`, os §5.2).
    AfterDelivery,
    /// When the holding thread releases the event (unified).
    AfterRelease,
}

/// How a readiness registration is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadinessCancel {
    /// `EPOLL_CTL_DEL` / `EV_DELETE`: purge the queue, answer 0 whatever other
    /// threads hold (os §2.6, §5.4).
    Purge,
    /// Unified: `Removed` when nobody else holds the event, else `Pending`
    /// and one final event flagged cancelled at the holder's release.
    Unified,
    /// `port_dissociate`: 0 when the event was not yet retrieved (purged),
    /// `ENOENT` when it was (os §6.3).
    Dissociate,
    /// The readiness registration is a poll *request*; its cancel is the
    /// profile's operation cancel (io_uring `POLL_REMOVE`, aio `io_cancel`
    /// of `IOCB_CMD_POLL`, IOCP `CancelIoEx` of an AFD poll).
    AsOperation,
}

/// How an operation is cancelled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum OpCancel {
    /// Unified `Async`/`Reap` (DESIGN §3.2).
    Unified,
    /// `io_cancel`: `-EINPROGRESS` for a cancellable request (the kernel
    /// posts its completion), `-EINVAL` for one that is not cancellable *or*
    /// already completed (os §3.2).
    LinuxAio,
    /// `IORING_OP_ASYNC_CANCEL`: `0` (cancelled), `-EALREADY` (running, may
    /// still complete), `-ENOENT` (not found); the target always posts its
    /// own final CQE, in either order with the cancel's CQE (os §4.1, §4.4).
    IoUring,
    /// `CancelIoEx`: TRUE while pending (one packet follows, aborted or not),
    /// `ERROR_NOT_FOUND` when too late (os §7).
    Iocp,
}

/// What closing a source's descriptor does to its registrations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CloseRule {
    /// The registration is removed silently (kqueue: "Calling close() on a
    /// file descriptor will remove any kevents", os §5.1; event ports).
    Removes,
    /// Unified: queued readiness events are purged, no more come, and the
    /// next cancel delivers the terminal outcome.
    RemovesKeepsTerminal,
    /// The registration lives on while the open file description does (epoll
    /// with a `dup`, os §2.7) or the request holds its own file reference
    /// (io_uring, aio).
    Survives,
}

/// Order in which a wait takes queued events.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// Front first (every real ready list and completion queue).
    Fifo,
    /// Back first (a spec mutant).
    Lifo,
}

/// One profile's rule choices.
#[derive(Clone, Copy, Debug)]
pub struct Rules {
    /// The profile name used on the command line.
    pub name: &'static str,
    /// One-line description.
    pub summary: &'static str,
    /// Unified rule: a registration is handed to one thread at a time; the
    /// holder releases it at its next wait, rearm or cancel of the key.
    pub exclusive_hold: bool,
    /// When a still-true Level registration is queued again.
    pub level_requeue: LevelRequeue,
    /// A `Dispatch` registration re-arms when its holder calls wait again.
    pub dispatch_rearm_on_wait: bool,
    /// Re-arming checks the current condition and queues if it holds
    /// (os finding 2).
    pub rearm_rechecks: bool,
    /// A queued readiness event whose condition no longer holds is dropped
    /// at harvest (epoll re-polls, os §2.1).
    pub repoll_at_harvest: bool,
    /// A readiness wake-up is queued even if the registration is already
    /// queued (io_uring multishot poll: a CQE per wake-up).
    pub coalesce: bool,
    /// Readiness cancel rule.
    pub readiness_cancel: ReadinessCancel,
    /// Operation cancel rule.
    pub op_cancel: OpCancel,
    /// Close rule.
    pub close: CloseRule,
    /// Queue order.
    pub order: Order,
    /// A newly queued deliverable event wakes one blocked waiter, and a
    /// harvest that leaves deliverable events wakes the next (epoll
    /// `ep_poll_callback`, `ep_done_scan`, os §2.2).
    pub wake_on_queue: bool,
    /// A waiter chosen by a wake-up whose timeout expires still harvests
    /// (epoll61, os §2.2).
    pub timeout_keeps_wakeup: bool,
    /// `futex_wake(n)` releases at most n.
    pub futex_wake_exact: bool,
    /// A wake-up of an in-flight request (a raise of a poll request, a
    /// `futex_wake`, an operation's completion) may decide its completion
    /// without posting it: the kernel posts it later, by task work
    /// (io_uring; finding F3, `CancelReq::Woken`). Both outcomes are steps:
    /// posted at once (the task work ran on the return from the waking
    /// call: default and `COOP_TASKRUN` set-ups, same thread) or later (a
    /// kernel step, at any point before a blocking wait gives up). While
    /// it is pending, a cancel may still find the request, further
    /// wake-ups of a multishot poll merge into its one item (F6), and
    /// completions posted inline overtake it.
    pub deferred_completion: bool,
    /// The finals of the waiters one `futex_wake` releases may be posted
    /// one at a time: each released waiter's final is queued by the wake
    /// or left to a kernel step of its own ([`crate::Action::PostFinal`],
    /// `CancelReq::Woken`), taken at any point before a blocking wait gives
    /// up, so a wait in between harvests a part of the wake. Only futex
    /// waits read it (narrower than `deferred_completion`, which implies
    /// it); every other completion and every readiness event is queued by
    /// the step that decides it.
    ///
    /// Why `unified` allows it (finding F15, `conformance/FINDINGS.md`):
    /// the Port on Linux arms a futex wait as an io_uring `FUTEX_WAIT`, and
    /// no kernel path posts several waiters' completions at once.
    /// `futex_wake` (`kernel/futex/waitwake.c`) walks the hash bucket and
    /// calls each waiter's `wake` in turn; io_uring's
    /// (`io_futex_wake_fn`, `io_uring/futex.c`) unqueues the request, sets
    /// its result and queues task work (`io_req_task_work_add`), which
    /// `io_req_normal_work_add` (`io_uring/io_uring.c`) adds to the
    /// *submitting* task's list, notifying that task only when the list
    /// was empty. That task posts the CQEs of whatever its list holds when
    /// it runs (`tctx_task_work`), possibly on another CPU while the wake
    /// is still walking the bucket, and waits submitted by different
    /// threads are on different lists. A plain `futex(2)` waiter is no
    /// different: woken threads return at their own times. The released
    /// set and its count are still decided by the wake at once
    /// (`futex-wake-count` is judged there), and a final is posted at most
    /// once, never before its wake.
    ///
    /// A cancel of a wait released but not yet posted answers as the
    /// wait is still in flight: `Pending` (`Async` and `Reap`: nothing is
    /// posted to reap), and the one final that follows is the wait's own
    /// (`Done`, not flagged cancelled). That is what the Port on Linux
    /// answers there: its `ASYNC_CANCEL` finds the wait already unqueued
    /// (`__io_futex_cancel`: `futex_unqueue` fails, `-ENOENT`), which the
    /// Port does not surface, and the CQE that follows carries result `0`,
    /// the wake (`impl/src/backend/linux/mod.rs`, `Body::Futex`).
    ///
    /// The same holds for a cancelled wait (finding F17): an `Async` or
    /// `Reap` cancel of a futex wait in flight answers `Pending` and may
    /// take the wait out of the futex queue at once (`CancelReq::Won`: no
    /// later `futex_wake` can release or count it), its final flagged
    /// cancelled left to a kernel step of its own, so a wait in between
    /// harvests a part of several cancels' finals. io_uring's cancel of a
    /// `FUTEX_WAIT` (`__io_futex_cancel`, `io_uring/futex.c`, reached from
    /// `io_futex_cancel` when the cancel request is issued) unqueues it
    /// (`futex_unqueue`), sets `-ECANCELED` and queues task work
    /// (`io_req_task_work_add`), which posts the CQE later, as above. The
    /// cancel may also leave the wait in the queue, undecided (`Racing`:
    /// a wake may still release it, and its final is then its own), which
    /// is what the simulated Port does.
    pub deferred_futex_finals: bool,
    /// Spec mutant: readiness cancel does not purge the queue.
    pub mutant_no_purge: bool,
    /// Spec mutant: Sync cancel answers `Removed` even while another thread
    /// holds the event.
    pub mutant_removed_while_held: bool,
    /// Spec mutant: a Dispatch registration re-queues while held.
    pub mutant_dispatch_requeue: bool,
    /// Spec mutant: a cancel after the completion was queued answers
    /// `Removed` and leaves the completion queued.
    pub mutant_lying_cancel: bool,
    /// Spec mutant: an operation whose cancel won posts a second final.
    pub mutant_double_final: bool,
    /// Spec mutant: an operation whose cancel won never posts its final.
    pub mutant_lost_final: bool,
    /// Scenarios the profile supports (what is explored for it).
    pub scenarios: &'static [Scenario],
    /// Readiness modes `modify` may switch between.
    pub modify_modes: &'static [Mode],
    /// Whether `rearm` exists for disarmed registrations.
    pub has_rearm: bool,
    /// Cancel modes offered for operations.
    pub op_cancel_modes: &'static [CancelMode],
    /// Properties the profile promises.
    pub promises: &'static [Property],
    /// `Some(p)` for a spec mutant ([`MUTANTS`]): the property its broken
    /// rule must break, which the explorer must show violated. `None` for a
    /// profile.
    pub breaks: Option<Property>,
}

use Mode as M;
use SourceKind as S;

const ALL_PROPERTIES: &[Property] = &Property::ALL;

const UNIFIED_SCENARIOS: &[Scenario] = &[
    Scenario::new(S::Level, M::Dispatch),
    Scenario::new(S::Level, M::Level),
    Scenario::new(S::Level, M::Edge),
    Scenario::new(S::Level, M::Oneshot),
    Scenario::new(S::Counter, M::Edge),
    Scenario::new(S::Sticky, M::Dispatch),
    Scenario::new(S::Futex, M::Single),
    Scenario::new(S::Operation, M::Single),
    Scenario::new(S::Operation, M::Multishot),
];

/// The unified profile: every guarantee at once.
pub const UNIFIED: Rules = Rules {
    name: "unified",
    summary: "one thread per registration at a time, Removed/Pending/NotFound cancel, Async and Reap for operations",
    exclusive_hold: true,
    level_requeue: LevelRequeue::AfterRelease,
    dispatch_rearm_on_wait: true,
    rearm_rechecks: true,
    repoll_at_harvest: true,
    coalesce: true,
    readiness_cancel: ReadinessCancel::Unified,
    op_cancel: OpCancel::Unified,
    close: CloseRule::RemovesKeepsTerminal,
    order: Order::Fifo,
    wake_on_queue: true,
    timeout_keeps_wakeup: true,
    futex_wake_exact: true,
    deferred_completion: false,
    deferred_futex_finals: true,
    mutant_no_purge: false,
    mutant_removed_while_held: false,
    mutant_dispatch_requeue: false,
    mutant_lying_cancel: false,
    mutant_double_final: false,
    mutant_lost_final: false,
    scenarios: UNIFIED_SCENARIOS,
    modify_modes: &[M::Level, M::Dispatch],
    has_rearm: true,
    op_cancel_modes: &[CancelMode::Async, CancelMode::Reap],
    promises: ALL_PROPERTIES,
    breaks: None,
};

/// Linux epoll (os §2).
pub const EPOLL: Rules = Rules {
    name: "epoll",
    summary: "level-triggered items re-queued after delivery; EPOLL_CTL_DEL purges but cannot tell about events already copied out; the registration outlives close() of a dup'ed fd",
    exclusive_hold: false,
    level_requeue: LevelRequeue::AfterDelivery,
    dispatch_rearm_on_wait: false,
    readiness_cancel: ReadinessCancel::Purge,
    close: CloseRule::Survives,
    scenarios: &[
        Scenario::new(S::Level, M::Level),
        Scenario::new(S::Level, M::Edge),
        Scenario::new(S::Level, M::Oneshot),
        Scenario::new(S::Counter, M::Edge),
        Scenario::new(S::Sticky, M::Level),
    ],
    modify_modes: &[M::Level, M::Oneshot],
    op_cancel_modes: &[],
    promises: &[
        Property::NoEventAfterCancel,
        Property::ExactlyOneTerminal,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::NoStarvation,
    ],
    ..UNIFIED
};

/// FreeBSD kqueue (os §5). `EV_ONESHOT` (delete on delivery) is not
/// modelled; `EV_DISPATCH` + `EV_ENABLE` is the thread-pool pattern.
pub const KQUEUE: Rules = Rules {
    name: "kqueue",
    summary: "level knotes re-queued at the tail; EV_DISPATCH disarms, EV_ENABLE re-checks; EV_DELETE purges but cannot tell; close removes",
    close: CloseRule::Removes,
    scenarios: &[
        Scenario::new(S::Level, M::Level),
        Scenario::new(S::Level, M::Edge),
        Scenario::new(S::Level, M::Dispatch),
        Scenario::new(S::Counter, M::Edge),
        Scenario::new(S::Sticky, M::Level),
    ],
    modify_modes: &[M::Level, M::Dispatch],
    promises: &[
        Property::NoEventAfterCancel,
        Property::ExactlyOneTerminal,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::CloseRemoves,
        Property::NoStarvation,
    ],
    ..EPOLL
};

/// Linux native AIO (os §3): `IOCB_CMD_POLL` is a one-shot request; cancel is
/// `-EINPROGRESS` or `-EINVAL`.
pub const LINUX_AIO: Rules = Rules {
    name: "linux-aio",
    summary: "one io_event per iocb; io_cancel answers -EINPROGRESS (completion follows) or -EINVAL (too late, or not cancellable at all); IOCB_CMD_POLL is a one-shot request",
    exclusive_hold: false,
    level_requeue: LevelRequeue::AfterDelivery,
    dispatch_rearm_on_wait: false,
    repoll_at_harvest: false,
    readiness_cancel: ReadinessCancel::AsOperation,
    op_cancel: OpCancel::LinuxAio,
    close: CloseRule::Survives,
    scenarios: &[
        Scenario::new(S::Operation, M::Single),
        Scenario::new(S::Level, M::Oneshot),
    ],
    modify_modes: &[],
    has_rearm: false,
    op_cancel_modes: &[CancelMode::Async],
    promises: &[
        Property::ExactlyOneTerminal,
        Property::TeardownSafe,
        Property::NoDuplicateDelivery,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::NoStarvation,
    ],
    ..UNIFIED
};

/// io_uring (os §4): poll requests single-shot or multishot (a CQE per
/// wake-up), asynchronous cancel with `0`/`-ENOENT`/`-EALREADY`, the target
/// always posts its own final CQE.
///
/// **Set-up dependent, so nondeterministic here** (`deferred_completion`,
/// os §4.11, findings F3 and F6): a completion decided by a wake-up is
/// posted by task work of the ring's task. Under the default set-up and
/// `COOP_TASKRUN` a wake-up from the submitting thread runs it on the
/// return from the waking call (posted at once); under
/// `DEFER_TASKRUN` it waits for the next `io_uring_enter(GETEVENTS)`,
/// under `SQPOLL` for the SQ thread, and a wake-up from another thread
/// waits for the submitter in every set-up. The profile allows both, so
/// one profile serves every set-up: while the post is pending a cancel
/// may answer `0` (the final becomes `-ECANCELED`), `-EALREADY` (the
/// request's own result follows) or `-ENOENT` (the result is decided and
/// on its way: `TooLate`'s claim); more wake-ups of a multishot poll merge
/// into one `F_MORE` CQE (`io_poll_get_ownership`: only the first
/// wake-up queues task work, the others bump `poll_refs`), and a CQE
/// posted inline (a poll armed on a ready fd) overtakes it. A CQE already
/// in the CQ is never merged with: `coalesce` stays false. A futex wait
/// released by `futex_wake` can no longer be cancelled (`-ENOENT`: the
/// wake's unqueue won, os §4.7). Not modelled: a multishot operation's
/// items (accept, read) are posted at once.
pub const IO_URING: Rules = Rules {
    name: "io_uring",
    summary: "one final CQE per request (multishot: F_MORE CQEs first, one per wake-up, wake-ups merged while the CQE's task work is pending); completions decided by a wake-up may be posted later by task work (DEFER_TASKRUN, SQPOLL, other threads); ASYNC_CANCEL answers 0/-EALREADY/-ENOENT and the target posts its own final CQE in either order; requests hold their own file reference",
    coalesce: false,
    deferred_completion: true,
    op_cancel: OpCancel::IoUring,
    scenarios: &[
        Scenario::new(S::Level, M::Oneshot),
        Scenario::new(S::Level, M::Multishot),
        Scenario::new(S::Operation, M::Single),
        Scenario::new(S::Operation, M::Multishot),
        Scenario::new(S::Futex, M::Single),
    ],
    // Not teardown-safe: with several reaping threads, one can hold a
    // multishot CQE while another reaps the final CQE.
    promises: &[
        Property::ExactlyOneTerminal,
        Property::HonestCancel,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::FutexWakeCount,
        Property::NoStarvation,
    ],
    ..LINUX_AIO
};

/// illumos event ports (os §6): always one-shot; `port_dissociate` tells the
/// canceller whether the event was already retrieved.
pub const EVENT_PORTS: Rules = Rules {
    name: "event-ports",
    summary: "PORT_SOURCE_FD associations are one-shot (retrieval dissociates); port_dissociate answers 0 (removed before retrieval) or ENOENT (already retrieved); re-associate re-polls",
    readiness_cancel: ReadinessCancel::Dissociate,
    op_cancel: OpCancel::Iocp,
    close: CloseRule::Removes,
    scenarios: &[
        Scenario::new(S::Level, M::Oneshot),
        Scenario::new(S::Operation, M::Single),
    ],
    promises: &[
        Property::NoEventAfterCancel,
        Property::ExactlyOneTerminal,
        Property::TeardownSafe,
        Property::NoDuplicateDelivery,
        Property::HonestCancel,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::CloseRemoves,
        Property::NoStarvation,
    ],
    ..LINUX_AIO
};

/// Windows I/O completion ports (os §7): one packet per pending operation;
/// `CancelIoEx` is a request; AFD polls are operations.
pub const IOCP: Rules = Rules {
    name: "iocp",
    summary: "one packet per pending operation, cancelled or not; CancelIoEx is asynchronous (ERROR_NOT_FOUND when too late); AFD poll is a one-shot operation",
    op_cancel: OpCancel::Iocp,
    close: CloseRule::Survives,
    scenarios: &[
        Scenario::new(S::Operation, M::Single),
        Scenario::new(S::Level, M::Oneshot),
    ],
    promises: &[
        Property::ExactlyOneTerminal,
        Property::TeardownSafe,
        Property::NoDuplicateDelivery,
        Property::HonestCancel,
        Property::NoLostWakeup,
        Property::RearmRechecksLevel,
        Property::Coalesced,
        Property::BatchBounds,
        Property::NoStarvation,
    ],
    ..LINUX_AIO
};

/// The seven profiles of DESIGN §3.4, in report order.
pub const PROFILES: [Rules; 7] = [
    UNIFIED,
    EPOLL,
    LINUX_AIO,
    IO_URING,
    KQUEUE,
    EVENT_PORTS,
    IOCP,
];

/// A spec mutant, as data: its name and summary, the property it must
/// break, and the one rule it changes from `unified`.
macro_rules! mutant {
    ($name:literal, $summary:literal, breaks: $p:ident, $($field:ident : $value:expr),*) => {
        Rules {
            name: $name,
            summary: $summary,
            breaks: Some(Property::$p),
            $($field: $value,)*
            ..UNIFIED
        }
    };
}

/// Spec mutants: `unified` with one rule broken, each with the property
/// ([`Rules::breaks`]) that must catch it.
///
/// This is the model's catalogue: broken *rules*, which the explorer must
/// catch. The reference Port (crate `onering`) has its own, `onering::Mutant`:
/// bugs of an *implementation*, which the history checker and the loom and
/// shuttle proofs must catch. Every Port mutant is named after the model
/// mutant that breaks the same rule (`onering::Mutant::spec_name`); the ones
/// here without a Port twin are rules the Port has no switch for.
pub const MUTANTS: [Rules; 12] = [
    mutant!("unified~no-purge", "cancel does not purge the queued event",
        breaks: NoEventAfterCancel, mutant_no_purge: true),
    mutant!("unified~rearm-no-recheck", "re-arm does not re-check the level",
        breaks: RearmRechecksLevel, rearm_rechecks: false),
    mutant!("unified~dispatch-requeue", "Dispatch re-queues while held",
        breaks: NoDuplicateDelivery, mutant_dispatch_requeue: true),
    mutant!("unified~missing-wakeup", "queueing an event wakes no blocked waiter",
        breaks: NoLostWakeup, wake_on_queue: false),
    mutant!("unified~lying-cancel", "cancel answers Removed after the completion was queued and leaves it queued",
        breaks: HonestCancel, mutant_lying_cancel: true),
    mutant!("unified~double-final", "an operation whose cancel won posts a second final event",
        breaks: ExactlyOneTerminal, mutant_double_final: true),
    mutant!("unified~removed-while-held", "Sync cancel answers Removed while another thread holds the event",
        breaks: TeardownSafe, mutant_removed_while_held: true),
    mutant!("unified~lifo", "waits take the newest event first",
        breaks: NoStarvation, order: Order::Lifo),
    mutant!("unified~wake-all", "futex_wake(n) releases every waiter",
        breaks: FutexWakeCount, futex_wake_exact: false),
    mutant!("unified~lost-final", "an operation whose cancel won never posts its final event",
        breaks: ExactlyOneTerminal, mutant_lost_final: true),
    mutant!("unified~close-survives", "close leaves the registration armed",
        breaks: CloseRemoves, close: CloseRule::Survives),
    mutant!("unified~no-coalesce", "a wake-up queues again while already queued",
        breaks: Coalesced, coalesce: false),
];

/// Looks a profile or spec mutant up by name.
pub fn profile(name: &str) -> Option<Rules> {
    PROFILES
        .iter()
        .chain(MUTANTS.iter())
        .find(|r| r.name == name)
        .copied()
}

/// The names of all profiles, for error messages.
pub fn profile_names() -> Vec<&'static str> {
    PROFILES.iter().map(|r| r.name).collect()
}

impl Rules {
    /// Whether these are a spec mutant's rules (see [`Rules::breaks`]).
    pub fn is_spec_mutant(&self) -> bool {
        self.breaks.is_some()
    }

    /// Whether the finals a `futex_wake` decides may be left to later
    /// kernel steps: [`Rules::deferred_futex_finals`], or every decided
    /// completion under [`Rules::deferred_completion`].
    pub fn defers_futex_finals(&self) -> bool {
        self.deferred_completion || self.deferred_futex_finals
    }

    /// Whether the profile promises `p`.
    pub fn promises(&self, p: Property) -> bool {
        self.promises.contains(&p)
    }

    /// Whether a registration whose descriptor was closed (a `dup` keeping
    /// the file open, [`CloseRule::Survives`]) can no longer be named by
    /// the calls that change it: epoll keys a registration by the file
    /// *and* the fd number, and `epoll_ctl()` resolves the number first
    /// (`fdget(fd)` → `-EBADF` in `do_epoll_ctl`, `fs/eventpoll.c`;
    /// os §2.7: "there is no way to name the stale entry any more"). So
    /// `EPOLL_CTL_DEL` and `EPOLL_CTL_MOD` of it are refused and the
    /// registration keeps reporting while the dup lives (finding F1,
    /// `conformance/FINDINGS.md`). io_uring, aio and IOCP requests hold
    /// their own file reference and are cancelled by request, not by fd.
    pub fn closed_fd_unnamed(&self) -> bool {
        self.close == CloseRule::Survives && self.readiness_cancel == ReadinessCancel::Purge
    }

    /// Whether a readiness registration in `mode` is a poll request whose
    /// single delivery is its final event (aio, io_uring single-shot poll,
    /// IOCP AFD poll, event-port associations).
    pub fn poll_request(&self, mode: Mode) -> bool {
        mode == Mode::Oneshot
            && self.readiness_cancel != ReadinessCancel::Purge
            && self.readiness_cancel != ReadinessCancel::Unified
    }

    /// The mechanism's own name for a model answer.
    pub fn answer_name(&self, a: Answer) -> &'static str {
        match (self.op_cancel, self.readiness_cancel, a) {
            (_, ReadinessCancel::Purge, Answer::Removed) => "0",
            (_, ReadinessCancel::Purge, Answer::NotFound) => "ENOENT",
            (_, ReadinessCancel::Dissociate, Answer::Removed) => "0",
            (_, ReadinessCancel::Dissociate, Answer::NotFound) => "ENOENT",
            (OpCancel::IoUring, _, Answer::Cancelled) => "0",
            (OpCancel::IoUring, _, Answer::InProgress) => "-EALREADY",
            (OpCancel::IoUring, _, Answer::TooLate) => "-ENOENT",
            (OpCancel::LinuxAio, _, Answer::InProgress) => "-EINPROGRESS",
            (OpCancel::LinuxAio, _, Answer::TooLate) => "-EINVAL",
            (OpCancel::Iocp, _, Answer::InProgress) => "TRUE",
            (OpCancel::Iocp, _, Answer::TooLate) => "ERROR_NOT_FOUND",
            _ => a.name(),
        }
    }

    /// Name of an outcome as this mechanism reports it.
    pub fn outcome_name(&self, o: Outcome) -> &'static str {
        match (self.op_cancel, o) {
            (_, Outcome::Done) => "done",
            (OpCancel::IoUring, Outcome::Cancelled) => "-ECANCELED",
            (OpCancel::Iocp, Outcome::Cancelled) => "ERROR_OPERATION_ABORTED",
            (OpCancel::LinuxAio, Outcome::Cancelled) => "cancelled",
            (_, Outcome::Cancelled) => "cancelled",
        }
    }
}
