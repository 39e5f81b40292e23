// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use memory_cost::Settings;
    use memory_cost::report::{Measure, measuring_copy};
    use std::process::ExitCode;
    /// What an idle thread, an idle process and an idle tokio task cost in memory, and
    /// copy-on-write measured in PSS.
    ///
    /// For each count (--threads, --processes; 1, 10, 100 and 1000 by default; --tasks, up to
    /// 100000 by default) a fresh copy of this lab starts that many threads, forks that many
    /// children, or spawns that many tasks on a current-thread tokio runtime (each awaiting a
    /// Notify), parks them, and reads from /proc the virtual size (VmSize), resident size (VmRSS),
    /// proportional and unique set sizes (Pss, Private_Clean + Private_Dirty in smaps_rollup) and
    /// page tables (VmPTE), summed over the parent and its children for processes. The cost of one
    /// more thread, process or task is the least-squares slope over the counts. Each thread's stack
    /// is found in /proc/self/smaps: reserved (the mapping) against resident, and the guard page
    /// below it.
    ///
    /// Then a parent writes to every page of a --cow-mib heap and forks: the parent's and the
    /// child's PSS before the fork, after it, and after the child has written to the whole heap.
    ///
    /// Every count is checked first against the kernel tasks the machine still allows
    /// (kernel.threads-max, cgroup pids.max; a tokio task is none), MemAvailable, vm.max_map_count
    /// and RLIMIT_AS. A default count that does not fit is left out; a count you give that does not
    /// fit is an error.
    #[derive(clap::Args, Debug)]
    #[command(name = "memory-cost")]
    struct Args {
        /// Thread counts to measure, comma-separated (at least two different ones)
        #[arg(long, value_name = "N,N,...", value_delimiter = ',',
              value_parser = value_parser!(u32).range(1..=100_000))]
        threads: Option<Vec<u32>>,

        /// Process counts to measure, comma-separated (at least two different ones)
        #[arg(long, value_name = "N,N,...", value_delimiter = ',',
              value_parser = value_parser!(u32).range(1..=20_000))]
        processes: Option<Vec<u32>>,

        /// Task counts to measure, comma-separated (at least two different ones)
        #[arg(long, value_name = "N,N,...", value_delimiter = ',',
              value_parser = value_parser!(u32).range(1..=1_000_000))]
        tasks: Option<Vec<u32>>,

        /// Each thread's stack in KiB (std::thread::Builder::stack_size); without it, std's
        /// default or RUST_MIN_STACK
        #[arg(long, value_name = "KIB", value_parser = value_parser!(u32).range(16..=1_048_576))]
        stack_kib: Option<u32>,

        /// The heap the parent touches and the child writes, in MiB
        #[arg(long, value_name = "MIB", default_value_t = memory_cost::DEFAULT_COW_MIB as u32,
              value_parser = value_parser!(u32).range(1..=65_536))]
        cow_mib: u32,

        /// Internal: measure one group (or the copy-on-write run) in this process, print JSON
        #[arg(long, hide = true, value_enum)]
        measure: Option<Measure>,

        /// Internal: how many threads, processes or tasks the measuring copy starts
        #[arg(long, hide = true, default_value_t = 1, requires = "measure",
              value_parser = value_parser!(u32).range(1..=1_000_000))]
        count: u32,
    }

    /// At least two different counts, or there is no slope to fit.
    fn counts(flag: &str, given: Option<Vec<u32>>) -> Option<Vec<usize>> {
        let mut counts: Vec<usize> = given?.into_iter().map(|n| n as usize).collect();
        counts.sort_unstable();
        counts.dedup();
        if counts.len() < 2 {
            kit::cli::usage_error(format!(
                "--{flag} needs at least two different counts, to fit a cost per extra one"
            ));
        }
        Some(counts)
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let stack = args.stack_kib.map(|kib| kib as usize * 1024);
        if let Some(what) = args.measure {
            let (count, cow_mib) = (args.count as usize, args.cow_mib as usize);
            return kit::cli::run(|| measuring_copy(what, count, stack, cow_mib));
        }
        let settings = Settings {
            threads: counts("threads", args.threads),
            processes: counts("processes", args.processes),
            tasks: counts("tasks", args.tasks),
            stack,
            cow_mib: args.cow_mib as usize,
        };
        kit::lab::run(json, |progress| {
            memory_cost::report::run(&settings, progress)
        })
    }
}
