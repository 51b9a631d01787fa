//! Steps (thread operations, environment steps, kernel steps) and what a
//! step shows: the batch a `wait` returned, the answer a `cancel` gave, the
//! threads a step woke.

use crate::scenario::Mode;
use crate::state::{Entry, EventKind, Outcome};
use std::fmt;

/// How a cancel asks (DESIGN §3.2).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum CancelMode {
    /// Readiness: remove the registration and purge its queued event.
    Sync,
    /// Operations: ask the operation to stop; never removes a queued
    /// completion; exactly one final completion still follows.
    Async,
    /// Operations: like `Async`, but a queued, undelivered completion is
    /// removed and returned as the terminal outcome.
    Reap,
}

impl CancelMode {
    /// Lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Sync => "sync",
            Self::Async => "async",
            Self::Reap => "reap",
        }
    }
}

/// A cancel's answer, in the model's vocabulary. Profiles name them after
/// their mechanism (`0`, `-ENOENT`, `-EINPROGRESS`, ...: see
/// [`crate::Rules::answer_name`]). What each answer *claims* is fixed here
/// and judged by `honest-cancel`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Answer {
    /// Terminal now: nothing queued, in flight or held anywhere; the caller
    /// may free its state. Claims: no final event will follow and no other
    /// thread holds an event for the key.
    Removed,
    /// `Removed { completion: Some(..) }`: the queued, undelivered final
    /// event was taken out of the queue and is returned here. Claims: a final
    /// event was queued and nobody else holds one.
    RemovedWith(Outcome),
    /// Exactly one final event will follow. Claims: the terminal outcome has
    /// not been delivered yet.
    Pending,
    /// The terminal outcome was already delivered (or there never was a
    /// registration). Claims: nothing for the key is queued or in flight.
    NotFound,
    /// The cancel won: the final event will be flagged cancelled. Claims: no
    /// completion had been queued (io_uring `0`).
    Cancelled,
    /// Cancellation started; one final event follows, which may still be the
    /// operation's own result. Claims: the operation had not completed
    /// (aio `-EINPROGRESS`, io_uring `-EALREADY`, IOCP `CancelIoEx` TRUE).
    InProgress,
    /// Too late. Claims: the final event was already queued or delivered
    /// (aio `-EINVAL`, io_uring `-ENOENT`, IOCP `ERROR_NOT_FOUND`).
    TooLate,
}

impl Answer {
    /// Whether the answer is itself the terminal outcome.
    pub fn is_terminal(self) -> bool {
        matches!(self, Answer::Removed | Answer::RemovedWith(_))
    }

    /// Whether the answer promises a final event.
    pub fn promises_final(self) -> bool {
        matches!(
            self,
            Answer::Pending | Answer::Cancelled | Answer::InProgress
        )
    }

    /// A small code, distinct per answer (for state encodings).
    pub fn code(self) -> u8 {
        match self {
            Self::Removed => 1,
            Self::RemovedWith(Outcome::Done) => 2,
            Self::RemovedWith(Outcome::Cancelled) => 3,
            Self::Pending => 4,
            Self::NotFound => 5,
            Self::Cancelled => 6,
            Self::InProgress => 7,
            Self::TooLate => 8,
        }
    }

    /// The answer with this [`Answer::code`].
    pub fn from_code(c: u8) -> Option<Answer> {
        Some(match c {
            1 => Self::Removed,
            2 => Self::RemovedWith(Outcome::Done),
            3 => Self::RemovedWith(Outcome::Cancelled),
            4 => Self::Pending,
            5 => Self::NotFound,
            6 => Self::Cancelled,
            7 => Self::InProgress,
            8 => Self::TooLate,
            _ => return None,
        })
    }

    /// Model name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Removed => "Removed",
            Self::RemovedWith(Outcome::Done) => "Removed{completion:done}",
            Self::RemovedWith(Outcome::Cancelled) => "Removed{completion:cancelled}",
            Self::Pending => "Pending",
            Self::NotFound => "NotFound",
            Self::Cancelled => "Cancelled",
            Self::InProgress => "InProgress",
            Self::TooLate => "TooLate",
        }
    }
}

