//! `modify` of a plain fd's only registration to another epoll trigger
//! class (level; `EPOLLET` for Edge; `EPOLLET` re-checked at release for
//! Dispatch/Oneshot) switches the kernel
//! registration and re-checks (F8, fixed); with several registrations on
//! the fd the switch is refused, since the others depend on the trigger.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
#![allow(clippy::disallowed_types)]

use std::io::{Read, Write};
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use onering::{Error, Events, Interest, Key, LinuxPort, Mode, Port, Timeout};

fn keys(port: &LinuxPort, d: Duration) -> Vec<Key> {
    let mut evs = Events::new();
    port.wait(&mut evs, 8, Timeout::after(d)).unwrap();
    evs.iter().map(|e| e.key).collect()
}

fn pair() -> (UnixStream, UnixStream) {
    let (a, b) = UnixStream::pair().unwrap();
    a.set_nonblocking(true).unwrap();
    (a, b)
}

const SHORT: Duration = Duration::from_millis(30);

#[test]
fn modify_oneshot_to_level_reports_a_ready_fd_at_every_wait() {
    let port: LinuxPort = Port::linux().unwrap();
    let (r, mut w) = pair();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Oneshot).unwrap();
    port.modify(k, Mode::Level).unwrap();
    w.write_all(b"x").unwrap();
    for _ in 0..3 {
        assert_eq!(keys(&port, SHORT), vec![k], "a level stays reported");
    }
    let mut b = [0u8; 8];
    let _ = (&r).read(&mut b);
    assert_eq!(keys(&port, SHORT), Vec::<Key>::new(), "drained: no more");
}

#[test]
fn modify_level_to_edge_reports_each_arrival_once() {
    let port: LinuxPort = Port::linux().unwrap();
    let (r, mut w) = pair();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Level).unwrap();
    port.modify(k, Mode::Edge).unwrap();
    w.write_all(b"x").unwrap();
    assert_eq!(keys(&port, SHORT), vec![k]);
    assert_eq!(keys(&port, SHORT), Vec::<Key>::new(), "one edge, one event");
    w.write_all(b"y").unwrap();
    assert_eq!(keys(&port, SHORT), vec![k], "a new arrival is a new edge");
}

#[test]
fn modify_of_a_ready_fd_to_dispatch_rechecks_at_once() {
    let port: LinuxPort = Port::linux().unwrap();
    let (r, mut w) = pair();
    w.write_all(b"x").unwrap();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k = port.register(s, Mode::Edge).unwrap();
    assert_eq!(keys(&port, SHORT), vec![k]);
    assert_eq!(keys(&port, SHORT), Vec::<Key>::new());
    // Still readable: the switch's re-poll finds it, no new write needed.
    port.modify(k, Mode::Dispatch).unwrap();
    assert_eq!(keys(&port, SHORT), vec![k]);
}

#[test]
fn modify_across_classes_is_refused_while_another_registration_shares_the_fd() {
    let port: LinuxPort = Port::linux().unwrap();
    let (r, _w) = pair();
    let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
    let k0 = port.register(s, Mode::Oneshot).unwrap();
    let _k1 = port.register(s, Mode::Dispatch).unwrap();
    assert!(matches!(
        port.modify(k0, Mode::Level),
        Err(Error::ModeMismatch { .. })
    ));
    // Within the class it is fine.
    port.modify(k0, Mode::Dispatch).unwrap();
}
