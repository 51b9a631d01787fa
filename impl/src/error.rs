//! Errors: every misuse gets a typed answer, never a panic.

use std::fmt;

use crate::event::{CancelMode, Key, Mode, SourceId, SourceKind};

/// Why a call was refused. A refused call changes nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Error {
    /// The key was never handed out by this port.
    UnknownKey(Key),
    /// The key's terminal outcome was already delivered (its slot may have
    /// been reused under a newer generation).
    StaleKey(Key),
    /// The backend does not know this source.
    UnknownSource(SourceId),
    /// The source was closed.
    Closed(SourceId),
    /// The mode does not fit the source (e.g. `Level` on an operation):
    /// [`onering_model::Refusal::ModeMismatch`], decided by the model's
    /// [`onering_model::Rules::mode_fits`].
    ModeMismatch {
        /// The source's kind.
        kind: SourceKind,
        /// The requested mode.
        mode: Mode,
    },
    /// `Sync` on an operation, or `Async`/`Reap` on a readiness registration:
    /// [`onering_model::Refusal::CancelModeMismatch`], decided by the model's
    /// [`onering_model::Rules::cancel_fits`].
    CancelModeMismatch {
        /// The key.
        key: Key,
        /// The requested cancel mode.
        mode: CancelMode,
    },
    /// The environment step does not apply to this source (e.g. `lower` on a
    /// `Sticky` source, `stream_item` on a `Single` submission).
    InvalidStep(SourceId),
    /// An operation source may only be submitted once.
    AlreadySubmitted(SourceId),
    /// The operation has no live submission (never submitted, or it already
    /// produced its final completion).
    NotInFlight(SourceId),
    /// `wait` with `max == 0` ([`onering_model::Refusal::ZeroMax`]).
    ZeroMax,
    /// `futex_wake` with `n == 0` ([`onering_model::Refusal::ZeroWake`]).
    ZeroWake(SourceId),
    /// The registration is being cancelled (a cancel answered `Pending`):
    /// only its final event remains, it can no longer be modified.
    Cancelling(Key),
    /// A system call failed (Linux backend): `syscall` names it, `errno` is
    /// the kernel's answer (`EMFILE`, `ENOMEM`, `ENOSYS`, ...).
    Os {
        /// The failing call, e.g. `"epoll_ctl(EPOLL_CTL_ADD)"`.
        syscall: &'static str,
        /// The raw `errno`.
        errno: i32,
    },
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::UnknownKey(k) => write!(f, "unknown key {k}"),
            Self::StaleKey(k) => write!(f, "stale key {k}: its terminal outcome was delivered"),
            Self::UnknownSource(s) => write!(f, "unknown source {s}"),
            Self::Closed(s) => write!(f, "source {s} is closed"),
            Self::ModeMismatch { kind, mode } => write!(
                f,
                "mode {} does not fit a {} source",
                mode.name(),
                kind.name()
            ),
            Self::CancelModeMismatch { key, mode } => {
                write!(f, "cancel mode {} does not fit key {key}", mode.name())
            }
            Self::InvalidStep(s) => write!(f, "step does not apply to source {s}"),
            Self::AlreadySubmitted(s) => write!(f, "operation {s} was already submitted"),
            Self::NotInFlight(s) => write!(f, "operation {s} is not in flight"),
            Self::ZeroMax => f.write_str("wait with max == 0"),
            Self::ZeroWake(s) => write!(f, "futex_wake of {s} with n == 0"),
            Self::Cancelling(k) => write!(
                f,
                "key {k} is being cancelled; only its final event remains"
            ),
            Self::Os { syscall, errno } => write!(
                f,
                "{syscall} failed: {}",
                std::io::Error::from_raw_os_error(*errno)
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        None
    }
}

impl Error {
    /// An [`Error::Os`] for `syscall` from the calling thread's `errno`.
    pub fn last_os(syscall: &'static str) -> Self {
        Self::Os {
            syscall,
            errno: std::io::Error::last_os_error().raw_os_error().unwrap_or(0),
        }
    }

    /// The `errno` of an [`Error::Os`].
    pub fn errno(&self) -> Option<i32> {
        match self {
            Self::Os { errno, .. } => Some(*errno),
            _ => None,
        }
    }

    /// Stable kebab-case name (history format).
    pub fn name(&self) -> &'static str {
        match self {
            Self::UnknownKey(_) => "unknown-key",
            Self::StaleKey(_) => "stale-key",
            Self::UnknownSource(_) => "unknown-source",
            Self::Closed(_) => "closed",
            Self::ModeMismatch { .. } => "mode-mismatch",
            Self::CancelModeMismatch { .. } => "cancel-mode-mismatch",
            Self::InvalidStep(_) => "invalid-step",
            Self::AlreadySubmitted(_) => "already-submitted",
            Self::NotInFlight(_) => "not-in-flight",
            Self::ZeroMax => "zero-max",
            Self::ZeroWake(_) => "zero-wake",
            Self::Cancelling(_) => "cancelling",
            Self::Os { .. } => "os",
        }
    }
}
