//! The three comparison pages, one per question of the seed posts (Lokier
//! 2002, Myers 2003): duplicate events under a thread pool, cancellation,
//! re-arm. Each puts every mechanism side by side (its rule choices and its
//! verdicts, read off the model and the check), shows what goes wrong with
//! a machine-found trace, and what `unified` does instead.

use super::matrix::{capital, cell};
use super::{trace, vocab, Ctx};
use crate::check::ProfileReport;
use onering_model::{LevelRequeue, OpCancel, Property, ReadinessCancel, Rules};
use std::collections::BTreeSet;
use std::fmt::Write;

fn yes(b: bool) -> &'static str {
    if b {
        "yes"
    } else {
        "no"
    }
}

/// The cancel answers the model gave under `name` at the small bound, in
/// the mechanism's words.
fn answers(ctx: &Ctx, name: &str) -> String {
    let mut set = BTreeSet::new();
    for lc in &ctx.lifecycles[name] {
        for (step, f) in &lc.steps {
            if step.starts_with("cancel") {
                // The profile pages say which answers follow a close; here
                // only the answers themselves.
                set.extend(
                    f.results
                        .iter()
                        .filter(|r| r.starts_with('`'))
                        .map(|r| r.trim_end_matches(" (source closed)").to_string()),
                );
            }
        }
    }
    set.into_iter().collect::<Vec<_>>().join(", ")
}

fn verdicts(ctx: &Ctx, r: &ProfileReport, props: &[Property]) -> String {
    props
        .iter()
        .map(|p| cell(ctx, r, *p, "../"))
        .collect::<Vec<_>>()
        .join(" | ")
}

/// The one table builder of these pages: a header of `columns` (left
/// aligned) then one centred verdict column per property, linked to the
/// matrix; rows start with the profile, linked to its page.
struct Table(String);

impl Table {
    fn new(columns: &[&str], props: &[Property]) -> Table {
        let verdicts = props
            .iter()
            .map(|p| format!("[`{0}`](../matrix.md#{0})", p.id()));
        let head: Vec<String> = std::iter::once("profile".to_string())
            .chain(columns.iter().map(|c| c.to_string()))
            .chain(verdicts)
            .collect();
        let rule: Vec<&str> = std::iter::repeat_n("---", columns.len() + 1)
            .chain(std::iter::repeat_n(":---:", props.len()))
            .collect();
        Table(format!("| {} |\n|{}|\n", head.join(" | "), rule.join("|")))
    }

    /// A row: the profile, then `cells`.
    fn row(&mut self, profile: &str, cells: &[&str]) {
        let _ = writeln!(
            self.0,
            "| [`{profile}`](../profiles/{profile}.md) | {} |",
            cells.join(" | ")
        );
    }
}

/// How `name` calls the model steps its lifecycles take that `pick`
/// chooses, in the mechanism's words.
fn mechanism_calls(ctx: &Ctx, name: &str, pick: impl Fn(&str) -> bool) -> BTreeSet<String> {
    let mut calls = BTreeSet::new();
    for lc in &ctx.lifecycles[name] {
        for step in lc.steps.keys().filter(|s| pick(s)) {
            calls.insert(call_or(name, step, &format!("`{step}`")));
        }
    }
    calls
}

/// `unified`'s verdicts on `props`, for "at the bound" sentences.
fn unified_verdicts(ctx: &Ctx, props: &[Property]) -> Option<String> {
    let u = ctx.report("unified")?;
    Some(
        props
            .iter()
            .map(|p| format!("`{}` {}", p.id(), cell(ctx, u, *p, "../")))
            .collect::<Vec<_>>()
            .join(", "),
    )
}

/// The first trace of `props` of each real mechanism (not `unified`).
fn mechanism_traces(ctx: &Ctx, props: &[Property]) -> String {
    let real = ctx.real.iter().copied();
    traces(ctx, real.filter(|r| r.rules.name != "unified"), props)
}

