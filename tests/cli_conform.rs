//! `onering conform`: exit 0 when every case passes or diverges as
//! FINDINGS.md explains, 1 on an unexplained divergence (printed with its
//! minimal scenario), 2 on bad input with a clear message (also as JSON).

mod common;
use common::{onering, text};

#[test]
fn conform_model_passes_the_corpus_and_prints_the_table() {
    let o = onering(&["conform", "--backend", "model", "--cases", "20"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("kind/rule"), "{t}");
    assert!(t.contains("generated: 20 cases"), "{t}");
}

#[test]
fn conform_epoll_json_reports_every_case_verdict_with_no_finding_left_pinned() {
    let o = onering(&["conform", "--backend", "epoll", "--cases", "10", "--json"]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert_eq!(v["ok"], true);
    let cases = v["cases"].as_array().expect("cases");
    let pinned: Vec<&str> = cases.iter().filter_map(|c| c["finding"].as_str()).collect();
    // F1 is a profile rule now, and L3 (sixteen waiters, once more than
    // the checker's thread slots) is lifted: their cases pass outright.
    assert!(pinned.is_empty(), "{pinned:?}");
    for name in ["epoll-dup-close-del", "mt-sixteen-waiters-level"] {
        let case = cases
            .iter()
            .find(|c| c["case"] == name)
            .unwrap_or_else(|| panic!("{name} runs on epoll"));
        assert_eq!(case["verdict"], "pass", "{case}");
    }
}

#[test]
fn unknown_backend_exits_two_with_a_message_and_json() {
    let o = onering(&["conform", "--backend", "kqueue", "--json"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    let v: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    assert!(v["error"]
        .as_str()
        .is_some_and(|e| e.contains("unknown backend `kqueue`")));
}

#[test]
fn unknown_or_misplaced_setup_exits_two() {
    let o = onering(&["conform", "--backend", "uring", "--setup", "iopoll"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown set-up `iopoll`"));
    let o = onering(&["conform", "--backend", "epoll", "--setup", "sqpoll"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("applies to --backend uring only"));
}

#[test]
fn conform_port_linux_runs_the_corpus_on_real_sources_and_pins_its_findings() {
    let o = onering(&[
        "conform",
        "--backend",
        "port-linux",
        "--cases",
        "40",
        "--seed",
        "1",
        "--json",
    ]);
    assert_eq!(o.status.code(), Some(0), "{}", text(&o));
    let j: serde_json::Value = serde_json::from_slice(&o.stdout).expect("json");
    let cases = j["cases"].as_array().expect("cases");
    let verdict = |name: &str| {
        cases
            .iter()
            .find(|c| c["case"] == name)
            .map(|c| c["verdict"].as_str().unwrap_or("").to_string())
            .unwrap_or_default()
    };
    assert_eq!(verdict("epoll-level-pipe"), "pass");
    assert_eq!(verdict("uring-read"), "pass");
    // F8, F9 and F10 were Port-on-Linux bugs, fixed: their cases now pass.
    assert_eq!(verdict("port-linux-modify-trigger"), "pass");
    assert_eq!(verdict("epoll-mod-rearm-ready"), "pass");
    assert_eq!(verdict("port-linux-trigger-level-starved"), "pass");
    assert_eq!(verdict("port-linux-reap-completed"), "pass");
    assert_eq!(verdict("port-linux-reap-woken-futex"), "pass");
    // Multishot read and recv stream through the port's provided-buffer ring.
    assert_eq!(verdict("uring-read-multishot"), "pass");
    assert_eq!(verdict("port-linux-recv-multishot-socket"), "pass");
    // Cases that do not apply are reported, with their reason: a backing
    // the Port on Linux has no source for, a case written for others.
    let message = |name: &str| {
        let c = cases
            .iter()
            .find(|c| c["case"] == name)
            .unwrap_or_else(|| panic!("{name} is reported"));
        assert_eq!(c["verdict"], "n/a", "{name}");
        c["message"].as_str().unwrap_or("").to_string()
    };
    assert!(message("uring-timeout").contains("timerfd"));
    assert!(message("epoll-dup-close-del").contains("written for model, epoll"));
    assert_eq!(j["generated"]["cases"], 40);
}

#[test]
fn an_unexplained_divergence_exits_one_with_the_scenario() {
    let dir = std::env::temp_dir().join(format!("onering-conform-cli-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("wrong.toml"),
        r#"
about = "claims level-triggered epoll reports a readable pipe once"
source = "pipe"
kind = "level"
mode = "level"
engines = ["epoll"]
steps = ["register k0", "raise k0", "wait 4 poll -> [k0:ready]", "wait 4 poll -> []"]
"#,
    )
    .expect("write");
    let o = onering(&[
        "conform",
        "--backend",
        "epoll",
        "--cases",
        "0",
        "--corpus",
        dir.to_str().expect("utf-8"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(1), "{}", text(&o));
    let t = text(&o);
    assert!(t.contains("DIVERGENCE in wrong on epoll"), "{t}");
    assert!(t.contains("4. wait 4 poll"), "{t}");
}

#[test]
fn a_malformed_case_exits_two() {
    let dir = std::env::temp_dir().join(format!("onering-conform-bad-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("dir");
    std::fs::write(
        dir.join("bad.toml"),
        "about = \"x\"\nsource = \"pipe\"\nkind = \"level\"\nmode = \"level\"\nengines = [\"epoll\"]\nsteps = [\"jump k0\"]\n",
    )
    .expect("write");
    let o = onering(&[
        "conform",
        "--backend",
        "epoll",
        "--corpus",
        dir.to_str().expect("utf-8"),
    ]);
    let _ = std::fs::remove_dir_all(&dir);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));
    assert!(text(&o).contains("unknown step `jump`"), "{}", text(&o));
}
