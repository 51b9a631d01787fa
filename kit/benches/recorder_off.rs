//! What the recorder costs around a call: the bare call, the call wrapped by
//! a recorder switched off, and by one switched on, side by side.
//!
//! `cargo bench -p onering-kit --bench recorder_off` prints ns per call.
//! For instruction counts run one variant under callgrind, e.g.
//! `ONERING_VARIANT=off valgrind --tool=callgrind target/release/deps/recorder_off-*`
//! and compare with `ONERING_VARIANT=bare` (the difference over the
//! iterations is the per-call cost).

use onering_kit::{Event, Key, Op, Outcome, Recorder, Timeout};
use std::hint::black_box;
use std::time::Instant;

/// Stands for the library's call: a few instructions that cannot be elided.
#[inline(never)]
fn library_call(x: &mut u64) -> u64 {
    *x = x.wrapping_mul(6364136223846793005).wrapping_add(1);
    *x >> 33
}

fn bare(n: u64) -> u64 {
    let mut x = 1;
    let mut acc = 0;
    for _ in 0..n {
        acc ^= library_call(black_box(&mut x));
    }
    acc
}

fn wrapped(rec: &Recorder, n: u64) -> u64 {
    let mut x = 1;
    let mut acc = 0;
    for _ in 0..n {
        // Opaque each time: in a library the switch is a runtime field.
        let rec = black_box(rec);
        let p = rec.begin(Op::Wait {
            max: 4,
            timeout: Timeout::Poll,
        });
        let r = library_call(black_box(&mut x));
        p.end_with(|| Outcome::Events(vec![Event::Ready(Key::new(r as u32))]));
        acc ^= r;
    }
    acc
}

fn time(name: &str, n: u64, f: impl Fn(u64) -> u64) -> f64 {
    // Warm up, then best of five.
    black_box(f(n / 10));
    let mut best = f64::MAX;
    for _ in 0..5 {
        let t = Instant::now();
        black_box(f(n));
        best = best.min(t.elapsed().as_secs_f64() * 1e9 / n as f64);
    }
    println!("{name:<22} {best:>8.2} ns/call");
    best
}

fn main() {
    let n: u64 = std::env::var("ONERING_ITERS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(10_000_000);
    match std::env::var("ONERING_VARIANT").as_deref() {
        Ok("bare") => {
            black_box(bare(n));
        }
        Ok("off") => {
            black_box(wrapped(&Recorder::off(), n));
        }
        Ok("on") => {
            black_box(wrapped(&Recorder::new(), n));
        }
        _ => {
            println!("recorder cost around a call ({n} calls, best of 5)");
            let b = time("bare call", n, bare);
            let off = Recorder::off();
            let o = time("recorder off", n, |n| wrapped(&off, n));
            let m = n / 20;
            let on = time("recorder on", m, |m| wrapped(&Recorder::new(), m));
            println!(
                "off adds {:.2} ns/call; on adds {:.1} ns/call",
                o - b,
                on - b
            );
        }
    }
}
