//! A library's own rules ([`LibraryRules`], stated in the model) applied
//! to a recorded history: the calls the library answered itself are taken
//! out, and the rest is judged by the profile as `onering verify` judges
//! any history. `onering verify --library NAME` and `onering_kit`'s
//! `check_with` both come here.

use crate::history::parse::{Op, Res};
use crate::history::{
    parse_history_within, verify_since, Call, Options, Report, Verdict, VerifyError,
};
pub use onering_model::LibraryRules;
use onering_model::Rules;
use std::time::Instant;

/// An interval `[call, ret)` of a wait, `ret` `u64::MAX` if it never
/// returned.
fn span(c: &Call) -> (u64, u64) {
    (c.call, c.ret.unwrap_or(u64::MAX))
}

/// Which calls of `calls` the library may have answered itself: under
/// [`LibraryRules::busy_wait_returns_empty`], a `wait` that returned no
/// event while another thread's `wait` on the same port had started and
/// not yet returned (`[call, ret]` intervals overlap; a wait that never
/// returned overlaps everything after its start).
///
/// O(n log n): per port, the waits by start, and for each prefix the two
/// latest returns of distinct threads.
pub fn answered_by_library(library: &LibraryRules, calls: &[Call]) -> Vec<bool> {
    let mut answered = vec![false; calls.len()];
    if !library.busy_wait_returns_empty {
        return answered;
    }
    let is_wait = |c: &Call| matches!(c.op, Op::Wait { .. });
    let mut waits: Vec<usize> = (0..calls.len()).filter(|&i| is_wait(&calls[i])).collect();
    waits.sort_by_key(|&i| (calls[i].port, calls[i].call));
    for port in waits.chunk_by(|a, b| calls[*a].port == calls[*b].port) {
        // best[j]: among port[..=j], the latest return, and the latest of
        // a thread other than that one's, as (ret, thread).
        let mut best: Vec<[(u64, u32); 2]> = Vec::with_capacity(port.len());
        let none = (0, u32::MAX);
        let mut cur = [none, none];
        for &i in port {
            let (_, ret) = span(&calls[i]);
            let t = calls[i].thread;
            if ret > cur[0].0 {
                if cur[0].1 != t {
                    cur[1] = cur[0];
                }
                cur[0] = (ret, t);
            } else if t != cur[0].1 && ret > cur[1].0 {
                cur[1] = (ret, t);
            }
            best.push(cur);
        }
        let starts: Vec<u64> = port.iter().map(|&i| calls[i].call).collect();
        for &i in port {
            let c = &calls[i];
            let empty = matches!(&c.result, Some(Res::Events(e)) if e.is_empty());
            let Some(ret) = c.ret else { continue };
            if !empty {
                continue;
            }
            // The waits that started before this one returned.
            let n = starts.partition_point(|s| *s < ret);
            let Some(b) = n.checked_sub(1).map(|j| best[j]) else {
                continue;
            };
            answered[i] = b
                .iter()
                .any(|(r, t)| *t != c.thread && *t != u32::MAX && *r > c.call);
        }
    }
    answered
}

/// The calls the kernel saw: `calls` without those the library answered
/// itself ([`answered_by_library`]). Each keeps its line, so a failure
/// still names the history's lines.
pub fn kernel_calls(library: &LibraryRules, calls: &[Call]) -> Vec<Call> {
    let answered = answered_by_library(library, calls);
    calls
        .iter()
        .zip(answered)
        .filter(|(_, a)| !a)
        .map(|(c, _)| c.clone())
        .collect()
}

/// What checking a history under a profile and a library's rules gave.
#[derive(Clone, Debug)]
pub struct Checked {
    /// The calls the profile judged (the report's indices point into them).
    pub calls: Vec<Call>,
    /// The verdict.
    pub report: Report,
    /// Lines (1-based) of the calls the library answered itself.
    pub answered: Vec<usize>,
}

/// [`crate::history::verify_text`] under `library`: parses `text`, takes
/// out the calls the library answered itself, checks the rest against
/// `rules`. A construct the model does not check gives
/// [`crate::history::NoVerdict::NotModelled`].
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_text_with(
    text: &str,
    rules: &Rules,
    library: &LibraryRules,
    options: &Options,
    progress: impl FnMut(usize, usize, u64),
) -> Result<Checked, VerifyError> {
    verify_text_since(text, rules, library, options, Instant::now(), progress)
}

