//! Writing lines: serde, one object per line. The only JSON writer of
//! histories in the workspace.

use crate::wire::{CallResult, Line, Op};
use serde::Serialize;
use std::io;

/// The wire shape of a line: `op` and `args` are the [`Op`]'s own tag and
/// content, flattened beside the stamps.
#[derive(Serialize)]
struct Out<'a> {
    v: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    port: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    thread: Option<u32>,
    call: u64,
    #[serde(skip_serializing_if = "Option::is_none")]
    ret: Option<u64>,
    #[serde(flatten)]
    op: &'a Op,
    #[serde(skip_serializing_if = "Option::is_none")]
    result: Option<&'a CallResult>,
}

impl<'a> From<&'a Line> for Out<'a> {
    fn from(l: &'a Line) -> Self {
        Out {
            v: l.v,
            port: l.port,
            thread: l.thread,
            call: l.call,
            ret: l.ret,
            op: &l.op,
            result: l.result.as_ref(),
        }
    }
}

/// Writes one line (with its `\n`).
///
/// # Errors
///
/// Whatever `w` returns.
pub fn write_line<W: io::Write>(mut w: W, line: &Line) -> io::Result<()> {
    serde_json::to_writer(&mut w, &Out::from(line)).map_err(io::Error::other)?;
    w.write_all(b"\n")
}

/// The lines as JSON Lines text.
pub fn to_jsonl(lines: &[Line]) -> String {
    let mut out = Vec::with_capacity(lines.len() * 128);
    for l in lines {
        write_line(&mut out, l).expect("writing to a Vec cannot fail");
    }
    String::from_utf8(out).expect("serde_json writes UTF-8")
}

/// A writer of lines to any [`io::Write`] (buffer it yourself).
pub struct Writer<W: io::Write> {
    w: W,
}

impl<W: io::Write> Writer<W> {
    /// A writer over `w`.
    pub fn new(w: W) -> Self {
        Writer { w }
    }

    /// Writes one line.
    ///
    /// # Errors
    ///
    /// Whatever the underlying writer returns.
    pub fn write(&mut self, line: &Line) -> io::Result<()> {
        write_line(&mut self.w, line)
    }

    /// The underlying writer.
    pub fn into_inner(self) -> W {
        self.w
    }
}
