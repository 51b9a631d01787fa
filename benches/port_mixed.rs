//! A mixed load through one Port against the same work written by hand
//! with epoll + timerfd + io_uring, side by side in one run, medians over
//! repeats.
//!
//! One thread, one wait loop (the seed's server). Each round the driver
//! writes one byte to each of 4 readiness sockets and to each of 4 sockets
//! with a multishot `recv` in flight, then the loop serves events until all
//! 8 are handled; meanwhile 2 periodic timers (100 µs and 1 ms) fire and
//! are drained whenever they show up.
//!
//! | work | Port | by hand |
//! |---|---|---|
//! | readiness sockets | `add_fd` + `Level`, read the byte | epoll level-triggered, read the byte |
//! | timers | `add_timer` (periodic) + `Level`, `read_count` | timerfd in the epoll set, `read` |
//! | operations | `add_recv` + `Multishot` (provided-buffer ring), `take_data_into` a reused buffer | io_uring multishot recv on a provided-buffer ring, the ring's fd in the epoll set, the buffer recycled in place |
//!
//! `cargo bench -p onering --bench port_mixed` (`ONERING_BENCH_QUICK=1` for
//! a short run; `ONERING_BENCH_ONLY=port|raw` runs one side for 20,000
//! rounds, for `strace -c` or `valgrind --tool=callgrind`). Figures: ns per
//! round (lower is better), ratio against the hand-written loop.

#![allow(clippy::disallowed_types)] // The bench's own counters.
#![allow(unsafe_code)] // The hand-written baseline's epoll, timerfd and buffer ring.

#[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
mod linux {
    use std::io::Write;
    use std::os::fd::{AsFd, AsRawFd, FromRawFd, OwnedFd, RawFd};
    use std::os::unix::net::UnixStream;
    use std::time::{Duration, Instant};

    use io_uring::{cqueue, opcode, types, IoUring};
    use onering::{EventKind, Events, Interest, Key, LinuxPort, Mode, Port, SourceId, Timeout};

    const READY: usize = 4;
    const OPS: usize = 4;
    const PERIODS: [Duration; 2] = [Duration::from_micros(100), Duration::from_millis(1)];

    fn quick() -> bool {
        std::env::var_os("ONERING_BENCH_QUICK").is_some()
    }

    fn median(mut v: Vec<f64>) -> f64 {
        v.sort_by(|a, b| a.partial_cmp(b).unwrap());
        v[v.len() / 2]
    }

    /// What one run measured.
    #[derive(Clone, Copy, Default)]
    struct Run {
        ns_per_round: f64,
        timer_events_per_s: f64,
    }

    /// The sockets of one run: (loop's end, driver's end).
    fn pairs(n: usize) -> Vec<(UnixStream, UnixStream)> {
        (0..n)
            .map(|_| {
                let (a, b) = UnixStream::pair().unwrap();
                a.set_nonblocking(true).unwrap();
                (a, b)
            })
            .collect()
    }

    fn drive(ready: &mut [(UnixStream, UnixStream)], ops: &mut [(UnixStream, UnixStream)]) {
        for (_, w) in ready.iter_mut().chain(ops.iter_mut()) {
            w.write_all(b"x").unwrap();
        }
    }

    fn read_byte(s: &UnixStream) {
        let mut b = [0u8; 16];
        let _ = std::io::Read::read(&mut &*s, &mut b);
    }

    // ----- the Port -----------------------------------------------------------

    fn port_run(rounds: u64) -> Run {
        let port: LinuxPort = Port::linux().unwrap();
        let mut ready = pairs(READY);
        let mut ops = pairs(OPS);
        // (key, what, index, source), looked up by a scan of 10 entries
        // (cheaper than hashing, so the loop's own cost stays small).
        let mut by_key: Vec<(Key, u8, usize, SourceId)> = Vec::new();
        for (i, (a, _)) in ready.iter().enumerate() {
            let s = port.add_fd(a.as_fd(), Interest::Readable).unwrap();
            by_key.push((port.register(s, Mode::Level).unwrap(), 0, i, s));
        }
        for (i, p) in PERIODS.iter().enumerate() {
            let t = port.add_timer(*p, Some(*p)).unwrap();
            by_key.push((port.register(t, Mode::Level).unwrap(), 1, i, t));
        }
        let mut op_sources: Vec<SourceId> = Vec::new();
        for (i, (a, _)) in ops.iter().enumerate() {
            let s = port.add_recv(a.as_fd(), Vec::new()).unwrap();
            by_key.push((port.submit(s, Mode::Multishot).unwrap(), 2, i, s));
            op_sources.push(s);
        }
        let mut evs = Events::with_capacity(16);
        let mut timers = 0u64;
        let mut data = Vec::with_capacity(256);
        let start = Instant::now();
        for _ in 0..rounds {
            drive(&mut ready, &mut ops);
            let mut left = READY + OPS;
            while left > 0 {
                port.wait(&mut evs, 16, Timeout::Block).unwrap();
                for e in &evs {
                    let &(_, what, i, s) = by_key.iter().find(|b| b.0 == e.key).unwrap();
                    match (what, e.kind) {
                        (0, EventKind::Ready) => {
                            read_byte(&ready[i].0);
                            left -= 1;
                        }
                        (1, EventKind::Ready) => timers += port.read_count(s).unwrap(),
                        (2, EventKind::Item { .. }) => {
                            data.clear();
                            port.take_data_into(s, &mut data)
                                .unwrap()
                                .expect("an item's bytes");
                            left -= 1;
                        }
                        (_, k) => panic!("unexpected {k:?}"),
                    }
                }
            }
        }
        let el = start.elapsed();
        Run {
            ns_per_round: el.as_nanos() as f64 / rounds as f64,
            timer_events_per_s: timers as f64 / el.as_secs_f64(),
        }
    }

