//! # onering-history: the wire format of a recorded history
//!
//! A *history* is what happened on a port: every call, who made it, when it
//! was invoked and returned (one logical counter), and what it returned. The
//! format is JSON Lines, versioned by a `"v"` key on every line, and is
//! documented for people in `docs/history-format.md`; this crate is its one
//! implementation. The reference Port's recorder writes with [`Writer`],
//! `onering verify` and every test read with [`read`].
//!
//! The words (source kinds, modes, cancel modes, cancel answers) are the
//! model's ([`onering_model`]); a reader error names the line, the field and
//! the values the model's vocabulary allows.
//!
//! ```
//! use onering_history::{read, to_jsonl, Line, Op, CallResult, KeyRef};
//! use onering_model::{Mode, SourceKind};
//! let lines = vec![
//!     Line::new(0, 1, 2, Op::AddSource { kind: SourceKind::Level }, CallResult::Source { source: 0 }),
//!     Line::new(0, 3, 4, Op::Register { source: 0, mode: Mode::Dispatch, interest: None, edge: false },
//!               CallResult::Key { key: KeyRef { index: 0, generation: 0 } }),
//! ];
//! let text = to_jsonl(&lines);
//! assert_eq!(read(&text).unwrap(), lines);
//! ```
#![forbid(unsafe_code)]
#![warn(missing_docs)]

mod read;
mod scan;
mod vocab;
mod wire;
mod write;

pub use read::{read, read_line, read_numbered, read_numbered_while, ReadError, READ_CHUNK};
pub use wire::{
    CallResult, Completion, Event, Interest, KeyRef, Line, Op, Timeout, WaitEnd, FIRST_VERSION,
    VERSION,
};
pub use write::{to_jsonl, write_line, Writer};
