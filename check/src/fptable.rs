//! The visited set: open-addressing tables of 64-bit fingerprints with
//! ordered linear probing (each run of slots kept in key order, so a miss
//! stops at the first larger key; see `Shard`), plus, per visited state,
//! its parent's id and the index of the step that reached it (for shortest
//! counterexamples).
//!
//! The fingerprints are split into [`SHARDS`] tables by their top bits, each
//! growing on its own: growing one shard holds its old and new slots for a
//! moment, a 64th of what growing one big table would, so the visited set
//! never needs twice its size. Shards also let the explorer insert a BFS
//! level's new states from several threads at once
//! ([`FpTable::insert_shards`]).
//!
//! Memory per visited state: one 8-byte fingerprint slot divided by the load
//! factor, which stays between 0.7 and 0.875 (a shard grows by a quarter,
//! not by doubling, and is indexed by multiply-shift rather than a mask so
//! that any size works), plus a 4-byte link (24-bit parent id, 8-bit step
//! index) kept in fixed-size chunks (no doubling slack): 13 to 15.5 bytes,
//! plus 2 KiB of padding per shard (128 KiB in all).
//! States past the 16,777,215th keep a 5-byte link. Ids are insertion order
//! and live only in the links, so the table can grow without touching them.

/// A fingerprint never equal to the empty marker.
#[inline]
pub fn fingerprint(h: u64) -> u64 {
    if h == 0 {
        1
    } else {
        h
    }
}

const CHUNK: usize = 1 << 12;

/// Ids below this keep a packed 4-byte link; it doubles as the packed "no
/// parent" marker.
const PACKED: u32 = (1 << 24) - 1;

/// Append-only storage in fixed-size chunks.
struct Chunked<T: Copy + Default> {
    chunks: Vec<Box<[T]>>,
    len: usize,
}

impl<T: Copy + Default> Chunked<T> {
    fn new() -> Self {
        Chunked {
            chunks: Vec::new(),
            len: 0,
        }
    }
    fn push(&mut self, x: T) {
        if self.len == self.chunks.len() * CHUNK {
            self.chunks
                .push(vec![T::default(); CHUNK].into_boxed_slice());
        }
        self.chunks[self.len / CHUNK][self.len % CHUNK] = x;
        self.len += 1;
    }
    fn get(&self, i: usize) -> T {
        self.chunks[i / CHUNK][i % CHUNK]
    }
    fn set(&mut self, i: usize, x: T) {
        self.chunks[i / CHUNK][i % CHUNK] = x;
    }
    fn bytes(&self) -> usize {
        self.chunks.len() * CHUNK * std::mem::size_of::<T>()
    }
}

/// Shards of the visited set (a power of two).
pub const SHARDS: usize = 64;
const SHARD_BITS: u32 = SHARDS.trailing_zeros();

/// The shard of a fingerprint.
#[inline]
pub fn shard_of(fp: u64) -> usize {
    (fp >> (64 - SHARD_BITS)) as usize
}

/// Slots past the last home position, so that probing never wraps (more
/// if a run needs them).
const PAD: usize = 256;

/// One shard: fingerprints whose top bits name it, in an ordered
/// linear-probing table (Amble and Knuth, "Ordered hash tables", 1974).
///
/// A fingerprint's home slot is monotone in its key (`fp << SHARD_BITS`,
/// the bits below the shard's), and each run of occupied slots is kept in
/// key order, with no wrap-around (the last home is `PAD` slots before the
/// end). So a probe stops at the first slot holding a larger key, not only
/// at an empty one: a miss, the common case while a level is expanded,
/// costs about as many probes as a hit (about 3 at load 0.8, against about
/// 13 for plain linear probing).
struct Shard {
    /// Slot: fingerprint (0 = empty).
    slots: Vec<u64>,
    /// Home positions: `0..homes`.
    homes: usize,
    len: usize,
}

/// The order runs are kept in (monotone with [`Shard::home`]).
#[inline(always)]
fn key(fp: u64) -> u64 {
    fp << SHARD_BITS
}

impl Shard {
    fn new(capacity: usize) -> Shard {
        let homes = (capacity + capacity / 4).max(64);
        Shard {
            slots: vec![0; homes + PAD],
            homes,
            len: 0,
        }
    }

    #[inline]
    fn home(&self, fp: u64) -> usize {
        // The top bits chose the shard; the rest place it.
        ((key(fp) as u128 * self.homes as u128) >> 64) as usize
    }

    #[inline]
    fn contains(&self, fp: u64) -> bool {
        let k = key(fp);
        for &s in &self.slots[self.home(fp)..] {
            if s == fp {
                return true;
            }
            if s == 0 || key(s) > k {
                return false;
            }
        }
        false
    }

