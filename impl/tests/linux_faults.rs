//! Faults on the Linux port: closed and reused fds, interrupted waits,
//! dropping a port with operations in flight, and typed system-call errors.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// Tests drive the port from plain std threads.
#![allow(clippy::disallowed_types)]
#![allow(unsafe_code)] // libc calls of the test's own (pipes, signals)

use std::io::{Read, Write};
use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use onering::{
    CancelMode, CancelOutcome, Error, EventKind, Events, Interest, Key, LinuxPort, Mode, Port,
    StateName, Timeout,
};

fn pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // SAFETY: `fds` has room for the two fds; both are new and owned by
    // nobody else.
    unsafe {
        assert_eq!(
            libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC),
            0
        );
        (
            std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
            std::fs::File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

fn events_within(port: &LinuxPort, d: Duration) -> Vec<Key> {
    let mut evs = Events::new();
    let mut keys = Vec::new();
    let end = Instant::now() + d;
    while Instant::now() < end {
        port.wait(&mut evs, 8, Timeout::Deadline(end)).unwrap();
        keys.extend(evs.iter().map(|e| e.key));
    }
    keys
}

#[test]
fn a_reused_fd_number_never_receives_the_old_registrations_events() {
    let port = Port::linux().unwrap();
    let (r1, mut w1) = pipe();
    let n1 = r1.as_raw_fd();
    let s1 = port.add_fd(r1.as_fd(), Interest::Readable).unwrap();
    let k1 = port.register(s1, Mode::Dispatch).unwrap();
    // The caller closes its fd; the number is reused by a new pipe.
    drop(r1);
    let (r2, mut w2) = pipe();
    assert_eq!(r2.as_raw_fd(), n1, "the fd number was not reused");
    let s2 = port.add_fd(r2.as_fd(), Interest::Readable).unwrap();
    let k2 = port.register(s2, Mode::Dispatch).unwrap();
    w1.write_all(b"old").unwrap();
    let got = events_within(&port, Duration::from_millis(50));
    assert!(got.contains(&k1), "the old pipe's source still reports");
    assert!(!got.contains(&k2), "the new fd got the old pipe's event");
    // The old pipe stays readable (its data is unread): remove it.
    port.remove(s1).unwrap();
    port.cancel(k1, CancelMode::Sync).unwrap();
    w2.write_all(b"new").unwrap();
    let got = events_within(&port, Duration::from_millis(50));
    assert!(got.contains(&k2), "the new pipe's event was not delivered");
    assert!(got.iter().all(|k| *k == k2), "another key was reported");
}

#[test]
fn a_removed_source_is_closed_delivers_nothing_and_cancel_ends_it() {
    let port = Port::linux().unwrap();
    let (r, mut w) = pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    w.write_all(b"x").unwrap();
    // Harvested and queued, then removed: the queued event is purged.
    std::thread::sleep(Duration::from_millis(5));
    port.remove(s).unwrap();
    assert_eq!(port.state(k).unwrap(), StateName::Closed);
    w.write_all(b"y").unwrap();
    assert!(events_within(&port, Duration::from_millis(30)).is_empty());
    assert_eq!(port.register(s, Mode::Dispatch), Err(Error::Closed(s)));
    assert_eq!(
        port.cancel(k, CancelMode::Sync).unwrap(),
        CancelOutcome::Removed { completion: None }
    );
}

#[test]
fn a_hung_up_pipe_reports_readable_until_removed() {
    let port = Port::linux().unwrap();
    let (r, w) = pipe();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Dispatch).unwrap();
    drop(w);
    assert!(events_within(&port, Duration::from_millis(30)).contains(&k));
}

extern "C" fn on_sigusr1(_: libc::c_int) {}

