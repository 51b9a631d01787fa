//! # onering-model: the specification of a unified event queue
//!
//! This crate is the single statement of onering's semantics. Everything
//! else — the explorer, the history checker, the reference `Port`, the
//! generated docs — links here rather than restating it. It is a pure,
//! deterministic state machine: no I/O, no clocks, no threads, no `unsafe`.
//!
//! ## Vocabulary
//!
//! A **port** is the queue. **Threads** call thread operations on it; the
//! **environment** (devices, other processes, the clock) takes environment
//! steps; the **kernel** takes the few steps that follow from earlier requests
//! (an operation whose cancel won posts its final event).
//!
//! Each **key** is one registration bound to its own **source**. What a
//! source is ([`SourceKind`]): a `Level` condition (fd readable/writable), a
//! `Counter` (timerfd, eventfd, signalfd, inotify: increments coalesce), a
//! `Sticky` condition (process exit, hang-up), a `Futex` word waiter, or an
//! `Operation` (aio, io_uring, IOCP request). A registration's **mode**
//! ([`Mode`]) is `Level`, `Edge`, `Oneshot`, `Dispatch`, or for requests
//! `Single`/`Multishot`. Its life is a [`Reg`]: `Free`, `Armed`, `Disarmed`,
//! `CancelPending`, `Closed`, `InFlight`, `Finishing`.
//!
//! A thread **holds** an event from the moment its `wait` returns it until
//! that thread's next `wait`, `rearm` or `cancel` of that key. The
//! **terminal outcome** of a registration or submission is the last thing it
//! ever reports: a `Removed` answer from `cancel`, or its one final event.
//!
//! ## Steps ([`Action`])
//!
//! Thread operations (each uses one of the thread's `ops`): `wait(max,
//! block|poll)`, `register`/`submit` (on a `Free` key, a new generation),
//! `modify(key, mode)`, `rearm(key)`, `cancel(key, Sync|Async|Reap)`,
//! `consume(key)`. Two thread steps use none: a woken blocked waiter's
//! harvest, and an asynchronous cancel's answer arriving.
//!
//! Environment steps (each uses one of the key's `env` budget): `raise`,
//! `lower`, `complete`, `stream_item`, `close`; `futex_wake(n)` has a budget
//! of its own (the word is shared by every key); `timeout_expires` ends a
//! blocked wait and needs no budget.
//!
//! ## Delivery
//!
//! * A wake-up of an `Armed` registration queues a `Ready` event; a
//!   registration is queued at most once (unless the profile does not
//!   coalesce). A wake-up of an `InFlight` poll request posts its final event;
//!   of a multishot poll, an `Item`.
//! * `wait(max)` first releases the caller's holds, then takes up to `max`
//!   deliverable events in queue order (FIFO). A `Ready` event of a
//!   registration that is no longer `Armed`, or whose condition went away
//!   (profiles that re-poll at harvest, as epoll does), is dropped. A
//!   blocking wait with nothing deliverable parks; a newly deliverable event
//!   wakes one parked waiter (which one is nondeterministic), and a harvest
//!   that leaves deliverable events wakes the next.
//! * On delivery: `Oneshot` and `Dispatch` become `Disarmed`. `Level` is
//!   queued again — right after delivery in epoll and kqueue (so a second
//!   waiter gets the same fd), only when the holder releases it in `unified`.
//!   `Edge` reports the next wake-up — at once in epoll, after the release in
//!   `unified` (one pending edge is kept while held). `Dispatch` re-arms at
//!   its holder's next `wait` in `unified`. Every re-arm (`rearm`, `modify`,
//!   `register`, the implicit `Dispatch` re-arm) re-checks the condition and
//!   queues an event if it holds.
//! * In `unified` a registration is handed to **one thread at a time**: an
//!   event of a key held by another thread stays queued until the release.
//!
//! ## Cancellation ([`CancelMode`], [`Answer`])
//!
//! * `Sync` (readiness): in `unified`, purges the queued event and answers
//!   `Removed` when no other thread holds an event for the key (terminal now:
//!   nothing queued, in flight or held; free your state), or `Pending` when
//!   one does: exactly one final event flagged cancelled is queued when that
//!   thread releases it. `NotFound` once the terminal outcome was delivered.
//! * `Async` (operations): asks the operation to stop; never removes a queued
//!   completion; exactly one final event follows, flagged cancelled if the
//!   cancel won, the operation's own result if the completion won.
//! * `Reap` (operations): like `Async`, but a queued, undelivered final event
//!   is removed and returned: `Removed{completion}`.
//! * The real mechanisms answer in their own words ([`Rules::answer_name`]):
//!   epoll/kqueue `0`/`ENOENT`, event ports `0`/`ENOENT` (who won), aio
//!   `-EINPROGRESS`/`-EINVAL`, io_uring `0`/`-EALREADY`/`-ENOENT` (its answer
//!   arrives as a separate step, before or after the target's final CQE),
//!   IOCP `TRUE`/`ERROR_NOT_FOUND`. Each answer's *claim* is fixed on
//!   [`Answer`] and judged by `honest-cancel`.
//!
//! ## Profiles and properties
//!
//! A profile is a [`Rules`] value: [`PROFILES`] holds `unified` and the six
//! real mechanisms, [`MUTANTS`] holds `unified` with one rule broken, each with the property it
//! must break ([`Rules::breaks`]). The
//! twelve [`Property`] values have stable ids, statements, kinds and
//! `sometimes` witnesses; the model itself judges them on every transition
//! ([`Step::obs`]) and state ([`Model::state_obs`]), so an explorer only
//! collects [`Obs`] values.
//!
//! ## Citations
//!
//! "DESIGN §n" is a section (or, under a section, a numbered item) of
//! `docs/design.md`; "os §n" and "os-semantics §n" of
//! `docs/reference/os-semantics.md`, the cited facts about the real
//! mechanisms ("os finding n" is its n-th key finding). Both are in the
//! repository, and `tests/citations.rs` checks that every citation resolves.
//!
//! ## Using the model
//!
//! ```
//! use onering_model::{Bound, Model, Scenario, SourceKind, Mode, UNIFIED};
//! let m = Model::new(UNIFIED, Scenario::new(SourceKind::Level, Mode::Dispatch), Bound::default()).unwrap();
//! let mut steps = Vec::new();
//! m.successors(&m.init(), &mut steps);
//! assert!(!steps.is_empty());
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod action;
mod library;
pub mod mix;
mod precondition;
mod property;
mod record;
mod record_v2;
mod rule_text;
mod rules;
mod scenario;
mod state;
mod step;
pub mod symmetry;

