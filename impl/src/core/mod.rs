//! The port's core: the registration table, the ready queue, holding,
//! cancellation and termination. Everything here runs with the port's lock
//! held; parking lives in [`crate::port`].
//!
//! The ready queue holds two kinds of entries, as the model's does:
//!
//! * a readiness registration (or its cancelled final event) is queued at
//!   most once: its entry is live only while the slot's `queued` equals the
//!   entry's sequence number, so purging is `queued = None` (lazy) and
//!   re-queueing never duplicates a live entry;
//! * an operation posts one entry per item and one for its final event, in
//!   order; they keep their queue position while another thread holds an
//!   item of the same operation (a wait skips them), and the slot's `items`
//!   and `Finishing` state say what the next entry delivers.
//!
//! Entries whose generation is stale are dropped when met.

mod by_source;
mod state;
// Std threads on a simulated port: not under loom's or shuttle's scheduler.
#[cfg(all(test, not(loom), not(feature = "shuttle")))]
mod tests;

use std::collections::VecDeque;

use self::by_source::BySource;

pub use self::state::StateName;
use self::state::{Slot, State};
use crate::backend::{Backend, CancelAnswer, Marks, Recheck, Signal};
use crate::error::Error;
use crate::event::{
    CancelMode, CancelOutcome, Completion, Event, EventKind, Key, Mode, SourceId, SourceKind,
};
use crate::history::{History, Op, Ret};
use crate::mutant::Mutant;
use crate::sync::ThreadToken;
use onering_model::{futex_wake_fits, UNIFIED};

/// What a `wait` must do before releasing its caller's holds
/// ([`Core::prepare_release_ask`]).
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct ReleaseAsk {
    /// A held `Level` or `Edge` registration: ask the kernel first (F13).
    pub(crate) holds_level_or_edge: bool,
    /// A held `Edge` registration: its release may queue a pending edge,
    /// re-checked after the releases ([`Core::recheck_released_edges`]).
    pub(crate) holds_edge: bool,
    /// A held `Level` release may take that ask as its re-check (rule 5).
    pub(crate) prepared: bool,
    /// A held, disarmed `Dispatch` registration: call [`Core::prearms`].
    pub(crate) dispatch: bool,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    key: Key,
    seq: u64,
}

pub(crate) struct Core<B: Backend> {
    pub(crate) backend: B,
    slots: Vec<Slot>,
    /// Free slot indices, reused oldest-first to delay reuse.
    free: VecDeque<u32>,
    /// Live slots per source, in registration order.
    by_source: BySource,
    ready: VecDeque<Entry>,
    next_seq: u64,
    /// Keys each thread holds, released at its next `wait`. An entry
    /// emptied by its thread's release stays (its list keeps its
    /// allocation, so a `wait` allocates nothing) until that thread holds
    /// again or another thread that has no entry takes it over: there are
    /// never more entries than threads that held something at once.
    holds: Vec<(ThreadToken, Vec<Key>)>,
    /// Token buffers of Dispatch releases, whose re-check runs without the
    /// lock (one per concurrent release), so a wait allocates nothing in
    /// steady state.
    pub(crate) spare_tokens: Vec<Vec<u64>>,
    /// Scratch for an ask taken and harvested in one lock hold (`wait`'s
    /// asks, `pump`).
    pub(crate) ask_tokens: Vec<u64>,
    /// Scratch for [`Self::harvest`].
    signal_buf: Vec<Signal>,
    /// Re-arms prepared for a thread's release, run without the lock.
    pub(crate) spare_prearms: Vec<B::PreArm>,
    /// Scratch for the queue's re-checks (no allocation per wait).
    spare_sources: Vec<SourceId>,
    /// Threads blocked in the backend's poller.
    pub(crate) parked: usize,
    /// The last [`Poller::take`](crate::backend::Poller::take) returned no
    /// report (for [`Poller::prepare_block`](crate::backend::Poller::prepare_block)).
    pub(crate) quiet_take: bool,
    /// Environment steps the kernel performed inside this lock hold (the
    /// backend's cached condition reset at a re-arm, harvested wake-ups and
    /// completions), recorded by the port on the kernel's own history
    /// thread. Filled only when recording.
    pub(crate) kernel_steps: Vec<(Op, Ret)>,
    /// A re-arm the kernel refused where no caller could be told (a release
    /// inside `wait`): the next `wait` returns it.
    pub(crate) deferred_error: Option<Error>,
    /// Something was enqueued since the port last looked.
    pub(crate) enqueued: bool,
    mutant: Option<Mutant>,
    pub(crate) history: Option<History>,
}

impl<B: Backend> Core<B> {
    pub(crate) fn new(backend: B, mutant: Option<Mutant>, history: bool) -> Self {
        Self {
            backend,
            slots: Vec::new(),
            free: VecDeque::new(),
            by_source: BySource::default(),
            ready: VecDeque::new(),
            next_seq: 0,
            holds: Vec::new(),
            spare_tokens: Vec::new(),
            ask_tokens: Vec::new(),
            signal_buf: Vec::new(),
            spare_prearms: Vec::new(),
            spare_sources: Vec::new(),
            parked: 0,
            quiet_take: false,
            kernel_steps: Vec::new(),
            deferred_error: None,
            enqueued: false,
            mutant,
            history: history.then(History::default),
        }
    }

