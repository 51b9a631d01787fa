//! A strict scanner for the lines a recorder writes: one pass over the
//! bytes, no allocation but the line's own strings and batch, no
//! intermediate value.
//!
//! # Why
//!
//! On the Port's 1M-call histories serde read each line about three times
//! (the line with its `args` and `result` kept raw, `args` again tagged by
//! `op`, `result` again by its shape): some 10k instructions a line, a
//! sixth of `onering verify`'s time.
//!
//! # What it accepts, and why that is safe
//!
//! [`line`] answers only for a line in the compact shape of the format:
//! keys it knows, each once, `op` before `args` and `result`; strings
//! without escapes or control characters; integers without sign (but the
//! signed fields), fraction or exponent; the operations, results and events
//! of version 1 and the v2 `port`, `thread` left out, `disable`, `errno`
//! and `end`. Anything else (another key, an escape, a v2 construct it
//! does not read) is `None`, and the line goes to the serde reader, which
//! reads what the format allows and words what it refuses. Where this
//! answers, it answers what the checked reader reads (the same fields, the
//! same defaults, the same choice of result shape); the reader's tests
//! compare the two on every golden line, odd lines and the bench's
//! histories.

use crate::vocab;
use crate::wire::{CallResult, Completion, Event, KeyRef, Line, Op, Timeout, WaitEnd};

/// A position in a line.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
    s: &'a str,
}

impl<'a> Cur<'a> {
    fn ws(&mut self) {
        while matches!(self.b.get(self.i), Some(b' ' | b'\t' | b'\n' | b'\r')) {
            self.i += 1;
        }
    }

    fn eat(&mut self, c: u8) -> Option<()> {
        self.ws();
        (self.b.get(self.i) == Some(&c)).then(|| self.i += 1)
    }

    fn peek(&mut self) -> Option<u8> {
        self.ws();
        self.b.get(self.i).copied()
    }

    /// A string without escapes or control characters.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.i;
        loop {
            match *self.b.get(self.i)? {
                b'"' => break,
                b'\\' | 0..=0x1f => return None,
                _ => self.i += 1,
            }
        }
        self.i += 1;
        // Both ends are ASCII quotes: char boundaries of the line.
        self.s.get(start..self.i - 1)
    }

    /// Digits, no leading zero (the next byte, if a digit, '.' or 'e', is
    /// left for the caller to refuse).
    fn digits(&mut self) -> Option<u64> {
        self.ws();
        let start = self.i;
        let mut n: u64 = 0;
        while let Some(d) = self.b.get(self.i).filter(|d| d.is_ascii_digit()) {
            n = n.checked_mul(10)?.checked_add(u64::from(d - b'0'))?;
            self.i += 1;
        }
        let len = self.i - start;
        (len == 1 || (len > 1 && self.b[start] != b'0')).then_some(n)
    }

    fn u64(&mut self) -> Option<u64> {
        self.digits()
    }

    fn u32(&mut self) -> Option<u32> {
        u32::try_from(self.digits()?).ok()
    }

    fn i64(&mut self) -> Option<i64> {
        if self.peek()? == b'-' {
            self.i += 1;
            // One past i64::MAX is i64::MIN's magnitude; serde_json reads
            // `-0` as a float, which no field here takes.
            let m = self.digits().filter(|m| *m > 0)?;
            0i64.checked_sub_unsigned(m)
        } else {
            i64::try_from(self.digits()?).ok()
        }
    }

    fn word(&mut self, w: &str) -> bool {
        self.ws();
        let hit = self.b[self.i..].starts_with(w.as_bytes());
        if hit {
            self.i += w.len();
        }
        hit
    }

    fn null(&mut self) -> bool {
        self.word("null")
    }

    fn bool(&mut self) -> Option<bool> {
        if self.word("true") {
            Some(true)
        } else if self.word("false") {
            Some(false)
        } else {
            None
        }
    }

    /// `T` or `null`.
    fn nullable<T>(&mut self, f: impl FnOnce(&mut Self) -> Option<T>) -> Option<Option<T>> {
        if self.null() {
            Some(None)
        } else {
            f(self).map(Some)
        }
    }

    /// An object, each key given to `field` (which reads its value).
    fn object(&mut self, mut field: impl FnMut(&mut Self, &'a str) -> Option<()>) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.i += 1;
            return Some(());
        }
        loop {
            let k = self.string()?;
            self.eat(b':')?;
            field(self, k)?;
            match self.peek()? {
                b',' => self.i += 1,
                b'}' => {
                    self.i += 1;
                    return Some(());
                }
                _ => return None,
            }
        }
    }

    fn key(&mut self) -> Option<KeyRef> {
        let (mut index, mut generation) = (None, None);
        self.object(|c, k| match k {
            "index" => once(&mut index, c.u32()?),
            "generation" => once(&mut generation, c.u32()?),
            _ => None,
        })?;
        Some(KeyRef {
            index: index?,
            generation: generation?,
        })
    }
}

