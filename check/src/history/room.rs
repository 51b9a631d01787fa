//! The room of a part's search (its memo and its stack), kept from one
//! part to the next.
//!
//! # Why
//!
//! A history is checked one part at a time, and each part's search grows a
//! memo table and a stack of frames to about the size of the part. Made
//! anew for each part, that room was returned to the system at the end of
//! each (the allocator gives large blocks back) and taken again, page by
//! page, by the next: on the bench's 1M-call, 64-thread, 64-source history
//! the kernel's page faults took 2.3 s of its 10.8 s (system time), and the
//! memo's growth by doubling copied its entries again in every part.
//!
//! # What is kept, and what it costs the budget
//!
//! The tables and the stack are emptied, not freed, and the next part's
//! search (on the same thread) starts in them. Their capacity is memory
//! held, so the search counts it against `--max-memory` as before (memo
//! capacity and stack capacity): nothing is hidden from the budget. So that
//! room kept from an earlier part does not take a later part's budget, room
//! larger than a quarter of that part's memory budget is freed instead of
//! reused ([`take`]). The verdict does not depend on the room: the memo
//! starts empty either way, and only its capacity differs. The room is
//! given back to the allocator at the end of a check ([`ReleaseAtEnd`]).

use super::linearize::{Cfg, Fx};
use std::cell::RefCell;
use std::collections::HashSet;

/// The memo: (linearized set, configuration) pairs already reached, none of
/// which can be completed to a linearization unless it is on the search's
/// stack (a configuration on the stack is never reached again: the
/// linearized set only grows along the stack).
///
/// Bounded in two generations: when the newer holds `cap` entries, the
/// older is dropped and the newer becomes the older. Forgetting an entry is
/// sound: the memo only prunes configurations known to fail, so a
/// forgotten one is searched again (work repeats, the verdict does not
/// change), and the search still ends (each step adds to the linearized
/// set, and each point has finitely many choices). What it forgets first
/// is what was reached longest ago: mostly configurations whose linearized
/// set is far behind the calls open now, which the search reaches again
/// only if it backtracks that far.
#[derive(Default)]
pub(super) struct Memo {
    new: HashSet<(u128, Cfg), Fx>,
    old: HashSet<(u128, Cfg), Fx>,
    /// Entries per generation.
    pub(super) cap: usize,
}

impl Memo {
    /// Records `k`; `false` if it was there already.
    pub(super) fn insert(&mut self, k: (u128, Cfg)) -> bool {
        // An empty older generation (kept room) is not probed: its table
        // may be large, and a probe of it a cache miss.
        if (!self.old.is_empty() && self.old.contains(&k)) || !self.new.insert(k) {
            return false;
        }
        if self.new.len() >= self.cap {
            self.old = std::mem::take(&mut self.new);
        }
        true
    }

    /// Entries allocated for.
    pub(super) fn capacity(&self) -> usize {
        self.new.capacity() + self.old.capacity()
    }
}

/// One placed op of the search's stack.
pub(super) struct Frame {
    /// The op (index into the part).
    pub(super) op: usize,
    /// The configuration before it.
    pub(super) prev: Cfg,
    /// Its outcomes not tried yet.
    pub(super) alts: Vec<Cfg>,
    /// Placed at once (an idle release, a forced quiet harvest): when
    /// undone, the point before it has nothing else to try.
    pub(super) forced: bool,
}

/// A search's memo and stack.
#[derive(Default)]
pub(super) struct Room {
    pub(super) memo: Memo,
    pub(super) stack: Vec<Frame>,
}

impl Room {
    /// Bytes the room's capacity takes (what the budget counts of it).
    pub(super) fn bytes(&self) -> u64 {
        self.memo.capacity() as u64 * ENTRY_BYTES
            + (self.stack.capacity() * std::mem::size_of::<Frame>()) as u64
    }
}

/// Bytes a memo entry takes: the key and a word of the table's.
pub(super) const ENTRY_BYTES: u64 = (std::mem::size_of::<(u128, Cfg)>() + 8) as u64;

thread_local! {
    /// The room the last search on this thread left, emptied.
    static KEPT: RefCell<Room> = RefCell::default();
}

/// The room kept on this thread, empty, for a search of `max_bytes`
/// (fresh room if what is kept is more than a quarter of it).
pub(super) fn take(max_bytes: Option<u64>) -> Room {
    let room = KEPT.with(|k| std::mem::take(&mut *k.borrow_mut()));
    match max_bytes {
        Some(m) if room.bytes() > m / 4 => Room::default(),
        _ => room,
    }
}

/// Keeps `room`, emptied, for the next search on this thread.
pub(super) fn keep(mut room: Room) {
    room.memo.new.clear();
    room.memo.old.clear();
    room.stack.clear();
    KEPT.with(|k| *k.borrow_mut() = room);
}

/// Gives the kept room back to the allocator.
pub(super) fn release() {
    KEPT.with(|k| drop(std::mem::take(&mut *k.borrow_mut())));
}

/// Gives the kept room back when dropped: the end of a check, however it
/// returns.
pub(super) struct ReleaseAtEnd;

impl Drop for ReleaseAtEnd {
    fn drop(&mut self) {
        release();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn filled() -> Room {
        let mut room = Room::default();
        room.stack.reserve(1000);
        room.memo.new.reserve(1000);
        room
    }

    #[test]
    fn kept_room_is_reused_empty_within_the_budget() {
        let room = filled();
        let bytes = room.bytes();
        keep(room);
        let again = take(Some(4 * bytes));
        assert_eq!(again.bytes(), bytes);
        assert!(again.stack.is_empty() && again.memo.new.is_empty());
        release();
    }

    #[test]
    fn kept_room_larger_than_a_quarter_of_the_budget_is_freed() {
        let room = filled();
        let bytes = room.bytes();
        keep(room);
        assert_eq!(take(Some(4 * bytes - 4)).bytes(), 0);
        keep(filled());
        release();
        assert_eq!(take(None).bytes(), 0);
    }
}