/// [`verify_text_with`] whose budgets count from `start` (the command's
/// start, reading the file included) and hold while `text` is read into
/// calls ([`parse_history_within`]): a budget that runs out there is no
/// verdict, as in the search. An owned `text` is dropped once read.
///
/// # Errors
///
/// A malformed history ([`VerifyError`]).
pub fn verify_text_since<'t>(
    text: impl Into<std::borrow::Cow<'t, str>>,
    rules: &Rules,
    library: &LibraryRules,
    options: &Options,
    start: Instant,
    progress: impl FnMut(usize, usize, u64),
) -> Result<Checked, VerifyError> {
    let text = text.into();
    let parsed = parse_history_within(&text, rules, options, start)?;
    // An owned text is not needed once read: the search gets its room
    // (the 1M-call histories are 140 to 180 MB).
    drop(text);
    let parsed = match parsed {
        Ok(p) => p,
        Err(why) => {
            return Ok(Checked {
                calls: Vec::new(),
                report: Report {
                    verdict: Verdict::NoVerdict(why),
                    profile: rules.name,
                    calls: 0,
                    sources: 0,
                    parts: 0,
                    explored: 0,
                    seconds: start.elapsed().as_secs_f64(),
                },
                answered: Vec::new(),
            })
        }
    };
    if let Some(nm) = parsed.not_modelled {
        // No verdict at once, whatever the library did: as `verify_text`.
        return Ok(Checked {
            report: Report::not_modelled(nm, rules.name, parsed.calls.len()),
            calls: parsed.calls,
            answered: Vec::new(),
        });
    }
    let answered_mask = answered_by_library(library, &parsed.calls);
    let answered = parsed
        .calls
        .iter()
        .zip(&answered_mask)
        .filter(|(_, a)| **a)
        .map(|(c, _)| c.line)
        .collect();
    let calls: Vec<Call> = parsed
        .calls
        .into_iter()
        .zip(answered_mask)
        .filter(|(_, a)| !a)
        .map(|(c, _)| c)
        .collect();
    let report = verify_since(&calls, rules, options, start, progress)?;
    Ok(Checked {
        calls,
        report,
        answered,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn wait(port: u32, thread: u32, call: u64, ret: Option<u64>, empty: bool) -> Call {
        Call::test_wait(
            port,
            thread,
            (call, ret),
            true,
            ret.map(|_| {
                Res::Events(if empty {
                    vec![]
                } else {
                    vec![crate::history::parse::Ev {
                        key: crate::history::parse::KeyRef {
                            index: 0,
                            generation: 0,
                        },
                        kind: onering_model::EventKind::Ready,
                    }]
                })
            }),
        )
    }

    /// The rule's words, read literally (quadratic).
    fn naive(calls: &[Call]) -> Vec<bool> {
        (0..calls.len())
            .map(|i| {
                let c = &calls[i];
                let empty = matches!(&c.result, Some(Res::Events(e)) if e.is_empty());
                let Some(ret) = c.ret else { return false };
                empty
                    && calls.iter().any(|o| {
                        o.port == c.port
                            && o.thread != c.thread
                            && o.call < ret
                            && o.ret.is_none_or(|r| r > c.call)
                    })
            })
            .collect()
    }

    #[test]
    fn an_empty_wait_is_polling_s_only_while_another_thread_waits() {
        let calls = [
            wait(0, 0, 1, Some(10), true),
            wait(0, 1, 2, Some(3), true),    // inside thread 0's wait
            wait(0, 1, 11, Some(12), true),  // after it
            wait(1, 2, 4, Some(5), true),    // another port
            wait(0, 2, 20, None, true),      // never returned
            wait(0, 1, 21, Some(22), true),  // overlaps the open one
            wait(0, 1, 23, Some(24), false), // not empty
        ];
        let a = answered_by_library(&LibraryRules::POLLING, &calls);
        // Both of two overlapping empty waits may be polling's (the rule does
        // not say which thread held the lock).
        assert_eq!(a, [true, true, false, false, false, true, false]);
        assert_eq!(a, naive(&calls));
        assert!(answered_by_library(&LibraryRules::NONE, &calls)
            .iter()
            .all(|a| !a));
        let touching = [
            wait(0, 0, 1, Some(10), true),
            wait(0, 1, 10, Some(11), true),
        ];
        assert_eq!(
            answered_by_library(&LibraryRules::POLLING, &touching),
            [false, false],
            "touching intervals do not overlap"
        );
    }

    /// The sweep gives what the literal reading gives, on many random
    /// sets of waits over 2 ports and 4 threads.
    #[test]
    fn the_sweep_agrees_with_the_rule_read_literally() {
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..500 {
            let calls: Vec<Call> = (0..next(12) + 1)
                .map(|_| {
                    let start = next(40);
                    let ret = (next(6) != 0).then(|| start + 1 + next(10));
                    wait(next(2) as u32, next(4) as u32, start, ret, next(3) != 0)
                })
                .collect();
            assert_eq!(
                answered_by_library(&LibraryRules::POLLING, &calls),
                naive(&calls),
                "{calls:?}"
            );
        }
    }
}
