#![forbid(unsafe_code)]
//! A fresh process's answer to one question (FINDINGS.md F7): does an
//! io_uring private futex wait armed while the process is single-threaded
//! get woken by `futex(FUTEX_WAKE_PRIVATE)` from a thread started after it?
//! Prints `woken N completed M` and exits 0; exit 2 if the ring cannot be
//! set up. It must be its own process: the question is about the moment the
//! process gets its second thread.

use onering_conformance::drivers::sys;
use onering_conformance::drivers::uring::{Request, Ring, Setup};
use std::process::ExitCode;
use std::sync::atomic::AtomicU32;
use std::sync::Arc;
use std::time::Duration;

fn main() -> ExitCode {
    let arg = std::env::args().nth(1).unwrap_or_default();
    let private = arg != "shared";
    // `main-wakes`: the second thread only starts (and ends); the
    // submitting thread wakes.
    let main_wakes = arg == "main-wakes";
    let mut ring = match Ring::new(Setup::Default) {
        Ok(r) => r,
        Err(e) => {
            eprintln!("io_uring set-up refused: {e}");
            return ExitCode::from(2);
        }
    };
    let word = Arc::new(AtomicU32::new(0));
    let submitted = ring.submit(
        Request::FutexWait {
            word: word.clone(),
            expected: 0,
            private,
        },
        1,
    );
    if let Err(e) = submitted {
        eprintln!("futex wait refused: {e}");
        return ExitCode::from(2);
    }
    // The process's second thread starts only now.
    let w = word.clone();
    let wake = move |w: &AtomicU32| {
        if private {
            sys::futex_wake_private(w, 1)
        } else {
            sys::futex_wake(w, 1)
        }
    };
    let woken = if main_wakes {
        std::thread::spawn(|| ()).join().expect("thread");
        wake(&word)
    } else {
        std::thread::spawn(move || wake(&w))
            .join()
            .expect("waker thread")
    }
    .unwrap_or(0);
    let done = ring
        .wait(Some(Duration::from_millis(200)))
        .map(|c| c.iter().filter(|c| c.user_data == 1).count())
        .unwrap_or(0);
    println!("woken {woken} completed {done}");
    ExitCode::SUCCESS
}
