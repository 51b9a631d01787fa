//! `onering::Port` on the simulated backend, judged by `unified`.

use super::port_shared::{answer, cancel_mode, refused, unit};
use super::{Engine, EngineError};
use crate::case::{Case, Step, WaitFor};
use crate::observe::{Ev, Observed};
use onering::{Events, Key, Port, SourceId, Timeout};
use onering_model::{EventKind, Mode, Outcome, SourceKind};
use std::sync::Mutex;
use std::time::Instant;

struct Slot {
    source: SourceId,
    key: Option<Key>,
    submitted: bool,
    /// Every key handed out for this case key, oldest first: an event's
    /// generation is its position here.
    handed: Vec<Key>,
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
                key: None,
                submitted: false,
                handed: Vec::new(),
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
        let key = |k: u8| self.slots.lock().expect("slots")[k as usize].key;
        match *step {
            Step::Register(k) => {
                let mut slots = self.slots.lock().expect("slots");
                // A case's key is one registration at a time (the model's
                // `Register` needs a free key); the Port would hand out a
                // second key on the same source.
                if let Some(live) = slots[k as usize].key {
                    if self.port.state(live).is_ok() {
                        return Observed::Refused("registered".into());
                    }
                }
                if self.kind == SourceKind::Operation && slots[k as usize].submitted {
                    // A Port operation source is submitted once: a new
                    // submission is a new source.
                    slots[k as usize].source = self.port.add_source(self.kind);
                }
                let s = slots[k as usize].source;
                drop(slots);
                let r = if self.requests() {
                    self.port.submit(s, self.mode)
                } else {
                    self.port.register(s, self.mode)
                };
                match r {
                    Ok(key) => {
                        let mut slots = self.slots.lock().expect("slots");
                        slots[k as usize].key = Some(key);
                        slots[k as usize].submitted = true;
                        slots[k as usize].handed.push(key);
                        Observed::Ok
                    }
                    Err(e) => refused(e),
                }
            }
            Step::Modify(k, m) => match key(k) {
                Some(key) => unit(self.port.modify(key, m)),
                None => Observed::Unsupported("no key was handed out yet"),
            },
            Step::Rearm(k) => match key(k) {
                Some(key) => unit(self.port.rearm(key)),
                None => Observed::Unsupported("no key was handed out yet"),
            },
            Step::Cancel(k, how) => {
                let Some(key) = key(k) else {
                    // The Port's cancel takes a Key it handed out; there is
                    // none to name before the first registration.
                    return Observed::Unsupported("no key was handed out yet");
                };
                let cm = match cancel_mode(how, self.requests()) {
                    Ok(cm) => cm,
                    Err(o) => return o,
                };
                match self.port.cancel(key, cm) {
                    Ok(o) => answer(o),
                    Err(e) => refused(e),
                }
            }
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
                            .map(|e| {
                                let (k, gen) = slots
                                    .iter()
                                    .enumerate()
                                    .find_map(|(i, s)| {
                                        s.handed
                                            .iter()
                                            .position(|h| *h == e.key)
                                            .map(|g| (i as u8, g as u32))
                                    })
                                    .unwrap_or((e.key.index as u8, e.key.generation));
                                let current =
                                    slots.get(k as usize).is_some_and(|s| s.key == Some(e.key));
                                let kind = match e.kind {
                                    onering::EventKind::Ready => EventKind::Ready,
                                    onering::EventKind::Item { .. } => EventKind::Item,
                                    onering::EventKind::Final { cancelled, .. } => {
                                        EventKind::Final(if cancelled {
                                            Outcome::Cancelled
                                        } else {
                                            Outcome::Done
                                        })
                                    }
                                };
                                Ev {
                                    key: k,
                                    current,
                                    gen,
                                    kind,
                                }
                            })
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
