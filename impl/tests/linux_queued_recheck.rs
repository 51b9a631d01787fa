//! F11, the multi-threaded generated cases: entries the Port queued in an
//! earlier `wait` (a kernel batch larger than the caller's `max`) are not
//! reported by the kernel again, so the Port must do at their delivery
//! what epoll's re-poll at report would: drop one whose condition was
//! lowered since, and let a new report of a queued `Edge` coalesce with
//! it. And a re-check a release leaves to the kernel must be asked for even
//! when the same wait already polled before releasing.
//!
//! Each test is a shrunk generated case of `onering conform --backend
//! port-linux --threads 3`, made deterministic (the seed is named).

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::sync::Arc;

use onering::{Interest, Key, Mode};

mod common;
use common::linux::{keys_now, linux_port, nonblocking_pipe, registered_pipes};

/// Drains a non-blocking pipe's read end (another reader, behind the
/// port's back: no `Port::consume`).
fn drain(mut r: &std::fs::File) {
    let mut buf = [0u8; 64];
    while matches!(r.read(&mut buf), Ok(n) if n > 0) {}
}

/// Seed 10: two `Edge` pipes raised; a `wait(1)` takes `k0` and leaves
/// `k1`'s report queued; `k1`'s pipe is drained behind the port's back;
/// the next `wait(1)` must not deliver `k1`, in any mode (unified's
/// `repoll_at_harvest`: epoll would have re-polled it at report).
#[test]
fn a_queued_report_of_a_pipe_drained_since_is_dropped_at_delivery() {
    for mode in [Mode::Edge, Mode::Level, Mode::Oneshot, Mode::Dispatch] {
        let port = linux_port();
        let (pipes, keys) = registered_pipes(&port, 2, mode);
        for (_, w) in &pipes {
            (&*w).write_all(b"x").unwrap();
        }
        assert_eq!(keys_now(&port, 1), vec![keys[0]], "{mode:?}");
        drain(&pipes[1].0);
        // (`k0` stays readable: a `Level` or `Dispatch` release may
        // deliver it again.)
        assert!(!keys_now(&port, 1).contains(&keys[1]), "{mode:?}");
        // Still armed: a new arrival is delivered.
        (&pipes[1].1).write_all(b"y").unwrap();
        assert!(keys_now(&port, 4).contains(&keys[1]), "{mode:?}");
    }
}

/// The re-check at delivery covers what a batch can deliver, walking past
/// entries it finds lowered: six `Dispatch` pipes raised; a wait of one
/// event takes `k0` and leaves the other reports queued; pipes 1, 2 and 4
/// are drained behind the port's back; a wait of two (another thread)
/// must skip them all and return `[k3, k5]` (a re-check of only the first
/// entries, or of only the first `max`, delivers a drained one), and the
/// drained ones are still armed.
#[test]
fn a_batch_rechecks_past_queued_entries_drained_since_until_it_is_full() {
    let port = Arc::new(linux_port());
    let (pipes, keys) = registered_pipes(&port, 6, Mode::Dispatch);
    for (_, w) in &pipes {
        (&*w).write_all(b"x").unwrap();
    }
    // Each wait on its own thread, which keeps holding what it got.
    let wait_on_a_new_thread = |max: usize| {
        let port = port.clone();
        std::thread::spawn(move || keys_now(&port, max))
            .join()
            .unwrap()
    };
    assert_eq!(wait_on_a_new_thread(1), vec![keys[0]]);
    for i in [1, 2, 4] {
        drain(&pipes[i].0);
    }
    assert_eq!(wait_on_a_new_thread(2), vec![keys[3], keys[5]]);
    (&pipes[4].1).write_all(b"y").unwrap();
    assert_eq!(wait_on_a_new_thread(8), vec![keys[4]], "still armed");
}

