//! A harness changed in one respect ([`Variant`]): fewer modes, one
//! waiting thread, the library's own re-arm, other library rules, or a
//! broken one that drops or duplicates events. The last is how an adapter
//! shows that its check can fail: a mutant of the library must be
//! rejected.

use crate::harness::Harness;
use crate::library::LibraryRules;
use onering_model::Mode;
use rustix::fd::BorrowedFd;
use std::io;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

/// Rewrites the tokens one wait returned.
type Tokens = Box<dyn Fn(&mut Vec<usize>) + Sync>;

/// `inner` with some of its answers replaced; every call is forwarded.
pub struct Variant<H> {
    /// The harness forwarded to.
    pub inner: H,
    modes: Option<&'static [Mode]>,
    concurrent_waits: Option<bool>,
    has_rearm: Option<bool>,
    library_rules: Option<LibraryRules>,
    tokens: Option<Tokens>,
}

impl<H: Harness> Variant<H> {
    /// `inner` unchanged.
    pub fn new(inner: H) -> Variant<H> {
        Variant {
            inner,
            modes: None,
            concurrent_waits: None,
            has_rearm: None,
            library_rules: None,
            tokens: None,
        }
    }

    /// Only these modes.
    pub fn modes(mut self, modes: &'static [Mode]) -> Self {
        self.modes = Some(modes);
        self
    }

    /// Only thread 0 waits.
    pub fn one_waiter(mut self) -> Self {
        self.concurrent_waits = Some(false);
        self
    }

    /// The re-arm is recorded as the library's own `rearm(key)`
    /// ([`Harness::has_rearm`]), not as `modify`.
    pub fn rearm_recorded_as_rearm(mut self) -> Self {
        self.has_rearm = Some(true);
        self
    }

    /// Histories judged under `rules` instead of the harness's own.
    pub fn library_rules(mut self, rules: LibraryRules) -> Self {
        self.library_rules = Some(rules);
        self
    }

    /// A broken library: every wait's tokens pass through `f` (drop some,
    /// repeat some) before they are recorded.
    pub fn tokens(mut self, f: impl Fn(&mut Vec<usize>) + Sync + 'static) -> Self {
        self.tokens = Some(Box::new(f));
        self
    }

    /// A broken library that loses every `n`-th event it reports.
    pub fn loses_every(self, n: usize) -> Self {
        let seen = AtomicUsize::new(0);
        self.tokens(move |t| t.retain(|_| seen.fetch_add(1, Ordering::Relaxed) % n != n - 1))
    }

    /// A broken library that reports every event twice in its batch.
    pub fn duplicates_events(self) -> Self {
        self.tokens(|t| *t = t.iter().flat_map(|x| [*x, *x]).collect())
    }
}

impl<H: Harness> Harness for Variant<H> {
    fn modes(&self) -> &'static [Mode] {
        self.modes.unwrap_or_else(|| self.inner.modes())
    }
    fn concurrent_waits(&self) -> bool {
        self.concurrent_waits
            .unwrap_or_else(|| self.inner.concurrent_waits())
    }
    fn library_rules(&self) -> LibraryRules {
        self.library_rules
            .unwrap_or_else(|| self.inner.library_rules())
    }
    fn register(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.inner.register(fd, token, mode)
    }
    fn modify(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.inner.modify(fd, token, mode)
    }
    fn rearm(&self, fd: BorrowedFd<'_>, token: usize, mode: Mode) -> io::Result<()> {
        self.inner.rearm(fd, token, mode)
    }
    fn has_rearm(&self) -> bool {
        self.has_rearm.unwrap_or_else(|| self.inner.has_rearm())
    }
    fn cancel(&self, fd: BorrowedFd<'_>, token: usize) -> io::Result<()> {
        self.inner.cancel(fd, token)
    }
    fn wait(&self, max: usize, t: Option<Duration>, out: &mut Vec<usize>) -> io::Result<usize> {
        let Some(f) = &self.tokens else {
            return self.inner.wait(max, t, out);
        };
        let mut mine = Vec::new();
        let room = self.inner.wait(max, t, &mut mine)?;
        f(&mut mine);
        out.extend(mine);
        Ok(room)
    }
    fn wake(&self) -> io::Result<()> {
        self.inner.wake()
    }
}
