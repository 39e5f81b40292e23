// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use kit::cli::LabArgs;
    use race::report::{Selection, mode_parser};
    use std::process::ExitCode;

    /// Several workers (threads or processes) each add one to a shared counter many times.
    ///
    /// The racy modes load the counter, yield, and store what they loaded plus one: updates are
    /// lost, even though every access is atomic (a race condition, not a data race).
    ///
    /// The fixed modes (fetch_add, a Mutex, per-worker counters summed at the end) are exact.
    /// Workers start together and yield inside the read-modify-write, so the race shows on any
    /// machine, even with a single core, once each worker makes more than a few increments.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Workers (threads or child processes) per mode.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(2..=64))]
        workers: u32,

        /// Increments each worker makes.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=1_000_000))]
        increments: u64,

        /// Which mode to run: `all`, or one mode's name.
        #[arg(long, default_value = "all", value_parser = mode_parser())]
        mode: Selection,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run(json, |progress| {
            race::report::run(args.mode, args.workers, args.increments, progress)
        })
    }
}
