//! The Port's runner of the rule corpus (`corpus/rules/*.toml`): every case
//! marked for the Port is played on a `Port` over the simulated backend
//! (built with deferred cancel, so that an operation's cancel and its final
//! event are two steps, as in the model), each model thread on its own
//! worker thread, and what each call returned is compared with the case.
//!
//! Model key `kN` is one registration on its own source (a futex scenario's
//! keys share one futex word). Judgements that only the model makes
//! (`!property`, `queue [...]`, ...) are not the Port's to check.

#![cfg(not(any(loom, feature = "shuttle")))]
// Tests drive the port from plain std threads; `crate::sync` is the
// library's facade, not theirs.
#![allow(clippy::disallowed_types)]

mod common;

use std::sync::Arc;

use common::Worker;
use onering::{
    CancelOutcome, Config, Error, Event, Events, Key, Mutant, Port, SimBackend, SourceId,
    SourceKind, StateName, Timeout,
};
use onering_corpus::{cases, Case, Engine, Expect, Line};
use onering_model::{Action, EventKind};

struct Run {
    port: Arc<Port>,
    sources: Vec<SourceId>,
    /// Every key each model key has had, newest last.
    keys: Vec<Vec<Key>>,
    threads: Vec<Worker>,
    case: Case,
}

/// What a call returned, in the model's words.
#[derive(Debug)]
enum Got {
    Unit,
    Batch(Vec<(u8, EventKind)>),
    Answer(CancelOutcome),
    Count(u32),
}

impl Run {
    fn new(case: &Case, mutant: Option<Mutant>) -> Run {
        let port = Arc::new(Port::with_config(
            SimBackend::with_deferred_cancel(),
            Config {
                history: false,
                mutant,
            },
        ));
        let kind = case.scenario.source;
        let shared = (kind == SourceKind::Futex).then(|| port.add_source(kind));
        let mut sources = Vec::new();
        let mut keys = Vec::new();
        for _ in 0..case.keys {
            let s = shared.unwrap_or_else(|| port.add_source(kind));
            let k = register(&port, s, case).expect("the initial registration");
            sources.push(s);
            keys.push(vec![k]);
        }
        Run {
            port,
            sources,
            keys,
            threads: (0..case.threads).map(|_| Worker::new()).collect(),
            case: case.clone(),
        }
    }

    fn key(&self, k: u8) -> Key {
        *self.keys[k as usize].last().expect("a key")
    }

    /// The model key an event's key is (any generation it had).
    fn model_key(&self, key: Key) -> u8 {
        self.keys
            .iter()
            .position(|ks| ks.contains(&key))
            .unwrap_or_else(|| panic!("event of unknown key {key}")) as u8
    }

    fn on_thread<R: Send + 'static>(
        &self,
        t: u8,
        f: impl FnOnce(&Port) -> R + Send + 'static,
    ) -> R {
        let port = Arc::clone(&self.port);
        self.threads[t as usize].run(move || f(&port))
    }

    fn call(&mut self, a: Action) -> Result<Got, Error> {
        let p = &self.port;
        let src = |k: u8| self.sources[k as usize];
        Ok(match a {
            Action::Wait {
                thread,
                max,
                block: false,
            } => {
                let evs: Vec<Event> = self.on_thread(thread, move |p| {
                    let mut e = Events::new();
                    p.wait(&mut e, max as usize, Timeout::Poll)
                        .map(|_| e.as_slice().to_vec())
                })?;
                Got::Batch(
                    evs.iter()
                        .map(|e| (self.model_key(e.key), e.kind.model()))
                        .collect(),
                )
            }
            Action::Register { thread, key } => {
                let (s, case) = (src(key), self.case.clone());
                let k = self.on_thread(thread, move |p| register(p, s, &case))?;
                self.keys[key as usize].push(k);
                Got::Unit
            }
            Action::Modify { thread, key, mode } => {
                let k = self.key(key);
                self.on_thread(thread, move |p| p.modify(k, mode))?;
                Got::Unit
            }
            Action::Rearm { thread, key } => {
                let k = self.key(key);
                self.on_thread(thread, move |p| p.rearm(k))?;
                Got::Unit
            }
            Action::Cancel { thread, key, mode } => {
                let k = self.key(key);
                Got::Answer(self.on_thread(thread, move |p| p.cancel(k, mode))?)
            }
            Action::Consume { thread, key } => {
                let s = src(key);
                self.on_thread(thread, move |p| p.consume(s))?;
                Got::Unit
            }
            Action::Raise { key } if self.case.scenario.source == SourceKind::Counter => {
                p.increment(src(key), 1)?;
                Got::Unit
            }
            Action::Raise { key } => {
                p.raise(src(key))?;
                Got::Unit
            }
            Action::Lower { key } => {
                p.lower(src(key))?;
                Got::Unit
            }
            Action::Close { key } => {
                p.close(src(key))?;
                Got::Unit
            }
            Action::Complete { key } => {
                p.complete(src(key), 0)?;
                Got::Unit
            }
            Action::StreamItem { key } => {
                p.stream_item(src(key), 1)?;
                Got::Unit
            }
            Action::PostFinal { key } => {
                p.cancel_lands(src(key))?;
                Got::Unit
            }
            Action::FutexWake { n } => Got::Count(p.futex_wake(src(0), n.into())?),
            other => panic!(
                "case {}: `{other}` has no Port call; mark the case engines = [\"model\"]",
                self.case.name
            ),
        })
    }
}

