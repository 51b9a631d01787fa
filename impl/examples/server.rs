//! One port, one wait loop, a small thread pool: the seed's server.
//!
//! ```sh
//! cargo run --release -p onering --example server -- 7000 /tmp/watched
//! ```
//!
//! Serves, through one `Port::wait` shared by four threads:
//!
//! * a TCP listener on `127.0.0.1:PORT` (io_uring multishot accept);
//! * echo on every connection (readiness, Dispatch: one thread per
//!   connection at a time, so lines are echoed in order);
//! * a periodic timer (timerfd, every 250 ms);
//! * a child process (`sleep 0.3`) whose exit is reported (pidfd);
//! * a watched directory (inotify);
//! * a futex hand-off: a producer thread stores 1 in a shared word and
//!   wakes it; the pool receives the wake as the final event of an io_uring
//!   futex wait, answers by storing 2 and waking the producer, which is
//!   blocked in `futex_wait`.
//!
//! Runs until SIGINT or SIGTERM (signalfd), then prints a summary line:
//! `summary: connections=N requests=N ticks=N child_exits=N dir_changes=N
//! futex_handoffs=N`, where `requests` counts the newline-terminated lines
//! echoed.
#![allow(clippy::disallowed_types)] // The example's own threads and maps, not the library's.

#[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
mod linux {

    use std::collections::HashMap;
    use std::io::{ErrorKind, Read, Write};
    use std::net::{TcpListener, TcpStream};
    use std::os::fd::{AsFd, FromRawFd, OwnedFd};
    use std::process::{Child, Command, ExitCode};
    use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use onering::{
        futex_wait, futex_wake, CancelMode, Error, EventKind, Events, FutexWord, Interest, Key,
        LinuxPort, Mode, Port, SourceId, Timeout,
    };

    enum Handler {
        Signal(SourceId),
        Accept,
        Conn(SourceId, TcpStream, Vec<u8>),
        Timer(SourceId),
        Child(Child),
        Dir(SourceId),
        Futex,
    }

    #[derive(Default)]
    struct Counts {
        connections: AtomicU64,
        requests: AtomicU64,
        ticks: AtomicU64,
        child_exits: AtomicU64,
        dir_changes: AtomicU64,
        futex_handoffs: AtomicU64,
    }

    struct Server {
        port: LinuxPort,
        listener: TcpListener,
        handlers: Mutex<HashMap<Key, Handler>>,
        counts: Counts,
        stop: AtomicBool,
        word: FutexWord,
    }

    impl Server {
        /// Submits a multishot accept on the listener.
        fn accept(&self) -> Result<(), Error> {
            let mut h = self.handlers.lock().unwrap();
            let s = self.port.add_accept(self.listener.as_fd())?;
            let k = self.port.submit(s, Mode::Multishot)?;
            h.insert(k, Handler::Accept);
            Ok(())
        }

        /// Submits the pool's side of the futex hand-off: wait while the word is 0.
        fn futex(&self) -> Result<(), Error> {
            let mut h = self.handlers.lock().unwrap();
            let s = self.port.add_futex(&self.word);
            let k = self.port.futex_wait(s, 0)?;
            h.insert(k, Handler::Futex);
            Ok(())
        }

        /// Handles one event. The handler is taken out of the map meanwhile:
        /// Dispatch hands a key to one thread at a time, and the key is not
        /// released before this thread's next `wait`, so nobody else needs it.
        fn handle(&self, key: Key, kind: EventKind) -> Result<(), Error> {
            let Some(mut handler) = self.handlers.lock().unwrap().remove(&key) else {
                return Ok(());
            };
            if self.run_handler(key, kind, &mut handler)? {
                self.handlers.lock().unwrap().insert(key, handler);
            }
            Ok(())
        }

