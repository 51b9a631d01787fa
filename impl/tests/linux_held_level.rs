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

use onering::{Events, Interest, Key, LinuxPort, Mode, Timeout};

mod common;
use common::linux::{linux_port, nonblocking_pipe};

fn keys_now(port: &LinuxPort, max: usize) -> Vec<Key> {
    let mut evs = Events::new();
    port.wait(&mut evs, max, Timeout::Poll).unwrap();
    evs.iter().map(|e| e.key).collect()
}

/// The shrunk generated case of F11, made deterministic: another thread
/// holds `k1` (its pipe stays readable); `k0`'s pipe becomes readable; a
/// poll of one event must return `k0`, however many held level reports
/// the kernel has ahead of it.
#[test]
fn a_poll_wait_is_not_hidden_behind_held_level_reports() {
    for held in [1usize, 3, 200] {
        let port = Arc::new(linux_port());
        let pipes: Vec<_> = (0..=held).map(|_| nonblocking_pipe()).collect();
        let keys: Vec<Key> = pipes
            .iter()
            .map(|(r, _)| {
                let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
                port.register(s, Mode::Level).unwrap()
            })
            .collect();
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