    fn mutant(&self, m: Mutant) -> bool {
        self.mutant == Some(m)
    }

    // ----- table ---------------------------------------------------------

    /// The slot of a live key.
    fn lookup(&self, key: Key) -> Result<usize, Error> {
        let idx = key.index as usize;
        let slot = self.slots.get(idx).ok_or(Error::UnknownKey(key))?;
        if slot.generation == key.generation && !matches!(slot.state, State::Free) {
            Ok(idx)
        } else if (slot.generation.wrapping_sub(key.generation) as i32) > 0 {
            Err(Error::StaleKey(key))
        } else {
            Err(Error::UnknownKey(key))
        }
    }

    fn alloc(&mut self, source: SourceId, kind: SourceKind, mode: Mode, state: State) -> Key {
        let idx = match self.free.pop_front() {
            Some(i) => i,
            None => {
                let i = u32::try_from(self.slots.len()).expect("more than u32::MAX registrations");
                self.slots.push(Slot::new());
                i
            }
        };
        let slot = &mut self.slots[idx as usize];
        assert!(
            slot.state == State::Free && slot.queued.is_none(),
            "allocating slot {idx} in state {:?}",
            slot.state
        );
        slot.source = source;
        slot.kind = kind;
        slot.mode = mode;
        slot.holder = None;
        slot.edge = false;
        slot.second_final = false;
        self.set_state(idx as usize, state);
        self.by_source.push(source, idx);
        self.slots[idx as usize].key(idx)
    }

    /// Ends a registration: the key goes stale, the slot may be reused.
    fn release_slot(&mut self, idx: usize) {
        self.set_state(idx, State::Free);
        let slot = &mut self.slots[idx];
        slot.generation = slot.generation.wrapping_add(1);
        slot.queued = None;
        slot.holder = None;
        let source = slot.source;
        if self.by_source.remove(source, idx as u32) {
            self.backend.unregister(source);
        }
        self.free.push_back(idx as u32);
    }

    fn set_state(&mut self, idx: usize, next: State) {
        let slot = &mut self.slots[idx];
        debug_assert!(
            slot.state.may_become(&next),
            "unexpected transition for slot {idx}: {:?} -> {:?}",
            slot.state,
            next
        );
        slot.state = next;
    }

    /// Tells the backend that readiness slot `idx` is armed and unheld
    /// (contract rule 5); a `Deferred` re-check that reset a true cached
    /// condition is recorded as the kernel's `lower`.
    fn arm(&mut self, idx: usize) -> Result<(), Error> {
        self.arm_source(self.slots[idx].source, self.slots[idx].mode)
    }

    #[inline]
    fn arm_source(&mut self, source: SourceId, mode: Mode) -> Result<(), Error> {
        let r = self.backend.arm(source, mode)?;
        self.note_recheck(source, r);
        Ok(())
    }

    /// `modify`'s arm: the backend may change the kernel trigger when this
    /// is the source's only registration (contract rule 5).
    fn remode(&mut self, idx: usize) -> Result<(), Error> {
        let (source, mode) = (self.slots[idx].source, self.slots[idx].mode);
        let sole = self.by_source.get(source).is_some_and(|v| v.len() == 1);
        let r = self.backend.remode(source, mode, sole)?;
        self.note_recheck(source, r);
        Ok(())
    }

    fn note_recheck(&mut self, source: SourceId, r: Recheck) {
        match r {
            Recheck::Now | Recheck::Deferred { lowered: false } => {}
            Recheck::Deferred { lowered: true } => {
                if self.history.is_some() {
                    self.note_lower(source);
                }
            }
        }
    }

    /// Records the kernel's `lower` of `source` (its cached condition reset).
    #[cold]
    fn note_lower(&mut self, source: SourceId) {
        self.kernel_steps.push((Op::Lower { source }, Ret::Unit));
    }

    /// [`Self::arm`] where no caller can be told of a failure: kept for the
    /// next `wait`.
    fn arm_or_defer(&mut self, idx: usize) {
        if let Err(e) = self.arm(idx) {
            self.deferred_error.get_or_insert(e);
        }
    }

    /// Applies the kernel events behind `tokens` (contract rule 4).
    /// `marks`: when the poll that gave them ran ([`Backend::harvest`]).
    #[inline]
    pub(crate) fn harvest(&mut self, tokens: &[u64], marks: Marks) {
        if tokens.is_empty() {
            return;
        }
        for &t in tokens {
            if let Some(source) = self.backend.harvest(t, marks, &mut self.signal_buf) {
                // A readiness report, the common kernel step: applied here,
                // before any signal the same token appended.
                let n = self.wake_source(source);
                if self.history.is_some() {
                    self.note_kernel_wake(source, n);
                }
            }
            if !self.signal_buf.is_empty() {
                self.apply_signal_buf();
            }
        }
    }

    /// Applies the signals a harvest appended to the scratch buffer.
    #[inline(never)]
    fn apply_signal_buf(&mut self) {
        let mut signals = std::mem::take(&mut self.signal_buf);
        self.apply_kernel_signals(&mut signals);
        self.signal_buf = signals;
    }

    /// Records a harvested readiness report as the kernel's step.
    #[cold]
    fn note_kernel_wake(&mut self, source: SourceId, queued: u32) {
        self.kernel_steps
            .push((Op::from_signal(Signal::Wake(source)), Ret::Count(queued)));
    }

