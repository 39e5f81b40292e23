//! `cargo book build|serve|check|measure|exercises`: see the crate docs of `book`.

use book::{BuildOptions, check};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Build, serve and check the Threads vs Processes book (mdBook in-process: nothing to install).
#[derive(Parser)]
#[command(name = "cargo book", version)]
struct Cli {
    /// The repository root holding book.toml (default: the checkout that holds the current
    /// directory).
    #[arg(long, global = true)]
    root: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Build the book into target/book.
    Build {
        /// Write the HTML here instead of target/book.
        #[arg(long)]
        dest: Option<PathBuf>,
    },
    /// Build the book, serve it on 127.0.0.1 and rebuild when a source changes.
    Serve {
        /// Port to listen on (0 picks a free one).
        #[arg(long, short, default_value_t = 3000)]
        port: u16,
    },
    /// Check every invariant (SUMMARY, includes and anchors, diagrams, directives, quizzes,
    /// results, labs against pages, figures typed by hand, links between pages) and build
    /// with warnings treated as errors.
    Check,
    /// Run one preprocessor for the stock `mdbook` CLI (mdBook's preprocessor protocol: the
    /// book as JSON on stdin and stdout); book.toml's `[preprocessor.*]` commands call it.
    Preprocess {
        /// The preprocessor.
        name: book::preprocess::Name,
        #[command(subcommand)]
        supports: Option<Supports>,
    },
    /// Run the labs (`--json`) and their criterion benches on this machine and write
    /// results/local/, which the book then shows beside the reference machine's results.
    Measure {
        /// Shorter benchmark runs (less precise): a few minutes for the whole book.
        #[arg(long)]
        quick: bool,
        /// Write results/reference/ (committed, shown to every reader) instead.
        #[arg(long)]
        reference: bool,
        /// Run every lab's --json this many times, one round of all labs after another, and
        /// keep each figure's median of the runs' medians (steadier on a machine whose speed
        /// drifts, such as a VM).
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=9))]
        repeat: u32,
        /// Measure only these labs (default: every lab under labs/ and the baselines crate).
        labs: Vec<String>,
    },
    /// Write every quiz question with its answer and explanation as a file Anki imports
    /// (File → Import): tab-separated, HTML fields, a deck per chapter.
    Flashcards {
        /// Write the file here instead of target/flashcards.txt.
        #[arg(long)]
        out: Option<PathBuf>,
    },
    /// Self-study: test the exercises in exercises in order, show how many are done,
    /// and stop at the first unsolved one with its failing test and a hint.
    Exercises {
        /// Keep watching exercises, and check again whenever a file is saved.
        #[arg(long)]
        watch: bool,
    },
}

/// `preprocess NAME supports RENDERER`, as mdBook asks it.
#[derive(Subcommand)]
enum Supports {
    /// Exit 0 if the preprocessor runs for RENDERER, 1 if not.
    Supports { renderer: String },
}

fn main() -> ExitCode {
    let cli: Cli = schema::cli::parse();
    schema::cli::run(|| {
        // Found at run time, from where the reader stands: the binary may have been built by
        // another checkout that shares the target directory.
        let root = match cli.root {
            Some(root) => book::find_root(&root)?,
            None => book::find_root(&std::env::current_dir()?)?,
        };
        run(cli.command, &root)
    })
}

fn run(command: Command, root: &std::path::Path) -> anyhow::Result<()> {
    match command {
        Command::Build { dest } => {
            let outcome = book::build(
                root,
                &BuildOptions {
                    dest,
                    verbose: true,
                },
            )?;
            // mdBook's log, warnings and errors included, is already on stderr (verbose):
            // printing the captured copies again showed every problem twice. An error it
            // only logged (a bad `[output.html]` setting) still fails the build.
            let errors = outcome
                .warnings
                .iter()
                .filter(|line| line.starts_with("ERROR"))
                .count();
            anyhow::ensure!(errors == 0, "mdBook logged {errors} error(s), shown above");
            println!("Built the book in {}", outcome.html_dir.display());
            Ok(())
        }
        Command::Serve { port } => book::serve::serve(root, port),
        Command::Check => run_check(root),
        // mdBook gives the book root in the JSON (and runs us there): `root` is not needed.
        Command::Preprocess { name, supports } => match supports {
            Some(Supports::Supports { renderer }) => book::preprocess::supports(name, &renderer),
            None => book::preprocess::run(name, std::io::stdin().lock(), std::io::stdout().lock()),
        },
        Command::Flashcards { out } => book::quiz::flashcards::run(root, out.as_deref()),
        Command::Exercises { watch } => book::exercises::run(root, watch),
        Command::Measure {
            quick,
            reference,
            repeat,
            labs,
        } => book::measure::measure(
            root,
            &book::measure::MeasureOptions {
                quick,
                reference,
                repeat: repeat as usize,
                labs,
            },
        ),
    }
}

fn run_check(root: &std::path::Path) -> anyhow::Result<()> {
    let mut problems = check::all(root);
    let outcome = book::build(root, &BuildOptions::default())?;
    problems.extend(book::checks::linkcheck::check(root, &outcome.html_dir));
    eprint!("{}", check::report(&problems));
    for warning in &outcome.warnings {
        eprintln!("book build: {warning}");
    }
    let count = problems.len() + outcome.warnings.len();
    anyhow::ensure!(count == 0, "{count} problem(s) in the book");
    println!("The book is sound: every check passed and it builds without warnings.");
    Ok(())
}