/// The first trace of `props` of each of `reports` that has one.
fn traces<'a>(
    ctx: &Ctx,
    reports: impl IntoIterator<Item = &'a ProfileReport>,
    props: &[Property],
) -> String {
    reports
        .into_iter()
        .filter_map(|r| first_trace(ctx, r, props))
        .collect()
}

/// The first of `props` that `r` violates, with its trace, then the same
/// steps taken under `unified` where it has the scenario.
fn first_trace(ctx: &Ctx, r: &ProfileReport, props: &[Property]) -> Option<String> {
    let p = props
        .iter()
        .copied()
        .find(|p| r.property(*p).violation.is_some())?;
    let (sc, t) = r.property(p).violation.as_ref()?;
    let tok = ctx.token(r, p)?;
    let name = r.rules.name;
    // Spec mutants have no page of their own: say what was broken.
    let more = if r.rules.is_spec_mutant() {
        format!("spec mutant: {}", r.rules.summary)
    } else {
        format!("[all of `{name}`'s counterexamples](../profiles/{name}.md#counterexamples)")
    };
    let mut out = format!(
        "### `{name}`: `{}`\n\n{}. Scenario `{sc}`, {} steps ({more}):\n\n{}",
        p.id(),
        capital(p.statement()),
        t.steps.len(),
        trace::render(&r.rules, t, ctx.bound.threads, Some(p), Some(&tok))
    );
    // A spec mutant differs from `unified` in one rule, which its
    // property's statement names; replaying its steps under `unified`
    // shows the same timeline, so only the real mechanisms get one.
    if !r.rules.is_spec_mutant() {
        out.push_str(&under_unified(ctx, *sc, t));
    }
    Some(out)
}

/// "The same steps under `unified`": the counterexample's actions replayed
/// in the unified model, so the two tables can be read side by side.
fn under_unified(ctx: &Ctx, sc: onering_model::Scenario, t: &crate::explore::Trace) -> String {
    let Some(u) = ctx.report("unified") else {
        return String::new();
    };
    if sc.fits(&u.rules).is_err() {
        return format!(
            "`unified` has no `{sc}` scenario, so these steps have no counterpart there.\n\n"
        );
    }
    let actions: Vec<onering_model::Action> = t.steps.iter().map(|s| s.action).collect();
    match trace::same_steps(u.rules, sc, ctx.bound, &actions) {
        Ok((ut, stopped)) => {
            let mut out = String::from("The same steps under `unified`:\n\n");
            let violated =
                ut.steps.iter().any(|s| s.obs.violated != 0) || ut.final_obs.violated != 0;
            out.push_str(&trace::render(&u.rules, &ut, ctx.bound.threads, None, None));
            if let Some(i) = stopped {
                let _ = writeln!(
                    out,
                    "Step {} (`{}`) is not enabled under `unified` after these: the run ends there.\n",
                    i + 1,
                    actions[i]
                );
            }
            if !violated {
                out.push_str("No property is violated.\n\n");
            }
            out
        }
        Err(e) => format!("(The same steps could not be replayed under `unified`: {e}.)\n\n"),
    }
}

fn call_or(name: &str, step: &str, model: &str) -> String {
    vocab::call(name, step).map_or(model.to_string(), |c| c.0.to_string())
}

