// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use join::Ending;
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    use std::time::Duration;

    /// Mistake 2: work that nobody waits for.
    ///
    /// Runs three small programs, each in its own process: main spawns --workers threads that each
    /// work --work-ms and then print a line. The first main returns without joining, the second
    /// joins every JoinHandle, the third spawns inside std::thread::scope. The lab shows which
    /// lines never appeared.
    ///
    /// Then it forks a child that exits at once and does not wait for it: /proc/PID/stat shows the
    /// child in state Z (zombie) until waitpid reaps it, after which /proc/PID is gone.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Worker threads each demo spawns.
        #[arg(long, default_value_t = 4, value_parser = clap::value_parser!(u32).range(1..=64))]
        workers: u32,
        /// How long each worker works (sleeps) before printing its line, in milliseconds.
        #[arg(long, default_value_t = 200, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        work_ms: u64,
        /// How long to leave the zombie unreaped once it is seen, in milliseconds (time to look
        /// at it with ps).
        #[arg(long, default_value_t = 0, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        hold_ms: u64,
        /// Internal: run one demo's main and exit (the lab re-executes itself with this).
        #[arg(long, hide = true, value_enum)]
        demo: Option<Ending>,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let workers = args.workers as usize;
        let work = Duration::from_millis(args.work_ms);
        if let Some(ending) = args.demo {
            // We are the re-executed child: run the demo's main, then return from ours.
            join::demo_main(ending, workers, work);
            return ExitCode::SUCCESS;
        }
        let hold = Duration::from_millis(args.hold_ms);
        kit::lab::run(json, |progress| {
            join::report::run(workers, work, hold, progress)
        })
    }
}
