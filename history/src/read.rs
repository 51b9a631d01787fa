//! Reading lines. Every malformed line is an error naming the line, the
//! field (a path such as `args.mode` or `result.events[1].kind`) and what
//! is allowed; nothing is skipped.
//!
//! Allowed, and documented as such in `docs/history-format.md`: lines in
//! any order (the Port writes them in `ret` order; a checker sorts), a call
//! without `ret` (it never returned), a call without `result` (unknown).
//! Refused: a `ret` not after its `call`, a `result` without `ret`, a
//! timestamp used twice, two overlapping calls of one thread, a call of a
//! thread after its call that never returned or after its `exit`.

use crate::wire::{
    CallResult, Completion, Event, KeyRef, Line, Op, WaitEnd, FIRST_VERSION, VERSION,
};
use serde::de::DeserializeOwned;
use serde::Deserialize;
use serde_json::Value;
use std::collections::HashMap;
use std::fmt;

/// A malformed history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ReadError {
    /// 1-based line (0: the history as a whole).
    pub line: usize,
    /// The offending field, as a path (`args.mode`), if one is to blame.
    pub field: Option<String>,
    /// What is wrong and what is allowed.
    pub message: String,
}

impl fmt::Display for ReadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.line > 0 {
            write!(f, "line {}: ", self.line)?;
        }
        if let Some(field) = &self.field {
            write!(f, "`{field}`: ")?;
        }
        f.write_str(&self.message)
    }
}

impl std::error::Error for ReadError {}

fn err(field: Option<&str>, message: impl Into<String>) -> ReadError {
    ReadError {
        line: 0,
        field: field.map(str::to_string),
        message: message.into(),
    }
}

/// Deserializes `v` as a `T`, blaming the field path under `prefix`.
fn typed<T: DeserializeOwned>(v: Value, prefix: &str) -> Result<T, ReadError> {
    serde_path_to_error::deserialize::<_, T>(v).map_err(|e| {
        let path = e.path().to_string();
        let field = match (prefix, path.as_str()) {
            (p, ".") => p.to_string(),
            ("", q) => q.to_string(),
            (p, q) => format!("{p}.{q}"),
        };
        err(Some(&field), e.into_inner().to_string())
    })
}

#[derive(Deserialize)]
struct Stamps {
    v: u32,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    thread: Option<u32>,
    call: u64,
    #[serde(default)]
    ret: Option<u64>,
    op: String,
}

#[derive(Deserialize)]
struct ErrorResult {
    error: String,
    #[serde(default)]
    message: Option<String>,
    #[serde(default)]
    errno: Option<String>,
}

#[derive(Deserialize)]
#[serde(untagged)]
enum OkOrCount {
    Ok { ok: bool },
    Count { count: u64 },
}

#[derive(Deserialize)]
struct SourceResult {
    source: u32,
}

#[derive(Deserialize)]
struct KeyResult {
    key: KeyRef,
}

#[derive(Deserialize)]
struct CancelResult {
    cancel: String,
    #[serde(default)]
    completion: Option<Completion>,
}

#[derive(Deserialize)]
struct CountResult {
    count: u64,
}

#[derive(Deserialize)]
struct EventsResult {
    events: Vec<Event>,
    #[serde(default)]
    end: Option<WaitEnd>,
}

fn result(op: &Op, v: Value) -> Result<CallResult, ReadError> {
    let Value::Object(map) = &v else {
        return Err(err(Some("result"), "must be an object"));
    };
    if map.contains_key("error") {
        let e: ErrorResult = typed(v, "result")?;
        return Ok(CallResult::Error {
            error: e.error,
            message: e.message,
            errno: e.errno,
        });
    }
    Ok(match op {
        Op::AddSource { .. } => CallResult::Source {
            source: typed::<SourceResult>(v, "result")?.source,
        },
        Op::Register { .. } | Op::Submit { .. } => CallResult::Key {
            key: typed::<KeyResult>(v, "result")?.key,
        },
        Op::Cancel { .. } if map.contains_key("count") => CallResult::Count {
            count: typed::<CountResult>(v, "result")?.count,
        },
        Op::Cancel { .. } => {
            let c: CancelResult = typed(v, "result")?;
            CallResult::Cancel {
                cancel: c.cancel,
                completion: c.completion,
            }
        }
        Op::Wait { .. } => {
            let e: EventsResult = typed(v, "result")?;
            CallResult::Events {
                events: e.events,
                end: e.end,
            }
        }
        Op::FutexWake { .. } => CallResult::Count {
            count: typed::<CountResult>(v, "result")?.count,
        },
        _ => match typed::<OkOrCount>(v, "result").map_err(|e| ReadError {
            message: "expected {\"ok\": true} or {\"count\": N}".into(),
            ..e
        })? {
            OkOrCount::Ok { ok: true } => CallResult::OK,
            OkOrCount::Ok { ok: false } => {
                return Err(err(
                    Some("result.ok"),
                    "is false; a refusal is written {\"error\": NAME}",
                ))
            }
            OkOrCount::Count { count } => CallResult::Count { count },
        },
    })
}

