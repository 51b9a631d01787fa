//! # onering-check
//!
//! Checks over the specification in [`onering_model`]: the exhaustive
//! explorer ([`explore`]), per-profile checks and their reports ([`check`]),
//! counterexample timelines ([`timeline`]), the generated semantics docs
//! ([`docs`]) and the history checker ([`history`], `onering verify`). The
//! semantics themselves are stated once, in `onering_model`'s documentation.
//!
//! This crate depends on the model only, never on the reference Port, so a
//! library that only wants to check its own histories builds nothing else.
#![forbid(unsafe_code)]

pub mod book;
pub mod budget;
pub mod check;
pub mod codec;
pub mod docs;
pub mod error;
pub mod explore;
pub mod fptable;
pub mod history;
pub mod library;
pub mod mixed;
pub mod summary;
pub mod timeline;