    /// Inserts `fp`; false if it was there.
    fn insert(&mut self, fp: u64) -> bool {
        if (self.len + 1) * 8 > self.homes * 7 {
            self.grow();
        }
        loop {
            match self.try_insert(fp) {
                Some(new) => return new,
                // The run reached the padding's end: more padding.
                None => self.rehash(self.homes, 2 * (self.slots.len() - self.homes)),
            }
        }
    }

    /// Inserts `fp` at its place in key order, shifting the rest of its run
    /// one slot right; `None` if the run would pass the last slot.
    fn try_insert(&mut self, fp: u64) -> Option<bool> {
        let k = key(fp);
        let n = self.slots.len();
        let mut i = self.home(fp);
        while i < n {
            let s = self.slots[i];
            if s == fp {
                return Some(false);
            }
            if s == 0 || key(s) > k {
                break;
            }
            i += 1;
        }
        // Shift `i..` up to the first empty slot.
        let mut end = i;
        while end < n && self.slots[end] != 0 {
            end += 1;
        }
        if end == n {
            return None;
        }
        self.slots.copy_within(i..end, i + 1);
        self.slots[i] = fp;
        self.len += 1;
        Some(true)
    }

    fn grow(&mut self) {
        let pad = self.slots.len() - self.homes;
        self.rehash(self.homes + self.homes / 4, pad);
    }

    /// Moves every fingerprint into a table with `homes` home slots and
    /// `pad` slots of padding.
    fn rehash(&mut self, homes: usize, pad: usize) {
        let old = std::mem::replace(&mut self.slots, vec![0; homes + pad]);
        let old_homes = std::mem::replace(&mut self.homes, homes);
        // The old slots are in key order, and so are their new homes: each
        // goes to its home or just past the previous one.
        let mut next = 0;
        for j in 0..old.len() {
            let fp = old[j];
            if fp == 0 {
                continue;
            }
            let i = self.home(fp).max(next);
            if i >= self.slots.len() {
                // A run past the padding (not seen with hashed
                // fingerprints, but possible): twice the padding.
                self.slots = old;
                self.homes = old_homes;
                return self.rehash(homes, pad * 2);
            }
            self.slots[i] = fp;
            next = i + 1;
        }
    }
}

/// Visited states.
pub struct FpTable {
    shards: Vec<Shard>,
    /// Per id below [`PACKED`]: parent id << 8 | step index.
    packed: Chunked<u32>,
    /// Per id from [`PACKED`] on: parent id and step index.
    wide_parent: Chunked<u32>,
    wide_via: Chunked<u8>,
    /// Ids below this use `packed` ([`PACKED`]; lower in tests).
    limit: u32,
}

impl FpTable {
    /// An empty table with room for about `capacity` states before growing.
    pub fn with_capacity(capacity: usize) -> FpTable {
        FpTable {
            shards: (0..SHARDS).map(|_| Shard::new(capacity / SHARDS)).collect(),
            packed: Chunked::new(),
            wide_parent: Chunked::new(),
            wide_via: Chunked::new(),
            limit: PACKED,
        }
    }

    /// Number of visited states.
    pub fn len(&self) -> usize {
        self.packed.len + self.wide_parent.len
    }

    /// Whether no state was visited.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Appends the link of the next id (`len()` before the call); with
    /// [`FpTable::insert_shards`], how a level's states get their ids.
    pub fn push_link(&mut self, parent: u32, via: u8) {
        if (self.packed.len as u32) < self.limit {
            let p = if parent == u32::MAX { PACKED } else { parent };
            self.packed.push(p << 8 | via as u32);
        } else {
            self.wide_parent.push(parent);
            self.wide_via.push(via);
        }
    }

