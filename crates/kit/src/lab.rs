//! The shape every lab has: parse the flags, run, print the outcome.
//!
//! A lab's `main.rs` is its flags (a `#[derive(clap::Args)]` struct; the kit's
//! [`crate::cli::LabArgs`] adds `--json`) and one call:
//!
//! ```ignore
//! fn main() -> std::process::ExitCode {
//!     // One-line usage errors, exit 2.
//!     let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
//!     kit::lab::run(json, |progress| my_lab::run(&args.settings(), progress))
//! }
//! ```
//!
//! The body returns the lab's outcome, a type that implements [`Outcome`] (in the lab's
//! `report.rs`): [`Outcome::report`] gives the records for `--json`, [`Outcome::render`] the
//! readable report. [`run`] does the rest, the same way for every lab:
//!
//! - it installs [`crate::interrupt`]: on SIGINT, SIGTERM or SIGHUP every child is killed
//!   and reaped and the lab exits 130, 143 or 129;
//! - it runs the body under [`crate::cli::run`]: an error is one line and exit 1, a closed
//!   stdout (`| head -1`) ends quietly with 0;
//! - it gives the body a [`Progress`] that writes to stderr only when stderr is a terminal,
//!   and clears its line before anything is printed;
//! - it prints `report().to_json()` with `--json`, else `render(&Machine::detect())`, and
//!   then returns [`Outcome::check`] (an error there still fails the lab, after the report).
//!
//! Children a lab starts come from [`crate::Children`] (forked) or [`crate::command`]
//! (`Command`, including the lab's own re-executed copy, [`crate::command::myself`]): both
//! die with the lab even when it is killed with SIGKILL.

use crate::table::{Table, nanos};
use crate::{Machine, Report, Unit};
use std::fmt::{Display, Write};
use std::io::IsTerminal;
use std::process::ExitCode;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// What a lab found, and how it says it.
pub trait Outcome {
    /// The records for `--json` (and for `cargo book measure`). Ids start with `<lab>/`.
    fn report(&self) -> Report;

    /// The readable report printed without `--json`. The default prints the machine and
    /// one row per record (id, median, low–high, what); a lab overrides it to explain what
    /// to observe.
    fn render(&self, machine: &Machine) -> String {
        render_records(&self.report(), machine)
    }

    /// Checked after the report is printed: an error here (a checksum that does not match)
    /// fails the lab with exit status 1, but the reader still sees what was measured. The
    /// default finds nothing wrong.
    fn check(&self) -> anyhow::Result<()> {
        Ok(())
    }
}

/// A `Report` is its own outcome: a lab whose readable output is the default table can
/// return its report directly.
impl Outcome for Report {
    fn report(&self) -> Report {
        self.clone()
    }
}

/// Writes the opening of every readable report: `title` on its own line (`<lab>: what it
/// shows`), `Machine: …` (what the numbers below were measured on), and a blank line.
/// [`crate::testing::readable_report`] checks that opening in each lab's tests.
pub fn write_heading(out: &mut String, title: &str, machine: &Machine) {
    let _ = writeln!(out, "{title}");
    let _ = writeln!(out, "Machine: {}", machine.summary());
    let _ = writeln!(out);
}

/// Writes the closing of a readable report: the `What to observe:` heading, then one
/// `- ` line for each of `observations` (sentences computed from this run's numbers).
pub fn write_observations<S: Display>(out: &mut String, observations: impl IntoIterator<Item = S>) {
    let _ = writeln!(out, "What to observe:");
    for line in observations {
        let _ = writeln!(out, "- {line}");
    }
}

/// Runs `once` for `warm_up` rounds that are not timed, then for `rounds` rounds timed each
/// with `Instant`, and returns those times: how a lab that times something itself (rather than
/// in a criterion bench) measures it. The first error ends the loop and is returned.
pub fn time_rounds(
    warm_up: usize,
    rounds: usize,
    mut once: impl FnMut() -> anyhow::Result<()>,
) -> anyhow::Result<Vec<Duration>> {
    for _ in 0..warm_up {
        once()?;
    }
    let mut samples = Vec::with_capacity(rounds);
    for _ in 0..rounds {
        let start = Instant::now();
        once()?;
        samples.push(start.elapsed());
    }
    Ok(samples)
}

/// The default readable report: `Machine: …` and a table of every record.
pub fn render_records(report: &Report, machine: &Machine) -> String {
    let mut out = String::new();
    write_heading(&mut out, &report.lab, machine);
    let mut table = Table::new(["record", "median", "low-high", "what"]);
    for record in &report.records {
        let value = |v: f64| {
            if record.unit == Unit::Nanoseconds {
                nanos(v)
            } else {
                format!("{v} {}", record.unit.after(v))
            }
        };
        table.row([
            record.id.clone(),
            value(record.median),
            format!("{}-{}", value(record.low), value(record.high)),
            record.what.clone(),
        ]);
    }
    let _ = write!(out, "{table}");
    out
}

