//! `onering verify --html FILE`: the page is self-contained, and, rendered
//! by a real browser (headless Chromium), shows the lanes, the stuck call
//! and the model states that hovering shows.
//!
//! Without `chromium` on `PATH` the browser half is skipped with a message,
//! unless `ONERING_REQUIRE_CHROMIUM=1` (set by `.ci/run`, which installs
//! it): then its absence fails the test, so CI cannot skip it.

mod common;
use common::{onering, text};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

/// Thread 1's blocking wait takes the level event of k0.0 and still holds
/// it when thread 0's sync cancel answers `removed`: `unified` promises
/// `pending` there (teardown-safe), `epoll` allows it (os §2.6).
const HELD_AT_CANCEL: &str = r#"{"v":1,"thread":0,"call":1,"ret":2,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":3,"ret":4,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":2,"call":5,"ret":7,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":1,"call":6,"ret":9,"op":"wait","args":{"max":2,"timeout":"block"},"result":{"events":[{"kind":"ready","key":{"index":0,"generation":0}}]}}
{"v":1,"thread":2,"call":10,"ret":11,"op":"consume","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":0,"call":8,"ret":12,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[]}}
{"v":1,"thread":0,"call":13,"ret":15,"op":"cancel","args":{"key":{"index":0,"generation":0},"mode":"sync"},"result":{"cancel":"removed","completion":null}}
{"v":1,"thread":1,"call":17,"ret":18,"op":"wait","args":{"max":2,"timeout":"poll"},"result":{"events":[]}}
"#;

fn dir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("onering-verify-html-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

/// Writes the history, runs `verify --html`, returns the exit code, the
/// page's path and its text.
fn render(profile: &str, name: &str) -> (Option<i32>, PathBuf, String) {
    render_text(profile, name, HELD_AT_CANCEL)
}

/// [`render`] of any history text.
fn render_text(profile: &str, name: &str, history_text: &str) -> (Option<i32>, PathBuf, String) {
    let d = dir();
    let history = d.join(format!("{name}.jsonl"));
    std::fs::write(&history, history_text).unwrap();
    let page = d.join(format!("{name}.html"));
    let o = onering(&[
        "verify",
        "--profile",
        profile,
        "--html",
        page.to_str().unwrap(),
        history.to_str().unwrap(),
    ]);
    let html = std::fs::read_to_string(&page).unwrap_or_else(|e| panic!("{e}: {}", text(&o)));
    (o.status.code(), page, html)
}

/// The page fetches nothing: no external script, style, image or font.
fn assert_self_contained(html: &str) {
    for bad in [
        "<link",
        " src=",
        "@import",
        "url(",
        "fetch(",
        "XMLHttpRequest",
    ] {
        assert!(
            !html.contains(bad),
            "the page must not load anything: {bad}"
        );
    }
    // The only URL is the SVG namespace, which is a name, not a fetch.
    let urls = html.matches("http://").count() + html.matches("https://").count();
    let ns = html.matches("http://www.w3.org/2000/svg").count();
    assert_eq!(urls, ns, "no URL but the SVG namespace");
}

/// Chromium on `PATH`, or `None` (a skip, unless CI requires it).
fn chromium() -> Option<&'static str> {
    let found = ["chromium", "chromium-browser", "google-chrome"]
        .into_iter()
        .find(|c| {
            Command::new(c)
                .arg("--version")
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .status()
                .is_ok_and(|s| s.success())
        });
    if found.is_none() {
        if std::env::var("ONERING_REQUIRE_CHROMIUM").as_deref() == Ok("1") {
            panic!("ONERING_REQUIRE_CHROMIUM=1 but no chromium on PATH (apt-get install chromium)");
        }
        eprintln!(
            "SKIPPED the browser half of this test: no chromium on PATH \
             (apt-get install chromium; CI sets ONERING_REQUIRE_CHROMIUM=1 so it cannot skip)"
        );
    }
    found
}

