//! Mixed scenarios: one port holding keys of different kinds and modes, the
//! point of the unified queue (DESIGN §3.1: "one port for every kind of
//! source").
//!
//! A mixed [`Scenario`] is a list of [`KeySpec`]s, written with `+` between
//! keys: `level/dispatch+operation/single` is a level-triggered fd
//! registered `Dispatch` (key `k0`) beside a submitted operation (`k1`). A
//! key written `kind/mode@j` is a second registration of key `j`'s source
//! ([`KeySpec::shares`]): `level/dispatch+level/edge@0` is one fd
//! registered twice (through a dup'ed descriptor, or the same descriptor in
//! two modes where the mechanism allows it).
//!
//! ## What a shared source means
//!
//! The source's condition, its being closed and its environment budget
//! belong to the source, so the model keeps them on every key bound to it
//! alike, as the history checker does for several registrations of one
//! recorded source (see [`crate::Recorded`]): an environment step is taken
//! through the source's first key and acts on every key bound to it —
//! `raise` queues each armed registration, in every order (the order in
//! which one wake-up queues several registrations is unspecified); `lower`
//! and `close` act on each (`close` is the close of the last descriptor: the
//! source is gone). A thread's `consume` through any of the keys drains the
//! one condition. Registrations stay separate: each key has its own
//! registration state, generation, holders and queued events.
//!
//! ## Which profile explores which mix
//!
//! A profile explores a mix when it registers every key's kind in that
//! key's mode: the uniform scenario `kind/mode` is one of its
//! [`Rules::scenarios`], so the mechanism has such a registration at all
//! (epoll has no futex wait and no operation; io_uring no `Dispatch`).
//! [`Scenario::fits`] says why a mix is not explored. Every mechanism can
//! register two descriptors of one file, so sharing needs nothing more.
//!
//! ## Symmetry
//!
//! Keys are interchangeable only when the model treats them alike: the same
//! kind and initial mode, each on a source of its own. A key that shares a
//! source, or whose source another key shares, is interchangeable with none
//! ([`crate::Model::key_classes`]).
//!
//! ## Bounds
//!
//! A mix fixes its number of keys (the bound's `keys` is replaced by it).
//! Its environment budget is capped so that `keys × (env + 3)` fits the
//! ready queue's slots, and a mix of three or more keys explores at most
//! [`MIX3_OPS`] operations per thread: see [`Scenario::bound_for`].

use std::fmt;

use crate::precondition::Refusal;
use crate::rules::Rules;
use crate::scenario::{Bound, Mode, Scenario, SourceKind, MAX_KEYS};
use crate::state::MAX_QUEUE;

/// One key of a mixed scenario: its source's kind, the mode it is
/// registered (or submitted) in at the start, and whether its source is an
/// earlier key's.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub struct KeySpec {
    /// The kind of the key's source.
    pub source: SourceKind,
    /// The initial registration mode (and the mode of every later
    /// `register` of the key).
    pub mode: Mode,
    /// `Some(j)`: the key is a second registration of key `j`'s source
    /// (`j` earlier, of the same readiness kind, on a source of its own).
    pub shares: Option<u8>,
}

impl KeySpec {
    /// A key on a source of its own.
    pub const fn new(source: SourceKind, mode: Mode) -> KeySpec {
        KeySpec {
            source,
            mode,
            shares: None,
        }
    }

    /// A key registered on key `j`'s source.
    pub const fn sharing(source: SourceKind, mode: Mode, j: u8) -> KeySpec {
        KeySpec {
            source,
            mode,
            shares: Some(j),
        }
    }
}

impl fmt::Display for KeySpec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.source.name(), self.mode.name())?;
        if let Some(j) = self.shares {
            write!(f, "@{j}")?;
        }
        Ok(())
    }
}

/// The keys of a mixed scenario (`len == 0`: uniform).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "serde", derive(serde::Serialize, serde::Deserialize))]
pub(crate) struct Mix {
    pub(crate) len: u8,
    pub(crate) keys: [KeySpec; MAX_KEYS as usize],
}

impl Default for Mix {
    fn default() -> Mix {
        Mix::NONE
    }
}

const FILLER: KeySpec = KeySpec::new(SourceKind::Level, Mode::Level);

impl Mix {
    pub(crate) const NONE: Mix = Mix {
        len: 0,
        keys: [FILLER; MAX_KEYS as usize],
    };

    /// Checks the rules of [`ScenarioError`] (`const`, for catalogues).
    pub(crate) const fn new(keys: &[KeySpec]) -> Result<Mix, MixFault> {
        if keys.len() < 2 || keys.len() > MAX_KEYS as usize {
            return Err(MixFault::KeyCount(keys.len()));
        }
        let mut mix = Mix::NONE;
        let mut i = 0;
        while i < keys.len() {
            let k = keys[i];
            if let Some(j) = k.shares {
                let ok = (j as usize) < i
                    && keys[j as usize].shares.is_none()
                    && keys[j as usize].source as u8 == k.source as u8
                    && matches!(
                        k.source,
                        SourceKind::Level | SourceKind::Counter | SourceKind::Sticky
                    );
                if !ok {
                    return Err(MixFault::Share {
                        key: i as u8,
                        with: j,
                    });
                }
            }
            mix.keys[i] = k;
            i += 1;
        }
        mix.len = keys.len() as u8;
        Ok(mix)
    }
}

