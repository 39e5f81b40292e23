//! Command-line handling shared by every lab binary and the book tool.
//!
//! clap already exits with status 2 on a usage error, but prints the whole usage block. A lab
//! prints one line (`error: …` plus a pointer to `--help`) so the mistake is easy to see.
//!
//! Only the portable part lives here, so the book tool builds on any OS. `kit::cli` re-exports
//! it and wraps [`run`] with the kit's Linux-only interruption handler (`kit::interrupt`).

use clap::Parser;
use clap::error::ErrorKind;
use std::fmt::Display;
use std::process::ExitCode;

/// Exit status for bad flags or absurd values, as clap and most Unix tools use.
pub const USAGE_ERROR: u8 = 2;

// A lab's command line: the lab's own flags `A` (a `#[derive(clap::Args)]` struct whose doc
// comment is the lab's help: `-h` prints its first paragraph, or the package description where
// the struct says `#[command(about)]`, and `--help` all of it) and `--json`, which every lab has:
// `let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();`, then
// `kit::lab::run(json, …)`. Not a doc comment on purpose: clap's derive would make it the
// `--help` text of every lab, in place of the lab's own.
#[derive(Parser, Debug)]
pub struct LabArgs<A: clap::Args> {
    #[command(flatten)]
    pub lab: A,
    /// Print the results as a JSON report (kit::Report) instead of the readable report
    #[arg(long)]
    pub json: bool,
}

/// Parses the process's arguments, or prints a one-line error and exits with status 2.
/// `--help` and `--version` print as usual and exit 0. The program's name in `--help` is the
/// binary's own (a [`LabArgs`] is derived here, in the kit, whose package name would
/// otherwise stand in for every lab's).
pub fn parse<T: Parser>() -> T {
    let name = std::env::args_os()
        .next()
        .and_then(|arg0| {
            let path = std::path::PathBuf::from(arg0);
            Some(path.file_name()?.to_string_lossy().into_owned())
        })
        .unwrap_or_else(|| T::command().get_name().to_owned());
    let parsed = T::command()
        .bin_name(name)
        .try_get_matches()
        .and_then(|mut matches| T::from_arg_matches_mut(&mut matches));
    match parsed {
        Ok(args) => args,
        Err(err) => match err.kind() {
            ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => err.exit(),
            _ => {
                let args: Vec<String> = std::env::args().skip(1).collect();
                usage_error(explain(&err, &args))
            }
        },
    }
}

/// The one line a usage error prints: clap's first line, made to say what to fix where clap's
/// own words do not. A negative number after a flag (`--rounds -1`) reads to clap as an
/// unknown flag, so the line names the flag before it; a number that does not parse says
/// "not a whole number" instead of Rust's `invalid digit found in string`; a value outside a
/// fixed set lists the set.
fn explain(err: &clap::Error, args: &[String]) -> String {
    use clap::error::{ContextKind, ContextValue};
    let line = first_line(&err.to_string());
    match err.kind() {
        ErrorKind::UnknownArgument => {
            let Some(ContextValue::String(arg)) = err.get(ContextKind::InvalidArg) else {
                return line;
            };
            let negative = arg.strip_prefix('-').is_some_and(|rest| {
                !rest.is_empty() && rest.chars().all(|c| c.is_ascii_digit() || c == '.')
            });
            let flag = args
                .iter()
                .position(|a| a == arg)
                .and_then(|i| i.checked_sub(1))
                .map(|i| &args[i])
                .filter(|before| before.starts_with("--"));
            match (negative, flag) {
                (true, Some(flag)) => format!("{flag} {arg}: a negative number is not allowed"),
                _ => line,
            }
        }
        ErrorKind::InvalidValue | ErrorKind::ValueValidation => {
            let line = line
                .replace("invalid digit found in string", "not a whole number")
                .replace(
                    "cannot parse integer from empty string",
                    "not a whole number",
                )
                .replace(
                    "number too large to fit in target type",
                    "too large a number",
                );
            match err.get(ContextKind::ValidValue) {
                Some(ContextValue::Strings(values)) if !values.is_empty() => {
                    format!("{line} (one of: {})", values.join(", "))
                }
                _ => line,
            }
        }
        _ => line,
    }
}

