//! The Linux port delivers every kind of source through one `wait`: one
//! test per source kind and rule.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads and share futex words with
// the kernel; `crate::sync` is the library's facade, not theirs.
#![allow(clippy::disallowed_types)]

use std::io::{Read, Write};
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use onering::{
    futex_wake, CancelMode, CancelOutcome, EventKind, Events, FutexWord, Interest, Mode, Timeout,
};

mod common;
use common::linux::{
    assert_nothing_delivered_within, completed_final, keys_now, linux_port, next_event_for,
    nonblocking_pipe, removed_completion, RecvInFlight, CANCELLED_FINAL,
};

#[test]
fn pipe_readable_is_reported_once_per_dispatch_and_rechecked_at_release() {
    let port = linux_port();
    let (mut r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    w.write_all(b"x").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // Held and disarmed: more data is not a second event meanwhile.
    w.write_all(b"y").unwrap();
    // The next wait releases; the kernel's re-check sees the data.
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    let mut b = [0; 8];
    assert_eq!(r.read(&mut b).unwrap(), 2);
    // Released with nothing left: no event.
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

#[test]
fn read_and_write_interest_are_separate_sources() {
    let port = linux_port();
    let (a, _b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    let rs = port.add_fd(a.as_fd(), Interest::Readable).unwrap();
    let ws = port.add_fd(a.as_fd(), Interest::Writable).unwrap();
    let rk = port.register(rs, Mode::Dispatch).unwrap();
    let wk = port.register(ws, Mode::Dispatch).unwrap();
    // Writable at once; not readable.
    assert_eq!(next_event_for(&port, wk).kind, EventKind::Ready);
    let mut evs = Events::new();
    port.wait(&mut evs, 8, Timeout::after(Duration::from_millis(20)))
        .unwrap();
    assert!(evs.iter().all(|e| e.key != rk), "{evs:?}");
}

#[test]
fn edge_registration_reports_each_arrival() {
    let port = linux_port();
    let (_r, mut w) = nonblocking_pipe();
    let s = port.add_fd(_r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Edge).unwrap();
    w.write_all(b"1").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // Not drained, no new arrival: an edge is not a level.
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    w.write_all(b"2").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
}

#[test]
fn trigger_counts_coalesce_and_consume_drains() {
    let port = linux_port();
    let t = port.add_trigger().unwrap();
    let k = port.register(t, Mode::Dispatch).unwrap();
    port.trigger(t, 2).unwrap();
    port.trigger(t, 3).unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert_eq!(port.read_count(t).unwrap(), 5);
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    port.trigger(t, 1).unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert_eq!(port.read_count(t).unwrap(), 1);
    // The lock-free handle raises the same source; after removal it is
    // harmless.
    let h = port.trigger_handle(t).unwrap();
    h.fire(4).unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert_eq!(port.read_count(t).unwrap(), 4);
    port.remove(t).unwrap();
    h.fire(1).unwrap();
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

/// F9: unified `Register` of a ready source queues its event at once (the
/// registration's re-check), even while another level registration stays
/// ready and queued: k0 comes first, before k1's re-queue at release.
#[test]
fn register_of_a_raised_trigger_queues_it_while_another_level_stays_ready() {
    let port = linux_port();
    let t0 = port.add_trigger().unwrap();
    let t1 = port.add_trigger().unwrap();
    port.trigger(t0, 1).unwrap();
    port.trigger(t1, 1).unwrap();
    let k1 = port.register(t1, Mode::Level).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k1]);
    let k0 = port.register(t0, Mode::Level).unwrap();
    assert_eq!(keys_now(&port, 1), vec![k0]);
    let mut both = keys_now(&port, 4);
    both.sort_by_key(|k| k.index);
    let mut want = vec![k0, k1];
    want.sort_by_key(|k| k.index);
    assert_eq!(both, want);
    port.read_count(t1).unwrap();
    // k1 is drained; k0 still holds and keeps being reported.
    assert_eq!(keys_now(&port, 4), vec![k0]);
}

/// F9, `Edge`: an edge trigger registered while raised gets its one event
/// from the next wait although a level stays queued (no-lost-wakeup), and
/// no second edge follows.
#[test]
fn an_edge_trigger_registered_behind_a_ready_level_is_not_starved() {
    let port = linux_port();
    let t0 = port.add_trigger().unwrap();
    let t1 = port.add_trigger().unwrap();
    port.trigger(t0, 1).unwrap();
    port.trigger(t1, 1).unwrap();
    let k1 = port.register(t1, Mode::Level).unwrap();
    assert_eq!(keys_now(&port, 4), vec![k1]);
    let k0 = port.register(t0, Mode::Edge).unwrap();
    let got = keys_now(&port, 4);
    assert!(got.contains(&k0) && got.contains(&k1), "{got:?}");
    for _ in 0..3 {
        assert_eq!(keys_now(&port, 4), vec![k1]);
    }
}

#[test]
fn one_shot_timer_fires_once_periodic_timer_keeps_firing() {
    let port = linux_port();
    let once = port.add_timer(Duration::from_millis(5), None).unwrap();
    let every = port
        .add_timer(Duration::from_millis(5), Some(Duration::from_millis(5)))
        .unwrap();
    let ko = port.register(once, Mode::Dispatch).unwrap();
    let ke = port.register(every, Mode::Dispatch).unwrap();
    assert_eq!(next_event_for(&port, ko).kind, EventKind::Ready);
    assert_eq!(port.read_count(once).unwrap(), 1);
    for _ in 0..3 {
        next_event_for(&port, ke);
        assert!(port.read_count(every).unwrap() >= 1);
    }
    // The one-shot timer stays quiet.
    let mut evs = Events::new();
    port.wait(&mut evs, 8, Timeout::after(Duration::from_millis(30)))
        .unwrap();
    assert!(evs.iter().all(|e| e.key != ko));
}

#[test]
fn signal_is_delivered_through_signalfd() {
    let port = linux_port();
    let s = port.add_signal(libc::SIGUSR2).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    // Directed at this thread, which blocks it: pending here, read here.
    #[allow(unsafe_code)]
    // SAFETY: signals the calling thread, which has SIGUSR2 blocked.
    unsafe {
        libc::pthread_kill(libc::pthread_self(), libc::SIGUSR2);
    }
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert_eq!(port.read_signals(s).unwrap(), vec![libc::SIGUSR2 as u32]);
}

#[test]
fn file_created_in_watched_directory_is_reported() {
    let port = linux_port();
    let dir = std::env::temp_dir().join(format!("onering-inotify-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let s = port.add_inotify(&dir, libc::IN_CREATE).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    std::fs::write(dir.join("hello"), b"x").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    let changes = port.read_changes(s).unwrap();
    assert!(changes.iter().any(|(_, n)| n == "hello"), "{changes:?}");
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn child_exit_is_reported_through_pidfd() {
    let port = linux_port();
    let mut child = std::process::Command::new("sleep")
        .arg("0.05")
        .spawn()
        .unwrap();
    let s = port.add_process(child.id()).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    assert!(child.wait().unwrap().success());
}

#[test]
fn futex_wait_ends_with_wake_and_mismatch_answers_eagain() {
    let port = linux_port();
    let word = FutexWord::new(7);
    let f = port.add_futex(&word);
    let k = port.futex_wait(f, 7).unwrap();
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    word.store(8);
    // The wake may race the kernel's arming of the wait: retry until woken.
    let end = Instant::now() + Duration::from_secs(5);
    let mut woke = 0;
    while woke == 0 {
        assert!(Instant::now() < end);
        woke = futex_wake(&word, 1).unwrap();
    }
    assert_eq!(next_event_for(&port, k).kind, completed_final(0));
    let f2 = port.add_futex(&word);
    let k2 = port.futex_wait(f2, 7).unwrap();
    assert_eq!(
        next_event_for(&port, k2).kind,
        EventKind::Final {
            result: Some(-i64::from(libc::EAGAIN)),
            cancelled: false
        }
    );
}

#[test]
fn read_and_write_operations_own_their_buffers_until_final() {
    let port = linux_port();
    let (r, w) = nonblocking_pipe();
    let ws = port
        .add_write(w.as_fd(), b"hello".to_vec(), u64::MAX)
        .unwrap();
    let wk = port.submit(ws, Mode::Single).unwrap();
    assert_eq!(next_event_for(&port, wk).kind, completed_final(5));
    let rs = port.add_read(r.as_fd(), vec![0; 16], u64::MAX).unwrap();
    let rk = port.submit(rs, Mode::Single).unwrap();
    assert_eq!(next_event_for(&port, rk).kind, completed_final(5));
    let buf = port.take_buffer(rs).unwrap().unwrap();
    assert_eq!(&buf[..5], b"hello");
    assert_eq!(port.take_buffer(rs).unwrap(), None);
}

#[test]
fn buffer_cannot_be_taken_while_in_flight() {
    let port = linux_port();
    let (r, _w) = nonblocking_pipe();
    let rs = port.add_read(r.as_fd(), vec![0; 16], u64::MAX).unwrap();
    let rk = port.submit(rs, Mode::Single).unwrap();
    assert!(port.take_buffer(rs).is_err());
    assert_eq!(
        port.cancel(rk, CancelMode::Async).unwrap(),
        CancelOutcome::Pending
    );
    assert_eq!(next_event_for(&port, rk).kind, CANCELLED_FINAL);
    assert!(port.take_buffer(rs).unwrap().is_some());
}

#[test]
fn multishot_accept_streams_connections_then_async_cancel_ends_it() {
    let port = linux_port();
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = l.local_addr().unwrap();
    let a = port.add_accept(l.as_fd()).unwrap();
    let k = port.submit(a, Mode::Multishot).unwrap();
    let mut conns = Vec::new();
    for _ in 0..3 {
        conns.push(std::net::TcpStream::connect(addr).unwrap());
        match next_event_for(&port, k).kind {
            EventKind::Item { value } => {
                assert!(value >= 0);
                #[allow(unsafe_code)]
                // SAFETY: an accepted fd the kernel handed to us; we own it.
                drop(unsafe { OwnedFd::from_raw_fd(value as i32) });
            }
            other => panic!("expected an item, got {other:?}"),
        }
    }
    assert_eq!(
        port.cancel(k, CancelMode::Async).unwrap(),
        CancelOutcome::Pending
    );
    assert_eq!(next_event_for(&port, k).kind, CANCELLED_FINAL);
    assert_eq!(
        port.cancel(k, CancelMode::Async).unwrap(),
        CancelOutcome::NotFound
    );
}

#[test]
fn reap_removes_a_final_completion_queued_and_not_delivered() {
    let port = linux_port();
    let mut recv = RecvInFlight::submit(&port);
    recv.send(b"abc");
    // Harvest the completion into the queue without taking it.
    let end = Instant::now() + Duration::from_secs(5);
    while port.state(recv.key).unwrap() != onering::StateName::Finishing {
        assert!(Instant::now() < end, "the completion never arrived");
        port.pump(8).unwrap();
        std::thread::yield_now();
    }
    let c = removed_completion(port.cancel(recv.key, CancelMode::Reap).unwrap());
    assert_eq!(c.result, Some(3));
    recv.assert_buffer_starts_with(&port, b"abc");
    // Nothing else follows for the reaped key.
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    assert_eq!(
        port.cancel(recv.key, CancelMode::Reap).unwrap(),
        CancelOutcome::NotFound
    );
}

/// F10: a `Reap` of a request whose completion the kernel has already
/// posted (its CQE in the ring, no wait has harvested it) answers `Removed`
/// with it; no event follows (unified `CancelMode::Reap`).
#[test]
fn reap_takes_a_completion_the_kernel_has_posted_before_any_wait() {
    let port = linux_port();
    let mut recv = RecvInFlight::submit(&port);
    recv.send(b"abc");
    // The write's task work posts the CQE on this thread's return to user
    // space; the port has not looked at the ring since the submission.
    assert_eq!(port.state(recv.key).unwrap(), onering::StateName::InFlight);
    std::thread::sleep(Duration::from_millis(5));
    let c = removed_completion(port.cancel(recv.key, CancelMode::Reap).unwrap());
    assert_eq!(c.result, Some(3));
    assert!(!c.cancelled);
    recv.assert_buffer_starts_with(&port, b"abc");
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

/// F10: `futex_wake` counts the waits it released, so their finals are
/// known: a `Reap` right after takes the woken wait's final.
#[test]
fn reap_takes_a_futex_wait_that_futex_wake_released() {
    let port = linux_port();
    let word = FutexWord::new(7);
    let f = port.add_futex(&word);
    let k = port.futex_wait(f, 7).unwrap();
    // As above: retry should the wake race the kernel's arming of the wait.
    let end = Instant::now() + Duration::from_secs(5);
    while futex_wake(&word, 1).unwrap() == 0 {
        assert!(Instant::now() < end, "the wait was never armed");
    }
    let c = removed_completion(port.cancel(k, CancelMode::Reap).unwrap());
    assert_eq!(c.result, Some(0));
    assert!(!c.cancelled);
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

/// F10: a first `Reap` answers `Pending` (the kernel's cancel is on its
/// way); once the cancelled CQE is in the ring, a second `Reap` takes it.
#[test]
fn a_second_reap_takes_the_cancelled_completion_the_first_promised() {
    let port = linux_port();
    let recv = RecvInFlight::submit(&port);
    assert_eq!(
        port.cancel(recv.key, CancelMode::Reap).unwrap(),
        CancelOutcome::Pending
    );
    // The cancel is submitted with the next ring enter at the latest; poll
    // the ring through Reap itself until the cancelled final is there.
    let end = Instant::now() + Duration::from_secs(5);
    let c = loop {
        assert!(Instant::now() < end, "the cancel never landed");
        std::thread::sleep(Duration::from_millis(2));
        match port.cancel(recv.key, CancelMode::Reap).unwrap() {
            CancelOutcome::Pending => continue,
            other => break removed_completion(other),
        }
    };
    assert!(c.cancelled, "{c:?}");
    assert_eq!(c.result, None);
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
}

#[test]
fn level_registration_reports_while_the_condition_holds_without_rearm_syscalls() {
    let port = linux_port();
    let (mut r, mut w) = nonblocking_pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Level).unwrap();
    w.write_all(b"abc").unwrap();
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    // Released by the next wait, still readable: reported again.
    assert_eq!(next_event_for(&port, k).kind, EventKind::Ready);
    let mut b = [0; 8];
    assert_eq!(r.read(&mut b).unwrap(), 3);
    assert_nothing_delivered_within(&port, Duration::from_millis(20));
    // Dispatch on the same fd needs a one-shot registration: refused.
    assert!(matches!(
        port.register(s, Mode::Dispatch),
        Err(onering::Error::ModeMismatch { .. })
    ));
}
