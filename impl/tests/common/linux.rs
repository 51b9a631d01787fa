//! Set-up and assertions shared by the tests of the Port on Linux: a
//! fresh port, a non-blocking pipe, a `recv` in flight on a socket pair,
//! bounded waits for one key's next event, and the shapes of a cancel's
//! answers.

use std::io::Write;
use std::os::fd::{AsFd, FromRawFd, OwnedFd};
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use onering::{
    CancelOutcome, Completion, Event, EventKind, Events, Key, LinuxPort, Mode, Port, SourceId,
    Timeout,
};

/// `n` non-blocking pipes, each read end added to `port` (readable
/// interest) and registered in `mode`; the pipes and the keys, in order.
pub fn registered_pipes(
    port: &LinuxPort,
    n: usize,
    mode: Mode,
) -> (Vec<(std::fs::File, std::fs::File)>, Vec<Key>) {
    let pipes: Vec<_> = (0..n).map(|_| nonblocking_pipe()).collect();
    let keys = pipes
        .iter()
        .map(|(r, _)| {
            let s = port.add_fd(r.as_fd(), onering::Interest::Readable).unwrap();
            port.register(s, mode).unwrap()
        })
        .collect();
    (pipes, keys)
}

/// A Port on its Linux backend (epoll, and io_uring where the kernel has it).
pub fn linux_port() -> LinuxPort {
    Port::linux().expect("epoll")
}

/// Waits (bounded: 5 s, batches of 8) until an event for `key` arrives;
/// returns it. Events for other keys are dropped.
pub fn next_event_for(port: &LinuxPort, key: Key) -> Event {
    next_event_in_batches_of(port, key, 8)
}

/// [`next_event_for`] with waits of at most `max` events: everything else
/// in the batch that delivered it, for `key` too, is dropped.
pub fn next_event_in_batches_of(port: &LinuxPort, key: Key, max: usize) -> Event {
    let mut evs = Events::new();
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no event for {key} within 5 s");
        port.wait(&mut evs, max, Timeout::after(left)).unwrap();
        if let Some(e) = evs.iter().find(|e| e.key == key) {
            return *e;
        }
    }
}

/// The keys one non-blocking `wait` of at most `max` events delivers.
pub fn keys_now(port: &LinuxPort, max: usize) -> Vec<Key> {
    let mut evs = Events::new();
    port.wait(&mut evs, max, Timeout::Poll).unwrap();
    evs.iter().map(|e| e.key).collect()
}

/// Asserts that nothing is delivered within `d`.
pub fn assert_nothing_delivered_within(port: &LinuxPort, d: Duration) {
    let mut evs = Events::new();
    assert_eq!(
        port.wait(&mut evs, 8, Timeout::after(d)).unwrap(),
        0,
        "{evs:?}"
    );
}

/// A pipe, both ends `O_NONBLOCK | O_CLOEXEC`: (read end, write end).
pub fn nonblocking_pipe() -> (std::fs::File, std::fs::File) {
    let mut fds = [0; 2];
    // Test helper: pipe2 into a local array.
    #[allow(unsafe_code)]
    // SAFETY: `fds` has room for the two fds pipe2 writes.
    let r = unsafe { libc::pipe2(fds.as_mut_ptr(), libc::O_NONBLOCK | libc::O_CLOEXEC) };
    assert_eq!(r, 0);
    #[allow(unsafe_code)]
    // SAFETY: both fds were just created and are owned by nobody else.
    unsafe {
        (
            std::fs::File::from(OwnedFd::from_raw_fd(fds[0])),
            std::fs::File::from(OwnedFd::from_raw_fd(fds[1])),
        )
    }
}

/// A `Single` recv of 8 bytes in flight on one end of a Unix stream socket
/// pair; `peer` is the other end (write to it to complete the recv).
pub struct RecvInFlight {
    pub source: SourceId,
    pub key: Key,
    pub peer: UnixStream,
    /// The received end; the port holds a dup, this keeps the pair open.
    _local: UnixStream,
}

impl RecvInFlight {
    /// Submits the recv on `port`.
    pub fn submit(port: &LinuxPort) -> Self {
        let (local, peer) = UnixStream::pair().unwrap();
        let source = port.add_recv(local.as_fd(), vec![0; 8]).unwrap();
        let key = port.submit(source, Mode::Single).unwrap();
        RecvInFlight {
            source,
            key,
            peer,
            _local: local,
        }
    }

    /// Writes `bytes` to the peer: the recv completes with them.
    pub fn send(&mut self, bytes: &[u8]) {
        self.peer.write_all(bytes).unwrap();
    }

    /// Asserts that the recv's buffer, taken back, starts with `bytes`.
    pub fn assert_buffer_starts_with(&self, port: &LinuxPort, bytes: &[u8]) {
        assert_eq!(
            port.take_buffer(self.source)
                .unwrap()
                .as_deref()
                .map(|b| &b[..bytes.len()]),
            Some(bytes)
        );
    }
}

/// The final event of an operation cancelled before it completed.
pub const CANCELLED_FINAL: EventKind = EventKind::Final {
    result: None,
    cancelled: true,
};

/// The final event of an operation that completed with `result`.
pub fn completed_final(result: i64) -> EventKind {
    EventKind::Final {
        result: Some(result),
        cancelled: false,
    }
}

/// The completion a `Reap` cancel removed; panics on any other answer.
pub fn removed_completion(outcome: CancelOutcome) -> Completion {
    match outcome {
        CancelOutcome::Removed {
            completion: Some(c),
        } => c,
        other => panic!("expected Removed with the completion, got {other:?}"),
    }
}