/// Reads one line (`number` is its 1-based line number, for errors). The
/// checks that need other lines are [`read`]'s.
///
/// # Errors
///
/// A [`ReadError`] naming the line and the field.
pub fn read_line(number: usize, text: &str) -> Result<Line, ReadError> {
    line(text).map_err(|e| ReadError { line: number, ..e })
}

/// The common case in one pass: a well-formed line. Anything it does not
/// accept goes to [`line_checked`], which finds what is wrong and says so.
#[derive(Deserialize)]
struct Fast<'a> {
    v: u32,
    #[serde(default)]
    port: Option<u32>,
    #[serde(default)]
    thread: Option<u32>,
    call: u64,
    #[serde(default)]
    ret: Option<u64>,
    #[serde(borrow)]
    op: std::borrow::Cow<'a, str>,
    #[serde(borrow)]
    args: &'a serde_json::value::RawValue,
    #[serde(borrow, default)]
    result: Option<&'a serde_json::value::RawValue>,
}

fn fast(text: &str) -> Option<Line> {
    if let Some(l) = crate::scan::line(text) {
        // What the scanner reads is what serde reads: the same checks.
        return ((FIRST_VERSION..=VERSION).contains(&l.v) && valid(&l).is_ok()).then_some(l);
    }
    serde_fast(text)
}

/// [`fast`] through serde, for what the scanner does not read.
fn serde_fast(text: &str) -> Option<Line> {
    let f: Fast<'_> = serde_json::from_str(text).ok()?;
    if !(FIRST_VERSION..=VERSION).contains(&f.v) {
        return None;
    }
    // Tag first: serde reads `args` straight into the variant.
    let tagged = format!("{{\"op\":\"{}\",\"args\":{}}}", f.op, f.args.get());
    let op: Op = serde_json::from_str(&tagged).ok()?;
    let result = match f.result {
        None => None,
        Some(r) if r.get() == "null" => None,
        Some(r) => Some(fast_result(&op, r.get())?),
    };
    let l = Line {
        v: f.v,
        port: f.port,
        thread: f.thread,
        call: f.call,
        ret: f.ret,
        op,
        result,
    };
    valid(&l).ok()?;
    Some(l)
}

/// A well-formed result read straight from its text into its type (no
/// `Value` in between, no field path kept): [`result`] reads it the same
/// way, so where this answers it agrees, and anything it does not accept
/// (a refusal, a malformed or odd result) goes to [`line_checked`]. On the
/// Port's 100k-call, 64-source history, reading through a `Value` and
/// `serde_path_to_error` cost more instructions than the search.
fn fast_result(op: &Op, text: &str) -> Option<CallResult> {
    if text.contains("\"error\"") {
        // A refusal (a fifth of the Port's lines): read as [`result`]
        // reads one, whose first question is whether the object has an
        // `error` key. This one has it (a required field of
        // `ErrorResult`), once (serde refuses a duplicate field, which the
        // checked path words); anything else (a string that says
        // "error", a malformed refusal) goes to the checked path.
        let e: ErrorResult = serde_json::from_str(text).ok()?;
        return Some(CallResult::Error {
            error: e.error,
            message: e.message,
            errno: e.errno,
        });
    }
    #[derive(Deserialize)]
    struct OkCount {
        #[serde(default)]
        ok: Option<bool>,
        #[serde(default)]
        count: Option<u64>,
    }
    Some(match op {
        Op::AddSource { .. } => CallResult::Source {
            source: serde_json::from_str::<SourceResult>(text).ok()?.source,
        },
        Op::Register { .. } | Op::Submit { .. } => CallResult::Key {
            key: serde_json::from_str::<KeyResult>(text).ok()?.key,
        },
        Op::Cancel { .. } => {
            // `count` decides the shape, as in [`result`]: the checked
            // path reads that one.
            if text.contains("\"count\"") {
                return None;
            }
            let c: CancelResult = serde_json::from_str(text).ok()?;
            CallResult::Cancel {
                cancel: c.cancel,
                completion: c.completion,
            }
        }
        Op::Wait { .. } => {
            let e: EventsResult = serde_json::from_str(text).ok()?;
            CallResult::Events {
                events: e.events,
                end: e.end,
            }
        }
        Op::FutexWake { .. } => CallResult::Count {
            count: serde_json::from_str::<CountResult>(text).ok()?.count,
        },
        // `{"ok": true}` first, then `{"count": N}`, as `OkOrCount` tries
        // them; `{"ok": false}` is an error the checked path words.
        _ => match serde_json::from_str::<OkCount>(text).ok()? {
            OkCount { ok: Some(true), .. } => CallResult::OK,
            OkCount {
                ok: None,
                count: Some(count),
            } => CallResult::Count { count },
            _ => return None,
        },
    })
}