    /// Applies the completions the kernel has already posted, without
    /// blocking ([`Backend::harvest_posted`]): a `Reap` cancel looks here
    /// first, so a posted final is reaped rather than promised.
    fn harvest_posted(&mut self) {
        self.backend.harvest_posted(&mut self.signal_buf);
        self.apply_signal_buf();
    }

    /// Applies harvested kernel signals (recorded as the kernel's steps),
    /// leaving `signals` empty for the next harvest.
    fn apply_kernel_signals(&mut self, signals: &mut Vec<Signal>) {
        for sig in signals.drain(..) {
            // A readiness report, the common kernel step, without the call
            // through every signal's match.
            let r = match sig {
                Signal::Wake(source) => Ok(self.wake_source(source)),
                sig => self.signal(sig),
            };
            debug_assert!(r.is_ok(), "kernel signal {sig:?} refused: {r:?}");
            if self.history.is_some() {
                let ret = match r {
                    Ok(n) => Ret::Count(n),
                    Err(e) => Ret::Err(e),
                };
                self.kernel_steps.push((Op::from_signal(sig), ret));
            }
        }
    }

    // ----- ready queue ---------------------------------------------------

    #[inline]
    fn enqueue(&mut self, idx: usize) {
        let seq = self.next_seq;
        self.next_seq += 1;
        let slot = &mut self.slots[idx];
        debug_assert!(slot.queued.is_none(), "slot {idx} queued twice");
        slot.queued = Some(seq);
        self.ready.push_back(Entry {
            key: slot.key(idx as u32),
            seq,
        });
        self.enqueued = true;
    }

    /// Posts the next item or final event of operation slot `idx`.
    fn post_op(&mut self, idx: usize) {
        let seq = self.next_seq;
        self.next_seq += 1;
        self.ready.push_back(Entry {
            key: self.slots[idx].key(idx as u32),
            seq,
        });
        self.enqueued = true;
    }

    /// Whether operation slot `idx` has posted entries not yet delivered.
    fn op_has_entries(&self, idx: usize) -> bool {
        match &self.slots[idx].state {
            State::InFlight { items } => !items.is_empty(),
            State::Finishing { .. } => true,
            _ => false,
        }
    }

    /// Queues readiness registration `idx` if it has something to report and
    /// nobody holds it (one thread at a time).
    #[inline]
    fn maybe_queue(&mut self, idx: usize) {
        let slot = &self.slots[idx];
        if slot.queued.is_some() {
            return; // coalesced
        }
        if slot.holder.is_some()
            && !(slot.mode == Mode::Dispatch
                && matches!(slot.state, State::Armed)
                && self.mutant(Mutant::DispatchRequeuesWhileHeld))
        {
            return;
        }
        let want = match &slot.state {
            State::Armed => {
                if slot.mode == Mode::Edge {
                    slot.edge
                } else {
                    self.backend.is_ready(slot.source)
                }
            }
            State::CancelPending => true,
            // Operations post their own entries (`post_op`).
            State::Free
            | State::Disarmed
            | State::Closed
            | State::InFlight { .. }
            | State::Finishing { .. } => false,
        };
        if want {
            self.enqueue(idx);
        }
    }

