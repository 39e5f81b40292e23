//! The shared lab library.
//!
//! Every lab uses the same few pieces, so that each lab's own code can stay short enough to
//! show in the book:
//!
//! - [`lab`]: the shape of every lab: an [`lab::Outcome`] with a report and a readable
//!   render, and [`lab::run`], which prints it, shows progress and handles interruption;
//! - [`cli`]: parse flags with clap, turn bad input into a one-line error and exit code 2;
//! - [`children`]: fork children that are always reaped ([`children::Children`] kills and waits
//!   on drop, children die with their parent);
//! - [`command`]: `std::process::Command`s whose child dies with the lab, and the lab's own
//!   re-executed copy ([`command::myself`]);
//! - [`interrupt`]: on SIGINT, SIGTERM or SIGHUP, kill and reap every child, then exit;
//! - [`procfs`]: who is whose child, from `/proc`;
//! - [`shm`]: anonymous `MAP_SHARED` memory that parent and children both see;
//! - [`anon`]: private anonymous memory with every page written once (resident, with its own
//!   page-table entries), and the page size;
//! - [`spans`]: each worker's units of work, when and on which CPU, for the book's timelines;
//! - [`stats`]: medians and spread of repeated measurements;
//! - [`machine`], [`record`] and [`unit`](mod@unit): what a result was measured on, the one result
//!   schema, and the closed set of units its numbers are in;
//! - [`table`]: aligned text tables, human-readable durations and ratios ([`table::times`],
//!   `14×`) for the labs' reports;
//! - [`testing`]: the process-wide fork lock, `/proc` scans and the command-line checks the
//!   labs' tests use;
//! - `bench` (with the cargo feature `bench`, enabled only by the labs' dev-dependencies): the
//!   criterion settings and the timed loop of the labs' benches.
//!
//! The portable pieces ([`record`], [`unit`](mod@unit), [`stats`], [`table`], the [`Machine`]
//! type and the parsing half of [`cli`]) live in the `schema` crate, so the book tool builds
//! on any OS without the kit; they are re-exported here under their old paths.
//!
//! Everything else calls Linux's own interfaces (`clone`, `prctl`, `/proc`, cgroups), so it is
//! compiled on Linux only (`#[cfg(target_os = "linux")]`, and `nix` is a Linux-only
//! dependency). Elsewhere the kit is its portable part alone, with [`cli::linux_only`], which
//! a lab's `main` calls there to say in one line that it needs Linux.

#[cfg(target_os = "linux")]
pub mod anon;
#[cfg(feature = "bench")]
pub mod bench;
#[cfg(target_os = "linux")]
pub mod children;
pub mod cli;
#[cfg(target_os = "linux")]
pub mod command;
#[cfg(target_os = "linux")]
pub mod interrupt;
#[cfg(target_os = "linux")]
pub mod lab;
#[cfg(target_os = "linux")]
pub mod machine;
#[cfg(target_os = "linux")]
pub mod procfs;
#[cfg(target_os = "linux")]
pub mod shm;
#[cfg(target_os = "linux")]
pub mod spans;
#[cfg(target_os = "linux")]
pub mod testing;

pub use schema::{record, stats, table, timeline, unit};

#[cfg(target_os = "linux")]
pub use children::{Children, fork_child};
#[cfg(target_os = "linux")]
pub use lab::Outcome;
pub use record::{Benchmark, Record, Report, Spread};
pub use schema::machine::Machine;
#[cfg(target_os = "linux")]
pub use shm::SharedRegion;
pub use stats::Summary;
pub use unit::{Noun, Unit};
