//! Thin typed drivers for the real mechanisms: libc calls (epoll, pipes,
//! sockets, eventfd, timerfd, signalfd, inotify, pidfd, futex) and one
//! io_uring instance. The only module of the crate with `unsafe` code; each
//! block says why it is sound.
#![allow(unsafe_code)]

pub mod sys;
pub mod uring;
