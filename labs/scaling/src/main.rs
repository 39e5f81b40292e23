// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    /// How CPU-bound work scales with W workers: measured speed-up beside Amdahl's and Gustafson's
    /// predictions, and what happens past the core count.
    ///
    /// Every run sums i² over --work numbers. --serial-percent of them are summed by one worker
    /// (half before, half after the parallel part); the rest is split evenly over W workers. The
    /// lab runs this for W = 1, 2, … up to --max-workers (default: twice the cores available, at
    /// most 64), as scoped threads and as forked processes, --rounds times, and prints for each W
    /// the median wall time, the speed-up T(1) ÷ T(W), Amdahl's prediction 1 / (s + (1 − s)/W) for
    /// the configured serial fraction s and for the s fitted to the measured speed-ups (least
    /// squares of 1/speed-up against 1/W, over 2 ≤ W ≤ cores), and the workers' involuntary context
    /// switches (getrusage ru_nivcsw: RUSAGE_THREAD for threads, RUSAGE_CHILDREN for processes). A
    /// second series grows the parallel part with W (Gustafson's scaled speed-up: work per second
    /// relative to one worker, beside s + (1 − s)·W). Every run's sum is checked against the closed
    /// form.
    #[derive(clap::Args, Debug)]
    #[command(name = "scaling")]
    struct Args {
        /// Percentage of the work that one worker does alone, before and after the parallel part
        #[arg(long, value_name = "PERCENT", default_value_t = 10,
              value_parser = value_parser!(u32).range(0..=90))]
        serial_percent: u32,

        /// How many numbers one run sums (the fixed series; the scaled series sums more)
        #[arg(long, value_name = "N", default_value_t = scaling::DEFAULT_WORK,
              value_parser = value_parser!(u64).range(1_000..=scaling::MAX_WORK))]
        work: u64,

        /// The largest number of workers W [default: twice the cores available, at most 64]
        #[arg(long, value_name = "W", value_parser = value_parser!(u32).range(2..=256))]
        max_workers: Option<u32>,

        /// Rounds over the whole sweep; the report shows each point's median
        #[arg(long, value_name = "R", default_value_t = 5,
              value_parser = value_parser!(u32).range(1..=100))]
        rounds: u32,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run(json, |progress| {
            scaling::report::run(
                args.work,
                args.serial_percent,
                args.max_workers.map(|w| w as usize),
                args.rounds as usize,
                progress,
            )
        })
    }
}