/// One step. Thread steps name the thread; environment and kernel steps do
/// not belong to any thread. Fields: `thread` and `key` are indices into the
/// state; `max` is the wait's batch size; `n` the futex wake count.
#[allow(missing_docs)]
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// Thread: `wait(max, block|poll)`. Releases the thread's holds, then
    /// takes up to `max` deliverable events; a blocking wait with nothing
    /// deliverable parks the thread.
    Wait { thread: u8, max: u8, block: bool },
    /// Thread (no operation consumed): a woken blocked waiter harvests; with
    /// nothing left it parks again.
    Harvest { thread: u8 },
    /// Thread: `register` (readiness, futex) or `submit` (operation) on a
    /// free key, with the scenario's mode; a new generation.
    Register { thread: u8, key: u8 },
    /// Thread: `modify(key, mode)`: change the mode and re-arm.
    Modify { thread: u8, key: u8, mode: Mode },
    /// Thread: `rearm(key)`: release the caller's hold, re-arm if disarmed.
    Rearm { thread: u8, key: u8 },
    /// Thread: `cancel(key, mode)`.
    Cancel {
        thread: u8,
        key: u8,
        mode: CancelMode,
    },
    /// Thread: `consume(source)`: read the data / counter; clears the
    /// condition.
    Consume { thread: u8, key: u8 },
    /// Thread (no operation consumed): an asynchronous cancel's answer
    /// reaches the thread.
    CancelReturn { thread: u8 },
    /// Environment: the source wakes up (level raised, counter incremented,
    /// sticky raised).
    Raise { key: u8 },
    /// Environment: a level condition drops (another reader drained it).
    Lower { key: u8 },
    /// Environment: an in-flight operation completes with its own result.
    Complete { key: u8 },
    /// Environment: a multishot operation produces an item.
    StreamItem { key: u8 },
    /// Environment: the program closes the source's descriptor.
    Close { key: u8 },
    /// Environment: `futex_wake(word, n)`.
    FutexWake { n: u8 },
    /// Environment: a blocked wait's timeout expires.
    Timeout { thread: u8 },
    /// Kernel: an operation whose cancel won posts its final event flagged
    /// cancelled; under `deferred_completion` (io_uring, F3) also: the task
    /// work of a completion a wake-up decided posts it (the final, or a
    /// multishot poll's item); under `deferred_futex_finals` (unified, F15)
    /// the final of one futex wait a `futex_wake` released.
    PostFinal { key: u8 },
}

impl Action {
    /// The thread that takes the step, if it is a thread step.
    pub fn thread(&self) -> Option<u8> {
        match *self {
            Action::Wait { thread, .. }
            | Action::Harvest { thread }
            | Action::Register { thread, .. }
            | Action::Modify { thread, .. }
            | Action::Rearm { thread, .. }
            | Action::Cancel { thread, .. }
            | Action::Consume { thread, .. }
            | Action::CancelReturn { thread } => Some(thread),
            _ => None,
        }
    }

    /// Whether this is an environment or kernel step.
    pub fn is_environment(&self) -> bool {
        self.thread().is_none()
    }

    /// The one key an environment or kernel step acts on (`None` for thread
    /// steps and for `futex_wake`, which acts on every waiter).
    pub fn env_key(&self) -> Option<u8> {
        match *self {
            Action::Raise { key }
            | Action::Lower { key }
            | Action::Complete { key }
            | Action::StreamItem { key }
            | Action::Close { key }
            | Action::PostFinal { key } => Some(key),
            _ => None,
        }
    }