    // ----- by hand: epoll + timerfd + io_uring --------------------------------

    fn timerfd(period: Duration) -> OwnedFd {
        // SAFETY: no pointers; the new fd is owned below.
        let fd = unsafe {
            OwnedFd::from_raw_fd(libc::timerfd_create(
                libc::CLOCK_MONOTONIC,
                libc::TFD_NONBLOCK | libc::TFD_CLOEXEC,
            ))
        };
        let ts = libc::timespec {
            tv_sec: 0,
            tv_nsec: period.as_nanos() as libc::c_long,
        };
        let spec = libc::itimerspec {
            it_interval: ts,
            it_value: ts,
        };
        // SAFETY: `spec` lives across the call; no old value requested.
        let r = unsafe { libc::timerfd_settime(fd.as_raw_fd(), 0, &spec, std::ptr::null_mut()) };
        assert_eq!(r, 0);
        fd
    }

    fn epoll_add(ep: RawFd, fd: RawFd, data: u64) {
        let mut ev = libc::epoll_event {
            events: libc::EPOLLIN as u32,
            u64: data,
        };
        // SAFETY: `ev` lives across the call.
        assert_eq!(
            unsafe { libc::epoll_ctl(ep, libc::EPOLL_CTL_ADD, fd, &mut ev) },
            0
        );
    }

    /// A minimal provided-buffer ring: 64 buffers of 256 bytes.
    struct BufRing {
        base: *mut u8,
        bufs: *mut u8,
        tail: u16,
    }

    const NBUF: u16 = 64;
    const BUFSZ: u32 = 256;

    impl BufRing {
        fn new(ring: &IoUring) -> Self {
            let map = |len: usize| {
                // SAFETY: a fresh anonymous mapping.
                let p = unsafe {
                    libc::mmap(
                        std::ptr::null_mut(),
                        len,
                        libc::PROT_READ | libc::PROT_WRITE,
                        libc::MAP_PRIVATE | libc::MAP_ANONYMOUS,
                        -1,
                        0,
                    )
                };
                assert_ne!(p, libc::MAP_FAILED);
                p.cast::<u8>()
            };
            let base = map(usize::from(NBUF) * 16);
            let bufs = map(usize::from(NBUF) * BUFSZ as usize);
            // SAFETY: `base` is a page-aligned ring of NBUF entries that
            // outlives the ring (leaked at the end of the run, after the ring
            // is dropped).
            unsafe {
                ring.submitter()
                    .register_buf_ring_with_flags(base as u64, NBUF, 0, 0)
                    .unwrap();
            }
            let mut me = Self {
                base,
                bufs,
                tail: 0,
            };
            for bid in 0..NBUF {
                me.push(bid);
            }
            me.publish();
            me
        }

        fn push(&mut self, bid: u16) {
            let slot = usize::from(self.tail & (NBUF - 1));
            // SAFETY: the slot is inside the ring and past the published tail.
            unsafe {
                let e = self.base.add(slot * 16);
                e.cast::<u64>()
                    .write(self.bufs as u64 + u64::from(bid) * u64::from(BUFSZ));
                e.add(8).cast::<u32>().write(BUFSZ);
                e.add(12).cast::<u16>().write(bid);
            }
            self.tail = self.tail.wrapping_add(1);
        }

        fn publish(&self) {
            // SAFETY: the tail is the u16 at offset 14 of the ring.
            let t = unsafe { std::sync::atomic::AtomicU16::from_ptr(self.base.add(14).cast()) };
            t.store(self.tail, std::sync::atomic::Ordering::Release);
        }

        fn data(&self, bid: u16, len: usize) -> &[u8] {
            // SAFETY: the kernel handed `bid` back with this CQE.
            unsafe {
                std::slice::from_raw_parts(
                    self.bufs.add(usize::from(bid) * BUFSZ as usize),
                    len.min(BUFSZ as usize),
                )
            }
        }
    }

