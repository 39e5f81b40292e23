//! Measured results, from the files `cargo book measure` writes to the pages that show them.
//!
//! - [`records`]: the result files on disk (`results/reference/`, `results/local/`) loaded into
//!   [`ResultSet`]s, and how a quantity is written in the book;
//! - [`criterion`]: the only code that knows criterion's flags, its `--list` output and its
//!   files;
//! - [`chart`]: horizontal bar charts as inline SVG, on what the crate `figures` gives every
//!   figure ([`figures::svg`]); the timelines, which the labs draw too, are
//!   [`figures::timeline`];
//! - [`directive`], [`render`] and [`preprocessor`]: the `results` preprocessor, from finding
//!   `{{#bench}}`, `{{#value}}`, `{{#ratio}}`, `{{#machine}}` and `{{#timeline}}` in a page, through what each
//!   becomes, to mdBook's `Preprocessor` and the check `cargo book check` runs.

pub mod chart;
pub mod criterion;
pub mod directive;
pub mod preprocessor;
pub mod records;
pub mod render;

pub use preprocessor::{ResultsPreprocessor, check};
pub use records::*;