/// The checks of one line that need its fields typed.
fn valid(l: &Line) -> Result<(), ReadError> {
    if l.result.is_some() && l.ret.is_none() {
        return Err(err(
            Some("result"),
            "a call without `ret` never returned, so it has no result",
        ));
    }
    if let Some(ret) = l.ret {
        if ret <= l.call {
            return Err(err(
                Some("ret"),
                format!("{ret} must be greater than `call` ({})", l.call),
            ));
        }
    }
    if l.thread.is_none() && !l.op.is_environment() {
        return Err(err(
            Some("thread"),
            format!(
                "missing; `{}` is a thread's call (only environment steps may leave `thread` out, from version 2)",
                l.op.name()
            ),
        ));
    }
    if l.v < l.needs_version() {
        return Err(err(
            None,
            format!(
                "this line uses what version {} added (see docs/history-format.md, \"Version 2\"), but says \"v\":{}",
                l.needs_version(),
                l.v
            ),
        ));
    }
    Ok(())
}

fn line(text: &str) -> Result<Line, ReadError> {
    match fast(text) {
        Some(l) => Ok(l),
        None => line_checked(text),
    }
}

fn line_checked(text: &str) -> Result<Line, ReadError> {
    let value: Value =
        serde_json::from_str(text).map_err(|e| err(None, format!("not JSON: {e}")))?;
    let Value::Object(mut map) = value else {
        return Err(err(None, "expected a JSON object"));
    };
    match map.get("v").and_then(Value::as_u64) {
        Some(v) if (FIRST_VERSION as u64..=VERSION as u64).contains(&v) => {}
        Some(v) => {
            return Err(err(
                Some("v"),
                format!(
                "version {v} is not known; this reader knows versions {FIRST_VERSION} to {VERSION}"
            ),
            ))
        }
        None => {
            return Err(err(
                Some("v"),
                "missing or not an integer; every line names its format version",
            ))
        }
    }
    let args = map.remove("args");
    let result_value = map.remove("result");
    let stamps: Stamps = typed(Value::Object(map), "")?;
    let Some(args) = args else {
        return Err(err(
            Some("args"),
            "missing; an operation without arguments has `\"args\": {}`",
        ));
    };
    // Tag first, so that serde reads `args` straight into the variant and
    // the error path names the field (`args.mode`).
    let tagged = vec![("op", Value::String(stamps.op)), ("args", args)];
    let de = serde::de::value::MapDeserializer::<_, serde_json::Error>::new(tagged.into_iter());
    let op: Op = serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        err(
            Some(if path == "." { "op" } else { &path }),
            e.into_inner().to_string(),
        )
    })?;
    let result = match result_value {
        None | Some(Value::Null) => None,
        Some(_) if stamps.ret.is_none() => {
            return Err(err(
                Some("result"),
                "a call without `ret` never returned, so it has no result",
            ))
        }
        Some(r) => Some(result(&op, r)?),
    };
    let l = Line {
        v: stamps.v,
        port: stamps.port,
        thread: stamps.thread,
        call: stamps.call,
        ret: stamps.ret,
        op,
        result,
    };
    valid(&l)?;
    Ok(l)
}

/// Reads a whole history: blank lines are allowed, anything else must be a
/// line of a known version; then the checks across lines (see the module
/// documentation).
///
/// # Errors
///
/// The first [`ReadError`].
pub fn read(text: &str) -> Result<Vec<Line>, ReadError> {
    Ok(read_numbered(text)?.into_iter().map(|(_, l)| l).collect())
}

