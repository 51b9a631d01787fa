//! The state of a bounded instance: threads, keys (a registration bound to
//! its own source), and the ready queue. `Copy`, fixed-size and byte-packed,
//! so an explorer can clone, hash and compare states cheaply.
//!
//! Fields under "ghost" exist only to judge properties; no rule reads them to
//! decide what happens.

use crate::scenario::{Mode, MAX_KEYS, MAX_THREADS};

/// Longest ready queue a state can hold (see [`crate::Bound::validate`]).
pub const MAX_QUEUE: usize = 24;

/// Words in [`State::pack`].
pub const PACKED_WORDS: usize = 12;

/// The life of one registration (or submission) under a key. Variant names
/// are the model's vocabulary; the reference `Port` uses the same names.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum Reg {
    /// Nothing registered under the key: never registered, removed, or its
    /// terminal outcome delivered. `register`/`submit` may reuse the key.
    #[default]
    Free,
    /// A readiness registration that queues an event on its source's next
    /// wake-up (or at once, when (re-)armed while the condition holds).
    Armed,
    /// A `Oneshot`/`Dispatch` registration after its delivery; ignores
    /// wake-ups until re-armed.
    Disarmed,
    /// Unified only: a `Sync` cancel answered `Pending` because another thread
    /// holds the event; one final event flagged cancelled is queued when that
    /// thread releases it.
    CancelPending,
    /// Unified only: the source was closed; no readiness event will come, and
    /// the next cancel delivers the terminal outcome.
    Closed,
    /// An operation, a futex wait, or a poll request (readiness in a profile
    /// whose readiness is itself an operation) that has not posted its final
    /// event.
    InFlight,
    /// The final event is queued and not yet delivered.
    Finishing,
}

/// A cancel request recorded on an in-flight operation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
#[repr(u8)]
pub enum CancelReq {
    /// No cancel asked for.
    #[default]
    None,
    /// The cancel won: the kernel will post the final event flagged cancelled
    /// (io_uring `0`, aio `-EINPROGRESS`, a unified futex wait that its
    /// `Pending` cancel took out of the futex queue under
    /// `deferred_futex_finals`, F17); a normal completion can no longer
    /// happen.
    Won,
    /// The cancel was asked for but may lose: the final event is either the
    /// operation's own result or flagged cancelled (unified `Async`/`Reap`
    /// `Pending`, io_uring `-EALREADY`, IOCP `CancelIoEx` TRUE).
    Racing,
    /// Profiles with `deferred_completion` (io_uring), and for a futex wait
    /// those with `deferred_futex_finals` (unified, F15): a wake-up decided the
    /// request's result, and the kernel posts it later, by task work of the
    /// ring's task (`io_poll_wake` → `io_req_task_work_add`; under
    /// `DEFER_TASKRUN` at the next `GETEVENTS` enter, under `SQPOLL` by the
    /// SQ thread, and for a wake-up from another thread whenever the
    /// submitter next runs task work; finding F3). A single-shot request
    /// posts its final (`Done`); a multishot poll posts one item for every
    /// wake-up merged meanwhile (F6). The post is a kernel step
    /// ([`crate::Action::PostFinal`]).
    Woken,
}

impl Reg {
    /// The registration state whose code (`reg as u8`) is `c`; a code past
    /// the last state reads as the last. The one decoding table, used by
    /// [`State::unpack`] and by the explorer's frontier codec.
    pub fn from_code(c: u8) -> Reg {
        match c {
            0 => Reg::Free,
            1 => Reg::Armed,
            2 => Reg::Disarmed,
            3 => Reg::CancelPending,
            4 => Reg::Closed,
            5 => Reg::InFlight,
            _ => Reg::Finishing,
        }
    }
}

impl CancelReq {
    /// The cancel request whose code (`cancel as u8`) is `c`; a code past
    /// the last reads as the last. The one decoding table, used by
    /// [`State::unpack`] and by the explorer's frontier codec (which once
    /// kept its own copy and read `Woken` as `Racing`).
    pub fn from_code(c: u8) -> CancelReq {
        match c {
            0 => CancelReq::None,
            1 => CancelReq::Won,
            2 => CancelReq::Racing,
            _ => CancelReq::Woken,
        }
    }
}

/// What a final event says.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Outcome {
    /// The operation's own result (or, for a poll request, readiness).
    Done,
    /// Flagged cancelled.
    Cancelled,
}

/// The kind of a queued event.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum EventKind {
    /// A readiness event (the registration's condition or wake-up).
    Ready,
    /// A multishot item (an io_uring CQE with `F_MORE`, a stream item).
    Item,
    /// The registration's or submission's final event: its terminal outcome.
    Final(Outcome),
}

