//! Rules a library adds to the kernel profile it wraps: what the library
//! itself documents doing between its caller and the kernel, so that its
//! histories are checked against what it promises rather than against the
//! bare mechanism. Each rule cites the library's own documentation.
//!
//! A rule here never changes what the kernel may do (that is the profile's,
//! in [`onering_model`]); it only says which recorded calls the library
//! answered without reaching the kernel, and those calls are taken out of
//! the history the profile judges. Everything else is judged as recorded.

use onering_check::history::parse::{Op, Res};
use onering_check::history::Call;

/// What a library documents doing on its own, on top of its profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LibraryRules {
    /// Name, appended to the profile's in reports (`epoll+polling`); empty
    /// for none.
    pub name: &'static str,
    /// A `wait` that overlaps another thread's `wait` on the same poller
    /// may return at once with no events and without reaching the kernel.
    /// polling (3.11, `Poller::wait`): "Only one thread can wait on I/O. If
    /// another thread is already in `wait()`, concurrent calls to this
    /// method will return immediately with no new events." (`wait_impl`:
    /// `self.lock.try_lock()` failing returns `Ok(0)`; every other return
    /// is `epoll_wait`'s.)
    pub busy_wait_returns_empty: bool,
}

impl LibraryRules {
    /// No rule: the history is judged by the profile alone.
    pub const NONE: LibraryRules = LibraryRules {
        name: "",
        busy_wait_returns_empty: false,
    };

    /// smol-rs `polling` 3.x: one thread in `wait` at a time; a concurrent
    /// `wait` returns empty at once.
    pub const POLLING: LibraryRules = LibraryRules {
        name: "polling",
        busy_wait_returns_empty: true,
    };

    /// `profile` with these rules, as reports name it.
    pub fn label(&self, profile: &str) -> String {
        if self.name.is_empty() {
            profile.to_string()
        } else {
            format!("{profile}+{}", self.name)
        }
    }

    /// Whether call `i` of `calls` is one the library may have answered
    /// itself: under [`LibraryRules::busy_wait_returns_empty`], a `wait`
    /// that returned no event while another thread's `wait` on the same
    /// port had started and not yet returned (`[call, ret]` intervals
    /// overlap; a wait that never returned overlaps everything after its
    /// start).
    pub fn answered_by_library(&self, calls: &[Call], i: usize) -> bool {
        let c = &calls[i];
        let empty = matches!(&c.result, Some(Res::Events(e)) if e.is_empty());
        if !self.busy_wait_returns_empty || !matches!(c.op, Op::Wait { .. }) || !empty {
            return false;
        }
        let Some(ret) = c.ret else { return false };
        calls.iter().any(|o| {
            matches!(o.op, Op::Wait { .. })
                && o.port == c.port
                && o.thread != c.thread
                && o.call < ret
                && o.ret.is_none_or(|r| r > c.call)
        })
    }

    /// The calls the kernel saw: `calls` without those the library answered
    /// itself ([`LibraryRules::answered_by_library`]). Each keeps its line,
    /// so a failure still names the history's lines.
    pub fn kernel_calls(&self, calls: &[Call]) -> Vec<Call> {
        (0..calls.len())
            .filter(|&i| !self.answered_by_library(calls, i))
            .map(|i| calls[i].clone())
            .collect()
    }
}
