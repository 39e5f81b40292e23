// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    /// What a ping-pong round trip costs between two threads and between two processes.
    ///
    /// One side sends a counter, the other sends it back plus one, and each blocks until the other
    /// answers, so on one CPU every round trip is two context switches. Three variants: two pipes
    /// between threads, two pipes between processes (fork), and a Mutex + Condvar handoff between
    /// threads. Each runs with both sides pinned to the same CPU (sched_setaffinity), then pinned
    /// to two different CPUs if this process may use two. Prints the median round trip with the
    /// fastest and slowest batch of 100, and how often the pinging thread was switched out per
    /// round trip (getrusage).
    #[derive(clap::Args, Debug)]
    #[command(name = "context-switch")]
    struct Args {
        /// Timed round trips per variant (rounded up to a whole batch of 100)
        #[arg(long, value_name = "N", default_value_t = 10_000,
              value_parser = value_parser!(u64).range(1..=10_000_000))]
        round_trips: u64,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        kit::lab::run(json, |progress| {
            context_switch::report::run(args.round_trips, progress)
        })
    }
}
