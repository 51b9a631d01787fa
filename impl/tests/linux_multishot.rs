//! Multishot `recv` and `read` through the provided-buffer ring: one item
//! per chunk (each CQE with `IORING_CQE_F_MORE`), then exactly one final;
//! the pool running dry (`-ENOBUFS`) ends the stream without losing a
//! byte; cancel is `Async` or `Reap` as `unified` says; dropping the port
//! mid-stream waits for the kernel.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::{Duration, Instant};

use onering::{
    BufferPool, CancelMode, CancelOutcome, Config, Event, EventKind, Events, Key, LinuxPort, Mode,
    Port, Timeout,
};

mod common;
use common::linux::{linux_port, next_event_in_batches_of, nonblocking_pipe, CANCELLED_FINAL};

fn small_pool_port(count: u16, size: u32) -> LinuxPort {
    Port::linux_with_pool(Config::default(), BufferPool { count, size }).expect("epoll")
}

/// Every event for `key` until (and including) its final, bounded.
fn stream_of(port: &LinuxPort, key: Key) -> Vec<EventKind> {
    let mut evs = Events::new();
    let mut got = Vec::new();
    let end = Instant::now() + Duration::from_secs(5);
    loop {
        let left = end.saturating_duration_since(Instant::now());
        assert!(!left.is_zero(), "no final for {key} within 5 s: {got:?}");
        port.wait(&mut evs, 8, Timeout::after(left)).unwrap();
        for e in evs.iter().filter(|e| e.key == key) {
            got.push(e.kind);
            if matches!(e.kind, EventKind::Final { .. }) {
                return got;
            }
        }
    }
}

/// The next event for `key`, bounded; batches of one, so no later item of
/// the same stream is taken and dropped with it.
fn next_for(port: &LinuxPort, key: Key) -> Event {
    next_event_in_batches_of(port, key, 1)
}

/// `cancel` answers `Pending` and the stream's one remaining event is
/// its cancelled final.
fn cancel_ends_the_stream(port: &LinuxPort, key: Key, mode: CancelMode) {
    assert_eq!(port.cancel(key, mode).unwrap(), CancelOutcome::Pending);
    assert_eq!(stream_of(port, key), vec![CANCELLED_FINAL]);
}

fn item(kind: EventKind) -> i64 {
    match kind {
        EventKind::Item { value } => value,
        other => panic!("expected an item, got {other:?}"),
    }
}

