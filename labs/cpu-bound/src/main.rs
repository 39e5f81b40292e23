// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    /// CPU-bound work done by one thread, by W threads, and by W processes.
    ///
    /// Computes the sum of i² for i in 0..N three ways: sequentially; split over W scoped threads;
    /// split over W forked processes that each send their partial sum to the parent through a pipe.
    /// Prints the median wall time of each mode, its speed-up over sequential, and its efficiency
    /// (speed-up divided by the ideal, min(W, cores)). All modes must compute the same sum, or the
    /// lab fails.
    #[derive(clap::Args, Debug)]
    #[command(name = "cpu-bound")]
    struct Args {
        /// How many numbers to square and add (0..N)
        #[arg(long, default_value_t = cpu_bound::DEFAULT_N,
              value_parser = value_parser!(u64).range(1..=100_000_000_000))]
        n: u64,

        /// Workers for the threads and processes modes [default: the cores available]
        #[arg(long, value_parser = value_parser!(u32).range(1..=256))]
        workers: Option<u32>,

        /// Rounds per mode; the report shows the median
        #[arg(long, default_value_t = 3, value_parser = value_parser!(u32).range(1..=100))]
        rounds: u32,

        #[command(flatten)]
        timeline: kit::cli::TimelineArg,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run_with_timeline(json, &args.timeline, |progress, timelines| {
            let workers = args.workers.map(|w| w as usize);
            cpu_bound::report::run(args.n, workers, args.rounds as usize, timelines, progress)
        })
    }
}