/// Prints `error: MESSAGE (see --help)` and exits with status 2.
pub fn usage_error(message: impl Display) -> ! {
    let bin = binary_name();
    eprintln!("{bin}: {message} (see `{bin} --help`)");
    std::process::exit(USAGE_ERROR.into())
}

/// Runs a program's body: an error becomes one line on stderr and exit status 1, not a
/// backtrace. `kit::cli::run` calls it after installing `kit::interrupt`, so a lab kills and
/// reaps its children on SIGINT, SIGTERM or SIGHUP; the book tool calls it directly.
///
/// A closed standard output (`cargo lab join | head -1`: `head` has read its line and gone)
/// ends the program quietly with status 0, as it ends `cat`, once the body has unwound: its
/// guards have killed and reaped every child by then. `println!` reports a closed stdout by
/// panicking ("failed printing to stdout", library/std/src/io/stdio.rs, `print_to`); the
/// panic hook stays silent for exactly that panic and speaks for every other.
pub fn run(body: impl FnOnce() -> anyhow::Result<()>) -> ExitCode {
    quiet_when_stdout_closes();
    match std::panic::catch_unwind(std::panic::AssertUnwindSafe(body)) {
        Ok(Ok(())) => ExitCode::SUCCESS,
        Ok(Err(err)) => {
            eprintln!("{}: error: {err:#}", binary_name());
            ExitCode::FAILURE
        }
        Err(payload) if is_closed_stdout(payload.as_ref()) => ExitCode::SUCCESS,
        Err(payload) => std::panic::resume_unwind(payload),
    }
}

/// std's panic message when `print!`/`println!` cannot write because the reader of stdout
/// has gone (EPIPE). Pinned by a test that closes a real pipe.
const STDOUT_CLOSED: &str = "failed printing to stdout: Broken pipe";

fn is_closed_stdout(payload: &(dyn std::any::Any + Send)) -> bool {
    let message = payload
        .downcast_ref::<String>()
        .map(String::as_str)
        .or_else(|| payload.downcast_ref::<&str>().copied());
    message.is_some_and(|m| m.starts_with(STDOUT_CLOSED))
}

/// Keeps the default panic hook for every panic but the one for a closed stdout.
fn quiet_when_stdout_closes() {
    static ONCE: std::sync::Once = std::sync::Once::new();
    ONCE.call_once(|| {
        let default = std::panic::take_hook();
        std::panic::set_hook(Box::new(move |info| {
            if !is_closed_stdout(info.payload()) {
                default(info);
            }
        }));
    });
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
    use super::{explain, first_line};
    use clap::Parser;

    #[derive(Debug, Parser)]
    struct Demo {
        #[arg(long, default_value_t = 1)]
        rounds: u32,
        #[arg(long, default_value = "lock", value_parser = ["lock", "vfork"])]
        demo: String,
    }

    fn error_for(args: &[&str]) -> String {
        let argv: Vec<String> = std::iter::once("lab")
            .chain(args.iter().copied())
            .map(String::from)
            .collect();
        let err = Demo::try_parse_from(&argv).unwrap_err();
        explain(&err, &argv[1..])
    }

    #[test]
    fn a_negative_number_names_its_flag() {
        assert_eq!(
            error_for(&["--rounds", "-1"]),
            "--rounds -1: a negative number is not allowed"
        );
    }

    #[test]
    fn a_number_that_does_not_parse_says_so_in_words() {
        let line = error_for(&["--rounds", "x"]);
        assert!(line.ends_with("not a whole number"), "{line}");
        assert!(line.contains("--rounds"), "{line}");
        // Past the type's range clap names the range itself.
        let line = error_for(&["--rounds", "99999999999"]);
        assert!(line.ends_with("is not in 0..=4294967295"), "{line}");
    }

    #[test]
    fn a_value_outside_its_set_lists_the_set() {
        let line = error_for(&["--demo", "bogus"]);
        assert!(line.ends_with("(one of: lock, vfork)"), "{line}");
    }

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
