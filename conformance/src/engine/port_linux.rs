//! `onering::Port` on its Linux backend, judged by `unified`: the same
//! steps as the simulated Port ([`super::port`]), but every source is a real
//! kernel object and every wait blocks in the kernel.
//!
//! | backing | Port source | `raise` | `consume` |
//! |---|---|---|---|
//! | pipe, socket, timerfd, signalfd, inotify, pidfd | [`Port::add_fd`] of the case's [`Source`] (the port keeps a dup) | the source's own wake-up (write, expiry, signal, file, exit) | the case drains the fd, then [`Port::consume`] |
//! | eventfd | [`Port::add_trigger`] (the port's own eventfd) | [`Port::trigger`] | [`Port::read_count`] |
//! | futex | [`Port::add_futex`], one per key, on one shared [`FutexWord`] | — | — |
//! | read | [`Port::add_read`] of a pipe, a new source per submission (a Port operation is submitted once) | `complete` writes a byte to the pipe | — |
//! | accept-multishot | [`Port::add_accept`] on a Unix listener | `stream_item` connects a client | — |
//! | read-multishot | [`Port::add_read`] of a pipe, submitted `Multishot` (the port's provided-buffer ring); the same source is resubmitted | `stream_item` writes a byte to the pipe | each item's bytes are taken ([`Port::take_data`]) and dropped |
//! | socket, kind `operation`, mode `multishot` | [`Port::add_recv`] of a Unix stream socket, as above | `stream_item` writes a byte to the peer | as above |
//!
//! A `stream_item` with nothing in flight, or after the cancel reached the
//! kernel, is not a step (as on the uring engine): the byte would stream to
//! the *next* submission at once, which the model's operations, having no
//! condition, cannot say.
//!
//! `close` is [`Port::remove`] (the unified close: the registrations become
//! `Closed`). Backings with no Port source (`timeout`: io_uring timeouts,
//! the Port has timerfd timers; a `Single` recv of a socket) are not
//! applicable, with that reason.
//!
//! [`Port::add_fd`]: onering::Port::add_fd
//! [`Port::consume`]: onering::Port::consume
//! [`Port::add_trigger`]: onering::Port::add_trigger
//! [`Port::trigger`]: onering::Port::trigger
//! [`Port::read_count`]: onering::Port::read_count
//! [`Port::add_futex`]: onering::Port::add_futex
//! [`Port::add_read`]: onering::Port::add_read
//! [`Port::add_accept`]: onering::Port::add_accept
//! [`Port::add_recv`]: onering::Port::add_recv
//! [`Port::take_data`]: onering::Port::take_data
//! [`Port::remove`]: onering::Port::remove

use super::port_shared::{
    answer, cancel, case_event, refused, still_registered, unit, with_key, Handed, HandedKeys,
};
use super::{errno_name, io_err, Engine, EngineError};
use crate::case::{Backing, Case, Step, WaitFor};
use crate::drivers::sys;
use crate::observe::Observed;
use crate::source::Source;
use onering::{Events, FutexWord, Interest, LinuxPort, Port, SourceId, Timeout};
use onering_model::{Mode, SourceKind};
use std::os::fd::{AsFd, AsRawFd, OwnedFd};
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

/// How long a `wait block` may block: a wait that never returns is reported
/// as an empty return after a minute (as the epoll engine does), which no
/// blocking wait of the model shows.
const BLOCK_BOUND: Duration = Duration::from_secs(60);

struct Slot {
    /// The real source behind fd backings (`None`: eventfd, futex, ops).
    real: Option<Source>,
    source: SourceId,
    /// The keys handed out for this case key.
    reg: Handed,
    /// read: the pipe whose read end the operation reads, and its write end.
    pipe: Option<(OwnedFd, OwnedFd)>,
    /// read-multishot, multishot recv: the pipe or socket pair the
    /// operation streams from (`stream_item` writes a byte to its peer).
    stream: Option<Source>,
    /// pidfd: the child was killed (a second `raise` is refused).
    exited: bool,
    /// read: the current submission's byte was written, or its cancel
    /// reached the kernel.
    completed: bool,
}

impl HandedKeys for Slot {
    fn handed(&self) -> &Handed {
        &self.reg
    }
}

