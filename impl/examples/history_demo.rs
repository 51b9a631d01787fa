//! Records a small two-thread history and prints it as JSON Lines (the
//! format in `docs/history-format.md`).
//!
//! `cargo run -p onering --example history_demo`

#![allow(clippy::disallowed_types)] // Examples use std threads directly.

use std::sync::Arc;
use std::thread;

use onering::history::to_jsonl;
use onering::{CancelMode, Events, Mode, Port, SourceKind, Timeout};

fn main() {
    let port = Arc::new(Port::with_history());
    let fd = port.add_source(SourceKind::Level);
    let key = port.register(fd, Mode::Dispatch).unwrap();
    port.raise(fd).unwrap();
    let p = Arc::clone(&port);
    thread::spawn(move || {
        let mut events = Events::new();
        p.wait(&mut events, 4, Timeout::Poll).unwrap();
        // Drain the condition, then release the event with the next wait.
        p.consume(fd).unwrap();
        p.wait(&mut events, 4, Timeout::Poll).unwrap();
    })
    .join()
    .unwrap();
    port.cancel(key, CancelMode::Sync).unwrap();
    let op = port.add_source(SourceKind::Operation);
    let k2 = port.submit(op, Mode::Single).unwrap();
    port.complete(op, 512).unwrap();
    port.cancel(k2, CancelMode::Reap).unwrap();
    let mut events = Events::new();
    port.wait(&mut events, 4, Timeout::Poll).unwrap();
    port.rearm(key).unwrap_err();
    print!("{}", to_jsonl(&port.take_history()));
}
