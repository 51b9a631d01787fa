//! FINDINGS.md F7: a private io_uring futex wait armed while the process is
//! single-threaded, woken after the process gets its second thread. Each
//! variant runs in a fresh process (`onering-futex-probe`): the question is
//! about that moment. On 6.18.44 every variant is woken; if one stops being
//! woken, this fails and F7 must be revisited.

use std::process::Command;

fn probe(arg: &str) -> String {
    let o = Command::new(env!("CARGO_BIN_EXE_onering-futex-probe"))
        .arg(arg)
        .output()
        .expect("runs");
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&o.stderr)
    );
    String::from_utf8_lossy(&o.stdout).trim().to_string()
}

#[test]
fn private_wait_armed_single_threaded_is_woken_from_a_new_thread() {
    assert_eq!(probe("private"), "woken 1 completed 1");
}

#[test]
fn private_wait_armed_single_threaded_is_woken_after_a_thread_came_and_went() {
    assert_eq!(probe("main-wakes"), "woken 1 completed 1");
}

#[test]
fn shared_wait_is_woken_from_a_new_thread() {
    assert_eq!(probe("shared"), "woken 1 completed 1");
}
