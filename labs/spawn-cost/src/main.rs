// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use clap::value_parser;
    use kit::cli::LabArgs;
    use nix::unistd::Pid;
    use spawn_cost::report::measuring_copy;
    use spawn_cost::{Kind, Settings};
    use std::process::ExitCode;

    /// What it costs to create a task, a thread or a process and wait for it to end.
    ///
    /// Nine kinds, each measured for --rounds rounds in a fresh copy of this lab: a tokio task
    /// (tokio::spawn + .await, from a task on a multi-thread runtime), a thread (thread::spawn +
    /// join), a scoped thread (thread::scope), a bare pthread_create + pthread_join, fork + _exit +
    /// waitpid, clone(CLONE_VM | CLONE_VFORK) + _exit + waitpid (a vfork), fork + execv /bin/true +
    /// waitpid, posix_spawn /bin/true + waitpid, and
    /// std::process::Command::new("/bin/true").status(). Prints the median, fastest and slowest
    /// round of each, and how many times as long as a thread each kind took.
    ///
    /// Then fork, fork+exec and posix_spawn are measured again from bigger parents, copies of the
    /// lab that first write to --parent-mib MiB of private anonymous memory: fork copies the
    /// parent's page tables, posix_spawn does not.
    #[derive(clap::Args, Debug)]
    #[command(name = "spawn-cost")]
    struct Args {
        /// Recorded rounds per kind (each round creates one task, thread or process and waits
        /// for it)
        #[arg(long, default_value_t = 500, value_parser = value_parser!(u32).range(1..=100_000))]
        rounds: u32,

        /// Parent sizes for the fork / fork+exec / posix_spawn sweep: MiB of private anonymous
        /// memory the measuring copy writes to before it measures (comma-separated)
        #[arg(long, value_delimiter = ',', default_values_t = [16, 64, 256],
              value_parser = value_parser!(u32).range(1..=4096))]
        parent_mib: Vec<u32>,

        /// Recorded rounds per kind and size in the parent-size sweep
        #[arg(long, default_value_t = 20, value_parser = value_parser!(u32).range(1..=10_000))]
        parent_rounds: u32,

        /// Internal: measure only this kind, in this process, and print its summary as JSON
        #[arg(long, hide = true, value_enum)]
        measure_only: Option<Kind>,

        /// Internal: MiB of memory the measuring copy touches before it measures
        #[arg(long, hide = true, default_value_t = 0, requires = "measure_only",
              value_parser = value_parser!(u32).range(0..=4096))]
        ballast_mib: u32,

        /// Internal: the lab that started this measuring copy
        #[arg(long, hide = true, requires = "measure_only")]
        parent: Option<i32>,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        let rounds = args.rounds as usize;
        if let Some(kind) = args.measure_only {
            let parent = args.parent.map(Pid::from_raw);
            return kit::cli::run(|| {
                measuring_copy(kind, rounds, args.ballast_mib as usize, parent)
            });
        }
        let settings = Settings {
            rounds,
            parent_mib: args.parent_mib.iter().map(|&m| m as usize).collect(),
            parent_rounds: args.parent_rounds as usize,
        };
        kit::lab::run(json, |progress| spawn_cost::report::run(settings, progress))
    }
}
