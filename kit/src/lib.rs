//! # onering-kit: check any event library against the onering model
//!
//! Three pieces, usable apart:
//!
//! * [`Recorder`]: wrap it around a library's calls and get a history in
//!   the format of `docs/history-format.md` (one stamp counter, thread
//!   numbers, environment steps, calls that never returned). Switched off
//!   it costs one branch per call.
//! * [`Harness`]: a trait of a few methods (register, modify, cancel, wait,
//!   wake) that lets the kit's scenario generator ([`drive`]) drive a
//!   library with concurrent workloads over real pipes, sockets and
//!   eventfds, shrink a rejected workload with proptest, and count
//!   verdicts over many seeds; [`corpus`] runs a fixed set of named races
//!   on any harness.
//! * [`check`]: the checker's typed [`Verdict`] for a history under a
//!   profile ([`onering_model::profile`]), the same as `onering verify`;
//!   [`check_with`] adds a library's own documented rules
//!   ([`LibraryRules`], e.g. polling's empty answer to a concurrent wait).
//!
//! The semantics (what a profile allows) are stated once, in
//! [`onering_model`]; this crate only records and forwards.
//!
//! ## Recording by hand
//!
//! ```
//! use onering_kit::{check, CancelAnswer, Event, Key, Mode, Op, Outcome, Recorder, Timeout};
//!
//! let rec = Recorder::new();
//! // ... around the library's register(fd 0, oneshot) returning key 7:
//! let p = rec.begin(Op::Register { source: 0, mode: Mode::Oneshot });
//! p.end(Outcome::Key(Key::new(7)));
//! // the environment writes to the pipe:
//! rec.call(Op::Raise { source: 0 }, || ((), Outcome::Ok));
//! // a wait returns the event:
//! let p = rec.begin(Op::Wait { max: 4, timeout: Timeout::Poll });
//! p.end(Outcome::Events(vec![Event::Ready(Key::new(7))]));
//! // a second wait, blocking, never returns (still open when the history is taken):
//! let _blocked = rec.begin(Op::Wait { max: 4, timeout: Timeout::Block });
//!
//! let history = rec.history();
//! assert!(history.to_jsonl().lines().last().unwrap().contains(r#""op":"wait""#));
//! let epoll = onering_model::profile("epoll").unwrap();
//! assert!(check(&history, &epoll).unwrap().is_linearizable());
//!
//! // A oneshot registration delivers once: a second delivery is rejected.
//! let rec = Recorder::new();
//! rec.begin(Op::Register { source: 0, mode: Mode::Oneshot }).end(Outcome::Key(Key::new(7)));
//! rec.call(Op::Raise { source: 0 }, || ((), Outcome::Ok));
//! for _ in 0..2 {
//!     let p = rec.begin(Op::Wait { max: 4, timeout: Timeout::Poll });
//!     p.end(Outcome::Events(vec![Event::Ready(Key::new(7))]));
//! }
//! let v = check(&rec.history(), &epoll).unwrap();
//! assert!(!v.is_linearizable());
//! # let _ = CancelAnswer::NotFound;
//! ```
//!
//! ## Adapting a library: the `polling` crate in thirty lines
//!
//! ```
//! use onering_kit::{drive, Harness, LibraryRules, Mode};
//! use polling::{Event, Events, PollMode, Poller};
//! use std::{io, num::NonZeroUsize, os::fd::{AsRawFd, BorrowedFd}, time::Duration};
//!
//! struct Polling(Poller);
//!
//! fn poll_mode(m: Mode) -> PollMode {
//!     match m { Mode::Level => PollMode::Level, Mode::Edge => PollMode::Edge, _ => PollMode::Oneshot }
//! }
//!
//! impl Harness for Polling {
//!     fn modes(&self) -> &'static [Mode] { &[Mode::Oneshot, Mode::Level, Mode::Edge] }
//!     // polling: "If another thread is already in wait(), concurrent calls
//!     // to this method will return immediately with no new events".
//!     fn library_rules(&self) -> LibraryRules { LibraryRules::POLLING }
//!     fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
//!         // SAFETY: the driver deletes every registration before the fd closes.
//!         unsafe { self.0.add_with_mode(fd.as_raw_fd(), Event::readable(token), poll_mode(mode)) }
//!     }
//!     fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
//!         self.0.modify_with_mode(fd, Event::readable(token), poll_mode(mode))
//!     }
//!     fn cancel(&self, fd: BorrowedFd<'_>, _token: usize) -> io::Result<()> { self.0.delete(fd) }
//!     fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
//!         // Two extra slots: polling's notifier and timer share the batch.
//!         let mut ev = Events::with_capacity(NonZeroUsize::new(max + 2).unwrap());
//!         self.0.wait(&mut ev, t)?;
//!         out.extend(ev.iter().map(|e| e.key));
//!         Ok(max)
//!     }
//!     fn wake(&self) -> io::Result<()> { self.0.notify() }
//! }
//!
//! let epoll = onering_model::profile("epoll").unwrap();
//! let tallies = drive::campaign(
//!     || Ok(Polling(Poller::new()?)),
//!     drive::Shape::default(),
//!     0..4,
//!     &[epoll],
//!     drive::RunLimits::default(),
//! ).unwrap();
//! assert_eq!(tallies[0].runs, 4);
//! assert_eq!(tallies[0].rejected, 0, "{:?}", tallies[0].first_rejected);
//! ```
#![forbid(unsafe_code)]

pub mod campaign;
pub mod corpus;
pub mod drive;
pub mod emit;
pub mod fd;
pub mod harness;
pub mod history;
pub mod library;
pub mod recorder;
pub mod suite;
pub mod variant;
pub mod verdict;
pub mod workload;

pub use harness::Harness;
pub use history::{
    CancelAnswer, CancelMode, Completion, Event, History, Key, Mode, Op, Outcome, Record, Refusal,
    SourceKind, Timeout,
};
pub use library::LibraryRules;
pub use recorder::{Pending, Recorder};
pub use variant::Variant;
pub use verdict::{
    check, check_text, check_text_with, check_with, explain, explain_with, CheckError, Failure,
    Verdict,
};
