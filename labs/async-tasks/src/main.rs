// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use async_tasks::create::Kind;
    use async_tasks::report::{self, Settings};
    use clap::value_parser;
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    #[derive(clap::Args, Debug)]
    #[command(
        name = "async-tasks",
        about = "What a tokio task costs to create beside a thread and a process, and how a CPU \
                 loop in a task stalls the others",
        long_about = "What a tokio task costs to create beside a thread and a process, and how a \
            CPU loop in a task stalls the others.\n\n\
            Creation: three kinds, each measured for --rounds rounds in a fresh copy of this lab: \
            tokio::spawn + .await (from a task on a multi-thread runtime), thread::spawn + join, \
            and fork + _exit + waitpid.\n\n\
            The blocking mistake: on a multi-thread runtime with one worker thread, a ticker task \
            sleeps 1 ms at a time and notes how late each wake-up comes, while a loop of CPU \
            work with no .await runs for --stall-ms: first as a task on the worker (tasks are \
            cooperative: the ticker waits for the whole loop), then through spawn_blocking (on \
            the blocking pool: the ticker keeps ticking). --stall-rounds rounds of each."
    )]
    struct Args {
        /// Recorded rounds per creation kind (each round creates one task, thread or process
        /// and waits for its end)
        #[arg(long, default_value_t = 1000, value_parser = value_parser!(u32).range(1..=100_000))]
        rounds: u32,

        /// Length of the CPU loop in the blocking demonstration, in milliseconds
        #[arg(long, value_name = "MS", default_value_t = 200,
              value_parser = value_parser!(u32).range(20..=5000))]
        stall_ms: u32,

        /// Rounds of the blocking demonstration, each mode
        #[arg(long, default_value_t = 3, value_parser = value_parser!(u32).range(1..=20))]
        stall_rounds: u32,

        /// Internal: measure only this kind, in this process, and print its summary as JSON
        #[arg(long, hide = true, value_enum)]
        measure_only: Option<Kind>,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let rounds = args.rounds as usize;
        if let Some(kind) = args.measure_only {
            return kit::cli::run(|| report::measuring_copy(kind, rounds));
        }
        let settings = Settings {
            rounds,
            stall: std::time::Duration::from_millis(args.stall_ms.into()),
            stall_rounds: args.stall_rounds as usize,
        };
        kit::lab::run(json, |progress| report::run(settings, progress))
    }
}