/// The Port on Linux, one per run of a case.
pub struct PortLinuxEngine {
    port: LinuxPort,
    /// The case's keys are multishot reads or recvs (see [`streams`]).
    streams: bool,
    backing: Backing,
    kind: SourceKind,
    mode: Mode,
    word: FutexWord,
    slots: Mutex<Vec<Slot>>,
    /// accept-multishot: the real listener (its clients connect here).
    listeners: Mutex<Vec<Source>>,
}

fn env(r: std::io::Result<()>) -> Observed {
    match r {
        Ok(()) => Observed::Ok,
        Err(e) => Observed::Refused(errno_name(&e)),
    }
}

fn os(e: onering::Error) -> EngineError {
    EngineError::Io(e.to_string())
}

impl PortLinuxEngine {
    /// A fresh port and the case's sources.
    pub fn new(case: &Case) -> Result<Self, EngineError> {
        if case.backing == Backing::Timeout {
            return Err(EngineError::NotApplicable(
                "an io_uring timeout request; the Port's timers are timerfds (Port::add_timer)"
                    .into(),
            ));
        }
        if case.backing == Backing::Socket && case.kind == SourceKind::Operation && !streams(case) {
            return Err(EngineError::NotApplicable(format!(
                "a `{}` recv of a socket: the corpus streams recvs (`multishot`) only",
                case.mode.name()
            )));
        }
        let port = Port::linux().map_err(os)?;
        let streams = streams(case);
        let needs_ring = streams
            || matches!(
                case.backing,
                Backing::Futex | Backing::Read | Backing::AcceptMulti
            );
        if needs_ring {
            if let Some(e) = port.io_uring_error() {
                return Err(EngineError::Refused(format!(
                    "the Port on Linux has no io_uring for `{}`: {e}",
                    case.backing.name()
                )));
            }
        }
        let word = FutexWord::new(0);
        let mut slots = Vec::new();
        let mut listeners = Vec::new();
        for _ in 0..case.keys {
            let mut slot = Slot {
                real: None,
                source: SourceId(u32::MAX),
                reg: Handed::default(),
                pipe: None,
                exited: false,
                completed: false,
                stream: None,
            };
            match case.backing {
                b if streams => {
                    // A multishot read of a pipe, or a multishot recv of a
                    // socket (the case's `socket` source as an operation).
                    let s = Source::new(b).map_err(io_err)?;
                    let fd = registered(&s)?;
                    slot.source = if b == Backing::Socket {
                        port.add_recv(fd, vec![0; 64])
                    } else {
                        port.add_read(fd, vec![0; 64], u64::MAX)
                    }
                    .map_err(os)?;
                    slot.stream = Some(s);
                }
                Backing::Eventfd => slot.source = port.add_trigger().map_err(os)?,
                Backing::Futex => slot.source = port.add_futex(&word),
                Backing::Read => {
                    let (r, w) = sys::pipe().map_err(io_err)?;
                    slot.source = port
                        .add_read(r.as_fd(), vec![0; 64], u64::MAX)
                        .map_err(os)?;
                    slot.pipe = Some((r, w));
                }
                Backing::AcceptMulti => {
                    let l = Source::new(case.backing).map_err(io_err)?;
                    slot.source = port.add_accept(registered(&l)?).map_err(os)?;
                    listeners.push(l);
                }
                b if b.is_fd() => {
                    let real = Source::new(b).map_err(io_err)?;
                    slot.source = port
                        .add_fd(registered(&real)?, Interest::Readable)
                        .map_err(os)?;
                    slot.real = Some(real);
                }
                b => {
                    return Err(EngineError::NotApplicable(format!(
                        "no Port source for `{}`",
                        b.name()
                    )))
                }
            }
            slots.push(slot);
        }
        Ok(PortLinuxEngine {
            port,
            streams,
            backing: case.backing,
            kind: case.kind,
            mode: case.mode,
            word,
            slots: Mutex::new(slots),
            listeners: Mutex::new(listeners),
        })
    }

