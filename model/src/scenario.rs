//! What is being explored: the kind of event source behind every key, the
//! registration mode, and the bound on threads, keys and steps.

use std::fmt;

/// How an event source behaves (DESIGN §3.1). Every real kind of event falls
/// into one of these: an fd's readable/writable condition is a `Level`; a
/// timerfd, eventfd, signalfd or inotify record count is a `Counter`; process
/// exit and hang-up are `Sticky`; a futex word waiter is a `Futex`; an aio,
/// io_uring or IOCP request is an `Operation`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum SourceKind {
    /// A condition the environment raises and lowers (`raise`, `lower`); a
    /// thread's `consume` drains it. A `raise` on an already-true condition is
    /// still a wake-up (new data on a pipe: os-semantics §2.2, epoll66).
    Level,
    /// Increments coalesce into one non-zero count; `consume` clears it.
    /// There is no environment `lower`.
    Counter,
    /// Raised once, never lowered (process exit, hang-up).
    Sticky,
    /// A waiter on one shared futex word; released by `futex_wake(n)`.
    Futex,
    /// A submitted request; completes once (`Single`) or streams items and
    /// then completes once (`Multishot`).
    Operation,
}

impl SourceKind {
    /// Readiness sources have a condition; the others complete.
    pub fn is_readiness(self) -> bool {
        matches!(self, Self::Level | Self::Counter | Self::Sticky)
    }

    /// Every kind.
    pub const ALL: [SourceKind; 5] = [
        SourceKind::Level,
        SourceKind::Counter,
        SourceKind::Sticky,
        SourceKind::Futex,
        SourceKind::Operation,
    ];

    /// The kind with this [`SourceKind::name`].
    pub fn from_name(name: &str) -> Option<SourceKind> {
        Self::ALL.into_iter().find(|k| k.name() == name)
    }

    /// Stable lower-case name used in reports and docs.
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Counter => "counter",
            Self::Sticky => "sticky",
            Self::Futex => "futex",
            Self::Operation => "operation",
        }
    }
}

/// A registration's mode (DESIGN §3.1). Which modes fit which source kind
/// is [`crate::Rules::mode_fits`].
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub enum Mode {
    /// Reports the condition while it holds.
    Level,
    /// Reports wake-ups (edges) of the source.
    Edge,
    /// Disarmed after one delivery; an explicit `rearm` (or `modify`) arms it.
    Oneshot,
    /// Disarmed after one delivery; re-armed implicitly when the holding
    /// thread calls `wait` again. The unified default.
    #[default]
    Dispatch,
    /// An operation or futex wait that reports exactly one final event.
    Single,
    /// An operation that streams items, then one final event.
    Multishot,
}

impl Mode {
    /// Whether this is a readiness mode (`Level`, `Edge`, `Oneshot`,
    /// `Dispatch`) rather than a request's (`Single`, `Multishot`).
    pub fn is_readiness(self) -> bool {
        matches!(
            self,
            Self::Level | Self::Edge | Self::Oneshot | Self::Dispatch
        )
    }

    /// Stable lower-case name.
    pub fn name(self) -> &'static str {
        match self {
            Self::Level => "level",
            Self::Edge => "edge",
            Self::Oneshot => "oneshot",
            Self::Dispatch => "dispatch",
            Self::Single => "single",
            Self::Multishot => "multishot",
        }
    }

    /// Modes a readiness registration can be modified between.
    pub const READINESS: [Mode; 4] = [Mode::Level, Mode::Edge, Mode::Oneshot, Mode::Dispatch];

    /// Every mode, in code order.
    pub const ALL: [Mode; 6] = [
        Mode::Level,
        Mode::Edge,
        Mode::Oneshot,
        Mode::Dispatch,
        Mode::Single,
        Mode::Multishot,
    ];

    /// The mode with this [`Mode::name`].
    pub fn from_name(name: &str) -> Option<Mode> {
        Self::ALL.into_iter().find(|m| m.name() == name)
    }

    pub(crate) fn code(self) -> u8 {
        self as u8
    }

    pub(crate) fn from_code(c: u8) -> Mode {
        Self::ALL[c as usize]
    }
}

