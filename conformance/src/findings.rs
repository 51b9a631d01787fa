//! Which finding of `FINDINGS.md` explains a divergence of a generated
//! case. Each rule names the finding it applies; a test checks that every
//! id named here is in the file.

use crate::case::{Case, EngineName};
use crate::run::Report;

/// The findings file, compiled in so the command line can cite it.
pub const FINDINGS: &str = include_str!("../FINDINGS.md");

/// Ids the explainer may return.
pub const IDS: &[&str] = &["F1", "L2"];

/// The finding that explains `r`, if one does.
pub fn explain(engine: EngineName, case: &Case, r: &Report) -> Option<&'static str> {
    let s = &r.summary;
    match engine {
        // F1: EPOLL_CTL_DEL of a closed fd whose dup is open is EBADF.
        EngineName::Epoll if s.contains("`cancel k") && s.contains("refused EBADF") => Some("F1"),
        // After an F1 cancel was refused, the registration still reports.
        EngineName::Epoll
            if r.transcript.iter().any(|l| l.contains("refused EBADF")) =>
        {
            Some("F1")
        }
        EngineName::Uring
            if case.backing == crate::case::Backing::Futex && s.contains("futex_change") =>
        {
            Some("L2")
        }
        _ => None,
    }
}
