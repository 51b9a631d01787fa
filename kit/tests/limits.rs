//! onering's own limits met by real libraries, pinned so that the day the
//! checker or the format lifts one, these tests say so
//! (docs/findings-libraries.md, "onering's limits").

use onering_kit::{check, Event, Key, Mode, Op, Outcome, Recorder, SourceKind, Timeout};

fn epoll() -> onering_model::Rules {
    onering_model::profile("epoll").expect("epoll")
}

/// L7 (lifted): five threads that each got the same level-triggered fd
/// (epoll re-queues it after every delivery) hold it at once. The checker
/// once had four thread slots per source and gave no verdict; it now keeps
/// who holds each registration, so any number of threads is checked:
/// allowed by `epoll`, refused by `unified` (one holder at a time).
#[test]
fn five_threads_holding_one_level_fd_are_checked() {
    let rec = Recorder::new();
    rec.begin(Op::AddSource {
        kind: SourceKind::Level,
        source: 0,
    })
    .end(Outcome::Ok);
    rec.begin(Op::Register {
        source: 0,
        mode: Mode::Level,
    })
    .end(Outcome::Key(Key::new(1)));
    rec.begin(Op::Raise { source: 0 }).end(Outcome::Ok);
    let barrier = std::sync::Barrier::new(5);
    std::thread::scope(|s| {
        for _ in 0..5 {
            s.spawn(|| {
                barrier.wait();
                rec.begin(Op::Wait {
                    max: 1,
                    timeout: Timeout::Poll,
                })
                .end(Outcome::Events(vec![Event::Ready(Key::new(1))]));
                // Still handling it when the others return.
                barrier.wait();
            });
        }
    });
    let history = rec.history();
    assert!(check(&history, &epoll())
        .expect("decided")
        .is_linearizable());
    let unified = onering_model::profile("unified").expect("unified");
    assert!(!check(&history, &unified)
        .expect("decided")
        .is_linearizable());
}

/// L6: an empty `deadline` wait means "nothing was deliverable at some
/// point of the call". A wait that returned early because the library's
/// own notify/waker fired (or because another thread was already waiting,
/// polling) while an event was ready cannot be told apart, and is rejected.
#[test]
fn an_empty_wait_cannot_say_it_was_woken_by_the_library() {
    let rec = Recorder::new();
    rec.begin(Op::Register {
        source: 0,
        mode: Mode::Level,
    })
    .end(Outcome::Key(Key::new(1)));
    rec.begin(Op::Raise { source: 0 }).end(Outcome::Ok);
    // polling::Poller::notify() made this wait return at once, empty.
    rec.begin(Op::Wait {
        max: 4,
        timeout: Timeout::Deadline,
    })
    .end(Outcome::Events(vec![]));
    let v = check(&rec.history(), &epoll()).expect("decided");
    assert!(!v.is_linearizable());
}
