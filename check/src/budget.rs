//! Budgets shared by every exploration of one command: wall-clock seconds
//! and resident memory. One [`Budget`] is made per command and cloned into
//! every exploration (they share it), so `--max-seconds` bounds the whole
//! command, however many explorations run and however many in parallel.
//!
//! Explorations ask [`Budget::exceeded`] before every chunk of states they
//! expand (at most a few thousand states, tens of milliseconds) and while
//! merging a level, so a run ends within a fraction of a second of its
//! budget, not at the end of a BFS level.

use std::sync::atomic::{AtomicU64, AtomicU8, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

/// What stopped a run early.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stop {
    /// `--max-states` (per exploration).
    States,
    /// `--max-seconds` (the whole command's wall time).
    Seconds,
    /// `--max-memory` (the process's resident memory).
    Memory,
}

impl Stop {
    /// The option that set the budget, as the CLI spells it.
    pub fn option(self) -> &'static str {
        match self {
            Stop::States => "--max-states",
            Stop::Seconds => "--max-seconds",
            Stop::Memory => "--max-memory",
        }
    }

    fn code(self) -> u8 {
        match self {
            Stop::States => 1,
            Stop::Seconds => 2,
            Stop::Memory => 3,
        }
    }

    fn from_code(c: u8) -> Option<Stop> {
        match c {
            1 => Some(Stop::States),
            2 => Some(Stop::Seconds),
            3 => Some(Stop::Memory),
            _ => None,
        }
    }
}

/// How often resident memory is sampled (reading `/proc/self/status` costs
/// microseconds; the tables grow by at most a few MiB in this time).
const MEMORY_SAMPLE: Duration = Duration::from_millis(20);

#[derive(Debug)]
struct Shared {
    start: Instant,
    deadline: Option<Instant>,
    max_rss: Option<u64>,
    /// Milliseconds since `start` of the next memory sample.
    next_sample_ms: AtomicU64,
    /// Peak resident bytes seen by the samples.
    peak_rss: AtomicU64,
    /// [`Stop::code`] of the first budget exceeded, 0 while none is.
    stopped: AtomicU8,
}

/// A shared wall-clock and memory budget (cheap to clone; clones share it).
#[derive(Clone, Debug)]
pub struct Budget(Arc<Shared>);

impl Default for Budget {
    fn default() -> Self {
        Budget::new(None, None)
    }
}

impl Budget {
    /// A budget of `max_seconds` of wall time from now and `max_rss` bytes
    /// of resident memory (either unbounded when `None`).
    pub fn new(max_seconds: Option<f64>, max_rss: Option<u64>) -> Budget {
        let start = Instant::now();
        Budget(Arc::new(Shared {
            start,
            deadline: max_seconds.map(|s| start + Duration::from_secs_f64(s)),
            max_rss,
            next_sample_ms: AtomicU64::new(0),
            peak_rss: AtomicU64::new(0),
            stopped: AtomicU8::new(0),
        }))
    }

    /// Seconds of wall time since the budget was made.
    pub fn elapsed(&self) -> f64 {
        self.0.start.elapsed().as_secs_f64()
    }

    /// The budget that stopped the command, if one did.
    pub fn stopped(&self) -> Option<Stop> {
        Stop::from_code(self.0.stopped.load(Ordering::Relaxed))
    }

    /// Peak resident memory seen by the samples (0 without a memory budget).
    pub fn peak_rss(&self) -> u64 {
        self.0.peak_rss.load(Ordering::Relaxed)
    }

    /// Whether a shared budget is spent; the first call that finds it so
    /// records which, and every later call answers the same.
    pub fn exceeded(&self) -> Option<Stop> {
        let s = &*self.0;
        if let Some(stop) = self.stopped() {
            return Some(stop);
        }
        let now = Instant::now();
        if s.deadline.is_some_and(|d| now >= d) {
            return Some(self.stop(Stop::Seconds));
        }
        if let Some(max) = s.max_rss {
            let ms = now.duration_since(s.start).as_millis() as u64;
            let due = s.next_sample_ms.load(Ordering::Relaxed);
            if ms >= due
                && s.next_sample_ms
                    .compare_exchange(
                        due,
                        ms + MEMORY_SAMPLE.as_millis() as u64,
                        Ordering::Relaxed,
                        Ordering::Relaxed,
                    )
                    .is_ok()
            {
                if let Some(rss) = resident_bytes() {
                    s.peak_rss.fetch_max(rss, Ordering::Relaxed);
                    if rss >= max {
                        return Some(self.stop(Stop::Memory));
                    }
                }
            }
        }
        None
    }

    fn stop(&self, why: Stop) -> Stop {
        match self
            .0
            .stopped
            .compare_exchange(0, why.code(), Ordering::Relaxed, Ordering::Relaxed)
        {
            Ok(_) => why,
            Err(c) => Stop::from_code(c).unwrap_or(why),
        }
    }
}

fn status_field(name: &str) -> Option<u64> {
    let text = std::fs::read_to_string("/proc/self/status").ok()?;
    kib_field(&text, name)
}

fn kib_field(text: &str, name: &str) -> Option<u64> {
    let line = text.lines().find(|l| l.starts_with(name))?;
    let kib: u64 = line[name.len()..]
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The process's resident memory now (`VmRSS`), where the OS says.
pub fn resident_bytes() -> Option<u64> {
    status_field("VmRSS:")
}

/// The process's peak resident memory so far (`VmHWM`), where the OS says.
pub fn peak_resident_bytes() -> Option<u64> {
    status_field("VmHWM:")
}

/// The default memory budget: three quarters of the memory the kernel says
/// is available now (`MemAvailable`), so that a run stops, with its
/// coverage, before the machine swaps or the OOM killer steps in, with room
/// left for the other programs already running. `None` where the OS does
/// not say.
pub fn default_max_memory() -> Option<u64> {
    let text = std::fs::read_to_string("/proc/meminfo").ok()?;
    kib_field(&text, "MemAvailable:").map(|b| b / 4 * 3)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn kib_fields_parse() {
        let t = "Name:\tx\nVmHWM:\t  1234 kB\nVmRSS:\t  1000 kB\n";
        assert_eq!(kib_field(t, "VmRSS:"), Some(1000 * 1024));
        assert_eq!(kib_field(t, "VmHWM:"), Some(1234 * 1024));
        assert_eq!(kib_field(t, "VmSwap:"), None);
    }

    #[test]
    fn a_spent_deadline_stops_and_stays_stopped() {
        let b = Budget::new(Some(0.0), None);
        assert_eq!(b.exceeded(), Some(Stop::Seconds));
        assert_eq!(b.clone().exceeded(), Some(Stop::Seconds));
        assert_eq!(b.stopped(), Some(Stop::Seconds));
    }

    #[test]
    fn a_memory_budget_below_what_is_resident_stops() {
        let b = Budget::new(None, Some(1));
        if resident_bytes().is_some() {
            assert_eq!(b.exceeded(), Some(Stop::Memory));
        }
        assert_eq!(Budget::new(Some(1e6), None).exceeded(), None);
    }
}