#[test]
fn eintr_during_wait_loses_no_events() {
    // A handler without SA_RESTART, so epoll_wait really returns EINTR.
    // SAFETY: installs an async-signal-safe no-op handler.
    unsafe {
        let mut sa: libc::sigaction = std::mem::zeroed();
        sa.sa_sigaction = on_sigusr1 as extern "C" fn(libc::c_int) as usize;
        libc::sigemptyset(&mut sa.sa_mask);
        assert_eq!(libc::sigaction(libc::SIGUSR1, &sa, std::ptr::null_mut()), 0);
    }
    let port = Arc::new(Port::linux().unwrap());
    let t = port.add_trigger().unwrap();
    let k = port.register(t, Mode::Dispatch).unwrap();
    let (tx, rx) = std::sync::mpsc::channel();
    let waiter = {
        let port = port.clone();
        std::thread::spawn(move || {
            // SAFETY: pthread_self has no preconditions.
            tx.send(unsafe { libc::pthread_self() }).unwrap();
            let mut evs = Events::new();
            let end = Instant::now() + Duration::from_secs(5);
            loop {
                port.wait(&mut evs, 8, Timeout::Deadline(end)).unwrap();
                if evs.iter().any(|e| e.key == k) || Instant::now() >= end {
                    return evs.iter().any(|e| e.key == k);
                }
            }
        })
    };
    let th = rx.recv().unwrap();
    let start = Instant::now();
    while port.waiting() == 0 && start.elapsed() < Duration::from_secs(5) {
        std::thread::yield_now();
    }
    for _ in 0..20 {
        // SAFETY: `th` is a live thread (joined below) with a handler installed.
        unsafe { libc::pthread_kill(th, libc::SIGUSR1) };
        std::thread::sleep(Duration::from_millis(1));
    }
    port.trigger(t, 1).unwrap();
    for _ in 0..5 {
        // SAFETY: as above.
        unsafe { libc::pthread_kill(th, libc::SIGUSR1) };
    }
    assert!(waiter.join().unwrap(), "the trigger was lost to EINTR");
}

#[test]
fn dropping_a_port_with_reads_in_flight_cancels_them_and_waits() {
    let (r, mut w) = pipe();
    let done = Arc::new(AtomicBool::new(false));
    {
        let port = Port::linux().unwrap();
        for _ in 0..4 {
            let s = port.add_read(r.as_fd(), vec![0; 64], u64::MAX).unwrap();
            let _ = port.submit(s, Mode::Single).unwrap();
        }
        assert_eq!(port.in_flight(), 4);
        let d = done.clone();
        let guard = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_secs(10));
            assert!(d.load(Ordering::SeqCst), "dropping the port hung");
        });
        drop(port);
        done.store(true, Ordering::SeqCst);
        drop(guard);
    }
    // The cancelled reads consumed nothing: the data is still in the pipe.
    w.write_all(b"still here").unwrap();
    let mut b = [0; 16];
    let mut r = r;
    assert_eq!(r.read(&mut b).unwrap(), 10);
}

#[test]
fn an_operation_cancelled_async_ends_exactly_once_even_if_it_completes_first() {
    let port = Port::linux().unwrap();
    for round in 0..50 {
        let (r, mut w) = pipe();
        let s = port.add_read(r.as_fd(), vec![0; 8], u64::MAX).unwrap();
        let k = port.submit(s, Mode::Single).unwrap();
        if round % 2 == 0 {
            w.write_all(b"z").unwrap();
        }
        assert_eq!(
            port.cancel(k, CancelMode::Async).unwrap(),
            CancelOutcome::Pending
        );
        let mut finals = 0;
        let end = Instant::now() + Duration::from_secs(5);
        let mut evs = Events::new();
        while Instant::now() < end && port.state(k).is_ok() {
            port.wait(&mut evs, 8, Timeout::after(Duration::from_millis(20)))
                .unwrap();
            for e in evs.iter().filter(|e| e.key == k) {
                match e.kind {
                    EventKind::Final {
                        result: Some(1),
                        cancelled: false,
                    }
                    | EventKind::Final {
                        result: None,
                        cancelled: true,
                    } => finals += 1,
                    other => panic!("unexpected {other:?}"),
                }
            }
        }
        assert_eq!(finals, 1, "round {round}");
        assert_eq!(
            port.cancel(k, CancelMode::Async).unwrap(),
            CancelOutcome::NotFound
        );
    }
}

#[test]
fn a_bad_fd_is_an_error_naming_the_syscall() {
    let port = Port::linux().unwrap();
    // A regular file cannot be in an epoll set: EPERM from EPOLL_CTL_ADD.
    let f = std::fs::File::open("/proc/self/status").unwrap();
    let s = port.add_fd(f.as_fd(), Interest::Readable).unwrap();
    match port.register(s, Mode::Dispatch) {
        Err(Error::Os { syscall, errno }) => {
            assert_eq!(syscall, "epoll_ctl(EPOLL_CTL_ADD)");
            assert_eq!(errno, libc::EPERM);
        }
        other => panic!("{other:?}"),
    }
}

