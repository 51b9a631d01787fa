//! # onering-proofs
//!
//! Checks over the specification in [`onering_model`]: the exhaustive
//! explorer ([`explore`]), per-profile checks and their reports ([`check`]),
//! and counterexample timelines ([`timeline`]). The semantics themselves are
//! stated once, in `onering_model`'s documentation.
#![forbid(unsafe_code)]

pub mod check;
pub mod docs;
pub mod explore;
pub mod fptable;
pub mod history;
pub mod timeline;
pub mod workload;