    fn raw_run(rounds: u64) -> Run {
        // SAFETY: no pointers; the fd is owned below.
        let ep = unsafe { OwnedFd::from_raw_fd(libc::epoll_create1(libc::EPOLL_CLOEXEC)) };
        let mut ready = pairs(READY);
        let mut ops = pairs(OPS);
        for (i, (a, _)) in ready.iter().enumerate() {
            epoll_add(ep.as_raw_fd(), a.as_raw_fd(), i as u64);
        }
        let tfds: Vec<OwnedFd> = PERIODS.iter().map(|p| timerfd(*p)).collect();
        for (i, t) in tfds.iter().enumerate() {
            epoll_add(ep.as_raw_fd(), t.as_raw_fd(), 100 + i as u64);
        }
        let mut ring = IoUring::new(64).unwrap();
        let mut bufs = BufRing::new(&ring);
        epoll_add(ep.as_raw_fd(), ring.as_raw_fd(), 999);
        let op_fds: Vec<RawFd> = ops.iter().map(|(a, _)| a.as_raw_fd()).collect();
        let arm = |ring: &mut IoUring, i: usize| {
            let e = opcode::RecvMulti::new(types::Fd(op_fds[i]), 0)
                .build()
                .user_data(i as u64);
            // SAFETY: the SQE names no memory of ours but the buffer group.
            unsafe { ring.submission().push(&e).unwrap() };
        };
        for i in 0..OPS {
            arm(&mut ring, i);
        }
        ring.submit().unwrap();
        let mut evs = [libc::epoll_event { events: 0, u64: 0 }; 16];
        let mut timers = 0u64;
        let mut sum = 0u64;
        let start = Instant::now();
        for _ in 0..rounds {
            drive(&mut ready, &mut ops);
            let mut left = READY + OPS;
            while left > 0 {
                // SAFETY: `evs` has room for 16 entries.
                let n = unsafe { libc::epoll_wait(ep.as_raw_fd(), evs.as_mut_ptr(), 16, -1) };
                for e in &evs[..n.max(0) as usize] {
                    match e.u64 {
                        999 => {
                            let mut rearm = Vec::new();
                            for c in ring.completion() {
                                let i = c.user_data() as usize;
                                if let Some(bid) = cqueue::buffer_select(c.flags()) {
                                    let d = bufs.data(bid, c.result().max(0) as usize);
                                    sum += u64::from(d[0]);
                                    bufs.push(bid);
                                    left -= 1;
                                }
                                if !cqueue::more(c.flags()) {
                                    rearm.push(i);
                                }
                            }
                            bufs.publish();
                            if !rearm.is_empty() {
                                for i in rearm {
                                    arm(&mut ring, i);
                                }
                                ring.submit().unwrap();
                            }
                        }
                        t @ 100..=101 => {
                            let mut b = [0u8; 8];
                            // SAFETY: an 8-byte buffer on the stack.
                            let fd = tfds[(t - 100) as usize].as_raw_fd();
                            if unsafe { libc::read(fd, b.as_mut_ptr().cast(), 8) } == 8 {
                                timers += u64::from_ne_bytes(b);
                            }
                        }
                        i => {
                            read_byte(&ready[i as usize].0);
                            left -= 1;
                        }
                    }
                }
            }
        }
        let el = start.elapsed();
        assert!(sum > 0);
        // Cancel the receives and drop the ring before the buffers' memory
        // (leaked: the run is over).
        drop(ring);
        Run {
            ns_per_round: el.as_nanos() as f64 / rounds as f64,
            timer_events_per_s: timers as f64 / el.as_secs_f64(),
        }
    }

    pub(crate) fn main() {
        if let Some(which) = std::env::var_os("ONERING_BENCH_ONLY") {
            let r = if which == "raw" {
                raw_run(20_000)
            } else {
                port_run(20_000)
            };
            println!(
                "{}: {:.0} ns per round",
                which.to_string_lossy(),
                r.ns_per_round
            );
            return;
        }
        let (repeats, rounds) = if quick() { (3, 5_000) } else { (9, 30_000) };
        println!(
            "# mixed load: {READY} readiness sockets + {OPS} multishot recvs per round, 2 periodic timers (100 µs, 1 ms); one thread; median of {repeats}, runs alternated\n"
        );
        let (mut port, mut raw) = (Vec::new(), Vec::new());
        port_run(rounds / 5); // warm-up
        raw_run(rounds / 5);
        for i in 0..repeats {
            // Alternate which side runs first, so load drifts hit both.
            if i % 2 == 0 {
                port.push(port_run(rounds));
                raw.push(raw_run(rounds));
            } else {
                raw.push(raw_run(rounds));
                port.push(port_run(rounds));
            }
        }
        let ns = |v: &[Run]| median(v.iter().map(|r| r.ns_per_round).collect());
        let tm = |v: &[Run]| median(v.iter().map(|r| r.timer_events_per_s).collect());
        let ratios = median(
            port.iter()
                .zip(&raw)
                .map(|(p, r)| p.ns_per_round / r.ns_per_round)
                .collect(),
        );
        println!("| | by hand (epoll + timerfd + io_uring) | Port |");
        println!("|---|---|---|");
        println!(
            "| ns per round (8 events + timers) | {:.0} (1.00x) | {:.0} ({:.2}x) |",
            ns(&raw),
            ns(&port),
            ns(&port) / ns(&raw)
        );
        println!("| median of per-pair ratios | 1.00x | {ratios:.2}x |");
        println!(
            "| timer expirations handled per s | {:.0} | {:.0} |",
            tm(&raw),
            tm(&port)
        );
    }
}

fn main() {
    #[cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
    linux::main();
}
