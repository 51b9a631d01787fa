//! A deterministic simulated kernel: sources are plain values changed by
//! explicit environment steps. It compiles everywhere and is what the tests,
//! loom and shuttle drive.

use std::time::Duration;

use crate::backend::{Backend, CancelAnswer, Marks, NoPreArm, Poller, Recheck, Signal};
use crate::error::Error;
use crate::event::{Mode, SourceId, SourceKind};
use crate::sync::{Condvar, Mutex};

#[derive(Clone, Debug)]
struct SimSource {
    kind: SourceKind,
    /// `Level`/`Sticky`: the condition; `Counter`: `count > 0`.
    level: bool,
    count: u64,
    closed: bool,
}

/// The simulated backend. Source ids are allocated densely from 0.
#[derive(Clone, Debug, Default)]
pub struct SimBackend {
    sources: Vec<SimSource>,
    /// Cancels are deferred: `cancel_op` only records the request and the
    /// cancelled completion is posted by [`Port::cancel_lands`].
    ///
    /// [`Port::cancel_lands`]: crate::Port::cancel_lands
    deferred_cancel: bool,
    /// Operations whose deferred cancel has not landed yet.
    cancel_requested: Vec<SourceId>,
}

impl SimBackend {
    /// An empty simulated kernel whose cancels win at once.
    pub fn new() -> Self {
        Self::default()
    }

    /// An empty simulated kernel whose cancels are asynchronous, like
    /// io_uring's: after `cancel` answers `Pending` the operation's own
    /// completion ([`Port::complete`]) and the cancel's
    /// ([`Port::cancel_lands`]) race, and the first one is the final event.
    ///
    /// [`Port::complete`]: crate::Port::complete
    /// [`Port::cancel_lands`]: crate::Port::cancel_lands
    pub fn with_deferred_cancel() -> Self {
        Self {
            deferred_cancel: true,
            ..Self::default()
        }
    }

    /// Takes the pending deferred cancel of `s`; true if there was one.
    pub fn take_cancel_request(&mut self, s: SourceId) -> bool {
        let before = self.cancel_requested.len();
        self.cancel_requested.retain(|&r| r != s);
        before != self.cancel_requested.len()
    }

    /// Creates a source of `kind` (condition lowered, count zero).
    pub fn add(&mut self, kind: SourceKind) -> SourceId {
        let id = SourceId(u32::try_from(self.sources.len()).expect("more than u32::MAX sources"));
        self.sources.push(SimSource {
            kind,
            level: false,
            count: 0,
            closed: false,
        });
        id
    }

    fn get(&self, s: SourceId) -> Result<&SimSource, Error> {
        self.sources
            .get(s.0 as usize)
            .ok_or(Error::UnknownSource(s))
    }

    fn get_mut(&mut self, s: SourceId) -> Result<&mut SimSource, Error> {
        self.sources
            .get_mut(s.0 as usize)
            .ok_or(Error::UnknownSource(s))
    }

