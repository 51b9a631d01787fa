//! The one generator of random workloads, built on proptest.
//!
//! A workload is driven by a [`Choices`] sequence: each decision a workload
//! makes (which thread, which call, which source, which argument) takes the
//! next value, reduced to its range ([`Choices::below`]). Proptest generates
//! the sequence ([`choices`]) and, when a workload fails, shrinks it: values
//! toward 0 and the sequence shorter, so the failure is reported in its
//! minimal form (an exhausted sequence answers 0, so every prefix is a
//! workload too). Where a test needs one fixed workload per number (a
//! benchmark, a history recorded by several real threads), [`Choices::from_seed`]
//! draws the sequence with proptest's seeded generator.
//!
//! Interpreting the choices stays with each engine's harness (the Port's
//! `impl/tests/random_ops.rs`, `proofs/src/workload.rs`); the shuttle and
//! loom harnesses keep their own schedulers' randomness.

use std::fmt;

use proptest::collection::vec;
use proptest::prelude::*;
use proptest::strategy::ValueTree;
use proptest::test_runner::{Config, RngAlgorithm, TestRng, TestRunner};

/// A sequence of choices, consumed front to back.
#[derive(Clone, PartialEq, Eq)]
pub struct Choices {
    values: Vec<u16>,
    next: usize,
}

impl fmt::Debug for Choices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Choices({:?})", self.values)
    }
}

impl Choices {
    /// These choices, from the first.
    pub fn new(values: Vec<u16>) -> Self {
        Self { values, next: 0 }
    }

    /// The next choice in `0..n` (`1 <= n <= 65536`); 0 once the sequence
    /// is used up. Monotone in the stored value, so shrinking a value toward
    /// 0 shrinks the choice toward 0.
    pub fn below(&mut self, n: usize) -> usize {
        assert!(
            (1..=65536).contains(&n),
            "a choice among {n}: 1..=65536 supported"
        );
        let v = self.values.get(self.next).copied().unwrap_or(0);
        self.next += 1;
        usize::from(v) * n / 65536
    }

    /// Whether every choice was used.
    pub fn exhausted(&self) -> bool {
        self.next >= self.values.len()
    }

    /// `len` choices drawn by proptest's generator seeded with `seed`: the
    /// same sequence for the same seed, on every machine.
    pub fn from_seed(seed: u64, len: usize) -> Self {
        let mut bytes = [0u8; 32];
        bytes[..8].copy_from_slice(&seed.to_le_bytes());
        let rng = TestRng::from_seed(RngAlgorithm::ChaCha, &bytes);
        let mut runner = TestRunner::new_with_rng(Config::default(), rng);
        choices(len..len + 1)
            .new_tree(&mut runner)
            .expect("a vector strategy always generates")
            .current()
    }
}

/// Choice sequences of a length in `len`, shrinking toward shorter
/// sequences of smaller values.
pub fn choices(len: std::ops::Range<usize>) -> impl Strategy<Value = Choices> {
    vec(any::<u16>(), len).prop_map(Choices::new)
}

/// Runs `test` on `cases` generated choice sequences; on failure, panics
/// with the minimal failing sequence and its failure.
pub fn check(
    cases: u32,
    len: std::ops::Range<usize>,
    test: impl Fn(Choices) -> Result<(), TestCaseError>,
) {
    if let Err(e) = run(cases, len, test) {
        panic!("{e}");
    }
}

/// Like [`check`], but returns the minimal failure instead of panicking.
///
/// # Errors
///
/// The minimal failing sequence and why it failed.
pub fn run(
    cases: u32,
    len: std::ops::Range<usize>,
    test: impl Fn(Choices) -> Result<(), TestCaseError>,
) -> Result<(), String> {
    let config = Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    };
    // Deterministic: the same cases on every run.
    let rng = TestRng::deterministic_rng(RngAlgorithm::ChaCha);
    let mut runner = TestRunner::new_with_rng(config, rng);
    runner.run(&choices(len), test).map_err(|e| match e {
        proptest::test_runner::TestError::Fail(why, minimal) => {
            format!("minimal failing workload: {minimal:?}\n{why}")
        }
        other => other.to_string(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_seed_gives_the_same_sequence() {
        assert_eq!(Choices::from_seed(7, 20), Choices::from_seed(7, 20));
        assert_ne!(Choices::from_seed(7, 20), Choices::from_seed(8, 20));
    }

    #[test]
    fn a_failing_workload_is_reported_in_its_minimal_form() {
        // Fails when some choice below 10 is 7 or more: the minimal form is
        // one value, the least that chooses 7 (7 * 65536 / 10 rounded up).
        let e = run(200, 0..50, |mut c| {
            while !c.exhausted() {
                prop_assert!(c.below(10) < 7);
            }
            Ok(())
        })
        .unwrap_err();
        assert!(
            e.starts_with("minimal failing workload: Choices([45876])"),
            "{e}"
        );
    }
}