        /// Whether the handler stays registered.
        fn run_handler(
            &self,
            key: Key,
            kind: EventKind,
            handler: &mut Handler,
        ) -> Result<bool, Error> {
            Ok(match handler {
                Handler::Signal(s) => {
                    let sigs = self.port.read_signals(*s)?;
                    println!("signal {sigs:?}: stopping");
                    self.stop.store(true, Ordering::SeqCst);
                    true
                }
                Handler::Accept => match kind {
                    EventKind::Item { value } if value >= 0 => {
                        // SAFETY: the kernel handed us this new fd; we own it.
                        #[allow(unsafe_code)]
                        let fd = unsafe { OwnedFd::from_raw_fd(value as i32) };
                        let stream = TcpStream::from(fd);
                        stream.set_nonblocking(true).expect("fcntl");
                        // Registered and recorded under the map's lock, so its
                        // first event finds its handler.
                        let mut h = self.handlers.lock().unwrap();
                        let s = self.port.add_fd(stream.as_fd(), Interest::Readable)?;
                        let k = self.port.register(s, Mode::Dispatch)?;
                        h.insert(k, Handler::Conn(s, stream, Vec::new()));
                        let n = self.counts.connections.fetch_add(1, Ordering::SeqCst) + 1;
                        println!("accept: connection {n}");
                        true
                    }
                    EventKind::Item { value } => {
                        println!("accept: error {value}");
                        true
                    }
                    _ => {
                        // The multishot accept ended: start another one.
                        if !self.stop.load(Ordering::SeqCst) {
                            self.accept()?;
                        }
                        false
                    }
                },
                Handler::Conn(s, stream, pending) => {
                    let s = *s;
                    let mut buf = [0u8; 4096];
                    let mut closed = false;
                    loop {
                        match stream.read(&mut buf) {
                            Ok(0) => {
                                closed = true;
                                break;
                            }
                            Ok(n) => pending.extend_from_slice(&buf[..n]),
                            Err(e) if e.kind() == ErrorKind::WouldBlock => break,
                            Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                            Err(_) => {
                                closed = true;
                                break;
                            }
                        }
                    }
                    // Echo whole lines; keep a partial one for later.
                    if let Some(end) = pending.iter().rposition(|&b| b == b'\n') {
                        let lines: Vec<u8> = pending.drain(..=end).collect();
                        let n = lines.iter().filter(|&&b| b == b'\n').count() as u64;
                        write_all(stream, &lines);
                        self.counts.requests.fetch_add(n, Ordering::SeqCst);
                    }
                    if closed {
                        self.port.remove(s)?;
                        self.port.cancel(key, CancelMode::Sync)?;
                    }
                    !closed
                }
                Handler::Timer(s) => {
                    let n = self.port.read_count(*s)?;
                    let t = self.counts.ticks.fetch_add(n, Ordering::SeqCst) + n;
                    println!("timer: tick {t}");
                    true
                }
                Handler::Child(child) => {
                    let status = child.wait().expect("waitpid");
                    println!("child {}: exited ({status})", child.id());
                    self.counts.child_exits.fetch_add(1, Ordering::SeqCst);
                    self.port.cancel(key, CancelMode::Sync)?;
                    false
                }
                Handler::Dir(s) => {
                    for (mask, name) in self.port.read_changes(*s)? {
                        println!("dir: {name} (mask {mask:#x})");
                        self.counts.dir_changes.fetch_add(1, Ordering::SeqCst);
                    }
                    true
                }
                Handler::Futex => {
                    if self.word.load() == 1 {
                        println!("futex: hand-off received, answering");
                        self.counts.futex_handoffs.fetch_add(1, Ordering::SeqCst);
                        self.word.store(2);
                        futex_wake(&self.word, 1)?;
                    } else {
                        // Spurious, or the word moved before the wait armed.
                        self.futex()?;
                    }
                    false
                }
            })
        }

        fn worker(&self) -> Result<(), Error> {
            let mut events = Events::with_capacity(16);
            while !self.stop.load(Ordering::SeqCst) {
                self.port
                    .wait(&mut events, 16, Timeout::after(Duration::from_millis(100)))?;
                for e in &events {
                    self.handle(e.key, e.kind)?;
                }
            }
            Ok(())
        }
    }

    fn write_all(stream: &mut TcpStream, mut b: &[u8]) {
        while !b.is_empty() {
            match stream.write(b) {
                Ok(n) => b = &b[n..],
                Err(e)
                    if e.kind() == ErrorKind::WouldBlock || e.kind() == ErrorKind::Interrupted =>
                {
                    std::thread::yield_now()
                }
                Err(_) => return,
            }
        }
    }