/// One entry of the ready queue, packed in a byte: key (2 bits), generation
/// (2 bits), kind (2 bits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct Entry(u8);

impl Entry {
    /// Packs an entry.
    pub fn new(key: u8, gen: u8, kind: EventKind) -> Entry {
        debug_assert!(key < MAX_KEYS && gen < 4);
        let k = match kind {
            EventKind::Ready => 0,
            EventKind::Item => 1,
            EventKind::Final(Outcome::Done) => 2,
            EventKind::Final(Outcome::Cancelled) => 3,
        };
        Entry(key | (gen << 2) | (k << 4))
    }
    /// The key the event is for.
    pub fn key(self) -> u8 {
        self.0 & 3
    }
    /// The registration generation the event was queued for.
    pub fn gen(self) -> u8 {
        (self.0 >> 2) & 3
    }
    /// What the event is.
    pub fn kind(self) -> EventKind {
        match self.0 >> 4 {
            0 => EventKind::Ready,
            1 => EventKind::Item,
            2 => EventKind::Final(Outcome::Done),
            _ => EventKind::Final(Outcome::Cancelled),
        }
    }
    /// The entry's byte (key, generation and kind, as [`Entry::new`] packs
    /// them): for encodings and fingerprints.
    pub fn code(self) -> u8 {
        self.0
    }
    pub(crate) fn with_key(self, key: u8) -> Entry {
        Entry((self.0 & !3) | key)
    }
}

/// Where a thread is.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub enum Phase {
    /// Between calls; may start a thread operation if it has any left.
    #[default]
    Idle,
    /// Blocked in `wait(max)`, not woken. Carries `max`.
    Blocked(u8),
    /// Blocked in `wait(max)` and chosen by a wake-up; will harvest.
    Woken(u8),
    /// An asynchronous cancel (io_uring) was decided; its answer has not yet
    /// reached the thread. Carries the key and the answer code.
    Cancelling(u8, crate::action::Answer),
}

/// One thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct ThreadState {
    /// Thread operations it may still start.
    pub ops_left: u8,
    /// Where it is.
    pub phase: Phase,
    /// Ghost: registrations (bit `4 * key + generation`) whose readiness
    /// cancel had returned when this thread's current (or last) wait started.
    pub snapshot: u16,
}

/// One key: a registration bound to its own source.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Default)]
pub struct KeyState {
    /// The registration's life.
    pub reg: Reg,
    /// Its mode (a [`Mode`] code).
    pub mode: u8,
    /// Registration generation, incremented (mod 4) on reuse.
    pub gen: u8,
    /// Threads holding an event for this key (bit per thread). In the
    /// unified profile a rule; elsewhere only a ghost.
    pub holders: u8,
    /// Unified `Edge`: a wake-up arrived while the event was held.
    pub pending_edge: bool,
    /// The source's condition (level raised, counter non-zero, sticky raised).
    pub cond: bool,
    /// The source was closed.
    pub closed: bool,
    /// Environment steps left for this key.
    pub env_left: u8,
    /// Cancel request on an in-flight operation.
    pub cancel: CancelReq,
    /// Ghost: generations (bit per generation) whose readiness cancel
    /// returned.
    pub cancelled_gens: u8,
    /// Ghost: terminal outcomes delivered for the current generation (0..=2).
    pub terminals: u8,
    /// Ghost: a cancel answer promised a final event that has not reached a
    /// thread yet.
    pub owed: bool,
    /// Ghost: keys delivered since this key's deliverable event was queued.
    pub overtakers: u8,
}

impl KeyState {
    /// The mode as an enum.
    pub fn mode(&self) -> Mode {
        Mode::from_code(self.mode)
    }
}

/// A whole state.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct State {
    /// Threads `0..bound.threads` are live; the rest stay default.
    pub threads: [ThreadState; MAX_THREADS as usize],
    /// Keys `0..bound.keys` are live; the rest stay default.
    pub keys: [KeyState; MAX_KEYS as usize],
    /// The ready queue, front first.
    pub queue: [Entry; MAX_QUEUE],
    /// Entries in use.
    pub qlen: u8,
    /// Environment steps left for `futex_wake` (the futex word is shared by
    /// every key, so its budget belongs to no key).
    pub futex_env: u8,
}

impl State {
    /// The queued entries, front first.
    pub fn queue(&self) -> &[Entry] {
        &self.queue[..self.qlen as usize]
    }

    pub(crate) fn push(&mut self, e: Entry) {
        assert!((self.qlen as usize) < MAX_QUEUE, "queue bound exceeded");
        self.queue[self.qlen as usize] = e;
        self.qlen += 1;
    }

