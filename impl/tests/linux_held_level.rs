//! F11: a held `Level` registration of a caller's fd is level-triggered in
//! epoll, so the kernel reports it at every `epoll_wait`, ahead of a later
//! arrival. A non-blocking `wait(1)` of another thread used to ask the
//! kernel for one report, get the held one (skipped: held) and return
//! `[]` while the later arrival was deliverable (`no-lost-wakeup`).

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;
use std::sync::Arc;

use onering::{Interest, Key, Mode};

mod common;
use common::linux::{keys_now, linux_port, nonblocking_pipe, registered_pipes};

/// The shrunk generated case of F11, made deterministic: another thread
/// holds `k1` (its pipe stays readable); `k0`'s pipe becomes readable; a
/// poll of one event must return `k0`, however many held level reports
/// the kernel has ahead of it (300: more than the four full batches the
/// bound once was; a wait now asks for one pass over every registration).
#[test]
fn a_poll_wait_is_not_hidden_behind_held_level_reports() {
    for held in [1usize, 3, 200, 300] {
        let port = Arc::new(linux_port());
        let (pipes, keys) = registered_pipes(&port, held + 1, Mode::Level);
        for (_, w) in &pipes[1..] {
            (&*w).write_all(b"x").unwrap();
        }
        // Other threads take (and keep holding: each waits once) every
        // ready level.
        let mut taken = 0;
        while taken < held {
            let port = port.clone();
            taken += std::thread::spawn(move || keys_now(&port, 64).len())
                .join()
                .unwrap();
        }
        (&pipes[0].1).write_all(b"y").unwrap();
        assert_eq!(keys_now(&port, 1), vec![keys[0]], "{held} held levels");
    }
}

/// F13: a wait that releases a held `Level` trigger (re-queued: still
/// raised) asks the kernel first, so an arrival the kernel reported while
/// it was held comes first, and a batch with room holds both.
#[test]
fn an_arrival_while_a_level_is_held_comes_before_its_requeue() {
    let port = linux_port();
    let t0 = port.add_trigger().unwrap();
    let t1 = port.add_trigger().unwrap();
    port.trigger(t1, 1).unwrap();
    let k1 = port.register(t1, Mode::Level).unwrap();
    let k0 = port.register(t0, Mode::Level).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k1]);
    port.trigger(t0, 1).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k0, k1]);
}

/// F13, from the queue: a level left queued behind a full batch is served
/// with an arrival the kernel holds when the next batch has room.
#[test]
fn a_batch_served_from_the_queue_with_room_asks_the_kernel() {
    let port = linux_port();
    let t: Vec<_> = (0..3).map(|_| port.add_trigger().unwrap()).collect();
    port.trigger(t[0], 1).unwrap();
    port.trigger(t[1], 1).unwrap();
    let k: Vec<Key> = t
        .iter()
        .map(|&s| port.register(s, Mode::Oneshot).unwrap())
        .collect();
    assert_eq!(keys_now(&port, 1), vec![k[0]]);
    port.trigger(t[2], 1).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k[1], k[2]]);
}

/// CPU time the calling thread has used.
fn thread_cpu() -> std::time::Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid timespec for the call to fill.
    assert_eq!(
        unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) },
        0
    );
    std::time::Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

/// Where threads block: a thread that blocks alone, while another thread
/// holds a `Level` registration that stays ready, must sleep, not spin. The
/// kernel re-queues that level after every `take`, so `poll(2)` on the
/// port's set (how a lone thread blocks before the set is nested) would
/// return at once, again and again; the port nests the set instead (the
/// last take was not empty) and the thread sleeps in the outer set.
#[test]
fn a_lone_blocked_thread_does_not_spin_while_another_holds_a_ready_level() {
    let port = Arc::new(linux_port());
    let (r, w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Level).unwrap();
    (&w).write_all(b"x").unwrap();
    // Another thread takes the level and keeps holding it (it waits once).
    let holder = port.clone();
    assert_eq!(
        std::thread::spawn(move || keys_now(&holder, 8))
            .join()
            .unwrap(),
        vec![k]
    );
    let waiter = port.clone();
    let (got, cpu) = std::thread::spawn(move || {
        let before = thread_cpu();
        let mut evs = onering::Events::new();
        waiter
            .wait(
                &mut evs,
                8,
                onering::Timeout::after(std::time::Duration::from_millis(300)),
            )
            .unwrap();
        (evs.len(), thread_cpu() - before)
    })
    .join()
    .unwrap();
    assert_eq!(got, 0, "the held level is not delivered to another thread");
    assert!(
        cpu < std::time::Duration::from_millis(60),
        "a 300 ms wait used {cpu:?} of CPU: it spun"
    );
}
