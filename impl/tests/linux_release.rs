//! The re-check at a Dispatch release on Linux (backend docs, "Re-arming a
//! pool's releases"): a caller's fd stays armed `EPOLLET`, and the release
//! asks the kernel whether it is still ready (`epoll_wait`'s report, or one
//! `poll(2)` over the batch) instead of re-arming it with `EPOLL_CTL_MOD`.
//! No arrival is needed for a still-ready fd to come back, and a report
//! queued while the fd was held and drained is not delivered.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// The shared test helpers use std's `Arc`; `crate::sync` is the library's
// facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::time::Duration;

use onering::{EventKind, Events, Interest, Key, Mode, Timeout};

mod common;
use common::linux::{
    assert_nothing_delivered_within, linux_port, next_event_for, nonblocking_pipe, registered_pipes,
};

#[test]
fn a_dispatch_fd_still_readable_at_release_is_delivered_again_with_no_new_arrival() {
    let port = linux_port();
    let (mut r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    w.write_all(b"ab").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // Half drained: still readable, and no byte arrives after this. An
    // edge-triggered registration gets no new report; the release's
    // re-check must see the byte left.
    let mut b = [0; 1];
    assert_eq!(r.read(&mut b).unwrap(), 1);
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert_eq!(r.read(&mut b).unwrap(), 1);
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

#[test]
fn a_dispatch_fd_written_and_drained_while_held_is_not_reported_after_its_release() {
    let port = linux_port();
    let (mut r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    w.write_all(b"x").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // An arrival while held: the kernel queues an edge report for it.
    w.write_all(b"y").unwrap();
    let mut b = [0; 8];
    assert_eq!(r.read(&mut b).unwrap(), 2);
    // The release finds the fd empty; the queued report is dropped by
    // epoll's own re-poll, so nothing is delivered.
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

#[test]
fn a_released_batch_is_rechecked_as_a_whole() {
    let port = linux_port();
    let (pipes, keys) = registered_pipes(&port, 8, Mode::Dispatch);
    for (_, w) in &pipes {
        (&*w).write_all(b"ab").unwrap();
    }
    let mut evs = Events::new();
    let mut got = Vec::new();
    while got.len() < 8 {
        port.wait(&mut evs, 8, Timeout::after(Duration::from_secs(5)))
            .unwrap();
        assert!(!evs.is_empty(), "not every pipe reported within 5 s");
        got.extend(evs.iter().map(|e| e.key));
    }
    got.sort();
    assert_eq!(got, keys);
    // Half of each drained while held: one wait releases all eight (one
    // re-check of the batch) and hands every one back, once.
    let mut b = [0; 1];
    for (r, _) in &pipes {
        let mut r: &std::fs::File = r;
        assert_eq!(r.read(&mut b).unwrap(), 1);
    }
    port.wait(&mut evs, 8, Timeout::after(Duration::from_secs(5)))
        .unwrap();
    let mut again: Vec<Key> = evs.iter().map(|e| e.key).collect();
    again.sort();
    assert_eq!(again, keys);
    for (r, _) in &pipes {
        let mut r: &std::fs::File = r;
        assert_eq!(r.read(&mut b).unwrap(), 1);
    }
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

#[test]
fn a_oneshot_fd_left_readable_comes_back_only_at_rearm() {
    let port = linux_port();
    let (mut r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Oneshot).unwrap();
    w.write_all(b"ab").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // Disarmed: neither the byte left nor a new one is an event.
    w.write_all(b"c").unwrap();
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    // `rearm` re-arms with EPOLL_CTL_MOD, which re-polls the file.
    port.rearm(k).unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    let mut b = [0; 8];
    assert_eq!(r.read(&mut b).unwrap(), 3);
}