/// Sets `slot` to `v` unless it was set (a key given twice).
fn once<T>(slot: &mut Option<T>, v: T) -> Option<()> {
    if slot.is_some() {
        return None;
    }
    *slot = Some(v);
    Some(())
}

/// The arguments of the operation named `op`.
fn args(c: &mut Cur<'_>, op: &str) -> Option<Op> {
    let mut source = None;
    let mut key = None;
    let mut mode = None;
    let mut kind = None;
    let mut cancel = None;
    let mut max = None;
    let mut timeout = None;
    let mut n = None;
    let mut result = None;
    let mut cancelled = None;
    let mut value = None;
    c.object(|c, k| match k {
        "source" => once(&mut source, c.u32()?),
        "key" => once(&mut key, c.key()?),
        "mode" if op == "cancel" => once(&mut cancel, vocab::cancel_mode_named(c.string()?)?),
        "mode" => once(&mut mode, vocab::mode_named(c.string()?)?),
        "kind" => once(&mut kind, vocab::kind_named(c.string()?)?),
        "max" => once(&mut max, c.u32()?),
        "timeout" => once(
            &mut timeout,
            match c.string()? {
                "poll" => Timeout::Poll,
                "block" => Timeout::Block,
                "deadline" => Timeout::Deadline,
                _ => return None,
            },
        ),
        "n" => once(&mut n, c.u64()?),
        "result" => once(&mut result, c.nullable(Cur::i64)?),
        "cancelled" => once(&mut cancelled, c.bool()?),
        "value" => once(&mut value, c.i64()?),
        _ => None,
    })?;
    // Each operation takes its own keys only (another one: the serde
    // reader, which ignores or refuses it).
    let only = |given: &[bool]| {
        let all = [
            source.is_some(),
            key.is_some(),
            mode.is_some(),
            kind.is_some(),
            cancel.is_some(),
            max.is_some(),
            timeout.is_some(),
            n.is_some(),
            result.is_some(),
            cancelled.is_some(),
            value.is_some(),
        ];
        all.iter().filter(|x| **x).count() == given.iter().filter(|x| **x).count()
    };
    let op = match op {
        "add_source" if only(&[kind.is_some()]) => Op::AddSource { kind: kind? },
        "register" if only(&[source.is_some(), mode.is_some()]) => Op::Register {
            source: source?,
            mode: mode?,
            interest: None,
            edge: false,
        },
        "submit" if only(&[source.is_some(), mode.is_some()]) => Op::Submit {
            source: source?,
            mode: mode?,
        },
        "modify" if only(&[key.is_some(), mode.is_some()]) => Op::Modify {
            key: key?,
            mode: mode?,
            interest: None,
            edge: false,
        },
        "rearm" if only(&[key.is_some()]) => Op::Rearm { key: key? },
        "disable" if only(&[key.is_some()]) => Op::Disable { key: key? },
        "cancel" if only(&[key.is_some(), cancel.is_some()]) => Op::Cancel {
            key: key?,
            mode: cancel?,
        },
        "wait" if only(&[max.is_some(), timeout.is_some()]) => Op::Wait {
            max: max?,
            timeout: timeout?,
        },
        "increment" if only(&[source.is_some(), n.is_some()]) => Op::Increment {
            source: source?,
            n: n?,
        },
        "futex_wake" if only(&[source.is_some(), n.is_some()]) => Op::FutexWake {
            source: source?,
            n: u32::try_from(n?).ok()?,
        },
        "complete" if only(&[source.is_some(), result.is_some(), cancelled.is_some()]) => {
            Op::Complete {
                source: source?,
                result: result.flatten(),
                cancelled: cancelled.unwrap_or(false),
            }
        }
        "stream_item" if only(&[source.is_some(), value.is_some()]) => Op::StreamItem {
            source: source?,
            value: value.unwrap_or(0),
        },
        _ if !only(&[source.is_some()]) => return None,
        "consume" => Op::Consume { source: source? },
        "raise" => Op::Raise { source: source? },
        "lower" => Op::Lower { source: source? },
        "wake" => Op::Wake { source: source? },
        "close" => Op::Close { source: source? },
        _ => return None,
    };
    Some(op)
}

/// One event of a batch (`ready` without an interest, `item`, `final`).
fn event(c: &mut Cur<'_>) -> Option<Event> {
    let (mut kind, mut key, mut value, mut result, mut cancelled) = (None, None, None, None, None);
    c.object(|c, k| match k {
        "kind" => once(&mut kind, c.string()?),
        "key" => once(&mut key, c.key()?),
        "value" => once(&mut value, c.i64()?),
        "result" => once(&mut result, c.nullable(Cur::i64)?),
        "cancelled" => once(&mut cancelled, c.bool()?),
        _ => None,
    })?;
    let key = key?;
    Some(match kind? {
        "ready" if value.is_none() && result.is_none() && cancelled.is_none() => Event::Ready {
            key,
            interest: None,
        },
        "item" if result.is_none() && cancelled.is_none() => Event::Item {
            key,
            value: value.unwrap_or(0),
        },
        "final" if value.is_none() => Event::Final {
            key,
            result: result.flatten(),
            cancelled: cancelled?,
        },
        _ => return None,
    })
}