fn duplicates(ctx: &Ctx) -> String {
    let props = [Property::NoDuplicateDelivery, Property::TeardownSafe];
    let mut out = String::from("# Can two threads get the same event?\n\n");
    out.push_str("> If multiple threads each call `epoll_wait()` on the same eventpoll fd, the application can easily end up with multiple threads simultaneously handling identical events. Worse, the application cannot tell how many of these duplicate events are outstanding, so tear-down becomes nigh impossible.\n>\n> — John Myers, *Comparing the aio and epoll event frameworks*, linux-kernel, May 2003\n\n");
    out.push_str("## Side by side\n\nWhat each profile's rules say (from its `Rules` value) and what the exhaustive check found:\n\n");
    let mut table = Table::new(
        &[
            "one thread holds a registration at a time",
            "a still-true level condition is queued again",
        ],
        &props,
    );
    for r in &ctx.real {
        let rq = match r.rules.level_requeue {
            LevelRequeue::AfterDelivery => "right after delivery: the next waiter gets it too",
            LevelRequeue::AfterRelease => "when the holder releases it",
        };
        let rq = if r
            .runs
            .iter()
            .any(|x| !x.scenario.is_mixed() && x.scenario.mode == onering_model::Mode::Level)
        {
            rq
        } else {
            "— (no level-triggered mode: one delivery per request or association)"
        };
        table.row(
            r.rules.name,
            &[yes(r.rules.exclusive_hold), rq, &verdicts(ctx, r, &props)],
        );
    }
    out.push_str(&table.0);
    out.push_str("\n## What goes wrong\n\nThe shortest traces the explorer found (T0, T1 are threads; `env` is the device, the clock, the other side of the socket):\n\n");
    out.push_str(&mechanism_traces(ctx, &props));
    out.push_str("Where a profile holds here, it is because every registration there is delivered once and must be asked for again (aio, IOCP, event ports): Myers' \"one event per submission rule\", paid for by a new submission per event.\n\n");
    out.push_str("## What `unified` does instead\n\n");
    out.push_str("A registration is handed to **one thread at a time**. A thread *holds* an event from the moment its `wait` returns it until that thread's next `wait`, `rearm` or `cancel` of that key; while it is held, a new wake-up (or a level condition that is still true) stays queued and no other thread's `wait` returns it. When the holder releases it, a still-true level condition is queued again, so nothing is lost — and a `Dispatch` registration re-arms at the holder's next `wait`, so a thread pool needs no re-arm call at all.\n\n");
    if let Some(u) = unified_verdicts(ctx, &props) {
        let _ = writeln!(
            out,
            "At the bound `{}`: {u} — see the [`unified` lifecycle](../profiles/unified.md#lifecycle).\n",
            ctx.bound,
        );
    }
    let broken: Vec<&ProfileReport> = ctx
        .mutants
        .iter()
        .copied()
        .filter(|m| m.rules.mutant_dispatch_requeue || !m.rules.exclusive_hold)
        .collect();
    for m in broken {
        out.push_str("The rule is load-bearing: break it and the check finds the duplicate.\n\n");
        out.push_str(&traces(ctx, [m], &props));
    }
    out
}