fn register(port: &Port, s: SourceId, case: &Case) -> Result<Key, Error> {
    if case.scenario.source.is_readiness() {
        port.register(s, case.scenario.mode)
    } else {
        port.submit(s, case.scenario.mode)
    }
}

fn check(got: &Result<Got, Error>, e: &Expect) -> Result<(), String> {
    if e.refused {
        return match got {
            Err(_) => Ok(()),
            Ok(g) => Err(format!("not refused: {g:?}")),
        };
    }
    let got = got.as_ref().map_err(|err| format!("refused: {err}"))?;
    if let Some(b) = &e.batch {
        match got {
            Got::Batch(g) if g == b => {}
            other => return Err(format!("returned {other:?}, expected {b:?}")),
        }
    }
    if let Some(a) = e.answer {
        match got {
            Got::Answer(o) if o.answer() == a => {}
            other => return Err(format!("returned {other:?}, expected {}", a.name())),
        }
    }
    if let Some(n) = e.released {
        match got {
            Got::Count(c) if *c == u32::from(n) => {}
            other => return Err(format!("returned {other:?}, expected {n} released")),
        }
    }
    Ok(())
}

fn run(case: &Case, mutant: Option<Mutant>) -> Result<(), String> {
    let mut r = Run::new(case, mutant);
    for (i, line) in case.steps.iter().enumerate() {
        let at = |text: &str| format!("{} ({}) step {} `{text}`", case.name, case.file, i + 1);
        match line {
            Line::Queue { .. } => {}
            Line::Is { key, reg, text } => {
                let state = match r.port.state(r.key(*key)) {
                    Ok(s) => s,
                    Err(Error::StaleKey(_)) => StateName::Free,
                    Err(e) => return Err(format!("{}: {e}", at(text))),
                };
                if state != *reg {
                    return Err(format!("{}: the Port says {state:?}", at(text)));
                }
            }
            Line::Step {
                action,
                expect,
                text,
            } => {
                let got = r.call(*action);
                check(&got, expect).map_err(|m| format!("{}: {m}", at(text)))?;
            }
        }
    }
    Ok(())
}

#[test]
fn every_corpus_case_for_the_port_holds_on_the_simulated_backend() {
    let cases = cases().unwrap_or_else(|e| panic!("{e}"));
    let mut failures = Vec::new();
    let mut ran = 0;
    for case in cases.iter().filter(|c| c.engines.contains(&Engine::Port)) {
        assert_eq!(
            case.rules.name, "unified",
            "{}: the Port is unified",
            case.name
        );
        ran += 1;
        if let Err(e) = run(case, None) {
            failures.push(e);
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {ran} cases failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    assert!(ran > 20, "only {ran} Port cases");
}

#[test]
fn the_corpus_catches_every_port_mutant_a_poll_can_see() {
    let cases = cases().unwrap_or_else(|e| panic!("{e}"));
    // MissingWakeup only delays a blocked waiter; the corpus's Port cases
    // never block (the loom and shuttle harnesses catch it).
    for m in Mutant::ALL
        .into_iter()
        .filter(|m| *m != Mutant::MissingWakeup)
    {
        let caught = cases
            .iter()
            .filter(|c| c.engines.contains(&Engine::Port))
            .find_map(|c| run(c, Some(m)).err());
        assert!(caught.is_some(), "{} survived the corpus", m.name());
    }
}