/// One explored configuration: what stands behind each key, and how it is
/// registered (or submitted) at the start.
///
/// A **uniform** scenario ([`Scenario::new`]) binds every key, however many
/// the [`Bound`] has, to a source of `source` kind registered in `mode`. A
/// **mixed** scenario ([`Scenario::mixed`], written
/// `level/dispatch+operation/single`) is a list of keys, each a [`KeySpec`]
/// with its own kind and mode, and fixes the number of keys. One port then
/// holds, say, a level-triggered fd, a timer, an operation and a futex wait
/// at once, which is what the unified queue is for. A key may also be a
/// second registration of an earlier key's source (`level/edge@0`: a dup'ed
/// fd, or the same fd in another mode); see [`KeySpec::shares`].
///
/// For a uniform scenario `source` and `mode` are every key's; for a mixed
/// one they are key 0's, and [`Scenario::key`] gives each key's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Scenario {
    /// The source kind behind every key (a mixed scenario: key 0's).
    pub source: SourceKind,
    /// The initial registration mode (a mixed scenario: key 0's).
    pub mode: Mode,
    /// The keys of a mixed scenario; none for a uniform one.
    #[cfg_attr(feature = "serde", serde(default))]
    mix: crate::mix::Mix,
}

impl Scenario {
    /// `source/mode`, e.g. `level/dispatch`: every key alike.
    pub const fn new(source: SourceKind, mode: Mode) -> Self {
        Self {
            source,
            mode,
            mix: crate::mix::Mix::NONE,
        }
    }

    /// A mixed scenario of `keys` (2..=[`MAX_KEYS`] of them), e.g.
    /// `level/dispatch+operation/single`.
    ///
    /// # Panics
    ///
    /// If the list breaks a rule [`Scenario::parse`] reports as a
    /// [`ScenarioError`](crate::mix::ScenarioError) (a `const` catalogue fails to compile then).
    pub const fn mixed(keys: &[KeySpec]) -> Self {
        match crate::mix::Mix::new(keys) {
            Ok(mix) => Self {
                source: keys[0].source,
                mode: keys[0].mode,
                mix,
            },
            Err(_) => panic!("not a valid mixed scenario"),
        }
    }

    /// Whether this is a mixed scenario (a list of keys).
    pub const fn is_mixed(&self) -> bool {
        self.mix.len > 0
    }

    /// The keys of a mixed scenario, in order; empty for a uniform one.
    pub fn keys(&self) -> &[KeySpec] {
        &self.mix.keys[..self.mix.len as usize]
    }

    /// The number of keys a mixed scenario fixes; `None` for a uniform one
    /// (any number the bound gives).
    pub const fn key_count(&self) -> Option<u8> {
        if self.mix.len > 0 {
            Some(self.mix.len)
        } else {
            None
        }
    }

    /// What stands behind key `k` (for a uniform scenario, every key is
    /// `source/mode` on a source of its own).
    pub fn key(&self, k: u8) -> KeySpec {
        if self.is_mixed() {
            self.mix.keys[k as usize]
        } else {
            KeySpec::new(self.source, self.mode)
        }
    }

    /// The first key bound to key `k`'s source (`k` itself unless `k`
    /// shares an earlier key's source).
    pub fn owner(&self, k: u8) -> u8 {
        self.key(k).shares.unwrap_or(k)
    }

    /// Whether some source stands behind more than one key.
    pub fn has_shared_source(&self) -> bool {
        self.keys().iter().any(|k| k.shares.is_some())
    }

    /// The bound this scenario is explored at when `bound` is asked for: a
    /// uniform scenario takes it as it is; a mixed one takes its own number
    /// of keys, at most as many environment steps per key as the ready
    /// queue holds for them (`keys × (env + 3) ≤ 24`), and, with three or
    /// more keys, at most [`MIX3_OPS`](crate::mix::MIX3_OPS) operations per
    /// thread (see [`crate::mix`] for why).
    pub fn bound_for(&self, bound: Bound) -> Bound {
        crate::mix::bound_for(self, bound)
    }
}

impl fmt::Display for Scenario {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if !self.is_mixed() {
            return write!(f, "{}/{}", self.source.name(), self.mode.name());
        }
        for (i, k) in self.keys().iter().enumerate() {
            if i > 0 {
                f.write_str("+")?;
            }
            write!(f, "{k}")?;
        }
        Ok(())
    }
}

use crate::mix::KeySpec;

/// Largest number of threads a state can represent.
pub const MAX_THREADS: u8 = 4;
/// Largest number of keys a state can represent.
pub const MAX_KEYS: u8 = 4;
/// Largest number of thread operations per thread.
pub const MAX_OPS: u8 = 8;
/// Largest number of environment steps per key.
pub const MAX_ENV: u8 = 6;
/// Largest batch (`max` of `wait`).
pub const MAX_BATCH: u8 = 4;

