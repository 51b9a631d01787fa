//! Shared helpers: a long-lived worker thread (holding is per thread, so a
//! test needs a second thread that keeps its identity across calls).
#![allow(dead_code)] // Each test binary uses a subset.

use std::sync::mpsc::{channel, Sender};
use std::sync::Arc;
use std::thread::JoinHandle;

use onering::{Event, Events, Port, Timeout};

type Job = Box<dyn FnOnce() + Send>;

/// A thread that runs closures one at a time, in order.
pub struct Worker {
    tx: Option<Sender<Job>>,
    handle: Option<JoinHandle<()>>,
}

impl Worker {
    pub fn new() -> Self {
        let (tx, rx) = channel::<Job>();
        let handle = std::thread::spawn(move || {
            for job in rx {
                job();
            }
        });
        Self {
            tx: Some(tx),
            handle: Some(handle),
        }
    }

    /// Runs `f` on the worker and returns its result.
    pub fn run<R: Send + 'static>(&self, f: impl FnOnce() -> R + Send + 'static) -> R {
        let (rtx, rrx) = channel();
        self.tx
            .as_ref()
            .unwrap()
            .send(Box::new(move || {
                let _ = rtx.send(f());
            }))
            .unwrap();
        rrx.recv().expect("worker job panicked")
    }

    /// `wait` with `Poll` on the worker.
    pub fn poll(&self, port: &Arc<Port>, max: usize) -> Vec<Event> {
        let port = Arc::clone(port);
        self.run(move || poll(&port, max))
    }
}

impl Drop for Worker {
    fn drop(&mut self) {
        drop(self.tx.take());
        if let Some(h) = self.handle.take() {
            let _ = h.join();
        }
    }
}

/// `wait` with `Poll` on the calling thread.
pub fn poll(port: &Port, max: usize) -> Vec<Event> {
    let mut evs = Events::new();
    port.wait(&mut evs, max, Timeout::Poll).unwrap();
    evs.as_slice().to_vec()
}

#[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
pub mod linux;
