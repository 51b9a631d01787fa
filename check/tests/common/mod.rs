//! A history built call by call, for the history checker's tests: `seq`
//! calls are sequential, `at` calls take the stamps given; the lines are
//! checked in the order of their returns, as the format has them.

use onering_check::history::{verify_text, Call, Options, Report};
use onering_history::{to_jsonl, CallResult, KeyRef, Line, Op};
use onering_model::{Mode, Rules, SourceKind};

/// Generation 0 of key `index`.
pub fn key(index: u32) -> KeyRef {
    KeyRef {
        index,
        generation: 0,
    }
}

#[derive(Default)]
pub struct H {
    pub lines: Vec<Line>,
    pub t: u64,
}

impl H {
    pub fn seq(&mut self, thread: u32, op: Op, result: CallResult) -> &mut Self {
        self.lines
            .push(Line::new(thread, self.t + 1, self.t + 2, op, result));
        self.t += 2;
        self
    }
    pub fn at(
        &mut self,
        thread: u32,
        call: u64,
        ret: u64,
        op: Op,
        result: CallResult,
    ) -> &mut Self {
        self.lines.push(Line::new(thread, call, ret, op, result));
        self.t = self.t.max(ret);
        self
    }
    /// A call of `thread` invoked now that never returned (its result
    /// unknown).
    #[allow(dead_code)] // not every test file has one
    pub fn never_returned(&mut self, thread: u32, op: Op) -> &mut Self {
        let mut l = Line::new(thread, self.t + 1, 0, op, CallResult::OK);
        l.ret = None;
        l.result = None;
        self.lines.push(l);
        self.t += 1;
        self
    }
    /// A new source of `kind` (numbered in order).
    pub fn source(&mut self, kind: SourceKind) -> &mut Self {
        let source = self
            .lines
            .iter()
            .filter(|l| matches!(l.op, Op::AddSource { .. }))
            .count() as u32;
        self.seq(0, Op::AddSource { kind }, CallResult::Source { source })
    }
    #[allow(dead_code)] // not every test file registers
    pub fn register(&mut self, source: u32, mode: Mode, index: u32) -> &mut Self {
        self.seq(
            0,
            Op::Register {
                source,
                mode,
                interest: None,
                edge: false,
            },
            CallResult::Key { key: key(index) },
        )
    }
    /// The calls and the verdict, within 60 s.
    pub fn check(&self, rules: &Rules) -> (Vec<Call>, Report) {
        let mut lines = self.lines.clone();
        lines.sort_by_key(|l| l.ret.unwrap_or(u64::MAX));
        verify_text(
            &to_jsonl(&lines),
            rules,
            &Options {
                max_seconds: Some(60.0),
                max_memory: None,
            },
            |_, _, _| {},
        )
        .unwrap_or_else(|e| panic!("{e}\n{}", to_jsonl(&lines)))
    }
}
