//! The private futex hash hazard (Linux 6.16+): `examples/futex_hash.rs`
//! arms an io_uring futex wait while the process is single-threaded, then
//! wakes it from a new thread. Runs as its own process (it must start
//! single-threaded, which a test harness never is).
//!
//! * The Port (shared futexes) must always deliver the wake.
//! * Finding, pinned (Linux 6.18): a *private* io_uring futex wait armed
//!   while single-threaded makes the kernel allocate the private hash at
//!   once (16 slots before any thread exists), so the later private wake
//!   finds it. If a kernel stops doing so, the wake is lost and this test
//!   says so.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]

use std::process::Command;

fn run(mode: &str) -> (bool, String) {
    let exe = std::env::current_exe().unwrap();
    let bin = exe
        .parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/futex_hash");
    let out = Command::new(bin)
        .arg(mode)
        .output()
        .expect("the example is built by `cargo test`");
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into_owned(),
    )
}

fn slots_before(out: &str) -> i32 {
    out.lines()
        .find_map(|l| l.strip_prefix("slots before: "))
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(-1)
}

#[test]
fn the_ports_futex_wait_armed_single_threaded_receives_a_wake_from_a_new_thread() {
    let (ok, out) = run("port");
    assert!(ok, "the Port lost a futex wake:\n{out}");
    // The Port's wait is shared: it did not create a private hash.
    assert_eq!(slots_before(&out), 0, "{out}");
}

#[test]
fn a_private_io_uring_futex_wait_armed_single_threaded_allocates_the_private_hash() {
    let (ok, out) = run("raw-private");
    if slots_before(&out) < 0 {
        println!("PR_FUTEX_HASH unsupported here; nothing to pin:\n{out}");
        return;
    }
    assert!(
        slots_before(&out) > 0,
        "the kernel no longer allocates the private hash when a private wait is armed:\n{out}"
    );
    assert!(
        ok,
        "finding changed: a private io_uring futex wake was lost:\n{out}"
    );
}

#[test]
fn a_shared_io_uring_futex_wait_is_immune_to_the_private_hash() {
    let (ok, out) = run("raw-shared");
    assert!(ok, "a shared futex wake was lost:\n{out}");
}
