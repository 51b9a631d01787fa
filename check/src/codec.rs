//! States packed to the bits a bound needs, for the BFS frontier.
//!
//! [`State::pack`] spends a byte (or more) on every field of every thread
//! and key slot a state can hold: 96 bytes. At a given bound most of those
//! bytes are always zero (threads and keys past the bound, queue slots past
//! `keys × (env + 3)`) and the rest use a few bits each (`ops_left ≤ ops`, a
//! holders mask of `threads` bits, ...). [`Codec`] keeps, for each byte of
//! the packed form, only the low bits the bound lets it use, and
//! concatenates them: 3 words for the default bound instead of 12.
//!
//! The widths are upper bounds derived from the bound; [`Codec::encode`]
//! checks every byte against its width and panics (an explorer bug, never a
//! silent merge of two states) if one does not fit.

use onering_model::{Bound, State, MAX_QUEUE, PACKED_WORDS};

const BYTES: usize = PACKED_WORDS * 8;

/// Bits needed to represent `n`.
fn bits(n: u32) -> u8 {
    (32 - n.leading_zeros()) as u8
}

/// Bit widths for one bound.
#[derive(Clone, Debug)]
pub struct Codec {
    /// (byte index in the packed form, width) for every byte with width > 0.
    fields: Vec<(u8, u8)>,
    words: usize,
}

impl Codec {
    /// The codec for `bound` (which must be valid).
    pub fn new(bound: Bound) -> Codec {
        let mut w = [0u8; BYTES];
        let threads = bound.threads as usize;
        let keys = bound.keys as usize;
        for t in 0..threads {
            let o = t * 6;
            w[o] = bits(bound.ops as u32); // ops_left
            w[o + 1] = 2; // phase code
            w[o + 2] = bits(u32::from(bound.batch.max(bound.keys - 1))); // max or key
            w[o + 3] = 4; // answer code (1..=8)
            let snap = 4 * keys; // 4 generation bits per key
            w[o + 4] = snap.min(8) as u8;
            w[o + 5] = snap.saturating_sub(8) as u8;
        }
        for k in 0..keys {
            let o = 24 + k * 10;
            w[o] = 3; // reg
            w[o + 1] = 3; // mode
            w[o + 2] = 2; // gen
            w[o + 3] = threads as u8; // holders
            w[o + 4] = 4; // flags
            w[o + 5] = bits(bound.env as u32); // env_left
            w[o + 6] = 2; // cancel
            w[o + 7] = 4; // cancelled_gens
            w[o + 8] = 2; // terminals (0..=2)
            w[o + 9] = keys as u8; // overtakers
        }
        let slots = (keys * (bound.env as usize + 3)).min(MAX_QUEUE);
        for q in 0..slots {
            w[64 + q] = 6; // key 2 | gen 2 | kind 2
        }
        w[88] = bits(slots as u32);
        w[89] = bits(bound.env as u32);
        let fields: Vec<(u8, u8)> = w
            .iter()
            .enumerate()
            .filter(|(_, &b)| b > 0)
            .map(|(i, &b)| (i as u8, b))
            .collect();
        let total: usize = fields.iter().map(|&(_, b)| b as usize).sum();
        Codec {
            fields,
            words: total.div_ceil(64).max(1),
        }
    }

    /// Words per encoded state.
    pub fn words(&self) -> usize {
        self.words
    }

    /// Appends the encoding of `packed` (a [`State::pack`]) to `out`.
    pub fn encode(&self, packed: &[u64; PACKED_WORDS], out: &mut Vec<u64>) {
        let mut acc = 0u64;
        let mut used = 0u32;
        let mut overflow = 0u64;
        let mut pushed = 0;
        for &(i, width) in &self.fields {
            let byte = (packed[i as usize / 8] >> (8 * (i % 8))) & 0xFF;
            overflow |= byte >> width;
            acc |= byte << used;
            used += width as u32;
            if used >= 64 {
                out.push(acc);
                pushed += 1;
                used -= 64;
                acc = if used == 0 {
                    0
                } else {
                    byte >> (width as u32 - used)
                };
            }
        }
        if pushed < self.words {
            out.push(acc);
        }
        // Every byte outside `fields` must be zero too.
        let mut all = *packed;
        for &(i, _) in &self.fields {
            all[i as usize / 8] &= !(0xFF << (8 * (i % 8)));
        }
        assert!(
            overflow == 0 && all.iter().all(|&x| x == 0),
            "a state field exceeds the width its bound allows: {packed:x?}"
        );
    }

    /// The state encoded in `code` (one [`Codec::words`]-long slice).
    pub fn decode(&self, code: &[u64]) -> State {
        let mut packed = [0u64; PACKED_WORDS];
        let mut word = 0;
        let mut used = 0u32;
        for &(i, width) in &self.fields {
            let width = width as u32;
            let mut v = code[word] >> used;
            if used + width > 64 {
                v |= code[word + 1] << (64 - used);
            }
            v &= (1u64 << width) - 1;
            used += width;
            if used >= 64 {
                word += 1;
                used -= 64;
            }
            packed[i as usize / 8] |= v << (8 * (i % 8));
        }
        State::unpack(&packed)
    }
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
                        let mut code = Vec::new();
                        codec.encode(&s.pack(), &mut code);
                        assert_eq!(code.len(), codec.words());
                        assert_eq!(codec.decode(&code), s, "{} {sc}", rules.name);
                        steps.clear();
                        model.successors(&s, &mut steps);
                        todo.extend(steps.iter().map(|st| st.next));
                    }
                }
            }
        }
    }
}
