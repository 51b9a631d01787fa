//! States packed to the bits a bound needs: the explorer's frontier form and
//! what its fingerprints hash.
//!
//! [`State::pack`] spends a byte (or more) on every field of every thread
//! and key slot a state can hold: 96 bytes. At a given bound most of those
//! are always zero (threads and keys past the bound, queue slots past
//! `keys × (env + 3)`) and the rest use a few bits each (`ops_left ≤ ops`, a
//! holders mask of `threads` bits, ...). [`Codec`] writes each live field of
//! a [`State`] straight into a bit stream at the width the bound allows, and
//! reads it back: 3 words at the default bound instead of 12, with no
//! intermediate byte array either way (the explorer encodes every
//! transition's canonical successor, so this is on its hottest path).
//!
//! The encoding is injective on the states of a bound: every field of
//! [`State`], [`ThreadState`] and [`KeyState`] is written (the encoder
//! destructures them exhaustively, so a field added to the model does not
//! compile until it is encoded), at a width derived from the bound, and
//! [`Codec::encode`] checks every value against its width, and that the
//! threads, keys and queue slots past the bound are empty. A value that
//! does not fit panics (an explorer bug, never a silent merge of two
//! states).

use onering_model::{
    Answer, Bound, CancelReq, Entry, EventKind, KeyState, Outcome, Phase, Reg, State, ThreadState,
    MAX_QUEUE,
};

/// Most words any valid bound needs (392 bits at 4 threads, 4 keys, 24
/// queue slots).
pub const MAX_WORDS: usize = 7;

/// An encoded state: the first [`Codec::words`] words are used, the rest
/// are zero.
pub type Code = [u64; MAX_WORDS];

/// Bits needed to represent `n`.
fn bits(n: u32) -> u32 {
    32 - n.leading_zeros()
}

/// Field widths for one bound.
///
/// A thread's fields are first gathered into one value (`ops_left`, phase
/// code, phase argument, answer code, snapshot, low bits first), and so are
/// a key's (its ten fields in declaration order) and up to ten queue
/// entries at a time; the stream then takes a handful of such values. Every
/// shift is a precomputed offset, so encoding is branch-free but for the
/// word boundaries.
#[derive(Clone, Debug)]
pub struct Codec {
    threads: usize,
    keys: usize,
    slots: usize,
    ops: u32,
    arg: u32,
    snap: u32,
    env: u32,
    qlen: u32,
    /// Bits per thread and per key.
    thread_bits: u32,
    key_bits: u32,
    words: usize,
}

/// Appends values to a [`Code`], low bits first.
struct Writer {
    out: Code,
    acc: u128,
    used: u32,
    word: usize,
}

impl Writer {
    /// Appends the low `width` (at most 64) bits of `v`, which has no
    /// higher bits.
    #[inline(always)]
    fn put(&mut self, v: u64, width: u32) {
        self.acc |= (v as u128) << self.used;
        self.used += width;
        if self.used >= 64 {
            self.out[self.word] = self.acc as u64;
            self.word += 1;
            self.acc >>= 64;
            self.used -= 64;
        }
    }
}

/// Reads values back in the order they were written.
struct Reader<'a> {
    code: &'a [u64],
    used: u32,
    word: usize,
}

impl Reader<'_> {
    #[inline(always)]
    fn get(&mut self, width: u32) -> u64 {
        let mut v = self.code[self.word] >> self.used;
        if self.used + width > 64 {
            v |= self.code[self.word + 1] << (64 - self.used);
        }
        if width < 64 {
            v &= (1u64 << width) - 1;
        }
        self.used += width;
        if self.used >= 64 {
            self.word += 1;
            self.used -= 64;
        }
        v
    }
}

const REG: u32 = 3;
const MODE: u32 = 3;
const GEN: u32 = 2;
const FLAGS: u32 = 4;
const CANCEL: u32 = 2;
const GENS: u32 = 4;
const TERMINALS: u32 = 2;
const PHASE: u32 = 2;
const ANSWER: u32 = 4;
const ENTRY: u32 = 6;
/// Queue entries gathered into one value.
const ENTRIES_PER_PUT: usize = 10;

/// Low `w` bits.
#[inline(always)]
fn mask(w: u32) -> u64 {
    (1u64 << w) - 1
}

