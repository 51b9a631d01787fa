//! What the two Port engines (the simulated backend, [`super::port`], and
//! Linux, [`super::port_linux`]) say the same way: a refusal, a unit
//! result, which cancel mode a case's cancel is, and a cancel's answer in
//! the model's words. The Port takes the model's `Mode` and `SourceKind`
//! themselves (it re-exports them), so no conversion is needed for those.

use crate::case::CancelHow;
use crate::observe::{Ev, Observed};
use onering::{Backend, CancelMode, CancelOutcome, Key, Port};
use onering_model::{Answer, EventKind, Outcome};

/// A refused call: the Port's error name; a failing system call (Linux
/// only) in full, naming the call.
pub(super) fn refused(e: onering::Error) -> Observed {
    match e {
        onering::Error::Os { .. } => Observed::Refused(e.to_string()),
        e => Observed::Refused(e.name().to_string()),
    }
}

pub(super) fn unit(r: Result<(), onering::Error>) -> Observed {
    match r {
        Ok(()) => Observed::Ok,
        Err(e) => refused(e),
    }
}

/// The Port's cancel mode for a case's cancel: `Async` for requests, `Sync`
/// for readiness registrations, `Reap` when asked; io_uring's own cancels
/// are no Port call.
fn cancel_mode(how: CancelHow, requests: bool) -> Result<CancelMode, Observed> {
    match how {
        CancelHow::Reap => Ok(CancelMode::Reap),
        CancelHow::Default if requests => Ok(CancelMode::Async),
        CancelHow::Default => Ok(CancelMode::Sync),
        CancelHow::PollRemove | CancelHow::SyncRegister => {
            Err(Observed::Unsupported("an io_uring cancel"))
        }
    }
}

/// A cancel's answer, in the model's words.
pub(super) fn answer(o: CancelOutcome) -> Observed {
    let answer = match o {
        CancelOutcome::Removed { completion: None } => Answer::Removed,
        CancelOutcome::Removed {
            completion: Some(c),
        } => Answer::RemovedWith(if c.cancelled {
            Outcome::Cancelled
        } else {
            Outcome::Done
        }),
        CancelOutcome::Pending => Answer::Pending,
        CancelOutcome::NotFound => Answer::NotFound,
    };
    Observed::Answer {
        answer,
        raw: format!("{o:?}"),
        final_first: None,
    }
}

/// A case key's registrations, as both engines keep them: every Port key
/// handed out for it, oldest first (an event's generation is its position
/// there), and the live one.
#[derive(Debug, Default)]
pub(super) struct Handed {
    /// The key of the last registration (live or not).
    pub(super) live: Option<Key>,
    /// A registration or submission was ever handed out.
    pub(super) submitted: bool,
    all: Vec<Key>,
}

impl Handed {
    /// A `register` (or `submit`) handed out `key`: it is the live one now.
    pub(super) fn hand_out(&mut self, key: Key) {
        self.live = Some(key);
        self.submitted = true;
        self.all.push(key);
    }
}

/// An engine's per-key slot, seen through its registrations.
pub(super) trait HandedKeys {
    fn handed(&self) -> &Handed;
}

/// A delivered event in the model's words: the case key that was handed
/// `key`, its generation, and whether it is that case key's live
/// registration. A key no case key was handed (only a mutant delivers
/// one) keeps the Port's own index and generation.
pub(super) fn case_event<S: HandedKeys>(slots: &[S], key: Key, kind: onering::EventKind) -> Ev {
    let (k, gen) = slots
        .iter()
        .enumerate()
        .find_map(|(i, s)| {
            s.handed()
                .all
                .iter()
                .position(|h| *h == key)
                .map(|g| (i as u8, g as u32))
        })
        .unwrap_or((key.index as u8, key.generation));
    let current = slots
        .get(k as usize)
        .is_some_and(|s| s.handed().live == Some(key));
    let kind = match kind {
        onering::EventKind::Ready => EventKind::Ready,
        onering::EventKind::Item { .. } => EventKind::Item,
        onering::EventKind::Final { cancelled, .. } => EventKind::Final(if cancelled {
            Outcome::Cancelled
        } else {
            Outcome::Done
        }),
    };
    Ev {
        key: k,
        current,
        gen,
        kind,
    }
}

/// A step that names the case key's live Port key (`modify`, `rearm`,
/// `cancel`): there is none to name before the first registration.
pub(super) fn with_key(key: Option<Key>, step: impl FnOnce(Key) -> Observed) -> Observed {
    match key {
        Some(key) => step(key),
        None => Observed::Unsupported("no key was handed out yet"),
    }
}

/// A case's `cancel` of its live key: the Port's answer, or what the step
/// observed instead (no key yet, an io_uring cancel, a refusal).
pub(super) fn cancel<B: Backend>(
    port: &Port<B>,
    key: Option<Key>,
    how: CancelHow,
    requests: bool,
) -> Result<CancelOutcome, Observed> {
    let key = key.ok_or(Observed::Unsupported("no key was handed out yet"))?;
    port.cancel(key, cancel_mode(how, requests)?)
        .map_err(refused)
}

/// Whether the case key's last registration is still live: a case's key
/// is one registration at a time (the model's `Register` needs a free
/// key), so a `register` then is refused, where the Port would hand out a
/// second key on the same source.
pub(super) fn still_registered<B: Backend>(port: &Port<B>, key: Option<Key>) -> bool {
    key.is_some_and(|live| port.state(live).is_ok())
}
