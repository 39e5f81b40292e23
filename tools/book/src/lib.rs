//! The book tool: builds, serves and checks *Threads vs Processes* with mdBook used as a
//! library, every preprocessor registered in-process, so a fresh machine needs only cargo.
//!
//! The ground floor, which imports no feature module:
//! - [`source`]: `Problem` (`file:line: message`), the pages, line mapping;
//! - [`markdown`]: mdBook's parser options, code ranges, fenced blocks, one HTML escape;
//! - [`process`]: one runner with a timeout that kills a process group with `killpg`;
//! - [`labs`]: one discovery of the lab crates;
//! - [`directive`]: what a preprocessor says about the directives it expands;
//! - [`watch`]: act once per settled burst of file changes (serve, exercises).
//!
//! The features above it:
//! - [`build`](mod@build): load `book.toml`, register preprocessors, stage assets, render to HTML;
//!   [`registry`] lists the preprocessors that expand directives; [`preprocess`] speaks
//!   mdBook's external preprocessor protocol for them, so the stock `mdbook` CLI runs them too;
//! - [`serve`]: build, serve on 127.0.0.1, rebuild on change and reload the open pages (server-sent events);
//! - [`quiz`]: the `{{#quiz …}}`, `{{#quiz-index}}` and `{{#quiz-drill}}` preprocessor;
//! - [`results`]: measured results, criterion's files, charts, and the `{{#bench}}`,
//!   `{{#value}}`, `{{#ratio}}`, `{{#machine}}` preprocessor; [`measure`] produces them;
//! - [`exercises`]: `cargo book exercises`, the self-study loop over `exercises`, whose
//!   runner the tests' meta-check reuses;
//! - [`checks`]: SUMMARY, includes, Rust blocks, diagrams, directives, the meta-check of labs
//!   against pages, links between built pages, no typed measurements;
//! - [`fixture`]: temporary books for the tests (like mdBook's `BookTest`);
//! - [`check`]: only the aggregate of every check, used by `cargo book check` and the tests.

pub mod directive;
pub mod labs;
pub mod markdown;
pub mod process;
pub mod source;
pub mod watch;

pub mod assets;
pub mod build;
pub mod check;
pub mod checks;
pub mod exercises;
pub mod fixture;
pub mod measure;
pub mod preprocess;
pub mod quiz;
pub mod registry;
pub mod results;
pub mod serve;

pub use build::{BuildOptions, BuildOutcome, build};
pub use source::Problem;

use std::path::{Path, PathBuf};

/// The files that mark the root of a checkout of this repository: the book's configuration
/// beside the book tool's own manifest (another mdBook's `book.toml` is not enough).
const ROOT_MARKERS: [&str; 2] = ["book.toml", "tools/book/Cargo.toml"];

/// The repository root that holds `start`: the nearest ancestor of `start` (or `start`
/// itself) with `book.toml` and `tools/book/Cargo.toml`.
///
/// The root is found at run time, never baked in at compile time: two checkouts that share a
/// `CARGO_TARGET_DIR` run the same binary, and a checkout can move. A path compiled into the
/// binary (`CARGO_MANIFEST_DIR`) would make `cargo book` build, serve and watch whichever
/// checkout compiled it last.
pub fn find_root(start: &Path) -> anyhow::Result<PathBuf> {
    let start = std::path::absolute(start)?;
    start
        .ancestors()
        .find(|dir| ROOT_MARKERS.iter().all(|marker| dir.join(marker).is_file()))
        .map(Path::to_path_buf)
        .ok_or_else(|| {
            anyhow::anyhow!(
                "{} is not inside a Threads vs Processes checkout (no book.toml beside \
                 tools/book above it): run this from the repository, or pass --root",
                start.display()
            )
        })
}

/// The repository root that holds the current directory, for the tests (cargo runs every
/// test in its package's directory, which is inside the checkout).
///
/// # Panics
///
/// If the current directory is not inside a checkout; the command line uses [`find_root`]
/// and reports that as a one-line error instead.
pub fn repo_root() -> PathBuf {
    let here = std::env::current_dir().expect("the current directory is readable");
    find_root(&here).unwrap_or_else(|err| panic!("{err:#}"))
}

#[cfg(test)]
mod tests {
    use super::find_root;
    use std::fs;

    #[test]
    fn finds_the_nearest_checkout_above_the_start() {
        let dir = tempfile::tempdir().unwrap();
        let base = dir.path().to_path_buf();
        let nested = base.join("src/concepts");
        fs::create_dir_all(base.join("tools/book")).unwrap();
        fs::create_dir_all(&nested).unwrap();
        let found_before = find_root(&nested);
        fs::write(base.join("book.toml"), "").unwrap();
        fs::write(base.join("tools/book/Cargo.toml"), "").unwrap();
        let found = find_root(&nested);
        // No markers yet: the search may find some checkout further up (the machine's temp
        // directory is not inside one), but never this one.
        assert_ne!(found_before.ok().as_deref(), Some(base.as_path()));
        assert_eq!(found.unwrap(), base);
    }

    #[test]
    fn a_directory_outside_any_checkout_is_a_one_line_error() {
        let err = find_root(std::path::Path::new("/"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("not inside a Threads vs Processes checkout"),
            "{err}"
        );
        assert!(!err.contains('\n'), "{err}");
    }
}