pub use action::{Action, Answer, CancelMode, Shown};
pub use library::{library, library_names, LibraryRules, LIBRARIES};
pub use mix::{KeySpec, ScenarioError, Unexplored, MIX3_OPS, MIXES};
pub use precondition::{consume_fits, futex_wake_fits, wait_fits, Refusal};
pub use property::{Kind, Obs, Property};
pub use record::{Recorded, RecordedEvent, Rejection};
pub use rule_text::Judged;
pub use rules::{
    profile, profile_names, CloseRule, LevelRequeue, OpCancel, Order, ReadinessCancel, Rules,
    EPOLL, EVENT_PORTS, IOCP, IO_URING, KQUEUE, LINUX_AIO, MUTANTS, PROFILES, UNIFIED,
};
pub use scenario::{
    Bound, BoundError, Mode, Scenario, SourceKind, MAX_BATCH, MAX_ENV, MAX_KEYS, MAX_OPS,
    MAX_THREADS,
};
pub use state::{
    CancelReq, Entry, EventKind, KeyState, Outcome, Phase, Reg, State, ThreadState, MAX_QUEUE,
    PACKED_WORDS,
};
pub use step::{Model, Step};

/// The version of the transition relation. A replay token (an index path
/// through [`Model::successors`]) means something only under the model that
/// made it, so tokens carry this number and a token of another version is
/// refused. Bump it with every change to the rules, to the state or to the
/// order in which [`Model::successors`] lists steps (the generated
/// `docs/semantics.md` then changes too, which CI notices).
pub const MODEL_VERSION: u32 = 2;
