//! The visited set: an open-addressing table of 64-bit fingerprints with
//! linear probing, plus, per visited state, its parent's id and the index of
//! the step that reached it (for shortest counterexamples).
//!
//! Memory per visited state: 8 bytes of fingerprint slot (divided by the load
//! factor, kept between 7/16 and 7/8), 4 bytes of parent id, 1 byte of step
//! index. Ids are insertion order and live only in the parent links, so the
//! table can grow without touching them; finding the id of an already
//! visited state is never needed (the explorer keeps a per-level map for the
//! one case that wants it).

/// A fingerprint never equal to the empty marker.
#[inline]
pub fn fingerprint(h: u64) -> u64 {
    if h == 0 {
        1
    } else {
        h
    }
}

/// Visited states.
pub struct FpTable {
    /// Slot: fingerprint (0 = empty).
    slots: Vec<u64>,
    /// Per id: the parent's id (`u32::MAX` for initial states).
    pub parents: Vec<u32>,
    /// Per id: which successor of the parent it is.
    pub via: Vec<u8>,
    mask: usize,
}

impl FpTable {
    /// An empty table with room for about `capacity` states before growing.
    pub fn with_capacity(capacity: usize) -> FpTable {
        let n = (capacity * 2).next_power_of_two().max(1024);
        FpTable {
            slots: vec![0; n],
            parents: Vec::with_capacity(capacity),
            via: Vec::with_capacity(capacity),
            mask: n - 1,
        }
    }

    /// Number of visited states.
    pub fn len(&self) -> usize {
        self.parents.len()
    }

    /// Whether no state was visited.
    pub fn is_empty(&self) -> bool {
        self.parents.is_empty()
    }

    /// Whether `fp` was visited.
    #[inline]
    pub fn contains(&self, fp: u64) -> bool {
        let mut i = (fp as usize) & self.mask;
        loop {
            let s = self.slots[i];
            if s == fp {
                return true;
            }
            if s == 0 {
                return false;
            }
            i = (i + 1) & self.mask;
        }
    }

    /// Inserts `fp` with its parent link; returns its new id, or `None` if it
    /// was already visited.
    pub fn insert(&mut self, fp: u64, parent: u32, via: u8) -> Option<u32> {
        if (self.len() + 1) * 8 > self.slots.len() * 7 {
            self.grow();
        }
        let mut i = (fp as usize) & self.mask;
        loop {
            let s = self.slots[i];
            if s == fp {
                return None;
            }
            if s == 0 {
                let id = self.parents.len() as u32;
                self.slots[i] = fp;
                self.parents.push(parent);
                self.via.push(via);
                return Some(id);
            }
            i = (i + 1) & self.mask;
        }
    }

    fn grow(&mut self) {
        let n = self.slots.len() * 2;
        let old_slots = std::mem::replace(&mut self.slots, vec![0; n]);
        self.mask = n - 1;
        for fp in old_slots {
            if fp == 0 {
                continue;
            }
            let mut i = (fp as usize) & self.mask;
            while self.slots[i] != 0 {
                i = (i + 1) & self.mask;
            }
            self.slots[i] = fp;
        }
    }

    /// Bytes held by the table and its parent links.
    pub fn bytes(&self) -> usize {
        self.slots.len() * 8 + self.parents.capacity() * 4 + self.via.capacity()
    }

    /// The ids from an initial state to `id`, in order.
    pub fn path_to(&self, id: u32) -> Vec<u32> {
        let mut path = vec![id];
        let mut cur = id;
        while self.parents[cur as usize] != u32::MAX {
            cur = self.parents[cur as usize];
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
        for i in 1..5000u64 {
            let fp = fingerprint(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            assert_eq!(t.insert(fp, u32::MAX, 0), Some(i as u32 - 1));
        }
        for i in 1..5000u64 {
            let fp = fingerprint(i.wrapping_mul(0x9E37_79B9_7F4A_7C15));
            assert_eq!(t.insert(fp, 0, 0), None);
            assert!(t.contains(fp));
        }
        assert!(!t.contains(fingerprint(0xdead_beef)));
        assert_eq!(t.len(), 4999);
    }

    #[test]
    fn path_follows_parents() {
        let mut t = FpTable::with_capacity(4);
        t.insert(10, u32::MAX, 0);
        t.insert(11, 0, 3);
        t.insert(12, 1, 1);
        assert_eq!(t.path_to(2), vec![0, 1, 2]);
    }
}