    /// Raises a `Level` condition (a raise of a true condition is still a
    /// wake-up) or, once, a `Sticky` one.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::InvalidStep`].
    pub fn raise(&mut self, s: SourceId) -> Result<(), Error> {
        let src = self.get_mut(s)?;
        if src.closed {
            return Err(Error::Closed(s));
        }
        match src.kind {
            SourceKind::Level => {
                src.level = true;
                Ok(())
            }
            // A sticky condition (process exit, hang-up) is raised once; the
            // model has no second raise to report.
            SourceKind::Sticky if !src.level => {
                src.level = true;
                Ok(())
            }
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// Lowers a `Level` condition.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`] for anything but `Level`.
    pub fn lower(&mut self, s: SourceId) -> Result<(), Error> {
        let src = self.get_mut(s)?;
        match src.kind {
            SourceKind::Level => {
                src.level = false;
                Ok(())
            }
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// Adds `n` to a `Counter`.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::Closed`], [`Error::InvalidStep`].
    pub fn increment(&mut self, s: SourceId, n: u64) -> Result<(), Error> {
        let src = self.get_mut(s)?;
        if src.closed {
            return Err(Error::Closed(s));
        }
        match src.kind {
            SourceKind::Counter => {
                src.count = src.count.saturating_add(n);
                src.level = src.count > 0;
                Ok(())
            }
            _ => Err(Error::InvalidStep(s)),
        }
    }

    /// The counter's value (0 for other kinds).
    pub fn count(&self, s: SourceId) -> u64 {
        self.get(s).map_or(0, |src| src.count)
    }

    /// Closes a source: it reports nothing more and cannot be registered.
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`].
    pub fn close(&mut self, s: SourceId) -> Result<(), Error> {
        let src = self.get_mut(s)?;
        src.closed = true;
        src.level = false;
        Ok(())
    }

    /// Checks that `s` is an operation or futex source (for `complete`,
    /// `stream_item`, `futex_wake`).
    ///
    /// # Errors
    ///
    /// [`Error::UnknownSource`], [`Error::InvalidStep`].
    pub fn expect_kind(&self, s: SourceId, kind: SourceKind) -> Result<(), Error> {
        if self.get(s)?.kind == kind {
            Ok(())
        } else {
            Err(Error::InvalidStep(s))
        }
    }
}

/// The simulator's poller: a waiting thread sleeps on a condition variable
/// until it is handed a permit ([`Poller::notify`]). The simulator has no
/// kernel queue (its environment steps are applied to the core directly,
/// under the port's lock, by whichever thread performs them), so `take`
/// never returns a token; this is exactly the blocking and wake-up half of
/// the contract, which is what loom and shuttle exercise.
#[derive(Debug)]
pub struct SimPoller {
    /// One coalescing permit, like an eventfd's non-zero count.
    permit: Mutex<bool>,
    cond: Condvar,
}

impl Poller for SimPoller {
    /// The simulator has no kernel queue: nothing to take.
    fn take(&self, _out: &mut Vec<u64>, _max: usize) -> Result<(), Error> {
        Ok(())
    }

    fn block(&self, timeout: Option<Duration>) -> Result<(), Error> {
        let mut permit = self.permit.lock();
        match timeout {
            None => {
                while !*permit {
                    permit = self.cond.wait(permit);
                }
            }
            Some(d) if !*permit && !d.is_zero() => {
                // One timed sleep: a spurious or timed-out return is allowed.
                permit = self.cond.wait_timeout(permit, d);
            }
            Some(_) => {}
        }
        *permit = false;
        Ok(())
    }

    fn notify(&self) {
        *self.permit.lock() = true;
        self.cond.notify_one();
    }
}

impl Backend for SimBackend {
    type Poller = SimPoller;
    type PreArm = NoPreArm;

    fn prearm(&mut self, _source: SourceId, _mode: Mode) -> Option<(NoPreArm, bool)> {
        None
    }

    const KERNEL_QUEUE: bool = false;

    fn poller(&mut self) -> SimPoller {
        SimPoller {
            permit: Mutex::new(false),
            cond: Condvar::new(),
        }
    }

    fn arm(&mut self, _source: SourceId, _mode: Mode) -> Result<Recheck, Error> {
        Ok(Recheck::Now)
    }

    fn unregister(&mut self, _source: SourceId) {}

    fn submit(&mut self, _source: SourceId, _mode: Mode) -> Result<(), Error> {
        Ok(())
    }

    fn harvest(&mut self, _token: u64, _marks: Marks, _out: &mut Vec<Signal>) -> Option<SourceId> {
        None
    }

    fn kind(&self, source: SourceId) -> Result<SourceKind, Error> {
        let src = self.get(source)?;
        if src.closed {
            Err(Error::Closed(source))
        } else {
            Ok(src.kind)
        }
    }

    fn is_ready(&self, source: SourceId) -> bool {
        self.get(source).is_ok_and(|s| !s.closed && s.level)
    }

    fn consume(&mut self, source: SourceId) -> Result<(), Error> {
        let src = self.get_mut(source)?;
        // Only a `Level` or `Counter` condition can be drained (the model's
        // precondition); a sticky condition never lowers.
        onering_model::consume_fits(src.kind).map_err(|_| Error::InvalidStep(source))?;
        src.level = false;
        if src.kind == SourceKind::Counter {
            src.count = 0;
        }
        Ok(())
    }

    /// Wins at once, unless built [`with_deferred_cancel`](Self::with_deferred_cancel).
    fn cancel_op(&mut self, source: SourceId) -> CancelAnswer {
        if self.deferred_cancel {
            if !self.cancel_requested.contains(&source) {
                self.cancel_requested.push(source);
            }
            CancelAnswer::Requested
        } else {
            CancelAnswer::Stopped
        }
    }
}
