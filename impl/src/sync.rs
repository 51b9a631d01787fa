//! The one synchronization facade: every lock, condition variable, atomic and
//! thread id the crate uses comes from here, so that the same code runs on
//! `std`, under loom (`RUSTFLAGS="--cfg loom"`) and under shuttle (the
//! `shuttle` feature). No other module names `std::sync`.
//!
//! Poisoning is removed from the API: a panic while the port's lock is held
//! leaves the queue in whatever state the panicking call reached, and the
//! next caller proceeds (the same choice tokio's facade makes).
//!
//! `cfg(loom)` wins over the `shuttle` feature when both are set.

#[cfg(loom)]
mod imp {
    pub(crate) use loom::sync::atomic::{AtomicU64, Ordering};
    pub(crate) use loom::sync::{Condvar, Mutex, MutexGuard};
    pub(crate) use loom::thread::ThreadId;

    pub(crate) fn current_thread() -> ThreadId {
        loom::thread::current().id()
    }
}

#[cfg(all(not(loom), feature = "shuttle"))]
mod imp {
    pub(crate) use shuttle::sync::atomic::{AtomicU64, Ordering};
    pub(crate) use shuttle::sync::{Condvar, Mutex, MutexGuard};
    pub(crate) use shuttle::thread::ThreadId;

    pub(crate) fn current_thread() -> ThreadId {
        shuttle::thread::current().id()
    }
}

#[cfg(all(not(loom), not(feature = "shuttle")))]
mod imp {
    pub(crate) use std::sync::atomic::{AtomicU64, Ordering};
    pub(crate) use std::sync::{Condvar, Mutex, MutexGuard};
    pub(crate) use std::thread::ThreadId;

    pub(crate) fn current_thread() -> ThreadId {
        std::thread::current().id()
    }
}

pub(crate) use imp::{current_thread, AtomicU64, Condvar, Mutex, MutexGuard, Ordering, ThreadId};

/// Identifies the calling thread for holding (DESIGN §3.1): the facade's
/// thread id, so loom and shuttle threads are told apart too.
pub(crate) type ThreadToken = ThreadId;

/// Locks `m`, ignoring poisoning.
pub(crate) fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(|e| e.into_inner())
}

/// Blocks on `cv` until notified (spurious wake-ups possible).
pub(crate) fn wait<'a, T>(cv: &Condvar, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
    cv.wait(g).unwrap_or_else(|e| e.into_inner())
}

/// Blocks on `cv` for at most `dur`. Under loom this never times out (loom
/// does not model time); harnesses use `Poll` or `Block` only.
pub(crate) fn wait_timeout<'a, T>(
    cv: &Condvar,
    g: MutexGuard<'a, T>,
    dur: std::time::Duration,
) -> MutexGuard<'a, T> {
    match cv.wait_timeout(g, dur) {
        Ok((g, _)) => g,
        Err(e) => e.into_inner().0,
    }
}
