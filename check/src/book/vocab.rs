//! The mechanisms' own names for the model's steps, and the section of the
//! reference notes each rests on. Naming only: what a step *does* is read
//! off the model ([`super::lifecycle`]); this says what the mechanism calls
//! it and where the cited fact is.

/// (model step, the mechanism's call or event, reference section).
type Entry = (&'static str, &'static str, &'static str);

const EPOLL: &[Entry] = &[
    ("wait", "`epoll_wait`", "2.2"),
    (
        "woken wait returns",
        "`epoll_wait` returns after a wake-up",
        "2.2",
    ),
    ("register", "`EPOLL_CTL_ADD`", "2.1"),
    ("modify(level)", "`EPOLL_CTL_MOD` (level-triggered)", "2.3"),
    (
        "modify(oneshot)",
        "`EPOLL_CTL_MOD` with `EPOLLONESHOT`",
        "2.3",
    ),
    (
        "rearm",
        "`EPOLL_CTL_MOD` (re-arm after `EPOLLONESHOT`)",
        "2.3",
    ),
    ("cancel(sync)", "`EPOLL_CTL_DEL`", "2.6"),
    ("consume", "`read` until `EAGAIN`", "2.2"),
    (
        "raise",
        "the fd's wake-up callback (`ep_poll_callback`)",
        "2.2",
    ),
    ("lower", "another reader drains the fd", "2.1"),
    ("close", "`close` of one of the fd's duplicates", "2.7"),
    ("timeout_expires", "`epoll_wait` timeout", "2.2"),
];

const KQUEUE: &[Entry] = &[
    ("wait", "`kevent` (event list)", "5.5"),
    (
        "woken wait returns",
        "`kevent` returns after a wake-up",
        "5.5",
    ),
    ("register", "`EV_ADD`", "5.2"),
    ("modify(level)", "`EV_ADD` without `EV_DISPATCH`", "5.2"),
    ("modify(dispatch)", "`EV_ADD` with `EV_DISPATCH`", "5.2"),
    ("rearm", "`EV_ENABLE`", "5.3"),
    ("cancel(sync)", "`EV_DELETE`", "5.4"),
    ("consume", "`read` the data", "5.1"),
    ("raise", "the knote activates", "5.1"),
    ("lower", "the filter re-evaluates to false", "5.1"),
    ("close", "`close` (removes the knotes)", "5.1"),
    ("timeout_expires", "`kevent` timeout", "5.5"),
];

const LINUX_AIO: &[Entry] = &[
    ("wait", "`io_getevents`", "3.1"),
    (
        "woken wait returns",
        "`io_getevents` returns after a wake-up",
        "3.1",
    ),
    (
        "submit",
        "`io_submit` (`IOCB_CMD_POLL` for readiness)",
        "3.1",
    ),
    ("cancel(async)", "`io_cancel`", "3.2"),
    ("consume", "`read` the data", "3.1"),
    ("raise", "the polled fd becomes ready", "3.2"),
    ("lower", "the polled condition drops", "3.2"),
    (
        "complete",
        "the request completes (`io_event` in the ring)",
        "3.1",
    ),
    (
        "close",
        "`close` (the request keeps its file reference)",
        "3.1",
    ),
    (
        "kernel posts final",
        "the cancelled request's `io_event`",
        "3.2",
    ),
    ("timeout_expires", "`io_getevents` timeout", "3.1"),
];

const IO_URING: &[Entry] = &[
    ("wait", "`io_uring_enter` / reap a CQE", "4.1"),
    (
        "woken wait returns",
        "`io_uring_enter` returns after a wake-up",
        "4.1",
    ),
    (
        "submit",
        "an SQE (`IORING_OP_POLL_ADD`, a read, `FUTEX_WAIT`)",
        "4.1",
    ),
    (
        "cancel(async)",
        "`IORING_OP_ASYNC_CANCEL` (poll: `POLL_REMOVE`)",
        "4.4",
    ),
    ("cancel answer arrives", "the cancel's own CQE", "4.4"),
    ("consume", "`read` the data", "4.2"),
    (
        "raise",
        "the polled fd wakes (a CQE per wake-up for multishot)",
        "4.2",
    ),
    ("lower", "the polled condition drops", "4.2"),
    ("complete", "the request completes (its CQE)", "4.1"),
    (
        "stream_item",
        "a multishot CQE with `IORING_CQE_F_MORE`",
        "4.3",
    ),
    (
        "close",
        "`close` (the request holds its own file reference)",
        "4.10",
    ),
    ("futex_wake", "`FUTEX_WAKE` on the word", "4.7"),
    (
        "kernel posts final",
        "the target's final CQE (`-ECANCELED`), or the task work posting a CQE a wake-up decided (F3)",
        "4.11",
    ),
    ("timeout_expires", "`io_uring_enter` timeout", "4.8"),
];

const EVENT_PORTS: &[Entry] = &[
    ("wait", "`port_get` / `port_getn`", "6.4"),
    (
        "woken wait returns",
        "`port_getn` returns after a wake-up",
        "6.4",
    ),
    (
        "submit",
        "`port_associate` (`PORT_SOURCE_FD`) / an aio request",
        "6.1",
    ),
    ("register", "`port_associate`", "6.1"),
    (
        "rearm",
        "`port_associate` again (re-association re-polls)",
        "6.1",
    ),
    ("cancel(sync)", "`port_dissociate`", "6.3"),
    (
        "cancel(async)",
        "cancel of a `PORT_SOURCE_AIO` request",
        "6.2",
    ),
    ("consume", "`read` the data", "6.1"),
    ("raise", "the fd becomes ready", "6.1"),
    ("lower", "the condition drops", "6.1"),
    ("complete", "the request completes", "6.2"),
    ("close", "`close` (dissociates)", "6.2"),
    ("kernel posts final", "the cancelled request's event", "6.2"),
    ("timeout_expires", "`port_getn` timeout", "6.4"),
];

const IOCP: &[Entry] = &[
    ("wait", "`GetQueuedCompletionStatusEx`", "7.1"),
    (
        "woken wait returns",
        "`GetQueuedCompletionStatusEx` returns after a wake-up",
        "7.1",
    ),
    (
        "submit",
        "an overlapped call (`ReadFile`, AFD poll `IOCTL_AFD_POLL`)",
        "7.2",
    ),
    ("cancel(async)", "`CancelIoEx`", "7.3"),
    ("consume", "`ReadFile` the data", "7.4"),
    (
        "raise",
        "the socket becomes ready (AFD poll completes)",
        "7.4",
    ),
    ("lower", "the condition drops", "7.4"),
    ("complete", "the operation completes (one packet)", "7.2"),
    ("close", "`closesocket` (pending I/O is aborted)", "7.2"),
    (
        "kernel posts final",
        "the aborted operation's packet (`ERROR_OPERATION_ABORTED`)",
        "7.3",
    ),
    (
        "timeout_expires",
        "`GetQueuedCompletionStatusEx` timeout",
        "7.1",
    ),
];

fn table(profile: &str) -> &'static [Entry] {
    match profile {
        "epoll" => EPOLL,
        "kqueue" => KQUEUE,
        "linux-aio" => LINUX_AIO,
        "io_uring" => IO_URING,
        "event-ports" => EVENT_PORTS,
        "iocp" => IOCP,
        _ => &[],
    }
}

/// What `profile` calls the model step `step`, and the reference section
/// it rests on; `None` for `unified` (the model is its own source) and for
/// steps the mechanism has no name for.
pub fn call(profile: &str, step: &str) -> Option<(&'static str, &'static str)> {
    table(profile)
        .iter()
        .find(|(s, _, _)| *s == step)
        .map(|(_, c, sec)| (*c, *sec))
}

/// The chapter of the reference notes about `profile`.
pub fn chapter(profile: &str) -> Option<&'static str> {
    match profile {
        "epoll" => Some("2"),
        "linux-aio" => Some("3"),
        "io_uring" => Some("4"),
        "kqueue" => Some("5"),
        "event-ports" => Some("6"),
        "iocp" => Some("7"),
        _ => None,
    }
}

/// Every section cited for `profile` (for the anchor check at generation).
pub fn cited(profile: &str) -> impl Iterator<Item = &'static str> {
    table(profile)
        .iter()
        .map(|(_, _, s)| *s)
        .chain(chapter(profile))
}
