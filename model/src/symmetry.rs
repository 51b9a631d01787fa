//! Symmetry: threads are interchangeable, and so are keys of one class
//! (keys that start with the same source kind, mode and budget, each on a
//! source of its own: every key of a uniform scenario; in a mixed one, see
//! [`crate::Model::key_classes`] and [`Symmetry::key_classes`]), and so are
//! generation numbers (only compared for equality; see
//! [`State::normalize_generations`]). The canonical representative
//! of a state is the least state over all renamings of threads and keys; two
//! states with the same representative satisfy the same properties, because
//! every rule and every property is stated for "a thread" and "a key", never
//! for a particular one.

use crate::state::{State, PACKED_WORDS};

/// All permutations of `0..n` as old → new maps, for `n` in `1..=4`.
fn permutations(n: u8) -> Vec<Vec<u8>> {
    let mut out = Vec::new();
    let mut p: Vec<u8> = (0..n).collect();
    heap(&mut p, n as usize, &mut out);
    out.sort();
    out
}

fn heap(p: &mut Vec<u8>, k: usize, out: &mut Vec<Vec<u8>>) {
    if k <= 1 {
        out.push(p.clone());
        return;
    }
    heap(p, k - 1, out);
    for i in 0..k - 1 {
        if k.is_multiple_of(2) {
            p.swap(i, k - 1);
        } else {
            p.swap(0, k - 1);
        }
        heap(p, k - 1, out);
    }
}

/// Renamings for one bound, precomputed.
#[derive(Clone, Debug)]
pub struct Symmetry {
    thread_perms: Vec<Vec<u8>>,
    key_perms: Vec<Vec<u8>>,
    /// Class of each key (all 0: every key interchangeable).
    key_class: [u8; 4],
    enabled: bool,
    dead: bool,
}

impl Symmetry {
    /// Renamings of `threads` threads and `keys` keys. With `enabled` false,
    /// only the identity (no reduction).
    pub fn new(threads: u8, keys: u8, enabled: bool) -> Symmetry {
        if enabled {
            Symmetry {
                thread_perms: permutations(threads),
                key_perms: permutations(keys),
                key_class: [0; 4],
                enabled: true,
                dead: true,
            }
        } else {
            Symmetry {
                thread_perms: vec![(0..threads).collect()],
                key_perms: vec![(0..keys).collect()],
                key_class: [0; 4],
                enabled: false,
                dead: true,
            }
        }
    }

    /// Only keys of the same class are renamed into each other
    /// (`classes[k]` is key `k`'s; [`crate::Model::key_classes`] gives a
    /// model's): a renaming is a symmetry only if it maps every key to one
    /// the transition relation treats alike. All classes equal (a uniform
    /// scenario) is [`Symmetry::new`]'s group.
    pub fn key_classes(mut self, classes: &[u8]) -> Symmetry {
        for (k, &c) in classes.iter().enumerate().take(4) {
            self.key_class[k] = c;
        }
        let class = self.key_class;
        self.key_perms.retain(|p| {
            p.iter()
                .enumerate()
                .all(|(old, &new)| class[old] == class[new as usize])
        });
        self
    }

    /// Whether renamed states whose queue order is dead (no thread waits
    /// again) get their queue sorted, as the model's dead-variable reduction
    /// keeps them. On by default.
    pub fn dead_variables(mut self, on: bool) -> Symmetry {
        self.dead = on;
        self
    }

    /// The canonical representative of `s` with its encoding, and the
    /// renaming that produced it (indices of the thread map and key map,
    /// old → new).
    ///
    /// Only renamings that sort threads and keys by their renaming-invariant
    /// signatures are tried (usually one); the least encoding among them is
    /// the representative. Because the signatures do not depend on names,
    /// that set of renamings, and so the result, is the same for every
    /// member of the orbit.
    pub fn canonical_packed(&self, s: &State) -> (State, [u64; PACKED_WORDS], usize, usize) {
        let (c, ti, ki) = self.canonical(s);
        (c, c.pack(), ti, ki)
    }

