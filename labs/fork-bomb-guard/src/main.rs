// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use fork_bomb_guard::report::DEMO_NAMES;
    use fork_bomb_guard::{MAX_CAP, Tree, harness::Config};
    use kit::cli::LabArgs;
    use std::process::ExitCode;
    use std::time::Duration;

    /// A program that starts its workers by running itself again (std::env::current_exe) must tell
    /// a worker from its parent, or every worker starts workers of its own: the unguarded demo
    /// grows 1, 2, 4, 8 ... per generation; the guarded one starts exactly --workers.
    ///
    /// The fork-loop demo answers the classic puzzle: how many processes does fork() in a loop of 3
    /// make?
    ///
    /// Every demo is capped: each process must take a token from a budget of --cap before it may
    /// start another, the tree runs in its own process group, and the harness kills and reaps the
    /// whole group when the tree ends, the deadline passes, or you press Ctrl-C.
    ///
    /// The cgroup demo, where the lab may create a cgroup (root, and a pids controller: cgroup v1's
    /// pids hierarchy, or v2 with pids in our cgroup's cgroup.subtree_control), runs a fork bomb in
    /// a cgroup of its own whose pids.max is below --cap: the kernel refuses fork() with EAGAIN,
    /// even for root. The lab removes that cgroup afterwards; where it cannot create one, it says
    /// why in one line and skips the demo.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Which demo to run: all, unguarded, guarded, fork-loop or cgroup.
        #[arg(long, default_value = "all", value_parser = DEMO_NAMES)]
        demo: String,
        /// The most processes one demo may start, the first included (hard maximum 256).
        #[arg(long, default_value_t = 32, value_parser = clap::value_parser!(u32).range(1..=i64::from(MAX_CAP)))]
        cap: u32,
        /// Workers each copy of the (un)guarded program starts.
        #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u32).range(1..=8))]
        workers: u32,
        /// The cgroup demo's pids.max: the most tasks its cgroup may hold (below --cap).
        #[arg(long, default_value_t = 8, value_parser = clap::value_parser!(u32).range(1..=128))]
        pids_max: u32,
        /// Iterations of the fork loop.
        #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u32).range(1..=8))]
        loops: u32,
        /// How long each copy of the (un)guarded program takes to set up (before it starts
        /// workers), in milliseconds.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=10_000))]
        startup_ms: u64,
        /// How long each worker stays alive, in milliseconds.
        #[arg(long, default_value_t = 100, value_parser = clap::value_parser!(u64).range(0..=60_000))]
        work_ms: u64,
        /// Deadline for each demo, in milliseconds: then the harness kills the whole tree.
        #[arg(long, default_value_t = 5_000, value_parser = clap::value_parser!(u64).range(100..=60_000))]
        timeout_ms: u64,
    }

    pub fn main() -> ExitCode {
        // A copy of this binary started by a demo runs the demo's program, not the lab.
        if let Some(tree) = Tree::from_env() {
            return kit::cli::run(|| tree?.run());
        }
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        // The point of the cgroup demo is the kernel saying no before the budget does.
        if matches!(args.demo.as_str(), "all" | "cgroup") && args.pids_max >= args.cap {
            kit::cli::usage_error(format!(
                "--pids-max ({}) must be below --cap ({}): the cgroup demo shows the kernel's \
                 limit binding before the lab's own budget",
                args.pids_max, args.cap
            ));
        }
        let config = Config {
            cap: args.cap,
            workers: args.workers,
            loops: args.loops,
            pids_max: args.pids_max,
            startup: Duration::from_millis(args.startup_ms),
            work: Duration::from_millis(args.work_ms),
            timeout: Duration::from_millis(args.timeout_ms),
        };
        kit::lab::run(json, |progress| {
            fork_bomb_guard::report::run(&args.demo, config, progress)
        })
    }
}
