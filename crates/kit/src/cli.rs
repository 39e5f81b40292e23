//! Command-line handling shared by every lab binary.
//!
//! clap already exits with status 2 on a usage error, but prints the whole usage block. A lab
//! prints one line (`error: …` plus a pointer to `--help`) so the mistake is easy to see.
//!
//! The portable part (parsing, the one-line errors, the quiet end on a closed stdout) lives in
//! [`schema::cli`], which the book tool uses without the kit; it is re-exported here. Only
//! [`run`] is the kit's own, because it installs the Linux-only [`crate::interrupt`].

use std::process::ExitCode;

pub use schema::cli::{LabArgs, USAGE_ERROR, parse, usage_error};

/// Runs a lab's body: an error becomes one line on stderr and exit status 1, not a backtrace,
/// and a closed standard output ends the lab quietly with status 0 ([`schema::cli::run`]).
///
/// It first installs [`crate::interrupt`]: on SIGINT, SIGTERM or SIGHUP the lab kills and
/// reaps every child and exits 130, 143 or 129. Most labs call it through
/// [`crate::lab::run`], which also prints the outcome.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    crate::interrupt::install();
    schema::cli::run(body)
}