fn cancellation(ctx: &Ctx) -> String {
    let props = [
        Property::TeardownSafe,
        Property::HonestCancel,
        Property::NoEventAfterCancel,
        Property::ExactlyOneTerminal,
    ];
    let mut out = String::from("# When may I free my state after a cancel?\n\n");
    out.push_str("> The biggest difference between the two frameworks is in the cancellation semantics. epoll gives single threaded callers a guarantee that after a legitimate cancel (`EPOLL_CTL_DEL`) operation returns to the caller there is no possibility of an in-progress event for the canceled request being delivered through a subsequent call to `epoll_wait()`. […] Thread pool applications, on the other hand, have to deal with cancel/complete races anyway. Some other thread could have read the event immediately before the cancel call.\n>\n> — John Myers, 2003\n\n");
    out.push_str("## Side by side\n\nThe cancel call, the answers the model gave at the small bound in the mechanism's own words, and what each answer claims (the model fixes each answer's claim; `honest-cancel` judges it):\n\n");
    let mut table = Table::new(&["cancel", "answers", "what they claim"], &[]);
    for r in &ctx.real {
        let name = r.rules.name;
        let calls = mechanism_calls(ctx, name, |s| s.starts_with("cancel("));
        let claims = if r.rules.op_cancel_modes.is_empty() {
            readiness_rule(&r.rules).to_string()
        } else {
            format!(
                "readiness: {}<br>operations: {}",
                readiness_rule(&r.rules),
                op_rule(&r.rules)
            )
        };
        let calls = calls.into_iter().collect::<Vec<_>>().join(", ");
        table.row(name, &[&calls, &answers(ctx, name), &claims]);
    }
    out.push_str(&table.0);
    let _ = writeln!(out, "\nThe verdicts at the bound `{}`:\n", ctx.bound);
    let mut table = Table::new(&[], &props);
    for r in &ctx.real {
        table.row(r.rules.name, &[&verdicts(ctx, r, &props)]);
    }
    out.push_str(&table.0);
    out.push_str("\n## What goes wrong\n\n");
    out.push_str(&mechanism_traces(ctx, &props));
    out.push_str("## What `unified` does instead\n\n");
    out.push_str("A cancel's answer says who won, and is the one place the caller learns when it may free its state:\n\n");
    out.push_str("- **`Removed`** — terminal now: nothing is queued, in flight or held by another thread. Free your state.\n- **`Pending`** — another thread holds an event for the key; exactly one final event, flagged cancelled, is queued when that thread releases it. Free your state when it arrives (whichever thread gets it).\n- **`NotFound`** — the terminal outcome was already delivered.\n\nFor operations, `Async` asks the operation to stop and never removes a queued completion (exactly one final event follows: cancelled if the cancel won, the operation's own result if the completion won); `Reap` also takes a queued, undelivered final event out of the queue and returns it: `Removed{completion}`.\n\n");
    if let Some(u) = unified_verdicts(ctx, &props) {
        let _ = writeln!(
            out,
            "Answers the model gave under `unified` at the small bound: {}. At the bound `{}`: {u}.\n",
            answers(ctx, "unified"),
            ctx.bound,
        );
    }
    out.push_str("Each part of the rule is load-bearing; the spec mutants that break one are caught:\n\n| mutant | broken rule | caught by |\n|---|---|---|\n");
    for m in ctx.mutants.iter().filter(|m| {
        m.rules.mutant_no_purge
            || m.rules.mutant_removed_while_held
            || m.rules.mutant_lying_cancel
            || m.rules.mutant_double_final
            || m.rules.mutant_lost_final
    }) {
        let caught: Vec<String> = props
            .iter()
            .filter_map(|p| {
                ctx.token(m, *p)
                    .map(|t| format!("`{}` (`onering check --replay {t}`)", p.id()))
            })
            .collect();
        let _ = writeln!(
            out,
            "| `{}` | {} | {} |",
            m.rules.name,
            m.rules.summary,
            caught.join("<br>")
        );
    }
    out
}

fn readiness_rule(r: &Rules) -> &'static str {
    match r.readiness_cancel {
        ReadinessCancel::Purge => {
            "purges the queue and answers success whatever other threads hold"
        }
        ReadinessCancel::Unified => {
            "`Removed` when nobody else holds it, else `Pending` + one final event"
        }
        ReadinessCancel::Dissociate => "`0` removed before retrieval, `ENOENT` already retrieved",
        ReadinessCancel::AsOperation => "readiness is a poll request: cancelled like an operation",
    }
}

fn op_rule(r: &Rules) -> String {
    if r.op_cancel_modes.is_empty() {
        return "— (no operations)".into();
    }
    match r.op_cancel {
        OpCancel::Unified => "`Async` (one final follows) and `Reap` (takes a queued final)".into(),
        OpCancel::LinuxAio => "`-EINPROGRESS` (final follows) or `-EINVAL` (too late, *or* not cancellable)".into(),
        OpCancel::IoUring => "`0` / `-EALREADY` / `-ENOENT`; the target posts its own final CQE, before or after the cancel's".into(),
        OpCancel::Iocp => "`TRUE` (one packet follows, aborted or not) or `ERROR_NOT_FOUND`".into(),
    }
}