/// Seeds 45 and 49: two `Edge` triggers raised; a `wait(1)` takes `k1`
/// and leaves `k0` queued; `k0` is raised again (an edge while queued:
/// it coalesces); another thread's two `wait(1)`s must deliver `k0`
/// once, not its queued entry and then the new report as a second edge.
#[test]
fn an_edge_raised_again_while_queued_is_delivered_once() {
    let port = Arc::new(linux_port());
    let t0 = port.add_trigger().unwrap();
    let t1 = port.add_trigger().unwrap();
    let k0 = port.register(t0, Mode::Edge).unwrap();
    let k1 = port.register(t1, Mode::Edge).unwrap();
    port.trigger(t1, 1).unwrap();
    port.trigger(t0, 1).unwrap();
    assert_eq!(keys_now(&port, 1), vec![k1]);
    port.trigger(t0, 1).unwrap();
    let other = port.clone();
    let seen = std::thread::spawn(move || [keys_now(&other, 1), keys_now(&other, 1)])
        .join()
        .unwrap();
    assert_eq!(seen, [vec![k0], vec![]]);
}

/// Seed 27: a held `Level` pipe modified to `Dispatch` is re-armed with
/// `EPOLL_CTL_MOD` at its release, a re-check left to the kernel; the
/// same wait released a `Dispatch` hold first (whose release polls the
/// kernel before the re-arms), and returned `[]` without asking again,
/// though the modified pipe stayed readable (`level_requeue`).
#[test]
fn a_release_rearmed_by_the_kernel_is_asked_for_after_a_dispatch_release() {
    let port = linux_port();
    let (r0, w0) = nonblocking_pipe();
    let (r1, w1) = nonblocking_pipe();
    let s0 = port.add_fd(r0.as_fd(), Interest::Readable).unwrap();
    let s1 = port.add_fd(r1.as_fd(), Interest::Readable).unwrap();
    let k0 = port.register(s0, Mode::Level).unwrap();
    let k1 = port.register(s1, Mode::Level).unwrap();
    (&w1).write_all(b"x").unwrap();
    port.modify(k0, Mode::Dispatch).unwrap();
    (&w0).write_all(b"x").unwrap();
    let mut both = keys_now(&port, 2);
    both.sort();
    assert_eq!(both, vec![k0, k1]);
    port.modify(k1, Mode::Dispatch).unwrap();
    drain(&r0);
    port.consume(s0).unwrap();
    assert_eq!(keys_now(&port, 1), vec![k1]);
}

/// F16 (seeds 16 and 37 of a sweep): thread A holds an `Edge` pipe it was
/// handed; the pipe is written again, and another thread's poll takes that
/// report under the lock and keeps it as the held registration's pending
/// edge; the pipe is drained behind the port's back; A's next wait releases
/// the registration and must not deliver the pending edge (unified's
/// `repoll_at_harvest`), since the kernel does not report an edge twice and
/// the ask before the release cannot see the drain.
#[test]
fn a_pending_edge_harvested_while_held_is_dropped_if_drained_before_the_release() {
    let port = Arc::new(linux_port());
    let (r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k: Key = port.register(s, Mode::Edge).unwrap();
    w.write_all(b"a").unwrap();
    let (go_tx, go_rx) = std::sync::mpsc::channel::<()>();
    let (got_tx, got_rx) = std::sync::mpsc::channel();
    let holder = {
        let port = port.clone();
        std::thread::spawn(move || {
            got_tx.send(keys_now(&port, 4)).unwrap();
            go_rx.recv().unwrap();
            got_tx.send(keys_now(&port, 4)).unwrap();
        })
    };
    assert_eq!(got_rx.recv().unwrap(), vec![k], "the holder takes k");
    w.write_all(b"b").unwrap();
    assert_eq!(keys_now(&port, 4), vec![], "k is held by the other thread");
    drain(&r);
    go_tx.send(()).unwrap();
    assert_eq!(
        got_rx.recv().unwrap(),
        vec![],
        "the pending edge of a drained pipe was delivered at the release"
    );
    holder.join().unwrap();
}
