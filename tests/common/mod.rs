//! What every command-line test does: run the built `onering` binary and
//! read what it printed.

use std::process::{Command, Output};

/// Runs `onering ARGS…` and waits for it.
pub fn onering(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_onering"))
        .args(args)
        .output()
        .expect("runs")
}

/// Standard output followed by standard error, for messages and asserts.
pub fn text(o: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&o.stdout),
        String::from_utf8_lossy(&o.stderr)
    )
}