/// Progress messages on stderr, only when stderr is a terminal (so `--json > file`, a pipe
/// and the tests see none). Each message replaces the previous one on the same line. It is
/// `Sync`: worker threads may share one `&Progress`.
#[derive(Debug)]
pub struct Progress {
    enabled: bool,
    shown: AtomicBool,
}

impl Progress {
    /// Progress on stderr if it is a terminal.
    pub fn on_stderr() -> Self {
        Self::new(std::io::stderr().is_terminal())
    }

    /// Progress that shows (`true`) or stays silent (`false`), for tests and library callers.
    pub fn new(enabled: bool) -> Self {
        Self {
            enabled,
            shown: AtomicBool::new(false),
        }
    }

    /// Shows `message…` in place of the previous message.
    pub fn show(&self, message: impl Display) {
        if self.enabled {
            eprint!("\r\x1b[K{message}…");
            self.shown.store(true, Ordering::Relaxed);
        }
    }

    /// Erases the message line, if one is shown.
    pub fn clear(&self) {
        if self.shown.swap(false, Ordering::Relaxed) {
            eprint!("\r\x1b[K");
        }
    }
}

impl Drop for Progress {
    fn drop(&mut self) {
        self.clear();
    }
}

/// Runs a lab: installs the interrupt handling, runs `body` with a [`Progress`], clears the
/// progress line, prints the outcome's `--json` report (`json == true`) or its readable
/// report, then runs [`Outcome::check`]. Returns the exit code for `main` (see the module docs).
pub fn run<O: Outcome>(json: bool, body: impl FnOnce(&Progress) -> anyhow::Result<O>) -> ExitCode {
    crate::cli::run(|| {
        let outcome = {
            let progress = Progress::on_stderr();
            body(&progress)?
        };
        if json {
            println!("{}", outcome.report().to_json());
        } else {
            print!("{}", outcome.render(&Machine::detect()));
        }
        outcome.check()
    })
}

/// [`run`] for a lab with `--timeline FILE` ([`crate::cli::TimelineArg`]). The file is opened
/// first, before the lab runs, so that an unwritable path is a usage error at once rather than
/// after the run. The body is told whether to record timelines: for `--json` (the book draws
/// them) and for `--timeline`; the lab's timed figures must not come from the runs that record
/// them. Once the body has returned, the outcome's timelines (`report().timelines`) are written
/// to the file as one SVG document, then the outcome is printed as usual.
#[cfg(feature = "timeline-svg")]
pub fn run_with_timeline<O: Outcome>(
    json: bool,
    timeline: &crate::cli::TimelineArg,
    body: impl FnOnce(&Progress, bool) -> anyhow::Result<O>,
) -> ExitCode {
    let file = timeline.open();
    let record = json || file.is_some();
    run(json, |progress| {
        let outcome = body(progress, record)?;
        if let Some(file) = file {
            file.write(&outcome.report().timelines)?;
        }
        Ok(outcome)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Record;

    #[test]
    fn time_rounds_times_only_the_rounds_after_the_warm_up_and_stops_at_an_error() {
        let mut calls = 0;
        let samples = time_rounds(3, 5, || {
            calls += 1;
            Ok(())
        })
        .unwrap();
        assert_eq!((calls, samples.len()), (8, 5));
        let mut calls = 0;
        let failed = time_rounds(3, 5, || {
            calls += 1;
            anyhow::ensure!(calls < 2, "round {calls} failed");
            Ok(())
        });
        assert_eq!(failed.unwrap_err().to_string(), "round 2 failed");
        assert_eq!(calls, 2);
    }

    #[test]
    fn the_default_render_lists_every_record() {
        let mut report = Report::new("demo");
        report.push(Record::count(
            "demo/lost",
            "lines lost",
            crate::Unit::Count(crate::Noun::Lines),
            3.0,
        ));
        let text = report.render(&Machine::detect());
        assert!(text.contains("demo/lost"), "{text}");
        assert!(text.contains("3 lines"), "{text}");
        assert!(text.contains("lines lost"), "{text}");
    }

    #[test]
    fn observations_are_a_heading_and_one_dash_line_each() {
        let mut out = String::new();
        write_observations(&mut out, ["one", "two"]);
        assert_eq!(out, "What to observe:\n- one\n- two\n");
    }
}
