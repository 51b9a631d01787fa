//! Typed errors of the explorer's replay and of replay tokens. Their
//! `Display` is the message `onering check --replay` prints.

use onering_model::{BoundError, ScenarioError, MODEL_VERSION};
use std::fmt;

/// A path of successor indices that does not replay ([`crate::explore::replay`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ReplayError {
    /// Step `step` (from 1) names successor `via` (from 1), but the state
    /// has only `successors`.
    NoSuchSuccessor {
        /// The step of the path, from 1.
        step: usize,
        /// How many successors the state has.
        successors: usize,
        /// The successor the path names, from 1.
        via: usize,
    },
}

impl fmt::Display for ReplayError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ReplayError::NoSuchSuccessor {
                step,
                successors,
                via,
            } => write!(
                f,
                "step {step} of the path: the state has {successors} successors, not {via}"
            ),
        }
    }
}

impl std::error::Error for ReplayError {}

/// A replay token that cannot be replayed ([`crate::check::replay_token`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum TokenError {
    /// Made by another model version.
    OtherVersion(u32),
    /// Made before tokens carried a model version.
    Unversioned,
    /// Not six `:`-separated fields (the count found).
    FieldCount(usize),
    /// No profile of this name.
    UnknownProfile(String),
    /// The scenario field is not `source/mode`.
    ScenarioShape(String),
    /// The scenario field names no scenario (a mixed one's other faults).
    Scenario(ScenarioError),
    /// No source kind of this name.
    UnknownSource(String),
    /// No mode of this name.
    UnknownMode(String),
    /// A bound field that is not a number 0..=255.
    BoundField(String),
    /// The bound does not have five fields.
    BoundShape,
    /// Reduction flags other than `s`, `n`, `sx`, `nx`.
    Flags(String),
    /// A path step that is not a number 0..=255.
    PathStep(String),
    /// The profile has no such scenario.
    NoScenario {
        /// The profile.
        profile: &'static str,
        /// The scenario asked for.
        scenario: String,
        /// The profile's scenarios, comma-separated.
        available: String,
    },
    /// The model refuses the bound or scenario.
    Bound(BoundError),
    /// The path does not replay.
    Replay(ReplayError),
}

impl fmt::Display for TokenError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            TokenError::OtherVersion(v) => write!(
                f,
                "replay token is for model version {v}, this is model version {MODEL_VERSION}: its path means nothing here; run the check again for a current token"
            ),
            TokenError::Unversioned => write!(
                f,
                "replay token carries no model version (made before versioned tokens); this is model version {MODEL_VERSION}: run the check again for a current token"
            ),
            TokenError::FieldCount(n) => write!(
                f,
                "replay token has {n} fields separated by ':', expected 6 (m{MODEL_VERSION}:profile:source/mode:bound:s|n:path)"
            ),
            TokenError::UnknownProfile(p) => write!(f, "unknown profile `{p}` in replay token"),
            TokenError::ScenarioShape(s) => write!(f, "scenario `{s}` is not source/mode"),
            TokenError::UnknownSource(s) => write!(f, "unknown source kind `{s}`"),
            TokenError::UnknownMode(m) => write!(f, "unknown mode `{m}`"),
            TokenError::BoundField(n) => write!(f, "bound field `{n}` is not a number 0..=255"),
            TokenError::BoundShape => f.write_str("bound must be threads.keys.ops.env.batch"),
            TokenError::Flags(x) => write!(
                f,
                "reduction flags `{x}` are not s or n followed by any of x, g, o, in that order"
            ),
            TokenError::PathStep(n) => write!(f, "path step `{n}` is not a number 0..=255"),
            TokenError::NoScenario {
                profile,
                scenario,
                available,
            } => write!(
                f,
                "profile `{profile}` has no scenario `{scenario}`; its scenarios: {available}"
            ),
            TokenError::Scenario(e) => write!(f, "scenario in replay token: {e}"),
            TokenError::Bound(e) => e.fmt(f),
            TokenError::Replay(e) => e.fmt(f),
        }
    }
}

impl std::error::Error for TokenError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            TokenError::Bound(e) => Some(e),
            TokenError::Replay(e) => Some(e),
            TokenError::Scenario(e) => Some(e),
            _ => None,
        }
    }
}

impl From<BoundError> for TokenError {
    fn from(e: BoundError) -> Self {
        TokenError::Bound(e)
    }
}

impl From<ReplayError> for TokenError {
    fn from(e: ReplayError) -> Self {
        TokenError::Replay(e)
    }
}
