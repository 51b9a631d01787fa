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
//! Each thread records into its own book (a mutex no other thread takes
//! until the history is read), so recording adds no contention between
//! the threads under test beyond the one atomic counter.
//!
//! Switched off ([`Recorder::off`]) every method is one branch on a field
//! of the recorder, and [`Pending`] holds nothing (see `benches/recorder_off.rs`).

use crate::history::{History, Op, Outcome, Record};
use std::cell::RefCell;
use std::sync::atomic::{AtomicU32, AtomicU64, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError, Weak};

static NEXT_RECORDER: AtomicU64 = AtomicU64::new(1);

/// One thread's records.
#[derive(Default)]
struct ThreadBook {
    done: Vec<Record>,
    /// Calls begun and not ended (one, unless calls nest on a thread).
    open: Vec<Record>,
}

type Book = Arc<Mutex<ThreadBook>>;

fn lock(b: &Book) -> MutexGuard<'_, ThreadBook> {
    b.lock().unwrap_or_else(PoisonError::into_inner)
}

struct Entry {
    recorder: u64,
    alive: Weak<Inner>,
    thread: u32,
    book: Book,
}

thread_local! {
    /// This thread's number and book in each recorder it used.
    static BOOKS: RefCell<Vec<Entry>> = const { RefCell::new(Vec::new()) };
}

struct Inner {
    id: u64,
    stamps: AtomicU64,
    threads: AtomicU32,
    /// Every thread's book, in order of first call.
    books: Mutex<Vec<Book>>,
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
                books: Mutex::new(Vec::new()),
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
    pub fn begin(&self, op: Op) -> Pending {
        match &self.inner {
            None => Pending { open: None },
            Some(inner) => begin(inner, op),
        }
    }

    /// [`Recorder::begin`] with the operation built only when recording.
    #[inline]
    pub fn begin_with(&self, op: impl FnOnce() -> Op) -> Pending {
        match &self.inner {
            None => Pending { open: None },
            Some(inner) => begin(inner, op()),
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
        let books = inner.books.lock().unwrap_or_else(PoisonError::into_inner);
        let mut records = Vec::new();
        for b in books.iter() {
            let b = lock(b);
            records.extend(b.done.iter().cloned());
            records.extend(b.open.iter().cloned());
        }
        History::new(records)
    }

    /// Stamps taken so far.
    pub fn stamps(&self) -> u64 {
        self.inner
            .as_ref()
            .map_or(0, |i| i.stamps.load(Ordering::SeqCst))
    }
}

/// This thread's number and book in `inner`, made on first use.
fn book(inner: &Arc<Inner>) -> (u32, Book) {
    BOOKS.with(|books| {
        let mut books = books.borrow_mut();
        if let Some(e) = books.iter().find(|e| e.recorder == inner.id) {
            return (e.thread, e.book.clone());
        }
        // Forget recorders that are gone (a thread may outlive many).
        books.retain(|e| e.alive.strong_count() > 0);
        let mut all = inner.books.lock().unwrap_or_else(PoisonError::into_inner);
        let thread = inner.threads.fetch_add(1, Ordering::SeqCst);
        let book = Book::default();
        all.push(book.clone());
        books.push(Entry {
            recorder: inner.id,
            alive: Arc::downgrade(inner),
            thread,
            book: book.clone(),
        });
        (thread, book)
    })
}

fn stamp(inner: &Inner) -> u64 {
    // SeqCst: stamps are totally ordered with every other SeqCst operation,
    // so "A returned before B was invoked" implies A.ret < B.call.
    inner.stamps.fetch_add(1, Ordering::SeqCst)
}

fn begin(inner: &Arc<Inner>, op: Op) -> Pending {
    let (thread, book) = book(inner);
    let mut b = lock(&book);
    // Stamped last, right before the library call.
    let call = stamp(inner);
    b.open.push(Record {
        thread,
        call,
        ret: None,
        op,
        result: None,
    });
    drop(b);
    Pending {
        open: Some(Open {
            inner: inner.clone(),
            book,
            call,
        }),
    }
}

struct Open {
    inner: Arc<Inner>,
    book: Book,
    call: u64,
}

/// A call in progress. [`Pending::end`] stamps its response and result;
/// dropped without it, the call stays open and is written as never-returned.
#[must_use = "a call never ended is recorded as never-returned"]
pub struct Pending {
    open: Option<Open>,
}

impl Pending {
    /// Ends the call with what it returned.
    #[inline]
    pub fn end(self, outcome: Outcome) {
        if let Some(o) = self.open {
            o.end(Some(outcome), None);
        }
    }

    /// [`Pending::end`] with the outcome built only when recording.
    #[inline]
    pub fn end_with(self, outcome: impl FnOnce() -> Outcome) {
        if let Some(o) = self.open {
            o.end(Some(outcome()), None);
        }
    }

    /// Ends the call with arguments known only now (for example a wait's
    /// effective `max`, when the library used some of the batch's slots
    /// for its own wake-ups).
    pub fn end_as(self, op: Op, outcome: Outcome) {
        if let Some(o) = self.open {
            o.end(Some(outcome), Some(op));
        }
    }

    /// Ends the call with its result unknown (it took effect somehow).
    pub fn end_unknown(self) {
        if let Some(o) = self.open {
            o.end(None, None);
        }
    }
}

impl Open {
    fn end(self, result: Option<Outcome>, op: Option<Op>) {
        // Stamped first, right after the library call.
        let ret = stamp(&self.inner);
        let mut b = lock(&self.book);
        if let Some(i) = b.open.iter().rposition(|r| r.call == self.call) {
            let mut rec = b.open.swap_remove(i);
            rec.ret = Some(ret);
            rec.result = result;
            if let Some(op) = op {
                rec.op = op;
            }
            b.done.push(rec);
        }
    }
}
