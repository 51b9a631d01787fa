//! The live slots of each source, indexed by the source id: a backend's ids
//! are small dense integers (contract rule 9), so a lookup on every harvested
//! wake-up is an index, not a tree search.

use crate::event::SourceId;

#[derive(Debug, Default)]
pub(crate) struct BySource {
    slots: Vec<Vec<u32>>,
}

impl BySource {
    /// The live slots of `s`, in registration order (`None`: none).
    #[inline]
    pub(crate) fn get(&self, s: SourceId) -> Option<&Vec<u32>> {
        self.slots.get(s.0 as usize).filter(|v| !v.is_empty())
    }

    pub(crate) fn contains(&self, s: SourceId) -> bool {
        self.get(s).is_some()
    }

    pub(crate) fn push(&mut self, s: SourceId, idx: u32) {
        let i = s.0 as usize;
        if i >= self.slots.len() {
            self.slots.resize_with(i + 1, Vec::new);
        }
        self.slots[i].push(idx);
    }

    /// Removes slot `idx` of `s`; true if `s` has no live slot left.
    pub(crate) fn remove(&mut self, s: SourceId, idx: u32) -> bool {
        match self.slots.get_mut(s.0 as usize) {
            Some(v) if !v.is_empty() => {
                v.retain(|&i| i != idx);
                v.is_empty()
            }
            _ => false,
        }
    }
}
