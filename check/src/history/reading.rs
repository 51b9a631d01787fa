//! Reading a history inside the budgets of `onering verify`.
//!
//! `--max-seconds` counts from the start of the command, reading the file
//! included, and `--max-memory` bounds what reading holds too: the text,
//! and the lines read from it. A history too big for its budget therefore
//! stops with no verdict (exit 3) while it is read, not after it was read
//! whole (the benchmark's 1M-call histories are 140 to 180 MB of text).
//!
//! Both look at the clock and the bytes every
//! [`onering_history::READ_CHUNK`] lines and every 1 MiB of text read, so a
//! stop comes within a few milliseconds of the budget.

use super::linearize::Budget;
use super::parse::{from_lines, ParseError, Parsed};
use super::{NoVerdict, Options};
use onering_history::Line;
use onering_model::Rules;
use std::io::Read;
use std::time::Instant;

/// Bytes of text read between two looks at the budget.
const TEXT_CHUNK: usize = 1 << 20;

/// A history's text, read from `from` within the budgets of `options`
/// counted from `start` (the command's start): `Ok(Err(why))` if a budget
/// ran out first.
///
/// # Errors
///
/// What reading `from` failed with (not UTF-8, an I/O error).
pub fn read_text(
    mut from: impl Read,
    options: &Options,
    start: Instant,
) -> Result<Result<String, NoVerdict>, std::io::Error> {
    let budget = &options.budget(start);
    let mut bytes: Vec<u8> = Vec::new();
    let mut chunk = vec![0u8; TEXT_CHUNK];
    loop {
        if let Some(stop) = over(budget, bytes.len() as u64) {
            return Ok(Err(stop));
        }
        let n = match from.read(&mut chunk) {
            Ok(0) => break,
            Ok(n) => n,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
            Err(e) => return Err(e),
        };
        bytes.extend_from_slice(&chunk[..n]);
    }
    String::from_utf8(bytes)
        .map(Ok)
        .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
}

/// Why `budget` stops a reader that holds `bytes`, if it does.
fn over(budget: &Budget, bytes: u64) -> Option<NoVerdict> {
    if budget.deadline.is_some_and(|d| Instant::now() >= d) {
        return Some(NoVerdict::Time { explored: 0 });
    }
    if budget.max_bytes.is_some_and(|m| bytes > m) {
        return Some(NoVerdict::Memory { bytes });
    }
    None
}

/// Bytes the events of `lines`' waits hold (beside the lines themselves).
fn events_bytes(lines: &[Line]) -> u64 {
    use onering_history::CallResult;
    let events: usize = lines
        .iter()
        .map(|l| match &l.result {
            Some(CallResult::Events { events, .. }) => events.capacity(),
            _ => 0,
        })
        .sum();
    (std::mem::size_of::<onering_history::Event>() * events) as u64
}

/// [`super::parse_history`] within the budgets of `options` counted from
/// `start`: the text and the lines read from it count against
/// `max_memory`, and `max_seconds` stops the reading.
/// `Ok(Err(why))`: a budget ran out before the history was read.
///
/// # Errors
///
/// A malformed history (the first bad line read before any stop).
pub fn parse_history_within(
    text: &str,
    rules: &Rules,
    options: &Options,
    start: Instant,
) -> Result<Result<Parsed, NoVerdict>, ParseError> {
    let budget = &options.budget(start);
    let mut stop = None;
    let mut events = 0u64;
    let mut counted = 0usize;
    let read = onering_history::read_numbered_while(text, |lines| {
        // The events of the lines added since the last look; the lines
        // themselves by the room they take.
        events += events_bytes(&lines[counted..]);
        counted = lines.len();
        let held = text.len() as u64
            + (std::mem::size_of::<(usize, Line)>() * lines.len()) as u64
            + events;
        stop = over(budget, held);
        stop.is_none()
    })?;
    match (read, stop) {
        (Some(lines), _) => from_lines(&lines, rules).map(Ok),
        (None, Some(why)) => Ok(Err(why)),
        (None, None) => unreachable!("the reader stops only when told"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_text_longer_than_the_memory_budget_stops_while_it_is_read() {
        let budget = Options {
            max_seconds: None,
            max_memory: Some(3 * TEXT_CHUNK as u64),
        };
        let text = vec![b' '; 10 * TEXT_CHUNK];
        let got = read_text(&text[..], &budget, Instant::now()).expect("reads");
        assert!(
            matches!(got, Err(NoVerdict::Memory { bytes }) if bytes <= 4 * TEXT_CHUNK as u64),
            "{got:?}"
        );
        let roomy = Options {
            max_seconds: None,
            max_memory: Some(11 * TEXT_CHUNK as u64),
        };
        assert_eq!(
            read_text(&text[..], &roomy, Instant::now())
                .expect("reads")
                .map(|t| t.len()),
            Ok(text.len())
        );
    }
}
