//! Serde for the model's vocabulary: each value is written as the model's
//! own `name()`, and an unknown name is refused with the list the model's
//! `ALL` constant gives, so no list of allowed values is written here.

use onering_model::{CancelMode, Mode, SourceKind};
use serde::de::Error as _;
use serde::{Deserialize, Deserializer, Serializer};

fn names<T: Copy>(all: &[T], name: impl Fn(T) -> &'static str) -> String {
    all.iter().map(|x| name(*x)).collect::<Vec<_>>().join(", ")
}

fn by_name<'de, D: Deserializer<'de>, T: Copy>(
    d: D,
    what: &str,
    all: &[T],
    name: impl Fn(T) -> &'static str + Copy,
) -> Result<T, D::Error> {
    let s = String::deserialize(d)?;
    all.iter().copied().find(|x| name(*x) == s).ok_or_else(|| {
        D::Error::custom(format!(
            "unknown {what} `{s}`; the model's {what}s are {}",
            names(all, name)
        ))
    })
}

pub(crate) mod mode {
    use super::*;
    pub fn serialize<S: Serializer>(m: &Mode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Mode, D::Error> {
        by_name(d, "mode", &Mode::ALL, Mode::name)
    }
}

pub(crate) mod kind {
    use super::*;
    pub fn serialize<S: Serializer>(k: &SourceKind, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(k.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<SourceKind, D::Error> {
        by_name(d, "source kind", &SourceKind::ALL, SourceKind::name)
    }
}

pub(crate) mod cancel_mode {
    use super::*;
    pub(super) const ALL: [CancelMode; 3] = [CancelMode::Sync, CancelMode::Async, CancelMode::Reap];
    pub fn serialize<S: Serializer>(m: &CancelMode, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(m.name())
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<CancelMode, D::Error> {
        by_name(d, "cancel mode", &ALL, CancelMode::name)
    }
}

/// The mode, source kind and cancel mode named `s`, as the serde functions
/// above read them (for the scanner of `read`).
pub(crate) fn mode_named(s: &str) -> Option<Mode> {
    Mode::ALL.into_iter().find(|m| m.name() == s)
}

/// See [`mode_named`].
pub(crate) fn kind_named(s: &str) -> Option<SourceKind> {
    SourceKind::ALL.into_iter().find(|k| k.name() == s)
}

/// See [`mode_named`].
pub(crate) fn cancel_mode_named(s: &str) -> Option<CancelMode> {
    cancel_mode::ALL.into_iter().find(|m| m.name() == s)
}
