//! # onering-conformance: the kernel is the judge
//!
//! One corpus of scenarios (`corpus/*.toml`, format in [`case`]) runs
//! against every engine ([`engine`]): the model itself, `onering::Port` on
//! the simulated backend, raw epoll and raw io_uring (thin drivers in
//! [`drivers`]), and the Port on its Linux backend. Single-threaded
//! cases are checked step by step against the engine's profile
//! ([`stepper`]); multi-threaded ones are recorded as histories and checked
//! by the history checker ([`run`]). Generated cases ([`gen`]) shrink to a
//! minimal divergence. What the kernel does differently from its profile is
//! written down in `FINDINGS.md`, and each such divergence is pinned by a
//! case that fails if the kernel changes. The vocabulary is
//! `onering_model`'s.
#![deny(unsafe_code)]
#![warn(missing_docs)]

pub mod case;
pub mod checker;
pub mod cli;
pub mod drivers;
pub mod engine;
pub mod findings;
pub mod gen;
pub mod observe;
pub mod record;
pub mod run;
pub mod source;
pub mod stepper;