    fn slots(&self) -> MutexGuard<'_, Vec<Slot>> {
        self.slots.lock().unwrap_or_else(|p| p.into_inner())
    }

    fn requests(&self) -> bool {
        !self.kind.is_readiness()
    }

    /// A new source for key `k`'s next submission (a Port operation source
    /// is submitted once).
    fn resubmittable(&self, slot: &mut Slot) -> Result<(), onering::Error> {
        if !slot.reg.submitted {
            return Ok(());
        }
        match self.backing {
            Backing::Read => {
                if let Some((r, _)) = &slot.pipe {
                    slot.source = self.port.add_read(r.as_fd(), vec![0; 64], u64::MAX)?;
                }
            }
            Backing::AcceptMulti => {
                let ls = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
                if let Some(fd) = ls.first().and_then(Source::as_fd) {
                    slot.source = self.port.add_accept(fd)?;
                }
            }
            _ => {}
        }
        Ok(())
    }

    fn wait(&self, max: u8, how: WaitFor) -> Observed {
        let timeout = match how {
            WaitFor::Poll => Timeout::Poll,
            WaitFor::Block => Timeout::Deadline(Instant::now() + BLOCK_BOUND),
            WaitFor::For(d) => Timeout::Deadline(Instant::now() + d),
        };
        let mut events = Events::new();
        if let Err(e) = self.port.wait(&mut events, max as usize, timeout) {
            return refused(e);
        }
        let slots = self.slots();
        let evs = events
            .iter()
            .map(|e| {
                let ev = case_event(&slots, e.key, e.kind);
                match e.kind {
                    onering::EventKind::Ready => {}
                    onering::EventKind::Item { value } => {
                        if self.streams {
                            // The item's bytes, copied out of the pool at
                            // harvest, are the caller's: drop them.
                            if let Some(s) = slots.get(ev.key as usize) {
                                let _ = self.port.take_data(s.source);
                            }
                        }
                        if self.backing == Backing::AcceptMulti && value >= 0 {
                            // The accepted connection is the caller's.
                            close_fd(value);
                        }
                    }
                    onering::EventKind::Final { result, .. } => {
                        if self.backing == Backing::AcceptMulti {
                            if let Some(v) = result.filter(|v| *v >= 0) {
                                close_fd(v);
                            }
                        }
                    }
                }
                ev
            })
            .collect();
        Observed::Events(evs)
    }
}

/// Whether `case`'s keys are streaming operations of the Port: a multishot
/// read of a pipe (`read-multishot`), or a multishot recv of a socket (the
/// `socket` source of kind `operation`, mode `multishot`). Both stream
/// through the port's provided-buffer ring (`Port::add_read`,
/// `Port::add_recv`).
fn streams(case: &Case) -> bool {
    case.backing == Backing::ReadMulti
        || (case.backing == Backing::Socket
            && case.kind == SourceKind::Operation
            && case.mode == Mode::Multishot)
}

/// A fresh source's registered descriptor (the Port dups it).
fn registered(s: &Source) -> Result<std::os::fd::BorrowedFd<'_>, EngineError> {
    s.as_fd()
        .ok_or_else(|| EngineError::Io("the source has no descriptor".into()))
}

/// Closes an accepted connection's descriptor: the Port hands it to the
/// caller, who owns it.
fn close_fd(fd: i64) {
    if let Ok(fd) = i32::try_from(fd) {
        sys::close_owned(fd);
    }
}