    pub(crate) fn remove_at(&mut self, i: usize) -> Entry {
        let e = self.queue[i];
        let n = self.qlen as usize;
        self.queue.copy_within(i + 1..n, i);
        self.qlen -= 1;
        self.queue[self.qlen as usize] = Entry(0);
        e
    }

    /// Removes every queued entry for `key` matching `pred`; returns how many.
    pub(crate) fn purge(&mut self, key: u8, pred: impl Fn(Entry) -> bool) -> usize {
        let mut removed = 0;
        let mut i = 0;
        while i < self.qlen as usize {
            let e = self.queue[i];
            if e.key() == key && pred(e) {
                self.remove_at(i);
                removed += 1;
            } else {
                i += 1;
            }
        }
        removed
    }

    /// Whether an entry for `key` of this kind is queued.
    pub fn queued(&self, key: u8, pred: impl Fn(Entry) -> bool) -> bool {
        self.queue().iter().any(|e| e.key() == key && pred(*e))
    }

    /// The canonical byte encoding of the state, as 12 little-endian words:
    /// what fingerprints hash and what symmetry reduction compares.
    pub fn pack(&self) -> [u64; PACKED_WORDS] {
        let mut b = [0u8; PACKED_WORDS * 8];
        for (i, t) in self.threads.iter().enumerate() {
            let (code, a, c) = match t.phase {
                Phase::Idle => (0, 0, 0),
                Phase::Blocked(max) => (1, max, 0),
                Phase::Woken(max) => (2, max, 0),
                Phase::Cancelling(k, ans) => (3, k, ans.code()),
            };
            let [lo, hi] = t.snapshot.to_le_bytes();
            b[i * 6..i * 6 + 6].copy_from_slice(&[t.ops_left, code, a, c, lo, hi]);
        }
        for (i, k) in self.keys.iter().enumerate() {
            let flags = u8::from(k.pending_edge)
                | u8::from(k.cond) << 1
                | u8::from(k.closed) << 2
                | u8::from(k.owed) << 3;
            let o = 24 + i * 10;
            b[o..o + 10].copy_from_slice(&[
                k.reg as u8,
                k.mode,
                k.gen,
                k.holders,
                flags,
                k.env_left,
                k.cancel as u8,
                k.cancelled_gens,
                k.terminals,
                k.overtakers,
            ]);
        }
        for (i, e) in self.queue.iter().enumerate() {
            b[64 + i] = e.0;
        }
        b[88] = self.qlen;
        b[89] = self.futex_env;
        let mut w = [0u64; PACKED_WORDS];
        for (j, word) in w.iter_mut().enumerate() {
            let mut x = [0u8; 8];
            x.copy_from_slice(&b[j * 8..j * 8 + 8]);
            *word = u64::from_le_bytes(x);
        }
        w
    }

    /// The state [`State::pack`] encoded: `State::unpack(&s.pack()) == s`
    /// for every state. Lets an explorer keep states packed (or packed
    /// further) and expand them later.
    pub fn unpack(w: &[u64; PACKED_WORDS]) -> State {
        let mut b = [0u8; PACKED_WORDS * 8];
        for (j, word) in w.iter().enumerate() {
            b[j * 8..j * 8 + 8].copy_from_slice(&word.to_le_bytes());
        }
        let mut s = State {
            threads: [ThreadState::default(); MAX_THREADS as usize],
            keys: [KeyState::default(); MAX_KEYS as usize],
            queue: [Entry(0); MAX_QUEUE],
            qlen: b[88],
            futex_env: b[89],
        };
        for (i, t) in s.threads.iter_mut().enumerate() {
            let x = &b[i * 6..i * 6 + 6];
            t.ops_left = x[0];
            t.phase = match x[1] {
                0 => Phase::Idle,
                1 => Phase::Blocked(x[2]),
                2 => Phase::Woken(x[2]),
                _ => Phase::Cancelling(
                    x[2],
                    crate::action::Answer::from_code(x[3]).expect("a packed answer code"),
                ),
            };
            t.snapshot = u16::from_le_bytes([x[4], x[5]]);
        }
        for (i, k) in s.keys.iter_mut().enumerate() {
            let o = 24 + i * 10;
            let x = &b[o..o + 10];
            k.reg = Reg::from_code(x[0]);
            k.mode = x[1];
            k.gen = x[2];
            k.holders = x[3];
            k.pending_edge = x[4] & 1 != 0;
            k.cond = x[4] & 2 != 0;
            k.closed = x[4] & 4 != 0;
            k.owed = x[4] & 8 != 0;
            k.env_left = x[5];
            k.cancel = CancelReq::from_code(x[6]);
            k.cancelled_gens = x[7];
            k.terminals = x[8];
            k.overtakers = x[9];
        }
        for (i, e) in s.queue.iter_mut().enumerate() {
            *e = Entry(b[64 + i]);
        }
        s
    }

