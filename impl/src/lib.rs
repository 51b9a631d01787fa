//! onering: the reference unified event queue.
//!
//! [`Port`] implements the `unified` profile of the onering model
//! (`onering-model`; DESIGN §3): readiness registrations in `Level`, `Edge`,
//! `Oneshot` or `Dispatch` mode, operations and futex waits submitted as
//! `Single` or `Multishot`, one thread holding a registration at a time,
//! `Sync`/`Async`/`Reap` cancellation with exactly one terminal outcome, and
//! generation-checked keys. The semantics are stated on the model's types;
//! this crate follows them and names its states after them.
//!
//! The port is generic over a small [`Backend`]; [`SimBackend`] is a
//! deterministic simulated kernel. All synchronization goes through one
//! facade (`sync`), which switches to loom under `--cfg loom` and to shuttle
//! with the `shuttle` feature.
//!
//! Calls can be recorded ([`Config::history`]) as a versioned JSON Lines
//! history (`docs/history-format.md`), and known bugs can be switched on
//! ([`Mutant`]) to show that the checks catch them.
#![deny(unsafe_code)]
#![deny(missing_docs, missing_debug_implementations, rust_2018_idioms)]
#![doc(test(attr(deny(warnings))))]

pub mod backend;
mod core;
mod error;
mod event;
pub mod history;
mod mutant;
mod port;
mod sync;

#[cfg(all(target_os = "linux", not(loom)))]
pub use crate::backend::linux::{
    futex_wait, futex_wake, BufferPool, FutexWord, Interest, LinuxBackend, LinuxPort,
};
pub use crate::backend::sim::SimBackend;
pub use crate::backend::{Backend, CancelAnswer, NoPreArm, Poller, PreArm, Recheck, Signal};
pub use crate::core::StateName;
pub use crate::error::Error;
pub use crate::event::{
    CancelMode, CancelOutcome, Completion, Event, EventKind, Events, Key, Mode, SourceId,
    SourceKind, Timeout,
};
pub use crate::history::Record;
pub use crate::mutant::Mutant;
pub use crate::port::{Config, Port};
