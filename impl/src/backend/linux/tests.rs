//! The Linux backend's harvest of a report a thread carried outside the
//! port's lock (F11): driven step by step, so the interleaving that the
//! generated multi-threaded cases hit only by timing is deterministic.

use super::*;
use crate::backend::Poller;
use std::os::fd::FromRawFd;

/// A pipe, both ends non-blocking: (read end, write end).
fn pipe() -> (OwnedFd, OwnedFd) {
    let mut fds = [0; 2];
    // SAFETY: `fds` is a valid array of two ints for `pipe2` to fill.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(r, 0, "pipe2");
    // SAFETY: `pipe2` succeeded: both fds are open and owned by nobody else.
    unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) }
}

/// A caller's pipe registered `Level`, written once, and one report of it
/// taken from the kernel by a poll whose mark was read first (the thread
/// then carries it outside the lock).
fn carried_report() -> (LinuxBackend, SourceId, OwnedFd, OwnedFd, u64, Vec<u64>) {
    let mut b = LinuxBackend::new().unwrap();
    let poller = b.poller();
    let (r, w) = pipe();
    let s = b.add_fd(
        sys::dup_cloexec(r.as_fd()).unwrap(),
        What::Plain,
        EpollFlags::IN,
    );
    b.arm(s, Mode::Level).unwrap();
    sys::write(w.as_fd(), b"x").unwrap();
    let mark = b.poll_mark();
    let mut tokens = Vec::new();
    poller.poll(&mut tokens, 8, Some(Duration::ZERO)).unwrap();
    assert_eq!(tokens, vec![token(s, 0)], "the kernel reports the write");
    (b, s, r, w, mark, tokens)
}

/// Seeds 2, 24, 62: another thread consumed the pipe while the report was
/// carried; harvested after, it must not set the condition again (the
/// event would be delivered for a drained pipe).
#[test]
fn a_report_carried_across_a_consume_is_rechecked_at_harvest() {
    let (mut b, s, r, _w, mark, tokens) = carried_report();
    let mut buf = [0u8; 8];
    sys::read(r.as_fd(), &mut buf).unwrap();
    b.consume(s).unwrap();
    let mut out = Vec::new();
    for t in tokens {
        b.harvest(t, mark, &mut out);
    }
    assert!(out.is_empty(), "{out:?}");
    assert!(!b.is_ready(s));
}

/// The re-check keeps a report whose condition holds again (written after
/// the consume): an arrival is never dropped.
#[test]
fn a_report_carried_across_a_consume_and_a_new_write_is_kept() {
    let (mut b, s, r, w, mark, tokens) = carried_report();
    let mut buf = [0u8; 8];
    sys::read(r.as_fd(), &mut buf).unwrap();
    b.consume(s).unwrap();
    sys::write(w.as_fd(), b"y").unwrap();
    let mut out = Vec::new();
    for t in tokens {
        b.harvest(t, mark, &mut out);
    }
    assert!(matches!(out[..], [Signal::Wake(x)] if x == s), "{out:?}");
    assert!(b.is_ready(s));
}