/// [`read`], with each line's 1-based number in the text.
///
/// # Errors
///
/// The first [`ReadError`].
pub fn read_numbered(text: &str) -> Result<Vec<(usize, Line)>, ReadError> {
    Ok(read_numbered_while(text, |_| true)?.unwrap_or_default())
}

/// Lines read between two calls of [`read_numbered_while`]'s `go_on`.
pub const READ_CHUNK: usize = 4096;

/// [`read_numbered`] that asks `go_on(lines read so far)` every
/// [`READ_CHUNK`] lines (and once before the checks across lines), and stops
/// with `None` as soon as it says no: a reader that holds a budget (the
/// time and memory of `onering verify`) while it reads a huge history.
///
/// # Errors
///
/// The first [`ReadError`] of the lines read before it stopped.
pub fn read_numbered_while(
    text: &str,
    mut go_on: impl FnMut(&[Line]) -> bool,
) -> Result<Option<Vec<(usize, Line)>>, ReadError> {
    let mut lines = Vec::new();
    let mut numbers = Vec::new();
    for (i, t) in text.lines().enumerate() {
        if i.is_multiple_of(READ_CHUNK) && !go_on(&lines) {
            return Ok(None);
        }
        if t.trim().is_empty() {
            continue;
        }
        lines.push(read_line(i + 1, t)?);
        numbers.push(i + 1);
    }
    if !go_on(&lines) {
        return Ok(None);
    }
    check_across(&lines, &numbers)?;
    Ok(Some(numbers.into_iter().zip(lines).collect()))
}