    /// A renaming-invariant summary of thread `t` (what symmetry reduction
    /// sorts threads by).
    pub fn thread_signature(&self, t: usize) -> u32 {
        let th = self.threads[t];
        let (code, a) = match th.phase {
            Phase::Idle => (0, 0),
            Phase::Blocked(max) => (1, max),
            Phase::Woken(max) => (2, max),
            Phase::Cancelling(_, ans) => (3, ans.code()),
        };
        let held = self
            .keys
            .iter()
            .filter(|k| k.holders & (1 << t) != 0)
            .count() as u32;
        (th.ops_left as u32) << 24
            | code << 16
            | (a as u32) << 8
            | (th.snapshot.count_ones() << 3)
            | held
    }

    /// A renaming-invariant summary of key `k`.
    pub fn key_signature(&self, k: usize) -> u64 {
        let ks = self.keys[k];
        let queued = self
            .queue()
            .iter()
            .filter(|e| e.key() as usize == k)
            .count() as u64;
        (ks.reg as u64) << 56
            | (ks.mode as u64) << 52
            | (ks.gen as u64) << 48
            | (ks.holders.count_ones() as u64) << 44
            | u64::from(ks.pending_edge) << 43
            | u64::from(ks.cond) << 42
            | u64::from(ks.closed) << 41
            | u64::from(ks.owed) << 40
            | (ks.env_left as u64) << 32
            | (ks.cancel as u64) << 28
            | (ks.cancelled_gens as u64) << 24
            | (ks.terminals as u64) << 20
            | (ks.overtakers.count_ones() as u64) << 16
            | queued
    }

    /// The state with threads renamed by `tp` (old index → new index) and
    /// keys by `kp`; used by symmetry reduction.
    pub fn permuted(&self, tp: &[u8], kp: &[u8]) -> State {
        let mut s = *self;
        let map_mask = |m: u8, p: &[u8]| -> u8 {
            let mut out = 0;
            for (old, new) in p.iter().enumerate() {
                if m & (1 << old) != 0 {
                    out |= 1 << new;
                }
            }
            out
        };
        for (old, &new) in tp.iter().enumerate() {
            let mut t = self.threads[old];
            let mut snap = 0u16;
            for (k_old, &k_new) in kp.iter().enumerate() {
                snap |= ((t.snapshot >> (4 * k_old)) & 0xF) << (4 * k_new as usize);
            }
            t.snapshot = snap;
            if let Phase::Cancelling(k, a) = t.phase {
                t.phase = Phase::Cancelling(kp[k as usize], a);
            }
            s.threads[new as usize] = t;
        }
        for (old, &new) in kp.iter().enumerate() {
            let mut k = self.keys[old];
            k.holders = map_mask(k.holders, tp);
            k.overtakers = map_mask(k.overtakers, kp);
            s.keys[new as usize] = k;
        }
        for i in 0..self.qlen as usize {
            let e = self.queue[i];
            s.queue[i] = e.with_key(kp[e.key() as usize]);
        }
        s
    }

    /// Renames generation numbers so that every key's current generation
    /// is 0. Generations are only ever compared for equality (an entry's or
    /// a snapshot's generation against the key's), so shifting all of one
    /// key's generations by the same amount changes nothing observable: a
    /// data symmetry, used by symmetry reduction.
    pub fn normalize_generations(&mut self) {
        for k in 0..MAX_KEYS as usize {
            let g = self.keys[k].gen;
            if g == 0 {
                continue;
            }
            let shift = |x: u8| (x + 4 - g) & 3;
            let rot = |m: u8| ((m >> g) | (m << (4 - g))) & 0xF;
            self.keys[k].gen = 0;
            self.keys[k].cancelled_gens = rot(self.keys[k].cancelled_gens);
            for i in 0..self.qlen as usize {
                let e = self.queue[i];
                if e.key() as usize == k {
                    self.queue[i] = Entry::new(e.key(), shift(e.gen()), e.kind());
                }
            }
            for t in self.threads.iter_mut() {
                let nib = ((t.snapshot >> (4 * k)) & 0xF) as u8;
                t.snapshot = (t.snapshot & !(0xF << (4 * k))) | (u16::from(rot(nib)) << (4 * k));
            }
        }
    }

    /// Whether no thread will wait again (every thread idle with no
    /// operations left): then the queue's order is dead.
    pub fn all_done(&self) -> bool {
        self.threads
            .iter()
            .all(|t| t.phase == Phase::Idle && t.ops_left == 0)
    }

    /// Sorts the queue (only sound where its order is dead).
    pub fn sort_queue(&mut self) {
        let n = self.qlen as usize;
        self.queue[..n].sort_unstable();
    }
}
