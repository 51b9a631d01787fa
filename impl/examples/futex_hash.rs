//! The private futex hash hazard (Linux 6.16+), shown and avoided.
//!
//! ```sh
//! cargo run --release -p onering --example futex_hash -- port          # the Port: shared futexes
//! cargo run --release -p onering --example futex_hash -- raw-private   # io_uring FUTEX_WAIT, private
//! cargo run --release -p onering --example futex_hash -- raw-shared    # io_uring FUTEX_WAIT, shared
//! ```
//!
//! Each mode arms an io_uring futex wait while the process is still
//! single-threaded, then spawns a thread that changes the word and wakes
//! it (the process becomes multi-threaded in between, which is when the
//! kernel may give it a private futex hash). It prints the private hash's
//! slot count before and after (`prctl(PR_FUTEX_HASH, GET_SLOTS)`), whether
//! the wake reached the wait, and exits 0 if it did, 1 if the wake was lost.
#![allow(clippy::disallowed_types)] // The example's own thread and word.

#[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
mod linux {
    use std::process::ExitCode;
    use std::sync::atomic::{AtomicU32, Ordering};
    use std::time::{Duration, Instant};

    use io_uring::{opcode, IoUring};
    use onering::{futex_wake, EventKind, Events, FutexWord, Port, Timeout};

    const PR_FUTEX_HASH: libc::c_int = 78;
    const PR_FUTEX_HASH_GET_SLOTS: libc::c_ulong = 2;
    const FUTEX2_SIZE_U32: u32 = 0x02;
    const FUTEX2_PRIVATE: u32 = 128;

    /// The private hash's slots (0: the global hash; negative: no such prctl).
    fn slots() -> i32 {
        // SAFETY: integer arguments only.
        unsafe { libc::prctl(PR_FUTEX_HASH, PR_FUTEX_HASH_GET_SLOTS, 0, 0, 0) }
    }

    fn port_mode() -> bool {
        let port = Port::linux().expect("epoll");
        let word = FutexWord::new(0);
        let f = port.add_futex(&word);
        let k = port.futex_wait(f, 0).expect("io_uring futex wait");
        println!("slots before: {}", slots());
        let waker = {
            let word = word.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                println!("slots after:  {}", slots());
                word.store(1);
                futex_wake(&word, 1).expect("futex wake")
            })
        };
        let woke = waker.join().unwrap();
        println!("wake returned {woke}");
        let mut evs = Events::new();
        port.wait(&mut evs, 1, Timeout::after(Duration::from_secs(2)))
            .unwrap();
        evs.iter().any(|e| {
            e.key == k
                && e.kind
                    == EventKind::Final {
                        result: Some(0),
                        cancelled: false,
                    }
        })
    }

    fn raw_mode(private: bool) -> bool {
        let mut ring = IoUring::new(8).expect("io_uring_setup");
        let word: &'static AtomicU32 = Box::leak(Box::new(AtomicU32::new(0)));
        let flags = FUTEX2_SIZE_U32 | if private { FUTEX2_PRIVATE } else { 0 };
        let sqe = opcode::FutexWait::new(word.as_ptr().cast_const(), 0, u64::from(u32::MAX), flags)
            .build()
            .user_data(1);
        // SAFETY: the word is leaked ('static), so it outlives the request.
        unsafe { ring.submission().push(&sqe).expect("sq full") };
        ring.submit().expect("io_uring_enter");
        println!("slots before: {}", slots());
        let waker = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(50));
            println!("slots after:  {}", slots());
            word.store(1, Ordering::SeqCst);
            let op = libc::FUTEX_WAKE | if private { libc::FUTEX_PRIVATE_FLAG } else { 0 };
            // SAFETY: the word is live and aligned; FUTEX_WAKE uses its address only.
            unsafe { libc::syscall(libc::SYS_futex, word.as_ptr(), op, 1, 0, 0, 0) }
        });
        println!("wake returned {}", waker.join().unwrap());
        let end = Instant::now() + Duration::from_secs(2);
        while Instant::now() < end {
            let _ = ring.submit();
            if let Some(c) = ring.completion().next() {
                println!("completion: {}", c.result());
                return c.result() == 0;
            }
            std::thread::sleep(Duration::from_millis(5));
        }
        false
    }

    pub(crate) fn main() -> ExitCode {
        let mode = std::env::args().nth(1).unwrap_or_else(|| "port".into());
        let delivered = match mode.as_str() {
            "port" => port_mode(),
            "raw-private" => raw_mode(true),
            "raw-shared" => raw_mode(false),
            other => {
                eprintln!(
                    "futex_hash: unknown mode {other:?}; expected port, raw-private or raw-shared"
                );
                return ExitCode::from(2);
            }
        };
        println!(
            "{mode}: wake {}",
            if delivered { "delivered" } else { "lost" }
        );
        if delivered {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        }
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
    return linux::main();
    #[allow(unreachable_code)]
    {
        eprintln!("futex_hash: needs Linux");
        std::process::ExitCode::FAILURE
    }
}