impl Engine for PortLinuxEngine {
    fn step(&self, _thread: usize, step: &Step) -> Observed {
        let src = |k: u8| self.slots()[k as usize].source;
        let key = |k: u8| self.slots()[k as usize].reg.live;
        match *step {
            Step::Register(k) => {
                let mut slots = self.slots();
                if still_registered(&self.port, slots[k as usize].reg.live) {
                    return Observed::Refused("registered".into());
                }
                if let Err(e) = self.resubmittable(&mut slots[k as usize]) {
                    return refused(e);
                }
                let s = slots[k as usize].source;
                // The slots stay locked until the key is handed out: a
                // registration can queue its event at once, and another
                // thread's wait that takes it names it through the slots
                // (`case_event`). Unlocked, that wait could find the key
                // not yet handed out and record the Port's own index and
                // generation (`key k1.1 was never returned by a register`).
                let r = match self.backing {
                    Backing::Futex => self.port.futex_wait(s, self.word.load()),
                    _ if self.requests() => self.port.submit(s, self.mode),
                    _ => self.port.register(s, self.mode),
                };
                match r {
                    Ok(key) => {
                        slots[k as usize].reg.hand_out(key);
                        slots[k as usize].completed = false;
                        Observed::Ok
                    }
                    Err(e) => refused(e),
                }
            }
            Step::Modify(k, m) => with_key(key(k), |key| unit(self.port.modify(key, m))),
            Step::Rearm(k) => with_key(key(k), |key| unit(self.port.rearm(key))),
            Step::Cancel(k, how) => {
                match cancel(&self.port, key(k), how, self.requests()) {
                    Ok(o) => {
                        if self.requests() {
                            // The cancel SQE is in the kernel: a read's
                            // cancel lands before any later write, so a
                            // `complete` after it is no step (as on the
                            // simulated Port, whose cancel lands at once).
                            self.slots()[k as usize].completed = true;
                        }
                        answer(o)
                    }
                    Err(o) => o,
                }
            }
            Step::Consume(k) => {
                if self.backing == Backing::Eventfd {
                    return match self.port.read_count(src(k)) {
                        Ok(_) => Observed::Ok,
                        Err(e) => refused(e),
                    };
                }
                let drained = {
                    let mut slots = self.slots();
                    match slots[k as usize].real.as_mut() {
                        Some(r) => r.consume(),
                        None => return Observed::Unsupported("an operation has nothing to drain"),
                    }
                };
                match drained {
                    Ok(()) => unit(self.port.consume(src(k))),
                    Err(e) => Observed::Refused(errno_name(&e)),
                }
            }
            Step::Wait(max, how) => self.wait(max, how),
            Step::Raise(k) => {
                if self.backing == Backing::Eventfd {
                    return unit(self.port.trigger(src(k), 1));
                }
                let mut slots = self.slots();
                let slot = &mut slots[k as usize];
                if self.backing == Backing::Pidfd && slot.exited {
                    // A process exits once: a second exit is no wake-up.
                    return Observed::Refused("ESRCH".into());
                }
                match slot.real.as_mut() {
                    Some(r) => {
                        let o = env(r.raise());
                        slot.exited = o == Observed::Ok;
                        o
                    }
                    None => Observed::Unsupported("not a readiness source"),
                }
            }
            Step::Lower(k) => {
                // Another reader drains the descriptor behind the port's back.
                let mut slots = self.slots();
                match slots[k as usize].real.as_mut() {
                    Some(r) => env(r.consume()),
                    None => Observed::Unsupported("the port's own eventfd has no other reader"),
                }
            }
            Step::Close(k) => unit(self.port.remove(src(k))),
            Step::Complete(k) => match self.backing {
                Backing::Read => {
                    let mut slots = self.slots();
                    let slot = &mut slots[k as usize];
                    // Data written with no read in flight would complete
                    // the *next* submission at once (FINDINGS.md L6): a
                    // `complete` is one byte for the read in flight, once.
                    let in_flight = slot.reg.live.is_some_and(|key| {
                        self.port.state(key) == Ok(onering::StateName::InFlight)
                    });
                    if !in_flight || slot.completed {
                        return Observed::Refused(
                            "no read in flight (completed or cancelled)".into(),
                        );
                    }
                    match &slot.pipe {
                        Some((_, w)) => {
                            let o = env(sys::write(w.as_raw_fd(), b"x").map(drop));
                            slot.completed = o == Observed::Ok;
                            o
                        }
                        None => Observed::Unsupported("no pipe"),
                    }
                }
                _ => Observed::Unsupported("only a read completes by a write"),
            },
            Step::StreamItem(k) if self.streams => {
                let mut slots = self.slots();
                let slot = &mut slots[k as usize];
                // A byte written with nothing in flight (or after the
                // cancel reached the kernel) would stream to the *next*
                // submission at once, which the model's operations cannot
                // say (they have no condition): not a step here.
                let in_flight = slot
                    .reg
                    .live
                    .is_some_and(|key| self.port.state(key) == Ok(onering::StateName::InFlight));
                if !in_flight || slot.completed {
                    return Observed::Unsupported("nothing in flight to stream to");
                }
                match slot.stream.as_mut() {
                    Some(s) => env(s.raise()),
                    None => Observed::Unsupported("no stream"),
                }
            }
            Step::StreamItem(_) => match self.backing {
                Backing::AcceptMulti => {
                    let mut ls = self.listeners.lock().unwrap_or_else(|p| p.into_inner());
                    match ls.first_mut() {
                        Some(l) => env(l.connect()),
                        None => Observed::Unsupported("no listener"),
                    }
                }
                _ => Observed::Unsupported("only accept streams items here"),
            },
            Step::FutexWake(n) => match onering::futex_wake(&self.word, u32::from(n)) {
                Ok(c) => Observed::Count(c),
                Err(e) => refused(e),
            },
            Step::FutexChange => {
                self.word.fetch_add(1);
                Observed::Ok
            }
            Step::Sleep(d) => {
                std::thread::sleep(d);
                Observed::Ok
            }
        }
    }
}
