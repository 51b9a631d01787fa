//! The recorder an outside library wraps around its calls.
//!
//! One atomic stamp counter gives every invocation and response a unique,
//! increasing stamp (`call` is taken before the wrapped call starts, `ret`
//! after it ended, so the call's effect lies inside `[call, ret]`). Threads
//! are numbered on their first recorded call. A call is *open* from
//! [`Recorder::begin`] until [`Pending::end`]; a call still open when the
//! history is taken (a thread blocked forever, or a [`Pending`] dropped by a
//! panic) is written as never-returned, which the format allows: it may or
//! may not have taken effect.
//!
//! Switched off ([`Recorder::off`]) every method is one branch on a field
//! of the recorder, and [`Pending`] holds nothing (see `benches/recorder_off.rs`).

use crate::history::{History, Op, Outcome, Record};
use std::cell::RefCell;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};

static NEXT_RECORDER: AtomicU64 = AtomicU64::new(1);

thread_local! {
    /// (recorder id, thread number) for each recorder this thread used.
    static THREAD_IDS: RefCell<Vec<(u64, u32)>> = const { RefCell::new(Vec::new()) };
}

#[derive(Default)]
struct Book {
    done: Vec<Record>,
    /// Open calls by invocation stamp.
    open: HashMap<u64, Record>,
}

struct Inner {
    id: u64,
    stamps: AtomicU64,
    threads: AtomicU32,
    book: Mutex<Book>,
}

/// Records calls into a history. Cheap to clone (one `Arc`); clones share
/// the counter and the history.
#[derive(Clone)]
pub struct Recorder {
    inner: Option<Arc<Inner>>,
}

impl Default for Recorder {
    fn default() -> Self {
        Recorder::new()
    }
}

impl Recorder {
    /// A recorder that records.
    pub fn new() -> Recorder {
        Recorder {
            inner: Some(Arc::new(Inner {
                id: NEXT_RECORDER.fetch_add(1, Ordering::Relaxed),
                stamps: AtomicU64::new(0),
                threads: AtomicU32::new(0),
                book: Mutex::new(Book::default()),
            })),
        }
    }

    /// A recorder that records nothing and costs one branch per call.
    pub const fn off() -> Recorder {
        Recorder { inner: None }
    }

    /// Whether calls are recorded (build costly arguments only then).
    #[inline]
    pub fn is_on(&self) -> bool {
        self.inner.is_some()
    }

    /// Starts a call: takes its thread number and `call` stamp. Call it
    /// right before the library call; finish with [`Pending::end`].
    #[inline]
    pub fn begin(&self, op: Op) -> Pending<'_> {
        match &self.inner {
            None => Pending { open: None },
            Some(inner) => inner.begin(op),
        }
    }

    /// [`Recorder::begin`] with the operation built only when recording.
    #[inline]
    pub fn begin_with(&self, op: impl FnOnce() -> Op) -> Pending<'_> {
        match &self.inner {
            None => Pending { open: None },
            Some(inner) => inner.begin(op()),
        }
    }

    /// Records `f` as one call of `op` whose result `f` also describes.
    #[inline]
    pub fn call<T>(&self, op: Op, f: impl FnOnce() -> (T, Outcome)) -> T {
        let p = self.begin(op);
        let (t, outcome) = f();
        p.end(outcome);
        t
    }

    /// The history so far: completed calls by `ret`, then the calls still
    /// open, as never-returned. Recording goes on afterwards.
    pub fn history(&self) -> History {
        let Some(inner) = &self.inner else {
            return History::default();
        };
        let book = inner.book.lock().unwrap_or_else(PoisonError::into_inner);
        let mut records = book.done.clone();
        records.extend(book.open.values().cloned());
        History::new(records)
    }

    /// Stamps taken so far.
    pub fn stamps(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.stamps.load(Ordering::SeqCst))
    }
}

impl Inner {
    fn thread(&self) -> u32 {
        THREAD_IDS.with(|ids| {
            let mut ids = ids.borrow_mut();
            if let Some((_, t)) = ids.iter().find(|(r, _)| *r == self.id) {
                return *t;
            }
            let t = self.threads.fetch_add(1, Ordering::SeqCst);
            ids.push((self.id, t));
            t
        })
    }

    fn stamp(&self) -> u64 {
        // SeqCst: stamps are totally ordered with every other SeqCst
        // operation, so "A returned before B was invoked" implies
        // A.ret < B.call.
        self.stamps.fetch_add(1, Ordering::SeqCst)
    }

    fn begin(&self, op: Op) -> Pending<'_> {
        let thread = self.thread();
        let rec = Record {
            thread,
            call: 0,
            ret: None,
            op,
            result: None,
        };
        // The book's lock is taken before the stamp so that the stamp is the
        // last thing before the library call.
        let mut book = self.book.lock().unwrap_or_else(PoisonError::into_inner);
        let call = self.stamp();
        book.open.insert(call, Record { call, ..rec });
        Pending {
            open: Some((self, call)),
        }
    }
}

/// A call in progress. [`Pending::end`] stamps its response and result;
/// dropped without it, the call stays open and is written as never-returned.
#[must_use = "a call never ended is recorded as never-returned"]
pub struct Pending<'a> {
    open: Option<(&'a Inner, u64)>,
}

impl Pending<'_> {
    /// Ends the call with what it returned.
    #[inline]
    pub fn end(self, outcome: Outcome) {
        if let Some((inner, call)) = self.open {
            end(inner, call, Some(outcome));
        }
    }

    /// [`Pending::end`] with the outcome built only when recording.
    #[inline]
    pub fn end_with(self, outcome: impl FnOnce() -> Outcome) {
        if let Some((inner, call)) = self.open {
            end(inner, call, Some(outcome()));
        }
    }

    /// Ends the call with arguments known only now (for example a wait's
    /// effective `max`, when the library used some of the batch's slots
    /// for its own wake-ups).
    pub fn end_as(self, op: Op, outcome: Outcome) {
        if let Some((inner, call)) = self.open {
            end_op(inner, call, Some(outcome), Some(op));
        }
    }

    /// Ends the call with its result unknown (it took effect somehow).
    pub fn end_unknown(self) {
        if let Some((inner, call)) = self.open {
            end(inner, call, None);
        }
    }
}

fn end(inner: &Inner, call: u64, result: Option<Outcome>) {
    end_op(inner, call, result, None);
}

fn end_op(inner: &Inner, call: u64, result: Option<Outcome>, op: Option<Op>) {
    let ret = inner.stamp();
    let mut book = inner.book.lock().unwrap_or_else(PoisonError::into_inner);
    if let Some(mut rec) = book.open.remove(&call) {
        rec.ret = Some(ret);
        rec.result = result;
        if let Some(op) = op {
            rec.op = op;
        }
        book.done.push(rec);
    }
}