    /// Whether `fp` was visited.
    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        self.shards[shard_of(fp)].contains(fp)
    }

    /// Inserts `fp` with its parent link; returns its new id, or `None` if it
    /// was already visited.
    pub fn insert(&mut self, fp: u64, parent: u32, via: u8) -> Option<u32> {
        if !self.shards[shard_of(fp)].insert(fp) {
            return None;
        }
        let id = self.len() as u32;
        self.push_link(parent, via);
        Some(id)
    }

    /// Inserts fingerprints not yet visited, `per_shard[i]` into shard `i`,
    /// on up to `jobs` threads. Their links are pushed separately
    /// ([`FpTable::push_link`]), in id order.
    pub fn insert_shards(&mut self, per_shard: &[Vec<u64>], jobs: usize) {
        assert_eq!(per_shard.len(), SHARDS);
        let jobs = jobs.clamp(1, SHARDS);
        let per = SHARDS.div_ceil(jobs);
        std::thread::scope(|scope| {
            for (mine, fps) in self.shards.chunks_mut(per).zip(per_shard.chunks(per)) {
                scope.spawn(move || {
                    for (shard, fps) in mine.iter_mut().zip(fps) {
                        for &fp in fps {
                            let new = shard.insert(fp);
                            debug_assert!(new, "a level's new state was visited");
                        }
                    }
                });
            }
        });
    }

    /// The parent id of `id` (`u32::MAX` for an initial state).
    pub fn parent(&self, id: u32) -> u32 {
        if id < self.limit {
            match self.packed.get(id as usize) >> 8 {
                PACKED => u32::MAX,
                p => p,
            }
        } else {
            self.wide_parent.get((id - self.limit) as usize)
        }
    }

    /// The successor index that reached `id`.
    pub fn via(&self, id: u32) -> u8 {
        if id < self.limit {
            self.packed.get(id as usize) as u8
        } else {
            self.wide_via.get((id - self.limit) as usize)
        }
    }

    /// Re-points `id` at another parent (a path with fewer thread switches).
    pub fn set_parent(&mut self, id: u32, parent: u32, via: u8) {
        if id < self.limit {
            self.packed.set(id as usize, parent << 8 | via as u32);
        } else {
            self.wide_parent.set((id - self.limit) as usize, parent);
            self.wide_via.set((id - self.limit) as usize, via);
        }
    }

    /// Bytes held by the table and its links.
    pub fn bytes(&self) -> usize {
        self.shards.iter().map(|s| s.slots.len() * 8).sum::<usize>()
            + self.packed.bytes()
            + self.wide_parent.bytes()
            + self.wide_via.bytes()
    }

    /// The ids from an initial state to `id`, in order.
    pub fn path_to(&self, id: u32) -> Vec<u32> {
        let mut path = vec![id];
        let mut cur = id;
        while self.parent(cur) != u32::MAX {
            cur = self.parent(cur);
            path.push(cur);
        }
        path.reverse();
        path
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn insert_finds_duplicates_across_growth() {
        let mut t = FpTable::with_capacity(4);
        for i in 1..200_000u64 {
            let fp = fingerprint(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            assert_eq!(t.insert(fp, u32::MAX, 0), Some(i as u32 - 1));
        }
        for i in 1..200_000u64 {
            let fp = fingerprint(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            assert_eq!(t.insert(fp, 0, 0), None);
            assert!(t.contains(fp));
        }
        assert!(!t.contains(fingerprint(0xdead_beef)));
        assert_eq!(t.len(), 199_999);
        // Load factor and chunked links keep memory near 15 bytes a state.
        assert!(t.bytes() <= 199_999 * 16, "{} bytes", t.bytes());
    }

    /// Fingerprints that share their home (a run far longer than the
    /// padding) still go in, are all found, and misses between and around
    /// them are misses: the ordered probe stops at the right slot.
    #[test]
    fn runs_longer_than_the_padding_get_more_padding() {
        let mut t = FpTable::with_capacity(4);
        // Shard 5, keys just below the largest: every home is the last.
        let base = (5u64 << (64 - SHARD_BITS)) | ((u64::MAX >> SHARD_BITS) - 4000);
        let fps: Vec<u64> = (1..=2000u64).map(|i| base + i * 2).collect();
        // Descending, so every insert shifts the whole run.
        for &fp in fps.iter().rev() {
            assert!(t.insert(fp, u32::MAX, 0).is_some());
        }
        for &fp in &fps {
            assert!(t.contains(fp));
            assert!(!t.contains(fp + 1), "{fp:x} + 1");
            assert!(t.insert(fp, 0, 0).is_none());
        }
        assert!(!t.contains(base));
        assert!(!t.contains(base - (1 << 40)));
        assert_eq!(t.len(), 2000);
    }

    #[test]
    fn links_past_the_packed_range_keep_full_ids() {
        let mut t = FpTable::with_capacity(4);
        t.limit = 3;
        t.insert(10, u32::MAX, 0);
        for i in 1..10u32 {
            assert_eq!(t.insert(10 + i as u64, i - 1, i as u8), Some(i));
        }
        assert_eq!(t.parent(0), u32::MAX);
        assert_eq!(t.path_to(9), (0..=9).collect::<Vec<_>>());
        assert_eq!(t.via(7), 7);
        t.set_parent(8, 2, 200);
        assert_eq!((t.parent(8), t.via(8)), (2, 200));
    }

    #[test]
    fn path_follows_parents() {
        let mut t = FpTable::with_capacity(4);
        t.insert(10, u32::MAX, 0);
        t.insert(11, 0, 3);
        t.insert(12, 1, 1);
        assert_eq!(t.path_to(2), vec![0, 1, 2]);
        assert_eq!(t.via(1), 3);
        t.set_parent(2, 0, 7);
        assert_eq!(t.path_to(2), vec![0, 2]);
    }
}