/// [`ScenarioError`]'s cases a `const` list can have (no strings).
#[derive(Clone, Copy, Debug)]
pub(crate) enum MixFault {
    KeyCount(usize),
    Share { key: u8, with: u8 },
}

impl From<MixFault> for ScenarioError {
    fn from(f: MixFault) -> ScenarioError {
        match f {
            MixFault::KeyCount(n) => ScenarioError::KeyCount(n),
            MixFault::Share { key, with } => ScenarioError::Share { key, with },
        }
    }
}

/// A scenario string that names no scenario ([`Scenario::parse`]).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ScenarioError {
    /// A key not written `kind/mode` (or `kind/mode@j`).
    Shape(String),
    /// An unknown source kind.
    UnknownKind(String),
    /// An unknown mode.
    UnknownMode(String),
    /// `@j` that is not a key number.
    ShareIndex(String),
    /// A mixed scenario needs 2..=[`MAX_KEYS`] keys.
    KeyCount(usize),
    /// Key `key` claims key `with`'s source, which is not an earlier key
    /// of the same readiness kind on a source of its own.
    Share {
        /// The sharing key.
        key: u8,
        /// The key named after `@`.
        with: u8,
    },
}

impl fmt::Display for ScenarioError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let kinds = SourceKind::ALL.map(|k| k.name()).join(", ");
        let modes = Mode::ALL.map(|m| m.name()).join(", ");
        match self {
            Self::Shape(s) => write!(
                f,
                "`{s}` is not a key: write kind/mode (e.g. level/dispatch), keys joined by `+` \
                 (level/dispatch+operation/single), `@j` for key j's source (level/edge@0)"
            ),
            Self::UnknownKind(s) => write!(f, "unknown source kind `{s}`; known: {kinds}"),
            Self::UnknownMode(s) => write!(f, "unknown mode `{s}`; known: {modes}"),
            Self::ShareIndex(s) => write!(f, "`@{s}` does not name a key (write @0, @1, ...)"),
            Self::KeyCount(n) => write!(
                f,
                "a mixed scenario has 2..={MAX_KEYS} keys, not {n} (one key: write kind/mode)"
            ),
            Self::Share { key, with } => write!(
                f,
                "key {key} cannot share key {with}'s source: only an earlier key of the same \
                 readiness kind (level, counter, sticky) that has a source of its own"
            ),
        }
    }
}

impl std::error::Error for ScenarioError {}

/// Why a profile does not explore a scenario ([`Scenario::fits`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Unexplored {
    /// The profile.
    pub profile: &'static str,
    /// The key the profile cannot register (`None`: a uniform scenario).
    pub key: Option<u8>,
    /// That key's kind and mode.
    pub spec: KeySpec,
    /// Why: the mode does not fit the kind at all (`Some`), or the profile
    /// has no such registration (`None`).
    pub refusal: Option<Refusal>,
}

impl fmt::Display for Unexplored {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let what = match self.key {
            Some(k) => format!(
                "key k{k} ({}/{})",
                self.spec.source.name(),
                self.spec.mode.name()
            ),
            None => format!("{}/{}", self.spec.source.name(), self.spec.mode.name()),
        };
        match self.refusal {
            Some(r) => write!(f, "{} cannot register {what}: {r}", self.profile),
            None => write!(
                f,
                "{} has no {}/{} registration, so it cannot register {what}",
                self.profile,
                self.spec.source.name(),
                self.spec.mode.name()
            ),
        }
    }
}

impl std::error::Error for Unexplored {}

impl Scenario {
    /// Parses `kind/mode` (uniform) or keys joined by `+`, each `kind/mode`
    /// or `kind/mode@j` (mixed), as [`Scenario`]'s `Display` writes them.
    pub fn parse(text: &str) -> Result<Scenario, ScenarioError> {
        let parts: Vec<&str> = text.trim().split('+').collect();
        let mut keys = Vec::with_capacity(parts.len());
        for part in &parts {
            let (spec, share) = match part.split_once('@') {
                Some((s, j)) => {
                    let j = j
                        .parse::<u8>()
                        .map_err(|_| ScenarioError::ShareIndex(j.into()))?;
                    (s, Some(j))
                }
                None => (*part, None),
            };
            let (kind, mode) = spec
                .split_once('/')
                .ok_or_else(|| ScenarioError::Shape((*part).into()))?;
            let source = SourceKind::from_name(kind)
                .ok_or_else(|| ScenarioError::UnknownKind(kind.into()))?;
            let mode =
                Mode::from_name(mode).ok_or_else(|| ScenarioError::UnknownMode(mode.into()))?;
            keys.push(KeySpec {
                source,
                mode,
                shares: share,
            });
        }
        if keys.len() == 1 && keys[0].shares.is_none() {
            return Ok(Scenario::new(keys[0].source, keys[0].mode));
        }
        if keys.len() == 1 {
            return Err(ScenarioError::Share {
                key: 0,
                with: keys[0].shares.unwrap_or(0),
            });
        }
        Mix::new(&keys)?;
        Ok(Scenario::mixed(&keys))
    }

