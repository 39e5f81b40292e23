//! The invariants over the book's sources and its built pages that belong to no preprocessor:
//!
//! - [`summary`]: SUMMARY.md and the chapters agree;
//! - [`code`]: includes name existing files and anchors, Rust blocks come from compiled code;
//! - [`mermaid`]: every diagram starts with a type mermaid knows;
//! - [`directives`]: no `{{#name}}` that nothing expands (asks [`crate::registry`]);
//! - [`figures`]: no measurement typed into the prose;
//! - [`meta`]: the labs and the book agree;
//! - [`linkcheck`]: links and `#anchors` between built pages resolve.
//!
//! [`crate::check::all`] runs them with the quiz and results checks.

pub mod code;
pub mod directives;
pub mod figures;
pub mod linkcheck;
pub mod mermaid;
pub mod meta;
pub mod summary;
