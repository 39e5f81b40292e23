//! The figures both the book and the labs draw, in a crate of their own so that each can: the
//! book tool (portable, no kit) draws them into pages, and a lab (through the kit's optional
//! `timeline-svg` feature) writes them to a file for `--timeline FILE`. No OS-specific code,
//! like `schema`, on which it stands.
//!
//! - [`svg`]: what every figure drawn with plotters shares (the `currentColor` placeholder,
//!   text metrics, tick labels, [`svg::finish`] for a page and [`svg::document`] for a file);
//! - [`timeline`]: a run's timeline (a lane per worker, spans coloured by CPU) as SVG, and the
//!   same in sentences.
//!
//! The book's bar charts stay in the book tool (`results::chart`): only the book draws them.

pub mod svg;
pub mod timeline;
