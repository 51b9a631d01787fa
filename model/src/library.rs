//! Rules a library adds to the kernel profile it wraps: what the library
//! itself documents doing between its caller and the kernel, so that its
//! histories are judged against what it promises rather than against the
//! bare mechanism. Each rule cites the library's own documentation.
//!
//! A rule here never changes what the kernel may do (that is the
//! profile's, [`crate::Rules`]); it only says which recorded calls the
//! library answered without reaching the kernel. Those calls are taken out
//! of the history before the profile judges it (the history checker's
//! `onering_check::library`); everything else is judged as recorded.
//! `onering verify --library NAME` and `onering_kit::check_with` apply a
//! rule set named here.

/// What a library documents doing on its own, on top of its profile.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct LibraryRules {
    /// Name, as `--library` takes it and as reports append it to the
    /// profile's (`epoll+polling`); empty for none.
    pub name: &'static str,
    /// What the rules say, in one sentence, with the library's words.
    pub about: &'static str,
    /// A `wait` that overlaps another thread's `wait` on the same port
    /// (poller) may return at once with no events and without reaching the
    /// kernel. polling (3.11, `Poller::wait`): "Only one thread can wait on
    /// I/O. If another thread is already in `wait()`, concurrent calls to
    /// this method will return immediately with no new events."
    /// (`wait_impl`: `self.lock.try_lock()` failing returns `Ok(0)`; every
    /// other return is `epoll_wait`'s.)
    pub busy_wait_returns_empty: bool,
}

impl LibraryRules {
    /// No rule: the history is judged by the profile alone.
    pub const NONE: LibraryRules = LibraryRules {
        name: "",
        about: "",
        busy_wait_returns_empty: false,
    };

    /// smol-rs `polling` 3.x: one thread in `wait` at a time; a concurrent
    /// `wait` returns empty at once.
    pub const POLLING: LibraryRules = LibraryRules {
        name: "polling",
        about: "smol-rs polling 3.x, `Poller::wait`: \"If another thread is already in \
                `wait()`, concurrent calls to this method will return immediately with no \
                new events\": an empty wait overlapping another thread's wait on the same \
                port is polling's own answer, not the kernel's",
        busy_wait_returns_empty: true,
    };

    /// `profile` with these rules, as reports name it (`epoll+polling`).
    pub fn label(&self, profile: &str) -> String {
        if self.name.is_empty() {
            profile.to_string()
        } else {
            format!("{profile}+{}", self.name)
        }
    }
}

/// Every named rule set, as `--library` lists them.
pub const LIBRARIES: [LibraryRules; 1] = [LibraryRules::POLLING];

/// The rule set named `name` (`none` is [`LibraryRules::NONE`]).
pub fn library(name: &str) -> Option<LibraryRules> {
    if name == "none" {
        return Some(LibraryRules::NONE);
    }
    LIBRARIES.iter().find(|l| l.name == name).copied()
}

/// The names [`library`] knows, for error messages.
pub fn library_names() -> Vec<&'static str> {
    std::iter::once("none")
        .chain(LIBRARIES.iter().map(|l| l.name))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_named_rule_set_is_found_by_its_name_and_says_what_it_does() {
        for l in LIBRARIES {
            assert_eq!(library(l.name), Some(l));
            assert!(!l.about.is_empty(), "{}", l.name);
        }
        assert_eq!(library("none"), Some(LibraryRules::NONE));
        assert_eq!(library("tokio"), None);
        assert_eq!(LibraryRules::POLLING.label("epoll"), "epoll+polling");
        assert_eq!(LibraryRules::NONE.label("epoll"), "epoll");
    }
}
