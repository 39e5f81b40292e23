// The book's labs run on Linux (see src/labs/platforms.md): elsewhere the program is one line
// that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use async_tasks::report::{self, Settings};
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    /// How a CPU loop in a tokio task stalls the other tasks on its worker, and how spawn_blocking
    /// fixes it.
    ///
    /// On a multi-thread runtime with one worker thread, a ticker task sleeps 1 ms at a time and
    /// notes how late each wake-up comes, while a loop of CPU work with no .await runs for
    /// --stall-ms: first as a task on the worker (tasks are cooperative: the ticker waits for the
    /// whole loop), then through spawn_blocking (on the blocking pool: the ticker keeps ticking).
    /// --stall-rounds rounds of each.
    ///
    /// What a task costs to create, beside a thread and a process (tokio::spawn + .await against
    /// thread::spawn and fork), is the task kind of the spawn-cost lab.
    #[derive(clap::Args, Debug)]
    #[command(name = "async-tasks")]
    struct Args {
        /// Length of the CPU loop in the blocking demonstration, in milliseconds
        #[arg(long, value_name = "MS", default_value_t = 200,
              value_parser = value_parser!(u32).range(20..=5000))]
        stall_ms: u32,

        /// Rounds of the blocking demonstration, each mode
        #[arg(long, default_value_t = 3, value_parser = value_parser!(u32).range(1..=20))]
        stall_rounds: u32,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let settings = Settings {
            stall: std::time::Duration::from_millis(args.stall_ms.into()),
            stall_rounds: args.stall_rounds as usize,
        };
        kit::lab::run(json, |progress| report::run(settings, progress))
    }
}