/// The DOM after the page's script ran, as headless Chromium has it
/// (`--dump-dom`); `fragment` is the address's `#...` part.
fn dump_dom(browser: &str, page: &Path, fragment: &str) -> String {
    let profile = page.with_extension(format!("profile{}", fragment.len()));
    let mut child = Command::new(browser)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--virtual-time-budget=5000",
            &format!("--user-data-dir={}", profile.display()),
            "--dump-dom",
            &format!("file://{}{fragment}", page.display()),
        ])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("chromium starts");
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        if child.try_wait().unwrap().is_some() {
            break;
        }
        if Instant::now() > deadline {
            child.kill().ok();
            panic!("chromium --dump-dom did not finish within 120 s");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let out = child.wait_with_output().unwrap();
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn a_failing_history_renders_its_lanes_stuck_call_and_states_in_a_browser() {
    let (code, page, html) = render("unified", "fail");
    assert_eq!(code, Some(1), "unified rejects the history");
    assert_self_contained(&html);
    // The data is the checker's: the stuck call and its reason are there
    // before any script runs.
    assert!(html.contains(r#""verdict":"not-linearizable""#));
    assert!(html.contains("no cancel here gives the recorded answer"));

    let Some(browser) = chromium() else { return };
    let dom = dump_dom(browser, &page, "");
    assert!(
        dom.contains(r#"data-rendered="1""#),
        "the script ran: {dom}"
    );
    // One lane per thread.
    for lane in ["thread 0", "thread 1", "thread 2"] {
        assert!(
            dom.contains(&format!(">{lane}</text>")),
            "lane {lane} drawn"
        );
    }
    assert_eq!(dom.matches(r#"class="lane-label""#).count(), 3);
    // Every call of the failing prefix is an interval (the last wait
    // starts after the stuck cancel returned); the five placed ones are
    // numbered in the order the search placed them.
    assert_eq!(dom.matches(r#"<g class="call "#).count(), 6);
    assert_eq!(dom.matches(r#"class="lin-point""#).count(), 5);
    for n in 1..=5 {
        assert!(dom.contains(&format!(r#"data-order="{n}""#)));
    }
    // The stuck call: marked, flagged on the axis, and explained.
    assert_eq!(dom.matches(r#"class="call bad"#).count(), 1);
    assert!(dom.contains(r#"data-line="7""#));
    assert!(dom.contains("stuck: line 7 cannot be linearized"));
    assert!(dom.contains(r#"id="stuck-why""#));
    assert!(
        dom.contains("held by thread 1"),
        "the state after the longest partial linearization shows the holder"
    );

    // What hovering a placed call shows (`#line=4` focuses it as hovering
    // does): its step and the model state before and after it.
    let dom = dump_dom(browser, &page, "#line=4");
    assert!(dom.contains(r#"data-focus="3""#), "line 4 is call 3");
    assert!(dom.contains("step 3 of 5 in the longest partial linearization"));
    assert!(dom.contains("model state before"));
    assert!(dom.contains("ready queue: [k0.0:ready]"));
    assert!(dom.contains(
        r#"<li class="changed">k0.0 (slot 0): armed, level, condition holds, held by thread 1</li>"#
    ));
}

#[test]
fn a_linearizable_history_renders_its_linearization() {
    let (code, page, html) = render("epoll", "ok");
    assert_eq!(code, Some(0), "epoll allows the history");
    assert_self_contained(&html);
    assert!(html.contains(r#""verdict":"linearizable""#));

    let Some(browser) = chromium() else { return };
    let dom = dump_dom(browser, &page, "");
    assert!(dom.contains(r#"data-rendered="1""#));
    assert!(dom.contains("Linearization (7 calls)"), "{dom}");
    assert_eq!(dom.matches(r#"class="lin-point""#).count(), 7);
    assert_eq!(dom.matches(r#"class="call bad"#).count(), 0);
    assert!(!dom.contains(r#"id="stuck-flag""#));
}

/// The page's data from its `<script type="application/json">`.
fn page_data(html: &str) -> serde_json::Value {
    let start = html.find(r#"id="onering-data">"#).unwrap() + r#"id="onering-data">"#.len();
    let end = start + html[start..].find("</script>").unwrap();
    serde_json::from_str(&html[start..end]).unwrap()
}

/// A long history draws the calls nearest where it gets stuck, at most
/// `MAX_DRAWN`, and carries only their steps: the page stays small.
#[test]
fn a_long_failing_history_draws_the_calls_before_the_stuck_one() {
    use onering_check::history::{render_html, verify_text, Options, MAX_DRAWN};
    let mut text = String::new();
    let mut t = 0u64;
    let mut line = |thread: u32, op: &str, args: &str, result: &str| {
        t += 2;
        text.push_str(&format!(
            r#"{{"v":1,"thread":{thread},"call":{},"ret":{t},"op":"{op}","args":{args},"result":{result}}}"#,
            t - 1
        ));
        text.push('\n');
    };
    line(0, "add_source", r#"{"kind":"level"}"#, r#"{"source":0}"#);
    let key = r#"{"index":0,"generation":0}"#;
    line(
        0,
        "register",
        r#"{"source":0,"mode":"level"}"#,
        &format!(r#"{{"key":{key}}}"#),
    );
    let ready = format!(r#"{{"events":[{{"kind":"ready","key":{key}}}]}}"#);
    for _ in 0..1500 {
        line(1, "raise", r#"{"source":0}"#, r#"{"ok":true}"#);
        line(0, "wait", r#"{"max":2,"timeout":"poll"}"#, &ready);
        line(1, "consume", r#"{"source":0}"#, r#"{"ok":true}"#);
        line(
            0,
            "wait",
            r#"{"max":2,"timeout":"poll"}"#,
            r#"{"events":[]}"#,
        );
    }
    line(1, "raise", r#"{"source":0}"#, r#"{"ok":true}"#);
    line(
        0,
        "wait",
        r#"{"max":2,"timeout":"poll"}"#,
        r#"{"events":[]}"#,
    );
    let epoll = onering_model::EPOLL;
    let (calls, report) = verify_text(&text, &epoll, &Options::default(), |_, _, _| {}).unwrap();
    let f = report.failure().expect("the last empty poll is wrong");
    let html = render_html("long", &calls, &report, &epoll, &Options::default());
    let data = page_data(&html);
    let view = &data["views"][0];
    let drawn = view["drawn"].as_array().unwrap();
    assert_eq!(drawn.len(), MAX_DRAWN);
    assert_eq!(view["total"], 6003, "every call but add_source");
    assert_eq!(
        drawn.last().unwrap()["id"],
        f.stuck,
        "ends at the stuck call"
    );
    assert_eq!(view["placed"], 6002);
    assert_eq!(view["steps"].as_array().unwrap().len(), MAX_DRAWN - 1);
    assert_eq!(view["steps"][0]["n"], 6002 - (MAX_DRAWN - 2));
    assert!(html.len() < 400_000, "{} bytes", html.len());
}

/// A page that cannot be written is bad input (exit 2, with `--json` as
/// `{"error": ...}`), after the verdict; `--json` and `--html` go together.
#[test]
fn an_unwritable_page_exits_two_and_json_goes_with_html() {
    let d = dir();
    let history = d.join("json.jsonl");
    std::fs::write(&history, HELD_AT_CANCEL).unwrap();
    let bad = d.join("no-such-dir").join("x.html");
    let o = onering(&[
        "verify",
        "--json",
        "--html",
        bad.to_str().unwrap(),
        history.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert!(j["error"].as_str().unwrap().contains("--html"), "{j}");

    let page = d.join("json.html");
    let o = onering(&[
        "verify",
        "--json",
        "--html",
        page.to_str().unwrap(),
        history.to_str().unwrap(),
    ]);
    assert_eq!(o.status.code(), Some(1));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(j["verdict"], "not-linearizable");
    assert_eq!(
        page_data(&std::fs::read_to_string(&page).unwrap())["verdict"],
        "not-linearizable"
    );
}

/// The worked example of docs/history-format.md (the C program on epoll):
/// under `unified` thread 2's blocking wait (line 7) parks, its release
/// placed, its harvest refused while thread 1 holds the event.
const C_PROGRAM: &str = r#"{"v":1,"thread":0,"call":0,"ret":1,"op":"add_source","args":{"kind":"level"},"result":{"source":0}}
{"v":1,"thread":0,"call":2,"ret":3,"op":"add_source","args":{"kind":"counter"},"result":{"source":1}}
{"v":1,"thread":0,"call":4,"ret":5,"op":"register","args":{"source":0,"mode":"level"},"result":{"key":{"index":0,"generation":0}}}
{"v":1,"thread":0,"call":6,"ret":7,"op":"register","args":{"source":1,"mode":"edge"},"result":{"key":{"index":1,"generation":0}}}
{"v":1,"thread":0,"call":8,"ret":9,"op":"raise","args":{"source":0},"result":{"ok":true}}
{"v":1,"thread":1,"call":10,"ret":11,"op":"wait","args":{"max":4,"timeout":"deadline"},"result":{"events":[{"key":{"index":0,"generation":0},"kind":"ready"}]}}
{"v":1,"thread":2,"call":12,"ret":13,"op":"wait","args":{"max":4,"timeout":"deadline"},"result":{"events":[{"key":{"index":0,"generation":0},"kind":"ready"}]}}
"#;

/// A person reads history threads, never model slots: a wait blocked in
/// the linearization is named by its history thread and line, in the data
/// and on the rendered page.
#[test]
fn a_blocked_wait_is_shown_by_its_history_thread() {
    let (code, page, html) = render_text("unified", "blocked", C_PROGRAM);
    assert_eq!(code, Some(1), "unified refuses line 7");
    let data = page_data(&html);
    let view = &data["views"][0];
    assert_eq!(view["parked"], 1, "line 7's wait parks");
    let blocked =
        "thread 2: blocked in wait(max=4, block) (line 7): released, its harvest not yet placed";
    let state: Vec<&str> = view["stuck"]["state"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert!(state.contains(&blocked), "{state:?}");
    assert!(
        state.iter().any(|l| l.ends_with("held by thread 1")),
        "{state:?}"
    );
    assert!(
        !html.contains("thread slot"),
        "no model thread slot is named"
    );

    let Some(browser) = chromium() else { return };
    let dom = dump_dom(browser, &page, "");
    assert!(dom.contains(r#"data-rendered="1""#), "{dom}");
    assert!(dom.contains(blocked), "the stuck state names thread 2");
    assert!(!dom.contains("thread slot"));
}
