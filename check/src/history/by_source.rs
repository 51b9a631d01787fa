//! Which calls each source's parts are made from.
//!
//! The parts of a history are made one at a time ([`super::partition::Plan`]
//! keeps a check to one part's operations in memory). Walking the whole
//! history for each part made a history over `s` sources cost `s` walks:
//! the 1M-call, 64-source row spent a quarter of its time there. This index
//! lists, once, the calls that can put an operation in a source's parts,
//! so that a part is made from its source's calls only.
//!
//! A call can put an operation in the parts of source `s` if it names a
//! registration of `s` (`register`, `modify`, `rearm`, `disable`,
//! `cancel`), is an environment step on `s`, or is a wait that is in `s`'s
//! parts (an interrupted wait releases holds in every part; a wait whose
//! events or room say something of `s`, see `wait_sources`). The index
//! over-approximates nothing and leaves out nothing of that list, so a part
//! made from it is the part made from every call.
//!
//! It also checks, once, what making a part would refuse (a key no
//! register returned, a source never created, a batch longer than its
//! `max`): a part made from a subset of the calls would otherwise miss a
//! malformed line of another source's.

use super::linearize::Fx;
use super::parse::{Call, KeyRef, Op, ParseError, Res};
use std::collections::{BTreeMap, HashMap};

/// The calls of each source's parts, by index into the history, ascending.
pub(super) struct BySource {
    /// Per source, the calls only its parts (and no other source's) see.
    own: HashMap<u32, Vec<u32>, Fx>,
    /// The calls every source's parts see.
    every: Vec<u32>,
    /// Calls in the history.
    len: usize,
}

fn err(line: usize, message: String) -> ParseError {
    ParseError {
        line,
        field: None,
        message,
    }
}

impl BySource {
    /// The index of `calls`, given each key's source, the sources, and which
    /// sources each wait concerns (`relevant`, `None`: every source).
    ///
    /// # Errors
    ///
    /// The first malformed line, as making the parts would find it.
    pub(super) fn new<T>(
        calls: &[Call],
        key_source: &HashMap<KeyRef, u32, Fx>,
        sources: &BTreeMap<u32, T>,
        relevant: &[Option<Vec<u32>>],
    ) -> Result<BySource, ParseError> {
        let mut own: HashMap<u32, Vec<u32>, Fx> = HashMap::default();
        let mut every = Vec::new();
        let key = |k: &KeyRef, line: usize| {
            key_source.get(k).copied().ok_or_else(|| {
                err(
                    line,
                    format!("key {k} was never returned by a register or submit"),
                )
            })
        };
        let source = |s: u32, line: usize| {
            if sources.contains_key(&s) {
                Ok(s)
            } else {
                Err(err(
                    line,
                    format!("source {s} was never created or registered"),
                ))
            }
        };
        for (ci, c) in calls.iter().enumerate() {
            if matches!(c.result, Some(Res::Error(_))) {
                continue;
            }
            let i = ci as u32;
            let one = match &c.op {
                Op::AddSource { .. } | Op::Declare { .. } => None,
                Op::Register { .. } => match &c.result {
                    Some(Res::Key(k)) => Some(key(k, c.line)?),
                    _ => None,
                },
                Op::Modify { key: k, .. }
                | Op::Rearm { key: k }
                | Op::Disable { key: k }
                | Op::Cancel { key: k, .. } => Some(key(k, c.line)?),
                Op::Consume { source: s }
                | Op::Raise { source: s }
                | Op::Lower { source: s }
                | Op::Complete { source: s, .. }
                | Op::StreamItem { source: s }
                | Op::Close { source: s }
                | Op::FutexWake { source: s, .. } => Some(source(*s, c.line)?),
                Op::Wait { max, .. } => {
                    if let Some(Res::Events(evs)) = &c.result {
                        for e in evs {
                            key(&e.key, c.line)?;
                        }
                        if evs.len() > *max as usize {
                            return Err(err(
                                c.line,
                                format!("wait returned more than max = {max} events"),
                            ));
                        }
                    }
                    match (&c.result, &relevant[ci]) {
                        (Some(Res::Interrupted), _) | (_, None) => every.push(i),
                        (_, Some(srcs)) => {
                            for s in srcs {
                                own.entry(*s).or_default().push(i);
                            }
                        }
                    }
                    None
                }
            };
            if let Some(s) = one {
                own.entry(s).or_default().push(i);
            }
        }
        Ok(BySource {
            own,
            every,
            len: calls.len(),
        })
    }

    /// The calls that can put an operation in the parts of `sources`, in
    /// the order of the history: for one source its own calls and every
    /// source's, merged; for several, every call.
    pub(super) fn calls_of(&self, sources: &[u32]) -> Vec<usize> {
        let mut distinct = sources.to_vec();
        distinct.sort_unstable();
        distinct.dedup();
        let [s] = distinct[..] else {
            return (0..self.len).collect();
        };
        let own = self.own.get(&s).map_or(&[][..], |v| &v[..]);
        let mut out = Vec::with_capacity(own.len() + self.every.len());
        let (mut a, mut b) = (0, 0);
        while a < own.len() || b < self.every.len() {
            let take_own = b == self.every.len() || (a < own.len() && own[a] < self.every[b]);
            if take_own {
                out.push(own[a] as usize);
                a += 1;
            } else {
                out.push(self.every[b] as usize);
                b += 1;
            }
        }
        out
    }
}