impl Codec {
    /// The codec for `bound` (which must be valid).
    pub fn new(bound: Bound) -> Codec {
        let threads = bound.threads as usize;
        let keys = bound.keys as usize;
        let slots = (keys * (bound.env as usize + 3)).min(MAX_QUEUE);
        let ops = bits(bound.ops as u32);
        let arg = bits(u32::from(bound.batch.max(bound.keys - 1)));
        let snap = 4 * keys as u32;
        let env = bits(bound.env as u32);
        let qlen = bits(slots as u32);
        let thread_bits = ops + PHASE + arg + ANSWER + snap;
        let key_bits = REG
            + MODE
            + GEN
            + threads as u32
            + FLAGS
            + env
            + CANCEL
            + GENS
            + TERMINALS
            + keys as u32;
        let total = threads as u32 * thread_bits
            + keys as u32 * key_bits
            + slots as u32 * ENTRY
            + qlen
            + env;
        let words = (total as usize).div_ceil(64).max(1);
        assert!(words <= MAX_WORDS, "{bound} needs {words} words");
        assert!(thread_bits <= 64 && key_bits <= 64);
        Codec {
            threads,
            keys,
            slots,
            ops,
            arg,
            snap,
            env,
            qlen,
            thread_bits,
            key_bits,
            words,
        }
    }

    /// Words per encoded state.
    pub fn words(&self) -> usize {
        self.words
    }

    /// The encoding of `s`.
    pub fn encode(&self, s: &State) -> Code {
        let mut w = Writer {
            out: [0; MAX_WORDS],
            acc: 0,
            used: 0,
            word: 0,
        };
        // Bits set past some field's width.
        let mut overflow = 0u64;
        let State {
            threads,
            keys,
            queue,
            qlen,
            futex_env,
        } = s;
        for t in &threads[..self.threads] {
            let ThreadState {
                ops_left,
                phase,
                snapshot,
            } = *t;
            let (code, arg, answer) = match phase {
                Phase::Idle => (0, 0, 0),
                Phase::Blocked(max) => (1, max, 0),
                Phase::Woken(max) => (2, max, 0),
                Phase::Cancelling(k, ans) => (3, k, ans.code()),
            };
            let (ops_left, arg, answer, snapshot) =
                (ops_left as u64, arg as u64, answer as u64, snapshot as u64);
            overflow |=
                ops_left >> self.ops | arg >> self.arg | answer >> ANSWER | snapshot >> self.snap;
            let mut o = self.ops;
            let mut v = ops_left | code << o;
            o += PHASE;
            v |= arg << o;
            o += self.arg;
            v |= answer << o;
            o += ANSWER;
            v |= snapshot << o;
            w.put(v, self.thread_bits);
        }
        let (holders_w, over_w) = (self.threads as u32, self.keys as u32);
        for k in &keys[..self.keys] {
            let KeyState {
                reg,
                mode,
                gen,
                holders,
                pending_edge,
                cond,
                closed,
                env_left,
                cancel,
                cancelled_gens,
                terminals,
                owed,
                overtakers,
            } = *k;
            let flags = u64::from(pending_edge)
                | u64::from(cond) << 1
                | u64::from(closed) << 2
                | u64::from(owed) << 3;
            let f = [
                (reg as u64, REG),
                (mode as u64, MODE),
                (gen as u64, GEN),
                (holders as u64, holders_w),
                (flags, FLAGS),
                (env_left as u64, self.env),
                (cancel as u64, CANCEL),
                (cancelled_gens as u64, GENS),
                (terminals as u64, TERMINALS),
                (overtakers as u64, over_w),
            ];
            let mut v = 0u64;
            let mut o = 0u32;
            for (x, width) in f {
                overflow |= x >> width;
                v |= x << o;
                o += width;
            }
            w.put(v, self.key_bits);
        }
        for chunk in queue[..self.slots].chunks(ENTRIES_PER_PUT) {
            let mut v = 0u64;
            for (i, e) in chunk.iter().enumerate() {
                v |= entry_code(*e) << (ENTRY as usize * i);
            }
            w.put(v, ENTRY * chunk.len() as u32);
        }
        let (qlen, futex_env) = (*qlen as u64, *futex_env as u64);
        overflow |= qlen >> self.qlen | futex_env >> self.env;
        w.put(qlen | futex_env << self.qlen, self.qlen + self.env);
        if w.used > 0 {
            w.out[w.word] = w.acc as u64;
        }
        // Threads, keys and queue slots past the bound stay empty (the model
        // only ever touches live ones); checking it costs a few compares.
        let outside = threads[self.threads..]
            .iter()
            .any(|t| *t != ThreadState::default())
            || keys[self.keys..].iter().any(|k| *k != KeyState::default())
            || queue[self.slots..].iter().any(|e| *e != Entry::default())
            || qlen as usize > self.slots;
        assert!(
            overflow == 0 && !outside,
            "a state field exceeds the width its bound allows: {s:?}"
        );
        w.out
    }

