//! The Linux backend's harvest of a report a thread carried outside the
//! port's lock (F11): driven step by step, so the interleavings that the
//! generated multi-threaded cases hit only by timing are deterministic.
//! The port takes kernel reports under its lock now (contract rule 2); the
//! one answer it still carries is a `PreArm` batch's (rule 4), which these
//! marks guard. A `take` stands in for it here: the harvest sees only the
//! token and its marks.

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

struct Fixture {
    b: LinuxBackend,
    poller: LinuxPoller,
    s: SourceId,
    r: OwnedFd,
    w: OwnedFd,
}

/// A caller's pipe registered `Level`.
fn fixture() -> Fixture {
    let mut b = LinuxBackend::new().unwrap();
    let poller = b.poller();
    let (r, w) = pipe();
    let s = b.add_fd(
        sys::dup_cloexec(r.as_fd()).unwrap(),
        What::Plain,
        EpollFlags::IN,
    );
    b.arm(s, Mode::Level).unwrap();
    Fixture { b, poller, s, r, w }
}

impl Fixture {
    fn write(&self) {
        sys::write(self.w.as_fd(), b"x").unwrap();
    }

    /// The caller drains the pipe and tells the port.
    fn consume(&mut self) {
        let mut buf = [0u8; 8];
        while matches!(sys::read(self.r.as_fd(), &mut buf), Ok(Some(n)) if n > 0) {}
        self.b.consume(self.s).unwrap();
    }

    /// One question to the kernel whose answer is carried outside the
    /// lock, as a `PreArm` batch's is: `between` runs after the mark is
    /// read and before the kernel is asked (a reset while the question is
    /// in the kernel).
    fn poll(&mut self, between: impl FnOnce(&mut Self)) -> (Vec<u64>, Marks) {
        let before = self.b.poll_mark();
        between(self);
        let mut tokens = Vec::new();
        self.poller.take(&mut tokens, 8).unwrap();
        let marks = Marks {
            before,
            after: self.poller.mark(),
        };
        (tokens, marks)
    }

    fn harvest(&mut self, (tokens, marks): (Vec<u64>, Marks)) -> Vec<Signal> {
        let mut out = Vec::new();
        for t in tokens {
            if let Some(s) = self.b.harvest(t, marks, &mut out) {
                out.push(Signal::Wake(s));
            }
        }
        out
    }
}

/// Seeds 2, 24, 62: another thread consumed the pipe after this thread's
/// poll returned with its report; harvested after, the report must not
/// set the condition again (the event would be delivered for a drained
/// pipe).
#[test]
fn a_report_carried_across_a_consume_is_dropped_at_harvest() {
    let mut f = fixture();
    f.write();
    let carried = f.poll(|_| {});
    assert_eq!(carried.0.len(), 1, "the kernel reports the write");
    f.consume();
    assert!(f.harvest(carried).is_empty());
    assert!(!f.b.is_ready(f.s));
}

/// The dropped report loses no arrival: a write after the consume makes
/// a report of its own, which the next poll takes.
#[test]
fn an_arrival_after_the_consume_is_reported_again() {
    let mut f = fixture();
    f.write();
    let carried = f.poll(|_| {});
    f.consume();
    f.write();
    assert!(f.harvest(carried).is_empty());
    let next = f.poll(|_| {});
    let s = f.s;
    assert!(matches!(f.harvest(next)[..], [Signal::Wake(x)] if x == s));
    assert!(f.b.is_ready(f.s));
}

/// A reset while the poll was in the kernel: the report is re-checked,
/// dropped if the condition no longer holds, kept if it does.
#[test]
fn a_report_taken_across_a_reset_is_rechecked() {
    let mut f = fixture();
    f.write();
    let stale = f.poll(|f| {
        // Level-triggered: the kernel still reports the pipe after this
        // re-arm's reset, until it is drained.
        f.b.arm(f.s, Mode::Level).unwrap();
    });
    assert_eq!(stale.0.len(), 1);
    let mut buf = [0u8; 8];
    sys::read(f.r.as_fd(), &mut buf).unwrap();
    assert!(f.harvest(stale).is_empty(), "drained: dropped");
    f.write();
    let fresh = f.poll(|f| {
        f.b.arm(f.s, Mode::Level).unwrap();
    });
    assert_eq!(f.harvest(fresh).len(), 1, "still readable: kept");
}