/// The bound of one exploration.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct Bound {
    /// Threads calling into the port.
    pub threads: u8,
    /// Keys (registrations), each with its own source.
    pub keys: u8,
    /// Thread operations each thread may perform (`wait`, `cancel`, ...).
    pub ops: u8,
    /// Environment steps (`raise`, `complete`, ...) each key may take;
    /// `futex_wake` has a budget of its own of the same size (the word is
    /// shared by every key); `timeout_expires` ends one blocked wait and
    /// needs no budget.
    pub env: u8,
    /// `max` of every `wait`.
    pub batch: u8,
}

impl Default for Bound {
    fn default() -> Self {
        Self {
            threads: 2,
            keys: 2,
            ops: 3,
            env: 2,
            batch: 2,
        }
    }
}

/// A bound the model cannot represent.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum BoundError {
    /// A field of the [`Bound`] outside what a state can represent.
    OutOfRange {
        /// The field's name (`threads`, `keys`, `ops`, `env`, `batch`).
        field: &'static str,
        /// Its value.
        value: u8,
        /// The smallest value a state can represent.
        lo: u8,
        /// The largest.
        hi: u8,
    },
    /// `keys × (env + 3)` is more than the ready queue's slots.
    QueueSlots {
        /// Keys of the bound.
        keys: u8,
        /// Environment steps per key.
        env: u8,
        /// `keys × (env + 3)`.
        slots: usize,
        /// The slots a state holds.
        max: usize,
    },
    /// A mixed scenario fixes its number of keys; the bound asks for
    /// another.
    KeyCount {
        /// The scenario.
        scenario: Scenario,
        /// The bound's keys.
        keys: u8,
    },
    /// The scenario's mode does not fit its source kind under the profile.
    Scenario {
        /// The scenario.
        scenario: Scenario,
        /// The profile's name.
        profile: &'static str,
        /// Why it does not fit.
        refusal: crate::Refusal,
    },
}

impl fmt::Display for BoundError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::OutOfRange {
                field,
                value,
                lo,
                hi,
            } => write!(
                f,
                "{field} {value} is outside the representable range {lo}..={hi}"
            ),
            Self::QueueSlots {
                keys,
                env,
                slots,
                max,
            } => write!(
                f,
                "keys {keys} with env {env}: keys x (env + 3) = {slots} queue slots, more than \
                 the {max} a state holds (keys x (env + 3) <= {max})"
            ),
            Self::KeyCount { scenario, keys } => write!(
                f,
                "scenario {scenario} has {} keys; the bound asks for {keys}",
                scenario.keys().len()
            ),
            Self::Scenario {
                scenario,
                profile,
                refusal,
            } => write!(f, "scenario {scenario} under {profile}: {refusal}"),
        }
    }
}

impl std::error::Error for BoundError {}

impl Bound {
    /// Checks that every field is within what a [`crate::State`] can hold:
    /// threads 1..=4, keys 1..=4, ops 0..=8, env 0..=6, batch 1..=4, and
    /// `keys × (env + 3) ≤ 24` (the ready queue's slots).
    pub fn validate(&self) -> Result<(), BoundError> {
        let check = |field: &'static str, value: u8, lo: u8, hi: u8| {
            if value < lo || value > hi {
                Err(BoundError::OutOfRange {
                    field,
                    value,
                    lo,
                    hi,
                })
            } else {
                Ok(())
            }
        };
        check("threads", self.threads, 1, MAX_THREADS)?;
        check("keys", self.keys, 1, MAX_KEYS)?;
        check("ops", self.ops, 0, MAX_OPS)?;
        check("env", self.env, 0, MAX_ENV)?;
        check("batch", self.batch, 1, MAX_BATCH)?;
        // Each key queues at most one readiness event (or, without
        // coalescing, one per environment step), plus two finals.
        let slots = self.keys as usize * (self.env as usize + 3);
        if slots > crate::state::MAX_QUEUE {
            return Err(BoundError::QueueSlots {
                keys: self.keys,
                env: self.env,
                slots,
                max: crate::state::MAX_QUEUE,
            });
        }
        Ok(())
    }
}

impl fmt::Display for Bound {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "threads={} keys={} ops={} env={} batch={}",
            self.threads, self.keys, self.ops, self.env, self.batch
        )
    }
}
