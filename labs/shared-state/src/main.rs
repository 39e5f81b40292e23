// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    /// One counter, incremented by several threads or processes: five ways, one of them wrong.
    ///
    /// Each of --workers workers adds one to a shared counter --increments times. Threads share
    /// memory by default and only need each update to be indivisible (a Mutex or an atomic).
    /// Processes share only what is mapped MAP_SHARED before the fork: an atomic, or a pthread
    /// mutex made process-shared. The last mode is a classic mistake: children push to an ordinary
    /// Vec, each into its own copy-on-write copy, and the parent's Vec stays empty.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// How many threads or processes increment the counter
        #[arg(long, value_name = "N", default_value_t = 4,
              value_parser = value_parser!(u32).range(1..=64))]
        workers: u32,
        /// How many times each worker adds one
        #[arg(long, value_name = "N", default_value_t = 100_000,
              value_parser = value_parser!(u64).range(1..=1_000_000))]
        increments: u64,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run(json, |progress| {
            shared_state::report::run(args.workers, args.increments, progress)
        })
    }
}