    /// [`Symmetry::canonical_packed`] without the encoding (which it
    /// computes only to break ties between several sorting renamings).
    pub fn canonical(&self, s: &State) -> (State, usize, usize) {
        if !self.enabled {
            return (*s, 0, 0);
        }
        let mut normalized = *s;
        normalized.normalize_generations();
        let s = &normalized;
        let nt = self.thread_perms[0].len();
        let nk = self.key_perms[0].len();
        let mut tsig = [0u32; 4];
        for (t, sig) in tsig.iter_mut().enumerate().take(nt) {
            *sig = s.thread_signature(t);
        }
        let mut ksig = [0u64; 4];
        for (k, sig) in ksig.iter_mut().enumerate().take(nk) {
            *sig = s.key_signature(k);
        }
        // Candidate renamings: those that sort the signatures. Usually one.
        let mut tcand = [0usize; 24];
        let mut nt_c = 0;
        for (ti, tp) in self.thread_perms.iter().enumerate() {
            if sorts(tp, &tsig[..nt]) {
                tcand[nt_c] = ti;
                nt_c += 1;
            }
        }
        let mut kcand = [0usize; 24];
        let mut nk_c = 0;
        let uniform = self.key_class[..nk].iter().all(|&c| c == 0);
        for (ki, kp) in self.key_perms.iter().enumerate() {
            let sorted = if uniform {
                sorts(kp, &ksig[..nk])
            } else {
                sorts_within(kp, &ksig[..nk], &self.key_class)
            };
            if sorted {
                kcand[nk_c] = ki;
                nk_c += 1;
            }
        }
        if nt_c == 1 && nk_c == 1 {
            let (ti, ki) = (tcand[0], kcand[0]);
            let identity = |p: &[u8]| p.iter().enumerate().all(|(i, &x)| i == x as usize);
            let c = if identity(&self.thread_perms[ti]) && identity(&self.key_perms[ki]) {
                // Renumbering generations may have unsorted a dead queue the
                // model kept sorted: sort it as `rename` does, or a state and
                // its renamings could get different representatives.
                let mut c = *s;
                if self.dead && c.all_done() {
                    c.sort_queue();
                }
                c
            } else {
                self.rename(s, &self.thread_perms[ti], &self.key_perms[ki])
            };
            return (c, ti, ki);
        }
        let mut best: Option<(State, [u64; PACKED_WORDS], usize, usize)> = None;
        for &ti in &tcand[..nt_c] {
            let tp = &self.thread_perms[ti];
            for &ki in &kcand[..nk_c] {
                let c = self.rename(s, tp, &self.key_perms[ki]);
                let p = c.pack();
                if best.as_ref().is_none_or(|b| p < b.1) {
                    best = Some((c, p, ti, ki));
                }
            }
        }
        let (c, _, ti, ki) = best.expect("the sorting renaming exists");
        (c, ti, ki)
    }

    fn rename(&self, s: &State, tp: &[u8], kp: &[u8]) -> State {
        let mut c = s.permuted(tp, kp);
        if self.dead && c.all_done() {
            c.sort_queue();
        }
        c
    }

    /// Whether renamings other than the identity are tried (without them
    /// every state is its own representative).
    pub fn enabled(&self) -> bool {
        self.enabled
    }

    /// The thread map with index `i` (from [`Symmetry::canonical`]).
    pub fn thread_perm(&self, i: usize) -> &[u8] {
        &self.thread_perms[i]
    }

    /// The key map with index `i`.
    pub fn key_perm(&self, i: usize) -> &[u8] {
        &self.key_perms[i]
    }
}

/// Whether renaming by `p` (old → new) puts `sig` in non-decreasing order.
fn sorts<T: Ord + Copy>(p: &[u8], sig: &[T]) -> bool {
    let mut at = [None; 4];
    for (old, &new) in p.iter().enumerate() {
        at[new as usize] = Some(sig[old]);
    }
    at[..p.len()].windows(2).all(|w| w[0] <= w[1])
}

/// Whether renaming by `p` (old → new) puts `sig` in non-decreasing order
/// among the keys of each class (positions of one class keep their class
/// under `p`).
fn sorts_within(p: &[u8], sig: &[u64], class: &[u8; 4]) -> bool {
    let mut at = [0u64; 4];
    for (old, &new) in p.iter().enumerate() {
        at[new as usize] = sig[old];
    }
    let n = p.len();
    (0..n).all(|i| (i + 1..n).all(|j| class[i] != class[j] || at[i] <= at[j]))
}

/// Inverse of an old → new map.
pub fn invert(p: &[u8]) -> Vec<u8> {
    let mut inv = vec![0; p.len()];
    for (old, &new) in p.iter().enumerate() {
        inv[new as usize] = old as u8;
    }
    inv
}

/// Composition: first `a`, then `b`.
pub fn compose(a: &[u8], b: &[u8]) -> Vec<u8> {
    a.iter().map(|&x| b[x as usize]).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn permutations_are_all_distinct() {
        for n in 1..=4u8 {
            let ps = permutations(n);
            let fact: usize = (1..=n as usize).product();
            assert_eq!(ps.len(), fact);
            let mut d = ps.clone();
            d.dedup();
            assert_eq!(d.len(), fact);
        }
    }

    #[test]
    fn invert_undoes_a_renaming() {
        let p = vec![2, 0, 3, 1];
        assert_eq!(compose(&p, &invert(&p)), vec![0, 1, 2, 3]);
    }
}
