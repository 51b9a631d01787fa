//! What an engine reports for one step, in the model's vocabulary.

use onering_model::{Answer, EventKind, Outcome};
use std::fmt;

/// One delivered event.
#[derive(Clone, Copy, Debug)]
pub struct Ev {
    /// The case's key.
    pub key: u8,
    /// Whether it is for the key's current registration (not an earlier one).
    pub current: bool,
    /// The engine's generation of the registration it is for (what a
    /// history records; the step checker compares `current` instead).
    pub gen: u32,
    /// What it reports.
    pub kind: EventKind,
}

/// What a step showed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Observed {
    /// Done, nothing to report.
    Ok,
    /// A wait returned these events (possibly none).
    Events(Vec<Ev>),
    /// A cancel answered.
    Answer {
        /// The answer in the model's vocabulary.
        answer: Answer,
        /// The mechanism's own words (`0`, `-ENOENT`, `1`, ...).
        raw: String,
        /// io_uring: whether the target's final CQE came before the
        /// cancel's own (`None`: not seen while cancelling, or no CQE).
        final_first: Option<bool>,
    },
    /// A count (futex waiters woken).
    Count(u32),
    /// The call was refused and changed nothing (the errno or error name).
    Refused(String),
    /// The engine has no such call (the step is skipped on this engine and
    /// in its model).
    Unsupported(&'static str),
}

impl PartialEq for Ev {
    fn eq(&self, o: &Ev) -> bool {
        self.key == o.key && self.current == o.current && self.kind == o.kind
    }
}

impl Eq for Ev {}

impl std::hash::Hash for Ev {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (self.key, self.current, self.kind).hash(h);
    }
}

impl fmt::Display for Ev {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let stale = if self.current { "" } else { "(earlier)" };
        let kind = match self.kind {
            EventKind::Ready => "ready",
            EventKind::Item => "item",
            EventKind::Final(Outcome::Done) => "final",
            EventKind::Final(Outcome::Cancelled) => "final(cancelled)",
        };
        write!(f, "k{}{stale}:{kind}", self.key)
    }
}

impl fmt::Display for Observed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Observed::Ok => f.write_str("ok"),
            Observed::Events(evs) => {
                let v: Vec<String> = evs.iter().map(|e| e.to_string()).collect();
                write!(f, "[{}]", v.join(", "))
            }
            Observed::Answer {
                answer,
                raw,
                final_first,
            } => {
                write!(f, "{} ({raw})", answer.name())?;
                match final_first {
                    Some(true) => f.write_str(", target's CQE first"),
                    Some(false) => f.write_str(", cancel's CQE first"),
                    None => Ok(()),
                }
            }
            Observed::Count(n) => write!(f, "{n}"),
            Observed::Refused(e) => write!(f, "refused {e}"),
            Observed::Unsupported(why) => write!(f, "unsupported ({why})"),
        }
    }
}
