//! F12: unified's `Register` of a source whose condition already holds
//! queues its event *at the registration*, so it goes ahead of everything
//! queued later, in particular a re-arrival of another registration held
//! until the next `wait`'s release. The Port on Linux leaves that re-check
//! to the kernel's report of the `EPOLL_CTL_ADD`, which sits behind the
//! held registration's report in the epoll ready list; its `wait` used to
//! harvest both after releasing the holds, so the held one came first. It
//! now takes such a pending report before the release.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;

use onering::{Interest, Mode};

mod common;
use common::linux::{keys_now, linux_port, nonblocking_pipe};

/// The corpus case `port-linux-edge-rearrival-order`: two `Edge` triggers.
#[test]
fn an_edge_registration_of_a_raised_trigger_is_queued_ahead_of_a_held_rearrival() {
    let port = linux_port();
    let t0 = port.add_trigger().unwrap();
    let t1 = port.add_trigger().unwrap();
    port.trigger(t1, 1).unwrap();
    let k1 = port.register(t1, Mode::Edge).unwrap();
    assert_eq!(keys_now(&port, 1), vec![k1]);
    port.trigger(t0, 1).unwrap();
    // k1 is held by this thread: its new edge is queued at the release.
    port.trigger(t1, 1).unwrap();
    let k0 = port.register(t0, Mode::Edge).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k0, k1]);
    // One edge each, not a re-check plus the ADD's report (F9).
    assert_eq!(keys_now(&port, 4), vec![]);
}

/// The same on the caller's fds (pipes, `EPOLLET`), and in every mode of
/// the later registration: it is queued ahead of the held re-arrival, so a
/// batch of one takes it alone.
#[test]
fn a_registration_of_a_readable_pipe_is_queued_ahead_of_a_held_rearrival_in_every_mode() {
    for mode in [Mode::Edge, Mode::Level, Mode::Oneshot, Mode::Dispatch] {
        let port = linux_port();
        let (r0, mut w0) = nonblocking_pipe();
        let (r1, mut w1) = nonblocking_pipe();
        let s0 = port.add_fd(r0.as_fd(), Interest::Readable).unwrap();
        let s1 = port.add_fd(r1.as_fd(), Interest::Readable).unwrap();
        w1.write_all(b"a").unwrap();
        let k1 = port.register(s1, Mode::Edge).unwrap();
        assert_eq!(keys_now(&port, 1), vec![k1], "{mode:?}");
        w0.write_all(b"b").unwrap();
        w1.write_all(b"c").unwrap();
        let k0 = port.register(s0, mode).unwrap();
        assert_eq!(keys_now(&port, 1), vec![k0], "{mode:?}");
        assert_eq!(keys_now(&port, 4)[0], k1, "{mode:?}");
    }
}
