//! What the two Port engines (the simulated backend, [`super::port`], and
//! Linux, [`super::port_linux`]) say the same way: a refusal, a unit
//! result, which cancel mode a case's cancel is, and a cancel's answer in
//! the model's words. The Port takes the model's `Mode` and `SourceKind`
//! themselves (it re-exports them), so no conversion is needed for those.

use crate::case::CancelHow;
use crate::observe::Observed;
use onering::{CancelMode, CancelOutcome};
use onering_model::{Answer, Outcome};

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
pub(super) fn cancel_mode(how: CancelHow, requests: bool) -> Result<CancelMode, Observed> {
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