fn rearm(ctx: &Ctx) -> String {
    let props = [Property::RearmRechecksLevel, Property::NoLostWakeup];
    let mut out = String::from("# Re-arming a one-shot registration\n\n");
    out.push_str("> Should the cost of submission turn out to be significant […] some of this could be amortized by extending the aio framework with a method for a thread which has obtained an intermediate event to \"re-arm\" the operation once the thread has finished processing it.\n>\n> — John Myers, 2003\n\n");
    out.push_str("A thread pool wants each registration delivered to one thread, and the next event only once that thread is done: a one-shot registration that the finishing thread re-arms. The re-arm must look at the condition *now*: data that arrived while the registration was disarmed produced no wake-up that a re-arm could wait for.\n\n## Side by side\n\n");
    let mut table = Table::new(
        &[
            "one-shot modes",
            "re-arm call",
            "re-arm re-checks the condition",
            "re-armed implicitly at the holder's next wait",
        ],
        &props,
    );
    for r in &ctx.real {
        let name = r.rules.name;
        let modes: BTreeSet<String> = r
            .runs
            .iter()
            .filter(|x| {
                !x.scenario.is_mixed()
                    && matches!(
                        x.scenario.mode,
                        onering_model::Mode::Oneshot | onering_model::Mode::Dispatch
                    )
            })
            .map(|x| format!("`{}`", x.scenario.mode.name()))
            .collect();
        let calls = mechanism_calls(ctx, name, |s| s == "rearm" || s.starts_with("modify("));
        let calls = if calls.is_empty() {
            format!(
                "none; submit again: {}",
                call_or(name, "submit", "`submit`")
            )
        } else {
            calls.into_iter().collect::<Vec<_>>().join(", ")
        };
        let modes = if modes.is_empty() {
            "—".to_string()
        } else {
            modes.into_iter().collect::<Vec<_>>().join(", ")
        };
        table.row(
            name,
            &[
                &modes,
                &calls,
                yes(r.rules.rearm_rechecks),
                yes(r.rules.dispatch_rearm_on_wait),
                &verdicts(ctx, r, &props),
            ],
        );
    }
    out.push_str(&table.0);
    let real_breaks = traces(ctx, ctx.real.iter().copied(), &props);
    out.push_str("\n## What goes wrong\n\n");
    if real_breaks.is_empty() {
        out.push_str("Every real mechanism's re-arm re-checks the current condition (the notes' key finding 2), and the check finds no lost wake-up in any of them at this bound. What goes wrong is what a re-arm that did *not* re-check would do — the spec mutant that breaks exactly that rule shows it:\n\n");
    }
    out.push_str(&real_breaks);
    out.push_str(&traces(
        ctx,
        ctx.mutants
            .iter()
            .copied()
            .filter(|m| !m.rules.rearm_rechecks),
        &props,
    ));
    out.push_str("What a re-arm cannot recover in any mechanism is an *edge* that came and went while disarmed: only a condition that still holds is reported again.\n\n");
    out.push_str("## What `unified` does instead\n\n");
    out.push_str("The default mode is `Dispatch`: a delivery disarms the registration, and the holding thread's **next `wait` re-arms it** (re-checking the condition, so a still-readable fd is queued again at once). The thread pool's loop is just `wait` → handle → `wait`; there is no re-arm call to forget and no window in which another thread gets the registration, because the re-arm happens when the holder releases it. An explicit `rearm(key)` exists for a thread that wants to release early; `modify` switches between `level` and `dispatch`. Every re-arm — `rearm`, `modify`, `register`, the implicit one — re-checks the condition.\n\n");
    if let Some(u) = unified_verdicts(ctx, &props) {
        let _ = writeln!(
            out,
            "At the bound `{}`: {u}. The [`unified` lifecycle](../profiles/unified.md#lifecycle) shows `Disarmed` → `Armed` on `wait`.\n",
            ctx.bound,
        );
    }
    out
}

/// (file stem, page) for each comparison.
pub fn pages(ctx: &Ctx) -> Vec<(&'static str, String)> {
    vec![
        ("duplicates", duplicates(ctx)),
        ("cancellation", cancellation(ctx)),
        ("rearm", rearm(ctx)),
    ]
}
