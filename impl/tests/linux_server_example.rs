//! Runs `examples/server.rs` on the loopback interface with a bounded
//! request loop: every request is answered exactly once, and the server
//! reports its timer, child exit, directory change and futex hand-off
//! before stopping on SIGTERM.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
#![allow(unsafe_code)] // kill(2) of the child server

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

const CLIENTS: usize = 4;
const REQUESTS: usize = 50;

fn server_binary() -> std::path::PathBuf {
    // target/<profile>/deps/<this test> -> target/<profile>/examples/server
    let exe = std::env::current_exe().unwrap();
    exe.parent()
        .unwrap()
        .parent()
        .unwrap()
        .join("examples/server")
}

#[test]
fn every_request_to_the_example_server_is_answered_exactly_once() {
    let dir = std::env::temp_dir().join(format!("onering-server-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut child = Command::new(server_binary())
        .args(["0", dir.to_str().unwrap()])
        .stdout(Stdio::piped())
        .spawn()
        .expect("the example is built by `cargo test`");
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let addr = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_string();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|c| {
            let addr = addr.clone();
            std::thread::spawn(move || {
                let s = TcpStream::connect(&addr).unwrap();
                s.set_read_timeout(Some(Duration::from_secs(5))).unwrap();
                let mut r = BufReader::new(s.try_clone().unwrap());
                let mut w = s;
                for i in 0..REQUESTS {
                    let req = format!("client{c}-request{i}\n");
                    w.write_all(req.as_bytes()).unwrap();
                    let mut got = String::new();
                    r.read_line(&mut got).unwrap();
                    assert_eq!(got, req, "answer to {req:?}");
                }
                // Nothing more: no request was answered twice.
                w.shutdown(std::net::Shutdown::Write).unwrap();
                let mut rest = Vec::new();
                r.read_to_end(&mut rest).unwrap();
                assert!(
                    rest.is_empty(),
                    "extra answers: {:?}",
                    String::from_utf8_lossy(&rest)
                );
            })
        })
        .collect();
    for c in clients {
        c.join().unwrap();
    }
    std::fs::write(dir.join("changed"), b"x").unwrap();
    // Let the timer tick and the child exit (0.3 s) before stopping.
    std::thread::sleep(Duration::from_millis(600));
    // SAFETY: signals our own child process.
    assert_eq!(unsafe { libc::kill(child.id() as i32, libc::SIGTERM) }, 0);
    let start = Instant::now();
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        assert!(
            start.elapsed() < Duration::from_secs(10),
            "server did not stop"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut rest = String::new();
    out.read_to_string(&mut rest).unwrap();
    assert!(status.success(), "server failed: {status}\n{rest}");
    let summary = rest
        .lines()
        .find_map(|l| l.strip_prefix("summary: "))
        .unwrap_or_else(|| panic!("no summary in\n{rest}"));
    let field = |name: &str| -> u64 {
        summary
            .split_whitespace()
            .find_map(|kv| kv.strip_prefix(&format!("{name}=")))
            .unwrap()
            .parse()
            .unwrap()
    };
    assert_eq!(field("connections"), CLIENTS as u64, "{rest}");
    assert_eq!(field("requests"), (CLIENTS * REQUESTS) as u64, "{rest}");
    assert_eq!(field("child_exits"), 1, "{rest}");
    assert_eq!(field("futex_handoffs"), 1, "{rest}");
    assert!(field("ticks") >= 1, "{rest}");
    assert!(field("dir_changes") >= 1, "{rest}");
    assert!(rest.contains("futex: producer got the answer"), "{rest}");
    std::fs::remove_dir_all(&dir).unwrap();
}
