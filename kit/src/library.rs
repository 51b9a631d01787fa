//! Rules a library adds to the kernel profile it wraps ([`LibraryRules`]):
//! stated in the model ([`onering_model::LibraryRules`], which cites each
//! library's documentation) and applied by the checker
//! ([`onering_check::library`]), the same as `onering verify --library
//! NAME`. Re-exported here so that a harness names them from the kit.

pub use onering_check::library::{answered_by_library, kernel_calls};
pub use onering_model::{library, library_names, LibraryRules, LIBRARIES};
