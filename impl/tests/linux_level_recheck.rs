//! The release of a held `Level` registration of a caller's fd takes the
//! wait's ask before the release (F13) as its re-check when that ask was
//! complete (contract rule 5 in `backend/mod.rs`, "a level-triggered
//! release"): one `epoll_wait` per round trip instead of two. Each test
//! here pins one leg of the argument that makes that safe:
//!
//! * the cached condition is reset before the ask, so a fd the holder
//!   drained is not delivered again from an older report (fails with the
//!   reset skipped);
//! * an ask that filled its batch is not complete: a level behind it is
//!   left to the kernel's next report, which this wait asks for (F11), not
//!   taken as lowered and answered from the queue (fails with a full batch
//!   taken as complete by the wait's "asked once already" shortcut: the
//!   wait returns `[]`, a lost wake-up that main had too, F14).

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::fs::File;
use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use onering::{Interest, Key, LinuxPort, Mode};

mod common;
use common::linux::{assert_nothing_delivered_within, keys_now, linux_port, nonblocking_pipe};

/// `n` pipes, each with a byte written, registered `Level` (readable).
fn readable_levels(port: &LinuxPort, n: usize) -> Vec<(File, File, Key)> {
    (0..n)
        .map(|_| {
            let (r, w) = nonblocking_pipe();
            (&w).write_all(b"x").unwrap();
            let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
            let k = port.register(s, Mode::Level).unwrap();
            (r, w, k)
        })
        .collect()
}

/// Another thread takes a batch of `max` and keeps holding it (it never
/// waits again); returns how many it took.
fn held_by_another_thread(port: &LinuxPort, max: usize) -> usize {
    std::thread::scope(|s| s.spawn(|| keys_now(port, max).len()).join().unwrap())
}

/// The holder drains the pipe, then waits: the report that made the last
/// delivery must not serve as the release's re-check (it was taken before
/// the drain). With the reset skipped, the release answers from the cached
/// condition and delivers `k` again.
#[test]
fn a_level_fd_drained_by_its_holder_is_not_delivered_again() {
    let port = linux_port();
    let (mut r, w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Level).unwrap();
    for round in 0..3 {
        (&w).write_all(b"x").unwrap();
        assert_eq!(keys_now(&port, 4), vec![k], "round {round}: written");
        // Still readable at the release: the ask before it re-checks it.
        assert_eq!(keys_now(&port, 4), vec![k], "round {round}: not drained");
        let mut b = [0u8; 1];
        r.read_exact(&mut b).unwrap();
        assert_eq!(keys_now(&port, 4), vec![], "round {round}: drained");
        assert_nothing_delivered_within(&port, Duration::from_millis(20));
    }
}

/// A level held by this thread and still readable sits behind 128 held
/// level reports in the kernel's ready list (two other threads hold 64
/// each, and epoll puts every reported level back at the tail). The ask
/// before the release fills its batch of 64 without reaching it: that ask
/// is not the re-check, and the wait asks the kernel again.
///
/// The same scene pins F14: a thread that holds nothing but must ask for a
/// registration's deferred re-check (F9, F12) before its release got a
/// full batch of held reports, took that ask as complete and returned `[]`
/// with 64 readable levels registered and held by nobody.
#[test]
fn a_level_release_behind_a_full_ask_is_rechecked_by_the_next_report() {
    let port = linux_port();
    let b = readable_levels(&port, 64);
    assert_eq!(held_by_another_thread(&port, 64), 64);
    let c = readable_levels(&port, 64);
    // This wait takes the registrations' deferred re-check first; its ask
    // is 64 of `b`'s held reports.
    assert_eq!(held_by_another_thread(&port, 64), 64, "behind a full ask");
    let q = readable_levels(&port, 1);
    let k = q[0].2;
    assert_eq!(keys_now(&port, 1), vec![k], "registered behind a full ask");
    // Held by this thread, still readable, behind 128 held reports.
    for round in 0..4 {
        assert_eq!(keys_now(&port, 1), vec![k], "release {round}");
    }
    drop((b, c));
}
