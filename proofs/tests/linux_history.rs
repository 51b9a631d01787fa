//! Histories recorded from the Port on Linux (real pipes, eventfds and
//! timers, several threads) verify under `unified` with the history
//! checker; the same history with one event duplicated does not.
//!
//! Also writes the history to `target/linux-history.jsonl`, so the CLI can
//! check it: `cargo run --release -- verify target/linux-history.jsonl`.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
// The workload drives the port from plain std threads.
#![allow(clippy::disallowed_types)]

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::sync::Arc;
use std::time::{Duration, Instant};

use onering::history::{Record, Ret};
use onering::{
    CancelMode, Config, EventKind, Events, Interest, Key, LinuxPort, Mode, Port, SourceId, Timeout,
};
use onering_model::UNIFIED;
use onering_proofs::verify_records;

mod common_linux;
use common_linux::{assert_linearizable, insert_second_delivery};

/// A connected socket pair standing in for a pipe (std only): the
/// reader is non-blocking.
fn pipe() -> (UnixStream, UnixStream) {
    let (r, w) = UnixStream::pair().unwrap();
    r.set_nonblocking(true).unwrap();
    (r, w)
}

/// Three worker threads wait (Dispatch, batches of 2) over 4 pipes, 2
/// triggers and a periodic timer while a producer writes and triggers; each
/// worker drains what it receives (`consume`), one pipe is removed midway
/// and its key cancelled. Returns the history.
fn record_workload(rounds: usize) -> Vec<Record> {
    let port: Arc<LinuxPort> = Arc::new(
        Port::linux_with(Config {
            history: true,
            mutant: None,
        })
        .unwrap(),
    );
    let pipes: Vec<_> = (0..4).map(|_| pipe()).collect();
    let mut sources: Vec<(SourceId, Key)> = Vec::new();
    for (r, _) in &pipes {
        let s = port.add_fd(r.as_fd(), Interest::Readable).unwrap();
        sources.push((s, port.register(s, Mode::Dispatch).unwrap()));
    }
    let triggers: Vec<SourceId> = (0..2).map(|_| port.add_trigger().unwrap()).collect();
    for &t in &triggers {
        sources.push((t, port.register(t, Mode::Dispatch).unwrap()));
    }
    let timer = port
        .add_timer(Duration::from_millis(1), Some(Duration::from_millis(1)))
        .unwrap();
    sources.push((timer, port.register(timer, Mode::Dispatch).unwrap()));
    let readers: Vec<UnixStream> = pipes.iter().map(|(r, _)| r.try_clone().unwrap()).collect();
    let sources = Arc::new(sources);
    let readers = Arc::new(readers);
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let workers: Vec<_> = (0..3)
        .map(|_| {
            let (port, sources, readers, stop) =
                (port.clone(), sources.clone(), readers.clone(), stop.clone());
            std::thread::spawn(move || {
                let mut evs = Events::new();
                let mut got = 0usize;
                while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                    port.wait(&mut evs, 2, Timeout::after(Duration::from_millis(5)))
                        .unwrap();
                    for e in &evs {
                        assert_eq!(e.kind, EventKind::Ready);
                        got += 1;
                        let i = sources.iter().position(|(_, k)| *k == e.key).unwrap();
                        let s = sources[i].0;
                        if i < readers.len() {
                            // Drain the pipe, then tell the port.
                            let mut b = [0u8; 256];
                            while let Ok(n) = std::io::Read::read(&mut &readers[i], &mut b) {
                                if n == 0 {
                                    break;
                                }
                            }
                            let _ = port.consume(s);
                        } else {
                            let _ = port.read_count(s);
                        }
                    }
                }
                got
            })
        })
        .collect();
    let mut writers: Vec<UnixStream> = pipes.into_iter().map(|(_, w)| w).collect();
    for round in 0..rounds {
        let i = round % writers.len();
        let _ = writers[i].write_all(b"x");
        port.trigger(triggers[round % 2], 1).unwrap();
        if round == rounds / 2 {
            // Remove pipe 3's source and cancel its key while others run.
            port.remove(sources[3].0).unwrap();
            port.cancel(sources[3].1, CancelMode::Sync).unwrap();
        }
        std::thread::sleep(Duration::from_micros(300));
    }
    std::thread::sleep(Duration::from_millis(20));
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let total: usize = workers.into_iter().map(|w| w.join().unwrap()).sum();
    assert!(total > 0, "the workers received nothing");
    port.take_history()
}