/// Finding (Linux 6.18): a poll-driven io_uring request (here `recv` on an
/// empty socket) whose submitting thread has exited is not cancelled when
/// the thread exits, but when it would complete: the retry needs the
/// submitter's task, so the kernel answers `-ECANCELED` then, and the data
/// stays unread in the socket. The port reports that as the operation's
/// final event (not flagged `cancelled`: the port did not ask). Fails
/// loudly if the kernel changes either half.
#[test]
fn an_operation_whose_submitter_exited_is_cancelled_by_the_kernel_when_it_fires() {
    let port = Arc::new(Port::linux().unwrap());
    let (a, mut b) = std::os::unix::net::UnixStream::pair().unwrap();
    let k = {
        let port = port.clone();
        let fd = a.try_clone().unwrap();
        std::thread::spawn(move || {
            let s = port.add_recv(fd.as_fd(), vec![0; 8]).unwrap();
            port.submit(s, Mode::Single).unwrap()
        })
        .join()
        .unwrap()
    };
    // The submitter is gone: nothing happens to the request by itself.
    assert!(!events_within(&port, Duration::from_millis(100)).contains(&k));
    b.write_all(b"late").unwrap();
    let mut evs = Events::new();
    let end = Instant::now() + Duration::from_secs(5);
    let kind = loop {
        assert!(Instant::now() < end, "no final event once the data arrived");
        port.wait(&mut evs, 8, Timeout::after(Duration::from_millis(50)))
            .unwrap();
        if let Some(e) = evs.iter().find(|e| e.key == k) {
            break e.kind;
        }
    };
    assert_eq!(
        kind,
        EventKind::Final {
            result: Some(-i64::from(libc::ECANCELED)),
            cancelled: false
        }
    );
    // The cancelled recv consumed nothing.
    let mut got = [0u8; 8];
    let mut a = a;
    assert_eq!(a.read(&mut got).unwrap(), 4);
}

/// The port's epoll set is nested in the outer set its threads block on
/// (backend/linux/mod.rs, "Where threads block"), so the kernel counts its
/// registrations as wake-up paths of depth 1 and refuses the 501st
/// registration of one open file (`path_limits` in fs/eventpoll.c). The
/// refusal is a typed error naming the system call, and the registrations
/// before it keep working. Fails loudly if a kernel changes the limit.
/// Blocks two threads in `port` at once (for `block` ms and `block - 100`
/// ms, the second starting 100 ms after the first), which nests the port's
/// set in its poller's outer set unless the kernel refuses; returns the
/// keys each thread's waits delivered.
fn two_blocked_threads(port: &LinuxPort, block: u64) -> Vec<Key> {
    std::thread::scope(|s| {
        let first = s.spawn(|| events_within(port, Duration::from_millis(block)));
        std::thread::sleep(Duration::from_millis(100));
        let second = s.spawn(|| events_within(port, Duration::from_millis(block - 100)));
        let mut keys = first.join().unwrap();
        keys.extend(second.join().unwrap());
        keys
    })
}

/// Registers `r` in `Level` mode until the port refuses (at most `cap`).
fn register_until_refused(
    port: &LinuxPort,
    r: &std::fs::File,
    cap: usize,
) -> (Vec<Key>, Option<Error>) {
    let mut keys = Vec::new();
    while keys.len() < cap {
        let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
        match port.register(s, Mode::Level) {
            Ok(k) => keys.push(k),
            Err(e) => return (keys, Some(e)),
        }
    }
    (keys, None)
}

#[test]
fn once_two_threads_have_blocked_a_501st_registration_of_one_file_is_refused_naming_epoll_ctl() {
    let port: LinuxPort = Port::linux().unwrap();
    // Nothing is registered: both threads only block, and nest the set.
    assert!(two_blocked_threads(&port, 300).is_empty());
    let (r, mut w) = pipe();
    let (keys, refused) = register_until_refused(&port, &r, 600);
    assert_eq!(
        keys.len(),
        500,
        "the kernel's path limit for one open file in a nested set"
    );
    assert_eq!(
        refused,
        Some(Error::Os {
            syscall: "epoll_ctl(EPOLL_CTL_ADD)",
            errno: libc::EINVAL
        })
    );
    w.write_all(b"x").unwrap();
    let got: std::collections::HashSet<Key> = events_within(&port, Duration::from_millis(200))
        .into_iter()
        .collect();
    assert_eq!(got.len(), 500, "every accepted registration delivers");
}

#[test]
fn a_port_holding_more_than_500_registrations_of_one_file_still_wakes_every_blocked_thread() {
    // Before any two threads block at once the port's set is not nested,
    // so the kernel's path limit does not apply; afterwards the nesting is
    // refused and blocked threads sleep in poll(2): nothing is lost.
    let port: LinuxPort = Port::linux().unwrap();
    let (r, mut w) = pipe();
    let (keys, refused) = register_until_refused(&port, &r, 600);
    assert_eq!((keys.len(), refused), (600, None));
    let writer = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(250));
        w.write_all(b"x").unwrap();
        w
    });
    // Both threads are blocked when the write comes (at 250 ms).
    let got: std::collections::HashSet<Key> = two_blocked_threads(&port, 600).into_iter().collect();
    drop(writer.join().unwrap());
    assert_eq!(
        got.len(),
        600,
        "every registration delivers to one of the blocked threads"
    );
}