    /// The state encoded in `code` (at least [`Codec::words`] words).
    pub fn decode(&self, code: &[u64]) -> State {
        let mut r = Reader {
            code,
            used: 0,
            word: 0,
        };
        let mut s = State {
            threads: Default::default(),
            keys: Default::default(),
            queue: [Entry::default(); MAX_QUEUE],
            qlen: 0,
            futex_env: 0,
        };
        for t in &mut s.threads[..self.threads] {
            let mut v = r.get(self.thread_bits);
            let mut take = |width: u32| {
                let x = v & mask(width);
                v >>= width;
                x
            };
            t.ops_left = take(self.ops) as u8;
            let code = take(PHASE);
            let arg = take(self.arg) as u8;
            let answer = take(ANSWER) as u8;
            t.snapshot = take(self.snap) as u16;
            t.phase = match code {
                0 => Phase::Idle,
                1 => Phase::Blocked(arg),
                2 => Phase::Woken(arg),
                _ => Phase::Cancelling(arg, Answer::from_code(answer).expect("an answer code")),
            };
        }
        for k in &mut s.keys[..self.keys] {
            let mut v = r.get(self.key_bits);
            let mut take = |width: u32| {
                let x = v & mask(width);
                v >>= width;
                x
            };
            k.reg = Reg::from_code(take(REG) as u8);
            k.mode = take(MODE) as u8;
            k.gen = take(GEN) as u8;
            k.holders = take(self.threads as u32) as u8;
            let flags = take(FLAGS);
            k.pending_edge = flags & 1 != 0;
            k.cond = flags & 2 != 0;
            k.closed = flags & 4 != 0;
            k.owed = flags & 8 != 0;
            k.env_left = take(self.env) as u8;
            k.cancel = CancelReq::from_code(take(CANCEL) as u8);
            k.cancelled_gens = take(GENS) as u8;
            k.terminals = take(TERMINALS) as u8;
            k.overtakers = take(self.keys as u32) as u8;
        }
        for chunk in s.queue[..self.slots].chunks_mut(ENTRIES_PER_PUT) {
            let mut v = r.get(ENTRY * chunk.len() as u32);
            for e in chunk {
                let c = (v & mask(ENTRY)) as u8;
                v >>= ENTRY;
                let kind = match c >> 4 {
                    0 => EventKind::Ready,
                    1 => EventKind::Item,
                    2 => EventKind::Final(Outcome::Done),
                    _ => EventKind::Final(Outcome::Cancelled),
                };
                *e = Entry::new(c & 3, (c >> 2) & 3, kind);
            }
        }
        let v = r.get(self.qlen + self.env);
        s.qlen = (v & mask(self.qlen)) as u8;
        s.futex_env = (v >> self.qlen) as u8;
        s
    }
}

impl Codec {
    /// Feeds the words a state's fingerprint hashes to `h`: every field of
    /// the live threads and keys, and the queued entries, each in a whole
    /// byte (so the form is injective without width checks), at fixed
    /// offsets (a handful of shifts, cheaper than [`State::pack`], on every
    /// transition). Threads and keys past the bound and queue slots past
    /// `qlen` are left out: no rule reads them (the queue's slots past
    /// `qlen` are always empty, and [`Codec::encode`] checks that threads
    /// and keys past the bound are empty in every state kept).
    #[inline]
    pub fn fp_words(&self, s: &State, mut h: impl FnMut(u64)) {
        for t in &s.threads[..self.threads] {
            let ThreadState {
                ops_left,
                phase,
                snapshot,
            } = *t;
            let (code, arg, answer) = match phase {
                Phase::Idle => (0u64, 0u8, 0u8),
                Phase::Blocked(max) => (1, max, 0),
                Phase::Woken(max) => (2, max, 0),
                Phase::Cancelling(k, ans) => (3, k, ans.code()),
            };
            h(ops_left as u64
                | code << 8
                | (arg as u64) << 16
                | (answer as u64) << 24
                | (snapshot as u64) << 32);
        }
        for k in &s.keys[..self.keys] {
            let KeyState {
                reg,
                mode,
                gen,
                holders,
                pending_edge,
                cond,
                closed,
                env_left,
                cancel,
                cancelled_gens,
                terminals,
                owed,
                overtakers,
            } = *k;
            let flags = u64::from(pending_edge)
                | u64::from(cond) << 1
                | u64::from(closed) << 2
                | u64::from(owed) << 3;
            h(reg as u64
                | (mode as u64) << 8
                | (gen as u64) << 16
                | (holders as u64) << 24
                | flags << 32
                | (env_left as u64) << 40
                | (cancel as u64) << 48
                | (cancelled_gens as u64) << 56);
            h(terminals as u64 | (overtakers as u64) << 8);
        }
        for chunk in s.queue[..s.qlen as usize].chunks(8) {
            let mut v = 0u64;
            for (i, e) in chunk.iter().enumerate() {
                v |= (e.code() as u64) << (8 * i);
            }
            h(v);
        }
        h(s.qlen as u64 | (s.futex_env as u64) << 8);
    }
}