    /// Registrations alive now (each has at most one kernel registration
    /// behind it, shared by a source's registrations).
    pub(crate) fn live_registrations(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    /// Whether a live entry may be waiting (cheap over-approximation).
    pub(crate) fn has_ready(&self) -> bool {
        !self.ready.is_empty()
    }

    /// A mark of the queue now: entries queued after it are newer
    /// ([`Self::recheck_queued_before`]).
    pub(crate) fn queue_mark(&self) -> u64 {
        self.next_seq
    }

    /// Has the backend re-check the cached condition of the readiness
    /// registrations queued before `mark` (an earlier call's harvest or
    /// release) and still armed that this call's batch of at most `max`
    /// can deliver, so that one lowered since is dropped at delivery (F11;
    /// [`Backend::recheck_queued`]). O(1) when nothing queued predates
    /// `mark` (the queue is in `seq` order).
    ///
    /// Only those: [`Self::collect`] serves the queue in order and the
    /// entries before `mark` come first, so the re-check walks them in
    /// chunks until `max` are found still ready (each would be delivered)
    /// or none is left. An entry behind them is not delivered by this call
    /// and is re-checked by the wait that reaches it. (Re-checking every
    /// queued entry cost a pool one `poll(2)` over the whole queue per
    /// wait: 64 always-ready fds, batches of 8, about 1,000 instructions
    /// per event.) Entries that are not candidates (operations, purged or
    /// held entries, finals) are not counted, so the walk never stops
    /// short of an entry the batch can reach.
    #[inline]
    pub(crate) fn recheck_queued_before(&mut self, mark: u64, max: usize) {
        if self.ready.front().is_some_and(|e| e.seq < mark) {
            self.recheck_queued_prefix(mark, max);
        }
    }

    /// [`Self::recheck_queued_before`] once an entry predates `mark`.
    #[inline(never)]
    fn recheck_queued_prefix(&mut self, mark: u64, max: usize) {
        let mut sources = std::mem::take(&mut self.spare_sources);
        let mut next = 0;
        let mut still_ready = 0;
        while still_ready < max {
            sources.clear();
            let from = next;
            while sources.len() < max - still_ready
                && self.ready.get(next).is_some_and(|e| e.seq < mark)
            {
                if let Some(source) = self.recheck_candidate(self.ready[next], false) {
                    sources.push(source);
                }
                next += 1;
            }
            if sources.is_empty() {
                break;
            }
            if !self.recheck_and_note(&mut sources) {
                break;
            }
            still_ready += (from..next)
                .filter_map(|i| self.recheck_candidate(self.ready[i], false))
                .filter(|&source| self.backend.is_ready(source))
                .count();
        }
        sources.clear();
        self.spare_sources = sources;
    }

    /// The entries of `Edge` registrations that the releases between
    /// queue marks `from` and `to` queued (F16): a pending edge another
    /// thread harvested while the registration was held may be for a fd
    /// drained behind the port's back since, and the kernel does not
    /// report an edge it already reported, so the ask before the release
    /// did not re-check it. Re-checked like an entry queued before the
    /// call.
    pub(crate) fn recheck_released_edges(&mut self, from: u64, to: u64) {
        if from >= to {
            return;
        }
        // The queue is in `seq` order (entries are only pushed at the
        // back), so the range starts by a binary search, not a scan of
        // everything queued before it.
        let start = self.ready.partition_point(|e| e.seq < from);
        let mut sources = std::mem::take(&mut self.spare_sources);
        sources.clear();
        for i in start..self.ready.len() {
            let e = self.ready[i];
            if e.seq >= to {
                break;
            }
            if let Some(source) = self.recheck_candidate(e, true) {
                sources.push(source);
            }
        }
        if !sources.is_empty() {
            self.recheck_and_note(&mut sources);
        }
        sources.clear();
        self.spare_sources = sources;
    }

    /// The source of queued entry `e` if it is a live readiness entry whose
    /// delivery re-polls its condition (armed; an `Edge` registration's
    /// only, if `edges`).
    #[inline]
    fn recheck_candidate(&self, e: Entry, edges: bool) -> Option<SourceId> {
        let slot = &self.slots[e.key.index as usize];
        (slot.generation == e.key.generation
            && slot.kind.is_readiness()
            && (!edges || slot.mode == Mode::Edge)
            && slot.queued == Some(e.seq)
            && matches!(slot.state, State::Armed))
        .then_some(slot.source)
    }

    /// Has the backend re-check `sources` (left holding those it lowered)
    /// and records the lowers; false on an error (kept for the wait).
    fn recheck_and_note(&mut self, sources: &mut Vec<SourceId>) -> bool {
        if let Err(e) = self.backend.recheck_queued(sources) {
            self.deferred_error.get_or_insert(e);
            return false;
        }
        if self.history.is_some() {
            for &source in sources.iter() {
                self.note_lower(source);
            }
        }
        true
    }

    // ----- holding -------------------------------------------------------

    fn hold(&mut self, me: ThreadToken, key: Key) {
        if let Some((_, v)) = self.holds.iter_mut().find(|(t, _)| *t == me) {
            v.push(key);
        } else {
            self.hold_new(me, key);
        }
    }

    /// [`Self::hold`] for a thread without an entry: it takes over an
    /// emptied one if there is one (see the `holds` field).
    #[inline(never)]
    fn hold_new(&mut self, me: ThreadToken, key: Key) {
        match self.holds.iter_mut().find(|(_, v)| v.is_empty()) {
            Some((t, v)) => {
                *t = me;
                v.push(key);
            }
            None => self.holds.push((me, vec![key])),
        }
    }

    fn unhold(&mut self, me: ThreadToken, key: Key) {
        if let Some((_, v)) = self.holds.iter_mut().find(|(t, _)| *t == me) {
            v.retain(|k| *k != key);
        }
    }

    /// Ends `me`'s hold on slot `idx` without re-queueing; true if it held it.
    fn drop_hold(&mut self, me: ThreadToken, idx: usize) -> bool {
        if self.slots[idx].holder == Some(me) {
            self.slots[idx].holder = None;
            let key = self.slots[idx].key(idx as u32);
            self.unhold(me, key);
            if self.op_has_entries(idx) {
                // Items or the final event held back behind this hold.
                self.enqueued = true;
            }
            true
        } else {
            false
        }
    }

    /// The holder releases `key`: `Dispatch` re-arms, everything re-checks.
    fn release(&mut self, me: ThreadToken, key: Key) {
        let Ok(idx) = self.lookup(key) else { return };
        if self.slots[idx].holder != Some(me) {
            return;
        }
        self.slots[idx].holder = None;
        if self.op_has_entries(idx) {
            self.enqueued = true;
        }
        if matches!(self.slots[idx].state, State::Disarmed)
            && self.slots[idx].mode == Mode::Dispatch
        {
            self.set_state(idx, State::Armed);
        }
        if matches!(self.slots[idx].state, State::Armed) && self.slots[idx].kind.is_readiness() {
            self.arm_or_defer(idx);
        }
        self.maybe_queue(idx);
    }

    /// The kernel re-arms `me`'s release will need, prepared now so they run
    /// without the lock (contract rule 5). Appends to `out`.
    pub(crate) fn prearms(&mut self, me: ThreadToken, out: &mut Vec<B::PreArm>) {
        let Some(pos) = self.holds.iter().position(|(t, _)| *t == me) else {
            return;
        };
        for j in 0..self.holds[pos].1.len() {
            let key = self.holds[pos].1[j];
            let Ok(idx) = self.lookup(key) else { continue };
            let slot = &self.slots[idx];
            // `Armed` too: a held Dispatch registration that `modify` (or a
            // non-holder's `rearm`) armed again is re-checked at this
            // release like the rest; otherwise its re-check is left to the
            // kernel's report of an `EPOLL_CTL_MOD`, which another waiting
            // thread may take, and this wait returns without it (F11).
            if slot.holder != Some(me)
                || !matches!(slot.state, State::Disarmed | State::Armed)
                || slot.mode != Mode::Dispatch
            {
                continue;
            }
            let source = slot.source;
            if let Some((a, lowered)) = self.backend.prearm(source, Mode::Dispatch) {
                if lowered && self.history.is_some() {
                    self.note_lower(source);
                }
                out.push(a);
            }
        }
    }

    /// Whether `me` holds a `Level` or `Edge` registration (its release
    /// queues it again if its condition holds or a new edge came), so its
    /// wait asks the kernel before releasing (F13); and whether a held
    /// `Level` registration was prepared for that ask to be its release's
    /// re-check ([`Backend::prepare_level_recheck`], contract rule 5); and
    /// whether it holds a disarmed `Dispatch` registration, whose release
    /// [`Self::prearms`] prepares (one pass over the holds answers all
    /// three: this runs at every `wait`).
    #[inline]
    pub(crate) fn prepare_release_ask(&mut self, me: ThreadToken) -> ReleaseAsk {
        let mut r = ReleaseAsk::default();
        let Some((_, keys)) = self.holds.iter().find(|(t, _)| *t == me) else {
            return r;
        };
        // A read-only pass first (no calls: this runs at every `wait`).
        // `level`: armed `Level` registrations held, and the first's source.
        let mut level = (0u32, SourceId(0));
        for &key in keys {
            let Some(slot) = self.slots.get(key.index as usize) else {
                continue;
            };
            if slot.generation != key.generation
                || matches!(slot.state, State::Free)
                || !slot.kind.is_readiness()
            {
                continue;
            }
            match slot.mode {
                Mode::Edge => {
                    r.holds_level_or_edge = true;
                    r.holds_edge = true;
                }
                Mode::Dispatch => r.dispatch |= matches!(slot.state, State::Disarmed),
                Mode::Level => {
                    r.holds_level_or_edge = true;
                    if slot.holder == Some(me) && matches!(slot.state, State::Armed) {
                        if level.0 == 0 {
                            level.1 = slot.source;
                        }
                        level.0 += 1;
                    }
                }
                Mode::Oneshot | Mode::Single | Mode::Multishot => {}
            }
        }
        match level {
            (0, _) => {}
            // The common case (a Level loop holds one): no second pass.
            (1, source) => r.prepared = self.prepare_level_recheck(source),
            _ => r.prepared = self.prepare_level_rechecks(me),
        }
        r
    }

    /// Prepares `source` for a release re-checked by the ask before it
    /// (contract rule 5); whether the backend took it.
    #[inline]
    fn prepare_level_recheck(&mut self, source: SourceId) -> bool {
        match self.backend.prepare_level_recheck(source) {
            Some(lowered) => {
                if lowered && self.history.is_some() {
                    self.note_lower(source);
                }
                true
            }
            None => false,
        }
    }

    /// The `Level` part of [`Self::prepare_release_ask`]: prepares each
    /// armed `Level` registration `me` holds; whether the backend took one.
    #[inline(never)]
    fn prepare_level_rechecks(&mut self, me: ThreadToken) -> bool {
        let Some(pos) = self.holds.iter().position(|(t, _)| *t == me) else {
            return false;
        };
        let mut prepared = false;
        for j in 0..self.holds[pos].1.len() {
            let key = self.holds[pos].1[j];
            let Ok(idx) = self.lookup(key) else { continue };
            let slot = &self.slots[idx];
            if !slot.kind.is_readiness()
                || slot.mode != Mode::Level
                || slot.holder != Some(me)
                || !matches!(slot.state, State::Armed)
            {
                continue;
            }
            let source = slot.source;
            prepared |= self.prepare_level_recheck(source);
        }
        prepared
    }

    /// `wait` releases everything the caller holds.
    pub(crate) fn release_all(&mut self, me: ThreadToken) {
        let Some(pos) = self.holds.iter().position(|(t, _)| *t == me) else {
            return;
        };
        let mut keys = std::mem::take(&mut self.holds[pos].1);
        for &key in &keys {
            // Never changes `holds` (a release holds nothing).
            self.release(me, key);
        }
        // The entry keeps the allocation (no malloc per wait).
        keys.clear();
        self.holds[pos].1 = keys;
    }

    // ----- thread operations ---------------------------------------------

    pub(crate) fn register(&mut self, source: SourceId, mode: Mode) -> Result<Key, Error> {
        let kind = self.backend.kind(source)?;
        // `register` is for readiness registrations; `submit` for the rest.
        UNIFIED
            .readiness_fits(kind, mode)
            .map_err(|_| Error::ModeMismatch { kind, mode })?;
        // Armed before the slot exists, so a refusal changes nothing.
        self.arm_source(source, mode)?;
        let key = self.alloc(source, kind, mode, State::Armed);
        let idx = key.index as usize;
        if mode == Mode::Edge {
            self.slots[idx].edge = self.backend.is_ready(source);
        }
        self.maybe_queue(idx);
        Ok(key)
    }

    pub(crate) fn submit(&mut self, source: SourceId, mode: Mode) -> Result<Key, Error> {
        let kind = self.backend.kind(source)?;
        if kind.is_readiness() {
            return Err(Error::ModeMismatch { kind, mode });
        }
        UNIFIED
            .mode_fits(kind, mode)
            .map_err(|_| Error::ModeMismatch { kind, mode })?;
        if kind == SourceKind::Operation && self.by_source.contains(source) {
            return Err(Error::AlreadySubmitted(source));
        }
        self.backend.submit(source, mode)?;
        let state = State::InFlight {
            items: VecDeque::new(),
        };
        Ok(self.alloc(source, kind, mode, state))
    }

    fn readiness_slot(&self, key: Key, mode: Option<Mode>) -> Result<usize, Error> {
        let idx = self.lookup(key)?;
        let slot = &self.slots[idx];
        let mode = mode.unwrap_or(slot.mode);
        UNIFIED
            .readiness_fits(slot.kind, mode)
            .map_err(|_| Error::ModeMismatch {
                kind: slot.kind,
                mode,
            })?;
        Ok(idx)
    }

    pub(crate) fn modify(&mut self, key: Key, mode: Mode) -> Result<(), Error> {
        let idx = self.readiness_slot(key, Some(mode))?;
        match self.slots[idx].state {
            State::Armed | State::Disarmed => {
                let old = self.slots[idx].mode;
                self.slots[idx].mode = mode;
                if let Err(e) = self.remode(idx) {
                    self.slots[idx].mode = old;
                    return Err(e);
                }
                let slot = &mut self.slots[idx];
                slot.edge = mode == Mode::Edge && self.backend.is_ready(slot.source);
                self.set_state(idx, State::Armed);
                self.maybe_queue(idx);
                Ok(())
            }
            State::Closed => Err(Error::Closed(self.slots[idx].source)),
            // The final cancelled event is promised (or queued): the
            // registration is going away.
            State::CancelPending | State::Finishing { .. } => Err(Error::Cancelling(key)),
            ref s => unreachable!("readiness slot {idx} in state {s:?}"),
        }
    }

    pub(crate) fn rearm(&mut self, me: ThreadToken, key: Key) -> Result<(), Error> {
        let idx = self.readiness_slot(key, None)?;
        let held = self.drop_hold(me, idx);
        if matches!(self.slots[idx].state, State::Disarmed) {
            self.set_state(idx, State::Armed);
            if !self.mutant(Mutant::RearmNoRecheck) {
                self.arm(idx)?;
                self.maybe_queue(idx);
            }
        } else if held {
            if matches!(self.slots[idx].state, State::Armed) {
                self.arm(idx)?;
            }
            // The release: a still-true level, a pending edge, or the final
            // event a `Pending` cancel promised.
            self.maybe_queue(idx);
        }
        Ok(())
    }

    pub(crate) fn consume(&mut self, source: SourceId) -> Result<(), Error> {
        self.consume_with(source, |b| b.consume(source))
    }

    /// [`Self::consume`] with the backend's drain `drain` (which performs
    /// [`Backend::consume`] of `source`, and may return what it drained).
    #[inline]
    pub(crate) fn consume_with<R>(
        &mut self,
        source: SourceId,
        drain: impl FnOnce(&mut B) -> Result<R, Error>,
    ) -> Result<R, Error> {
        let drained = drain(&mut self.backend)?;
        // An armed, unheld registration may have had its kernel report
        // drained with the condition: re-arm it (contract rule 5).
        let armed = self.by_source.get(source).and_then(|v| {
            v.iter().map(|&i| i as usize).find(|&i| {
                matches!(self.slots[i].state, State::Armed) && self.slots[i].holder.is_none()
            })
        });
        if let Some(idx) = armed {
            self.arm(idx)?;
        }
        Ok(drained)
    }

    pub(crate) fn cancel(
        &mut self,
        me: ThreadToken,
        key: Key,
        mode: CancelMode,
    ) -> Result<CancelOutcome, Error> {
        let idx = match self.lookup(key) {
            Ok(idx) => idx,
            Err(Error::StaleKey(_)) => return Ok(CancelOutcome::NotFound),
            Err(e) => return Err(e),
        };
        let slot = &self.slots[idx];
        let readiness = slot.kind.is_readiness();
        UNIFIED
            .cancel_fits(slot.kind, slot.mode, mode)
            .map_err(|_| Error::CancelModeMismatch { key, mode })?;
        if !readiness && mode == CancelMode::Reap {
            // A completion the kernel posted before this call is known:
            // Reap takes it (`Removed`) instead of promising it (F10).
            self.harvest_posted();
        }
        self.drop_hold(me, idx);
        let outcome = if readiness {
            self.cancel_sync(idx)
        } else {
            self.cancel_op(idx, mode)
        };
        if self.lookup(key).is_ok() {
            // Ending the caller's hold may owe the final event (e.g. the
            // holder cancels after another thread's cancel answered Pending).
            self.maybe_queue(idx);
        }
        Ok(outcome)
    }

    fn cancel_sync(&mut self, idx: usize) -> CancelOutcome {
        if matches!(
            self.slots[idx].state,
            State::CancelPending | State::Finishing { .. }
        ) {
            // A second cancel: the same single final event (promised, or
            // already queued) is still to come.
            return CancelOutcome::Pending;
        }
        if !self.mutant(Mutant::CancelNoPurge) {
            self.slots[idx].queued = None;
        }
        if self.slots[idx].holder.is_some() && !self.mutant(Mutant::RemovedWhileHeld) {
            self.set_state(idx, State::CancelPending);
            CancelOutcome::Pending
        } else {
            self.release_slot(idx);
            CancelOutcome::Removed { completion: None }
        }
    }

    fn cancel_op(&mut self, idx: usize, mode: CancelMode) -> CancelOutcome {
        let other_holds = self.slots[idx].holder.is_some();
        match self.slots[idx].state {
            State::InFlight { .. } => {
                if self.backend.cancel_op(self.slots[idx].source) == CancelAnswer::Stopped {
                    // The cancel won at once: post the cancelled final.
                    let items = match &mut self.slots[idx].state {
                        State::InFlight { items } => std::mem::take(items),
                        _ => unreachable!(),
                    };
                    self.set_state(
                        idx,
                        State::Finishing {
                            items,
                            result: None,
                            cancelled: true,
                        },
                    );
                    self.post_op(idx);
                }
                CancelOutcome::Pending
            }
            State::Finishing {
                ref items,
                result,
                cancelled,
            } => {
                // Only the final event is queued and nobody holds an item:
                // nothing else of this submission can follow it.
                let only_final = items.is_empty() && !other_holds;
                if self.mutant(Mutant::CancelledAfterQueued) {
                    // Lies, and leaves the completion queued.
                    return CancelOutcome::Removed { completion: None };
                }
                if only_final && mode == CancelMode::Reap {
                    self.release_slot(idx);
                    return CancelOutcome::Removed {
                        completion: Some(Completion { result, cancelled }),
                    };
                }
                CancelOutcome::Pending
            }
            ref s => unreachable!("operation slot {idx} in state {s:?}"),
        }
    }

    /// Fills `out` with at most `max` events, oldest deliverable first, never
    /// a key twice. Entries of an operation another thread holds (or that
    /// is already in this batch) keep their place.
    pub(crate) fn collect(&mut self, me: ThreadToken, max: usize, out: &mut Vec<Event>) {
        let mut i = 0;
        while out.len() < max && i < self.ready.len() {
            let entry = self.ready[i];
            let idx = entry.key.index as usize;
            let slot = &self.slots[idx];
            if slot.generation != entry.key.generation {
                self.ready.remove(i);
                if self.mutant(Mutant::CancelNoPurge) {
                    out.push(Event {
                        key: entry.key,
                        kind: EventKind::Ready,
                    });
                }
                continue;
            }
            // Without a mutant a key cannot meet itself in one batch: a
            // readiness entry is live only while `queued` names it (cleared
            // at delivery), a delivered item sets the holder and a delivered
            // final frees the slot (a new generation). So the scan of the
            // batch, O(batch) per entry, is only for mutants.
            let in_batch = self.mutant.is_some() && out.iter().any(|e| e.key == entry.key);
            if slot.kind.is_readiness() {
                if slot.queued != Some(entry.seq) {
                    self.ready.remove(i); // purged
                    continue;
                }
                if in_batch {
                    // Only a mutant re-queues a key delivered in this batch.
                    debug_assert!(self.mutant.is_some(), "key {} twice in a batch", entry.key);
                    i += 1;
                    continue;
                }
                if i == 0 {
                    self.ready.pop_front();
                } else {
                    self.ready.remove(i);
                }
                self.slots[idx].queued = None;
            } else {
                if in_batch || slot.holder.is_some() {
                    i += 1;
                    continue;
                }
                self.ready.remove(i);
            }
            if let Some(ev) = self.deliver(me, idx) {
                out.push(ev);
            }
        }
    }

    /// Hands the queued registration `idx` to `me`.
    fn deliver(&mut self, me: ThreadToken, idx: usize) -> Option<Event> {
        enum After {
            Hold,
            Free,
            Requeue,
        }
        let key = self.slots[idx].key(idx as u32);
        let dispatch_leak = self.mutant(Mutant::DispatchRequeuesWhileHeld);
        let second_final = self.mutant(Mutant::SecondFinal);
        if matches!(self.slots[idx].state, State::Armed)
            && !self.backend.is_ready(self.slots[idx].source)
        {
            // The condition was lowered (or consumed) while queued: the
            // event is stale and dropped at harvest, in every readiness mode
            // (the model's `repoll_at_harvest`, as epoll re-polls).
            self.slots[idx].edge = false;
            return None;
        }
        let slot = &mut self.slots[idx];
        let (kind, after) = match &mut slot.state {
            State::Armed => {
                match slot.mode {
                    Mode::Edge => slot.edge = false,
                    Mode::Oneshot => slot.state = State::Disarmed,
                    Mode::Dispatch if !dispatch_leak => slot.state = State::Disarmed,
                    _ => {}
                }
                (EventKind::Ready, After::Hold)
            }
            State::CancelPending => (
                EventKind::Final {
                    result: None,
                    cancelled: true,
                },
                After::Free,
            ),
            State::InFlight { items } | State::Finishing { items, .. } if !items.is_empty() => {
                let value = items.pop_front().expect("non-empty");
                (EventKind::Item { value }, After::Hold)
            }
            State::Finishing {
                result, cancelled, ..
            } => {
                let kind = EventKind::Final {
                    result: *result,
                    cancelled: *cancelled,
                };
                if second_final && !slot.second_final {
                    slot.second_final = true;
                    (kind, After::Requeue)
                } else {
                    (kind, After::Free)
                }
            }
            s => {
                debug_assert!(false, "queued slot {idx} in state {s:?}");
                return None;
            }
        };
        match after {
            After::Hold => {
                self.slots[idx].holder = Some(me);
                self.hold(me, key);
            }
            After::Free => self.release_slot(idx),
            After::Requeue => self.post_op(idx),
        }
        Some(Event { key, kind })
    }

    // ----- environment ---------------------------------------------------

    fn slots_of(&self, source: SourceId) -> Vec<usize> {
        self.by_source
            .get(source)
            .map(|v| v.iter().map(|&i| i as usize).collect())
            .unwrap_or_default()
    }

    /// The live submission of operation `source`.
    fn op_slot(&self, source: SourceId) -> Result<usize, Error> {
        // Every streamed item looks here: no allocation.
        self.by_source
            .get(source)
            .and_then(|v| {
                v.iter()
                    .map(|&i| i as usize)
                    .find(|&i| !self.slots[i].kind.is_readiness())
            })
            .ok_or(Error::NotInFlight(source))
    }

    /// [`Signal::Wake`]: queues each armed registration of `source` that has
    /// something to report and nobody holds; returns how many it queued.
    #[inline]
    fn wake_source(&mut self, source: SourceId) -> u32 {
        let mut n = 0;
        let live = self.by_source.get(source).map_or(0, Vec::len);
        for j in 0..live {
            // `maybe_queue` never changes the source's slot list.
            let idx = self.by_source.get(source).expect("live")[j] as usize;
            if !matches!(self.slots[idx].state, State::Armed) {
                continue;
            }
            if self.slots[idx].mode == Mode::Edge {
                self.slots[idx].edge = true;
            }
            let was = self.slots[idx].queued.is_some();
            self.maybe_queue(idx);
            n += u32::from(!was && self.slots[idx].queued.is_some());
        }
        n
    }

    /// Applies an environment step; returns how many registrations it
    /// affected (queued, or released for `FutexWake`).
    pub(crate) fn signal(&mut self, signal: Signal) -> Result<u32, Error> {
        let mut n = 0;
        match signal {
            Signal::Wake(source) => n = self.wake_source(source),
            Signal::Item(source, value) => {
                let idx = self.op_slot(source)?;
                if self.slots[idx].mode != Mode::Multishot {
                    return Err(Error::InvalidStep(source));
                }
                match &mut self.slots[idx].state {
                    State::InFlight { items } => items.push_back(value),
                    _ => return Err(Error::NotInFlight(source)),
                }
                self.post_op(idx);
                n = 1;
            }
            Signal::Complete {
                source,
                result,
                cancelled,
            } => {
                let idx = self.op_slot(source)?;
                let items = match &mut self.slots[idx].state {
                    State::InFlight { items } => std::mem::take(items),
                    _ => return Err(Error::NotInFlight(source)),
                };
                self.set_state(
                    idx,
                    State::Finishing {
                        items,
                        result,
                        cancelled,
                    },
                );
                self.post_op(idx);
                n = 1;
            }
            Signal::Close(source) => {
                for idx in self.slots_of(source) {
                    if matches!(self.slots[idx].state, State::Armed | State::Disarmed) {
                        self.slots[idx].queued = None;
                        self.slots[idx].edge = false;
                        self.set_state(idx, State::Closed);
                        n += 1;
                    }
                }
            }
            Signal::FutexWake(source, max) => {
                futex_wake_fits(max).map_err(|_| Error::ZeroWake(source))?;
                for idx in self.slots_of(source) {
                    if n == max {
                        break;
                    }
                    if let State::InFlight { .. } = self.slots[idx].state {
                        self.set_state(
                            idx,
                            State::Finishing {
                                items: VecDeque::new(),
                                result: Some(0),
                                cancelled: false,
                            },
                        );
                        self.post_op(idx);
                        n += 1;
                    }
                }
            }
        }
        Ok(n)
    }

    // ----- introspection -------------------------------------------------

    /// Entries of the `holds` table (tests: it must not grow per thread).
    #[cfg(all(test, not(loom), not(feature = "shuttle")))]
    pub(crate) fn hold_entries(&self) -> usize {
        self.holds.len()
    }

    pub(crate) fn state_of(&self, key: Key) -> Result<StateName, Error> {
        let idx = self.lookup(key)?;
        Ok(self.slots[idx].state.name().expect("live slot"))
    }

    /// Whether any thread holds `key`.
    pub(crate) fn is_held(&self, key: Key) -> Result<bool, Error> {
        let idx = self.lookup(key)?;
        Ok(self.slots[idx].holder.is_some())
    }
}
