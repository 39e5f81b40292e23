use clap::{Parser, value_parser};
use nix::unistd::Pid;
use spawn_cost::{Kind, Results, Settings, die_with_parent, measure_only};
use std::io::IsTerminal;
use std::process::ExitCode;

/// What it costs to create a thread or a process and wait for it to end.
#[derive(Debug, Parser)]
#[command(
    name = "spawn-cost",
    about = "What it costs to create a thread or a process and wait for it to end",
    long_about = "What it costs to create a thread or a process and wait for it to end.\n\n\
        Six kinds, each measured for --rounds rounds in a fresh copy of this lab: a thread \
        (thread::spawn + join), a scoped thread (thread::scope), fork + _exit + waitpid, \
        fork + execv /bin/true + waitpid, posix_spawn /bin/true + waitpid, and \
        std::process::Command::new(\"/bin/true\").status(). Prints the median, fastest and \
        slowest round of each, and how many times as long as a thread each kind took.\n\n\
        Then fork, fork+exec and posix_spawn are measured again from bigger parents, copies \
        of the lab that first write to --parent-mib MiB of heap: fork copies the parent's \
        page tables, posix_spawn does not."
)]
struct Args {
    /// Recorded rounds per kind (each round creates one thread or process and waits for it)
    #[arg(long, default_value_t = 500, value_parser = value_parser!(u32).range(1..=100_000))]
    rounds: u32,

    /// Parent sizes for the fork / fork+exec / posix_spawn sweep: MiB of heap the measuring
    /// copy writes to before it measures (comma-separated)
    #[arg(long, value_delimiter = ',', default_values_t = [16, 64, 256],
          value_parser = value_parser!(u32).range(1..=4096))]
    parent_mib: Vec<u32>,

    /// Recorded rounds per kind and size in the parent-size sweep
    #[arg(long, default_value_t = 20, value_parser = value_parser!(u32).range(1..=10_000))]
    parent_rounds: u32,

    /// Print the results as a JSON report (kit::Report) instead of the readable report
    #[arg(long)]
    json: bool,

    /// Internal: measure only this kind, in this process, and print its summary as JSON
    #[arg(long, hide = true, value_enum)]
    measure_only: Option<Kind>,

    /// Internal: MiB of memory the measuring copy touches before it measures
    #[arg(long, hide = true, default_value_t = 0, requires = "measure_only",
          value_parser = value_parser!(u32).range(0..=4096))]
    ballast_mib: u32,

    /// Internal: the lab that started this measuring copy
    #[arg(long, hide = true, requires = "measure_only")]
    parent: Option<i32>,
}

fn main() -> ExitCode {
    let args: Args = kit::cli::parse();
    let rounds = args.rounds as usize;
    kit::cli::run(|| {
        if let Some(kind) = args.measure_only {
            if let Some(parent) = args.parent {
                die_with_parent(Pid::from_raw(parent))?;
            }
            println!("{}", measure_only(kind, rounds, args.ballast_mib as usize)?);
            return Ok(());
        }
        let exe = std::env::current_exe()?;
        let show_progress = std::io::stderr().is_terminal();
        let settings = Settings {
            rounds,
            parent_mib: args.parent_mib.iter().map(|&m| m as usize).collect(),
            parent_rounds: args.parent_rounds as usize,
        };
        let results = Results::collect(&exe, settings, |i, total, kind, mib| {
            if show_progress {
                let parent = if mib > 0 {
                    format!(" from +{mib} MiB")
                } else {
                    String::new()
                };
                eprint!(
                    "\r\x1b[Kmeasuring {}{parent} ({}/{total})…",
                    kind.name(),
                    i + 1
                );
            }
        });
        if show_progress {
            eprint!("\r\x1b[K");
        }
        let results = results?;
        if args.json {
            println!("{}", results.report().to_json());
        } else {
            print!("{}", results.render(&kit::Machine::detect()));
        }
        Ok(())
    })
}
