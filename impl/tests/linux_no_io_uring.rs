//! Where io_uring cannot be had (here: refused by a seccomp filter, as a
//! container runtime or `kernel.io_uring_disabled` would), the port still
//! serves everything epoll serves, and operations fail with a typed error
//! naming `io_uring_setup`: it never hangs and never loses an event.

#![cfg(all(
    target_os = "linux",
    target_arch = "x86_64",
    not(any(loom, feature = "shuttle"))
))]
#![allow(unsafe_code)] // prctl(PR_SET_SECCOMP) with a BPF program

use std::io::Write;
use std::os::fd::AsFd;
use std::os::unix::net::UnixStream;
use std::time::Duration;

use onering::{Error, EventKind, Events, Interest, Mode, Port, Timeout};

/// Makes `io_uring_setup` fail with `EPERM` in the calling thread (seccomp
/// filters are per thread unless synchronised).
fn refuse_io_uring_in_this_thread() {
    const AUDIT_ARCH_X86_64: u32 = 0xc000_003e;
    const RET_ALLOW: u32 = 0x7fff_0000;
    const RET_ERRNO: u32 = 0x0005_0000;
    let ld = |k: u32| libc::sock_filter {
        code: 0x20, // BPF_LD | BPF_W | BPF_ABS
        jt: 0,
        jf: 0,
        k,
    };
    let jeq = |k: u32, jt: u8, jf: u8| libc::sock_filter {
        code: 0x15, // BPF_JMP | BPF_JEQ | BPF_K
        jt,
        jf,
        k,
    };
    let ret = |k: u32| libc::sock_filter {
        code: 0x06, // BPF_RET | BPF_K
        jt: 0,
        jf: 0,
        k,
    };
    let mut prog = [
        ld(4),                        // seccomp_data.arch
        jeq(AUDIT_ARCH_X86_64, 0, 3), // other arch: allow
        ld(0),                        // seccomp_data.nr
        jeq(libc::SYS_io_uring_setup as u32, 0, 1),
        ret(RET_ERRNO | libc::EPERM as u32),
        ret(RET_ALLOW),
    ];
    let fprog = libc::sock_fprog {
        len: prog.len() as u16,
        filter: prog.as_mut_ptr(),
    };
    // SAFETY: PR_SET_NO_NEW_PRIVS takes integers; PR_SET_SECCOMP reads the
    // valid program above, which outlives the call.
    unsafe {
        assert_eq!(libc::prctl(libc::PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0), 0);
        assert_eq!(
            libc::prctl(
                libc::PR_SET_SECCOMP,
                libc::SECCOMP_MODE_FILTER,
                &fprog as *const libc::sock_fprog
            ),
            0
        );
    }
}

#[test]
fn without_io_uring_readiness_works_and_operations_name_the_refusal() {
    std::thread::spawn(|| {
        refuse_io_uring_in_this_thread();
        let port = Port::linux().expect("epoll still works");
        let refused = Error::Os {
            syscall: "io_uring_setup",
            errno: libc::EPERM,
        };
        assert_eq!(port.io_uring_error(), Some(refused));
        // Readiness through epoll is unaffected.
        let (a, mut b) = UnixStream::pair().unwrap();
        let s = port.add_fd(a.as_fd(), Interest::Readable).unwrap();
        let k = port.register(s, Mode::Dispatch).unwrap();
        b.write_all(b"x").unwrap();
        let mut evs = Events::new();
        port.wait(&mut evs, 4, Timeout::after(Duration::from_secs(5)))
            .unwrap();
        assert_eq!(evs.as_slice()[0].key, k);
        assert_eq!(evs.as_slice()[0].kind, EventKind::Ready);
        // An operation is refused at once, with the cause.
        let r = port.add_recv(a.as_fd(), vec![0; 8]).unwrap();
        assert_eq!(port.submit(r, Mode::Single), Err(refused));
        // Refused, not consumed: the same answer again, not AlreadySubmitted.
        assert_eq!(port.submit(r, Mode::Single), Err(refused));
        let f = port.add_futex(&onering::FutexWord::new(0));
        assert_eq!(port.futex_wait(f, 0), Err(refused));
    })
    .join()
    .unwrap();
}

#[test]
fn the_seccomp_filter_really_refuses_io_uring() {
    // The check above could pass vacuously if the filter did nothing: here
    // a port built in a filtered thread must differ from one built outside.
    assert_eq!(Port::linux().unwrap().io_uring_error(), None);
    let inside = std::thread::spawn(|| {
        refuse_io_uring_in_this_thread();
        Port::linux().unwrap().io_uring_error()
    })
    .join()
    .unwrap();
    assert!(inside.is_some());
}
