//! The v2 constructs of a history that map onto the model's steps
//! (`onering_model`'s `record_v2` owns what they mean): a cancel answer
//! that is a count, edge-oneshot, the library's own wake-up (`notify`) and
//! its slot in a batch, a cancel's own completion in a batch, and the read
//! and write halves of a descriptor's interest. What the parser cannot
//! settle line by line is kept here and settled once every line is read
//! ([`V2::finish`]).

use super::parse::{Call, Op, ParseError, Res};
use onering_history::{Interest, KeyRef};
use onering_model::{Answer, Rules};
use std::collections::HashMap;

/// What the v2 constructs of the lines read so far left to settle.
#[derive(Default)]
pub(crate) struct V2 {
    /// Call times of `notify` calls.
    notifies: Vec<u64>,
    /// (line, return time, how many notify slots) of waits that returned
    /// the library's wake-up.
    notified: Vec<(usize, u64, u32)>,
    /// (line, key, answer) of cancel completions met in batches.
    answers: Vec<(usize, KeyRef, Answer)>,
    /// The interest each registration was made with (by key).
    key_interest: HashMap<KeyRef, Interest>,
    /// The one interest half registered per source.
    source_interest: HashMap<u32, Interest>,
}

fn err(line: usize, field: &str, message: String) -> ParseError {
    ParseError {
        line,
        field: Some(field.into()),
        message,
    }
}

impl V2 {
    /// A `notify` call at `call` time: no model step (it only wakes a
    /// wait, whose batch says so).
    pub(crate) fn notify_call(&mut self, call: u64) {
        self.notifies.push(call);
    }

    /// A wait (line `line`, returned at `ret`) whose batch held `n` notify
    /// slots. `None` for `ret`: it never returned (nothing to check).
    pub(crate) fn notified(&mut self, line: usize, ret: Option<u64>, n: u32) {
        if let Some(r) = ret {
            self.notified.push((line, r, n));
        }
    }

    /// A cancel's own completion for `key` in a batch, with the kernel's
    /// answer.
    pub(crate) fn cancel_answer(&mut self, line: usize, key: KeyRef, answer: Answer) {
        self.answers.push((line, key, answer));
    }

    /// A registration of `source` for one half (or both) of its readiness.
    /// Two registrations of one descriptor for different halves have two
    /// conditions, which one model source does not: not modelled.
    pub(crate) fn register_interest(
        &mut self,
        source: u32,
        key: Option<KeyRef>,
        i: Interest,
    ) -> Result<(), &'static str> {
        match self.source_interest.get(&source) {
            Some(j) if *j != i => {
                return Err("a descriptor registered for read and for write readiness separately")
            }
            _ => {}
        }
        self.source_interest.insert(source, i);
        if let Some(k) = key {
            self.key_interest.insert(k, i);
        }
        Ok(())
    }

    /// `modify(key)` to interest `i`: the registration keeps one half.
    pub(crate) fn modify_interest(&mut self, key: KeyRef, i: Interest) -> Result<(), &'static str> {
        match self.key_interest.get(&key) {
            Some(j) if *j != i => Err(
                "a modify that moves a registration to another half of its descriptor's readiness",
            ),
            _ => {
                self.key_interest.insert(key, i);
                Ok(())
            }
        }
    }

    /// An event of half `i` for `key`: the registration's own half is its
    /// one condition; an event of the other half cannot come from it.
    pub(crate) fn event_interest(
        &self,
        line: usize,
        key: KeyRef,
        i: Interest,
    ) -> Result<Result<(), &'static str>, ParseError> {
        match self.key_interest.get(&key) {
            Some(Interest::ReadWrite) if i != Interest::ReadWrite => Ok(Err(
                "an event of one half of a registration made for both halves",
            )),
            Some(j) if *j != i => Err(err(
                line,
                "result.events",
                format!(
                    "an event of {i:?} readiness for {key}, registered for {j:?} readiness only"
                ),
            )),
            _ => Ok(Ok(())),
        }
    }

    /// Settles what the lines left: every cancel completion gives its
    /// cancel call its answer (the latest cancel of that key before it; a
    /// call that returned a different answer contradicts it), and no wait
    /// returned more of the library's wake-ups than `notify` calls had
    /// begun by its return (several may be merged into one).
    pub(crate) fn finish(self, calls: &mut [Call]) -> Result<(), ParseError> {
        for (line, key, answer) in self.answers {
            let Some(c) = calls
                .iter_mut()
                .rev()
                .find(|c| c.line < line && matches!(&c.op, Op::Cancel { key: k, .. } if *k == key))
            else {
                return Err(err(
                    line,
                    "result.events",
                    format!("a cancel's completion for {key}, and no cancel of {key} before it"),
                ));
            };
            match &c.result {
                None | Some(Res::Ok) => c.result = Some(Res::Cancel(answer)),
                Some(Res::Cancel(a)) if *a == answer => {}
                Some(other) => {
                    return Err(err(
                        line,
                        "result.events",
                        format!(
                            "the cancel's completion for {key} says {}, its call (line {}) returned {other:?}",
                            answer.name(),
                            c.line
                        ),
                    ))
                }
            }
        }
        let mut notified: Vec<_> = self.notified;
        notified.sort_by_key(|&(_, r, _)| r);
        let mut taken = 0u64;
        for (line, ret, n) in notified {
            taken += u64::from(n);
            let begun = self.notifies.iter().filter(|&&c| c < ret).count() as u64;
            if taken > begun {
                return Err(err(
                    line,
                    "result.events",
                    format!("waits had returned {taken} of the library's wake-ups (notify) by this return, and only {begun} notify calls had begun"),
                ));
            }
        }
        Ok(())
    }
}

/// A cancel answer written as a count, in the model's terms.
pub(crate) fn count_answer(rules: &Rules, n: u64) -> Option<Answer> {
    rules.cancel_count_answer(n)
}
