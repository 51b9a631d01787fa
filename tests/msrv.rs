//! `rust-version` is true: no package that a build on this host can compile
//! (the loom harness's `cfg(loom)` dependencies included) needs a newer
//! rustc than the workspace says it builds with. Our own code is held to it
//! by clippy's `incompatible_msrv`, denied in the workspace lints. Only the
//! machine's toolchain exists, so this reads what each dependency declares
//! rather than building with an old compiler.

use std::collections::{BTreeMap, BTreeSet};
use std::process::Command;

fn version(v: &str) -> [u32; 3] {
    let mut out = [0; 3];
    for (slot, n) in out.iter_mut().zip(v.split('.')) {
        *slot = n.parse().unwrap_or(0);
    }
    out
}

/// Whether a dependency edge with this platform condition is built here
/// (always, on unix/linux, or with `--cfg loom`).
fn built_here(target: Option<&str>) -> bool {
    match target {
        None => true,
        Some(t) => {
            t.contains("loom")
                || t.contains("unix")
                || t.contains("linux")
                || t.contains("x86_64-unknown-linux")
        }
    }
}

/// The host triple: other platforms' dependencies are never built here
/// (and need not be downloaded).
fn host() -> String {
    let out = Command::new("rustc")
        .arg("-vV")
        .output()
        .expect("rustc -vV");
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .find_map(|l| l.strip_prefix("host: "))
        .expect("host line")
        .to_string()
}

#[test]
fn no_dependency_needs_a_newer_rustc_than_our_rust_version() {
    let out = Command::new(env!("CARGO"))
        .args(["metadata", "--format-version", "1", "--locked", "--offline"])
        .args(["--filter-platform", &host()])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .expect("cargo metadata");
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let meta: serde_json::Value = serde_json::from_slice(&out.stdout).expect("metadata JSON");
    let ours = env!("CARGO_PKG_RUST_VERSION");
    assert!(!ours.is_empty(), "the CLI package declares no rust-version");
    let packages: BTreeMap<&str, &serde_json::Value> = meta["packages"]
        .as_array()
        .expect("packages")
        .iter()
        .map(|p| (p["id"].as_str().expect("id"), p))
        .collect();
    let nodes: BTreeMap<&str, &serde_json::Value> = meta["resolve"]["nodes"]
        .as_array()
        .expect("resolve")
        .iter()
        .map(|n| (n["id"].as_str().expect("id"), n))
        .collect();
    // Everything reachable from the workspace over edges built here.
    let mut todo: Vec<&str> = meta["workspace_members"]
        .as_array()
        .expect("members")
        .iter()
        .map(|m| m.as_str().expect("id"))
        .collect();
    let mut seen = BTreeSet::new();
    while let Some(id) = todo.pop() {
        if !seen.insert(id) {
            continue;
        }
        for dep in nodes[id]["deps"].as_array().into_iter().flatten() {
            let here = dep["dep_kinds"]
                .as_array()
                .into_iter()
                .flatten()
                .any(|k| built_here(k["target"].as_str()));
            if here {
                todo.push(dep["pkg"].as_str().expect("pkg"));
            }
        }
    }
    let mut newer = Vec::new();
    for id in &seen {
        let p = packages[id];
        let name = p["name"].as_str().unwrap_or("?");
        if name.starts_with("onering") {
            assert_eq!(
                p["rust_version"].as_str(),
                Some(ours),
                "{name}: rust-version.workspace = true"
            );
        } else if let Some(rv) = p["rust_version"].as_str() {
            if version(rv) > version(ours) {
                newer.push(format!("{name} {} needs rustc {rv}", p["version"]));
            }
        }
    }
    assert!(seen.len() > 20, "only {} packages reached", seen.len());
    assert!(
        newer.is_empty(),
        "rust-version {ours} is not true:\n{}",
        newer.join("\n")
    );
}
