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

#![allow(clippy::disallowed_types)] // The one place that names them.

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

    std::thread_local! {
        /// The id, read once per thread: `thread::current()` clones the
        /// thread's handle (two atomic operations) on every call.
        static ID: ThreadId = std::thread::current().id();
    }

    pub(crate) fn current_thread() -> ThreadId {
        ID.with(|id| *id)
    }
}

pub(crate) use imp::{current_thread, MutexGuard, Ordering, ThreadId};

/// Memory the kernel shares with the process (futex words, fds the kernel
/// holds while an operation is in flight): always std, never modelled by
/// loom or shuttle, because the kernel reads the real address.
#[cfg(all(target_os = "linux", not(loom)))]
pub(crate) mod os {
    pub(crate) use std::sync::atomic::{AtomicU16, AtomicU32};

    /// A reference-counted pointer to memory or fds the kernel may hold.
    #[derive(Debug, Default)]
    pub(crate) struct Arc<T>(std::sync::Arc<T>);

    impl<T> Arc<T> {
        pub(crate) fn new(t: T) -> Self {
            Self(std::sync::Arc::new(t))
        }
    }

    impl<T> Clone for Arc<T> {
        fn clone(&self) -> Self {
            Self(self.0.clone())
        }
    }

    /// A counter shared with code running without the port's lock
    /// (sequentially consistent: the order of its bumps and reads is one
    /// order every thread agrees on).
    #[derive(Debug, Default)]
    pub(crate) struct Counter(std::sync::atomic::AtomicU64);

    impl Counter {
        /// Adds one; the new value.
        pub(crate) fn bump(&self) -> u64 {
            self.0.fetch_add(1, std::sync::atomic::Ordering::SeqCst) + 1
        }

        pub(crate) fn get(&self) -> u64 {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    /// A sticky flag shared with code running without the port's lock.
    #[derive(Debug, Default)]
    pub(crate) struct Flag(std::sync::atomic::AtomicBool);

    impl Flag {
        pub(crate) fn set(&self) {
            self.0.store(true, std::sync::atomic::Ordering::SeqCst);
        }

        pub(crate) fn get(&self) -> bool {
            self.0.load(std::sync::atomic::Ordering::SeqCst)
        }
    }

    impl<T> std::ops::Deref for Arc<T> {
        type Target = T;
        fn deref(&self) -> &T {
            &self.0
        }
    }
}

/// Identifies the calling thread for holding (DESIGN §3.1): the facade's
/// thread id, so loom and shuttle threads are told apart too.
pub(crate) type ThreadToken = ThreadId;

/// A mutex without poisoning.
#[derive(Debug)]
pub(crate) struct Mutex<T>(imp::Mutex<T>);

impl<T> Mutex<T> {
    pub(crate) fn new(t: T) -> Self {
        Self(imp::Mutex::new(t))
    }

    /// Locks, ignoring poisoning.
    pub(crate) fn lock(&self) -> MutexGuard<'_, T> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// A condition variable without poisoning.
#[derive(Debug)]
pub(crate) struct Condvar(imp::Condvar);

impl Condvar {
    pub(crate) fn new() -> Self {
        Self(imp::Condvar::new())
    }

    /// Blocks until notified (spurious wake-ups possible).
    pub(crate) fn wait<'a, T>(&self, g: MutexGuard<'a, T>) -> MutexGuard<'a, T> {
        self.0.wait(g).unwrap_or_else(|e| e.into_inner())
    }

    /// Blocks for at most `dur`. Under loom this never times out (loom does
    /// not model time); harnesses use `Poll` or `Block` only.
    pub(crate) fn wait_timeout<'a, T>(
        &self,
        g: MutexGuard<'a, T>,
        dur: std::time::Duration,
    ) -> MutexGuard<'a, T> {
        match self.0.wait_timeout(g, dur) {
            Ok((g, _)) => g,
            Err(e) => e.into_inner().0,
        }
    }

    pub(crate) fn notify_one(&self) {
        self.0.notify_one();
    }
}

/// A 64-bit atomic counter.
#[derive(Debug)]
pub(crate) struct AtomicU64(imp::AtomicU64);

impl AtomicU64 {
    pub(crate) fn new(v: u64) -> Self {
        Self(imp::AtomicU64::new(v))
    }

    pub(crate) fn fetch_add(&self, v: u64, order: Ordering) -> u64 {
        self.0.fetch_add(v, order)
    }
}
