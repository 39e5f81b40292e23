// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::{ValueEnum, value_parser};
    use fork_rss::{Pages, report};
    use kit::cli::LabArgs;
    use nix::unistd::Pid;
    use std::process::ExitCode;
    /// fork gets slower as the parent's resident memory grows; posix_spawn and threads do not.
    ///
    /// For each parent size (0, 64, 256, 1024 MiB: each 4x the last, up to --max-mib) a fresh copy
    /// of this lab writes to every page of that much memory, reports how much VmRSS grew,
    /// then times --rounds rounds of: fork + _exit + waitpid; Command::new("/bin/true").spawn() +
    /// wait (posix_spawn under the hood); and thread::spawn + join. fork copies the page-table
    /// entries of the parent's written private memory, one per resident page of it; the other
    /// two copy none.
    ///
    /// The largest size is lowered to half of MemAvailable (/proc/meminfo) if that is less, so a
    /// small machine is never pushed out of memory.
    ///
    /// --demo cow-reuse times nothing: it shows copy-on-write frame by frame. The parent writes to
    /// a page it touched before the fork, once while the child still maps the page and once after
    /// the child has exited, and prints the page's frame number (/proc/self/pagemap) before and
    /// after each write: a new frame (a copy) in the first case, the same frame (reused, nothing
    /// copied) in the second. Frame numbers read as zero without CAP_SYS_ADMIN.
    #[derive(clap::Args, Debug)]
    #[command(name = "fork-rss")]
    struct Args {
        /// The largest parent to measure, in MiB of touched memory (0 measures only the lab as it is)
        #[arg(long, value_name = "MIB", default_value_t = 1024,
              value_parser = value_parser!(u32).range(0..=65_536))]
        max_mib: u32,

        /// Recorded rounds per kind and size
        #[arg(long, value_name = "N", default_value_t = 30,
              value_parser = value_parser!(u32).range(1..=10_000))]
        rounds: u32,

        /// Let the kernel back the parent's memory with transparent huge pages (MADV_HUGEPAGE)
        #[arg(long)]
        huge_pages: bool,

        /// Show a mechanism instead of timing (cow-reuse: which page frame a parent's write after
        /// fork gets, with the child running and with the child gone)
        #[arg(long, value_enum, value_name = "DEMO",
              conflicts_with_all = ["json", "huge_pages", "max_mib", "rounds", "measure_size"])]
        demo: Option<Demo>,

        /// Internal: measure one size in this process and print the result as JSON
        #[arg(long, hide = true, value_name = "MIB",
              value_parser = value_parser!(u32).range(0..=65_536))]
        measure_size: Option<u32>,

        /// Internal: the lab that started this measuring copy
        #[arg(long, hide = true, requires = "measure_size")]
        parent: Option<i32>,
    }

    /// The mechanisms `--demo` can show.
    #[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
    enum Demo {
        CowReuse,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        if args.demo == Some(Demo::CowReuse) {
            return kit::cli::run(report::cow_reuse);
        }
        let rounds = args.rounds as usize;
        let pages = if args.huge_pages {
            Pages::Huge
        } else {
            Pages::Normal
        };
        if let Some(mib) = args.measure_size {
            let parent = args.parent.map(Pid::from_raw);
            return kit::cli::run(|| report::measuring_copy(mib as usize, pages, rounds, parent));
        }
        kit::lab::run(json, |progress| {
            report::run(args.max_mib as usize, pages, rounds, progress)
        })
    }
}
