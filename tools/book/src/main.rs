//! `cargo book build|serve|check`: see the crate docs of `book`.

use book::{BuildOptions, check, repo_root};
use clap::{Parser, Subcommand};
use std::path::PathBuf;
use std::process::ExitCode;

/// Build, serve and check the Threads vs Processes book (mdBook in-process: nothing to install).
#[derive(Parser)]
#[command(name = "cargo book", version)]
struct Cli {
    /// The repository root holding book.toml (default: the one this tool was built from).
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
    /// Check every invariant (SUMMARY, includes and anchors, diagrams) and build with
    /// warnings treated as errors.
    Check,
}

fn main() -> ExitCode {
    let cli: Cli = kit::cli::parse();
    let root = cli.root.unwrap_or_else(repo_root);
    kit::cli::run(|| match cli.command {
        Command::Build { dest } => {
            let outcome = book::build(
                &root,
                &BuildOptions {
                    dest,
                    verbose: true,
                },
            )?;
            for warning in &outcome.warnings {
                eprintln!("{warning}");
            }
            println!("Built the book in {}", outcome.html_dir.display());
            Ok(())
        }
        Command::Serve { port } => book::serve::serve(&root, port),
        Command::Check => run_check(&root),
    })
}

fn run_check(root: &std::path::Path) -> anyhow::Result<()> {
    let problems = check::all(root);
    let outcome = book::build(root, &BuildOptions::default())?;
    eprint!("{}", check::report(&problems));
    for warning in &outcome.warnings {
        eprintln!("book build: {warning}");
    }
    let count = problems.len() + outcome.warnings.len();
    anyhow::ensure!(count == 0, "{count} problem(s) in the book");
    println!("The book is sound: every check passed and it builds without warnings.");
    Ok(())
}
