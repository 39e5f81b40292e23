// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    /// Mistake 1: threads for CPU-bound work in Python.
    ///
    /// Runs the sum of i*i for i in 0..N in Python (sequentially, with --workers threads, with a
    /// pool of --workers processes) when the Python interpreter (--python) can be started, then the
    /// same sum in Rust (sequentially and with --workers scoped threads), checks that all sums
    /// agree and reports the speed-ups. If Python is missing the lab says so, runs the Rust side
    /// and exits 0.
    ///
    /// Then the Rust-side version of the mistake: --steps additions on --workers threads that lock
    /// one shared Mutex at every step, against threads that each sum locally and lock once.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Sum the squares of 0..N.
        #[arg(long, default_value_t = 10_000_000, value_parser = clap::value_parser!(u64).range(1..=200_000_000))]
        n: u64,
        /// Threads or processes to split the work over [default: the number of cores]
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: Option<u32>,
        /// Additions in the Mutex comparison.
        #[arg(long, default_value_t = 5_000_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000_000))]
        steps: u64,
        /// The Python interpreter to run (a name on PATH or a path; if it cannot be started, the
        /// Python part is skipped and the report says so).
        #[arg(long, default_value = "python3", value_parser = clap::builder::NonEmptyStringValueParser::new())]
        python: String,

        #[command(flatten)]
        timeline: kit::cli::TimelineArg,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run_with_timeline(json, &args.timeline, |progress, timelines| {
            let workers = args.workers.map(|w| w as usize);
            gil::report::run(
                &args.python,
                args.n,
                args.steps,
                workers,
                timelines,
                progress,
            )
        })
    }
}