/// An entry's 6 bits: key, generation, kind (as [`Entry`] packs them).
#[inline(always)]
fn entry_code(e: Entry) -> u64 {
    e.code() as u64
}

#[cfg(test)]
mod tests {
    use super::*;
    use onering_model::{Model, Step, MUTANTS, PROFILES};
    use std::collections::HashSet;

    /// Every state reachable (up to a few thousand per scenario) in every
    /// profile, at bounds small and large, survives encode and decode, and
    /// the default bound needs 3 words.
    #[test]
    fn reachable_states_round_trip() {
        let bounds = [
            Bound::default(),
            Bound {
                threads: 4,
                keys: 4,
                ops: 8,
                env: 3,
                batch: 4,
            },
            Bound {
                threads: 1,
                keys: 3,
                ops: 6,
                env: 5,
                batch: 1,
            },
        ];
        assert_eq!(Codec::new(Bound::default()).words(), 3);
        for bound in bounds {
            let codec = Codec::new(bound);
            for rules in PROFILES.iter().chain(MUTANTS.iter()) {
                for sc in rules.scenarios {
                    let model = Model::new(*rules, *sc, bound).expect("valid");
                    let mut seen = HashSet::new();
                    let mut todo = vec![model.init()];
                    let mut steps: Vec<Step> = Vec::new();
                    while let Some(s) = todo.pop() {
                        if seen.len() > 3000 || !seen.insert(s.pack()) {
                            continue;
                        }
                        let code = codec.encode(&s);
                        assert!(code[codec.words()..].iter().all(|&w| w == 0));
                        assert_eq!(
                            codec.decode(&code[..codec.words()]),
                            s,
                            "{} {sc}",
                            rules.name
                        );
                        steps.clear();
                        model.successors(&s, &mut steps);
                        todo.extend(steps.iter().map(|st| st.next));
                    }
                }
            }
        }
    }

    /// The fingerprint form tells apart every two distinct reachable states
    /// (it is injective), and equal states give equal words.
    #[test]
    fn fingerprint_words_are_injective_on_reachable_states() {
        use std::collections::HashMap;
        for bound in [
            Bound::default(),
            Bound {
                threads: 3,
                keys: 3,
                ops: 2,
                env: 2,
                batch: 2,
            },
        ] {
            let codec = Codec::new(bound);
            for rules in PROFILES.iter().chain(MUTANTS.iter()) {
                for sc in rules.scenarios {
                    let model = Model::new(*rules, *sc, bound).expect("valid");
                    let mut by_words: HashMap<Vec<u64>, State> = HashMap::new();
                    let mut todo = vec![model.init()];
                    let mut steps: Vec<Step> = Vec::new();
                    while let Some(s) = todo.pop() {
                        if by_words.len() > 3000 {
                            break;
                        }
                        let mut w = Vec::new();
                        codec.fp_words(&s, |x| w.push(x));
                        match by_words.entry(w) {
                            std::collections::hash_map::Entry::Occupied(e) => {
                                assert_eq!(*e.get(), s, "{} {sc}", rules.name);
                                continue;
                            }
                            std::collections::hash_map::Entry::Vacant(e) => {
                                e.insert(s);
                            }
                        }
                        steps.clear();
                        model.successors(&s, &mut steps);
                        todo.extend(steps.iter().map(|st| st.next));
                    }
                }
            }
        }
    }

    /// Every valid bound fits in [`MAX_WORDS`] (`Codec::new` asserts it).
    #[test]
    fn every_valid_bound_fits() {
        let mut n = 0;
        for threads in 1..=4 {
            for keys in 1..=4 {
                for ops in 0..=8 {
                    for env in 0..=6 {
                        for batch in 1..=4 {
                            let bound = Bound {
                                threads,
                                keys,
                                ops,
                                env,
                                batch,
                            };
                            if bound.validate().is_ok() {
                                assert!(Codec::new(bound).words() <= MAX_WORDS);
                                n += 1;
                            }
                        }
                    }
                }
            }
        }
        assert!(n > 1000);
    }

    /// A value wider than its bound allows is refused, not truncated.
    #[test]
    #[should_panic(expected = "exceeds the width")]
    fn a_field_past_its_width_panics() {
        let codec = Codec::new(Bound::default());
        let mut s = Model::new(PROFILES[0], PROFILES[0].scenarios[0], Bound::default())
            .expect("valid")
            .init();
        s.threads[0].ops_left = 7;
        codec.encode(&s);
    }
}