/// Unique stamps; one call at a time per thread; nothing after a thread's
/// call that never returned, or after its `exit`.
fn check_across(lines: &[Line], numbers: &[usize]) -> Result<(), ReadError> {
    let at = |i: usize, field: Option<&str>, message: String| ReadError {
        line: numbers[i],
        field: field.map(str::to_string),
        message,
    };
    let mut stamps: Vec<(u64, usize)> = Vec::with_capacity(lines.len() * 2);
    for (i, l) in lines.iter().enumerate() {
        stamps.push((l.call, i));
        if let Some(r) = l.ret {
            stamps.push((r, i));
        }
    }
    stamps.sort_unstable();
    for w in stamps.windows(2) {
        if w[0].0 == w[1].0 {
            let (a, b) = (w[0].1.min(w[1].1), w[0].1.max(w[1].1));
            return Err(at(
                b,
                None,
                format!(
                    "timestamp {} is used again (also on line {}); every reading of the counter is unique",
                    w[0].0, numbers[a]
                ),
            ));
        }
    }
    let mut by_thread: HashMap<(Option<u32>, u32), Vec<usize>> = HashMap::new();
    for (i, l) in lines.iter().enumerate() {
        if let Some(t) = l.thread {
            by_thread.entry((l.port, t)).or_default().push(i);
        }
    }
    // Ports do not share threads' numbering needs: a thread is one thread
    // whatever port it calls, so check across ports too.
    let mut threads: HashMap<u32, Vec<usize>> = HashMap::new();
    for ((_, t), v) in by_thread {
        threads.entry(t).or_default().extend(v);
    }
    let mut firsts: Vec<(usize, String)> = Vec::new();
    for (t, mut v) in threads {
        v.sort_unstable_by_key(|&i| lines[i].call);
        for w in v.windows(2) {
            let (a, b) = (&lines[w[0]], &lines[w[1]]);
            let why = match (a.ret, &a.op) {
                (_, Op::Exit {}) => Some(format!(
                    "thread {t} calls again after its `exit` on line {}",
                    numbers[w[0]]
                )),
                (None, _) => Some(format!(
                    "thread {t} calls again after its call on line {} that never returned",
                    numbers[w[0]]
                )),
                (Some(r), _) if r > b.call => Some(format!(
                    "thread {t} makes this call (at {}) while its call on line {} (until {r}) has not returned; a thread makes one call at a time",
                    b.call, numbers[w[0]]
                )),
                _ => None,
            };
            if let Some(why) = why {
                firsts.push((w[1], why));
                break;
            }
        }
    }
    if let Some((i, why)) = firsts.into_iter().min_by_key(|(i, _)| numbers[*i]) {
        return Err(at(i, None, why));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every line of the golden histories, and refusals written every way
    /// the checked path tells apart.
    fn lines() -> Vec<String> {
        let goldens = [
            include_str!("../tests/golden/v1-every-op.jsonl"),
            include_str!("../tests/golden/v2-disable.jsonl"),
            include_str!("../tests/golden/v2-edge-oneshot.jsonl"),
            include_str!("../tests/golden/v2-kernel-conformance.jsonl"),
            include_str!("../tests/golden/v2-notify.jsonl"),
            include_str!("../tests/golden/v2-read-write-interest.jsonl"),
            include_str!("../tests/golden/v2-several-ports.jsonl"),
            include_str!("../tests/golden/v2-wait-end.jsonl"),
        ];
        let head = r#"{"v":1,"thread":2,"call":7,"ret":8,"op":"complete","args":{"source":7,"result":39,"cancelled":false},"result":"#;
        let results = [
            r#"{"error":"not-in-flight","message":"operation s7 is not in flight"}"#,
            r#"{"error":"not-in-flight"}"#,
            r#"{"message":"m","error":"e","extra":1}"#,
            r#"{"error":"e","message":null}"#,
            r#"{"error":"e","errno":"ENOENT"}"#,
            r#"{"error":"a","error":"b"}"#,
            r#"{"error":3}"#,
            r#"{"error":null}"#,
            r#"{"ok":true,"message":"said \"error\" once"}"#,
            r#"{"ok":true,"note":"error"}"#,
            r#"{"ok":true,"tag":"\"error\""}"#,
        ];
        let mut all: Vec<String> = goldens
            .iter()
            .flat_map(|g| g.lines())
            .map(str::to_string)
            .collect();
        all.extend(results.iter().map(|r| format!("{head}{r}}}")));
        all.push(format!(
            "{}{}}}",
            head.replace(r#""v":1"#, r#""v":2"#),
            results[4]
        ));
        all.push(head.replace(r#","ret":8"#, "") + results[0] + "}");
        // Defaults, zeros and signs of the fields that have them.
        let t = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"#;
        for rest in [
            r#""complete","args":{"source":0},"result":{"ok":true}}"#,
            r#""complete","args":{"source":0,"result":0,"cancelled":false},"result":{"ok":true}}"#,
            r#""complete","args":{"source":0,"result":-7},"result":{"count":0}}"#,
            r#""stream_item","args":{"source":0},"result":{"ok":true}}"#,
            r#""stream_item","args":{"source":0,"value":0},"result":{"ok":true}}"#,
            r#""increment","args":{"source":0,"n":0},"result":{"ok":true}}"#,
            r#""futex_wake","args":{"source":0,"n":1},"result":{"count":0}}"#,
            r#""cancel","args":{"key":{"index":0,"generation":0},"mode":"reap"},"result":{"cancel":"removed","completion":{"result":0,"cancelled":false}}}"#,
            r#""cancel","args":{"key":{"index":0,"generation":0},"mode":"sync"},"result":{"cancel":"removed","completion":null}}"#,
            r#""wait","args":{"max":3,"timeout":"block"},"result":{"events":[{"kind":"item","key":{"index":0,"generation":0}},{"kind":"item","key":{"index":1,"generation":0},"value":0},{"kind":"final","key":{"index":2,"generation":1},"result":0,"cancelled":true}]}}"#,
            r#""wait","args":{"max":1,"timeout":"deadline"},"result":{"events":[{"kind":"final","key":{"index":2,"generation":1},"result":null,"cancelled":false}],"end":null}}"#,
        ] {
            all.push(format!("{t}{rest}"));
        }
        all
    }

    #[test]
    fn the_fast_reader_agrees_with_the_checked_one_wherever_it_answers() {
        let mut answered = 0;
        for text in lines() {
            if let Some(fast) = fast(&text) {
                answered += 1;
                assert_eq!(Ok(fast), line_checked(&text), "{text}");
            }
        }
        assert!(answered >= 40, "the fast path answered {answered} lines");
    }

    /// The scanner's answer, where it gives one, is the checked reader's
    /// (or a line the same checks refuse).
    fn agrees(text: &str) -> bool {
        let Some(got) = crate::scan::line(text) else {
            return true;
        };
        match line_checked(text) {
            Ok(want) => want == got,
            Err(_) => !(FIRST_VERSION..=VERSION).contains(&got.v) || valid(&got).is_err(),
        }
    }

    /// `text` changed at each place `from` occurs, one place at a time.
    fn each_place(text: &str, from: &str, to: &str) -> Vec<String> {
        text.match_indices(from)
            .map(|(i, _)| format!("{}{to}{}", &text[..i], &text[i + from.len()..]))
            .collect()
    }

    /// What a writer other than the Port's may do, and what is malformed:
    /// spacing, other numbers, literals, escapes, keys unknown, repeated,
    /// left out or moved.
    fn mutants(text: &str) -> Vec<String> {
        let mut out = Vec::new();
        for (from, to) in [
            (":", ": "),
            (",", " ,\t"),
            ("{", "{ "),
            ("}", " }"),
            ("[", "[ "),
            ("]", "] "),
            ("0", "-0"),
            ("1", "01"),
            ("1", "-1"),
            ("1", "1.0"),
            ("1", "1e2"),
            ("1", "18446744073709551616"),
            ("1", "4294967296"),
            ("1", "9223372036854775808"),
            ("1", "-9223372036854775808"),
            ("1", "null"),
            ("1", "\"1\""),
            ("true", "false"),
            ("false", "true"),
            ("true", "null"),
            ("null", "0"),
            ("a", "\\u0061"),
            ("e", "\u{7}"),
            ("\"", "\"x\":0,\""),
            ("\"ret\":", "\"ret\":1,\"ret\":"),
            (
                "\"key\":",
                "\"key\":{\"index\":0,\"generation\":0},\"key\":",
            ),
            ("\"error\":", "\"ok\":true,\"error\":"),
            ("\"ok\":true", "\"count\":2"),
            ("\"events\":[", "\"end\":\"deadline\",\"events\":["),
            ("\"events\":[]", "\"events\":[],\"end\":null"),
            ("\"result\":", "\"result\":null,\"x\":"),
            ("\"thread\":0,", ""),
            ("\"v\":1", "\"v\":3"),
            ("\"v\":1", "\"v\":2,\"port\":1"),
        ] {
            out.extend(each_place(text, from, to));
        }
        // `op` after `args`, and a line cut short.
        if let (Some(o), Some(a)) = (text.find(",\"op\":"), text.find(",\"args\":")) {
            let op_end = a;
            let moved = format!(
                "{}{}{}",
                &text[..o],
                &text[a..text.len() - 1],
                &text[o..op_end]
            );
            out.push(moved + "}");
        }
        out.push(text[..text.len() / 2].to_string());
        out.push(format!("{text} x"));
        out
    }

    #[test]
    fn the_scanner_reads_what_the_checked_reader_reads_or_passes() {
        let mut scanned = 0;
        let mut tried = 0;
        for text in lines() {
            for m in std::iter::once(text.clone()).chain(mutants(&text)) {
                tried += 1;
                assert!(agrees(&m), "{m}");
                scanned += usize::from(crate::scan::line(&m).is_some());
            }
        }
        // It reads the common lines, and passes many of their mutants on.
        assert!(scanned > 1000 && scanned < tried, "{scanned} of {tried}");
    }

    /// The bench's recorded histories (`$ONERING_BENCH_HISTORIES`), every
    /// line: `cargo test -p onering-history -- --ignored`.
    #[test]
    #[ignore = "needs the bench's histories"]
    fn the_scanner_agrees_on_every_line_of_the_bench_histories() {
        let dir = std::env::var("ONERING_BENCH_HISTORIES").expect("ONERING_BENCH_HISTORIES");
        let mut scanned = 0usize;
        for f in std::fs::read_dir(dir).expect("a directory") {
            let text = std::fs::read_to_string(f.expect("an entry").path()).expect("text");
            for l in text.lines() {
                assert!(agrees(l), "{l}");
                scanned += usize::from(crate::scan::line(l).is_some());
            }
        }
        assert!(scanned > 0);
    }

    #[test]
    fn a_refusal_is_read_by_the_fast_reader() {
        let line = r#"{"v":1,"thread":2,"call":7,"ret":8,"op":"complete","args":{"source":7,"result":39,"cancelled":false},"result":{"error":"not-in-flight","message":"operation s7 is not in flight"}}"#;
        let want = CallResult::Error {
            error: "not-in-flight".into(),
            message: Some("operation s7 is not in flight".into()),
            errno: None,
        };
        assert_eq!(fast(line).and_then(|l| l.result), Some(want));
    }
}
