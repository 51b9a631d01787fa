//! Engines: what runs a case. Each takes the case's steps and reports what
//! it observed, in the model's vocabulary ([`Observed`]); the runner judges
//! the observations against the engine's profile.

mod epoll;
mod model;
mod port;
mod port_linux;
mod port_shared;
mod uring;

use crate::case::{Case, EngineName, Step};
pub use crate::drivers::uring::Setup;
use crate::observe::Observed;
use onering_model::Rules;
use std::fmt;

/// One engine instance, fresh for one run of one case. Threads of a
/// multi-threaded case call `step` concurrently.
pub trait Engine: Sync {
    /// Runs `step` on behalf of case thread `thread`.
    fn step(&self, thread: usize, step: &Step) -> Observed;
}

/// An engine that could not be built.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EngineError {
    /// The kernel refused a set-up (bad input for the command line: exit 2).
    Refused(String),
    /// The engine does not exist on this build yet.
    NotBuilt(&'static str),
    /// The case needs something this engine cannot do (not a divergence).
    NotApplicable(String),
    /// Creating a source failed.
    Io(String),
}

impl fmt::Display for EngineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            EngineError::Refused(m) => write!(f, "the kernel refused the set-up: {m}"),
            EngineError::NotBuilt(m) => f.write_str(m),
            EngineError::NotApplicable(m) => write!(f, "not applicable: {m}"),
            EngineError::Io(m) => write!(f, "creating the sources failed: {m}"),
        }
    }
}

impl std::error::Error for EngineError {}

/// Builds `engine` for `case`; `rules` is the profile the model engine runs
/// under (ignored by the others).
pub fn build(
    engine: EngineName,
    case: &Case,
    setup: Setup,
    rules: Rules,
) -> Result<Box<dyn Engine>, EngineError> {
    match engine {
        EngineName::Model => Ok(Box::new(model::ModelEngine::new(case, rules)?)),
        EngineName::Port => Ok(Box::new(port::PortEngine::new(case)?)),
        EngineName::PortLinux => Ok(Box::new(port_linux::PortLinuxEngine::new(case)?)),
        EngineName::Epoll => Ok(Box::new(epoll::EpollEngine::new(case)?)),
        EngineName::Uring => Ok(Box::new(uring::UringEngine::new(case, setup)?)),
    }
}

/// The Port engine with one of its known bugs switched on: what shows
/// that the corpus and the checks can fail.
pub fn port_with_mutant(
    case: &Case,
    mutant: onering::Mutant,
) -> Result<Box<dyn Engine>, EngineError> {
    Ok(Box::new(port::PortEngine::with_port(
        case,
        onering::Port::with_mutant(mutant),
    )?))
}

/// Whether the kernel accepts `setup` at all (for a clear exit 2).
pub fn probe_setup(setup: Setup) -> Result<(), EngineError> {
    crate::drivers::uring::Ring::new(setup)
        .map(drop)
        .map_err(|e| EngineError::Refused(describe_setup_error(setup, &e)))
}

fn describe_setup_error(setup: Setup, e: &std::io::Error) -> String {
    let disabled = std::fs::read_to_string("/proc/sys/kernel/io_uring_disabled")
        .ok()
        .and_then(|s| s.trim().parse::<u32>().ok())
        .unwrap_or(0);
    let why = match e.raw_os_error() {
        Some(libc::EPERM) if disabled > 0 => {
            format!("io_uring is disabled by sysctl (kernel.io_uring_disabled = {disabled})")
        }
        Some(libc::ENOSYS) => "io_uring is not available in this kernel".into(),
        Some(libc::EPERM) => "permission denied".into(),
        Some(libc::EINVAL) => "this kernel does not know these set-up flags".into(),
        _ => e.to_string(),
    };
    format!("io_uring set-up `{}`: {why}", setup.name())
}

pub(crate) fn io_err(e: std::io::Error) -> EngineError {
    EngineError::Io(e.to_string())
}

/// The errno name of an error (`EBADF`), for refused calls.
pub(crate) fn errno_name(e: &std::io::Error) -> String {
    match e.raw_os_error() {
        Some(libc::EBADF) => "EBADF".into(),
        Some(libc::ENOENT) => "ENOENT".into(),
        Some(libc::EEXIST) => "EEXIST".into(),
        Some(libc::EINVAL) => "EINVAL".into(),
        Some(libc::EPERM) => "EPERM".into(),
        Some(libc::EALREADY) => "EALREADY".into(),
        Some(libc::EAGAIN) => "EAGAIN".into(),
        Some(libc::EINTR) => "EINTR".into(),
        Some(n) => format!("errno {n}"),
        None => e.to_string(),
    }
}
