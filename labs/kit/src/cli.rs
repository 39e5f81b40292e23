//! Command-line handling shared by every lab binary.
//!
//! clap already exits with status 2 on a usage error, but prints the whole usage block. A lab
//! prints one line (`error: …` plus a pointer to `--help`) so the mistake is easy to see.

use clap::Parser;
use clap::error::ErrorKind;
use std::fmt::Display;
use std::process::ExitCode;

/// Exit status for bad flags or absurd values, as clap and most Unix tools use.
pub const USAGE_ERROR: u8 = 2;

/// Parses the process's arguments, or prints a one-line error and exits with status 2.
/// `--help` and `--version` print as usual and exit 0.
pub fn parse<T: Parser>() -> T {
    match T::try_parse() {
        Ok(args) => args,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
            _ => usage_error(first_line(&err.to_string())),
        },
    }
}

/// Prints `error: MESSAGE (see --help)` and exits with status 2.
pub fn usage_error(message: impl Display) -> ! {
    let bin = binary_name();
    eprintln!("{bin}: {message} (see `{bin} --help`)");
    std::process::exit(USAGE_ERROR.into())
}

/// Runs a lab's body: an error becomes one line on stderr and exit status 1, not a backtrace.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    match body() {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("{}: error: {err:#}", binary_name());
            ExitCode::FAILURE
        }
    }
}

fn first_line(text: &str) -> String {
    let line = text.lines().next().unwrap_or("invalid arguments").trim();
    line.strip_prefix("error: ").unwrap_or(line).to_owned()
}

fn binary_name() -> String {
    std::env::args()
        .next()
        .as_deref()
        .and_then(|path| std::path::Path::new(path).file_name())
        .map(|name| name.to_string_lossy().into_owned())
        .unwrap_or_else(|| "lab".into())
}

#[cfg(test)]
mod tests {
    use super::first_line;

    #[test]
    fn keeps_only_the_first_line_without_the_prefix() {
        let clap_text =
            "error: invalid value '0' for '--workers <N>': 0 is not in 1..=64\n\nUsage: lab";
        assert_eq!(
            first_line(clap_text),
            "invalid value '0' for '--workers <N>': 0 is not in 1..=64"
        );
    }
}
