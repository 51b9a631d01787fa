//! F11's last open shape: a thread blocked in `wait` took a kernel report
//! out of `epoll_wait`, and until it had the port's lock another thread's
//! poll answered `[]`; a `cancel` meanwhile then lost the event (no wait
//! ever returned it). Now every report is taken under the lock (contract
//! rule 2), so a poll that answers `[]` comes after a wait that has
//! already taken the event *and returns it*.
//!
//! Timing decides who takes the report, so this is a stress test: on the
//! design that carried reports it failed within a few hundred rounds (see
//! conformance/FINDINGS.md, F11); every round's outcome is checked.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads.
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;
use std::sync::{mpsc, Arc};
use std::time::Duration;

use onering::{CancelMode, Events, Interest, Mode, Timeout};

mod common;
use common::linux::{keys_now, linux_port, nonblocking_pipe};

/// An Edge registration (one report per arrival, so a carried report is
/// the only one), a thread blocked in `wait`, a write, then a poll and a
/// cancel from another thread: if the poll answered `[]`, the blocked
/// wait must return the event.
#[test]
fn a_poll_that_answers_empty_leaves_the_event_to_a_blocked_wait_that_returns_it() {
    let port = Arc::new(linux_port());
    let mut polled_empty = 0;
    for round in 0..2_000 {
        let (r, mut w) = nonblocking_pipe();
        let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
        let k = port.register(s, Mode::Edge).unwrap();
        // Ends the blocked wait of a round the poll won (it would otherwise
        // sleep to its deadline). One per round: the blocked thread ends
        // holding what it returned.
        let kick = port.add_trigger().unwrap();
        let kick_key = port.register(kick, Mode::Edge).unwrap();
        let (parked_tx, parked_rx) = mpsc::channel();
        let blocked = {
            let port = port.clone();
            std::thread::spawn(move || {
                let mut evs = Events::new();
                parked_tx.send(()).unwrap();
                port.wait(&mut evs, 8, Timeout::after(Duration::from_secs(5)))
                    .unwrap();
                evs.iter().map(|e| e.key).collect::<Vec<_>>()
            })
        };
        parked_rx.recv().unwrap();
        while port.waiting() == 0 {
            std::thread::yield_now();
        }
        w.write_all(b"x").unwrap();
        // Let the woken thread get out of the kernel, by varying amounts,
        // so some rounds poll while it is between the kernel and the lock.
        for _ in 0..round % 7 {
            std::thread::yield_now();
        }
        let polled = keys_now(&port, 8);
        port.cancel(k, CancelMode::Sync).unwrap();
        port.trigger(kick, 1).unwrap();
        let carried: Vec<_> = blocked
            .join()
            .unwrap()
            .into_iter()
            .filter(|&key| key != kick_key)
            .collect();
        if polled.is_empty() {
            polled_empty += 1;
            assert_eq!(
                carried,
                vec![k],
                "round {round}: the poll answered [] and the blocked wait did not return {k}: the event was lost"
            );
        } else {
            assert_eq!(polled, vec![k], "round {round}");
            assert!(carried.is_empty(), "round {round}: delivered twice");
        }
        port.remove(s).unwrap();
        port.remove(kick).unwrap();
    }
    // The interesting rounds happened (the blocked wait won the report).
    assert!(polled_empty > 0, "no round let the blocked wait take it");
}