#[test]
fn multishot_recv_streams_one_item_per_chunk_and_eof_is_the_single_final() {
    let port = linux_port();
    let (a, mut b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    for msg in [&b"hello"[..], b"multishot", b"world"] {
        b.write_all(msg).unwrap();
        assert_eq!(item(next_for(&port, k).kind), msg.len() as i64);
        assert_eq!(port.take_data(s).unwrap().as_deref(), Some(msg));
    }
    assert_eq!(port.take_data(s).unwrap(), None, "each chunk is taken once");
    drop(b);
    assert_eq!(
        stream_of(&port, k),
        vec![EventKind::Final {
            result: Some(0),
            cancelled: false
        }]
    );
    assert_eq!(port.in_flight(), 0);
    // The key is gone with its final; nothing else follows.
    assert_eq!(
        port.cancel(k, CancelMode::Async).unwrap(),
        CancelOutcome::NotFound
    );
}

#[test]
fn multishot_read_of_a_pipe_streams_chunks_then_async_cancel_is_its_one_final() {
    let port = linux_port();
    let (r, mut w) = nonblocking_pipe();
    let s = port.add_read(r.as_fd(), Vec::new(), u64::MAX).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    w.write_all(b"abc").unwrap();
    assert_eq!(item(next_for(&port, k).kind), 3);
    w.write_all(b"defg").unwrap();
    assert_eq!(item(next_for(&port, k).kind), 4);
    assert_eq!(port.take_data(s).unwrap().as_deref(), Some(&b"abc"[..]));
    assert_eq!(port.take_data(s).unwrap().as_deref(), Some(&b"defg"[..]));
    cancel_ends_the_stream(&port, k, CancelMode::Async);
    assert_eq!(port.in_flight(), 0);
}

#[test]
fn items_queued_before_an_async_cancel_are_delivered_before_its_final() {
    let port = linux_port();
    let (a, mut b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    b.write_all(b"one").unwrap();
    // Let the kernel post the item's CQE, then cancel before any wait.
    let end = Instant::now() + Duration::from_secs(5);
    while port.pump(8).unwrap() == 0 {
        assert!(Instant::now() < end, "no CQE");
        std::thread::sleep(Duration::from_millis(1));
    }
    assert_eq!(
        port.cancel(k, CancelMode::Async).unwrap(),
        CancelOutcome::Pending
    );
    assert_eq!(
        stream_of(&port, k),
        vec![EventKind::Item { value: 3 }, CANCELLED_FINAL]
    );
    assert_eq!(port.take_data(s).unwrap().as_deref(), Some(&b"one"[..]));
}

#[test]
fn an_exhausted_pool_ends_the_stream_with_enobufs_and_resubmitting_loses_no_byte() {
    // Two 16-byte buffers; 64 bytes are waiting before the submission, so
    // the kernel fills both and finds the ring empty within one submit.
    let port = small_pool_port(2, 16);
    let (a, mut b) = UnixStream::pair().unwrap();
    let sent: Vec<u8> = (0..64u8).collect();
    b.write_all(&sent).unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let mut got = Vec::new();
    let mut enobufs = 0;
    let mut evs = Events::new();
    'streams: loop {
        let k = port.submit(s, Mode::Multishot).unwrap();
        let end = Instant::now() + Duration::from_secs(5);
        loop {
            assert!(Instant::now() < end, "stalled at {} of 64 bytes", got.len());
            port.wait(&mut evs, 8, Timeout::after(Duration::from_millis(50)))
                .unwrap();
            for e in evs.iter().filter(|e| e.key == k) {
                match e.kind {
                    EventKind::Item { value } => {
                        assert!((1..=16).contains(&value), "{e:?}");
                        let d = port.take_data(s).unwrap().expect("an item's bytes");
                        assert_eq!(d.len() as i64, value);
                        got.extend(d);
                    }
                    EventKind::Final {
                        result: Some(r),
                        cancelled: false,
                    } if r == -i64::from(libc::ENOBUFS) => {
                        enobufs += 1;
                        assert_eq!(port.in_flight(), 0);
                        assert!(enobufs < 64, "no progress: {} of 64 bytes", got.len());
                        continue 'streams;
                    }
                    other => panic!("expected items or the ENOBUFS final, got {other:?}"),
                }
            }
            if got.len() == sent.len() {
                // Everything arrived; the last stream waits for more.
                cancel_ends_the_stream(&port, k, CancelMode::Async);
                break 'streams;
            }
        }
    }
    assert!(enobufs >= 1, "the pool never ran dry");
    assert_eq!(got, sent, "every byte once, in order");
}

#[test]
fn reap_of_a_streaming_recv_answers_pending_then_one_cancelled_final() {
    let port = linux_port();
    let (a, _b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    // In flight, nothing posted: Reap cannot take a final that does not
    // exist yet, so it is promised (unified's Reap on an in-flight op).
    cancel_ends_the_stream(&port, k, CancelMode::Reap);
}

#[test]
fn reap_takes_the_final_the_kernel_posted_after_the_items_were_taken() {
    let port = linux_port();
    let (a, mut b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    b.write_all(b"xy").unwrap();
    assert_eq!(item(next_for(&port, k).kind), 2);
    drop(b);
    // Give the kernel time to post the EOF final; no wait harvests it.
    std::thread::sleep(Duration::from_millis(50));
    // This thread still holds the item (a hold ends at the next wait):
    // Reap ends the hold, takes the posted final and removes the key.
    match port.cancel(k, CancelMode::Reap).unwrap() {
        CancelOutcome::Removed {
            completion: Some(c),
        } => {
            assert_eq!(c.result, Some(0));
            assert!(!c.cancelled);
        }
        other => panic!("expected Removed with the EOF final, got {other:?}"),
    }
    assert_eq!(port.take_data(s).unwrap().as_deref(), Some(&b"xy"[..]));
}

#[test]
fn a_second_submission_while_streaming_is_refused() {
    let port = linux_port();
    let (a, _b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    assert!(matches!(
        port.submit(s, Mode::Multishot),
        Err(onering::Error::AlreadySubmitted(_))
    ));
    port.cancel(k, CancelMode::Async).unwrap();
    assert!(matches!(
        stream_of(&port, k).last(),
        Some(EventKind::Final {
            cancelled: true,
            ..
        })
    ));
}

#[test]
fn dropping_the_port_mid_stream_cancels_and_waits_for_the_kernel() {
    let (a, mut b) = UnixStream::pair().unwrap();
    let t = Instant::now();
    for _ in 0..20 {
        let port = small_pool_port(4, 64);
        let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
        port.submit(s, Mode::Multishot).unwrap();
        // Bytes the kernel copies into pool buffers while the port drops.
        b.write_all(&[7u8; 200]).unwrap();
        assert_eq!(port.in_flight(), 1);
        drop(port);
        // Whatever the kernel did not take is still in the socket.
        a.set_nonblocking(true).unwrap();
        let mut sink = [0u8; 4096];
        while let Ok(n) = std::io::Read::read(&mut &a, &mut sink) {
            if n == 0 {
                break;
            }
        }
    }
    assert!(t.elapsed() < Duration::from_secs(5), "drop hung");
}

#[test]
fn a_pool_that_is_not_a_power_of_two_is_refused_at_the_first_multishot_submit() {
    let port = small_pool_port(3, 16);
    let (a, _b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    match port.submit(s, Mode::Multishot) {
        Err(onering::Error::Os { syscall, errno }) => {
            assert!(syscall.contains("PBUF_RING"), "{syscall}");
            assert_eq!(errno, libc::EINVAL);
        }
        other => panic!("expected the registration's error, got {other:?}"),
    }
    // Refused before anything was started: a Single recv still works.
    assert_eq!(port.in_flight(), 0);
}

#[test]
fn items_not_yet_taken_do_not_hold_pool_buffers() {
    // Two 16-byte buffers, twenty items left untaken: each item's bytes are
    // copied out when harvested, so the kernel never runs dry.
    let port = small_pool_port(2, 16);
    let (a, mut b) = UnixStream::pair().unwrap();
    let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
    let k = port.submit(s, Mode::Multishot).unwrap();
    for i in 0..20u8 {
        b.write_all(&[i; 16]).unwrap();
        assert_eq!(item(next_for(&port, k).kind), 16, "item {i}");
    }
    let mut buf = Vec::new();
    for i in 0..20u8 {
        buf.clear();
        assert_eq!(port.take_data_into(s, &mut buf).unwrap(), Some(16));
        assert_eq!(buf, [i; 16], "item {i}'s bytes, in order");
    }
    assert_eq!(port.take_data_into(s, &mut buf).unwrap(), None);
    port.cancel(k, CancelMode::Async).unwrap();
    assert_eq!(stream_of(&port, k), vec![CANCELLED_FINAL]);
}