    /// The action with threads renamed by `tp` and keys by `kp` (old → new).
    pub fn permuted(&self, tp: &[u8], kp: &[u8]) -> Action {
        let t = |x: u8| tp[x as usize];
        let k = |x: u8| kp[x as usize];
        match *self {
            Action::Wait { thread, max, block } => Action::Wait {
                thread: t(thread),
                max,
                block,
            },
            Action::Harvest { thread } => Action::Harvest { thread: t(thread) },
            Action::Register { thread, key } => Action::Register {
                thread: t(thread),
                key: k(key),
            },
            Action::Modify { thread, key, mode } => Action::Modify {
                thread: t(thread),
                key: k(key),
                mode,
            },
            Action::Rearm { thread, key } => Action::Rearm {
                thread: t(thread),
                key: k(key),
            },
            Action::Cancel { thread, key, mode } => Action::Cancel {
                thread: t(thread),
                key: k(key),
                mode,
            },
            Action::Consume { thread, key } => Action::Consume {
                thread: t(thread),
                key: k(key),
            },
            Action::CancelReturn { thread } => Action::CancelReturn { thread: t(thread) },
            Action::Raise { key } => Action::Raise { key: k(key) },
            Action::Lower { key } => Action::Lower { key: k(key) },
            Action::Complete { key } => Action::Complete { key: k(key) },
            Action::StreamItem { key } => Action::StreamItem { key: k(key) },
            Action::Close { key } => Action::Close { key: k(key) },
            Action::FutexWake { n } => Action::FutexWake { n },
            Action::Timeout { thread } => Action::Timeout { thread: t(thread) },
            Action::PostFinal { key } => Action::PostFinal { key: k(key) },
        }
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Action::Wait { max, block, .. } => {
                write!(
                    f,
                    "wait(max={max}, {})",
                    if block { "block" } else { "poll" }
                )
            }
            Action::Harvest { .. } => write!(f, "wait returns (woken)"),
            Action::Register { key, .. } => write!(f, "register(k{key})"),
            Action::Modify { key, mode, .. } => write!(f, "modify(k{key}, {})", mode.name()),
            Action::Rearm { key, .. } => write!(f, "rearm(k{key})"),
            Action::Cancel { key, mode, .. } => write!(f, "cancel(k{key}, {})", mode.name()),
            Action::Consume { key, .. } => write!(f, "consume(k{key})"),
            Action::CancelReturn { .. } => write!(f, "cancel answer arrives"),
            Action::Raise { key } => write!(f, "raise(k{key})"),
            Action::Lower { key } => write!(f, "lower(k{key})"),
            Action::Complete { key } => write!(f, "complete(k{key})"),
            Action::StreamItem { key } => write!(f, "stream_item(k{key})"),
            Action::Close { key } => write!(f, "close(k{key})"),
            Action::FutexWake { n } => write!(f, "futex_wake(n={n})"),
            Action::Timeout { thread } => write!(f, "timeout_expires(T{thread})"),
            Action::PostFinal { key } => write!(f, "kernel posts k{key}'s decided event"),
        }
    }
}

/// What a step showed, besides its action.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub struct Shown {
    /// The batch a wait returned (up to 4 entries).
    pub batch: [Option<Entry>; 4],
    /// Whether the step returned from a wait (even with an empty batch).
    pub returned: bool,
    /// The answer of a cancel (decided in this step).
    pub answer: Option<Answer>,
    /// Threads this step woke (bit per thread).
    pub woke: u8,
    /// Futex waiters released (bit per key).
    pub released: u8,
}

impl Shown {
    /// The batch entries.
    pub fn batch(&self) -> impl Iterator<Item = Entry> + '_ {
        self.batch.iter().flatten().copied()
    }

    /// The same facts with threads and keys renamed.
    pub fn permuted(&self, tp: &[u8], kp: &[u8]) -> Shown {
        let mut s = *self;
        for e in s.batch.iter_mut().flatten() {
            *e = e.with_key(kp[e.key() as usize]);
        }
        let map = |m: u8, p: &[u8]| {
            let mut out = 0;
            for (old, new) in p.iter().enumerate() {
                if m & (1 << old) != 0 {
                    out |= 1 << new;
                }
            }
            out
        };
        s.woke = map(self.woke, tp);
        s.released = map(self.released, kp);
        s
    }
}

impl fmt::Display for Entry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let k = self.key();
        match self.kind() {
            EventKind::Ready => write!(f, "k{k}:ready"),
            EventKind::Item => write!(f, "k{k}:item"),
            EventKind::Final(Outcome::Done) => write!(f, "k{k}:final"),
            EventKind::Final(Outcome::Cancelled) => write!(f, "k{k}:final(cancelled)"),
        }
    }
}