#[test]
fn linux_port_histories_over_pipes_triggers_and_timers_verify_under_unified() {
    let start = Instant::now();
    let records = record_workload(300);
    let waits = records
        .iter()
        .filter(|r| matches!(&r.result, Ret::Events(e) if !e.is_empty()))
        .count();
    assert!(waits > 20, "only {waits} waits delivered something");
    let text = onering::history::to_jsonl(&records);
    let out =
        std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/linux-history.jsonl");
    std::fs::write(&out, &text).unwrap();
    let summary = assert_linearizable(&records, "the Linux port's history");
    println!(
        "{summary}; {:.2} s; written to {}",
        start.elapsed().as_secs_f64(),
        out.display()
    );
}

#[test]
fn a_linux_history_with_one_event_delivered_twice_is_rejected() {
    let mut records = record_workload(60);
    // A new thread's wait, squeezed in right after the first delivery and
    // before its holder's next call, returns the same event: a second
    // thread gets a Dispatch event the first still holds.
    let first = records
        .iter()
        .position(|r| matches!(&r.result, Ret::Events(e) if !e.is_empty()))
        .expect("something was delivered");
    insert_second_delivery(&mut records, first, |_| true);
    assert!(verify_records(&records[..first + 1], &UNIFIED).is_linearizable());
    let v = verify_records(&records, &UNIFIED);
    assert!(!v.is_linearizable(), "a duplicated delivery was accepted");
}

/// Operations and Level registrations on Linux: recv operations submitted,
/// some cancelled `Async`, some `Reap`ed, completing or not as data
/// arrives, and a Level registration drained by another thread; the
/// history verifies under `unified`.
#[test]
fn linux_port_histories_with_operations_and_level_verify_under_unified() {
    let port: Arc<LinuxPort> = Arc::new(
        Port::linux_with(Config {
            history: true,
            mutant: None,
        })
        .unwrap(),
    );
    let (lr, mut lw) = pipe();
    let ls = port.add_fd(lr.as_fd(), Interest::Readable).unwrap();
    let lk = port.register(ls, Mode::Level).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let drainer = {
        let (port, stop) = (port.clone(), stop.clone());
        std::thread::spawn(move || {
            let mut evs = Events::new();
            let mut got = 0;
            while !stop.load(std::sync::atomic::Ordering::SeqCst) {
                port.wait(&mut evs, 4, Timeout::after(Duration::from_millis(5)))
                    .unwrap();
                for e in &evs {
                    if e.key == lk {
                        got += 1;
                        let mut b = [0u8; 64];
                        while let Ok(n) = std::io::Read::read(&mut &lr, &mut b) {
                            if n == 0 {
                                break;
                            }
                        }
                        port.consume(ls).unwrap();
                    }
                }
            }
            got
        })
    };
    let (a, mut b) = pipe();
    let mut finals = 0;
    for round in 0..40u32 {
        let s = port.add_recv(a.as_fd(), vec![0; 16]).unwrap();
        let k = port.submit(s, Mode::Single).unwrap();
        match round % 4 {
            0 => {
                b.write_all(b"data").unwrap();
            }
            1 => {
                port.cancel(k, CancelMode::Async).unwrap();
            }
            2 => {
                b.write_all(b"data").unwrap();
                std::thread::sleep(Duration::from_millis(1));
                port.pump(8).unwrap();
                let _ = port.cancel(k, CancelMode::Reap).unwrap();
            }
            _ => {
                port.cancel(k, CancelMode::Async).unwrap();
                b.write_all(b"late").unwrap();
            }
        }
        let _ = lw.write_all(b"L");
        // This thread waits for its operation's final event (or its reap).
        let mut evs = Events::new();
        let end = Instant::now() + Duration::from_secs(5);
        while port.state(k).is_ok() {
            assert!(Instant::now() < end, "round {round}: no final event");
            port.wait(&mut evs, 1, Timeout::after(Duration::from_millis(5)))
                .unwrap();
            finals += evs.iter().filter(|e| e.key == k && e.is_final()).count();
        }
        // Drain what a cancelled recv left in the pipe.
        let mut junk = [0u8; 64];
        let _ = std::io::Read::read(&mut &a, &mut junk);
    }
    stop.store(true, std::sync::atomic::Ordering::SeqCst);
    let level_events = drainer.join().unwrap();
    assert!(
        level_events > 0 && finals > 0,
        "{level_events} level events, {finals} finals"
    );
    let records = port.take_history();
    let v = verify_records(&records, &UNIFIED);
    assert!(
        v.is_linearizable(),
        "not linearizable under unified: {:?}\n{}",
        v.failure(),
        onering::history::to_jsonl(&records)
    );
}