    fn run(tcp_port: u16, dir: &str) -> Result<(), Error> {
        let port = Port::linux()?;
        // Before any thread exists, so every thread inherits the blocked mask.
        let sigint = port.add_signal(libc::SIGINT)?;
        let sigterm = port.add_signal(libc::SIGTERM)?;
        if let Some(e) = port.io_uring_error() {
            eprintln!("io_uring unavailable ({e}): accept and futex waits cannot run");
            return Err(e);
        }
        let listener = TcpListener::bind(("127.0.0.1", tcp_port)).map_err(|e| Error::Os {
            syscall: "bind",
            errno: e.raw_os_error().unwrap_or(0),
        })?;
        println!("listening on {}", listener.local_addr().unwrap());
        let server = Arc::new(Server {
            port,
            listener,
            handlers: Mutex::new(HashMap::new()),
            counts: Counts::default(),
            stop: AtomicBool::new(false),
            word: FutexWord::new(0),
        });
        {
            let p = &server.port;
            let mut h = server.handlers.lock().unwrap();
            for s in [sigint, sigterm] {
                h.insert(p.register(s, Mode::Dispatch)?, Handler::Signal(s));
            }
            let t = p.add_timer(Duration::from_millis(250), Some(Duration::from_millis(250)))?;
            h.insert(p.register(t, Mode::Dispatch)?, Handler::Timer(t));
            let d = p.add_inotify(
                std::path::Path::new(dir),
                libc::IN_CREATE | libc::IN_DELETE | libc::IN_CLOSE_WRITE,
            )?;
            h.insert(p.register(d, Mode::Dispatch)?, Handler::Dir(d));
            // Waited for by its handler when the pidfd reports the exit.
            #[allow(clippy::zombie_processes)]
            let child = Command::new("sleep")
                .arg("0.3")
                .spawn()
                .expect("spawn sleep");
            let c = p.add_process(child.id())?;
            h.insert(p.register(c, Mode::Dispatch)?, Handler::Child(child));
        }
        server.accept()?;
        server.futex()?;
        // The other side of the hand-off: a thread outside the pool.
        let producer = {
            let server = server.clone();
            std::thread::spawn(move || {
                std::thread::sleep(Duration::from_millis(50));
                server.word.store(1);
                while futex_wake(&server.word, 1).unwrap_or(0) == 0 && server.word.load() == 1 {
                    // The pool's wait may not be armed yet: retry until it is.
                    std::thread::sleep(Duration::from_millis(1));
                }
                while server.word.load() != 2 && !server.stop.load(Ordering::SeqCst) {
                    let _ = futex_wait(&server.word, 1);
                }
                println!("futex: producer got the answer");
            })
        };
        let pool: Vec<_> = (0..3)
            .map(|_| {
                let server = server.clone();
                std::thread::spawn(move || server.worker())
            })
            .collect();
        // The main thread (which submitted the io_uring operations, so it stays
        // alive: the kernel cancels a thread's requests when it exits) joins
        // the pool.
        let mine = server.worker();
        for w in pool {
            w.join().expect("worker panicked")?;
        }
        mine?;
        // Wake the producer if the hand-off never completed.
        server.word.store(2);
        let _ = futex_wake(&server.word, 1);
        producer.join().expect("producer panicked");
        let c = &server.counts;
        println!(
        "summary: connections={} requests={} ticks={} child_exits={} dir_changes={} futex_handoffs={}",
        c.connections.load(Ordering::SeqCst),
        c.requests.load(Ordering::SeqCst),
        c.ticks.load(Ordering::SeqCst),
        c.child_exits.load(Ordering::SeqCst),
        c.dir_changes.load(Ordering::SeqCst),
        c.futex_handoffs.load(Ordering::SeqCst),
    );
        Ok(())
    }

    pub(crate) fn main() -> ExitCode {
        let args: Vec<String> = std::env::args().collect();
        let (Some(p), Some(dir)) = (args.get(1), args.get(2)) else {
            eprintln!("usage: server PORT DIRECTORY");
            return ExitCode::from(2);
        };
        let Ok(p) = p.parse::<u16>() else {
            eprintln!("server: PORT must be a number 0..=65535, got {p:?}");
            return ExitCode::from(2);
        };
        match run(p, dir) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                eprintln!("server: {e}");
                ExitCode::FAILURE
            }
        }
    }
}

fn main() -> std::process::ExitCode {
    #[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
    return linux::main();
    #[allow(unreachable_code)]
    {
        eprintln!("server: needs Linux (and not a loom or shuttle build)");
        std::process::ExitCode::FAILURE
    }
}
