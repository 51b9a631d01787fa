//! Which finding of `FINDINGS.md` explains a divergence of a generated
//! case. Each rule names the finding it applies and matches the step, the
//! observation and what the profile allowed instead; a test checks that
//! every id named here is in the file.

use crate::case::{Backing, Case, EngineName, Step};
use crate::engine::Setup;
use crate::observe::Observed;
use crate::run::Report;

/// The findings file, compiled in so the command line can cite it.
pub const FINDINGS: &str = include_str!("../FINDINGS.md");

/// Ids the explainer may return.
pub const IDS: &[&str] = &["F3", "F6", "F8", "L2"];

/// The finding that explains `r`, if one does.
pub fn explain(engine: EngineName, setup: Setup, case: &Case, r: &Report) -> Option<&'static str> {
    let Some((step, obs, allowed)) = r.at.as_ref() else {
        // Multi-threaded, io_uring, a rejected history: wake-ups from
        // another thread coalesce on a multishot poll in every set-up (F6);
        // otherwise deferred completions (F3) under DEFER_TASKRUN or SQPOLL.
        // (F9 and F10, the Port on Linux's starved trigger and its Reap of
        // a posted completion, are fixed: no rule explains them any more.)
        let rejected = engine == EngineName::Uring && r.summary.contains("not linearizable");
        return if rejected
            && case.mode == onering_model::Mode::Multishot
            && case.kind.is_readiness()
        {
            Some("F6")
        } else if rejected && matches!(setup, Setup::Defer | Setup::Sqpoll) {
            Some("F3")
        } else {
            None
        };
    };
    let only_refused = !allowed.is_empty() && allowed.iter().all(|a| a.starts_with("refused"));
    match (engine, step, obs) {
        // (F1, F2 and F5 are corrected in the model: EPOLL_CTL_DEL and
        // MOD of a closed fd are refused, reads through a dup drain the
        // level, a rearm of an armed registration nobody holds is a no-op;
        // no rule explains them any more.)
        // F8: the Port on Linux cannot move a plain fd's registration to
        // another epoll trigger class (level / edge / oneshot) by `modify`.
        (EngineName::PortLinux, Step::Modify(..), Observed::Refused(e))
            if e == "mode-mismatch" && allowed.iter().any(|a| a == "ok") =>
        {
            Some("F8")
        }
        // F6: wake-ups of a multishot poll whose task work is pending
        // coalesce into one CQE (the profile says one CQE per wake-up).
        (EngineName::Uring, Step::Wait(..), Observed::Events(got))
            if case.mode == onering_model::Mode::Multishot
                && case.kind.is_readiness()
                && matches!(setup, Setup::Defer | Setup::Sqpoll)
                && allowed
                    .iter()
                    .all(|a| a.matches(":item").count() > items(got)) =>
        {
            Some("F6")
        }
        // F3: a completion decided by a wake-up is posted by task work,
        // later: under DEFER_TASKRUN at the next GETEVENTS enter, under
        // SQPOLL when the SQ thread gets to it. Meanwhile a cancel still
        // finds the request (0 or -EALREADY where the profile says
        // -ENOENT), inline completions overtake it in the CQ, and a
        // non-blocking reap may not see it yet.
        (EngineName::Uring, Step::Cancel(..) | Step::Wait(..), _)
            if matches!(setup, Setup::Defer | Setup::Sqpoll) =>
        {
            Some("F3")
        }
        // Under SQPOLL the engine cannot tell that an operation's final is
        // on its way (not in the ring yet), so it completes it once more.
        (EngineName::Uring, Step::Complete(_) | Step::StreamItem(_), Observed::Ok)
            if setup == Setup::Sqpoll && only_refused =>
        {
            Some("F3")
        }
        (EngineName::Uring, _, _)
            if case.backing == Backing::Futex
                && r.transcript.iter().any(|l| l.contains("futex_change")) =>
        {
            Some("L2")
        }
        _ => None,
    }
}

fn items(evs: &[crate::observe::Ev]) -> usize {
    evs.iter()
        .filter(|e| e.kind == onering_model::EventKind::Item)
        .count()
}
