use clap::value_parser;
use kit::cli::LabArgs;
use std::process::ExitCode;
/// Independent baselines for the labs' primitives, to set beside the labs' figures measured in the
/// same run.
///
/// A small C program (primitives.c) times the bare calls with clock_gettime: pthread_create +
/// pthread_join, fork + _exit + waitpid, vfork + _exit + waitpid, posix_spawn of /bin/true +
/// waitpid, and a one-byte pipe ping-pong between two threads and between two processes, pinned to
/// one CPU and to two. Then `perf bench sched pipe` (processes, and -T for threads) if perf is on
/// PATH and runs; otherwise one line on stderr says why and its records are absent.
#[derive(clap::Args, Debug)]
// -h prints `about`; --help this whole comment.
#[command(
    name = "baseline",
    about = "Independent baselines for the labs' primitives: a small C program, and perf when installed"
)]
struct Args {
    /// Samples per C primitive: rounds for creation, batches of 100 round trips for the
    /// ping-pong; each perf run makes 100 × N round trips
    #[arg(long, value_name = "N", default_value_t = 500,
          value_parser = value_parser!(u32).range(1..=100_000))]
    runs: u32,
}

fn main() -> ExitCode {
    let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
    kit::lab::run(json, |progress| {
        baseline::report::run(args.runs as usize, progress)
    })
}
