//! The book tool: builds, serves and checks *Threads vs Processes* with mdBook used as a
//! library, every preprocessor registered in-process, so a fresh machine needs only cargo.
//!
//! - [`build`]: load `book.toml`, register preprocessors, stage assets, render to HTML;
//! - [`serve`]: build, serve on 127.0.0.1, rebuild on change;
//! - [`check`]: the book's invariants (SUMMARY, includes and anchors, diagrams), used by
//!   `cargo book check` and by the tests;
//! - [`quiz`]: the `{{#quiz …}}`, `{{#quiz-index}}` and `{{#quiz-drill}}` preprocessor;
//! - [`results_preprocessor`]: `{{#bench}}`, `{{#value}}`, `{{#ratio}}`, `{{#machine}}` (measured
//!   results from [`results`], charts from [`chart`]); [`measure`] produces them, reading
//!   criterion's files through [`criterion`] only;
//! - [`exercises`]: `cargo book exercises`, the self-study loop over `labs/exercises`, whose
//!   runner the tests' meta-check reuses;
//! - [`meta`]: the labs and the book agree (every lab has a page, tests, a bench where it
//!   measures time; every anchor is used); [`linkcheck`]: links between built pages resolve.

pub mod assets;
pub mod build;
pub mod chart;
pub mod check;
pub mod criterion;
pub mod exercises;
pub mod figures;
pub mod linkcheck;
pub mod measure;
pub mod meta;
pub mod quiz;
pub mod results;
pub mod results_preprocessor;
pub mod serve;

pub use build::{BuildOptions, BuildOutcome, build};
pub use check::Problem;

use std::path::PathBuf;

/// The repository root: the book, the labs and the results all live below it. The tool is
/// always built from this repository, so its own manifest directory locates it.
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../..")
        .canonicalize()
        .expect("the book tool lives at tools/book in the repository")
}
