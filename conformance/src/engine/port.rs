//! `onering::Port` on the simulated backend, judged by `unified`.

use super::port_shared::{
    answer, cancel, case_event, refused, still_registered, unit, with_key, Handed, HandedKeys,
};
use super::{Engine, EngineError};
use crate::case::{Case, Step, WaitFor};
use crate::observe::Observed;
use onering::{Events, Port, SourceId, Timeout};
use onering_model::{Mode, SourceKind};
use std::sync::Mutex;
use std::time::Instant;

struct Slot {
    source: SourceId,
    /// The keys handed out for this case key.
    reg: Handed,
}

impl HandedKeys for Slot {
    fn handed(&self) -> &Handed {
        &self.reg
    }
}

pub struct PortEngine {
    port: Port,
    kind: SourceKind,
    mode: Mode,
    slots: Mutex<Vec<Slot>>,
}

impl PortEngine {
    pub fn new(case: &Case) -> Result<Self, EngineError> {
        Self::with_port(case, Port::new())
    }

    pub fn with_port(case: &Case, port: Port) -> Result<Self, EngineError> {
        let shared = (case.kind == SourceKind::Futex).then(|| port.add_source(case.kind));
        let slots = (0..case.keys)
            .map(|_| Slot {
                source: shared.unwrap_or_else(|| port.add_source(case.kind)),
                reg: Handed::default(),
            })
            .collect();
        Ok(PortEngine {
            port,
            kind: case.kind,
            mode: case.mode,
            slots: Mutex::new(slots),
        })
    }

    fn requests(&self) -> bool {
        !self.kind.is_readiness()
    }
}

impl Engine for PortEngine {
    fn step(&self, _thread: usize, step: &Step) -> Observed {
        let src = |k: u8| self.slots.lock().expect("slots")[k as usize].source;
        let key = |k: u8| self.slots.lock().expect("slots")[k as usize].reg.live;
        match *step {
            Step::Register(k) => {
                let mut slots = self.slots.lock().expect("slots");
                if still_registered(&self.port, slots[k as usize].reg.live) {
                    return Observed::Refused("registered".into());
                }
                if self.kind == SourceKind::Operation && slots[k as usize].reg.submitted {
                    // A Port operation source is submitted once: a new
                    // submission is a new source.
                    slots[k as usize].source = self.port.add_source(self.kind);
                }
                let s = slots[k as usize].source;
                // Locked until the key is handed out: another thread's wait
                // names the event it takes through the slots (as on Linux,
                // `port_linux.rs`).
                let r = if self.requests() {
                    self.port.submit(s, self.mode)
                } else {
                    self.port.register(s, self.mode)
                };
                match r {
                    Ok(key) => {
                        slots[k as usize].reg.hand_out(key);
                        Observed::Ok
                    }
                    Err(e) => refused(e),
                }
            }
            Step::Modify(k, m) => with_key(key(k), |key| unit(self.port.modify(key, m))),
            Step::Rearm(k) => with_key(key(k), |key| unit(self.port.rearm(key))),
            Step::Cancel(k, how) => match cancel(&self.port, key(k), how, self.requests()) {
                Ok(o) => answer(o),
                Err(o) => o,
            },
            Step::Consume(k) => unit(self.port.consume(src(k))),
            Step::Wait(max, how) => {
                let timeout = match how {
                    WaitFor::Poll => Timeout::Poll,
                    WaitFor::Block => Timeout::Block,
                    WaitFor::For(d) => Timeout::Deadline(Instant::now() + d),
                };
                let mut events = Events::new();
                match self.port.wait(&mut events, max as usize, timeout) {
                    Ok(_) => {
                        let slots = self.slots.lock().expect("slots");
                        let evs = events
                            .iter()
                            .map(|e| case_event(&slots, e.key, e.kind))
                            .collect();
                        Observed::Events(evs)
                    }
                    Err(e) => refused(e),
                }
            }
            Step::Raise(k) => {
                if self.kind == SourceKind::Counter {
                    unit(self.port.increment(src(k), 1))
                } else {
                    unit(self.port.raise(src(k)))
                }
            }
            Step::Lower(k) => unit(self.port.lower(src(k))),
            Step::Close(k) => unit(self.port.close(src(k))),
            Step::Complete(k) => unit(self.port.complete(src(k), 0)),
            Step::StreamItem(k) => unit(self.port.stream_item(src(k), 1)),
            Step::FutexWake(n) => match self.port.futex_wake(src(0), u32::from(n)) {
                Ok(c) => Observed::Count(c),
                Err(e) => refused(e),
            },
            Step::FutexChange => Observed::Unsupported("the simulated futex word has no value"),
            Step::Sleep(d) => {
                std::thread::sleep(d);
                Observed::Ok
            }
        }
    }
}
