//! Rules of the core's own bookkeeping, pinned through a simulated port.

use crate::{Events, Mode, Port, SourceKind, Timeout};

/// A thread's hold list stays in place when its wait releases everything
/// (no allocation per wait), and a thread that has no entry takes over an
/// emptied one: threads that come and go, each holding and releasing in
/// turn, leave one entry, not one per thread that ever waited.
#[test]
fn hold_entries_stay_as_many_as_threads_holding_at_once_under_thread_churn() {
    let port = Port::new();
    let s = port.add_source(SourceKind::Level);
    port.register(s, Mode::Level).unwrap();
    for _ in 0..20 {
        std::thread::scope(|scope| {
            scope.spawn(|| {
                let mut events = Events::new();
                port.raise(s).unwrap();
                assert_eq!(port.wait(&mut events, 8, Timeout::Poll).unwrap(), 1);
                // Lowered while held: the next wait releases it and gets
                // nothing, so this thread ends holding nothing.
                port.lower(s).unwrap();
                assert_eq!(port.wait(&mut events, 8, Timeout::Poll).unwrap(), 0);
            });
        });
    }
    assert_eq!(port.hold_entries(), 1, "one entry, reused by every thread");
    // Two threads holding at once need two entries (a hold outlives its
    // thread: it ends at that thread's next wait, which never comes).
    let t = port.add_source(SourceKind::Level);
    port.register(t, Mode::Level).unwrap();
    port.raise(s).unwrap();
    port.raise(t).unwrap();
    let mut events = Events::new();
    std::thread::scope(|scope| {
        scope.spawn(|| {
            let mut events = Events::new();
            assert_eq!(port.wait(&mut events, 1, Timeout::Poll).unwrap(), 1);
        });
    });
    assert_eq!(port.wait(&mut events, 1, Timeout::Poll).unwrap(), 1);
    assert_eq!(port.hold_entries(), 2);
}