    /// Whether `rules` explores this scenario: a uniform one if it is one of
    /// [`Rules::scenarios`]; a mixed one if each key's `kind/mode` is (see
    /// the [module documentation](crate::mix)).
    pub fn fits(&self, rules: &Rules) -> Result<(), Unexplored> {
        let has = |spec: KeySpec, key: Option<u8>| {
            let refusal = rules.mode_fits(spec.source, spec.mode).err();
            if refusal.is_none()
                && rules
                    .scenarios
                    .contains(&Scenario::new(spec.source, spec.mode))
            {
                Ok(())
            } else {
                Err(Unexplored {
                    profile: rules.name,
                    key,
                    spec,
                    refusal,
                })
            }
        };
        if !self.is_mixed() {
            return has(KeySpec::new(self.source, self.mode), None);
        }
        for (k, spec) in self.keys().iter().enumerate() {
            has(*spec, Some(k as u8))?;
        }
        Ok(())
    }
}

/// Operations per thread a mix of three or more keys explores at most.
///
/// No two keys of such a mix are alike, so symmetry folds no keys. At the
/// default bound's 3 operations per thread the three-key mixes are 4.4M
/// (`unified`, `level/dispatch+sticky/dispatch+operation/multishot`), 5.8M
/// (`epoll`) and 4.5M (`kqueue`, both `level/level+counter/edge+sticky/level`)
/// states, 60–100 s each: as much as every uniform scenario of `check --all`
/// together. At 2 they are about a tenth of that, and a thread can still
/// wait and cancel, or register and wait, with the environment taking its
/// full budget on every key (a multishot operation streams and completes,
/// a sticky source is raised once, a level one raised and lowered).
pub const MIX3_OPS: u8 = 2;

/// See [`Scenario::bound_for`].
pub(crate) fn bound_for(sc: &Scenario, bound: Bound) -> Bound {
    let Some(n) = sc.key_count() else {
        return bound;
    };
    let env_max = (MAX_QUEUE / n as usize).saturating_sub(3) as u8;
    Bound {
        keys: n,
        env: bound.env.min(env_max),
        ops: if n >= 3 {
            bound.ops.min(MIX3_OPS)
        } else {
            bound.ops
        },
        ..bound
    }
}

use Mode as M;
use SourceKind as S;

/// The mixed scenarios `check` explores, each under every profile it
/// [fits](Scenario::fits) (spec mutants explore only the uniform scenarios:
/// each breaks one rule, which a uniform scenario already shows).
pub const MIXES: [Scenario; 9] = [
    // An fd with Dispatch beside an operation: the thread-pool loop that
    // serves sockets and file reads from one queue.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Dispatch),
        KeySpec::new(S::Operation, M::Single),
    ]),
    // A timer (counter) beside a futex wait.
    Scenario::mixed(&[
        KeySpec::new(S::Counter, M::Edge),
        KeySpec::new(S::Futex, M::Single),
    ]),
    // An fd, a process exit (sticky) and a multishot operation.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Dispatch),
        KeySpec::new(S::Sticky, M::Dispatch),
        KeySpec::new(S::Operation, M::Multishot),
    ]),
    // One fd registered twice, Dispatch and Edge (a dup'ed descriptor).
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Dispatch),
        KeySpec::sharing(S::Level, M::Edge, 0),
    ]),
    // epoll's and kqueue's event loop: a socket, a timerfd, a pidfd.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Level),
        KeySpec::new(S::Counter, M::Edge),
        KeySpec::new(S::Sticky, M::Level),
    ]),
    // A dup'ed fd registered level-triggered and edge-triggered.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Level),
        KeySpec::sharing(S::Level, M::Edge, 0),
    ]),
    // A one-shot poll beside a read: IOCP's AFD poll, aio's IOCB_CMD_POLL,
    // io_uring's POLL_ADD, an event port association, each next to an
    // operation.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Oneshot),
        KeySpec::new(S::Operation, M::Single),
    ]),
    // io_uring: a multishot poll beside a futex wait.
    Scenario::mixed(&[
        KeySpec::new(S::Level, M::Multishot),
        KeySpec::new(S::Futex, M::Single),
    ]),
    // Two waiters on the futex word beside an operation: `futex_wake(n)`
    // picks among the futex waiters only (two of them, so a wake of one
    // has a choice), never the operation in flight.
    Scenario::mixed(&[
        KeySpec::new(S::Futex, M::Single),
        KeySpec::new(S::Futex, M::Single),
        KeySpec::new(S::Operation, M::Single),
    ]),
];
