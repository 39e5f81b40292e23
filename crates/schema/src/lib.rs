//! The result schema and the other pieces the labs and the book tool share, with no
//! OS-specific code: the labs run on Linux only, but the book that reads their results should
//! build and serve anywhere (`cargo tree -p book -e normal` has no `nix`, which a test in
//! `tests/docs.rs` checks). The kit re-exports every module, so a lab says `kit::Report`.
//!
//! - [`record`]: the one result schema ([`Report`], [`Record`], [`Spread`], [`Benchmark`]);
//! - [`unit`](mod@unit): the closed set of units a record's number is in ([`Unit`], [`Noun`]);
//! - [`stats`]: medians and spread of repeated measurements ([`Summary`]);
//! - [`machine`]: what a result was measured on ([`Machine`]);
//! - [`timeline`]: which worker ran when and on which CPU ([`Timeline`], [`Lane`], [`Span`]);
//! - [`table`]: aligned text tables and readable durations, sizes and ratios;
//! - [`cli`]: parse flags with clap, turn bad input into a one-line error and exit code 2.

pub mod cli;
pub mod machine;
pub mod record;
pub mod stats;
pub mod table;
pub mod timeline;
pub mod unit;

pub use machine::Machine;
pub use record::{Benchmark, Record, Report, Spread};
pub use stats::Summary;
pub use timeline::{Lane, LaneKind, Span, Timeline};
pub use unit::{Noun, Unit};
