//! The non-Rust example: `kit/c/epoll_history.c` (epoll, a pipe and an
//! eventfd, two pthreads) records its own history as JSON lines. Built with
//! the system C compiler (`$CC`, else `cc`), run, and checked: linearizable
//! under `epoll`; rejected under `unified`, which forbids handing a
//! level-triggered fd to a second thread while the first still handles it;
//! and rejected under `epoll` once a result is falsified.

use onering_kit::check_text;
use std::path::PathBuf;
use std::process::Command;
use std::sync::OnceLock;

fn profile(name: &str) -> onering_model::Rules {
    onering_model::profile(name).expect("known profile")
}

/// Builds the program once per test binary (tests run in parallel; a
/// second build would replace the executable while the first runs it).
fn executable() -> &'static PathBuf {
    static EXE: OnceLock<PathBuf> = OnceLock::new();
    EXE.get_or_init(build)
}

fn build() -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("c/epoll_history.c");
    // One name per process: two test runs at once never share the file.
    let exe = PathBuf::from(env!("CARGO_TARGET_TMPDIR"))
        .join(format!("epoll_history-{}", std::process::id()));
    let cc = std::env::var("CC").unwrap_or_else(|_| "cc".into());
    let out = Command::new(&cc)
        .args(["-O2", "-Wall", "-Wextra", "-Werror", "-pthread"])
        .arg(&src)
        .arg("-o")
        .arg(&exe)
        .output()
        .unwrap_or_else(|e| panic!("cannot run the C compiler `{cc}` (set CC): {e}"));
    assert!(
        out.status.success(),
        "{cc} failed:\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    exe
}

/// Runs the program once; its stdout is the history.
fn history() -> String {
    let run = Command::new(executable())
        .output()
        .expect("run epoll_history");
    assert!(
        run.status.success(),
        "epoll_history failed:\n{}",
        String::from_utf8_lossy(&run.stderr)
    );
    String::from_utf8(run.stdout).expect("UTF-8 history")
}

#[test]
fn c_epoll_program_history_is_epoll_not_unified() {
    let text = history();
    assert!(text.lines().count() >= 15, "{text}");
    let epoll = check_text(&text, &profile("epoll"), 10.0).expect("checked");
    assert!(epoll.is_linearizable(), "{text}");
    // Both workers got the pipe while the other held it (level re-queued
    // after delivery, os §2.2): epoll allows it, unified does not.
    let both_had_it = text
        .lines()
        .filter(|l| {
            l.contains(r#""op":"wait""#)
                && l.contains(r#"{"index":0,"generation":0},"kind":"ready""#)
        })
        .map(|l| l.contains(r#""thread":1"#) as u8 + 2 * l.contains(r#""thread":2"#) as u8)
        .fold(0, |acc, t| acc | t);
    if both_had_it == 3 {
        let unified = check_text(&text, &profile("unified"), 10.0).expect("checked");
        assert!(
            !unified.is_linearizable(),
            "unified accepted two holders:\n{text}"
        );
    }
}

#[test]
fn c_epoll_program_with_a_falsified_result_is_rejected() {
    let text = history();
    // The second EPOLL_CTL_DEL answered ENOENT; claim it removed again.
    let lie = text.replace(
        r#"{"cancel":"not-found"}"#,
        r#"{"cancel":"removed","completion":null}"#,
    );
    assert_ne!(lie, text);
    let v = check_text(&lie, &profile("epoll"), 10.0).expect("checked");
    assert!(!v.is_linearizable(), "{lie}");
}
