//! EMFILE surfaces as an error naming the call. Its own test binary: it
//! lowers the process's fd limit.

#![cfg(all(target_os = "linux", not(any(loom, feature = "shuttle"))))]
#![allow(unsafe_code)] // setrlimit

use std::os::fd::AsFd;

use onering::{Error, Interest, Port};

#[test]
fn emfile_is_an_error_naming_the_syscall() {
    let port = Port::linux().unwrap();
    let keep = std::fs::File::open("/dev/null").unwrap();
    let mut old = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: reads and writes this process's limit through valid structs.
    unsafe {
        assert_eq!(libc::getrlimit(libc::RLIMIT_NOFILE, &mut old), 0);
    }
    // Fill the table up to a low limit.
    let mut files = Vec::new();
    let low = libc::rlimit {
        rlim_cur: 64,
        rlim_max: old.rlim_max,
    };
    // SAFETY: as above.
    unsafe { assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &low), 0) };
    while let Ok(f) = std::fs::File::open("/dev/null") {
        files.push(f);
    }
    let r = port.add_fd(keep.as_fd(), Interest::Readable);
    let t = port.add_trigger();
    // SAFETY: restores the limit read above.
    unsafe { assert_eq!(libc::setrlimit(libc::RLIMIT_NOFILE, &old), 0) };
    assert_eq!(
        r.unwrap_err(),
        Error::Os {
            syscall: "fcntl(F_DUPFD_CLOEXEC)",
            errno: libc::EMFILE
        }
    );
    assert_eq!(
        t.unwrap_err(),
        Error::Os {
            syscall: "eventfd",
            errno: libc::EMFILE
        }
    );
    assert!(r
        .unwrap_err()
        .to_string()
        .contains("fcntl(F_DUPFD_CLOEXEC) failed"));
}
