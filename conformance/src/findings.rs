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
pub const IDS: &[&str] = &["F3", "L2"];

/// The finding that explains `r`, if one does.
pub fn explain(engine: EngineName, setup: Setup, case: &Case, r: &Report) -> Option<&'static str> {
    let Some((step, obs, allowed)) = r.at.as_ref() else {
        // Multi-threaded, io_uring, a rejected history under SQPOLL: the SQ
        // thread posts a decided completion asynchronously, so a wait can
        // time out before it (F3; the profile lets a blocking wait give up
        // only once the task work ran). Deferred completions and merged
        // multishot wake-ups (F3, F6) are in the io_uring profile now, and
        // F8/F9/F10 (the Port on Linux) are fixed: no rule explains them.
        let rejected = engine == EngineName::Uring && r.summary.contains("not linearizable");
        return (rejected && setup == Setup::Sqpoll).then_some("F3");
    };
    let only_refused = !allowed.is_empty() && allowed.iter().all(|a| a.starts_with("refused"));
    match (engine, step, obs) {
        // (F1, F2 and F5 are corrected in the model: EPOLL_CTL_DEL and
        // MOD of a closed fd are refused, reads through a dup drain the
        // level, a rearm of an armed registration nobody holds is a no-op.
        // F8, the Port on Linux's refused modify across trigger classes,
        // is fixed. No rule explains them any more.)
        // F3 under SQPOLL: the SQ thread posts a decided completion
        // asynchronously; a short wait may time out before it is in the
        // ring (the profile lets a blocking wait give up only after the
        // task work ran, which DEFER_TASKRUN and the default set-ups do).
        (EngineName::Uring, Step::Wait(..), Observed::Events(got))
            if setup == Setup::Sqpoll && got.is_empty() =>
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