/// What `op` returned: the shape the checked reader chooses (a refusal if
/// there is an `error` key, else by the operation).
fn call_result(c: &mut Cur<'_>, op: &Op) -> Option<CallResult> {
    let mut error = None;
    let mut message = None;
    let mut errno = None;
    let mut source = None;
    let mut key = None;
    let mut cancel = None;
    let mut completion = None;
    let mut events = None;
    let mut end = None;
    let mut ok = None;
    let mut count = None;
    c.object(|c, k| match k {
        "error" => once(&mut error, c.string()?),
        "message" => once(&mut message, c.nullable(Cur::string)?),
        "errno" => once(&mut errno, c.nullable(Cur::string)?),
        "source" => once(&mut source, c.u32()?),
        "key" => once(&mut key, c.key()?),
        "cancel" => once(&mut cancel, c.string()?),
        "completion" => once(
            &mut completion,
            c.nullable(|c| {
                let (mut result, mut cancelled) = (None, None);
                c.object(|c, k| match k {
                    "result" => once(&mut result, c.nullable(Cur::i64)?),
                    "cancelled" => once(&mut cancelled, c.bool()?),
                    _ => None,
                })?;
                Some(Completion {
                    result: result.flatten(),
                    cancelled: cancelled?,
                })
            })?,
        ),
        "events" => {
            let mut evs = Vec::new();
            c.eat(b'[')?;
            if c.peek()? == b']' {
                c.i += 1;
            } else {
                loop {
                    evs.push(event(c)?);
                    match c.peek()? {
                        b',' => c.i += 1,
                        b']' => {
                            c.i += 1;
                            break;
                        }
                        _ => return None,
                    }
                }
            }
            once(&mut events, evs)
        }
        "end" => once(
            &mut end,
            c.nullable(|c| match c.string()? {
                "deadline" => Some(WaitEnd::Deadline),
                "early" => Some(WaitEnd::Early),
                "interrupted" => Some(WaitEnd::Interrupted),
                _ => None,
            })?,
        ),
        "ok" => once(&mut ok, c.bool()?),
        "count" => once(&mut count, c.u64()?),
        _ => None,
    })?;
    let shape = [
        source.is_some(),
        key.is_some(),
        cancel.is_some() || completion.is_some(),
        events.is_some() || end.is_some(),
        ok.is_some(),
        count.is_some(),
    ];
    let shapes = shape.iter().filter(|s| **s).count();
    if let Some(error) = error {
        return (shapes == 0).then(|| CallResult::Error {
            error: error.to_string(),
            message: message.flatten().map(str::to_string),
            errno: errno.flatten().map(str::to_string),
        });
    }
    if shapes != 1 || message.is_some() || errno.is_some() {
        return None;
    }
    Some(match op {
        Op::AddSource { .. } => CallResult::Source { source: source? },
        Op::Register { .. } | Op::Submit { .. } => CallResult::Key { key: key? },
        Op::Cancel { .. } if count.is_some() => CallResult::Count { count: count? },
        Op::Cancel { .. } => CallResult::Cancel {
            cancel: cancel?.to_string(),
            completion: completion.flatten(),
        },
        Op::Wait { .. } => CallResult::Events {
            events: events?,
            end: end.flatten(),
        },
        Op::FutexWake { .. } => CallResult::Count { count: count? },
        _ if ok == Some(true) => CallResult::OK,
        _ => CallResult::Count { count: count? },
    })
}

/// The line `text`, if it is in the shape this scanner reads (see the
/// module documentation); `None` otherwise, whether it is well-formed or
/// not.
pub(crate) fn line(text: &str) -> Option<Line> {
    let mut c = Cur {
        b: text.as_bytes(),
        i: 0,
        s: text,
    };
    let (mut v, mut port, mut thread, mut call, mut ret) = (None, None, None, None, None);
    let (mut op, mut name, mut result) = (None, None, None);
    c.object(|c, k| match k {
        "v" => once(&mut v, c.u32()?),
        "port" => once(&mut port, c.nullable(Cur::u32)?),
        "thread" => once(&mut thread, c.nullable(Cur::u32)?),
        "call" => once(&mut call, c.u64()?),
        "ret" => once(&mut ret, c.nullable(Cur::u64)?),
        "op" => once(&mut name, c.string()?),
        "args" => once(&mut op, args(c, name?)?),
        "result" => {
            let r = c.nullable(|c| call_result(c, op.as_ref()?))?;
            once(&mut result, r)
        }
        _ => None,
    })?;
    c.ws();
    if c.i != c.b.len() {
        return None;
    }
    Some(Line {
        v: v?,
        port: port.flatten(),
        thread: thread.flatten(),
        call: call?,
        ret: ret.flatten(),
        op: op?,
        result: result.flatten(),
    })
}
