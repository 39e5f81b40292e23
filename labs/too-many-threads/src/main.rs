// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    use too_many_threads::report::Settings;

    /// Mistake 4: too many threads.
    ///
    /// Runs --tasks small CPU tasks three ways: a new thread for every task (at most --max-live at
    /// once), a pool of --workers threads fed through a channel, and a new process for each of
    /// --process-tasks tasks (at most --max-live alive at once, each reaped). For each way it
    /// reports the wall time, the peak thread count (Threads: in /proc/self/status) and the peak
    /// resident memory (VmHWM), and checks that every task ran (a checksum).
    ///
    /// Then a child process caps its address space (RLIMIT_AS) and creates threads until the system
    /// refuses one, showing that std::thread::Builder::spawn returns the refusal as an error.
    ///
    /// With --json, two timelines follow: --timeline-tasks tasks on one thread per CPU, then on
    /// many more threads than CPUs, each thread's share recorded as spans.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Tasks for the thread-per-task and pool modes.
        #[arg(long, default_value_t = 10_000, value_parser = clap::value_parser!(u64).range(1..=100_000))]
        tasks: u64,
        /// Tasks for the process-per-task mode (each one forks a process).
        #[arg(long, default_value_t = 500, value_parser = clap::value_parser!(u64).range(1..=5_000))]
        process_tasks: u64,
        /// Worker threads in the pool [default: the number of cores]
        #[arg(long, value_parser = clap::value_parser!(u32).range(1..=256))]
        workers: Option<u32>,
        /// Most threads (thread per task) or processes (process per task) alive at once.
        #[arg(long, default_value_t = 256, value_parser = clap::value_parser!(u32).range(1..=10_000))]
        max_live: u32,
        /// Tasks in each of the two timeline runs that --json (or --timeline) records after the rest.
        #[arg(long, default_value_t = too_many_threads::TIMELINE_TASKS, value_parser = clap::value_parser!(u64).range(1..=100_000_000))]
        timeline_tasks: u64,
        /// Internal: run the thread-limit demo and exit (the lab re-executes itself with this).
        #[arg(long, hide = true)]
        limit_demo: bool,
        #[command(flatten)]
        timeline: kit::cli::TimelineArg,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        if args.limit_demo {
            return kit::cli::run(too_many_threads::limit_demo_main);
        }
        kit::lab::run_with_timeline(json, &args.timeline, |progress, timelines| {
            let settings = Settings {
                tasks: args.tasks,
                process_tasks: args.process_tasks,
                workers: args.workers.map(|w| w as usize),
                max_live: args.max_live as usize,
                timeline_tasks: timelines.then_some(args.timeline_tasks),
            };
            too_many_threads::report::run(&settings, progress)
        })
    }
}
