//! Command-line handling shared by every lab binary.
//!
//! clap already exits with status 2 on a usage error, but prints the whole usage block. A lab
//! prints one line (`error: …` plus a pointer to `--help`) so the mistake is easy to see.
//!
//! The portable part (parsing, the one-line errors, the quiet end on a closed stdout) lives in
//! [`schema::cli`], which the book tool uses without the kit; it is re-exported here. Only
//! [`run`] is the kit's own, because it installs the Linux-only [`crate::interrupt`].
//!
//! [`TimelineArg`] is the `--timeline FILE` flag of every lab that records timelines: the lab
//! flattens it into its flags and hands it to `lab::run_with_timeline`, which opens the file
//! with [`TimelineArg::open`] before the lab runs (an unwritable path is a usage error, not a
//! failure after a long run) and writes the run's timelines there through the crate `figures`.
//! Both need the cargo feature `timeline-svg`, so labs without timelines never compile plotters.
//!
//! [`linux_only`] is portable: it is what a lab's `main` is on macOS or Windows, where the lab
//! itself is not compiled (it needs `clone`, `/proc`, `prctl`), so that building a lab there
//! gives a program that says so in one line instead of a compile error.

use std::fs::File;
use std::path::PathBuf;
use std::process::ExitCode;

pub use schema::cli::{LabArgs, USAGE_ERROR, parse, usage_error};

/// Runs a lab's body: an error becomes one line on stderr and exit status 1, not a backtrace,
/// and a closed standard output ends the lab quietly with status 0 ([`schema::cli::run`]).
///
/// It first installs [`crate::interrupt`]: on SIGINT, SIGTERM or SIGHUP the lab kills and
/// reaps every child and exits 130, 143 or 129. Most labs call it through
/// [`crate::lab::run`], which also prints the outcome.
#[cfg(target_os = "linux")]
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    crate::interrupt::install();
    schema::cli::run(body)
}

/// `--timeline FILE`, the same flag in every lab that records timelines: `#[command(flatten)]`
/// it into the lab's `Args`.
#[derive(clap::Args, Debug, Clone, Default)]
pub struct TimelineArg {
    /// Also record this run's timelines (which worker ran when, on which CPU) and write them
    /// to FILE as one SVG document, which a browser opens
    #[arg(long, value_name = "FILE")]
    pub timeline: Option<PathBuf>,
}

impl TimelineArg {
    /// Creates (or truncates) the file now, before the lab runs, so that a path that cannot be
    /// written is a usage error (one line, exit 2) at once rather than after the run. `None`
    /// without the flag. A file this call created is removed again if the run ends without
    /// writing it (see [`TimelineFile`]'s `Drop`), so a failed run leaves no empty file behind.
    pub fn open(&self) -> Option<TimelineFile> {
        let path = self.timeline.clone()?;
        let created = !path.exists();
        match File::create(&path) {
            Ok(file) => Some(TimelineFile {
                path,
                file,
                created,
                written: false,
            }),
            Err(err) => usage_error(format_args!("--timeline {}: {err}", path.display())),
        }
    }
}

/// The file `--timeline` names, open for writing.
#[derive(Debug)]
pub struct TimelineFile {
    path: PathBuf,
    // Written only by `write`, which needs the `timeline-svg` feature; a lab that takes the
    // flag enables it (its `run_with_timeline` call does not compile otherwise).
    #[cfg_attr(not(feature = "timeline-svg"), allow(dead_code))]
    file: File,
    /// Whether [`TimelineArg::open`] made the file (it did not exist before).
    created: bool,
    /// Whether `write` finished; until then the file is empty or partial.
    written: bool,
}

impl Drop for TimelineFile {
    /// A run that failed (or recorded nothing) removes the file `open` created, rather than
    /// leave an empty or half-written SVG that looks like a result. A file that existed
    /// before is left as truncated: it was the reader's to overwrite.
    fn drop(&mut self) {
        if self.created && !self.written {
            let _ = std::fs::remove_file(&self.path);
        }
    }
}

impl TimelineFile {
    /// Where the timelines go.
    pub fn path(&self) -> &std::path::Path {
        &self.path
    }

    /// Writes `timelines` (each under its id, which becomes its title) as one standalone SVG
    /// document ([`figures::timeline::document`]). Fails if there are none: a lab that takes
    /// the flag must record them when it is given.
    #[cfg(feature = "timeline-svg")]
    pub fn write(
        mut self,
        timelines: &[(String, schema::timeline::Timeline)],
    ) -> anyhow::Result<()> {
        use anyhow::Context;
        use std::io::Write;
        anyhow::ensure!(!timelines.is_empty(), "the run recorded no timeline");
        let svg = figures::timeline::document(timelines)?;
        self.file
            .write_all(svg.as_bytes())
            .and_then(|()| self.file.flush())
            .with_context(|| format!("writing {}", self.path.display()))?;
        self.written = true;
        Ok(())
    }
}

/// A lab's `main` off Linux: prints one line on stderr, `<lab>: this lab needs Linux (see
/// src/labs/platforms.md)`, and returns exit status 1, like any other error of a lab. `lab` is
/// the lab's package name (`env!("CARGO_PKG_NAME")`).
pub fn linux_only(lab: &str) -> ExitCode {
    eprintln!("{}", linux_only_line(lab));
    ExitCode::FAILURE
}

/// Every lab's `fn main`, on every OS: on Linux it calls `$main` (the lab, which lives in a
/// `#[cfg(target_os = "linux")]` module of its `main.rs`, since it needs Linux's own
/// interfaces); elsewhere the program is [`linux_only`]'s one line. `env!` is expanded in the
/// lab's crate, so the line names the lab.
///
/// ```ignore
/// kit::lab_main!(lab::main);
///
/// #[cfg(target_os = "linux")]
/// mod lab {
///     pub fn main() -> std::process::ExitCode { /* parse, kit::lab::run(…) */ }
/// }
/// ```
#[macro_export]
macro_rules! lab_main {
    ($main:path) => {
        #[cfg(target_os = "linux")]
        fn main() -> std::process::ExitCode {
            $main()
        }

        #[cfg(not(target_os = "linux"))]
        fn main() -> std::process::ExitCode {
            $crate::cli::linux_only(env!("CARGO_PKG_NAME"))
        }
    };
}

/// The one line [`linux_only`] prints.
fn linux_only_line(lab: &str) -> String {
    format!("{lab}: this lab needs Linux (see src/labs/platforms.md)")
}

#[cfg(test)]
mod tests {
    #[test]
    fn off_linux_a_lab_names_itself_and_the_platforms_page_in_one_line() {
        assert_eq!(
            super::linux_only_line("race"),
            "race: this lab needs Linux (see src/labs/platforms.md)"
        );
    }

    #[test]
    fn a_timeline_file_the_run_never_wrote_is_removed_and_one_that_existed_is_kept() {
        let dir = tempfile::tempdir().unwrap();
        let fresh = dir.path().join("fresh.svg");
        let arg = super::TimelineArg {
            timeline: Some(fresh.clone()),
        };
        let file = arg.open().unwrap();
        assert!(fresh.exists(), "open creates the file before the run");
        drop(file);
        assert!(
            !fresh.exists(),
            "a run that wrote nothing leaves no empty file"
        );

        let old = dir.path().join("old.svg");
        std::fs::write(&old, "earlier").unwrap();
        let arg = super::TimelineArg {
            timeline: Some(old.clone()),
        };
        drop(arg.open().unwrap());
        assert!(old.exists(), "the reader's own file is not deleted");
    }
}
