//! Checks the links of the built book: `cargo run -p onering-check --example
//! book_links -- target/book`. Exit 0 when every relative link and anchor
//! resolves, 1 when some do not (each printed), 2 on bad usage.

use std::process::ExitCode;

fn main() -> ExitCode {
    let Some(dir) = std::env::args().nth(1) else {
        eprintln!("usage: book_links DIR (mdBook's output, e.g. target/book)");
        return ExitCode::from(2);
    };
    match onering_check::book::links::check(std::path::Path::new(&dir)) {
        Ok(r) if r.broken.is_empty() => {
            println!(
                "{dir}: {} pages, {} relative links: every link and anchor resolves",
                r.pages, r.checked
            );
            ExitCode::SUCCESS
        }
        Ok(r) => {
            for b in &r.broken {
                println!("{}: {} ({})", b.page.display(), b.link, b.why);
            }
            println!("{} of {} relative links broken", r.broken.len(), r.checked);
            ExitCode::from(1)
        }
        Err(e) => {
            eprintln!("{dir}: {e}");
            ExitCode::from(2)
        }
    }
}
