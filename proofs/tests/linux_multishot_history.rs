//! Histories of multishot `recv` streams on the Port on Linux (provided
//! buffers, several streams, two waiting threads, Async and Reap cancels,
//! end of file, an exhausted pool) verify under `unified`; the same history
//! with one stream's final delivered twice does not.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onering::history::{Record, Ret};
use onering::{
    BufferPool, CancelMode, Config, EventKind, Events, Key, LinuxPort, Mode, Port, Timeout,
};
use onering_model::UNIFIED;
use onering_proofs::verify_records;

mod common_linux;
use common_linux::{assert_linearizable, insert_second_delivery};

/// A delivered final: its result, and whether it was cancelled.
type Final = (Option<i64>, bool);

/// Linux's `ENOBUFS` (the provided-buffer pool ran dry).
const ENOBUFS: i64 = 105;

/// Four recv streams over socket pairs, a 4 x 32-byte pool (so streams run
/// dry and are re-submitted), two threads waiting; a writer feeds them, one
/// stream is cancelled Async, one Reaped, one closed by its peer (EOF).
fn record() -> (Vec<Record>, usize) {
    let port: Arc<LinuxPort> = Arc::new(
        Port::linux_with_pool(
            Config {
                history: true,
                mutant: None,
            },
            BufferPool { count: 4, size: 32 },
        )
        .unwrap(),
    );
    let pairs: Vec<(UnixStream, UnixStream)> =
        (0..4).map(|_| UnixStream::pair().unwrap()).collect();
    let sources: Vec<_> = pairs
        .iter()
        .map(|(a, _)| port.add_recv(a.as_fd(), Vec::new()).unwrap())
        .collect();
    let keys: Arc<std::sync::Mutex<Vec<Option<Key>>>> = Arc::new(std::sync::Mutex::new(
        sources
            .iter()
            .map(|&s| Some(port.submit(s, Mode::Multishot).unwrap()))
            .collect(),
    ));
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let waiters: Vec<_> = (0..2)
        .map(|_| {
            let (port, keys, stop, sources) =
                (port.clone(), keys.clone(), stop.clone(), sources.clone());
            std::thread::spawn(move || {
                let mut evs = Events::new();
                let mut items = 0usize;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    port.wait(&mut evs, 3, Timeout::after(Duration::from_millis(5)))
                        .unwrap();
                    for e in &evs {
                        let mut keys = keys.lock().unwrap();
                        let Some(i) = keys.iter().position(|k| *k == Some(e.key)) else {
                            continue;
                        };
                        match e.kind {
                            EventKind::Item { .. } => {
                                items += 1;
                                let _ = port.take_data(sources[i]);
                            }
                            EventKind::Final { result, .. } => {
                                // Re-submit a stream the pool ended.
                                keys[i] = (result == Some(-ENOBUFS))
                                    .then(|| port.submit(sources[i], Mode::Multishot).ok())
                                    .flatten();
                            }
                            EventKind::Ready => unreachable!("no readiness here"),
                        }
                    }
                }
                items
            })
        })
        .collect();
    let mut writers: Vec<Option<UnixStream>> = pairs.into_iter().map(|(_, b)| Some(b)).collect();
    for round in 0..200 {
        for (i, w) in writers.iter_mut().enumerate() {
            if let Some(w) = w {
                let _ = w.write_all(&[i as u8; 40]);
            }
        }
        match round {
            60 => {
                if let Some(k) = keys.lock().unwrap()[0] {
                    let _ = port.cancel(k, CancelMode::Async);
                }
            }
            100 => {
                if let Some(k) = keys.lock().unwrap()[1] {
                    let _ = port.cancel(k, CancelMode::Reap);
                }
            }
            140 => writers[2] = None,
            _ => {}
        }
        std::thread::sleep(Duration::from_micros(200));
    }
    std::thread::sleep(Duration::from_millis(30));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let items = waiters.into_iter().map(|w| w.join().unwrap()).sum();
    (port.take_history(), items)
}

#[test]
fn linux_multishot_recv_histories_verify_under_unified() {
    let start = Instant::now();
    let (records, items) = record();
    assert!(items > 50, "only {items} items streamed");
    let finals: Vec<Final> = records
        .iter()
        .filter_map(|r| match &r.result {
            Ret::Events(e) => Some(e.iter().filter_map(|e| match e.kind {
                EventKind::Final { result, cancelled } => Some((result, cancelled)),
                _ => None,
            })),
            _ => None,
        })
        .flatten()
        .collect();
    let count = |f: &dyn Fn(&Final) -> bool| finals.iter().filter(|x| f(x)).count();
    println!(
        "finals delivered: {} ENOBUFS (re-submitted), {} cancelled, {} EOF",
        count(&|x| x.0 == Some(-ENOBUFS)),
        count(&|x| x.1),
        count(&|x| x.0 == Some(0)),
    );
    let summary = assert_linearizable(&records, "a multishot recv history");
    println!(
        "{items} items, {summary}; {:.2} s",
        start.elapsed().as_secs_f64()
    );
}

#[test]
fn a_multishot_history_with_a_final_delivered_twice_is_rejected() {
    let (mut records, _) = record();
    // The control: the history as recorded verifies.
    assert!(verify_records(&records, &UNIFIED).is_linearizable());
    let first = records
        .iter()
        .position(|r| {
            matches!(&r.result, Ret::Events(e)
                if e.iter().any(|e| matches!(e.kind, onering::EventKind::Final { .. })))
        })
        .expect("some stream ended");
    insert_second_delivery(&mut records, first, |e| {
        matches!(e.kind, onering::EventKind::Final { .. })
    });
    assert!(
        !verify_records(&records, &UNIFIED).is_linearizable(),
        "a second final was accepted"
    );
}
