// The lab needs Linux's own interfaces (see src/labs/platforms.md): elsewhere the program is
// one line that says so, and everything below is compiled on Linux only.
kit::lab_main!(lab::main);

#[cfg(target_os = "linux")]
mod lab {
    use fork_in_threads::lock_fresh_main;
    use fork_in_threads::report::Demo;
    use kit::cli::LabArgs;
    use std::process::ExitCode;

    /// Interview gotcha: why is fork in a multithreaded program dangerous?
    ///
    /// A helper thread takes the program's global lock (a std Mutex) and keeps it while main forks;
    /// a Barrier makes the order exact. fork copies the memory, the locked lock included, but not
    /// the helper thread. The child writes a byte to a pipe right before it tries to take the lock,
    /// then waits forever: no thread in it will ever release the lock. After --timeout-ms the lab
    /// declares it hung, kills it (SIGKILL) and reaps it.
    ///
    /// Contrasts: the same fork with the lock free (the child takes it and exits 0), and the safe
    /// pattern, a child that execs at once (std::process::Command, which with glibc uses
    /// posix_spawn: the child borrows the parent's memory until the exec instead of copying it):
    /// the new program has a fresh lock of its own and takes it while the parent's is still held.
    ///
    /// --demo allocator: while other threads allocate and free in a tight loop, fork many children
    /// that allocate and exit 0. On glibc none hangs: its fork takes every malloc lock before the
    /// clone and re-initialises them in the child. (The children break POSIX's rule on purpose, to
    /// show this; the rule stands.)
    ///
    /// --demo vfork: while another thread counts, create a child with clone(CLONE_VM | CLONE_VFORK)
    /// that watches the count: only the calling thread is suspended, so the count keeps moving.
    #[derive(clap::Args, Debug)]
    // -h prints the package description; --help this whole comment.
    #[command(about)]
    struct Args {
        /// Which demo to run: lock (a user Mutex held at the fork), allocator (glibc's malloc
        /// locks are reset in the child) or vfork (CLONE_VFORK suspends only the calling thread).
        #[arg(long, value_enum, default_value_t = Demo::Lock)]
        demo: Demo,
        /// How long the child that forked while the lock was held gets to take it before it is
        /// declared hung, in milliseconds.
        #[arg(long, default_value_t = 1000, value_parser = clap::value_parser!(u64).range(10..=60_000))]
        timeout_ms: u64,
        /// Internal: be the exec'd program that takes its own, fresh lock.
        #[arg(long, hide = true)]
        lock_fresh: bool,
    }

    pub fn main() -> ExitCode {
        let LabArgs { lab: args, json } = kit::cli::parse::<LabArgs<Args>>();
        if args.lock_fresh {
            return kit::cli::run(lock_fresh_main);
        }
        kit::lab::run(json, |progress| {
            fork_in_threads::report::run(args.demo, args.timeout_ms, progress)
        })
    }
}
