//! Preconditions: which calls the vocabulary allows at all, before any rule
//! of the transition relation applies. Both the model's
//! [`Model::apply`](crate::Model::apply) and the reference `Port` (crate
//! `onering`) ask these functions, so a call the Port refuses is a call the
//! model refuses, and the other way round.
//!
//! A refusal is not a transition: a refused call changes nothing, and the
//! Port answers it with an error (its `Error`, which converts from
//! [`Refusal`]).

use std::fmt;

use crate::action::CancelMode;
use crate::rules::{ReadinessCancel, Rules};
use crate::scenario::{Mode, SourceKind};

/// Why a call is refused before any rule applies.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Refusal {
    /// The mode does not fit the source kind (see [`Rules::mode_fits`]).
    ModeMismatch {
        /// The source's kind.
        kind: SourceKind,
        /// The requested mode.
        mode: Mode,
    },
    /// The cancel mode does not fit the registration (see
    /// [`Rules::cancel_modes`]).
    CancelModeMismatch {
        /// The source's kind.
        kind: SourceKind,
        /// The registration's mode.
        mode: Mode,
        /// The requested cancel mode.
        cancel: CancelMode,
    },
    /// `futex_wake(n)` with `n == 0`: it would wake nobody, and the model's
    /// `futex-wake-count` is stated for `n >= 1` (see [`futex_wake_fits`]).
    ZeroWake,
    /// `wait(max)` with `max == 0` (see [`wait_fits`]).
    ZeroMax,
    /// `consume` of a source without a condition to drain (see
    /// [`consume_fits`]).
    NothingToConsume {
        /// The source's kind.
        kind: SourceKind,
    },
}

impl fmt::Display for Refusal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Self::ModeMismatch { kind, mode } => write!(
                f,
                "mode {} does not fit a {} source",
                mode.name(),
                kind.name()
            ),
            Self::CancelModeMismatch { kind, mode, cancel } => write!(
                f,
                "cancel mode {} does not fit a {} registration in mode {}",
                cancel.name(),
                kind.name(),
                mode.name()
            ),
            Self::ZeroWake => f.write_str("futex_wake with n == 0 (n must be at least 1)"),
            Self::ZeroMax => f.write_str("wait with max == 0 (max must be at least 1)"),
            Self::NothingToConsume { kind } => {
                write!(
                    f,
                    "consume of a {} source, which has nothing to drain",
                    kind.name()
                )
            }
        }
    }
}

impl std::error::Error for Refusal {}

impl Rules {
    /// Whether a registration of a `kind` source in `mode` is a request
    /// that completes (an operation, a futex wait, a poll request, a
    /// multishot poll) rather than a persistent readiness registration.
    pub fn is_request(&self, kind: SourceKind, mode: Mode) -> bool {
        !kind.is_readiness() || mode == Mode::Multishot || self.poll_request(mode)
    }

    /// Which source kind fits which mode (`register`, `submit`):
    ///
    /// * a readiness source (`Level`, `Counter`, `Sticky`) takes a readiness
    ///   mode (`Level`, `Edge`, `Oneshot`, `Dispatch`); in a profile whose
    ///   readiness registrations are poll requests (io_uring's
    ///   `IORING_POLL_ADD_MULTI`), also `Multishot`;
    /// * an `Operation` is submitted `Single` or `Multishot`;
    /// * a `Futex` wait is `Single`.
    ///
    /// So in `unified` a `Level` source registered `Single` is refused.
    pub fn mode_fits(&self, kind: SourceKind, mode: Mode) -> Result<(), Refusal> {
        let fits = match kind {
            SourceKind::Level | SourceKind::Counter | SourceKind::Sticky => {
                mode.is_readiness()
                    || (mode == Mode::Multishot
                        && self.readiness_cancel == ReadinessCancel::AsOperation)
            }
            SourceKind::Operation => matches!(mode, Mode::Single | Mode::Multishot),
            SourceKind::Futex => mode == Mode::Single,
        };
        if fits {
            Ok(())
        } else {
            Err(Refusal::ModeMismatch { kind, mode })
        }
    }

    /// `modify(key, mode)` and `rearm(key)` act on readiness registrations
    /// only, and `modify` switches to a readiness mode that fits the source.
    /// (`mode` is the new mode for `modify`, the current one for `rearm`.)
    pub fn readiness_fits(&self, kind: SourceKind, mode: Mode) -> Result<(), Refusal> {
        if mode.is_readiness() {
            self.mode_fits(kind, mode)
        } else {
            Err(Refusal::ModeMismatch { kind, mode })
        }
    }

    /// The cancel modes this profile offers for a registration of a `kind`
    /// source in `mode`: `Sync` for readiness registrations (and for every
    /// registration under `port_dissociate`), `Async` for a poll request,
    /// the profile's operation cancel modes for operations and futex waits.
    pub fn cancel_modes(&self, kind: SourceKind, mode: Mode) -> &'static [CancelMode] {
        if !self.is_request(kind, mode)
            || (kind.is_readiness() && self.readiness_cancel == ReadinessCancel::Dissociate)
        {
            &[CancelMode::Sync]
        } else if kind.is_readiness() {
            &[CancelMode::Async]
        } else {
            self.op_cancel_modes
        }
    }

    /// Whether `cancel(key, cancel)` fits the registration (see
    /// [`Rules::cancel_modes`]).
    pub fn cancel_fits(
        &self,
        kind: SourceKind,
        mode: Mode,
        cancel: CancelMode,
    ) -> Result<(), Refusal> {
        if self.cancel_modes(kind, mode).contains(&cancel) {
            Ok(())
        } else {
            Err(Refusal::CancelModeMismatch { kind, mode, cancel })
        }
    }
}

/// `futex_wake(n)` needs `n >= 1`: `futex-wake-count` judges "at most `n`,
/// at least `min(n, waiting)`", and a wake of nobody is no wake at all.
pub fn futex_wake_fits(n: u32) -> Result<(), Refusal> {
    if n >= 1 {
        Ok(())
    } else {
        Err(Refusal::ZeroWake)
    }
}

/// `wait(max)` needs `max >= 1` (the model also bounds it by
/// [`crate::MAX_BATCH`], which is a limit of its state, not a precondition).
pub fn wait_fits(max: usize) -> Result<(), Refusal> {
    if max >= 1 {
        Ok(())
    } else {
        Err(Refusal::ZeroMax)
    }
}

/// `consume(source)` drains a condition: only `Level` and `Counter` sources
/// have one a thread can drain (a `Sticky` condition stays raised).
pub fn consume_fits(kind: SourceKind) -> Result<(), Refusal> {
    if matches!(kind, SourceKind::Level | SourceKind::Counter) {
        Ok(())
    } else {
        Err(Refusal::NothingToConsume { kind })
    }
}
